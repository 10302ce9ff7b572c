"""A batch reduced where it was computed (on a Dask worker) unweights to the same bits as
the whole batch, or says it cannot: the maximum-weight estimate, the accepted events and
the random stream after them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from pyumami.generation.events import EventBatch
from pyumami.generation.unweighting import (
    MaxWeight,
    ReductionHint,
    Unweighter,
    accept_reduced,
    reduce_batch,
)

weights = arrays(
    np.float64,
    st.integers(1, 3000),
    elements=st.one_of(st.just(0.0), st.floats(1e-6, 1e4), st.floats(-1.0, -1e-6)),
)


def _batch(w: np.ndarray, index: int = 0) -> EventBatch:
    n = w.size
    momenta = np.zeros((n, 4, 4))
    momenta[:, 0, 0] = np.arange(n)  # tells the events apart
    return EventBatch(
        momenta=momenta, weight=w, pdg=np.zeros((n, 4), np.int32),
        subprocess=np.zeros(n, np.int32), channel=np.zeros(n, np.int32), x1=np.ones(n),
        x2=np.ones(n), scale=np.ones(n), alpha_s=np.ones(n), batch_index=index,
    )  # fmt: skip


def _state(m: MaxWeight) -> tuple:
    return m.total, m.value, m._top.tobytes()


@settings(max_examples=80, deadline=None)
@given(
    st.lists(weights, min_size=2, max_size=4),
    st.floats(0.0, 2.0),
    st.floats(1e-3, 10.0),
    st.sampled_from([0.0, 1e-3, 0.05]),
)
def test_a_reduced_batch_merges_like_the_whole_or_refuses(history, floor_share, margin, eps):
    """Whatever the hint (too tight on purpose: a floor above W, a total below the real
    one), add_reduced either leaves everything unchanged and says so, or reaches the
    state, the accepted events and the random stream that add reaches with the batch."""
    whole, reduced = Unweighter(eps), Unweighter(eps)
    for w in history[:-1]:
        for u in (whole, reduced):
            u.add(_batch(w), np.random.default_rng(7))
    w = history[-1]
    m = reduced.max_weight
    total = margin * (m.total + float(w[w > 0].sum()))
    hint = ReductionHint(floor_share * m.value, total, eps, 1, 2)
    before = _state(m)
    accepted = reduced.add_reduced(reduce_batch(_batch(w), np.random.default_rng(9), hint))
    rng = np.random.default_rng(9)
    expected = whole.add(_batch(w), rng)
    event("refused" if accepted is None else "merged")
    if accepted is None:
        assert _state(m) == before
        assert reduced.add(_batch(w), np.random.default_rng(9)) == expected
    else:
        assert accepted == expected
    assert _state(reduced.max_weight) == _state(whole.max_weight)
    assert (reduced.n_trials, reduced.sum_w, reduced.sum_w2) == (
        whole.n_trials, whole.sum_w, whole.sum_w2)  # fmt: skip
    for (a, pa), (b, pb) in zip(reduced._c.sources, whole._c.sources, strict=True):
        assert np.array_equal(a.momenta[pa], b.momenta[pb])
    for field in ("weight", "w_at", "u"):
        assert np.array_equal(
            np.concatenate(getattr(reduced._c, field) or [np.zeros(0)]),
            np.concatenate(getattr(whole._c, field) or [np.zeros(0)]),
        )


def test_a_generous_hint_keeps_few_weights_and_events_and_always_merges():
    rng = np.random.default_rng(1)
    m = MaxWeight(1e-3)
    for _ in range(5):
        m.update(rng.exponential(size=20_000))
    w = rng.exponential(size=20_000)
    reduced = reduce_batch(_batch(w), np.random.default_rng(3), m.hint(4, 1, 1))
    assert not reduced.complete and reduced.top.size < 2000
    passed = accept_reduced(m, reduced)
    assert passed is not None
    positions, big_w = passed
    # the floor is 0.8 W: about 1 / 0.8 events kept per accepted one
    assert positions.size < reduced.index.size < 1.4 * positions.size
    u = np.random.default_rng(3).random(w.size)
    assert np.array_equal(reduced.index[positions], np.nonzero((w > 0) & (u * big_w < w))[0])


def test_the_first_hint_keeps_the_whole_batch():
    hint = MaxWeight(1e-3).hint(3, 1, 2)
    assert hint.floor == 0.0 and hint.total == float("inf")
    w = np.array([1.0, 0.0, -2.0, 3.0])
    reduced = reduce_batch(_batch(w), np.random.default_rng(0), hint)
    assert reduced.complete and list(reduced.index) == [0, 3]
    assert reduced.sum_w == pytest.approx(2.0) and reduced.positive_sum == pytest.approx(4.0)
