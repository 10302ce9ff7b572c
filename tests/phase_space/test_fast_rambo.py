"""FastRambo: the c_k fit (Table 1), the rational-quadratic map, round trips and volumes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phase_space.fast_rambo import FastRambo
from phase_space.rambo import diet_mass_map, massless_volume
from phase_space.rational_quadratic import (
    RQF_PARAMETERS,
    fit_rqf_parameter,
    rqf_density,
    rqf_forward,
    rqf_inverse,
)
from tests.phase_space._helpers import check_physical
from tests.phase_space.conftest import to_numpy, to_xp

#: Table 1 of the MadSpace paper (k = 1 .. 7).
PAPER_TABLE_1 = [2.0, 2.712001, 3.084521, 3.313073, 3.467512, 3.578833, 3.662872]


@pytest.mark.parametrize("k", range(1, 8))
def test_fit_reproduces_table_1(k):
    assert fit_rqf_parameter(k) == pytest.approx(PAPER_TABLE_1[k - 1], abs=1e-5)


@pytest.mark.parametrize("k", range(1, 8))
def test_fit_with_few_nodes_is_already_close(k):
    """A cheap 20-node quadrature lands within 1e-4 of the table (the fit is well conditioned)."""
    assert fit_rqf_parameter(k, nodes=20) == pytest.approx(PAPER_TABLE_1[k - 1], abs=1e-4)


def test_stored_parameters_are_the_fit():
    for k, stored in enumerate(RQF_PARAMETERS, start=1):
        assert fit_rqf_parameter(k) == pytest.approx(stored, rel=1e-12)


def test_fit_minimises_eq66():
    """Moving c away from c_k* increases the integrated squared distance to G_diet."""
    y = (np.arange(200000) + 0.5) / 200000

    def distance(c, k):
        return np.mean((rqf_forward(y, c) - diet_mass_map(y, k)) ** 2)

    for k in (2, 5):
        c = fit_rqf_parameter(k)
        assert distance(c, k) < distance(c * 1.01, k)
        assert distance(c, k) < distance(c * 0.99, k)


@settings(max_examples=50, deadline=None)
@given(st.floats(0.05, 20.0), st.integers(0, 2**32 - 1))
def test_rqf_inverse_and_density(c, seed):
    y = np.concatenate([np.random.default_rng(seed).random(1000), [0.0, 1e-12, 1 - 1e-12, 1.0]])
    r = rqf_forward(y, c)
    assert np.all(np.diff(rqf_forward(np.sort(y), c)) >= 0)
    np.testing.assert_allclose(rqf_inverse(r, c), y, atol=1e-12)
    h = 1e-6
    inner = y[(y > 2 * h) & (y < 1 - 2 * h)]
    numeric = (rqf_forward(inner + h, c) - rqf_forward(inner - h, c)) / (2 * h)
    np.testing.assert_allclose(rqf_density(inner, c), numeric, rtol=1e-6, atol=1e-8)
    assert rqf_forward(0.0, c) == 0.0 and rqf_forward(1.0, c) == 1.0


def test_rqf_with_c2_is_rambo_on_diet_k1():
    y = np.linspace(0, 1, 101)
    np.testing.assert_allclose(rqf_forward(y, 2.0), 2 * y - y**2, atol=1e-15)


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_massless_volume(xp, n):
    mapping = FastRambo([0.0] * n, 1000.0)
    size = 100_000
    _, w = mapping.forward(to_xp(xp, np.random.default_rng(10 + n).random((size, mapping.dim))))
    w = to_numpy(w)
    volume = massless_volume(n, 1000.0)
    error = w.std() / math.sqrt(size)
    assert abs(w.mean() - volume) < 3 * error + 1e-12 * volume
    if n <= 3:  # c_1* = 2: exactly RamboOnDiet, flat
        np.testing.assert_allclose(w, volume, rtol=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("n", [4, 5, 6, 8])
def test_massless_volume_high_statistics(n):
    mapping = FastRambo([0.0] * n, 1000.0)
    rng = np.random.default_rng(100 + n)
    sums = np.zeros(2)
    size = 0
    for _ in range(10):
        _, w = mapping.forward(rng.random((1_000_000, mapping.dim)))
        sums += [w.sum(), (w**2).sum()]
        size += len(w)
    mean = sums[0] / size
    error = math.sqrt((sums[1] / size - mean**2) / size)
    assert abs(mean - massless_volume(n, 1000.0)) < 3 * error
    assert error / mean < 3e-4


def test_weight_is_nearly_flat():
    """Fig. 3: w_n(r) stays within a factor ~2 of 1 for n = 6 (measured 0.48 .. 1.64, std 0.09)."""
    mapping = FastRambo([0.0] * 6, 1000.0)
    _, w = mapping.forward(np.random.default_rng(0).random((100_000, mapping.dim)))
    ratio = w / massless_volume(6, 1000.0)
    assert 0.4 < ratio.min() and ratio.max() < 2.0
    assert 0.05 < ratio.std() < 0.12


def test_large_multiplicity_fits_missing_parameters():
    mapping = FastRambo([0.0] * 17, 13000.0)  # k = 15 is beyond the stored table
    assert mapping.parameters[15] == pytest.approx(fit_rqf_parameter(15))
    r = np.random.default_rng(0).random((100, mapping.dim))
    p, _ = mapping.forward(r)
    check_physical(p, [0.0] * 17, 13000.0)
    np.testing.assert_allclose(mapping.inverse(p)[0], r, atol=1e-9)
