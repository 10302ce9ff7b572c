"""Channel mappings: one invertible 2 -> n phase-space mapping per diagram topology.

`ChannelMapping(topology, sqrt_s)` composes the blocks of this package following
the paper's recursive decomposition (Sec. 2.2, Eq. 13):

1. the invariants s_j of the s-channel Decay nodes, in the order of Sec. 2.2.7
   (limits from the minimal masses of the tree, Eqs. 46-48), each with the
   mapping its propagator suggests (Breit-Wigner for width > 0, power law with
   exponent nu for massless lines, flat for stable massive ones);
2. for a t-channel root with kappa propagators, the kappa - 1 time-like
   invariants of the remaining clusters, generated inwards (Sec. 2.2.8, Eq. 49)
   with the power law, then kappa 2 -> 2 blocks in (phi, |t|) whose |t| mapping
   has its pole at the exchanged propagator (Eqs. 50-51);
3. the 1 -> 2 (phi, cos theta) and 1 -> 3 decays of every Decay node, top down.

Random numbers are laid out in exactly that order (see `ChannelMapping.layout`).
The weight is the full Jacobian including (2 pi)^(4 - 3n), so its mean over
uniform r is the phase-space volume Phi_n of the paper's Eq. 81.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .errors import BelowThresholdError
from .invariants import (
    DEFAULT_AUX_MASS_SQ,
    DEFAULT_NU,
    InvariantMapping,
    PowerLawInvariant,
    propagator_mapping,
)
from .kinematics import four_vector, mass_squared, namespace
from .luminosity import Luminosity, boost_to_cm, boost_to_lab
from .protocols import Array
from .three_body import ThreeBodyDecay
from .topology import Propagator, TChannel, Topology
from .two_body import TwoBodyDecay, TwoToTwoScattering
from .validation import below_one, check_momenta, check_randoms


@dataclass
class _Node:
    kind: str  # "root", "decay" or "leaf"
    children: list[int]
    parent: int  # -1 for the root
    mass: float = 0.0  # leaf mass (GeV)
    index: int = -1  # leaf: final-state index
    propagator: Propagator | None = None  # decay: its propagator


class ChannelMapping:
    """Invertible 2 -> n phase-space mapping of one diagram topology.

    Parameters
    ----------
    topology:
        The diagram (see `phase_space.topology`); its masses are the final-state
        masses in GeV.
    sqrt_s:
        Partonic centre-of-mass energy in GeV used by `forward`; `forward_at`
        takes a per-event value instead (for hadronic collisions).
    nu:
        Power-law exponent for massless propagators and t-channel clusters.
    aux_mass_sq:
        Auxiliary pole shift (GeV^2) of the power-law mappings.

    `forward(r)` with r of shape (batch, dim) returns momenta of shape
    (batch, 2 + n, 4): the incoming pa, pb along +z / -z in the centre-of-mass
    frame, then the final state in index order, and the weight (GeV^(2n - 4)).
    `inverse(p)` returns (r, 1 / weight). `layout` names the random-number
    columns and `periodic_columns` lists the azimuthal ones.
    """

    def __init__(
        self,
        topology: Topology,
        sqrt_s: float,
        nu: float = DEFAULT_NU,
        aux_mass_sq: float = DEFAULT_AUX_MASS_SQ,
    ) -> None:
        if not isinstance(topology, Topology):
            raise TypeError(
                f"ChannelMapping needs a phase_space.topology.Topology (got {type(topology)})"
            )
        self.topology = topology
        self.sqrt_s = float(sqrt_s)
        self.nu = float(nu)
        self.n = topology.n
        if sum(topology.masses) >= self.sqrt_s:
            raise BelowThresholdError(
                f"sqrt_s = {self.sqrt_s} GeV is not above the final-state threshold "
                f"{sum(topology.masses)} GeV; raise the energy or lower the masses"
            )
        self._nodes: list[_Node] = []
        self._decays_preorder: list[int] = []
        self._s_mappings: dict[int, InvariantMapping] = {}  # decay node -> mapping of its s
        self._build(topology, nu, aux_mass_sq)
        decay_ids = self._decays_preorder
        if topology.s_order is not None:
            self._s_order = [decay_ids[k] for k in topology.s_order]
        else:
            resonant = [i for i in decay_ids if self._is_resonant(i)]
            self._s_order = resonant + [i for i in decay_ids if i not in resonant]
        root = topology.root
        self._t_channel = root if isinstance(root, TChannel) else None
        #: inward generation order of the t-channel chain (Sec. 2.2.8), () without one
        self.t_order = topology.t_order()
        self._exchanged = self._t_channel.exchanged if self._t_channel is not None else ()
        self._cluster_mapping = PowerLawInvariant(0.0, nu, aux_mass_sq)
        self._blocks = self._t_blocks(nu, aux_mass_sq)
        self._two_body = TwoBodyDecay()
        self._three_body = ThreeBodyDecay()
        self.layout = self._layout()
        self.dim = sum(width for _, width in self.layout)
        self.periodic_columns = self._periodic_columns()
        self._flux_factor = (2.0 * math.pi) ** (4 - 3 * self.n)

    # ----------------------------------------------------------------- build
    def _build(self, topology: Topology, nu: float, aux: float) -> None:
        root = topology.root
        self._nodes.append(_Node("root", [], -1))
        top = root.legs if isinstance(root, TChannel) else root.children
        self._nodes[0].children = [self._add(child, 0, nu, aux) for child in top]

    def _add(self, node: Any, parent: int, nu: float, aux: float) -> int:
        node_id = len(self._nodes)
        if isinstance(node, int):
            self._nodes.append(_Node("leaf", [], parent, self.topology.masses[node], node))
            return node_id
        prop = node.propagator
        self._nodes.append(_Node("decay", [], parent, propagator=prop))
        self._s_mappings[node_id] = propagator_mapping(prop.mass, prop.width, nu, False, aux)
        self._decays_preorder.append(node_id)
        self._nodes[node_id].children = [self._add(c, node_id, nu, aux) for c in node.children]
        return node_id

    def _is_resonant(self, node_id: int) -> bool:
        prop = self._nodes[node_id].propagator
        return prop is not None and prop.width > 0.0

    def _t_blocks(self, nu: float, aux: float) -> list[TwoToTwoScattering]:
        """One 2 -> 2 block per generation step, |t| mapped at its exchanged propagator."""
        kappa = len(self._exchanged)
        left, right = 0, kappa
        blocks = []
        for step in range(kappa):
            if step < kappa - 1 and self.t_order[step] == "b":
                prop = self._exchanged[right - 1]
                right -= 1
            else:
                prop = self._exchanged[left]
                left += 1
            t_map = propagator_mapping(prop.mass, prop.width, nu, space_like=True, aux_mass_sq=aux)
            blocks.append(TwoToTwoScattering(t_map))
        return blocks

    def _layout(self) -> list[tuple[str, int]]:
        out = [(f"s[decay {self._decays_preorder.index(i)}]", 1) for i in self._s_order]
        if self._t_channel is not None:
            kappa = len(self._t_channel.legs) - 1
            out += [(f"s[t-channel cluster {i + 1}]", 1) for i in range(kappa - 1)]
            out += [(f"(phi, |t|)[t-channel block {i + 1}]", 2) for i in range(kappa)]
        for node_id in self._decay_order():
            width = 2 if len(self._nodes[node_id].children) == 2 else 5
            name = "root" if node_id == 0 else f"decay {self._decays_preorder.index(node_id)}"
            out.append((f"angles[{name}]", width))
        return out

    def _periodic_columns(self) -> tuple[int, ...]:
        """Columns of r that are azimuthal angles (r = 0 and r = 1 give the same point)."""
        out, start = [], 0
        for name, width in self.layout:
            if name.startswith("(phi, |t|)"):
                out.append(start)
            elif name.startswith("angles"):
                out += [start] if width == 2 else [start + 2, start + 3]
            start += width
        return tuple(out)

    def _decay_order(self) -> list[int]:
        """Nodes whose children are generated by a decay block, parents first."""
        return ([0] if self._t_channel is None else []) + self._decays_preorder

    # ------------------------------------------------------ mass bookkeeping
    def _m_min(self, node_id: int, s: dict[int, Array], xp: Any) -> Array:
        node = self._nodes[node_id]
        if node.kind == "leaf":
            return node.mass
        if node_id in s:
            return xp.sqrt(s[node_id])
        return sum(self._m_min(c, s, xp) for c in node.children)

    def _m_max(self, node_id: int, s: dict[int, Array], xp: Any) -> Array:
        """Eq. 47: the nearest sampled ancestor's mass minus everything branching off."""
        v = node_id
        branching: Array = 0.0
        while True:
            u = self._nodes[v].parent
            for c in self._nodes[u].children:
                if c != v:
                    branching = branching + self._m_min(c, s, xp)
            if u in s:
                return xp.sqrt(s[u]) - branching
            v = u

    def _leg_mass(self, node_id: int, s: dict[int, Array], xp: Any) -> Array:
        node = self._nodes[node_id]
        return node.mass if node.kind == "leaf" else xp.sqrt(s[node_id])

    # --------------------------------------------------------------- forward
    def forward(self, r: Array) -> tuple[Array, Array]:
        """Momenta (batch, 2 + n, 4) in GeV and weights (GeV^(2n-4)) for r (batch, dim)."""
        xp, r = check_randoms(r, self.dim, "ChannelMapping", any_batch_shape=True)
        sqrt_s = xp.full(r.shape[:-1], self.sqrt_s, dtype=xp.float64)
        return self._forward_at(r, sqrt_s)

    def forward_at(self, r: Array, sqrt_s_hat: Array) -> tuple[Array, Array]:
        """Like `forward` at a per-event centre-of-mass energy sqrt_s_hat (batch,) in GeV."""
        _, r = check_randoms(r, self.dim, "ChannelMapping", any_batch_shape=True)
        return self._forward_at(r, sqrt_s_hat)

    def _forward_at(
        self, r: Array, sqrt_s_hat: Array, particle_major: bool = False
    ) -> tuple[Array, Array]:
        """`forward_at` on random numbers already checked; ``particle_major``: the momenta
        are a view of a (2 + n, batch, 4) array (the same values)."""
        xp = namespace(r, sqrt_s_hat)
        cursor = 0

        def take(width: int) -> Array:
            nonlocal cursor
            cursor += width
            return r[..., cursor - width : cursor]

        weight = xp.ones_like(sqrt_s_hat)
        s: dict[int, Array] = {0: sqrt_s_hat * sqrt_s_hat}

        for node_id in self._s_order:
            s_min = self._m_min_unsampled(node_id, s, xp) ** 2
            s_max = self._m_max(node_id, s, xp) ** 2
            x, w = self._s_mappings[node_id].forward(take(1)[..., 0], s_min, s_max)
            s[node_id] = x
            weight = weight * w

        zero = xp.zeros_like(sqrt_s_hat)
        half = 0.5 * sqrt_s_hat
        p_in = [four_vector(half, zero, zero, half), four_vector(half, zero, zero, -half)]
        # incoming legs of the next 2 -> 2 block; they turn space-like as legs are peeled
        leg_a, leg_b = p_in
        mom: dict[int, Array] = {}

        if self._t_channel is not None:
            legs = self._nodes[0].children
            kappa = len(legs) - 1
            order = self.t_order
            cluster_s: list[Array] = []
            s_prev = s[0]
            left, right = 0, kappa
            for step in range(kappa - 1):
                if order[step] == "a":
                    peeled, left = legs[left], left + 1
                else:
                    peeled, right = legs[right], right - 1
                rest = sum(self._leg_mass(legs[k], s, xp) for k in range(left, right + 1))
                s_min = rest**2 + zero
                s_max = (xp.sqrt(s_prev) - self._leg_mass(peeled, s, xp)) ** 2
                x, w = self._cluster_mapping.forward(take(1)[..., 0], s_min, s_max)
                cluster_s.append(x)
                weight = weight * w
                s_prev = x
            left, right = 0, kappa
            for step in range(kappa):
                rr = take(2)
                block = self._blocks[step]
                if step == kappa - 1:
                    m1 = self._leg_mass(legs[left], s, xp)
                    m2 = self._leg_mass(legs[right], s, xp)
                    # a single block scatters the beams themselves, in their CM frame
                    p1, p2, w = block.forward(rr, leg_a, leg_b, m1, m2, cm_frame=kappa == 1)
                    mom[legs[left]], mom[legs[right]] = p1, p2
                elif order[step] == "a":
                    m1 = self._leg_mass(legs[left], s, xp)
                    p1, p2, w = block.forward(rr, leg_a, leg_b, m1, xp.sqrt(cluster_s[step]))
                    mom[legs[left]] = p1
                    leg_a = leg_a - p1
                    left += 1
                else:
                    m2 = self._leg_mass(legs[right], s, xp)
                    p1, p2, w = block.forward(rr, leg_a, leg_b, xp.sqrt(cluster_s[step]), m2)
                    mom[legs[right]] = p2
                    leg_b = leg_b - p2
                    right -= 1
                weight = weight * w
        else:
            mom[0] = four_vector(sqrt_s_hat, zero, zero, zero)

        for node_id in self._decay_order():
            node = self._nodes[node_id]
            width = 2 if len(node.children) == 2 else 5
            rr = take(width)
            masses = [self._leg_mass(c, s, xp) for c in node.children]
            if width == 2:
                *daughters, w = self._two_body.forward(rr, mom[node_id], *masses)
            else:
                *daughters, w = self._three_body.forward(rr, mom[node_id], *masses)
            for c, p in zip(node.children, daughters, strict=True):
                mom[c] = p
            weight = weight * w

        final = [None] * self.n
        for node_id, node in enumerate(self._nodes):
            if node.kind == "leaf":
                final[node.index] = mom[node_id]
        if not particle_major:
            return xp.stack(p_in + final, axis=-2), weight * self._flux_factor
        # particle-major memory (the (batch, 2 + n, 4) result is a view), so that
        # boost_to_lab writes the lab momenta in UMAMI's batch-contiguous layout
        by_particle = xp.stack(p_in + final, axis=0)
        batch_axes = tuple(range(1, by_particle.ndim - 1))
        return (
            xp.permute_dims(by_particle, (*batch_axes, 0, by_particle.ndim - 1)),
            weight * self._flux_factor,
        )

    def _m_min_unsampled(self, node_id: int, s: dict[int, Array], xp: Any) -> Array:
        return sum(self._m_min(c, s, xp) for c in self._nodes[node_id].children)

    # --------------------------------------------------------------- inverse
    def inverse(self, p: Array) -> tuple[Array, Array]:
        """Random numbers (batch, dim) and 1 / weight for momenta p (batch, 2 + n, 4) in GeV.

        p must be in the centre-of-mass frame of pa + pb (as `forward` returns it);
        the energy is taken from the momenta, so this also inverts `forward_at`.
        """
        xp, p = check_momenta(p, self.n, "ChannelMapping", any_batch_shape=True)
        pa, pb = p[..., 0, :], p[..., 1, :]
        mom: dict[int, Array] = {}
        for node_id, node in enumerate(self._nodes):
            if node.kind == "leaf":
                mom[node_id] = p[..., 2 + node.index, :]
        for node_id in reversed(self._decays_preorder):
            children = self._nodes[node_id].children
            mom[node_id] = _sum(mom[c] for c in children)
        s_all = {i: mass_squared(mom[i]) for i in self._decays_preorder}
        s: dict[int, Array] = {0: mass_squared(pa + pb)}
        cols: list[Array] = []
        w_inv = xp.ones_like(s[0])

        for node_id in self._s_order:
            s_min = self._m_min_unsampled(node_id, s, xp) ** 2
            s_max = self._m_max(node_id, s, xp) ** 2
            # rounding can put an invariant rebuilt from momenta just outside its range
            x = xp.minimum(xp.maximum(s_all[node_id], s_min + xp.zeros_like(s[0])), s_max)
            ri, wi = self._s_mappings[node_id].inverse(x, s_min, s_max)
            cols.append(ri)
            s[node_id] = x
            w_inv = w_inv * wi

        if self._t_channel is not None:
            legs = self._nodes[0].children
            kappa = len(legs) - 1
            order = self.t_order
            zero = xp.zeros_like(s[0])
            cluster_s: list[Array] = []
            s_prev = s[0]
            left, right = 0, kappa
            for step in range(kappa - 1):
                if order[step] == "a":
                    peeled, left = legs[left], left + 1
                else:
                    peeled, right = legs[right], right - 1
                x = mass_squared(_sum(mom[legs[k]] for k in range(left, right + 1)))
                rest = sum(self._leg_mass(legs[k], s, xp) for k in range(left, right + 1))
                s_max = (xp.sqrt(s_prev) - self._leg_mass(peeled, s, xp)) ** 2
                x = xp.minimum(xp.maximum(x, rest**2 + zero), s_max)
                ri, wi = self._cluster_mapping.inverse(x, rest**2 + zero, s_max)
                cols.append(ri)
                cluster_s.append(x)
                w_inv = w_inv * wi
                s_prev = x
            left, right = 0, kappa
            for step in range(kappa):
                block = self._blocks[step]
                if step == kappa - 1:
                    p1, p2 = mom[legs[left]], mom[legs[right]]
                    m1, m2 = self._leg_mass(legs[left], s, xp), self._leg_mass(legs[right], s, xp)
                elif order[step] == "a":
                    p1 = mom[legs[left]]
                    p2 = _sum(mom[legs[k]] for k in range(left + 1, right + 1))
                    m1, m2 = self._leg_mass(legs[left], s, xp), xp.sqrt(cluster_s[step])
                else:
                    p1 = _sum(mom[legs[k]] for k in range(left, right))
                    p2 = mom[legs[right]]
                    m1, m2 = xp.sqrt(cluster_s[step]), self._leg_mass(legs[right], s, xp)
                rr, wi = block.inverse(p1, p2, pa, pb, m1, m2, cm_frame=kappa == 1)
                cols += [rr[..., 0], rr[..., 1]]
                w_inv = w_inv * wi
                if step < kappa - 1 and order[step] == "a":
                    pa = pa - p1
                    left += 1
                elif step < kappa - 1:
                    pb = pb - p2
                    right -= 1
        else:
            mom[0] = pa + pb

        for node_id in self._decay_order():
            node = self._nodes[node_id]
            daughters = [mom[c] for c in node.children]
            if len(daughters) == 2:
                rr, wi = self._two_body.inverse(*daughters)
            else:
                masses = [self._leg_mass(c, s, xp) for c in node.children]
                rr, wi = self._three_body.inverse(*daughters, *masses)
            cols += [rr[..., k] for k in range(rr.shape[-1])]
            w_inv = w_inv * wi
        return below_one(xp, xp.stack(cols, axis=-1)), w_inv / self._flux_factor


def _sum(arrays: Any) -> Array:
    it = iter(arrays)
    total = next(it)
    for a in it:
        total = total + a
    return total


class HadronicChannelMapping:
    """A channel mapping composed with a `Luminosity`, returning lab-frame momenta.

    Random numbers: the luminosity's (s-hat, x1) first, then the channel's.
    forward(r) -> (p_lab (batch, 2 + n, 4), w) with w the product of the
    luminosity weight (dx1 dx2) and the channel's phase-space weight at the
    sampled s-hat; inverse(p_lab) -> (r, 1 / w), reading x1, x2 off the incoming
    momenta. Parameters as for ChannelMapping, plus the luminosity, whose
    s_hat_min must lie above the final-state threshold.
    """

    def __init__(
        self,
        topology: Topology,
        luminosity: Luminosity,
        nu: float = DEFAULT_NU,
        aux_mass_sq: float = DEFAULT_AUX_MASS_SQ,
    ) -> None:
        threshold = sum(topology.masses) ** 2
        if luminosity.s_hat_min <= threshold and not luminosity.lepton:
            raise BelowThresholdError(
                f"luminosity.s_hat_min = {luminosity.s_hat_min} GeV^2 must exceed the squared "
                f"final-state threshold {threshold} GeV^2; pass s_hat_min to Luminosity"
            )
        self.luminosity = luminosity
        self.channel = ChannelMapping(topology, luminosity.sqrt_s, nu, aux_mass_sq)
        self.n = topology.n
        self.dim = luminosity.dim + self.channel.dim

    def forward(self, r: Array) -> tuple[Array, Array]:
        """Lab-frame momenta (batch, 2 + n, 4) in GeV and the weight."""
        xp, r = check_randoms(r, self.dim, "HadronicChannelMapping", any_batch_shape=True)
        k = self.luminosity.dim
        x, w_lumi = self.luminosity._forward(xp, r[..., :k])
        sqrt_s_hat = xp.sqrt(self.luminosity.s_hat(x))
        p_cm, w = self.channel._forward_at(r[..., k:], sqrt_s_hat, particle_major=True)
        return boost_to_lab(p_cm, x), w * w_lumi

    def inverse(self, p_lab: Array) -> tuple[Array, Array]:
        """Random numbers (batch, dim) and 1 / weight for lab-frame momenta (batch, 2 + n, 4)."""
        xp, p_lab = check_momenta(p_lab, self.n, "HadronicChannelMapping", any_batch_shape=True)
        x = self.luminosity.fractions(p_lab)
        if self.luminosity.lepton:
            x = xp.ones_like(x)
        r_lumi, w_inv_lumi = self.luminosity.inverse(x)
        r_channel, w_inv = self.channel.inverse(boost_to_cm(p_lab, x))
        return xp.concat([r_lumi, r_channel], axis=-1), w_inv * w_inv_lumi
