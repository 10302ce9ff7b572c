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

import itertools
from collections.abc import Generator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .events import EventBatch
from .generator import expects_more
from .integrand import batch_rng
from .unweighting import (
    UNWEIGHTING_STREAM,
    MaxWeight,
    ReducedBatch,
    ReductionHint,
    accept_reduced,
    reduce_batch,
)

__all__ = ["StreamStatistics", "unweighted_batches"]


@dataclass
class StreamStatistics:
    """What :func:`unweighted_batches` measured (updated while it runs).

    Attributes:
        trials: weighted events tried (the last batch, of which a random part
            completes the sample, counts that part); accepted: unweighted events yielded.
        initial_max_weight_pb, max_weight_pb: W at the start and now.
    """

    trials: int = 0
    accepted: int = 0
    initial_max_weight_pb: float = 0.0
    max_weight_pb: float = 0.0

    @property
    def efficiency(self) -> float:
        """Unweighted events per weighted event drawn."""
        return self.accepted / self.trials if self.trials else 0.0


def unweighted_batches(
    generator: Any,
    n: int,
    cross_section_pb: float,
    max_weight: MaxWeight,
    statistics: StreamStatistics | None = None,
    progress: bool = False,
) -> Generator[EventBatch, None, None]:
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
    # batches in batch-index order (computed ahead in threads or on a cluster), so W
    # and the stream do not depend on where or when a batch was computed
    # on a cluster, a batch comes back reduced to the events that can pass (one uniform
    # number per event), against W then
    consumed = 0

    def wanted(ahead: int) -> bool:
        return expects_more(stats.accepted, consumed, ahead, n)

    samples = generator._frozen_samples(
        itertools.repeat(generator.batch_size),
        lambda ahead: max_weight.hint(ahead, UNWEIGHTING_STREAM, 1),
        wanted,
    )
    try:
        for index, sample in samples if stats.accepted < n else ():
            passed = (
                accept_reduced(max_weight, sample) if isinstance(sample, ReducedBatch) else None
            )
            if passed is None:  # a local batch, or one reduced too tightly
                rng = batch_rng(generator.seed, index, UNWEIGHTING_STREAM)
                whole = ReductionHint.whole(UNWEIGHTING_STREAM, 1)
                sample = reduce_batch(
                    generator._whole(index, sample).events, rng, whole, local=True
                )
                passed = accept_reduced(max_weight, sample)
                assert passed is not None  # a whole batch always merges
            consumed += 1
            positions, big_w = passed
            stats.max_weight_pb = big_w
            accepted = positions
            trials = sample.n
            if positions.size > n - stats.accepted:
                # a batch is ordered by channel: the last one gives a random subset of
                # its accepted events, not its first ones, and counts its trials pro rata
                accepted = np.sort(sample.rng.permutation(positions)[: n - stats.accepted])
                trials = round(sample.n * accepted.size / positions.size)
            stats.trials += trials
            if accepted.size == 0:
                continue
            ratio = np.maximum(1.0, sample.weight[accepted] / big_w)
            kept = sample.take(accepted).to_numpy()
            stats.accepted += accepted.size
            if bar is not None:
                bar.update(accepted.size)
            yield replace(kept, weight=cross_section_pb / n * ratio)
            if stats.accepted >= n:
                break
    finally:
        samples.close()
        if bar is not None:
            bar.close()
