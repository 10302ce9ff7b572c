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

from collections.abc import Sequence
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
    there are kappa = len(legs) - 1 of them (default: massless). `order` optionally
    fixes the inward generation order of Sec. 2.2.8: a sequence of kappa - 1 letters,
    'a' to peel the outermost remaining leg on the a side, 'b' on the b side. None
    (the default) leaves the choice to `default_t_order`, which needs the final-state
    masses and is applied by `Topology.t_order`.
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
        if self.order is None:
            return
        order = tuple(self.order)
        if len(order) != kappa - 1 or any(side not in ("a", "b") for side in order):
            raise TopologyError(
                f"TChannel.order must be {kappa - 1} letters 'a'/'b' (got {self.order!r})"
            )
        object.__setattr__(self, "order", order)

    @property
    def exchanged(self) -> tuple[Propagator, ...]:
        """The kappa space-like propagators, massless where none were given."""
        return self.propagators or ()


def mass_estimate(node: Node, masses: Sequence[float]) -> float:
    """The mass (GeV) a leg carries into the t-channel chain, before any invariant is drawn.

    A final-state particle has its mass; a Decay node the larger of its propagator
    mass (where it peaks) and the sum of its children's estimates (its threshold).
    """
    if isinstance(node, int):
        return float(masses[node])
    threshold = sum(mass_estimate(child, masses) for child in node.children)
    return max(node.propagator.mass, threshold)


def default_t_order(chain: TChannel, masses: Sequence[float]) -> tuple[str, ...]:
    """The inward generation order of a t-channel chain when none is given (Sec. 2.2.8).

    The paper (following MadGraph) generates the most singular propagators first. At
    each inward step the candidates are the outermost remaining exchange on the a side,
    `propagators[left]` (peeling `legs[left]`), and on the b side,
    `propagators[right - 1]` (peeling `legs[right]`). The lighter exchanged propagator
    is the more singular one (its |t| pole at -m^2 lies closest to the physical range);
    between equal propagators the lighter peeled leg is (a massless leg reaches t -> 0,
    the collinear limit); full ties peel the a side.

    Args:
        chain: the t-channel chain.
        masses: final-state masses (GeV), indexed by the chain's leaves.

    Returns:
        kappa - 1 letters 'a' / 'b', as `TChannel.order` takes them.
    """
    props = chain.exchanged
    left, right = 0, len(chain.legs) - 1
    order = []
    for _ in range(len(chain.legs) - 2):
        key_a = (props[left].mass, mass_estimate(chain.legs[left], masses))
        key_b = (props[right - 1].mass, mass_estimate(chain.legs[right], masses))
        if key_b < key_a:
            order.append("b")
            right -= 1
        else:
            order.append("a")
            left += 1
    return tuple(order)


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

    def t_order(self) -> tuple[str, ...]:
        """The inward generation order of the t-channel root (() for an s-channel root).

        `TChannel.order` where given, otherwise `default_t_order` with these masses.
        """
        root = self.root
        if not isinstance(root, TChannel):
            return ()
        if root.order is not None:
            return root.order
        return default_t_order(root, self.masses)

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
