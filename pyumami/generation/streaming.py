"""Unweighted events streamed batch by batch, for writers that must stay valid.

:meth:`Generator.generate <pyumami.generation.generator.Generator.generate>`
returns its events at the end (its maximum weight W may still grow, so it
re-accepts every event against the final W). A run that writes events as they
come uses :func:`unweighted_batches` instead: W starts from the maximum found
on the integration's weighted events (a :class:`~.unweighting.MaxWeight`, same
over-weight rule) and keeps being updated; every weighted batch is unweighted
against the W of that moment and its accepted events are yielded at once, each
weighted ``sigma / n * max(1, w / W)`` (pb). With W from a large integration
sample, the later growth of W is small; :class:`StreamStatistics` reports it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .events import EventBatch
from .integrand import batch_rng
from .unweighting import MaxWeight

__all__ = ["StreamStatistics", "unweighted_batches"]

#: Random stream of a batch reserved for the unweighting (the sampler uses 0).
_UNWEIGHTING_STREAM = 1


@dataclass
class StreamStatistics:
    """What :func:`unweighted_batches` measured (updated while it runs).

    Attributes:
        trials: weighted events drawn; accepted: unweighted events yielded.
        sum_w, sum_w2: sums of the weights and squared weights drawn (pb, pb^2).
        initial_max_weight_pb, max_weight_pb: W at the start and now.
    """

    trials: int = 0
    accepted: int = 0
    sum_w: float = 0.0
    sum_w2: float = 0.0
    initial_max_weight_pb: float = 0.0
    max_weight_pb: float = 0.0

    @property
    def efficiency(self) -> float:
        """Unweighted events per weighted event drawn."""
        return self.accepted / self.trials if self.trials else 0.0

    @property
    def cross_section(self) -> tuple[float, float]:
        """(mean weight, its error) of the weighted events drawn, pb."""
        if self.trials < 2:
            return (self.sum_w / max(self.trials, 1), float("inf"))
        mean = self.sum_w / self.trials
        variance = max(self.sum_w2 / self.trials - mean * mean, 0.0)
        return mean, float(np.sqrt(variance / (self.trials - 1)))


def unweighted_batches(
    generator: Any,
    n: int,
    cross_section_pb: float,
    max_weight: MaxWeight,
    statistics: StreamStatistics | None = None,
    progress: bool = False,
) -> Iterator[EventBatch]:
    """Yield ``n`` unweighted events of ``generator`` (grids frozen) batch by batch.

    Args:
        generator: a trained :class:`~.generator.Generator`; its seed, batch size
            and batch counter are used, so the stream is reproducible.
        n: events to yield in all.
        cross_section_pb: sigma the event weights are normalised to.
        max_weight: W so far (filled with the integration's weights); updated here.
        statistics: filled while the stream runs (also when it is stopped early).
        progress: show a tqdm bar.
    """
    stats = statistics if statistics is not None else StreamStatistics()
    stats.initial_max_weight_pb = stats.max_weight_pb = max_weight.value
    generator.integrand.freeze()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n, desc="unweighting")
    try:
        while stats.accepted < n:
            index, generator.next_batch = generator.next_batch, generator.next_batch + 1
            sample = generator.integrand.sample(generator.seed, index, generator.batch_size)
            events = sample.events.to_numpy()
            w = np.asarray(events.weight, dtype=np.float64)
            big_w = max_weight.update(w)
            stats.trials += w.size
            stats.sum_w += float(w.sum())
            stats.sum_w2 += float((w * w).sum())
            stats.max_weight_pb = big_w
            u = batch_rng(generator.seed, index, _UNWEIGHTING_STREAM).random(w.size)
            accepted = np.nonzero((w > 0.0) & (u * big_w < w))[0][: n - stats.accepted]
            if accepted.size == 0:
                continue
            ratio = np.maximum(1.0, w[accepted] / big_w)
            kept = events.take(accepted)
            stats.accepted += accepted.size
            if bar is not None:
                bar.update(accepted.size)
            yield replace(kept, weight=cross_section_pb / n * ratio)
    finally:
        if bar is not None:
            bar.close()
