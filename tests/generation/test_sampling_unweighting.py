"""Maximum-weight estimate and unweighting."""

from __future__ import annotations

from dataclasses import fields, replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from pyumami.generation.errors import SettingsError
from pyumami.generation.events import EventBatch
from pyumami.generation.unweighting import (
    MaxWeight,
    Unweighter,
    _take,
    _take_joined,
    concatenate_batches,
)


def brute_force_max(w: np.ndarray, eps: float) -> float:
    """Smallest weight W in the sample with sum(w[w > W]) <= eps * sum(w)."""
    total = w.sum()
    for cand in np.sort(w):
        if w[w > cand].sum() <= eps * total:
            return float(cand)
    return float(w.max())


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, st.integers(1, 400), elements=st.floats(1e-3, 1e3)),
    st.sampled_from([0.0, 1e-3, 0.01, 0.1]),
    st.integers(1, 5),
)
def test_max_weight_matches_the_definition_whatever_the_batching(w, eps, pieces):
    estimate = MaxWeight(eps)
    for part in np.array_split(w, pieces):
        estimate.update(part)
    assert estimate.value == brute_force_max(w, eps)
    assert w[w > estimate.value].sum() <= eps * w.sum() * (1 + 1e-12)


def test_zero_overweight_gives_the_largest_weight():
    estimate = MaxWeight(0.0)
    estimate.update(np.array([1.0, 5.0, 2.0]))
    assert estimate.value == 5.0


def test_bad_overweight_fraction_is_refused():
    with pytest.raises(SettingsError):
        MaxWeight(1.5)


def batch(weights: np.ndarray, x: np.ndarray, index: int) -> EventBatch:
    n = weights.size
    momenta = np.zeros((n, 4, 4))
    momenta[:, 2, 0] = x
    return EventBatch(
        momenta=momenta,
        weight=weights,
        pdg=np.zeros((n, 4), np.int32),
        subprocess=np.zeros(n, np.int32),
        channel=np.zeros(n, np.int32),
        x1=np.ones(n),
        x2=np.ones(n),
        scale=np.ones(n),
        alpha_s=np.ones(n),
        batch_index=index,
    )


def test_unweighted_events_follow_the_weighted_distribution():
    """Weighted sample x ~ U(0,1) with w = 3 x^2 (integral 1): the unweighted events' x
    histogram must follow 3 x^2 (chi^2 / dof < 2 for 10 bins and 20k events), the weights sum
    to the cross section, and the efficiency is about <w> / W = 1/3."""
    rng = np.random.default_rng(3)
    unweighter = Unweighter(1e-3)
    for k in range(30):
        x = rng.random(10_000)
        unweighter.add(batch(3 * x**2, x, k), np.random.default_rng(k + 100))
    events = unweighter.finish(20_000)
    assert len(events) == 20_000
    x = events.momenta[:, 2, 0]
    counts, edges = np.histogram(x, bins=10, range=(0, 1))
    expected = len(x) * (edges[1:] ** 3 - edges[:-1] ** 3)
    chi2 = np.sum((counts - expected) ** 2 / expected)
    assert chi2 / 10 < 2.0
    mean, err = unweighter.cross_section
    assert abs(mean - 1.0) < 4 * err
    assert np.sum(events.weight) == pytest.approx(mean)
    assert unweighter.efficiency == pytest.approx(1 / 3, rel=0.02)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 8), st.sampled_from([0.0, 1e-3, 0.1]))
def test_the_final_pass_keeps_a_subset_of_the_candidates(seed, batches, eps):
    """generate counts the events the final pass keeps only once the candidates reach n:
    valid because the count never exceeds the candidates accepted so far (each the
    number ``add`` returned), whatever W does between batches."""
    rng = np.random.default_rng(seed)
    unweighter = Unweighter(eps)
    accepted = 0
    for k in range(batches):
        w = rng.exponential(size=int(rng.integers(1, 500))) ** 3 * (rng.random() + 0.1)
        accepted += unweighter.add(batch(w, rng.random(w.size), k), np.random.default_rng(k))
        assert unweighter.candidates == accepted
        assert unweighter.expected() <= unweighter.candidates


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 5), st.booleans())
def test_joined_gather_equals_gathering_then_concatenating(seed, count, mixed):
    """The final pass gathers the kept events of every batch straight into the joined
    arrays; the same events, dtypes and optional fields as gathering each batch and then
    concatenating them, also where batches differ in an array's dtype or an optional
    field (helicity) is missing from one of them."""
    rng = np.random.default_rng(seed)
    parts = []
    for k in range(count):
        n = int(rng.integers(1, 50))
        b = batch(rng.random(n), rng.random(n), k)
        if k % 2 == 0:
            b = replace(b, helicity=rng.integers(0, 16, n).astype(np.int32))
        if mixed and k == count - 1:
            b = replace(b, channel=b.channel.astype(np.int64), helicity=None)
        parts.append((b, np.sort(rng.choice(n, int(rng.integers(0, n + 1)), replace=False))))
    parts = [(b, p) for b, p in parts if p.size] or [(parts[0][0], np.arange(1))]
    joined = _take_joined(parts)
    expected = concatenate_batches([_take(b, p) for b, p in parts])
    for f in fields(EventBatch):
        a, e = getattr(joined, f.name), getattr(expected, f.name)
        if isinstance(e, np.ndarray):
            assert a.dtype == e.dtype and np.array_equal(a, e), f.name
        else:
            assert a == e, f.name
