"""Three-body decay block p0 -> p1 p2 p3 (paper Sec. 2.2.6, Eqs. 39-45).

Variables in the p0 rest frame (reached by the rotation-free boost along p0):
the energies E1, E2 (GeV), the direction (theta, phi) of p1 and the azimuth beta
of p2 around p1; the polar angle alpha between p1 and p2 follows from energy-
momentum conservation (Eq. 41). Random numbers, in this order:

    r[..., 0] -> E1 = m1 + (E1_max - m1) r                   (Eq. 44)
    r[..., 1] -> E2 = E2_min + (E2_max - E2_min) r           (limits Eq. 42 at that E1)
    r[..., 2] -> phi = 2 pi r,  r[..., 3] -> beta = 2 pi r,  r[..., 4] -> cos theta = 2 r - 1

The weight is dPhi_3 / d^5 r without (2 pi) factors (Eq. 45):
w = pi^2 (E1_max - m1) (E2_max - E2_min), whose mean is the three-body volume
(pi^2 m0^2 / 8 for massless daughters).
"""

from __future__ import annotations

import math

import numpy as np

from .kinematics import (
    TWO_PI,
    boost_from_rest,
    boost_to_rest,
    broadcast_like,
    direction_angles,
    four_vector,
    mass_squared,
    momentum_from_angles,
    namespace,
    rotate_from_z,
    rotate_to_z,
)
from .protocols import Array


def energy_limits(
    m0: Array, m1: Array, m2: Array, m3: Array, e1: Array
) -> tuple[Array, Array, Array]:
    """(E1_max, E2_min, E2_max) in GeV for parent mass m0, daughter masses, and E1 (Eqs. 42-43)."""
    xp = namespace(*(v for v in (m0, m1, m2, m3, e1) if not isinstance(v, (int, float))))
    e1_max = 0.5 * m0 + (m1 * m1 - (m2 + m3) ** 2) / (2.0 * m0)
    # (p2 + p3)^2 = m0^2 - 2 m0 E1 + m1^2, written as its distance `gap` from the threshold
    # (m2 + m3)^2: near E1_max the direct form cancels, and lambda((p2 + p3)^2, m2^2, m3^2)
    # = gap (gap + 4 m2 m3) would lose ~1e-7 relative (round trip ~1e-8 at E1_max - E1 ~ 1e-5)
    gap = 2.0 * m0 * (e1_max - e1)
    delta = gap + (m2 + m3) ** 2
    d23 = m2 * m2 - m3 * m3
    p1_sq = xp.clip(e1 * e1 - m1 * m1, min=0.0)
    root = xp.sqrt(xp.clip(p1_sq * gap * (gap + 4.0 * m2 * m3), min=0.0))
    centre = (m0 - e1) * (delta + d23)
    return e1_max, (centre - root) / (2.0 * delta), (centre + root) / (2.0 * delta)


def three_body_volume(
    m0: float, m1: float = 0.0, m2: float = 0.0, m3: float = 0.0, points: int = 200_000
) -> float:
    """Volume of dPhi_3 without (2 pi) factors: pi^2 * integral dE1 (E2_max - E2_min).

    Exact pi^2 m0^2 / 8 when all daughters are massless; otherwise the E1 integral
    is done by the midpoint rule with `points` nodes (relative error ~1e-8).
    """
    if m1 == m2 == m3 == 0.0:
        return math.pi**2 * m0**2 / 8.0
    e1_max = 0.5 * m0 + (m1 * m1 - (m2 + m3) ** 2) / (2.0 * m0)
    u = (np.arange(points, dtype=np.float64) + 0.5) / points
    # E1 = m1 + (E1_max - m1) u^2 removes the square-root edge at E1 = m1
    e1 = m1 + (e1_max - m1) * u * u
    _, lo, hi = energy_limits(m0, m1, m2, m3, e1)
    return float(math.pi**2 * np.mean((hi - lo) * 2.0 * u) * (e1_max - m1))


class ThreeBodyDecay:
    """1 -> 3 decay block in (E1, E2, phi, beta, cos theta); see module docstring."""

    dim = 5
    #: columns of r that are angles (phi, beta): r = 0 and r = 1 are the same point
    periodic = (2, 3)

    def forward(
        self, r: Array, p0: Array, m1: Array, m2: Array, m3: Array
    ) -> tuple[Array, Array, Array, Array]:
        """Daughters p1, p2, p3 (..., 4) of p0 (GeV) with masses m1..m3 (GeV), and w (GeV^2)."""
        xp = namespace(r, p0)
        m0 = xp.sqrt(mass_squared(p0))
        m1, m2, m3 = (broadcast_like(xp, m, m0) for m in (m1, m2, m3))
        e1_max, _, _ = energy_limits(m0, m1, m2, m3, m0)
        e1 = m1 + (e1_max - m1) * r[..., 0]
        _, e2_min, e2_max = energy_limits(m0, m1, m2, m3, e1)
        e2 = e2_min + (e2_max - e2_min) * r[..., 1]
        phi = TWO_PI * r[..., 2]
        beta = TWO_PI * r[..., 3]
        cos_theta = 2.0 * r[..., 4] - 1.0
        abs1 = xp.sqrt(xp.clip(e1 * e1 - m1 * m1, min=0.0))
        abs2 = xp.sqrt(xp.clip(e2 * e2 - m2 * m2, min=0.0))
        num = m0 * (m0 - 2.0 * (e1 + e2)) + m1 * m1 + m2 * m2 + 2.0 * e1 * e2 - m3 * m3
        den = 2.0 * abs1 * abs2
        safe = xp.where(den > 0.0, den, xp.ones_like(den))
        cos_alpha = xp.where(den > 0.0, xp.clip(num / safe, min=-1.0, max=1.0), xp.ones_like(den))
        zero = xp.zeros_like(m0)
        q1 = momentum_from_angles(abs1, cos_theta, phi, m1)
        q2 = rotate_from_z(momentum_from_angles(abs2, cos_alpha, beta, m2), cos_theta, phi)
        q3 = four_vector(
            m0 - q1[..., 0] - q2[..., 0],
            zero - q1[..., 1] - q2[..., 1],
            zero - q1[..., 2] - q2[..., 2],
            zero - q1[..., 3] - q2[..., 3],
        )
        w = math.pi**2 * (e1_max - m1) * (e2_max - e2_min)
        return boost_from_rest(q1, p0), boost_from_rest(q2, p0), boost_from_rest(q3, p0), w

    def inverse(
        self,
        p1: Array,
        p2: Array,
        p3: Array,
        m1: Array | None = None,
        m2: Array | None = None,
        m3: Array | None = None,
    ) -> tuple[Array, Array]:
        """Random numbers (..., 5) and 1/w for daughters p1, p2, p3 (GeV).

        m1..m3 (GeV) default to the masses of the momenta; pass the nominal masses
        of on-shell particles to avoid rounding in p^2.
        """
        xp = namespace(p1, p2, p3)
        p0 = p1 + p2 + p3
        m0 = xp.sqrt(mass_squared(p0))

        def nominal(m: Array | None, p: Array) -> Array:
            if m is None:
                return xp.sqrt(xp.clip(mass_squared(p), min=0.0))
            return broadcast_like(xp, m, m0)

        m1, m2, m3 = nominal(m1, p1), nominal(m2, p2), nominal(m3, p3)
        q1 = boost_to_rest(p1, p0)
        q2 = boost_to_rest(p2, p0)
        e1, e2 = q1[..., 0], q2[..., 0]
        e1_max, _, _ = energy_limits(m0, m1, m2, m3, m0)
        _, e2_min, e2_max = energy_limits(m0, m1, m2, m3, e1)
        cos_theta, phi = direction_angles(q1)
        _, beta = direction_angles(rotate_to_z(q2, cos_theta, phi))
        r = xp.stack(
            [
                (e1 - m1) / (e1_max - m1),
                (e2 - e2_min) / (e2_max - e2_min),
                phi / TWO_PI,
                beta / TWO_PI,
                0.5 * (cos_theta + 1.0),
            ],
            axis=-1,
        )
        return r, 1.0 / (math.pi**2 * (e1_max - m1) * (e2_max - e2_min))
