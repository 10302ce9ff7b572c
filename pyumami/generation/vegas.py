"""VEGAS importance sampling (G. P. Lepage, J. Comput. Phys. 27 (1978) 192) on the array API.

A :class:`VegasGrid` is a separable, piecewise-linear map of the unit hypercube
onto itself: in every dimension the unit interval is cut into ``bins`` intervals
of adaptable widths, each receiving the same share of the input random numbers.
``forward(r) -> (y, jacobian)`` maps uniform ``r`` to ``y`` with density
``1 / jacobian``; an integral over ``y`` is the mean of ``f(y) * jacobian``.

Training alternates :meth:`VegasGrid.accumulate` (the sum of ``(f * jacobian)^2``
per bin and dimension, the quantity the optimal separable density is
proportional to) and :meth:`VegasGrid.refine` (Lepage's smoothing, damping with
exponent ``alpha`` and re-binning so that every bin carries an equal share).
:meth:`VegasGrid.freeze` ends training: from then on the map is a fixed function,
so batches can be evaluated in any order, on any worker, with identical results.
"""

from __future__ import annotations

from typing import Any

import array_api_compat
import numpy as np

from .events import Array

__all__ = ["FrozenGridError", "VegasGrid"]


class FrozenGridError(RuntimeError):
    """Training data was given to a grid after :meth:`VegasGrid.freeze`."""


class VegasGrid:
    """Adaptive separable map of ``[0, 1)^dim`` onto itself.

    Args:
        dim: number of dimensions (random numbers per event); 0 is allowed (a
            trivial map, for channels without random numbers).
        bins: intervals per dimension (Lepage's default is 50 - 100).
        alpha: damping exponent of the refinement (0: no adaptation, 1.5: the
            customary value; larger adapts faster but less stably).
        min_points_per_bin: :meth:`refine` waits (keeps accumulating) until this many
            points per bin have come in since the last refinement: a grid refined on a
            handful of points follows their noise into spikes whose weights ruin the
            unweighting.

    The edges live on the host as a NumPy (dim, bins + 1) array: the grid is
    tiny, and :meth:`forward` copies it to the batch's namespace once per call.
    """

    def __init__(
        self, dim: int, bins: int = 64, alpha: float = 1.5, min_points_per_bin: float = 8.0
    ) -> None:
        if dim < 0:
            raise ValueError(f"dim must be >= 0 (got {dim})")
        if bins < 2:
            raise ValueError(f"bins must be >= 2 (got {bins}); VEGAS needs intervals to adapt")
        if alpha < 0.0:
            raise ValueError(f"alpha must be >= 0 (got {alpha}); 0 switches adaptation off")
        self.dim = int(dim)
        self.bins = int(bins)
        self.alpha = float(alpha)
        self.min_points = float(min_points_per_bin) * self.bins
        self.edges = np.tile(np.linspace(0.0, 1.0, self.bins + 1), (self.dim, 1))
        self._sum_f2 = np.zeros((self.dim, self.bins))
        self._count = np.zeros((self.dim, self.bins))
        self.frozen = False
        self._cached: tuple[tuple[str, bool], tuple[Array, Array]] | None = None

    # ------------------------------------------------------------------ mapping
    def forward(self, r: Array) -> tuple[Array, Array]:
        """Map uniform r (batch, dim) to y (batch, dim) in [0, 1) and the Jacobian dy/dr (batch,)."""
        xp = array_api_compat.array_namespace(r)
        if r.shape[-1] != self.dim:
            raise ValueError(f"random numbers must have shape (batch, {self.dim}) (got {r.shape})")
        if self.dim == 0:
            return r, xp.ones(r.shape[:-1], dtype=xp.float64)
        low_table, width_table = self._tables(xp)
        # column by column (a loop over dimensions, never over events): NumPy's
        # broadcasts against and reductions along a short last axis cost tens of ns
        # per row, whole-column operations a few
        columns, jac = [], None
        for d in range(self.dim):
            scaled = r[..., d] * self.bins
            # r lies in [0, 1), so truncation is the floor; the clip guards rounding
            index = xp.clip(xp.astype(scaled, xp.int64), 0, self.bins - 1)
            frac = scaled - xp.astype(index, xp.float64)
            flat = index + d * self.bins
            w = xp.take(width_table, flat)
            columns.append(xp.take(low_table, flat) + frac * w)
            jac = w * self.bins if jac is None else jac * (w * self.bins)
        y = xp.stack(columns, axis=-1)
        return y, jac

    def _tables(self, xp: Any) -> tuple[Array, Array]:
        """Lower edges and widths of the bins, flattened (dim * bins), in namespace ``xp``;
        kept while the grid is frozen (a training grid changes between calls)."""
        key = (xp.__name__, self.frozen)
        if self._cached is None or self._cached[0] != key:
            low = np.ascontiguousarray(self.edges[:, :-1]).reshape(-1)
            width = np.diff(self.edges, axis=1).reshape(-1)
            tables = (xp.asarray(low), xp.asarray(width))
            if not self.frozen:
                return tables
            self._cached = (key, tables)
        return self._cached[1]

    def bin_index(self, r: Array) -> Array:
        """The bin (batch, dim) int64 that each uniform r falls in (the same in every dimension layout)."""
        xp = array_api_compat.array_namespace(r)
        return xp.clip(xp.astype(xp.floor(r * self.bins), xp.int64), 0, self.bins - 1)

    # ----------------------------------------------------------------- training
    def accumulate(self, r: Array, f_times_jacobian: Array) -> None:
        """Add one batch of training data: the uniform r (batch, dim) that were mapped and
        the integrand times the full weight of each point (batch,), in any unit."""
        if self.frozen:
            raise FrozenGridError("this VEGAS grid is frozen; create a new grid to train again")
        if self.dim == 0:
            return
        index = np.asarray(_to_host(self.bin_index(r)))
        f2 = np.asarray(_to_host(f_times_jacobian), dtype=np.float64) ** 2
        f2 = np.where(np.isfinite(f2), f2, 0.0)
        for d in range(self.dim):
            self._sum_f2[d] += np.bincount(index[:, d], weights=f2, minlength=self.bins)
            self._count[d] += np.bincount(index[:, d], minlength=self.bins)

    def refine(self) -> bool:
        """Move the edges so that each bin gets an equal share of the damped, smoothed
        sum of (f * jacobian)^2 accumulated since the last refinement; then reset it.
        Returns False (and keeps the data) while fewer than ``min_points_per_bin * bins``
        points have been accumulated."""
        if self.frozen:
            raise FrozenGridError("this VEGAS grid is frozen; create a new grid to train again")
        if self.dim == 0 or self._count[0].sum() < self.min_points:
            return False
        for d in range(self.dim):
            count = np.maximum(self._count[d], 1.0)
            # every bin draws the same number of points, so the mean of (f J)^2 over a bin
            # ~ (f Delta y)^2: equal shares make Delta y ~ 1 / |f|, the optimal density
            density = self._sum_f2[d] / count
            if not np.any(density > 0.0):
                continue
            self.edges[d] = _rebin(self.edges[d], _damp(_smooth(density), self.alpha))
        self._sum_f2[:] = 0.0
        self._count[:] = 0.0
        return True

    def freeze(self) -> None:
        """End training: the map stays fixed from now on."""
        self.frozen = True

    def state(self) -> dict[str, Any]:
        """A JSON-serialisable description (dim, bins, alpha, edges)."""
        return {
            "dim": self.dim,
            "bins": self.bins,
            "alpha": self.alpha,
            "edges": self.edges.tolist(),
            "frozen": self.frozen,
        }


def _to_host(x: Array) -> Any:
    if array_api_compat.is_numpy_array(x):
        return x
    if array_api_compat.is_cupy_array(x):
        return x.get()
    return np.from_dlpack(x)


def _smooth(density: np.ndarray) -> np.ndarray:
    """Three-point smoothing with weights (1, 6, 1) / 8 ((7, 1) / 8 at the ends), normalised
    to sum 1: it tames statistical noise while keeping the edges of a narrow peak, where the
    plain three-point average of Lepage's paper would widen the outermost bins."""
    d = np.abs(density) / np.abs(density).sum()
    if d.size == 1:
        return d
    out = np.empty_like(d)
    out[0] = (7.0 * d[0] + d[1]) / 8.0
    out[-1] = (7.0 * d[-1] + d[-2]) / 8.0
    out[1:-1] = (d[:-2] + 6.0 * d[1:-1] + d[2:]) / 8.0
    return out / out.sum()


def _damp(d: np.ndarray, alpha: float) -> np.ndarray:
    """Lepage's damping ((1 - d) / log(1 / d))^alpha of the normalised shares d."""
    # a floor keeps every new bin of positive width (a zero-width bin has jacobian 0)
    dp = np.clip(d, 1e-300, 1.0 - 1e-15)
    return ((1.0 - dp) / -np.log(dp)) ** alpha


def _rebin(edges: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """New edges such that every new bin holds the same amount of ``weight`` (piecewise
    constant on the old bins)."""
    bins = weight.size
    cumulative = np.concatenate([[0.0], np.cumsum(weight)])
    if not cumulative[-1] > 0.0:
        return edges
    targets = np.linspace(0.0, cumulative[-1], bins + 1)
    new = np.interp(targets, cumulative, edges)
    new[0], new[-1] = edges[0], edges[-1]
    return new
