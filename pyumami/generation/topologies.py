"""Phase-space channels of the reference libraries, one per diagram (or group of diagrams).

For the QCD processes with one top line (``gg_ttx`` and the generated ``gg_ttxg``,
``gg_ttxgg``) the topologies are derived from the diagram descriptions of
``ref_me.qcdgen`` (MadGraph's numbering, so channel c is enhanced with DIAGRAM_AMP2
column c): the diagram becomes a graph, the path between the two incoming gluons is
the t-channel chain (or a single vertex: the s-channel root), and everything hanging
off the path becomes a leg, a final-state particle or a decay node whose propagator
is the line it hangs on (a top or a gluon). A four-gluon vertex on the chain puts two
legs at one point; they are joined by a massless decay node, a mapping that still
covers all of phase space.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from functools import lru_cache

from phase_space import Decay, Propagator, TChannel, Topology

from ..param_card import read_param_card
from .process import Channel, Resonance

__all__ = [
    "GG_TTX_DIAGRAMS",
    "REFERENCE_CHANNELS",
    "card_masses_widths",
    "top_line_topology",
]

#: PDG id -> (mass, width) in GeV.
MassesWidths = Mapping[int, tuple[float, float]]
#: A channel builder: (final-state masses, internal masses and widths) -> channels.
ChannelBuilder = Callable[..., tuple[Channel, ...]]

#: g g -> t t~ in the notation of ref_me.qcdgen (MadGraph's order): s-channel gluon, the
#: first gluon next to the top, the first gluon next to the antitop.
GG_TTX_DIAGRAMS = ("V(0,1)", "0 1", "1 0")

_Node = tuple[str, int]  # ("p", particle index) or ("v", vertex number)


def top_line_topology(diagram: str, final_masses: tuple[float, ...]) -> Topology:
    """The topology of one diagram of g g -> t t~ + gluons (qcdgen notation, e.g.
    ``"V(0,1) 4"``); particles 0, 1 incoming gluons, 2 t, 3 t~, 4... outgoing gluons."""
    from ref_me.qcdgen.diagrams import parse

    # no width: the tops are external and stable, so an internal top line never resonates;
    # a Breit-Wigner would crowd the points at the soft-gluon edge m_t^2 of its invariant
    top = Propagator(final_masses[0], 0.0)
    gluon = Propagator()
    edges: dict[_Node, list[tuple[_Node, Propagator | None]]] = {}
    count = 0

    def link(a: _Node, b: _Node, prop: Propagator | None) -> None:
        edges.setdefault(a, []).append((b, prop))
        edges.setdefault(b, []).append((a, prop))

    def vertex() -> _Node:
        nonlocal count
        count += 1
        return ("v", count)

    def attach(tree, parent: _Node) -> None:
        if isinstance(tree, int):
            link(parent, ("p", tree), None)
            return
        node = vertex()
        link(parent, node, gluon)
        for child in tree[1:]:
            attach(child, node)

    trees = parse(diagram)
    line = [vertex() for _ in trees]
    link(("p", 2), line[0], None)
    link(line[-1], ("p", 3), None)
    for a, b in zip(line[:-1], line[1:], strict=True):
        link(a, b, top)
    for tree, node in zip(trees, line, strict=True):
        attach(tree, node)

    path = _path(edges, ("p", 0), ("p", 1))
    chain = path[1:-1]

    def convert(node: _Node, parent: _Node, prop: Propagator | None):
        if node[0] == "p":
            return node[1] - 2
        children = tuple(convert(n, node, p) for n, p in edges[node] if n != parent)
        return Decay(children, prop or gluon)

    def legs_of(v: _Node) -> list:
        return [convert(n, v, p) for n, p in edges[v] if n not in path]

    if len(chain) == 1:
        hanging = legs_of(chain[0])
        # one line leaving the vertex carries all of s-hat: its decay is the root
        root = hanging[0] if len(hanging) == 1 else Decay(tuple(hanging))
        return Topology(final_masses, Decay(root.children))
    legs = []
    for v in chain:
        hanging = legs_of(v)
        legs.append(hanging[0] if len(hanging) == 1 else Decay(tuple(hanging), gluon))
    props = tuple(
        next(p for n, p in edges[a] if n == b) or gluon
        for a, b in zip(chain[:-1], chain[1:], strict=True)
    )
    return Topology(final_masses, TChannel(tuple(legs), props))


def _path(edges: Mapping[_Node, list], start: _Node, goal: _Node) -> list[_Node]:
    """The unique path between two leaves of a tree graph (breadth-first)."""
    previous: dict[_Node, _Node | None] = {start: None}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt, _ in edges[node]:
            if nxt not in previous:
                previous[nxt] = node
                queue.append(nxt)
    out = [goal]
    while previous[out[-1]] is not None:
        out.append(previous[out[-1]])  # type: ignore[arg-type]
    return out[::-1]


def card_masses_widths(path: str | os.PathLike[str] | None = None) -> MassesWidths:
    """PDG id -> (mass, width) in GeV of every particle of an SLHA param card with a MASS
    entry (width 0 where the card has no DECAY line); default: ref_me's card, which the
    reference libraries read when they get none."""
    if path is None:
        import ref_me

        path = ref_me.default_param_card()
    return _card_masses_widths(str(path))


@lru_cache(maxsize=8)
def _card_masses_widths(path: str) -> MassesWidths:
    entries = read_param_card(path)
    widths = {e.key[0]: e.value for e in entries if e.block == "DECAY" and len(e.key) == 1}
    return {
        e.key[0]: (e.value, widths.get(e.key[0], 0.0))
        for e in entries
        if e.block == "MASS" and len(e.key) == 1
    }


def _top_line_channels(diagrams: tuple[str, ...]) -> ChannelBuilder:
    def build(
        final_masses: tuple[float, ...], card: MassesWidths | None = None
    ) -> tuple[Channel, ...]:
        return tuple(
            Channel(top_line_topology(d, final_masses), (i,), f"diagram {i + 1}: {d}")
            for i, d in enumerate(diagrams)
        )

    return build


def _s_channel(diagrams: tuple[int, ...], name: str) -> ChannelBuilder:
    def build(
        final_masses: tuple[float, ...], card: MassesWidths | None = None
    ) -> tuple[Channel, ...]:
        return (Channel(Topology(final_masses, Decay((0, 1))), diagrams, name),)

    return build


def _photon_and_z(
    final_masses: tuple[float, ...], card: MassesWidths | None = None
) -> tuple[Channel, ...]:
    """e+ e- > mu+ mu-: diagram 1 (s-channel photon) and diagram 2 (s-channel Z), one
    channel each, so that an event of the Z channel can be written with its Z."""
    mass, width = (card or card_masses_widths())[23]
    z = Propagator(mass, width)
    return (
        Channel(Topology(final_masses, Decay((0, 1))), (0,), "s-channel photon"),
        Channel(
            Topology(final_masses, Decay((0, 1), z)),
            (1,),
            "s-channel Z",
            (Resonance(23, (0, 1), mass, width),),
        ),
    )


def _qcdgen_diagrams(name: str) -> tuple[str, ...]:
    from ref_me.qcdgen.processes import PROCESSES

    return PROCESSES[name].diagrams


def _reference_channels() -> dict[str, ChannelBuilder]:
    out = {
        "ee_mumu": _photon_and_z,
        "qq_ttx": _s_channel((0,), "s-channel gluon"),
        "gg_ttx": _top_line_channels(GG_TTX_DIAGRAMS),
    }
    try:
        for name in ("gg_ttxg", "gg_ttxgg"):
            out[name] = _top_line_channels(_qcdgen_diagrams(name))
    except (ImportError, KeyError):  # a ref_me without the generated processes
        pass
    return out


#: Channel builders ((final-state masses, masses and widths by PDG id) -> channels) of the
#: reference libraries.
REFERENCE_CHANNELS: Mapping[str, ChannelBuilder] = _reference_channels()
