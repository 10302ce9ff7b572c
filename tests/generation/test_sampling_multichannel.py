"""Channel weights and sampling fractions."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from pyumami.generation.multichannel import SamplingFractions, sde_weights


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, (20, 4), elements=st.floats(0.0, 10.0)))
def test_sde_weights_of_all_channels_sum_to_one(amp2):
    diagrams = [(0,), (1, 2), (3,)]
    total = sum(sde_weights(amp2, np.full(20, c), diagrams) for c in range(3))
    np.testing.assert_allclose(total, 1.0, rtol=1e-12)


def test_sde_weight_is_the_share_of_the_channel_diagrams():
    amp2 = np.array([[1.0, 3.0, 0.0]])
    assert sde_weights(amp2, np.array([1]), [(0,), (1,), (2,)])[0] == 0.75


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0.0, 1e3), min_size=4, max_size=4))
def test_fractions_stay_normalised_and_above_their_floors(max_weight):
    fractions = SamplingFractions([0, 0, 1, 1])
    for _ in range(5):
        fractions.update(np.array(max_weight))
    for p in (fractions.values, fractions.training_values):
        assert abs(p.sum() - 1.0) < 1e-12
        assert np.all(p >= fractions.floor / 4 * (1 - 1e-12))


def test_slots_get_shares_of_their_maximum_weights():
    fractions = SamplingFractions([0, 0, 1], damping=1.0, floor=0.0)
    fractions.update(np.array([3.0, 1.0, 4.0]))
    np.testing.assert_allclose(fractions.values, [0.375, 0.125, 0.5])
    np.testing.assert_allclose(fractions.subprocess, [0.5, 0.5])


def test_equal_maximum_weights_give_equal_largest_event_weights():
    # an event of slot s weighs F_s / p_s: with p ~ W_s the slots' largest weights agree
    peaks = np.array([10.0, 1.0, 0.01])
    fractions = SamplingFractions([0, 1, 2], damping=1.0, floor=0.0)
    fractions.update(peaks)
    largest = peaks / fractions.values
    np.testing.assert_allclose(largest, largest[0])


def test_training_split_gives_every_slot_a_share():
    fractions = SamplingFractions([0, 1, 2, 3], damping=1.0, floor=0.0, training_share=0.5)
    fractions.update(np.array([1.0, 0.0, 0.0, 0.0]))
    assert np.all(fractions.training_values >= 0.5 / 4 - 1e-12)


def test_slots_without_an_estimate_keep_their_share():
    fractions = SamplingFractions([0, 1, 2], damping=1.0, floor=0.0)
    fractions.update(np.array([1.0, np.nan, 3.0]))
    np.testing.assert_allclose(fractions.values, [1 / 6, 1 / 3, 1 / 2])


def test_split_is_reproducible():
    fractions = SamplingFractions([0, 0, 0])
    a = fractions.split(1000, np.random.default_rng(1))
    b = fractions.split(1000, np.random.default_rng(1))
    assert a.sum() == 1000 and np.array_equal(a, b)
