"""Chili: lab-frame kinematics, technical cut, exact inverse and (x1, x2)-integrated volumes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phase_space.chili import Chili, chili_massless_volume
from phase_space.errors import BelowThresholdError, RandomShapeError
from phase_space.rambo import massless_volume
from tests.phase_space.conftest import to_numpy, to_xp

SQRT_S = 1000.0


def check_lab_event(p, w, masses, sqrt_s):
    """Beams along +-z with x1, x2 <= 1, momentum conservation, on-shell, E > 0 (kept points)."""
    p, w = to_numpy(p), to_numpy(w)
    keep = w > 0
    assert np.all(np.isfinite(p[keep]))
    p = p[keep]
    x1, x2 = 2 * p[:, 0, 0] / sqrt_s, 2 * p[:, 1, 0] / sqrt_s
    assert np.all((x1 > 0) & (x1 <= 1 + 1e-12) & (x2 > 0) & (x2 <= 1 + 1e-12))
    np.testing.assert_allclose(p[:, 0, 3], p[:, 0, 0], rtol=1e-15)
    np.testing.assert_allclose(p[:, 1, 3], -p[:, 1, 0], rtol=1e-15)
    balance = p[:, 0] + p[:, 1] - p[:, 2:].sum(axis=1)
    assert np.max(np.abs(balance)) <= 1e-10 * sqrt_s
    out = p[:, 2:]
    m2 = out[..., 0] ** 2 - np.sum(out[..., 1:] ** 2, axis=-1)
    assert np.max(np.abs(m2 - np.asarray(masses) ** 2) / (out[..., 0] * sqrt_s)) <= 1e-10
    assert np.all(out[..., 0] > 0)
    return keep


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.one_of(st.just(0.0), st.floats(0.1, 200.0)), min_size=2, max_size=5),
    st.one_of(st.none(), st.floats(1.0, 100.0)),
    st.integers(0, 2**32 - 1),
)
def test_round_trip_property(xp, masses, pt_min, seed):
    chili = Chili(masses, SQRT_S, pt_min=pt_min)
    rng = np.random.default_rng(seed)
    r = rng.random((400, chili.dim))
    r[:5] = np.clip(r[:5], 1e-6, 1 - 1e-9)
    r[5, :] = 1 - 1e-9
    # pT -> pT_max (r_pT -> 1) closes the rapidity windows (weight -> 0); the y randoms
    # are then ill-conditioned (error ~ eps / window), so the pT columns stay below 0.999
    pt_columns = [3 * i for i in range(len(masses) - 1)]
    r[:, pt_columns] = np.minimum(r[:, pt_columns], 0.999)
    p, w = chili.forward(to_xp(xp, r))
    keep = check_lab_event(p, w, masses, SQRT_S)
    r_back, w_inv = chili.inverse(p)
    r_back, w_inv = to_numpy(r_back), to_numpy(w_inv)
    np.testing.assert_allclose(r_back[keep, :-1], r[keep, :-1], atol=1e-9, rtol=0)
    # particle n's rapidity window Delta y closes (weight -> 0) when the others use up a
    # beam's energy; r_y(n) is then known to ~eps / Delta y
    out = to_numpy(p)[keep, 2:]
    plus = np.sum(out[:, :-1, 0] + out[:, :-1, 3], axis=1)
    minus = np.sum(out[:, :-1, 0] - out[:, :-1, 3], axis=1)
    mt = np.sqrt(out[:, -1, 1] ** 2 + out[:, -1, 2] ** 2 + masses[-1] ** 2)
    window = np.log((SQRT_S - plus) / mt) + np.log((SQRT_S - minus) / mt)
    assert np.all(np.abs(r_back[keep, -1] - r[keep, -1]) <= 1e-9 + 1e-14 / window)
    closure = np.abs(to_numpy(w)[keep] * w_inv[keep] - 1.0)
    assert np.all(closure <= 1e-9 + 1e-14 / window)  # w contains the window Delta y
    if pt_min is not None:
        pt = np.hypot(to_numpy(p)[keep, 2:-1, 1], to_numpy(p)[keep, 2:-1, 2])
        assert np.all(pt >= pt_min * (1 - 1e-12))


@pytest.mark.parametrize("n", [2, 3, 4])
def test_massless_volume(xp, n):
    """Mean weight = int dx1 dx2 Phi_n(x1 x2 s) = Phi_n(s) / (n - 1)^2 (the cut does not bite)."""
    chili = Chili([0.0] * n, SQRT_S, pt_scale=50.0)
    size = 100_000
    _, w = chili.forward(to_xp(xp, np.random.default_rng(n).random((size, chili.dim))))
    w = to_numpy(w)
    error = w.std() / math.sqrt(size)
    assert abs(w.mean() - chili_massless_volume(n, SQRT_S)) < 3 * error
    assert error / w.mean() < 0.05


@pytest.mark.slow
@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_massless_volume_high_statistics(n):
    """2e6 points. (With the default 1 GeV regulator and no pT cut the weight is so
    heavy-tailed that single events carry ~30% of the sum, so a regulator near the
    hard scale is used for a meaningful 3 sigma check.)"""
    chili = Chili([0.0] * n, SQRT_S, pt_scale=200.0)
    rng = np.random.default_rng(50 + n)
    w = np.concatenate([chili.forward(rng.random((500_000, chili.dim)))[1] for _ in range(4)])
    error = w.std() / math.sqrt(len(w))
    assert abs(w.mean() - chili_massless_volume(n, SQRT_S)) < 3 * error
    assert error / w.mean() < 0.02


def test_massive_two_body_volume():
    """t t~: int dx1 dx2 Phi_2(x1 x2 s) = int dtau (-log tau) Phi_2(tau s) over tau > 4 m^2 / s."""
    m = 173.0
    tau0 = (2 * m / SQRT_S) ** 2
    x, wq = np.polynomial.legendre.leggauss(400)
    # tau = tau0 + (1 - tau0) v^2 removes the sqrt threshold
    v = (x + 1) / 2
    tau = tau0 + (1 - tau0) * v**2
    phi2 = np.sqrt(1 - tau0 / tau) / (8 * math.pi)
    reference = np.sum(wq / 2 * (-np.log(tau)) * phi2 * 2 * (1 - tau0) * v)
    chili = Chili([m, m], SQRT_S)
    size = 200_000
    _, w = chili.forward(np.random.default_rng(0).random((size, chili.dim)))
    error = w.std() / math.sqrt(size)
    assert abs(w.mean() - reference) < 3 * error
    assert error / reference < 0.01


def test_technical_cut_gives_zero_weight():
    chili = Chili([0.0] * 4, SQRT_S, pt_scale=200.0)
    r = np.random.default_rng(1).random((20000, chili.dim))
    p, w = chili.forward(r)
    cut = w == 0
    assert 0.01 < cut.mean() < 0.99
    assert np.all(np.isfinite(p))
    # a cut point has no valid inverse
    _, w_inv = chili.inverse(p[cut][:10])
    assert np.all(np.isinf(w_inv))


def test_massless_two_body_weight_does_not_depend_on_x():
    """For n = 2 the volume Phi_2 = 1/(8 pi) at every s-hat: the mean is that constant."""
    assert chili_massless_volume(2, SQRT_S) == pytest.approx(massless_volume(2, SQRT_S))


def test_errors():
    with pytest.raises(BelowThresholdError):
        Chili([600.0, 600.0], SQRT_S)
    with pytest.raises(ValueError, match="pt_min"):
        Chili([0.0, 0.0], SQRT_S, pt_min=[1.0])
    with pytest.raises(ValueError, match="pt_min"):
        Chili([0.0, 0.0], SQRT_S, pt_min=600.0)
    with pytest.raises(RandomShapeError):
        Chili([0.0, 0.0], SQRT_S).forward(np.zeros((3, 3)))
