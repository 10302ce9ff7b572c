"""A small, hand-writable description of a tree-level 2 -> n diagram topology.

A diagram is a tree whose root is either

- `TChannel(legs, propagators)`: a chain of space-like propagators between the
  incoming legs a (left) and b (right), with the outgoing legs attached in order
  from the a side to the b side (a multi-peripheral ladder); or
- `Decay(children, propagator)`: the s-channel root, i.e. the incoming pair
  annihilates into one propagator (s-hat) that decays.

Every leg (child) is either an int, the index of a final-state particle, or a
`Decay` node, an s-channel propagator decaying into 2 or 3 children. Masses
and widths are in GeV. Example, g g -> t t~ with t -> b W+ (W+ -> l+ nu) and
the conjugate decay, via t-channel top exchange (final state: b l+ nu b~ l- nu~):

    W = Propagator(80.4, 2.1); T = Propagator(173.0, 1.5)
    Topology(
        masses=(4.7, 0, 0, 4.7, 0, 0),
        root=TChannel(legs=(Decay((0, Decay((1, 2), W)), T),
                            Decay((3, Decay((4, 5), W)), T)),
                      propagators=(Propagator(173.0),)),
    )
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import TopologyError


@dataclass(frozen=True)
class Propagator:
    """An internal line: mass and width in GeV (width 0: stable / no Breit-Wigner)."""

    mass: float = 0.0
    width: float = 0.0

    def __post_init__(self) -> None:
        if self.mass < 0.0 or self.width < 0.0:
            raise TopologyError(
                f"Propagator mass and width must be >= 0 GeV (got mass={self.mass}, "
                f"width={self.width})"
            )


@dataclass(frozen=True)
class Decay:
    """An s-channel propagator decaying into 2 or 3 children (ints or Decay nodes)."""

    children: tuple[Node, ...]
    propagator: Propagator = field(default_factory=Propagator)

    def __post_init__(self) -> None:
        object.__setattr__(self, "children", tuple(self.children))
        if len(self.children) not in (2, 3):
            raise TopologyError(
                f"a Decay needs 2 or 3 children (got {len(self.children)}); nest Decay "
                "nodes to describe a longer cascade"
            )


@dataclass(frozen=True)
class TChannel:
    """A t-channel chain: legs ordered from incoming leg a to leg b.

    propagators[k] is the space-like line between legs[k] and legs[k + 1], so
    there are kappa = len(legs) - 1 of them. `order` optionally fixes the
    inward generation order of Sec. 2.2.8: a sequence of kappa - 1 letters,
    'a' to peel the outermost remaining leg on the a side, 'b' on the b side
    (default: all 'a').
    """

    legs: tuple[Node, ...]
    propagators: tuple[Propagator, ...] | None = None
    order: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "legs", tuple(self.legs))
        kappa = len(self.legs) - 1
        if kappa < 1:
            raise TopologyError(f"a TChannel needs at least 2 legs (got {len(self.legs)})")
        props = self.propagators
        if props is None:
            props = tuple(Propagator() for _ in range(kappa))
        props = tuple(props)
        if len(props) != kappa:
            raise TopologyError(
                f"a TChannel with {len(self.legs)} legs has {kappa} propagators (got {len(props)})"
            )
        object.__setattr__(self, "propagators", props)
        order = tuple(self.order) if self.order is not None else ("a",) * (kappa - 1)
        if len(order) != kappa - 1 or any(side not in ("a", "b") for side in order):
            raise TopologyError(
                f"TChannel.order must be {kappa - 1} letters 'a'/'b' (got {self.order!r})"
            )
        object.__setattr__(self, "order", order)


Node = int | Decay


@dataclass(frozen=True)
class Topology:
    """A diagram: final-state masses (GeV, particle i at index i) and the root node.

    `s_order` optionally fixes the order in which the invariants of the Decay
    nodes below the root are sampled (Sec. 2.2.7), as indices into
    `decay_nodes()` (pre-order); by default resonances (width > 0) come first,
    then the others, each in pre-order.
    """

    masses: tuple[float, ...]
    root: TChannel | Decay
    s_order: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "masses", tuple(float(m) for m in self.masses))
        if any(m < 0.0 for m in self.masses):
            raise TopologyError(f"final-state masses must be >= 0 GeV (got {self.masses})")
        seen = sorted(self.leaves())
        if seen != list(range(len(self.masses))):
            raise TopologyError(
                f"the diagram must use every final-state index 0..{len(self.masses) - 1} "
                f"exactly once (got {seen})"
            )
        n_decays = len(self.decay_nodes())
        if self.s_order is not None:
            order = tuple(self.s_order)
            if sorted(order) != list(range(n_decays)):
                raise TopologyError(
                    f"s_order must be a permutation of 0..{n_decays - 1} (got {order})"
                )
            object.__setattr__(self, "s_order", order)

    @property
    def n(self) -> int:
        """Number of final-state particles."""
        return len(self.masses)

    def leaves(self) -> list[int]:
        """Final-state indices in the order they appear in the tree."""
        out: list[int] = []

        def walk(node: Node | TChannel) -> None:
            if isinstance(node, int):
                out.append(node)
            else:
                for child in node.legs if isinstance(node, TChannel) else node.children:
                    walk(child)

        walk(self.root)
        return out

    def decay_nodes(self) -> list[Decay]:
        """The Decay nodes below the root (their invariants are sampled), in pre-order."""
        out: list[Decay] = []

        def walk(node: Node) -> None:
            if isinstance(node, Decay):
                out.append(node)
                for child in node.children:
                    walk(child)

        top = self.root.legs if isinstance(self.root, TChannel) else self.root.children
        for child in top:
            walk(child)
        return out

    @classmethod
    def multi_peripheral(
        cls,
        masses: tuple[float, ...] | list[float],
        propagators: tuple[Propagator, ...] | None = None,
    ) -> Topology:
        """Pure t-channel ladder (e.g. g g -> n g) with the particles in index order."""
        return cls(tuple(masses), TChannel(tuple(range(len(masses))), propagators))

    @classmethod
    def s_channel_chain(cls, masses: tuple[float, ...] | list[float]) -> Topology:
        """Pure s-channel cascade ((((0 1) 2) 3) ...), massless propagators."""
        if len(masses) < 2:
            raise TopologyError("an s-channel topology needs at least 2 final-state particles")
        node = Decay((0, 1))
        for i in range(2, len(masses)):
            node = Decay((node, i))
        return cls(tuple(masses), node)
