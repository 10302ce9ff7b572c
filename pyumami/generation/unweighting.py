"""Unweighting with an on-the-fly maximum weight (MadSpace Sec. 3.4.1).

The maximum weight W is not the largest weight seen (which grows without bound
with the sample and would make the efficiency vanish) but the smallest value such
that the events above it carry at most a fraction ``max_overweight`` of the
summed weight. :class:`MaxWeight` keeps only the largest weights needed for that.

Events are accepted with probability min(1, w / W_now) while W still grows, then
:meth:`Unweighter.finish` re-accepts each with probability
min(1, w / W_final) / min(1, w / W_then), so every kept event has passed
min(1, w / W_final) overall. An accepted event's weight is proportional to
max(1, w / W) (over-weight events keep their excess), normalised to the cross
section.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

import array_api_compat
import numpy as np

from .errors import SettingsError
from .events import Array, EventBatch

__all__ = ["DEFAULT_MAX_OVERWEIGHT", "MaxWeight", "Unweighter", "concatenate_batches", "host_array"]

#: Default share of the cross section that events above the maximum may carry.
DEFAULT_MAX_OVERWEIGHT = 1e-3


class MaxWeight:
    """Running estimate of the maximum weight for an over-weight fraction ``eps``."""

    def __init__(self, max_overweight: float = DEFAULT_MAX_OVERWEIGHT) -> None:
        if not 0.0 <= max_overweight < 1.0:
            raise SettingsError(f"max_overweight must lie in [0, 1) (got {max_overweight})")
        self.eps = float(max_overweight)
        self.total = 0.0
        self._top = np.zeros(0)  # largest weights, descending

    def update(self, weights: np.ndarray) -> float:
        """Add positive weights; return the current maximum estimate."""
        w = np.asarray(weights, dtype=np.float64)
        w = w[w > 0.0]
        self.total += float(w.sum())
        merged = np.sort(np.concatenate([self._top, w]))[::-1]
        # keep the prefix whose sum is below eps * total, with a margin for the growth
        # of the total (a too short list can only make W larger, never smaller)
        cumulative = np.cumsum(merged)
        keep = 2 * int(np.searchsorted(cumulative, self.eps * self.total, side="right")) + 256
        self._top = merged[:keep]
        return self.value

    @property
    def value(self) -> float:
        """W: the events with w > W carry at most eps of the summed weight."""
        if self._top.size == 0:
            return 0.0
        cumulative = np.cumsum(self._top)
        k = int(np.searchsorted(cumulative, self.eps * self.total, side="right"))
        return float(self._top[min(k, self._top.size - 1)])


@dataclass
class _Candidates:
    batches: list[EventBatch] = field(default_factory=list)
    weight: list[np.ndarray] = field(default_factory=list)  # original weights
    w_at: list[np.ndarray] = field(default_factory=list)  # W used when accepted
    u: list[np.ndarray] = field(default_factory=list)  # uniform for the final pass


class Unweighter:
    """Turns weighted batches into unweighted events.

    ``add(batch, rng)`` accepts events of one weighted batch against the current W
    (the rng must be the batch's own stream, for reproducibility); ``expected()`` is
    the number of events the final pass would keep now; ``finish(n, cross_section)``
    returns exactly ``n`` (or all, if fewer) unweighted events as one EventBatch.
    """

    def __init__(self, max_overweight: float = DEFAULT_MAX_OVERWEIGHT) -> None:
        self.max_weight = MaxWeight(max_overweight)
        self.n_trials = 0
        self.sum_w = 0.0
        self.sum_w2 = 0.0
        self._c = _Candidates()

    def add(self, batch: EventBatch, rng: np.random.Generator) -> int:
        w = np.asarray(host_array(batch.weight), dtype=np.float64)
        self.n_trials += w.size
        self.sum_w += float(w.sum())
        self.sum_w2 += float((w * w).sum())
        big_w = self.max_weight.update(w)
        u = rng.random(w.size)
        u_final = rng.random(w.size)
        accepted = (w > 0.0) & (u * big_w < w)
        # a batch is ordered by slot: candidates in random order, so that the final
        # pass, which keeps the first n, takes a random subset of the last batch
        idx = rng.permutation(np.nonzero(accepted)[0])
        if idx.size:
            self._c.batches.append(_take(batch, idx))
            self._c.weight.append(w[idx])
            self._c.w_at.append(np.full(idx.size, big_w))
            self._c.u.append(u_final[idx])
        return int(idx.size)

    def _keep(self) -> tuple[np.ndarray, np.ndarray]:
        if not self._c.weight:
            return np.zeros(0, dtype=bool), np.zeros(0)
        w = np.concatenate(self._c.weight)
        w_at = np.concatenate(self._c.w_at)
        u = np.concatenate(self._c.u)
        big_w = self.max_weight.value
        p = np.minimum(1.0, w / big_w) / np.minimum(1.0, w / w_at)
        return u < p, w

    def expected(self) -> int:
        keep, _ = self._keep()
        return int(keep.sum())

    @property
    def cross_section(self) -> tuple[float, float]:
        """(mean weight, its error) over all weighted events added, pb."""
        if self.n_trials == 0:
            return 0.0, float("inf")
        mean = self.sum_w / self.n_trials
        var = max(self.sum_w2 / self.n_trials - mean * mean, 0.0)
        return mean, float(np.sqrt(var / max(self.n_trials - 1, 1)))

    @property
    def efficiency(self) -> float:
        """Unweighting efficiency <w> / W (the expected acceptance per weighted event)."""
        big_w = self.max_weight.value
        return 0.0 if big_w <= 0.0 else self.cross_section[0] / big_w

    def finish(self, n: int, cross_section_pb: float | None = None) -> EventBatch:
        """Final pass against the final W; the first ``n`` kept events, each weighted
        sigma * max(1, w / W) / sum(max(1, w / W)) (sigma: the given cross section or
        the mean weight)."""
        keep, w = self._keep()
        if not self._c.batches:
            raise SettingsError("no event was accepted; generate more weighted events first")
        events = concatenate_batches(self._c.batches)
        idx = np.nonzero(keep)[0][: int(n)]
        events = _take(events, idx)
        ratio = np.maximum(1.0, w[idx] / self.max_weight.value)
        sigma = self.cross_section[0] if cross_section_pb is None else float(cross_section_pb)
        xp = array_api_compat.array_namespace(events.weight)
        return replace(events, weight=xp.asarray(sigma * ratio / ratio.sum()))


def host_array(a: Array) -> np.ndarray:
    """A NumPy view or copy of an array of any namespace (CuPy: device to host)."""
    if isinstance(a, np.ndarray):
        return a
    if array_api_compat.is_cupy_array(a):
        return a.get()
    return np.from_dlpack(a)


def _array_fields(batch: EventBatch) -> list[str]:
    """Names of the per-event array fields of a batch that are set."""
    return [
        f.name
        for f in fields(batch)
        if f.name != "batch_index" and getattr(batch, f.name) is not None
    ]


def _take(batch: EventBatch, idx: np.ndarray) -> EventBatch:
    """The events ``idx`` (host integer array) of a batch, in the batch's namespace."""
    xp = array_api_compat.array_namespace(batch.weight)
    index = xp.asarray(idx)
    return replace(
        batch,
        **{name: xp.take(getattr(batch, name), index, axis=0) for name in _array_fields(batch)},
    )


def concatenate_batches(batches: list[EventBatch]) -> EventBatch:
    """One EventBatch holding all events of ``batches`` in order (batch_index of the first)."""
    if not batches:
        raise ValueError("nothing to concatenate")
    xp = array_api_compat.array_namespace(batches[0].weight)
    names = set.intersection(*(set(_array_fields(b)) for b in batches))
    # optional fields (helicity, color) missing from any batch are missing from the result
    arrays: dict[str, Any] = {name: None for name in ("helicity", "color") if name not in names}
    arrays.update({name: xp.concat([getattr(b, name) for b in batches], axis=0) for name in names})
    return replace(batches[0], **arrays)
