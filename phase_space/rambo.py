"""RAMBO family of flat n-body phase-space generators: `Rambo` and `RamboOnDiet`.

Both map the unit hypercube onto the n-body phase space of a 2 -> n process at
fixed centre-of-mass energy sqrt(s) (GeV), in the centre-of-mass frame:

- `Rambo`: the classic algorithm of Kleiss, Stirling and Ellis (Comput. Phys.
  Commun. 40 (1986) 359). It consumes 4 n random numbers, has a constant weight for
  massless particles, and reaches massive final states by solving for a common
  momentum rescaling. It is not a bijection (4 n numbers for 3 n - 4 degrees of
  freedom); its `inverse` returns one documented preimage.
- `RamboOnDiet`: Plaetzer's invertible variant (arXiv:1308.2922; MadSpace paper
  Sec. 2.3, Eqs. 52-63) with 3 n - 4 random numbers: a chain of 1 -> 2 decays
  whose intermediate masses come from solving the polynomial of Eq. 62 (done here
  by a bracketed Newton iteration of fixed length, so it is jit-able). Massive
  final states use the reweighting of Eqs. 68-69.

`RamboOnDiet` and `phase_space.fast_rambo.FastRambo` share the decay chain of
`phase_space.decay_chain`; FastRambo replaces the solve of Eq. 62 by a closed-form
rational-quadratic map.

Weights include the (2 pi)^(4 - 3 n) factor, so the mean weight over uniform
randoms is the phase-space volume; for massless particles that is
`massless_volume(n, sqrt_s)` (the paper's Eq. 81).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from . import kinematics as kin
from .decay_chain import DecayChainRambo
from .protocols import Array
from .rational_quadratic import rqf_inverse, rqf_parameter
from .validation import (
    as_scalar,
    below_one,
    check_final_state,
    check_momenta,
    check_randoms,
    concrete_float,
)

#: Newton steps used by RamboOnDiet's solve of Eq. 62 (the starting point is the
#: FastRambo approximation, so a handful suffices; fixed so the code is jit-able).
DIET_NEWTON_STEPS = 6

#: Newton steps used by the massive classic RAMBO to find the momentum rescaling
#: (measured: <= 5 reach rounding from sum(m)/sqrt(s) = 0.1 to 1 - 1e-6; 10 for margin).
RAMBO_XI_NEWTON_STEPS = 10


def massless_volume(n: int, sqrt_s: float | Array) -> float | Array:
    """Volume Phi_n (GeV^(2n-4)) of the massless n-body phase space (Eq. 81).

    Phi_n = s^(n-2) / (Gamma(n) Gamma(n-1) pi^(2n-3) 2^(4n-5)), which includes the
    (2 pi)^(4-3n) convention of the weights returned by every full mapping here.
    """
    if n < 2:
        raise ValueError(f"n-body phase space needs n >= 2 final-state particles, got n={n}")
    norm = math.gamma(n) * math.gamma(n - 1) * math.pi ** (2 * n - 3) * 2.0 ** (4 * n - 5)
    return sqrt_s ** (2 * n - 4) / norm


def incoming_momenta(xp: Any, sqrt_s: Array, like: Array) -> Array:
    """Beams (batch, 2, 4) along +z and -z with energy sqrt_s / 2 each (GeV).

    `like` is any (batch,) float64 array fixing the batch size and device.
    """
    half = xp.zeros_like(like) + sqrt_s / 2.0
    zero = xp.zeros_like(like)
    pa = kin.four_vector(half, zero, zero, half)
    pb = kin.four_vector(half, zero, zero, -half)
    return xp.stack([pa, pb], axis=1)


# ---------------------------------------------------------------------------
# Classic RAMBO
# ---------------------------------------------------------------------------


class Rambo:
    """Classic RAMBO (Kleiss, Stirling, Ellis 1986): 4 n randoms -> n momenta at fixed sqrt(s).

    Per particle i the four randoms (r1, r2, r3, r4) in [0, 1) give an isotropic
    massless vector q_i with cos(theta) = 2 r1 - 1, phi = 2 pi r2 and energy
    q0 = -log((1 - r3)(1 - r4)) (Gamma(2)-distributed; 1 - r keeps r = 0 finite).
    The q_i are boosted to their rest frame and scaled to total energy sqrt(s),
    which gives a flat massless phase space with the constant weight Phi_n. Massive
    final states rescale the three-momenta by the xi solving
    sum_i sqrt(m_i^2 + xi^2 E_i^2) = sqrt(s) (Newton, fixed step count) and carry
    the weight factor of the RAMBO paper.

    The map is many-to-one (4 n randoms for 3 n - 4 degrees of freedom), so it has no
    inverse in the strict sense. `inverse(p)` returns the preimage with
    q_i = (2 n / sqrt(s)) k_i (k_i the massless momenta before the rescaling, so the
    boost is the identity) and r3 = r4; `forward(inverse(p)) == p` holds, while
    `inverse(forward(r)) == r` does not. For an invertible flat generator use
    `RamboOnDiet` or `FastRambo`.

    Args:
        masses: final-state masses (GeV); their count is n >= 2.
        sqrt_s: centre-of-mass energy (GeV), above sum(masses).
    """

    def __init__(self, masses: Sequence[float], sqrt_s: float) -> None:
        self.masses = check_final_state(masses, sqrt_s, "Rambo")
        self.sqrt_s = sqrt_s
        self.n = len(self.masses)
        #: random numbers per event: 4 n
        self.dim = 4 * self.n
        self.massless = all(concrete_float(m) == 0.0 for m in self.masses)

    def _mass_array(self, xp: Any) -> Array:
        return xp.stack([as_scalar(xp, m) for m in self.masses])

    def forward(self, r: Array) -> tuple[Array, Array]:
        """Momenta (batch, 2 + n, 4) in GeV and weights (batch,) from r of shape (batch, 4 n)."""
        xp, r = check_randoms(r, self.dim, "Rambo")
        batch = r.shape[0]
        n = self.n
        sqrt_s = as_scalar(xp, self.sqrt_s)
        rr = xp.reshape(r, (batch, n, 4))
        cos_theta = 2.0 * rr[..., 0] - 1.0
        phi = 2.0 * math.pi * rr[..., 1]
        q0 = -xp.log((1.0 - rr[..., 2]) * (1.0 - rr[..., 3]))
        q = kin.momentum_from_angles(q0, cos_theta, phi, xp.zeros_like(q0))
        total = xp.sum(q, axis=1)
        scale = sqrt_s / kin.mass(total)
        k = kin.boost_to_rest(q, total[:, None, :]) * scale[:, None, None]
        weight = xp.zeros_like(q0[:, 0]) + massless_volume(n, sqrt_s)
        if self.massless:
            p = k
        else:
            p, factor = self._massive(xp, k, sqrt_s)
            weight = weight * factor
        return xp.concat([incoming_momenta(xp, sqrt_s, weight), p], axis=1), weight

    def _massive(self, xp: Any, k: Array, sqrt_s: Array) -> tuple[Array, Array]:
        """Rescale massless k (batch, n, 4) to on-shell massive momenta; returns (p, weight factor)."""
        m2 = self._mass_array(xp) ** 2
        e2 = k[..., 0] ** 2
        m_sum = xp.sum(xp.sqrt(m2))
        xi = xp.zeros_like(k[:, 0, 0]) + xp.sqrt(1.0 - (m_sum / sqrt_s) ** 2)
        # f(xi) = sum sqrt(m^2 + xi^2 E^2) - sqrt(s) is convex and increasing, so Newton
        # lands right of the root after one step and then decreases monotonically.
        for _ in range(RAMBO_XI_NEWTON_STEPS):
            energies = xp.sqrt(m2 + xi[:, None] ** 2 * e2)
            f = xp.sum(energies, axis=1) - sqrt_s
            df = xi * xp.sum(e2 / energies, axis=1)
            xi = xi - f / df
        energies = xp.sqrt(m2 + xi[:, None] ** 2 * e2)
        p = xp.concat([energies[..., None], xi[:, None, None] * k[..., 1:]], axis=-1)
        return p, self._massive_factor(xp, p, sqrt_s)

    def _massive_factor(self, xp: Any, p: Array, sqrt_s: Array) -> Array:
        """Massive / massless weight ratio of RAMBO, from the massive momenta alone."""
        n = self.n
        p_abs = kin.momentum_abs(p)
        energy = p[..., 0]
        return (
            (xp.sum(p_abs, axis=1) / sqrt_s) ** (2 * n - 3)
            * xp.prod(p_abs / energy, axis=1)
            * sqrt_s
            / xp.sum(p_abs**2 / energy, axis=1)
        )

    def inverse(self, p: Array) -> tuple[Array, Array]:
        """One preimage r (batch, 4 n) of momenta p (batch, 2 + n, 4) and 1 / weight (batch,).

        The preimage is the one described in the class docstring; `forward` maps it
        back to p.
        """
        xp, p = check_momenta(p, self.n, "Rambo")
        n = self.n
        sqrt_s = as_scalar(xp, self.sqrt_s)
        out = p[:, 2:, :]
        p_abs = kin.momentum_abs(out)
        volume = xp.zeros_like(p_abs[:, 0]) + massless_volume(n, sqrt_s)
        if self.massless:
            weight = volume
            k_abs = p_abs
        else:
            weight = volume * self._massive_factor(xp, out, sqrt_s)
            xi = xp.sum(p_abs, axis=1) / sqrt_s
            k_abs = p_abs / xi[:, None]
        cos_theta, phi = kin.direction_angles(out)
        q0 = (2.0 * n / sqrt_s) * k_abs
        r34 = -xp.expm1(-q0 / 2.0)
        r = xp.stack([(cos_theta + 1.0) / 2.0, phi / (2.0 * math.pi), r34, r34], axis=-1)
        return below_one(xp, xp.reshape(r, (p.shape[0], 4 * n))), 1.0 / weight


# ---------------------------------------------------------------------------
# RamboOnDiet
# ---------------------------------------------------------------------------


def diet_mass_map(y: Array, k: int) -> Array:
    """RamboOnDiet's r = G_diet(y, k) = (k + 1) y - k y^(1 + 1/k) (Eq. 62), y in [0, 1]."""
    xp = kin.namespace(y)
    return (k + 1) * y - k * xp.pow(y, 1.0 + 1.0 / k)


class RamboOnDiet(DecayChainRambo):
    """RamboOnDiet (Plaetzer, arXiv:1308.2922): flat, exactly invertible, 3 n - 4 randoms.

    The mass random numbers are r_i = G_diet(y_i, k) of Eq. 62. The forward map
    solves this polynomial for u = y^(1/k) by a bracketed Newton iteration with a
    fixed number of steps (`DIET_NEWTON_STEPS`), started from the closed-form
    FastRambo approximation; the inverse is closed form. The massless weight is the
    constant Phi_n; massive final states are reweighted (Eqs. 68-69). See
    `DecayChainRambo` for the random-number layout.

    Args:
        masses: final-state masses (GeV); their count is n >= 2.
        sqrt_s: centre-of-mass energy (GeV), above sum(masses).
    """

    _name = "RamboOnDiet"

    def _y_from_r(self, r: Array, k: int) -> tuple[Array, Array]:
        xp = kin.namespace(r)
        if k == 1:
            # quadratic case: r = 2 y - y^2 exactly, the RQF with c = 2
            y = rqf_inverse(r, 2.0)
            return y, 2.0 * (1.0 - y)
        # solve f(t) = (k+1) t^k - k t^(k+1) - r = 0 for t = y^(1/k) in [0, 1]
        t = xp.pow(rqf_inverse(r, rqf_parameter(k)), 1.0 / k)
        lo = xp.zeros_like(r)
        hi = xp.ones_like(r)
        for _ in range(DIET_NEWTON_STEPS):
            tk1 = xp.pow(t, float(k - 1))
            f = (k + 1) * tk1 * t - k * tk1 * t * t - r
            lo = xp.where(f < 0.0, t, lo)
            hi = xp.where(f > 0.0, t, hi)
            df = k * (k + 1) * tk1 * (1.0 - t)
            safe = xp.where(df > 0.0, df, xp.ones_like(df))
            step = xp.where(df > 0.0, t - f / safe, (lo + hi) / 2.0)
            inside = (step >= lo) & (step <= hi)
            # an exact root (f == 0) is kept; otherwise Newton, or bisection if it leaves the bracket
            t = xp.where(f == 0.0, t, xp.where(inside, step, (lo + hi) / 2.0))
        y = xp.pow(t, float(k))
        return y, (k + 1) * (1.0 - t)

    def _r_from_y(self, y: Array, k: int) -> tuple[Array, Array]:
        xp = kin.namespace(y)
        t = xp.pow(y, 1.0 / k)
        return (k + 1) * y - k * y * t, (k + 1) * (1.0 - t)
