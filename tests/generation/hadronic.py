"""A PDF set for the hadronic validations and the deterministic quadrature of
sigma(p p -> t t~) = sum_ij int dtau int dr (-log tau) f_i(x1) f_j(x2) sigma_ij(tau s)
with x1 = tau^r, x2 = tau^(1 - r) (Gauss-Legendre, threshold behaviour sqrt(tau - tau0)
removed by tau = tau0 + (1 - tau0) t^2)."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

import pyumami.pdf as pdf_module
from pyumami.pdf.lhagrid import Subgrid, format_info, write_member

PIDS = np.array([-5, -4, -3, -2, -1, 21, 1, 2, 3, 4, 5])
X_KNOTS = np.concatenate([np.geomspace(1e-7, 0.1, 40), np.linspace(0.12, 0.98, 44), [1.0]])
Q_KNOTS = np.geomspace(1.0, 1e5, 30)


def _toy_xf(x: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Les Houches toy input shapes (valence u, d, gluon, sea) with a mild log Q rise:
    a smooth stand-in with realistic magnitudes, shape (nq, nx, nflav)."""
    x = x[None, :]
    lq = np.log(q[:, None] ** 2 / 2.0)
    soft = (1 + 0.03 * lq) * x ** (-0.02 * lq)
    uv = 5.107200 * x**0.8 * (1 - x) ** 3
    dv = 3.064320 * x**0.8 * (1 - x) ** 4
    glu = 1.7 * x**-0.1 * (1 - x) ** 5 * soft
    dbar = 0.1939875 * x**-0.1 * (1 - x) ** 6 * soft
    ubar = (1 - x) * dbar
    sea = 0.2 * dbar
    cols = {
        -5: sea * 0.5,
        -4: sea,
        -3: sea,
        -2: ubar,
        -1: dbar,
        21: glu,
        1: dv + dbar,
        2: uv + ubar,
        3: sea,
        4: sea,
        5: sea * 0.5,
    }
    out = np.stack([np.broadcast_to(cols[int(p)], glu.shape) for p in PIDS], axis=-1)
    return np.where(x[..., None] < 1.0, out, 0.0)


def pdf_set(directory: Path) -> pdf_module.PDFSet:
    """The shipped default set when present, else a toy lhagrid1 set written to ``directory``."""
    try:
        return pdf_module.load()
    except (pdf_module.PDFSetNotFoundError, FileNotFoundError):  # default set not built yet
        pass
    target = directory / "toy"
    target.mkdir(parents=True, exist_ok=True)
    write_member(
        target / "toy_0000.dat", [Subgrid(X_KNOTS, Q_KNOTS, PIDS, _toy_xf(X_KNOTS, Q_KNOTS))]
    )
    alphas = 0.118 / (1 + 0.118 * 23 / (12 * math.pi) * np.log(Q_KNOTS**2 / 91.1876**2))
    info = {
        "SetDesc": "toy",
        "Format": "lhagrid1",
        "NumMembers": 1,
        "Flavors": PIDS.tolist(),
        "OrderQCD": 0,
        "QMin": 1.0,
        "QMax": 1e5,
        "AlphaS_Qs": Q_KNOTS.tolist(),
        "AlphaS_Vals": alphas.tolist(),
    }
    (target / "toy.info").write_text(format_info(info))
    return pdf_module.load(target)


def hadronic_cross_section(
    pdf,
    sqrt_s: float,
    scale: float,
    channels: list[tuple[int, int, Callable[[np.ndarray], np.ndarray]]],
    threshold: float,
    nodes: int = 400,
) -> float:
    """sum over (pid_a, pid_b, sigma_hat(s_hat) in pb) of the convolution, by quadrature."""
    s = sqrt_s**2
    tau0 = threshold**2 / s
    t, wt = np.polynomial.legendre.leggauss(nodes)
    t, wt = (t + 1) / 2, wt / 2
    r, wr = np.polynomial.legendre.leggauss(nodes)
    r, wr = (r + 1) / 2, wr / 2
    tau = tau0 + (1 - tau0) * t**2
    jac_tau = 2 * (1 - tau0) * t
    T, R = np.meshgrid(tau, r, indexing="ij")
    W = np.outer(wt * jac_tau, wr) * (-np.log(T))
    x1, x2 = T**R, T ** (1 - R)
    q = np.full(x1.size, scale)
    total = 0.0
    for a, b, sigma_hat in channels:
        fa = np.asarray(pdf.xfxQ(a, x1.ravel(), q)).reshape(x1.shape) / x1
        fb = np.asarray(pdf.xfxQ(b, x2.ravel(), q)).reshape(x2.shape) / x2
        total += float(np.sum(W * fa * fb * sigma_hat(T * s)))
    return total
