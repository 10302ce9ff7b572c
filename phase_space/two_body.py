"""Two-particle phase-space blocks (paper Secs. 2.2.3-2.2.5).

Three parametrisations of the same two-body phase space dPhi_2, each a block of
dimension 2 that acts on whole batches of momenta (..., 4) in GeV:

- `TwoBodyDecay`: p0 -> p1 p2 in (phi, cos theta) of p1 in the p0 rest frame (Eqs. 24-26).
- `TwoToTwoScattering`: pa pb -> p1 p2 in (phi, |t|), t = (pa - p1)^2 (Eqs. 27-30).
- `DoubleInvariantBlock`: P_i -> p_i P_{i-1} in (s~_i, |t_{i-1}|) with the recoil
  p_{i+1} fixing the orientation (Eqs. 31-38).

Weights are the Jacobians of the block without the (2 pi) factors of the full
phase space (as in the paper, Eq. 13): w = dPhi_2 / (dr_1 dr_2) with
dPhi_2 = sqrt(lambda) / (8 m0^2) dcos(theta) dphi, so the mean weight of each
block is the two-body volume pi sqrt(lambda(m0^2, m1^2, m2^2)) / (2 m0^2).
Masses may be Python floats or arrays broadcasting against the batch.
"""

from __future__ import annotations

import math
from typing import Any

from .invariants import DEFAULT_NU, PowerLawInvariant
from .kinematics import (
    TWO_PI,
    boost_from_rest,
    boost_to_rest,
    broadcast_like,
    direction_angles,
    four_vector,
    kallen,
    mass_squared,
    momentum_abs,
    namespace,
    rotate_from_z,
    rotate_to_z,
)
from .protocols import Array, InvariantMapping


def two_body_volume(m0: Array, m1: Array, m2: Array) -> Array:
    """Volume of dPhi_2 without (2 pi) factors: pi sqrt(lambda(m0^2, m1^2, m2^2)) / (2 m0^2)."""
    arrays = [v for v in (m0, m1, m2) if not isinstance(v, (int, float))]
    lam = kallen(m0 * m0, m1 * m1, m2 * m2)
    if not arrays:
        return math.pi * math.sqrt(max(lam, 0.0)) / (2.0 * m0 * m0)
    xp = namespace(*arrays)
    return math.pi * xp.sqrt(xp.clip(lam, min=0.0)) / (2.0 * m0 * m0)


def _sqrt0(xp: Any, x: Array) -> Array:
    return xp.sqrt(xp.clip(x, min=0.0))


def _daughters_at_rest(
    xp: Any, m0: Array, m1sq: Array, m2sq: Array, cos_theta: Array, phi: Array
) -> tuple[Array, Array, Array]:
    """Back-to-back daughters in the parent rest frame; p1 along (theta, phi)."""
    m0sq = m0 * m0
    p_abs = _sqrt0(xp, kallen(m0sq, m1sq, m2sq)) / (2.0 * m0)
    sin_theta = _sqrt0(xp, 1.0 - cos_theta * cos_theta)
    px = p_abs * sin_theta * xp.cos(phi)
    py = p_abs * sin_theta * xp.sin(phi)
    pz = p_abs * cos_theta
    e1 = (m0sq + m1sq - m2sq) / (2.0 * m0)
    e2 = (m0sq + m2sq - m1sq) / (2.0 * m0)
    return four_vector(e1, px, py, pz), four_vector(e2, -px, -py, -pz), p_abs


class TwoBodyDecay:
    """1 -> 2 decay in (phi, cos theta) of p1 in the p0 rest frame (Eqs. 24-26).

    r[..., 0] -> phi = 2 pi r, r[..., 1] -> cos theta = 2 r - 1. The rest frame
    is reached by the rotation-free boost along p0, so angles are measured
    against the axes of the frame p0 is given in.
    """

    dim = 2
    #: columns of r that are angles (r = 0 and r = 1 are the same point)
    periodic = (0,)

    def forward(self, r: Array, p0: Array, m1: Array, m2: Array) -> tuple[Array, Array, Array]:
        """Daughters p1, p2 (..., 4) of parent p0 (GeV) with masses m1, m2 (GeV), and w.

        w = sqrt(lambda(m0^2, m1^2, m2^2)) / (8 m0^2) * 4 pi (dimensionless).
        """
        xp = namespace(r, p0)
        m0 = xp.sqrt(mass_squared(p0))
        m1sq = broadcast_like(xp, m1, m0) ** 2
        m2sq = broadcast_like(xp, m2, m0) ** 2
        phi = TWO_PI * r[..., 0]
        cos_theta = 2.0 * r[..., 1] - 1.0
        q1, q2, p_abs = _daughters_at_rest(xp, m0, m1sq, m2sq, cos_theta, phi)
        w = math.pi * p_abs / m0
        return boost_from_rest(q1, p0), boost_from_rest(q2, p0), w

    def inverse(self, p1: Array, p2: Array) -> tuple[Array, Array]:
        """Random numbers (..., 2) and 1/w for daughters p1, p2 (GeV)."""
        xp = namespace(p1, p2)
        p0 = p1 + p2
        m0 = xp.sqrt(mass_squared(p0))
        q1 = boost_to_rest(p1, p0)
        cos_theta, phi = direction_angles(q1)
        p_abs = momentum_abs(q1)
        r = xp.stack([phi / TWO_PI, 0.5 * (cos_theta + 1.0)], axis=-1)
        return r, m0 / (math.pi * p_abs)


class TwoToTwoScattering:
    """2 -> 2 block pa pb -> p1 p2 in (phi, |t|) with t = (pa - p1)^2 (Eqs. 27-30).

    r[..., 0] -> phi = 2 pi r (azimuth of p1 around pa in the pa + pb rest frame);
    r[..., 1] -> |t| = G(r) between -t_max and -t_min (Eq. 28 at cos theta = +-1)
    using `t_mapping` (default: power law, nu = 0.8, pole at |t| = -m_prop^2 = 0).
    pa and pb may be off shell, also space-like (pa^2 < 0) as in t-channel chains.

    Parameters: t_mapping (an invariant mapping for |t| in GeV^2), or nu (the
    power-law exponent) to use with the default.
    """

    dim = 2
    #: columns of r that are angles (r = 0 and r = 1 are the same point)
    periodic = (0,)

    def __init__(self, t_mapping: InvariantMapping | None = None, nu: float = DEFAULT_NU) -> None:
        self.t_mapping = t_mapping if t_mapping is not None else PowerLawInvariant(0.0, nu)

    @staticmethod
    def _frame(xp: Any, pa: Array, pb: Array, m1sq: Array, m2sq: Array, angles: bool = True):
        p0 = pa + pb
        m0sq = mass_squared(p0)
        m0 = xp.sqrt(m0sq)
        masq, mbsq = mass_squared(pa), mass_squared(pb)
        lam_ab = kallen(m0sq, masq, mbsq)
        lam_12 = kallen(m0sq, m1sq, m2sq)
        root = _sqrt0(xp, lam_ab * lam_12)
        # t at cos theta = +1 (t_max, smallest |t|) and the |t| span up to cos theta = -1
        t_max = masq + m1sq - ((m0sq + masq - mbsq) * (m0sq + m1sq - m2sq) - root) / (2.0 * m0sq)
        t_span = root / m0sq
        if not angles:
            return p0, m0, lam_ab, t_max, t_span, None, None
        cos_a, phi_a = direction_angles(boost_to_rest(pa, p0))
        return p0, m0, lam_ab, t_max, t_span, cos_a, phi_a

    def t_range(self, pa: Array, pb: Array, m1: Array, m2: Array) -> tuple[Array, Array]:
        """(t_min, t_max) in GeV^2 for outgoing masses m1, m2 (GeV), Eq. 28 at cos theta = -+1."""
        xp = namespace(pa, pb)
        like = pa[..., 0]
        m1sq, m2sq = broadcast_like(xp, m1, like) ** 2, broadcast_like(xp, m2, like) ** 2
        *_, t_max, t_span, _, _ = self._frame(xp, pa, pb, m1sq, m2sq)
        return t_max - t_span, t_max

    def forward(
        self, r: Array, pa: Array, pb: Array, m1: Array, m2: Array, cm_frame: bool = False
    ) -> tuple[Array, Array, Array]:
        """Outgoing p1, p2 (..., 4) (GeV) and w = 2 pi (d|t|/dr) / (4 sqrt(lambda(m0^2, ma^2, mb^2))).

        ``cm_frame``: the caller guarantees that pa + pb is at rest and pa points along +z
        (incoming beams in their centre-of-mass frame); the rotation and the boost into
        that frame are then the identity and are skipped (same momenta to rounding).
        """
        xp = namespace(r, pa, pb)
        like = pa[..., 0]
        m1sq, m2sq = broadcast_like(xp, m1, like) ** 2, broadcast_like(xp, m2, like) ** 2
        p0, m0, lam_ab, t_max, t_span, cos_a, phi_a = self._frame(
            xp, pa, pb, m1sq, m2sq, angles=not cm_frame
        )
        abs_t_min = -t_max
        abs_t, w_t = self.t_mapping.forward(r[..., 1], abs_t_min, abs_t_min + t_span)
        # cos theta measured from the lower end of |t| keeps it accurate near +1
        # at threshold the |t| range closes (t_span = 0) and any direction is the same point
        safe_span = xp.where(t_span > 0.0, t_span, xp.ones_like(t_span))
        cos_theta = xp.clip(1.0 - 2.0 * (abs_t - abs_t_min) / safe_span, min=-1.0, max=1.0)
        phi = TWO_PI * r[..., 0]
        q1, q2, _ = _daughters_at_rest(xp, m0, m1sq, m2sq, cos_theta, phi)
        w = TWO_PI * w_t / (4.0 * xp.sqrt(lam_ab))
        if cm_frame:
            return q1, q2, w
        p1 = boost_from_rest(rotate_from_z(q1, cos_a, phi_a), p0)
        p2 = boost_from_rest(rotate_from_z(q2, cos_a, phi_a), p0)
        return p1, p2, w

    def inverse(
        self,
        p1: Array,
        p2: Array,
        pa: Array,
        pb: Array,
        m1: Array | None = None,
        m2: Array | None = None,
        cm_frame: bool = False,
    ) -> tuple[Array, Array]:
        """Random numbers (..., 2) and 1/w for p1, p2 produced from pa, pb.

        m1, m2 (GeV) default to the masses of p1, p2; pass the nominal masses of
        on-shell particles to avoid rounding in p^2. ``cm_frame`` as in `forward` (the
        same flag must be used both ways: along the beam axis the azimuth of pa is
        undefined, so only the skipped rotation is a consistent convention there).
        """
        xp = namespace(p1, p2, pa, pb)
        like = pa[..., 0]
        m1sq = (
            broadcast_like(xp, m1, like) ** 2
            if m1 is not None
            else xp.clip(mass_squared(p1), min=0.0)
        )
        m2sq = (
            broadcast_like(xp, m2, like) ** 2
            if m2 is not None
            else xp.clip(mass_squared(p2), min=0.0)
        )
        p0, _, lam_ab, t_max, t_span, cos_a, phi_a = self._frame(
            xp, pa, pb, m1sq, m2sq, angles=not cm_frame
        )
        q1 = p1 if cm_frame else rotate_to_z(boost_to_rest(p1, p0), cos_a, phi_a)
        cos_theta, phi = direction_angles(q1)
        abs_t_min = -t_max
        abs_t = abs_t_min + 0.5 * (1.0 - cos_theta) * t_span
        r_t, w_inv_t = self.t_mapping.inverse(abs_t, abs_t_min, abs_t_min + t_span)
        r = xp.stack([phi / TWO_PI, r_t], axis=-1)
        return r, w_inv_t * 4.0 * xp.sqrt(lam_ab) / TWO_PI


class DoubleInvariantBlock:
    """Two-body block in the invariants (s~_i, |t_{i-1}|) (paper Sec. 2.2.5, Eqs. 31-38).

    Resolves a cluster P_i (invariant mass^2 s_i) into an on-shell p_i (mass m_i)
    and the downstream cluster P_{i-1} (mass^2 s_{i-1}), given the incoming pa and
    the recoil p_{i+1}:

        t_{i-1} = (pa - P_{i-1})^2,    s~_i = (p_i + p_{i+1})^2.

    |t_{i-1}| is sampled by `t_mapping` (default power law nu = 0.8) between its
    limits (Eq. 34 at cos theta = +-1) and s~_i uniformly between its limits at
    that t (Eq. 35 at phi = 0, pi), as in Eq. 38. For fixed (s~, t) there are two
    mirror configurations (phi and 2 pi - phi about the plane of pa and p_{i+1});
    to stay a bijection the s~ random number also carries that sign:
    r_s in [0, 1/2) -> phi in [0, pi], r_s in [1/2, 1) -> phi in [pi, 2 pi),
    with s~ linear in r_s on each half. The weight is the exact Jacobian
    w = (d|t|/dr_t) / (2 sqrt(s_i) |pa| |sin phi|), |pa| in the P_i rest frame,
    which equals (s~_max - s~_min) (d|t|/dr_t) / (8 sqrt(-Delta_4)) with the Gram
    determinant of Eq. 33: the paper's density sums both mirror configurations.
    Its variance is (logarithmically) infinite at phi -> 0, pi, as for any flat
    s~ sampling.
    """

    dim = 2
    #: r_s = 0 and r_s -> 1 both give phi = 0 (mod 2 pi)
    periodic = (0,)

    def __init__(self, t_mapping: InvariantMapping | None = None, nu: float = DEFAULT_NU) -> None:
        self.t_mapping = t_mapping if t_mapping is not None else PowerLawInvariant(0.0, nu)

    @staticmethod
    def _frame(xp: Any, p_cluster: Array, pa: Array, p_next: Array, mi_sq: Array, s_prev: Array):
        s_i = mass_squared(p_cluster)
        root_s = xp.sqrt(s_i)
        qa = boost_to_rest(pa, p_cluster)
        cos_a, phi_a = direction_angles(qa)
        qn = rotate_to_z(boost_to_rest(p_next, p_cluster), cos_a, phi_a)
        _, phi_n = direction_angles(qn)
        masq = mass_squared(pa)
        pa_abs = momentum_abs(qa)
        ea = qa[..., 0]
        big_p = _sqrt0(xp, kallen(s_i, s_prev, mi_sq)) / (2.0 * root_s)
        e_big = (s_i + s_prev - mi_sq) / (2.0 * root_s)
        t_max = masq + s_prev - 2.0 * (ea * e_big - pa_abs * big_p)
        t_span = 4.0 * pa_abs * big_p
        return root_s, cos_a, phi_a, phi_n, pa_abs, t_max, t_span

    def forward(
        self, r: Array, p_cluster: Array, pa: Array, p_next: Array, m_i: Array, s_prev: Array
    ) -> tuple[Array, Array, Array]:
        """p_i and P_{i-1} (..., 4) (GeV) and the weight (dimensionless).

        r[..., 0] -> s~_i (with the mirror sign), r[..., 1] -> |t_{i-1}|;
        m_i in GeV, s_prev = s_{i-1} in GeV^2.
        """
        xp = namespace(r, p_cluster, pa, p_next)
        like = p_cluster[..., 0]
        mi_sq = broadcast_like(xp, m_i, like) ** 2
        s_prev = broadcast_like(xp, s_prev, like)
        root_s, cos_a, phi_a, phi_n, pa_abs, t_max, t_span = self._frame(
            xp, p_cluster, pa, p_next, mi_sq, s_prev
        )
        abs_t_min = -t_max
        abs_t, w_t = self.t_mapping.forward(r[..., 1], abs_t_min, abs_t_min + t_span)
        # at threshold the |t| range closes (t_span = 0) and any direction is the same point
        safe_span = xp.where(t_span > 0.0, t_span, xp.ones_like(t_span))
        cos_theta = xp.clip(1.0 - 2.0 * (abs_t - abs_t_min) / safe_span, min=-1.0, max=1.0)
        upper = r[..., 0] < 0.5
        u = xp.where(upper, 2.0 * r[..., 0], 2.0 - 2.0 * r[..., 0])
        half_angle = xp.acos(xp.clip(1.0 - 2.0 * u, min=-1.0, max=1.0))
        phi = xp.where(upper, half_angle, TWO_PI - half_angle)
        q_prev, q_i, _ = _daughters_at_rest(xp, root_s, s_prev, mi_sq, cos_theta, phi)

        def to_frame(q: Array) -> Array:
            one = xp.ones_like(phi_n)
            return boost_from_rest(
                rotate_from_z(rotate_from_z(q, one, phi_n), cos_a, phi_a), p_cluster
            )

        sin_phi = 2.0 * xp.sqrt(u * (1.0 - u))
        w = w_t / (2.0 * root_s * pa_abs * sin_phi)
        return to_frame(q_i), to_frame(q_prev), w

    def inverse(
        self, p_i: Array, p_prev: Array, pa: Array, p_next: Array, m_i: Array | None = None
    ) -> tuple[Array, Array]:
        """Random numbers (..., 2) and 1/w for p_i, P_{i-1} given pa and the recoil p_{i+1}."""
        xp = namespace(p_i, p_prev, pa, p_next)
        p_cluster = p_i + p_prev
        like = p_cluster[..., 0]
        mi_sq = (
            broadcast_like(xp, m_i, like) ** 2
            if m_i is not None
            else xp.clip(mass_squared(p_i), min=0.0)
        )
        s_prev = mass_squared(p_prev)
        root_s, cos_a, phi_a, phi_n, pa_abs, t_max, t_span = self._frame(
            xp, p_cluster, pa, p_next, mi_sq, s_prev
        )
        one = xp.ones_like(phi_n)
        q_prev = rotate_to_z(
            rotate_to_z(boost_to_rest(p_prev, p_cluster), cos_a, phi_a), one, phi_n
        )
        cos_theta, phi = direction_angles(q_prev)
        abs_t_min = -t_max
        abs_t = abs_t_min + 0.5 * (1.0 - cos_theta) * t_span
        r_t, w_inv_t = self.t_mapping.inverse(abs_t, abs_t_min, abs_t_min + t_span)
        u = xp.sin(0.5 * phi) ** 2
        r_s = xp.where(phi <= math.pi, 0.5 * u, 1.0 - 0.5 * u)
        sin_phi = xp.abs(xp.sin(phi))
        w_inv = w_inv_t * 2.0 * root_s * pa_abs * sin_phi
        return xp.stack([r_s, r_t], axis=-1), w_inv

    @staticmethod
    def invariants(p_i: Array, p_prev: Array, pa: Array, p_next: Array) -> tuple[Array, Array]:
        """(s~_i, t_{i-1}) in GeV^2 of a configuration: ((p_i + p_{i+1})^2, (pa - P_{i-1})^2)."""
        return mass_squared(p_i + p_next), mass_squared(pa - p_prev)
