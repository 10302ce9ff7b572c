"""Tree-level Feynman diagrams of one top-quark line with gluons (stdlib only).

A gluon tree is an external gluon (its particle index, an int), ``("V", x, y)``
(three-gluon vertex) or ``("X", x, y, z)`` (four-gluon vertex, which MadGraph splits
into three colour structures). A diagram is the tuple of gluon trees attached to
the quark line, ordered from the top (t) to the antitop (t~) end. Diagrams are
written as in ``processes.py``: ``"4 V(0,1)"`` is the top emitting gluon 4 and then
absorbing the current of gluons 0 and 1.
"""

from __future__ import annotations

from itertools import combinations, permutations, product

Tree = "int | tuple"
Diagram = tuple

#: four-gluon colour structures of the sm model, pairs (colour, Lorentz) on legs
#: (1 = the off-shell line, 2, 3, 4): VVVV1 with f(-1,1,2) f(3,4,-1), VVVV3 with
#: f(-1,1,3) f(2,4,-1), VVVV4 with f(-1,1,4) f(2,3,-1).
CONTACT_STRUCTURES = (1, 3, 4)


def canonical(tree) -> str:
    """Text of a tree with the children of every vertex sorted (vertex legs are
    unordered in a diagram)."""
    if isinstance(tree, int):
        return str(tree)
    return f"{tree[0]}(" + ",".join(sorted(canonical(t) for t in tree[1:])) + ")"


def lowest(tree) -> int:
    """Lowest particle index in a tree."""
    return tree if isinstance(tree, int) else min(lowest(t) for t in tree[1:])


def sort_tree(tree):
    """The same tree with the children of every vertex ordered by their lowest particle
    (MadGraph's argument order for the off-shell gluon currents)."""
    if isinstance(tree, int):
        return tree
    kids = sorted((sort_tree(t) for t in tree[1:]), key=lowest)
    return (tree[0], *kids)


def signature(diagram: Diagram) -> str:
    return " ".join(canonical(t) for t in diagram)


def _parse_tree(token: str):
    """One gluon tree, e.g. ``"V(4,V(0,1))"``."""
    pos = 0

    def tree():
        nonlocal pos
        if token[pos].isdigit():
            start = pos
            while pos < len(token) and token[pos].isdigit():
                pos += 1
            return int(token[start:pos])
        kind = token[pos]
        if kind not in "VX" or token[pos + 1 : pos + 2] != "(":
            raise ValueError(f"bad gluon tree {token!r} at character {pos}")
        pos += 2
        kids = [tree()]
        while token[pos] == ",":
            pos += 1
            kids.append(tree())
        if token[pos] != ")" or len(kids) != (2 if kind == "V" else 3):
            raise ValueError(f"bad vertex in {token!r} at character {pos}")
        pos += 1
        return (kind, *kids)

    try:
        out = tree()
    except IndexError:
        raise ValueError(f"gluon tree {token!r} ends early") from None
    if pos != len(token):
        raise ValueError(f"trailing text in gluon tree {token!r}")
    return sort_tree(out)


def parse(text: str) -> Diagram:
    """``"V(0,1) 4"`` -> (("V", 0, 1), 4)."""
    return tuple(_parse_tree(token) for token in text.split())


def _splits(items: tuple, parts: int):
    """Unordered partitions of items into `parts` non-empty blocks."""
    if parts == 1:
        yield (items,)
        return
    first, rest = items[0], items[1:]
    for k in range(len(rest) + 1):
        for chosen in combinations(rest, k):
            block = (first, *chosen)
            remaining = tuple(x for x in rest if x not in chosen)
            if len(remaining) >= parts - 1:
                for tail in _splits(remaining, parts - 1):
                    yield (block, *tail)


def trees(gluons: tuple[int, ...]) -> list:
    """Every gluon tree joining the given external gluons into one off-shell gluon."""
    if len(gluons) == 1:
        return [gluons[0]]
    out = []
    for kind, parts in (("V", 2), ("X", 3)):
        for blocks in _splits(tuple(sorted(gluons)), parts):
            if any(len(b) == 0 for b in blocks):
                continue
            for kids in product(*(trees(b) for b in blocks)):
                out.append(sort_tree((kind, *kids)))
    return out


def _ordered_partitions(items: tuple):
    if not items:
        yield ()
        return
    for parts in range(1, len(items) + 1):
        for blocks in _splits(items, parts):
            yield from permutations(blocks)


def enumerate_diagrams(gluons: tuple[int, ...]) -> list[Diagram]:
    """All tree diagrams of t t~ + gluons (QCD vertices ttg, ggg, gggg)."""
    out: list[Diagram] = []
    for blocks in _ordered_partitions(tuple(sorted(gluons))):
        out.extend(product(*(trees(b) for b in blocks)))
    return out


def has_contact(tree_or_diagram) -> bool:
    """Whether a four-gluon vertex occurs."""
    if isinstance(tree_or_diagram, int):
        return False
    if isinstance(tree_or_diagram, tuple) and tree_or_diagram and tree_or_diagram[0] in ("V", "X"):
        return tree_or_diagram[0] == "X" or any(has_contact(t) for t in tree_or_diagram[1:])
    return any(has_contact(t) for t in tree_or_diagram)


def contact_count(diagram: Diagram) -> int:
    def count(t):
        if isinstance(t, int):
            return 0
        return (t[0] == "X") + sum(count(k) for k in t[1:])

    return sum(count(t) for t in diagram)


def propagators(diagram: Diagram, n_particles: int) -> list[tuple[frozenset[int], int]]:
    """Internal lines of a diagram as (particles, PDG id): each line is given by the
    external particles on its side away from particle 0 (only outgoing particles: an
    s-channel line of invariant mass (sum p)^2; with particle 1: a t-channel line),
    PDG id 21 for a gluon, 6 for a top. The phase-space channel of the diagram."""
    lines: list[tuple[frozenset[int], int]] = []
    everything = frozenset(range(n_particles))

    def gluon(tree) -> frozenset[int]:
        if isinstance(tree, int):
            return frozenset((tree,))
        inside = frozenset().union(*(gluon(t) for t in tree[1:]))
        lines.append((inside if 0 not in inside else everything - inside, 21))
        return inside

    top_side = frozenset((2,))
    attached = [gluon(tree) for tree in diagram]
    for block in attached[:-1]:  # the top line between attachments
        top_side = top_side | block
        lines.append((top_side if 0 not in top_side else everything - top_side, 6))
    return lines
