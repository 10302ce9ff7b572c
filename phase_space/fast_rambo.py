"""FastRambo: RamboOnDiet with a closed-form rational-quadratic mass map (MadSpace Sec. 2.3).

RamboOnDiet needs the root of the polynomial r = G_diet(y, k) (Eq. 62) for every
intermediate mass. FastRambo replaces G_diet by the one-parameter rational-quadratic
function (RQF) of Eq. 64,

    G_RQF(y, c) = (y^2 + c y (1 - y)) / (1 + (c - 2) y (1 - y)),

whose inverse (Eq. 65) and derivative are closed form, so forward and inverse are
analytic, vectorised and exactly invertible. The parameter c_k (k = n - i) is fixed
once by the least-squares fit of Eq. 66 to G_diet; `fit_rqf_parameter` performs that
fit and `RQF_PARAMETERS` stores its results (k = 1 .. 14; Table 1 of the paper lists
k = 1 .. 7). The weight is no longer constant: it picks up the factor w_n(r) of
Eq. 67. Massive final states are reached by the reweighting of Eqs. 68-69.

The decay chain, random-number layout and massive reweighting are shared with
`phase_space.rambo.RamboOnDiet` (see `phase_space.rambo.DecayChainRambo`).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from phase_space import kinematics as kin
from phase_space.rambo import DecayChainRambo

Array = Any

#: c_k* of Eq. 66 for k = 1 .. 14 (index k - 1), from `fit_rqf_parameter(k)`.
#: k = 1 .. 7 reproduce Table 1 of the MadSpace paper; c_1 = 2 makes the RQF equal
#: to RamboOnDiet's quadratic map exactly.
RQF_PARAMETERS: tuple[float, ...] = (
    2.0,
    2.712001352695803,
    3.0845206386865387,
    3.313073331546721,
    3.467511971723493,
    3.578832635850824,
    3.662872063097625,
    3.728560640886326,
    3.7813156902151777,
    3.8246137739530663,
    3.8607881580163337,
    3.891462999922484,
    3.9178036691279274,
    3.9406680371889484,
)


def fit_rqf_parameter(k: int, nodes: int = 200, bracket: tuple[float, float] = (0.5, 20.0)) -> float:
    """Fit c_k* = argmin_c int_0^1 dy [G_RQF(y, c) - G_diet(y, k)]^2 (Eq. 66).

    The integral is done by Gauss-Legendre quadrature in u = y^(1/k), where both
    maps are smooth (G_diet is a polynomial in u), so `nodes` points are exact to
    rounding. The minimum is the root of the derivative with respect to c,
    dG_RQF/dc = y (1 - y)^3 / (1 + (c - 2) y (1 - y))^2, found by bisection in
    `bracket`. This is a one-time NumPy computation, not part of the event loop.

    Args:
        k: n - i >= 1, the index of the intermediate mass.
        nodes: number of quadrature points.
        bracket: search interval for c (> 0).

    Returns:
        c_k* as a float.
    """
    import numpy as np

    if k < 1:
        raise ValueError(f"k = n - i must be >= 1, got {k}")
    x, w = np.polynomial.legendre.leggauss(nodes)
    u = 0.5 * (x + 1.0)
    weights = 0.5 * w * k * u ** (k - 1)  # dy = k u^(k-1) du
    y = u**k
    g_diet = (k + 1) * u**k - k * u ** (k + 1)
    a = y * (1.0 - y)

    def derivative(c: float) -> float:
        denom = 1.0 + (c - 2.0) * a
        g_rqf = (y * y + c * a) / denom
        return float(np.sum(weights * (g_rqf - g_diet) * y * (1.0 - y) ** 3 / denom**2))

    lo, hi = bracket
    if derivative(lo) > 0.0 or derivative(hi) < 0.0:
        raise ValueError(f"the minimum for k={k} is not inside the bracket {bracket}; widen it")
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if derivative(mid) > 0.0:
            hi = mid
        else:
            lo = mid
        if hi - lo <= 4e-16 * hi:
            break
    return 0.5 * (lo + hi)


def rqf_parameter(k: int) -> float:
    """c_k* for k >= 1: the stored value, or a fresh fit beyond the table."""
    if 1 <= k <= len(RQF_PARAMETERS):
        return RQF_PARAMETERS[k - 1]
    return fit_rqf_parameter(k)


def rqf_forward(y: Array, c: float) -> Array:
    """r = G_RQF(y, c) of Eq. 64 for y in [0, 1]."""
    a = y * (1.0 - y)
    return (y * y + c * a) / (1.0 + (c - 2.0) * a)


def rqf_density(y: Array, c: float) -> Array:
    """dr/dy = g_RQF(y, c) of Eq. 64."""
    a = y * (1.0 - y)
    denom = 1.0 + (c - 2.0) * a
    return (2.0 * a + c * (1.0 - y) ** 2) / (denom * denom)


def rqf_inverse(r: Array, c: float) -> Array:
    """y = G_RQF^{-1}(r, c) of Eq. 65 for r in [0, 1] (the stable root of the quadratic)."""
    xp = kin.namespace(r)
    b = c - (c - 2.0) * r
    disc = xp.clip(b * b + 4.0 * r * (1.0 - b), min=0.0)
    return 2.0 * r / (b + xp.sqrt(disc))


class FastRambo(DecayChainRambo):
    """FastRambo (MadSpace Sec. 2.3): analytic, exactly invertible, nearly flat; 3 n - 4 randoms.

    The intermediate masses come from y_i = G_RQF^{-1}(r_i, c_k*), k = n - i; the
    weight is Phi_n w_n(r) for massless particles (Eq. 67; w_n = 1 for n <= 3 since
    c_1* = 2), times the reweighting of Eqs. 68-69 for massive ones. The random
    layout is MadSpace's (see `phase_space.rambo.DecayChainRambo`), so for equal r
    the momenta agree with `madspace.FastRamboMapping` point by point.

    Args:
        masses: final-state masses (GeV); their count is n >= 2.
        sqrt_s: centre-of-mass energy (GeV), above sum(masses).
    """

    _name = "FastRambo"

    def __init__(self, masses: Sequence[float], sqrt_s: float) -> None:
        super().__init__(masses, sqrt_s)
        self.parameters = {k: rqf_parameter(k) for k in range(1, self.n - 1)}

    def _y_from_r(self, r: Array, k: int) -> tuple[Array, Array]:
        c = self.parameters[k]
        y = rqf_inverse(r, c)
        return y, rqf_density(y, c)

    def _r_from_y(self, y: Array, k: int) -> tuple[Array, Array]:
        c = self.parameters[k]
        return rqf_forward(y, c), rqf_density(y, c)
