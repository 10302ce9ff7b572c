"""Analytic tree-level cross sections the generator is validated against (pb)."""

from __future__ import annotations

import math

GEV2_TO_PB = 0.3893793721e9


def ee_mumu(sqrt_s: float, alpha: float, sw2: float, mz: float, wz: float) -> float:
    """sigma(e+ e- -> mu+ mu-) with photon and Z exchange, massless leptons:
    pi alpha^2 / (3 s) sum_{i,j = L,R} |Q^2 + g_i g_j / (sw2 cw2) s / (s - mz^2 + i mz wz)|^2
    with g_L = -1/2 + sw2, g_R = sw2 (fixed-width propagator, as the library)."""
    s = sqrt_s**2
    cw2 = 1.0 - sw2
    chi = s / complex(s - mz**2, mz * wz) / (sw2 * cw2)
    g = (-0.5 + sw2, sw2)
    total = sum(abs(1.0 + gi * gj * chi) ** 2 for gi in g for gj in g)
    return math.pi * alpha**2 / (3.0 * s) * total * GEV2_TO_PB


def _rho_beta(s: float, m: float) -> tuple[float, float]:
    rho = 4.0 * m * m / s
    return rho, math.sqrt(1.0 - rho)


def gg_ttx(s: float, alpha_s: float, mt: float) -> float:
    """sigma(g g -> t t~) in pb at partonic s (GeV^2), zero top width."""
    rho, beta = _rho_beta(s, mt)
    bracket = (1 + rho + rho**2 / 16) * math.log((1 + beta) / (1 - beta)) - beta * (
        7 / 4 + 31 * rho / 16
    )
    return math.pi * alpha_s**2 / (3 * s) * bracket * GEV2_TO_PB


def qq_ttx(s: float, alpha_s: float, mt: float) -> float:
    """sigma(q q~ -> t t~) in pb at partonic s (GeV^2)."""
    rho, beta = _rho_beta(s, mt)
    return 8 * math.pi * alpha_s**2 / (27 * s) * beta * (1 + rho / 2) * GEV2_TO_PB
