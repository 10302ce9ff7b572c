"""Streamed unweighting: the unweighted events reproduce the weighted distributions
(chi^2 per histogram), carry the cross section, and are reproducible."""

from __future__ import annotations

import numpy as np
import pytest

from pyumami.generation.generator import Generator
from pyumami.generation.histograms import HistogramSet, HistogramSpec, chi2
from pyumami.generation.streaming import StreamStatistics, unweighted_batches
from pyumami.generation.unweighting import MaxWeight

SPECS = [HistogramSpec.parse(t) for t in ("pt(6):25:0:500", "y(6):25:-1.2:1.2", "eta(t~):25:-3:3")]


def _trained(seed: int) -> Generator:
    generator = Generator("g g > t t~", 1000.0, libraries="gg_ttx", seed=seed, batch_size=5000)
    generator.train(3, 5000)
    return generator


def _stream(generator: Generator, n: int, weighted: HistogramSet | None = None):
    max_weight = MaxWeight(1e-3)
    sigma = []
    for batch in generator.weighted_batches(40_000):
        max_weight.update(np.asarray(batch.weight))
        sigma.append(np.asarray(batch.weight))
        if weighted is not None:
            weighted.fill(batch)
    cross_section = float(np.concatenate(sigma).mean())
    stats = StreamStatistics()
    batches = list(unweighted_batches(generator, n, cross_section, max_weight, stats))
    return batches, stats, cross_section


def test_unweighted_events_reproduce_the_weighted_histograms() -> None:
    weighted, unweighted = HistogramSet(SPECS, weighted=True), HistogramSet(SPECS, weighted=False)
    batches, stats, cross_section = _stream(_trained(3), 6000, weighted)
    for batch in batches:
        unweighted.fill(batch)
    assert sum(len(b) for b in batches) == stats.accepted == 6000
    assert 0.05 < stats.efficiency <= 1.0
    total = float(sum(np.sum(b.weight) for b in batches))
    # sigma / n * sum(max(1, w / W)): over-weights add at most the over-weight share
    assert cross_section <= total < cross_section * 1.01
    for index, spec in enumerate(SPECS):
        value, bins = chi2(weighted, unweighted, index)
        # chi^2 with `bins` degrees of freedom: 5 standard deviations above the mean
        assert value < bins + 5 * np.sqrt(2 * bins), (spec, value, bins)


def test_stream_is_reproducible_and_can_stop_early() -> None:
    first, _, _ = _stream(_trained(5), 800)
    second, _, _ = _stream(_trained(5), 800)
    assert np.array_equal(np.concatenate([b.momenta for b in first]),
                          np.concatenate([b.momenta for b in second]))  # fmt: skip
    generator = _trained(5)
    max_weight = MaxWeight(1e-3)
    for batch in generator.weighted_batches(10_000):
        max_weight.update(np.asarray(batch.weight))
    stats = StreamStatistics()
    stream = unweighted_batches(generator, 10_000, 1.0, max_weight, stats)
    first_batch = next(stream)
    stream.close()
    assert stats.accepted == len(first_batch) and stats.trials == 5000
    # W moves with the sample (it may shrink: the summed weight grows), but not far
    assert stats.initial_max_weight_pb > 0
    assert abs(stats.max_weight_pb / stats.initial_max_weight_pb - 1.0) < 0.5


@pytest.mark.parametrize("n", [1, 7])
def test_exactly_n_events(n: int) -> None:
    batches, stats, _ = _stream(_trained(2), n)
    assert sum(len(b) for b in batches) == n == stats.accepted
