"""Invariant mappings: round trips, Jacobians, normalisation, limits."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phase_space.invariants import (
    BreitWignerInvariant,
    FlatInvariant,
    PowerLawInvariant,
    propagator_mapping,
)
from tests.phase_space.conftest import to_numpy, to_xp

EDGE_R = np.array([0.0, 1e-12, 1e-9, 1e-6, 0.5, 1 - 1e-9, 1 - 1e-12])


def mappings():
    return [
        ("flat", FlatInvariant()),
        ("power0.8", PowerLawInvariant(0.0, 0.8)),
        ("power0.3", PowerLawInvariant(0.0, 0.3)),
        ("log", PowerLawInvariant(0.0, 1.0)),
        ("power2", PowerLawInvariant(0.0, 2.0)),
        ("power_massive_t", PowerLawInvariant(-(80.0**2), 0.8)),
        ("bw_z", BreitWignerInvariant(91.19, 2.5)),
        ("bw_top", BreitWignerInvariant(173.0, 1.5)),
    ]


@pytest.mark.parametrize("name,mapping", mappings())
def test_round_trip_and_jacobian(xp, name, mapping):
    rng = np.random.default_rng(7)
    r_np = np.concatenate([EDGE_R, rng.random(2000)])
    x_min = to_xp(xp, np.concatenate([np.zeros(len(EDGE_R)), rng.uniform(0, 5e3, 2000)]))
    x_max = x_min + to_xp(xp, rng.uniform(1.0, 1e6, len(r_np)))
    r = to_xp(xp, r_np)
    x, w = mapping.forward(r, x_min, x_max)
    r_back, w_inv = mapping.inverse(x, x_min, x_max)
    x_np = to_numpy(x)
    assert np.all(x_np >= to_numpy(x_min) * (1 - 1e-12) - 1e-9)
    assert np.all(x_np <= to_numpy(x_max) * (1 + 1e-12))
    np.testing.assert_allclose(to_numpy(r_back), r_np, rtol=0, atol=1e-9)
    np.testing.assert_allclose(to_numpy(w) * to_numpy(w_inv), 1.0, rtol=1e-10)


@pytest.mark.parametrize("name,mapping", mappings())
def test_jacobian_matches_finite_difference(name, mapping):
    import array_api_compat.numpy as xp

    r = np.linspace(0.01, 0.99, 99)
    h = 1e-6
    x_min, x_max = 10.0, 4e4
    _, w = mapping.forward(xp.asarray(r), x_min, x_max)
    xp_, _ = mapping.forward(xp.asarray(r + h), x_min, x_max)
    xm_, _ = mapping.forward(xp.asarray(r - h), x_min, x_max)
    np.testing.assert_allclose(
        (np.asarray(xp_) - np.asarray(xm_)) / (2 * h), np.asarray(w), rtol=1e-5
    )


@pytest.mark.parametrize("name,mapping", mappings())
def test_mean_weight_is_range(name, mapping):
    """The mean of dx/dr over uniform r is the length of the interval."""
    import array_api_compat.numpy as xp

    # midpoint rule in r: exact enough for these smooth maps with 2e5 nodes
    r = (np.arange(200_000) + 0.5) / 200_000
    _, w = mapping.forward(xp.asarray(r), 50.0, 9e4)
    assert np.mean(np.asarray(w)) == pytest.approx(9e4 - 50.0, rel=1e-4)


@settings(max_examples=60, deadline=None)
@given(
    nu=st.floats(0.0, 2.5),
    x_min=st.floats(0.0, 1e4),
    span=st.floats(1e-3, 1e7),
    r=st.floats(0.0, 1.0, exclude_max=True),
)
def test_power_law_any_exponent(nu, x_min, span, r):
    import array_api_compat.numpy as xp

    mapping = PowerLawInvariant(0.0, nu)
    x, w = mapping.forward(xp.asarray([r]), x_min, x_min + span)
    r_back, w_inv = mapping.inverse(x, x_min, x_min + span)
    assert abs(float(r_back[0]) - r) < 1e-9
    assert float(w[0] * w_inv[0]) == pytest.approx(1.0, rel=1e-9)


def test_log_limit_is_continuous_in_nu():
    import array_api_compat.numpy as xp

    r = xp.asarray(np.linspace(0.0, 0.999, 50))
    x_log, w_log = PowerLawInvariant(0.0, 1.0).forward(r, 1.0, 1e5)
    x_near, w_near = PowerLawInvariant(0.0, 1.0 + 1e-6).forward(r, 1.0, 1e5)
    np.testing.assert_allclose(np.asarray(x_near), np.asarray(x_log), rtol=1e-4)
    np.testing.assert_allclose(np.asarray(w_near), np.asarray(w_log), rtol=1e-4)


def test_massless_pole_on_boundary_is_finite():
    """x_min = m^2 = 0 with nu >= 1 needs the auxiliary negative mass."""
    import array_api_compat.numpy as xp

    for nu in (1.0, 1.5):
        x, w = PowerLawInvariant(0.0, nu).forward(xp.asarray([0.0, 1e-9, 0.5]), 0.0, 1e6)
        assert np.all(np.isfinite(np.asarray(x))) and np.all(np.isfinite(np.asarray(w)))
        assert float(x[0]) == pytest.approx(0.0, abs=1e-12)


def test_bad_parameters_raise():
    with pytest.raises(ValueError, match="width"):
        BreitWignerInvariant(91.0, 0.0)
    with pytest.raises(ValueError, match="aux_mass_sq"):
        PowerLawInvariant(0.0, 1.0, aux_mass_sq=0.0)


def test_propagator_mapping_choice():
    assert isinstance(propagator_mapping(91.0, 2.5), BreitWignerInvariant)
    assert isinstance(propagator_mapping(0.0, 0.0), PowerLawInvariant)
    assert isinstance(propagator_mapping(173.0, 0.0), FlatInvariant)
    t_map = propagator_mapping(80.0, 2.0, space_like=True)
    assert isinstance(t_map, PowerLawInvariant) and t_map.pole == -6400.0


def test_jit(jax_numpy):
    import jax

    mapping = BreitWignerInvariant(91.19, 2.5)

    @jax.jit
    def round_trip(r):
        x, w = mapping.forward(r, 100.0, 1e5)
        r2, wi = mapping.inverse(x, 100.0, 1e5)
        return r2, w * wi

    r = jax_numpy.linspace(0.0, 0.99, 11)
    r2, one = round_trip(r)
    np.testing.assert_allclose(np.asarray(r2), np.asarray(r), atol=1e-12)
    np.testing.assert_allclose(np.asarray(one), 1.0, rtol=1e-12)


def test_every_invariant_mapping_states_its_random_dimension():
    from phase_space.invariants import BreitWignerInvariant, FlatInvariant, PowerLawInvariant

    for mapping in (FlatInvariant(), PowerLawInvariant(0.0, 0.8), BreitWignerInvariant(91.19, 2.5)):
        assert mapping.dim == 1
