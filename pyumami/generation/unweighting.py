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

A batch can also be *reduced* where it was computed (:func:`reduce_batch`, on a Dask
worker): its sums, its largest weights and only the events that can still be accepted
(with their uniform numbers and the random generator's state after them) travel to the
consumer, which merges them in batch order (:meth:`Unweighter.add_reduced`,
:func:`accept_reduced`) with the same bits as from the whole batch, or reports that the
reduction was too tight (then the consumer takes the whole batch).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

import array_api_compat
import numpy as np

from .errors import SettingsError
from .events import Array, EventBatch

__all__ = [
    "DEFAULT_MAX_OVERWEIGHT",
    "MaxWeight",
    "ReducedBatch",
    "ReductionHint",
    "Unweighter",
    "accept_reduced",
    "concatenate_batches",
    "host_array",
    "reduce_batch",
]

#: Default share of the cross section that events above the maximum may carry.
DEFAULT_MAX_OVERWEIGHT = 1e-3
#: Random stream of a batch reserved for its unweighting (the sampler uses 0).
UNWEIGHTING_STREAM = 1
#: A reduced batch keeps the events that pass against FLOOR_SHARE x the current W: W
#: rarely falls that far while a batch is in flight, and the events kept beyond the
#: accepted ones are about (1 / FLOOR_SHARE - 1) of them.
FLOOR_SHARE = 0.8
#: A reduced batch keeps the largest weights the maximum-weight estimate could need for
#: TOTAL_MARGIN x the summed weight expected when the batch is consumed.
TOTAL_MARGIN = 4.0


class MaxWeight:
    """Running estimate of the maximum weight for an over-weight fraction ``eps``."""

    def __init__(self, max_overweight: float = DEFAULT_MAX_OVERWEIGHT) -> None:
        if not 0.0 <= max_overweight < 1.0:
            raise SettingsError(f"max_overweight must lie in [0, 1) (got {max_overweight})")
        self.eps = float(max_overweight)
        self.total = 0.0
        self.batches = 0  # batches added (for the expected total of later ones)
        self._top = np.zeros(0)  # largest weights, descending

    def update(self, weights: np.ndarray) -> float:
        """Add positive weights; return the current maximum estimate."""
        w = np.asarray(weights, dtype=np.float64)
        w = w[w > 0.0]
        merged = self._merged(w, float(w.sum()), complete=True)
        assert merged is not None  # a complete batch always merges
        self.total, self._top = merged
        self.batches += 1
        return self.value

    def _merged(
        self, top: np.ndarray, positive_sum: float, complete: bool
    ) -> tuple[float, np.ndarray] | None:
        """(total, largest weights) after adding a batch whose positive weights sum to
        ``positive_sum`` and whose largest are ``top`` (all of them if ``complete``); None
        when the missing smaller ones could change the result (nothing is changed)."""
        total = self.total + positive_sum
        merged = np.sort(np.concatenate([self._top, top]))[::-1]
        # keep the prefix whose sum is below eps * total, with a margin for the growth
        # of the total (a too short list can only make W larger, never smaller)
        cumulative = np.cumsum(merged)
        k = int(np.searchsorted(cumulative, self.eps * total, side="right"))
        keep = 2 * k + 256
        if not complete:
            # the merged list is exact down to the batch's smallest weight sent
            exact = top.size + int(np.count_nonzero(self._top >= top[-1])) if top.size else 0
            if k >= exact or keep > exact:
                return None
        return total, merged[:keep]

    def hint(self, ahead: int, stream: int, draws: int) -> ReductionHint:
        """What a batch consumed after ``ahead`` others needs to be reduced (see
        :func:`reduce_batch`) against this estimate: W x FLOOR_SHARE, and the summed
        weight then, from the mean per batch so far (infinite before any batch: the
        whole batch is kept)."""
        per_batch = self.total / self.batches if self.batches else float("inf")
        expected = TOTAL_MARGIN * (self.total + (ahead + 1) * per_batch)
        return ReductionHint(FLOOR_SHARE * self.value, expected, self.eps, stream, draws)

    @property
    def value(self) -> float:
        """W: the events with w > W carry at most eps of the summed weight."""
        return _max_weight_of(self._top, self.total, self.eps)

    def add_reduced(self, reduced: ReducedBatch) -> float | None:
        """Add a reduced batch's weights and return W, as :meth:`update` with the whole
        batch would; None (nothing changed) when its largest weights do not suffice or
        W fell below the floor it was reduced against."""
        merged = self._merged(reduced.top, reduced.positive_sum, reduced.complete)
        if merged is None:
            return None
        big_w = _max_weight_of(merged[1], merged[0], self.eps)
        if big_w < reduced.floor:
            return None
        self.total, self._top = merged
        self.batches += 1
        return big_w


def _max_weight_of(top: np.ndarray, total: float, eps: float) -> float:
    if top.size == 0:
        return 0.0
    cumulative = np.cumsum(top)
    k = int(np.searchsorted(cumulative, eps * total, side="right"))
    return float(top[min(k, top.size - 1)])


@dataclass(frozen=True)
class ReductionHint:
    """The consumer's state a batch is reduced against (:func:`reduce_batch`).

    Attributes:
        floor: lower bound of the W the batch will be unweighted with (pb); events with
            u * floor >= w can never be accepted and are dropped.
        total: upper estimate of the summed positive weight when the batch is consumed
            (pb; inf keeps every weight).
        eps: the over-weight fraction of the maximum-weight estimate.
        stream: random stream of the batch used for the unweighting.
        draws: uniform numbers drawn per event, in order (the first decides acceptance).
    """

    floor: float
    total: float
    eps: float
    stream: int
    draws: int

    @classmethod
    def whole(cls, stream: int, draws: int) -> ReductionHint:
        """A hint that keeps the whole batch (its reduction always merges)."""
        return cls(0.0, float("inf"), 0.0, stream, draws)


@dataclass
class ReducedBatch:
    """What a consumer needs of a weighted batch for its maximum weight and unweighting.

    Attributes:
        n: weighted events; sum_w, sum_w2: their weights' sum and sum of squares (pb).
        positive_sum: summed positive weight (pb); top: the largest positive weights,
            descending (in any order where complete); complete: top holds all of them.
        floor: the W lower bound of the hint (pb).
        index: positions in the batch of the kept events (ascending): those with w > 0
            and u * floor < w; weight, uniforms: their weights and uniform numbers.
        events: the kept events (the batch's namespace), or the whole batch where the
            reduction did not travel (``whole_events``): read them through :meth:`take`.
        rng: the batch's unweighting generator after all its uniform numbers.
    """

    n: int
    sum_w: float
    sum_w2: float
    positive_sum: float
    top: np.ndarray
    complete: bool
    floor: float
    index: np.ndarray
    weight: np.ndarray
    uniforms: tuple[np.ndarray, ...]
    events: EventBatch
    rng: np.random.Generator
    whole_events: bool = False

    def take(self, positions: np.ndarray) -> EventBatch:
        """The kept events at ``positions`` (indices into ``index``, ``weight``, ...)."""
        return _take(self.events, self.index[positions] if self.whole_events else positions)


def reduce_batch(
    batch: EventBatch, rng: np.random.Generator, hint: ReductionHint, local: bool = False
) -> ReducedBatch:
    """The part of ``batch`` a consumer with state ``hint`` can need; ``rng`` is the batch's
    own unweighting stream (all ``hint.draws`` uniform numbers per event are drawn).
    ``local``: the reduction is consumed where it was made, so the events are not copied
    (a whole batch's kept events are nearly all of them); same bits either way."""
    w = np.asarray(host_array(batch.weight), dtype=np.float64)
    positive = w[w > 0.0]
    positive_sum = float(positive.sum())
    # a complete list is sorted where it is merged (MaxWeight._merged): only a truncated
    # one needs its order here
    top = positive
    complete = True
    if np.isfinite(hint.total):
        top = np.sort(positive)[::-1]
        k = int(np.searchsorted(np.cumsum(top), hint.eps * hint.total, side="right"))
        # the merged list keeps 2 k + 256; the batch's own share of it is at most that
        complete = 2 * k + 512 >= top.size
        top = top if complete else top[: 2 * k + 512]
    uniforms = tuple(rng.random(w.size) for _ in range(hint.draws))
    index = np.nonzero((w > 0.0) & (uniforms[0] * hint.floor < w))[0]
    return ReducedBatch(
        n=int(w.size),
        sum_w=float(w.sum()),
        sum_w2=float((w * w).sum()),
        positive_sum=positive_sum,
        top=np.ascontiguousarray(top),
        complete=complete,
        floor=hint.floor,
        index=index,
        weight=w[index],
        uniforms=tuple(u[index] for u in uniforms),
        events=batch if local else _take(batch, index),
        rng=rng,
        whole_events=local,
    )


def accept_reduced(max_weight: MaxWeight, reduced: ReducedBatch) -> tuple[np.ndarray, float] | None:
    """(positions in ``reduced`` of the accepted events, W) for the events of a batch
    that pass u * W < w against W updated with the batch; None (W unchanged) when the
    reduction does not suffice. Same events and W as from the whole batch."""
    big_w = max_weight.add_reduced(reduced)
    if big_w is None:
        return None
    # kept events have w > 0, and a dropped one has u * W >= u * floor >= w
    return np.nonzero(reduced.uniforms[0] * big_w < reduced.weight)[0], big_w


@dataclass
class _Candidates:
    # per batch: events holding its candidates and their positions there, in the
    # candidates' order (gathered only for those the final pass keeps)
    sources: list[tuple[EventBatch, np.ndarray]] = field(default_factory=list)
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
        accepted = self.add_reduced(reduce_batch(batch, rng, self.hint(), local=True))
        assert accepted is not None  # a whole batch always merges
        return accepted

    def hint(self, ahead: int | None = None) -> ReductionHint:
        """The reduction of a batch consumed after ``ahead`` others (None: the next one,
        kept whole) for :meth:`add_reduced`; it draws two uniform numbers per event
        (acceptance now, and for the final pass)."""
        if ahead is None:
            return ReductionHint.whole(UNWEIGHTING_STREAM, 2)
        return self.max_weight.hint(ahead, UNWEIGHTING_STREAM, 2)

    def add_reduced(self, reduced: ReducedBatch) -> int | None:
        """Accept events of a reduced batch (:meth:`hint`) against the current W, as
        :meth:`add` would from the whole batch; None (nothing changed) when the
        reduction does not suffice (add the whole batch instead)."""
        passed = accept_reduced(self.max_weight, reduced)
        if passed is None:
            return None
        positions, big_w = passed
        self.n_trials += reduced.n
        self.sum_w += reduced.sum_w
        self.sum_w2 += reduced.sum_w2
        # a batch is ordered by slot: candidates in random order, so that the final
        # pass, which keeps the first n, takes a random subset of the last batch
        idx = reduced.rng.permutation(positions)
        if idx.size:
            if reduced.whole_events:  # a copy of the candidates, not the whole batch kept
                self._c.sources.append((reduced.take(idx), np.arange(idx.size)))
            else:
                self._c.sources.append((reduced.events, idx))
            self._c.weight.append(reduced.weight[idx])
            self._c.w_at.append(np.full(idx.size, big_w))
            self._c.u.append(reduced.uniforms[1][idx])
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
        """Events the final pass would keep now (at most :attr:`candidates`; O(candidates))."""
        keep, _ = self._keep()
        return int(keep.sum())

    @property
    def candidates(self) -> int:
        """Events accepted so far against the W of their time: the final pass keeps a
        subset of them, so fewer than ``n`` candidates cannot give ``n`` events."""
        return sum(int(w.size) for w in self._c.weight)

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

    def _gather(self, idx: np.ndarray) -> EventBatch:
        """The candidates ``idx`` (ascending positions in the candidates' order)."""
        edges = np.cumsum([0] + [p.size for _, p in self._c.sources])
        source_of = np.searchsorted(edges, idx, side="right") - 1
        bounds = np.searchsorted(source_of, np.arange(len(self._c.sources) + 1))
        parts = [
            (events, positions[idx[a:b] - edges[k]])
            for k, ((events, positions), a, b) in enumerate(
                zip(self._c.sources, bounds[:-1], bounds[1:], strict=True)
            )
            if b > a
        ]
        if not parts:  # no candidate kept: an empty batch with the first one's fields
            events, positions = self._c.sources[0]
            return _take(events, positions[:0])
        if all(isinstance(events.weight, np.ndarray) for events, _ in parts):
            return _take_joined(parts)
        return concatenate_batches([_take(events, positions) for events, positions in parts])

    def finish(self, n: int, cross_section_pb: float | None = None) -> EventBatch:
        """Final pass against the final W; the first ``n`` kept events, each weighted
        sigma * max(1, w / W) / sum(max(1, w / W)) (sigma: the given cross section or
        the mean weight)."""
        keep, w = self._keep()
        if not self._c.sources:
            raise SettingsError("no event was accepted; generate more weighted events first")
        idx = np.nonzero(keep)[0][: int(n)]
        events = self._gather(idx)
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


def _take_joined(parts: list[tuple[EventBatch, np.ndarray]]) -> EventBatch:
    """``concatenate_batches`` of the events ``positions`` of each NumPy batch, gathered
    straight into the joined arrays (one copy of the events, not two)."""
    names = set.intersection(*(set(_array_fields(b)) for b, _ in parts))
    arrays: dict[str, Any] = {name: None for name in ("helicity", "color") if name not in names}
    total = sum(int(positions.size) for _, positions in parts)
    for name in names:
        first = getattr(parts[0][0], name)
        dtype = np.result_type(*(getattr(batch, name) for batch, _ in parts))
        out = np.empty((total, *first.shape[1:]), dtype=dtype)
        start = 0
        for batch, positions in parts:
            values, rows = getattr(batch, name), out[start : start + positions.size]
            if values.dtype == dtype:
                np.take(values, positions, axis=0, out=rows)
            else:
                rows[...] = values[positions]
            start += positions.size
        arrays[name] = out
    return replace(parts[0][0], **arrays)


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
