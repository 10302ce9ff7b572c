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
@given(
    st.lists(st.floats(0.0, 1e3), min_size=4, max_size=4),
    st.lists(st.floats(0.0, 1e3), min_size=4, max_size=4),
)
def test_fractions_stay_normalised_and_above_their_floors(integral, sigma):
    fractions = SamplingFractions([0, 0, 1, 1])
    for _ in range(5):
        fractions.update(np.array(integral), np.array(sigma))
    p = fractions.values
    assert abs(p.sum() - 1.0) < 1e-12
    assert np.all(p > 0.0)


def test_subprocesses_get_shares_of_their_cross_sections():
    fractions = SamplingFractions([0, 1], damping=1.0, subprocess_floor=0.0)
    fractions.update(np.array([3.0, 1.0]), np.array([1.0, 1.0]))
    np.testing.assert_allclose(fractions.values, [0.75, 0.25])


def test_split_is_reproducible():
    fractions = SamplingFractions([0, 0, 0])
    a = fractions.split(1000, np.random.default_rng(1))
    b = fractions.split(1000, np.random.default_rng(1))
    assert a.sum() == 1000 and np.array_equal(a, b)
