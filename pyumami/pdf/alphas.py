"""The strong coupling of a set from its tabulated grid (``AlphaS_Qs``, ``AlphaS_Vals``).

As LHAPDF's ``AlphaS_Ipol``: the knots split into subgrids at repeated Q values (the
flavour thresholds); inside a subgrid, cubic Hermite interpolation in log Q^2 with knot
slopes from finite differences in log Q^2 (central inside, one-sided at a subgrid's ends);
a Q^2 exactly on a threshold belongs to the subgrid above. Below the first knot alpha_s
continues as a power of Q^2 through the first two distinct knots; above the last knot it
is frozen at the last value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import PDFFormatError
from .interpolation import hermite

Array = Any

__all__ = ["AlphaSTables", "alphas_tables", "alphas_q2"]


@dataclass(frozen=True)
class AlphaSTables:
    """Knots and slopes of an alpha_s grid (arrays of one namespace)."""

    logq2: Array  # (n,) log Q^2, thresholds twice
    alphas: Array  # (n,)
    slope: Array  # (n,) d alpha_s / d log Q^2 at the knots, within the knot's subgrid
    last: Array  # (n,) bool, the knot closes its subgrid
    power: float  # d log(alpha_s) / d log(Q^2) below the first knot


def alphas_tables(qs: list[float], values: list[float], source: str) -> AlphaSTables:
    """NumPy tables from the ``AlphaS_Qs`` and ``AlphaS_Vals`` of a ``.info``."""
    q = np.asarray(qs, dtype=float)
    a = np.asarray(values, dtype=float)
    if q.ndim != 1 or q.shape != a.shape or q.size < 2:
        raise PDFFormatError(
            f"{source}: AlphaS_Qs and AlphaS_Vals must be lists of one length >= 2 "
            f"(got {q.size} and {a.size})"
        )
    if np.any(np.diff(q) < 0) or q[0] <= 0 or not np.all(np.isfinite(a)):
        raise PDFFormatError(f"{source}: AlphaS_Qs must be positive and non-decreasing")
    logq2 = 2.0 * np.log(q)
    starts = [0] + [i for i in range(1, q.size) if q[i] == q[i - 1]]
    ends = [s - 1 for s in starts[1:]] + [q.size - 1]
    slope = np.zeros_like(a)
    last = np.zeros(q.size, dtype=bool)
    for start, end in zip(starts, ends, strict=False):
        if end - start < 1:
            raise PDFFormatError(f"{source}: an alpha_s subgrid has a single knot at Q={q[start]}")
        secant = np.diff(a[start : end + 1]) / np.diff(logq2[start : end + 1])
        slope[start] = secant[0]
        slope[end] = secant[-1]
        slope[start + 1 : end] = 0.5 * (secant[:-1] + secant[1:])
        last[end] = True
    second = next(i for i in range(1, q.size) if q[i] != q[0])
    power = float(np.log10(a[second] / a[0]) / np.log10(q[second] ** 2 / q[0] ** 2))
    return AlphaSTables(logq2=logq2, alphas=a, slope=slope, last=last, power=power)


def alphas_q2(xp: Any, tab: AlphaSTables, q2: Array) -> Array:
    """alpha_s at Q^2 in GeV^2 (any shape), LHAPDF's ipol rule."""
    n = tab.logq2.shape[0]
    logq2 = xp.log(q2)
    i = xp.clip(xp.searchsorted(tab.logq2, xp.reshape(logq2, (-1,)), side="right") - 1, 0, n - 2)
    i = xp.where(xp.take(tab.last, i), i - 1, i)
    q0 = xp.take(tab.logq2, i)
    dlogq = xp.take(tab.logq2, i + 1) - q0
    t = (xp.reshape(logq2, (-1,)) - q0) / dlogq
    inside = hermite(
        t,
        xp.take(tab.alphas, i),
        xp.take(tab.slope, i) * dlogq,
        xp.take(tab.alphas, i + 1),
        xp.take(tab.slope, i + 1) * dlogq,
    )
    inside = xp.reshape(inside, logq2.shape)
    below = tab.alphas[0] * xp.exp(tab.power * (logq2 - tab.logq2[0]))
    return xp.where(
        logq2 < tab.logq2[0], below, xp.where(logq2 > tab.logq2[-1], tab.alphas[-1], inside)
    )
