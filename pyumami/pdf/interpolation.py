"""LHAPDF's default PDF interpolation and extrapolation, batched on the array API.

Inside the grid this is LHAPDF's ``LogBicubicInterpolator``: cubic Hermite
interpolation in log x whose knot slopes are finite differences in log x (central
inside, one-sided at the ends), then cubic Hermite in log Q^2 between the x-interpolated
values at the neighbouring Q knots, with slopes from finite differences of those values
(one-sided at the first and last knot of a subgrid, so no interpolation crosses a
flavour threshold). A subgrid with only 2 or 3 Q knots is interpolated bilinearly in
(log x, log Q^2), as LHAPDF does. A Q^2 exactly on a threshold belongs to the subgrid
above it.

Outside the grid this is LHAPDF's default ``ContinuationExtrapolator`` (the MSTW
extrapolation): below the first x knot and above the last Q knot, linear in log x
(log Q^2) through the two outermost knots -- of log(xf) when both values exceed 1e-3,
of xf otherwise; below the first Q knot the anomalous dimension g = dlog(xf)/dlog(Q^2)
at Q^2_min (from Q^2_min and 1.01 Q^2_min) is continued as
xf(Q^2) = xf(Q^2_min) (Q^2/Q^2_min)^(g r + 1 - r), r = Q^2/Q^2_min, with g = 1 when
|xf(Q^2_min)| < 1e-5 and g >= -2.5, so that PDFs vanish like Q^2 as Q^2 -> 0.
Above the last x knot LHAPDF raises; so does the caller of this module.

Every function takes and returns arrays of one namespace ``xp`` (NumPy, CuPy,
array_api_strict, JAX, ...), one element per evaluation point, with no loop over points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import PDFFormatError
from .lhagrid import Subgrid

Array = Any  # an array-API array

__all__ = [
    "KnotTables",
    "SliceTables",
    "knot_tables",
    "interpolate",
    "interpolate_slice",
    "slice_at",
    "extrapolate",
    "hermite",
]


@dataclass(frozen=True)
class KnotTables:
    """A member's subgrids stacked along Q, ready for gathers (all arrays of one namespace).

    Attributes:
        logx: (nx,) log of the x knots, shared by every subgrid.
        logq2: (nq,) log Q^2 of every subgrid's knots in turn (thresholds appear twice).
        xf: (nq * nx * nflav,) x*f, flattened from (nq, nx, nflav).
        dxf: like ``xf``, d(xf)/d(log x) at the knots (LHAPDF's finite differences).
        first: (nq,) bool, the knot opens its subgrid.
        last: (nq,) bool, the knot closes its subgrid.
        short: (nq,) bool, the knot's subgrid has fewer than 4 Q knots (bilinear there).
        any_short: whether ``short`` has a True anywhere (decided on the host).
    """

    logx: Array
    logq2: Array
    xf: Array
    dxf: Array
    first: Array
    last: Array
    short: Array
    any_short: bool
    n_x: int
    n_q: int
    n_flavours: int


def _slopes_in_logx(logx: np.ndarray, xf: np.ndarray) -> np.ndarray:
    """d(xf)/d(log x) at every knot: mean of the neighbouring secants, one secant at the ends."""
    secant = np.diff(xf, axis=1) / np.diff(logx)[None, :, None]
    slope = np.empty_like(xf)
    slope[:, 0] = secant[:, 0]
    slope[:, -1] = secant[:, -1]
    slope[:, 1:-1] = 0.5 * (secant[:, :-1] + secant[:, 1:])
    return slope


def knot_tables(subgrids: list[Subgrid], source: str) -> KnotTables:
    """NumPy tables for :func:`interpolate` from the subgrids of one member."""
    x = subgrids[0].x
    pids = subgrids[0].pids
    for grid in subgrids[1:]:
        if grid.x.shape != x.shape or np.any(grid.x != x):
            raise PDFFormatError(
                f"{source}: the subgrids have different x knots; this reader needs one x grid"
            )
        if grid.pids.shape != pids.shape or np.any(grid.pids != pids):
            raise PDFFormatError(f"{source}: the subgrids list different flavours")
    if x.size < 4:
        raise PDFFormatError(f"{source}: log-bicubic interpolation needs at least 4 x knots")
    first, last, short = [], [], []
    for grid in subgrids:
        n = grid.q.size
        if n < 2:
            raise PDFFormatError(f"{source}: every subgrid needs at least 2 Q knots")
        first += [True] + [False] * (n - 1)
        last += [False] * (n - 1) + [True]
        short += [n < 4] * n
    logq2 = np.concatenate([2.0 * np.log(grid.q) for grid in subgrids])
    if np.any(np.diff(logq2) < 0):
        raise PDFFormatError(f"{source}: the subgrids' Q ranges overlap or are out of order")
    xf = np.concatenate([grid.xf for grid in subgrids], axis=0)
    logx = np.log(x)
    return KnotTables(
        logx=logx,
        logq2=logq2,
        xf=xf.reshape(-1).copy(),
        dxf=_slopes_in_logx(logx, xf).reshape(-1),
        first=np.array(first),
        last=np.array(last),
        short=np.array(short),
        any_short=bool(any(short)),
        n_x=int(x.size),
        n_q=int(logq2.size),
        n_flavours=int(pids.size),
    )


def hermite(t: Array, v0: Array, d0: Array, v1: Array, d1: Array) -> Array:
    """Cubic Hermite polynomial on [0, 1]: values v0, v1 and slopes (per unit t) d0, d1."""
    t2 = t * t
    t3 = t2 * t
    return (
        (2 * t3 - 3 * t2 + 1) * v0
        + (t3 - 2 * t2 + t) * d0
        + (3 * t2 - 2 * t3) * v1
        + (t3 - t2) * d1
    )


def _gather(xp: Any, table: Array, index: Array) -> Array:
    """table[index] for an index array of any shape."""
    return xp.reshape(xp.take(table, xp.reshape(index, (-1,))), index.shape)


def _search(xp: Any, knots: Array, values: Array, top: int) -> Array:
    """Index of the last knot <= value, clipped to [0, top] (values of any shape)."""
    flat = xp.searchsorted(knots, xp.reshape(values, (-1,)), side="right") - 1
    return xp.reshape(xp.clip(flat, 0, top), values.shape)


@dataclass(frozen=True)
class _QWeights:
    """Where points fall in log Q^2 and the weights of the four Q knots around them."""

    iq: Array  # lower knot of the interval
    below: Array  # knot below it (iq itself at a subgrid's first knot)
    above: Array  # knot above iq + 1 (iq + 1 itself at a subgrid's last knot)
    w_ll: Array
    w_l: Array
    w_h: Array
    w_hh: Array
    tq: Array  # position in the interval, [0, 1]


def _q_weights(xp: Any, tab: KnotTables, logq2: Array) -> _QWeights:
    """The Q-direction half of LHAPDF's log-bicubic interpolation for points ``logq2``."""
    iq = _search(xp, tab.logq2, logq2, tab.n_q - 2)
    # The knot closing a subgrid is never the lower end of an interval (LHAPDF looks up
    # the interval inside the subgrid chosen for Q^2).
    iq = xp.where(_gather(xp, tab.last, iq), iq - 1, iq)
    opens = _gather(xp, tab.first, iq)
    closes = _gather(xp, tab.last, iq + 1)
    below = xp.where(opens, iq, iq - 1)
    above = xp.where(closes, iq + 1, iq + 2)
    q0 = _gather(xp, tab.logq2, iq)
    q1 = _gather(xp, tab.logq2, iq + 1)
    dlogq = q1 - q0
    tq = (logq2 - q0) / dlogq

    # LHAPDF's slopes in log Q^2 are linear in the x-interpolated values at the four Q
    # knots around the point; fold them into one weight per knot.
    r_below = xp.where(opens, 0.0, dlogq / xp.where(opens, 1.0, q0 - _gather(xp, tab.logq2, below)))
    r_above = xp.where(
        closes, 0.0, dlogq / xp.where(closes, 1.0, _gather(xp, tab.logq2, above) - q1)
    )
    s2 = tq * tq
    s3 = s2 * tq
    g00 = 2 * s3 - 3 * s2 + 1
    g10 = s3 - 2 * s2 + tq  # times the slope at the lower knot, per unit tq
    g01 = 3 * s2 - 2 * s3
    g11 = s3 - s2
    half_l = 0.5 + 0.5 * xp.astype(opens, dlogq.dtype)  # 1 at a block's first knot
    half_h = 0.5 + 0.5 * xp.astype(closes, dlogq.dtype)
    # slope_l * dlogq = half_l * (vh - vl) + (1 - half_l) * r_below * (vl - vll), etc.
    return _QWeights(
        iq=iq,
        below=below,
        above=above,
        w_ll=-g10 * (1 - half_l) * r_below,
        w_l=g00 - g10 * half_l + g10 * (1 - half_l) * r_below - g11 * half_h,
        w_h=g01 + g10 * half_l + g11 * half_h - g11 * (1 - half_h) * r_above,
        w_hh=g11 * (1 - half_h) * r_above,
        tq=tq,
    )


def _x_basis(xp: Any, logx_knots: Array, logx: Array, top: int) -> tuple[Array, ...]:
    """(ix, t, h00, h10, h01, h11): the x interval of each point, its position t in it and
    the cubic Hermite basis with the slopes' unit (dlogx) folded in."""
    ix = _search(xp, logx_knots, logx, top)
    x0 = _gather(xp, logx_knots, ix)
    dlogx = _gather(xp, logx_knots, ix + 1) - x0
    t = (logx - x0) / dlogx
    t2 = t * t
    t3 = t2 * t
    return ix, t, 2 * t3 - 3 * t2 + 1, (t3 - 2 * t2 + t) * dlogx, 3 * t2 - 2 * t3, (t3 - t2) * dlogx


def interpolate(xp: Any, tab: KnotTables, logx: Array, logq2: Array, column: Array) -> Array:
    """x*f at points inside the grid.

    ``logx`` and ``logq2`` share one shape S (the points); ``column`` (flavour indices)
    broadcasts against S, and the result has the broadcast shape: the interpolation
    weights are computed once per point whatever the number of flavours asked for.
    Points must satisfy logx in [logx[0], logx[-1]] and logq2 in [logq2[0], logq2[-1]]
    (see :func:`extrapolate` otherwise).
    """
    nx, nf = tab.n_x, tab.n_flavours
    ix, t, h00, h10, h01, h11 = _x_basis(xp, tab.logx, logx, nx - 2)

    def along_x(row: Array, cubic: bool = True) -> Array:
        at = (row * nx + ix) * nf + column
        v0 = _gather(xp, tab.xf, at)
        v1 = _gather(xp, tab.xf, at + nf)
        if not cubic:
            return v0 + t * (v1 - v0)
        return (
            h00 * v0
            + h10 * _gather(xp, tab.dxf, at)
            + h01 * v1
            + h11 * _gather(xp, tab.dxf, at + nf)
        )

    q = _q_weights(xp, tab, logq2)
    result = (
        q.w_l * along_x(q.iq)
        + q.w_h * along_x(q.iq + 1)
        + q.w_ll * along_x(q.below)
        + q.w_hh * along_x(q.above)
    )
    if tab.any_short:
        lo = along_x(q.iq, cubic=False)
        bilinear = lo + q.tq * (along_x(q.iq + 1, cubic=False) - lo)
        result = xp.where(_gather(xp, tab.short, q.iq), bilinear, result)
    return result


@dataclass(frozen=True)
class SliceTables:
    """x*f and its log-x slopes on the x knots at one fixed Q^2, for :func:`interpolate_slice`.

    Both interpolation directions are linear in the knot values, so folding the Q
    direction into the tables first gives the same x*f as :func:`interpolate` (to
    rounding) with a quarter of the gathers per point: the fast path for a fixed scale.

    Attributes:
        logx: (nx,) log of the x knots.
        xf, dxf: (nx * nflav,) x*f and d(xf)/d(log x) at Q^2, flattened from (nx, nflav).
        linear: the Q^2 lies in a subgrid of fewer than 4 Q knots (bilinear there, so
            linear in log x too).
    """

    logx: Array
    xf: Array
    dxf: Array
    linear: bool
    n_x: int
    n_flavours: int


def slice_at(xp: Any, tab: KnotTables, logq2: float) -> SliceTables:
    """The tables of :func:`interpolate_slice` at log Q^2 = ``logq2`` (inside the grid)."""
    q = _q_weights(xp, tab, xp.asarray([logq2], dtype=tab.logq2.dtype))
    rows = xp.reshape(tab.xf, (tab.n_q, tab.n_x * tab.n_flavours))
    slopes = xp.reshape(tab.dxf, (tab.n_q, tab.n_x * tab.n_flavours))

    def row(table: Array, index: Array) -> Array:
        return xp.take(table, index, axis=0)[0, :]

    linear = bool(tab.any_short and bool(_gather(xp, tab.short, q.iq)[0]))
    if linear:
        lo = row(rows, q.iq)
        xf = lo + q.tq[0] * (row(rows, q.iq + 1) - lo)
        dxf = xp.zeros_like(xf)
    else:
        knots = (q.below, q.iq, q.iq + 1, q.above)
        weights = (q.w_ll[0], q.w_l[0], q.w_h[0], q.w_hh[0])
        xf = sum(w * row(rows, k) for w, k in zip(weights, knots, strict=True))
        dxf = sum(w * row(slopes, k) for w, k in zip(weights, knots, strict=True))
    return SliceTables(tab.logx, xf, dxf, linear, tab.n_x, tab.n_flavours)


def interpolate_slice(xp: Any, sl: SliceTables, logx: Array, column: Array) -> Array:
    """x*f at points ``logx`` inside the x range, at the slice's Q^2; ``column`` (flavour
    indices) broadcasts against ``logx``."""
    nf = sl.n_flavours
    ix, t, h00, h10, h01, h11 = _x_basis(xp, sl.logx, logx, sl.n_x - 2)
    at = ix * nf + column
    v0 = _gather(xp, sl.xf, at)
    v1 = _gather(xp, sl.xf, at + nf)
    if sl.linear:
        return v0 + t * (v1 - v0)
    return h00 * v0 + h10 * _gather(xp, sl.dxf, at) + h01 * v1 + h11 * _gather(xp, sl.dxf, at + nf)


def _continue_linear(xp: Any, t: Array, lo: Array, hi: Array) -> Array:
    """LHAPDF's continuation between two knot values, at t = 0 (lo) and t = 1 (hi)."""
    positive = (lo > 1e-3) & (hi > 1e-3)
    safe_lo = xp.where(positive, lo, 1.0)
    safe_hi = xp.where(positive, hi, 1.0)
    in_logs = xp.exp(xp.log(safe_lo) + t * (xp.log(safe_hi) - xp.log(safe_lo)))
    return xp.where(positive, in_logs, lo + t * (hi - lo))


def extrapolate(xp: Any, tab: KnotTables, logx: Array, logq2: Array, column: Array) -> Array:
    """x*f anywhere with x <= the last x knot: :func:`interpolate` inside, continuation outside."""
    lx_min, lx_min1 = tab.logx[0], tab.logx[1]
    lq_min, lq_max, lq_max1 = tab.logq2[0], tab.logq2[-1], tab.logq2[-2]
    low_x = logx < lx_min
    high_q = logq2 > lq_max
    low_q = logq2 < lq_min
    lq_low1 = lq_min + float(np.log(1.01))

    # Two x anchors (the two first knots below the grid, the point itself otherwise) and
    # two Q^2 anchors (the two last knots above, Q^2_min and 1.01 Q^2_min below).
    xa = xp.where(low_x, lx_min, logx)
    xb = xp.where(low_x, lx_min1, logx)
    qa = xp.where(high_q, lq_max, xp.where(low_q, lq_min, logq2))
    qb = xp.where(high_q, lq_max1, xp.where(low_q, lq_low1, logq2))
    f_aa = interpolate(xp, tab, xa, qa, column)
    f_ba = interpolate(xp, tab, xb, qa, column)
    f_ab = interpolate(xp, tab, xa, qb, column)
    f_bb = interpolate(xp, tab, xb, qb, column)

    tx = (logx - lx_min) / (lx_min1 - lx_min)
    tq = (logq2 - lq_max) / (lq_max1 - lq_max)

    # Above Q_max: continue in Q^2 at each x anchor, then in x (LHAPDF's order).
    high_a = _continue_linear(xp, tq, f_aa, f_ab)
    high_b = _continue_linear(xp, tq, f_ba, f_bb)
    high = xp.where(low_x, _continue_linear(xp, tx, high_a, high_b), high_a)

    # Inside in Q^2, or below Q_min: continue in x at each Q^2 anchor first.
    at_qa = xp.where(low_x, _continue_linear(xp, tx, f_aa, f_ba), f_aa)
    at_qb = xp.where(low_x, _continue_linear(xp, tx, f_ab, f_bb), f_ab)
    small = xp.abs(at_qa) < 1e-5
    safe_qa = xp.where(small, 1.0, at_qa)
    anomalous = xp.where(small, 1.0, xp.maximum((at_qb - at_qa) / safe_qa / 0.01, -2.5))
    ratio = xp.exp(logq2 - lq_min)
    low = at_qa * ratio ** (anomalous * ratio + 1.0 - ratio)

    return xp.where(high_q, high, xp.where(low_q, low, at_qa))
