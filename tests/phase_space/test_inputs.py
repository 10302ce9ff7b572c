"""What the full mappings accept: random numbers in [0, 1) only, array-likes like the host."""

from __future__ import annotations

import math

import numpy as np
import pytest

from phase_space import (
    ChannelMapping,
    Chili,
    FastRambo,
    HadronicChannelMapping,
    InputDtypeError,
    Luminosity,
    Rambo,
    RamboOnDiet,
    RandomRangeError,
    Topology,
)
from tests.phase_space.conftest import to_numpy, to_xp

SQRT_S = 1000.0


def mappings():
    topology = Topology.multi_peripheral((0.0, 0.0, 0.0))
    return [
        Rambo([173.0, 173.0, 0.0], SQRT_S),
        RamboOnDiet([0.0, 0.0, 0.0], SQRT_S),
        FastRambo([173.0, 173.0, 0.0], SQRT_S),
        Chili([0.0, 0.0, 0.0], SQRT_S, pt_min=20.0),
        ChannelMapping(topology, SQRT_S),
        HadronicChannelMapping(topology, Luminosity(SQRT_S, s_hat_min=100.0**2)),
        Luminosity(SQRT_S, s_hat_min=100.0**2),
    ]


MAPPINGS = mappings()
IDS = [type(m).__name__ for m in MAPPINGS]


def randoms(mapping, batch=6, seed=0):
    return np.random.default_rng(seed).uniform(0.05, 0.95, (batch, mapping.dim))


@pytest.mark.parametrize("mapping", MAPPINGS, ids=IDS)
@pytest.mark.parametrize("bad", [1.0, -1e-12, 1.5, math.nan, math.inf])
def test_random_numbers_outside_the_unit_interval_are_refused(xp, mapping, bad):
    r = randoms(mapping)
    r[3, mapping.dim - 1] = bad
    r[5, 0] = bad
    with pytest.raises(RandomRangeError, match=r"\[0, 1\)") as caught:
        mapping.forward(to_xp(xp, r))
    message = str(caught.value)
    assert "2 value(s) outside" in message
    assert f"event 3, column {mapping.dim - 1}" in message  # the first one, in row order


@pytest.mark.parametrize("mapping", MAPPINGS, ids=IDS)
# 0 sits on boundaries of some maps (a massless cluster at threshold): the arithmetic warns
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_zero_is_accepted(xp, mapping):
    """0 belongs to [0, 1): no error (the weight there may be a boundary limit, 0 or NaN)."""
    r = randoms(mapping)
    for row in range(6):
        r[row, row % mapping.dim] = 0.0
    _, w = mapping.forward(to_xp(xp, r))
    assert to_numpy(w).shape == (6,)


@pytest.mark.parametrize("mapping", MAPPINGS[:-1], ids=IDS[:-1])
def test_lists_are_accepted_like_arrays(mapping):
    r = randoms(mapping)
    p_list, w_list = mapping.forward(r.tolist())
    p_array, w_array = mapping.forward(r)
    assert isinstance(p_list, np.ndarray)
    np.testing.assert_array_equal(p_list, p_array)
    np.testing.assert_array_equal(w_list, w_array)
    r_list, w_inv_list = mapping.inverse(p_array.tolist())
    r_array, w_inv_array = mapping.inverse(p_array)
    np.testing.assert_array_equal(r_list, r_array)
    np.testing.assert_array_equal(w_inv_list, w_inv_array)


@pytest.mark.parametrize("mapping", MAPPINGS[:-1], ids=IDS[:-1])
def test_other_real_dtypes_are_cast(mapping):
    r = randoms(mapping)
    p32, _ = mapping.forward(r.astype(np.float32))
    p64, _ = mapping.forward(r.astype(np.float32).astype(np.float64))
    np.testing.assert_array_equal(p32, p64)


@pytest.mark.parametrize("mapping", MAPPINGS, ids=IDS)
def test_values_that_are_not_real_numbers_are_refused(mapping):
    shape = (2, mapping.dim)
    with pytest.raises(InputDtypeError, match="real numbers"):
        mapping.forward(np.zeros(shape, dtype=bool))
    with pytest.raises(InputDtypeError, match="real numbers"):
        mapping.forward(np.full(shape, 0.5 + 0.5j))
    with pytest.raises(InputDtypeError, match="real numbers"):
        mapping.forward([["0.5"] * mapping.dim])
    with pytest.raises(InputDtypeError, match="rectangular"):
        mapping.forward([[0.5] * mapping.dim, [0.5]])


@pytest.mark.parametrize("mapping", MAPPINGS[:-1], ids=IDS[:-1])
def test_inverse_output_is_always_accepted_by_forward(mapping):
    """Inverses can land on 1 exactly (azimuth pi, invariant at its limit): never returned."""
    r = randoms(mapping, batch=200)
    p, _ = mapping.forward(r)
    r_back, _ = mapping.inverse(p)
    assert np.all((r_back >= 0.0) & (r_back < 1.0))
    mapping.forward(r_back)


def test_azimuth_of_exactly_pi_comes_back_below_one():
    mapping = FastRambo([0.0, 0.0], 100.0)
    # p1 along -x: atan2(0, -E) = pi, whose random number (phi + pi) / (2 pi) is exactly 1
    p = np.array([[[50, 0, 0, 50], [50, 0, 0, -50], [50, -50, 0, 0], [50, 50, 0, 0]]], float)
    r, _ = mapping.inverse(p)
    assert r[0, 1] == np.nextafter(1.0, 0.0)
    np.testing.assert_allclose(mapping.forward(r)[0], p, atol=1e-12)


def test_concrete_jax_arrays_are_checked(jax_numpy):
    mapping = FastRambo([0.0] * 4, SQRT_S)
    r = randoms(mapping)
    r[1, 2] = 1.0
    with pytest.raises(RandomRangeError, match="event 1, column 2"):
        mapping.forward(jax_numpy.asarray(r))


def test_jax_traces_skip_the_range_check(jax_numpy):
    """Inside jax.jit the values cannot be read: out-of-range numbers pass (documented)."""
    import jax

    mapping = FastRambo([0.0] * 4, SQRT_S)
    r = randoms(mapping)
    r[1, 2] = 1.5
    p, w = jax.jit(mapping.forward)(jax_numpy.asarray(r))
    assert p.shape == (6, 6, 4)
    # and a concrete array closed over by a traced function is not read either
    _, w_closed = jax.jit(lambda s: mapping.forward(jax_numpy.asarray(r) * s))(1.0)
    np.testing.assert_allclose(np.asarray(w_closed), np.asarray(w))
