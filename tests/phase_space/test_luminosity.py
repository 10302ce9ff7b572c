"""Luminosity (s-hat, x1, x2), lepton mode, lab-frame boost, hadronic channel mapping."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phase_space.channels import HadronicChannelMapping
from phase_space.errors import BelowThresholdError, LuminosityError, RandomShapeError
from phase_space.invariants import BreitWignerInvariant, PowerLawInvariant
from phase_space.luminosity import Luminosity, boost_to_cm, boost_to_lab
from phase_space.topology import Decay, Propagator, TChannel, Topology
from tests.phase_space.conftest import to_numpy, to_xp

SQRT_S = 13000.0


@pytest.mark.parametrize(
    "lumi",
    [
        Luminosity(SQRT_S, s_hat_min=100.0**2),
        Luminosity(SQRT_S, s_hat_min=0.0),
        Luminosity(SQRT_S, 60.0**2, 120.0**2, BreitWignerInvariant(91.19, 2.5)),
        Luminosity(SQRT_S, 350.0**2, s_hat_mapping=PowerLawInvariant(0.0, 0.5)),
    ],
)
def test_round_trip_and_weights(xp, lumi):
    rng = np.random.default_rng(1)
    edges = np.array([[1e-9, 1e-9], [1e-9, 1 - 1e-9], [1 - 1e-9, 0.5], [0.5, 1e-12]])
    r_np = np.concatenate([edges, rng.random((5000, 2))])
    x, w = lumi.forward(to_xp(xp, r_np))
    x_np = to_numpy(x)
    assert np.all((x_np > 0) & (x_np <= 1))
    s_hat = to_numpy(lumi.s_hat(x))
    assert np.all(s_hat >= lumi.s_hat_min * (1 - 1e-12)) and np.all(
        s_hat <= lumi.s_hat_max * (1 + 1e-12)
    )
    r_back, w_inv = lumi.inverse(x)
    np.testing.assert_allclose(to_numpy(r_back), r_np, atol=1e-9)
    ratio = to_numpy(w) * to_numpy(w_inv)
    # at s-hat -> s both fractions approach 1 and -log(tau) ~ (1 - x1) + (1 - x2)
    # keeps only ~1e-16 / (1 - x) relative precision
    generic = r_np[:, 0] < 1 - 1e-6
    np.testing.assert_allclose(ratio[generic], 1.0, rtol=1e-9)
    np.testing.assert_allclose(ratio, 1.0, rtol=1e-6)


@pytest.mark.parametrize("s_hat_min", [0.0, 100.0**2, 2000.0**2])
def test_volume(s_hat_min):
    import array_api_compat.numpy as xp

    lumi = Luminosity(SQRT_S, s_hat_min=s_hat_min)
    n = 400_000
    _, w = lumi.forward(xp.asarray(np.random.default_rng(2).random((n, 2))))
    w = np.asarray(w)
    tau = s_hat_min / SQRT_S**2
    expected = 1.0 - tau + tau * math.log(tau) if tau > 0 else 1.0
    assert lumi.volume() == pytest.approx(expected)
    assert abs(w.mean() - expected) < 3 * w.std() / math.sqrt(n)


def test_x1_is_logarithmic_at_fixed_s_hat():
    import array_api_compat.numpy as xp

    lumi = Luminosity(SQRT_S, s_hat_min=100.0**2)
    r = xp.asarray(np.column_stack([np.full(5, 0.3), np.linspace(0, 1, 5, endpoint=False)]))
    x, _ = lumi.forward(r)
    log_x1 = np.log(np.asarray(x)[:, 0])
    np.testing.assert_allclose(np.diff(log_x1), np.diff(log_x1)[0], rtol=1e-12)
    np.testing.assert_allclose(
        np.prod(np.asarray(x), axis=1), np.prod(np.asarray(x)[0]), rtol=1e-12
    )


def test_lepton_mode(xp):
    lumi = Luminosity.lepton_collider(91.19)
    assert lumi.dim == 0
    x, w = lumi.forward(to_xp(xp, np.zeros((7, 0))))
    np.testing.assert_array_equal(to_numpy(x), np.ones((7, 2)))
    np.testing.assert_array_equal(to_numpy(w), np.ones(7))
    r, _ = lumi.inverse(x)
    assert to_numpy(r).shape == (7, 0)


def test_errors():
    with pytest.raises(LuminosityError, match="s_hat_min"):
        Luminosity(100.0, s_hat_min=2e4)
    with pytest.raises(LuminosityError, match="sqrt_s"):
        Luminosity(0.0)
    with pytest.raises(RandomShapeError, match=r"\(batch, 2\)"):
        import array_api_compat.numpy as xp

        Luminosity(100.0).forward(xp.asarray(np.zeros((3, 1))))


@settings(max_examples=50, deadline=None)
@given(x1=st.floats(1e-6, 1.0), x2=st.floats(1e-6, 1.0))
def test_lab_boost_round_trip(x1, x2):
    import array_api_compat.numpy as xp

    e = 0.5 * math.sqrt(x1 * x2) * SQRT_S
    p_cm = xp.asarray(
        [[[e, 0, 0, e], [e, 0, 0, -e], [e, 3.0, -4.0, 0.5 * e], [e, -3.0, 4.0, -0.5 * e]]]
    )
    x = xp.asarray([[x1, x2]])
    p_lab = boost_to_lab(p_cm, x)
    # incoming partons carry x1 P and x2 P of the beams
    np.testing.assert_allclose(
        np.asarray(p_lab)[0, 0], [x1 * SQRT_S / 2, 0, 0, x1 * SQRT_S / 2], rtol=1e-12, atol=1e-9
    )
    np.testing.assert_allclose(
        np.asarray(p_lab)[0, 1], [x2 * SQRT_S / 2, 0, 0, -x2 * SQRT_S / 2], rtol=1e-12, atol=1e-9
    )
    np.testing.assert_allclose(
        np.asarray(boost_to_cm(p_lab, x)), np.asarray(p_cm), rtol=1e-12, atol=1e-9 * e
    )


def test_hadronic_channel(xp):
    W = Propagator(80.4, 2.1)
    topo = Topology((0.0, 0.0, 0.0, 0.0), TChannel((Decay((0, 1), W), Decay((2, 3), W))))
    lumi = Luminosity(SQRT_S, s_hat_min=200.0**2)
    mapping = HadronicChannelMapping(topo, lumi)
    assert mapping.dim == 2 + 8
    rng = np.random.default_rng(4)
    r_np = rng.random((2000, mapping.dim))
    p, w = mapping.forward(to_xp(xp, r_np))
    p_np = to_numpy(p)
    balance = p_np[:, 2:].sum(1) - p_np[:, :2].sum(1)
    assert np.max(np.abs(balance)) < 1e-10 * SQRT_S
    x = p_np[:, :2, 0] * 2 / SQRT_S
    assert np.all((x > 0) & (x <= 1))
    r_back, w_inv = mapping.inverse(p)
    d = np.abs(to_numpy(r_back) - r_np)
    d = np.minimum(d, 1 - d)
    assert np.quantile(d, 0.99) < 1e-9
    assert np.quantile(np.abs(to_numpy(w) * to_numpy(w_inv) - 1), 0.99) < 1e-9


def test_hadronic_channel_needs_threshold():
    with pytest.raises(BelowThresholdError, match="s_hat_min"):
        HadronicChannelMapping(Topology((173.0, 173.0), Decay((0, 1))), Luminosity(SQRT_S, 100.0))


def test_hadronic_volume():
    """Mean weight = integral over (x1, x2) of Phi_2(s-hat) = (1/(8 pi)) * lumi volume (massless)."""
    import array_api_compat.numpy as xp

    lumi = Luminosity(SQRT_S, s_hat_min=50.0**2)
    mapping = HadronicChannelMapping(Topology.multi_peripheral((0.0, 0.0)), lumi)
    n = 200_000
    _, w = mapping.forward(xp.asarray(np.random.default_rng(6).random((n, mapping.dim))))
    w = np.asarray(w)
    expected = lumi.volume() / (8 * math.pi)
    assert abs(w.mean() - expected) < 3 * w.std() / math.sqrt(n)


def test_jit(jax_numpy):
    import jax

    lumi = Luminosity(SQRT_S, s_hat_min=100.0**2)

    @jax.jit
    def round_trip(r):
        x, w = lumi.forward(r)
        r2, wi = lumi.inverse(x)
        return r2, w * wi

    r = jax_numpy.asarray(np.random.default_rng(8).random((16, 2)))
    r2, one = round_trip(r)
    np.testing.assert_allclose(np.asarray(r2), np.asarray(r), atol=1e-12)
    np.testing.assert_allclose(np.asarray(one), 1.0, rtol=1e-12)
