"""The rational-quadratic function (RQF) of FastRambo's intermediate masses (MadSpace Eqs. 64-66).

    G_RQF(y, c) = (y^2 + c y (1 - y)) / (1 + (c - 2) y (1 - y))

maps y in [0, 1] onto r in [0, 1] with a closed-form inverse (Eq. 65) and derivative;
with c = c_k* fitted to RamboOnDiet's polynomial G_diet(y, k) (Eq. 66) it is
FastRambo's mass map, and RamboOnDiet starts its Newton solve from it.
`RQF_PARAMETERS` stores the fitted c_k* (k = 1 .. 14; the paper's Table 1 lists
k = 1 .. 7) and `fit_rqf_parameter` recomputes them.
"""

from __future__ import annotations

import numpy as np

from .kinematics import namespace
from .protocols import Array

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


def fit_rqf_parameter(
    k: int, nodes: int = 200, bracket: tuple[float, float] = (0.5, 20.0)
) -> float:
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
    xp = namespace(r)
    b = c - (c - 2.0) * r
    disc = xp.clip(b * b + 4.0 * r * (1.0 - b), min=0.0)
    return 2.0 * r / (b + xp.sqrt(disc))
