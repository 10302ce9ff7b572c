"""Rambo (classic) and RamboOnDiet: kinematics, inverses, weights and volumes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phase_space import kinematics as kin
from phase_space.errors import BelowThresholdError, MomentumShapeError, RandomShapeError
from phase_space.fast_rambo import FastRambo
from phase_space.rambo import Rambo, RamboOnDiet, diet_mass_map, massless_volume
from tests.phase_space._helpers import check_physical
from tests.phase_space.conftest import to_numpy, to_xp

EDGES = np.array([1e-9, 1e-6, 0.5, 1 - 1e-6, 1 - 1e-9])
#: Smallest random number used for an intermediate mass in the 1e-9 round-trip checks.
#: Below it the light, fast cluster (M ~ sqrt(r) E) loses digits in double-precision lab
#: momenta: the round trip degrades like eps / r (see test_round_trip_precision_model).
MASS_EDGE_FLOOR = 1e-4
#: Closest approach of cos(theta) randoms to 0 and 1 in those checks: at the poles the
#: azimuth is ill-conditioned (error ~ eps gamma^2 / sin(theta) after a boost gamma).
COS_EDGE = 1e-6


def randoms_with_edges(
    rng: np.random.Generator,
    batch: int,
    dim: int,
    mass_columns: tuple[int, ...] = (),
    cos_columns: tuple[int, ...] = (),
) -> np.ndarray:
    """Uniform randoms; the first rows set each column in turn to values near 0 and 1."""
    r = rng.random((batch, dim))
    rows = []
    for edge in EDGES:
        block = rng.random((dim, dim))
        block[np.arange(dim), np.arange(dim)] = edge
        rows.append(block)
    low, high = np.full((1, dim), 1e-9), np.full((1, dim), 1 - 1e-9)
    # all masses small at once compounds (each cluster lighter and faster than the
    # last): those rows keep the mass columns central; single-column rows test the floor
    low[:, list(mass_columns)] = 0.5
    high[:, list(mass_columns)] = 0.5
    out = np.concatenate(rows + [low, high, r])
    for c in mass_columns:
        out[:, c] = np.maximum(out[:, c], MASS_EDGE_FLOOR)
    for c in cos_columns:
        out[:, c] = np.clip(out[:, c], COS_EDGE, 1 - COS_EDGE)
    return out


def mass_columns(mapping) -> tuple[int, ...]:
    return tuple(mapping._mass_column(i) for i in range(2, mapping.n))


def cos_columns(mapping) -> tuple[int, ...]:
    return tuple(mapping._cos_column(i) for i in range(1, mapping.n))


def masses_and_energy(draw_masses: list[float], fraction: float, n_massless: int):
    """Masses (at least two) and an energy with sum(masses) = fraction * sqrt_s."""
    masses = list(draw_masses) + [0.0] * n_massless
    masses += [0.0] * (2 - len(masses))
    total = sum(masses)
    sqrt_s = total / fraction if total > 0 else 1000.0
    return masses, sqrt_s


mass_lists = st.lists(st.one_of(st.just(0.0), st.floats(0.1, 500.0)), min_size=0, max_size=4)
threshold_fraction = st.floats(0.05, 0.95)


# --- RamboOnDiet --------------------------------------------------------------------


@pytest.mark.parametrize("cls", [RamboOnDiet, FastRambo])
@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(mass_lists, threshold_fraction, st.integers(0, 4), st.integers(0, 2**32 - 1))
def test_decay_chain_round_trip_property(xp, cls, draw, fraction, n_massless, seed):
    """RamboOnDiet and FastRambo: r back to 1e-9, w * w_inv = 1, physical momenta."""
    masses, sqrt_s = masses_and_energy(draw, fraction, n_massless)
    mapping = cls(masses, sqrt_s)
    r = randoms_with_edges(
        np.random.default_rng(seed), 30, mapping.dim, mass_columns(mapping), cos_columns(mapping)
    )
    p, w = mapping.forward(to_xp(xp, r))
    check_physical(p, masses, sqrt_s)
    r_back, w_inv = mapping.inverse(p)
    np.testing.assert_allclose(to_numpy(r_back), r, atol=1e-9, rtol=0)
    # 1e-8: at a mass random 1 - 1e-9 near threshold the massive two-body density
    # vanishes like sqrt(K_{i-1} - K_i), which the inverse re-derives from momenta
    np.testing.assert_allclose(to_numpy(w) * to_numpy(w_inv), 1.0, rtol=1e-8)
    assert np.all(to_numpy(w) > 0)


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_rambo_on_diet_massless_weight_is_the_volume(xp, n):
    mapping = RamboOnDiet([0.0] * n, 1000.0)
    r = np.random.default_rng(n).random((20000, mapping.dim))
    _, w = mapping.forward(to_xp(xp, r))
    np.testing.assert_allclose(to_numpy(w), massless_volume(n, 1000.0), rtol=1e-12)


@pytest.mark.parametrize("cls", [RamboOnDiet, FastRambo])
@pytest.mark.parametrize("masses", [[0.0] * 3, [0.0] * 6, [173.0, 173.0, 0.0, 0.0]])
def test_round_trip_precision_model(cls, masses):
    """A tiny mass random r (light, fast cluster) costs digits: |dr| <= 5e-14 / r."""
    mapping = cls(masses, 1000.0)
    rng = np.random.default_rng(3)
    for column in mass_columns(mapping):
        for edge in (1e-9, 1e-7, 1e-5):
            r = rng.random((2000, mapping.dim))
            r[:, column] = edge
            p, _ = mapping.forward(r)
            check_physical(p, masses, 1000.0)
            r_back, _ = mapping.inverse(p)
            assert np.max(np.abs(r_back - r)) <= 5e-14 / edge


def test_rambo_on_diet_solves_eq62_to_rounding():
    """The fixed-length Newton solve returns y with G_diet(y) = r to ~1e-15."""
    rng = np.random.default_rng(0)
    r = np.concatenate(
        [rng.random(100000), 1 - np.logspace(-15, -1, 200), np.logspace(-300, -1, 200)]
    )
    mapping = RamboOnDiet([0.0] * 9, 1000.0)
    for k in range(1, 8):
        y, _ = mapping._y_from_r(r, k)
        back = diet_mass_map(y, k)
        assert np.max(np.abs(back - r)) < 1e-14


# --- classic Rambo ------------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_rambo_massless_weight_is_the_volume(xp, n):
    mapping = Rambo([0.0] * n, 1000.0)
    r = np.random.default_rng(n).random((20000, mapping.dim))
    p, w = mapping.forward(to_xp(xp, r))
    check_physical(p, [0.0] * n, 1000.0)
    np.testing.assert_allclose(to_numpy(w), massless_volume(n, 1000.0), rtol=1e-12)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(mass_lists, threshold_fraction, st.integers(0, 3), st.integers(0, 2**32 - 1))
def test_rambo_preimage_property(xp, draw, fraction, n_massless, seed):
    """forward(inverse(p)) == p and w(p) * w_inv(p) == 1 (Rambo is many-to-one)."""
    masses, sqrt_s = masses_and_energy(draw, fraction, n_massless)
    mapping = Rambo(masses, sqrt_s)
    r = np.random.default_rng(seed).random((100, mapping.dim))
    p, w = mapping.forward(to_xp(xp, r))
    check_physical(p, masses, sqrt_s, 1e-10 + 1e-15 * rambo_boost_gamma(r) ** 2)
    r_pre, w_inv = mapping.inverse(p)
    r_pre = to_numpy(r_pre)
    assert np.all((r_pre >= 0) & (r_pre < 1))
    p_again, w_again = mapping.forward(to_xp(xp, r_pre))
    np.testing.assert_allclose(to_numpy(p_again), to_numpy(p), atol=1e-9 * sqrt_s, rtol=0)
    np.testing.assert_allclose(to_numpy(w) * to_numpy(w_inv), 1.0, rtol=1e-9)
    np.testing.assert_allclose(to_numpy(w_again), to_numpy(w), rtol=1e-9)


def rambo_boost_gamma(r: np.ndarray) -> np.ndarray:
    """gamma = Q0 / M of classic RAMBO's random total momentum Q = sum q_i, per event.

    RAMBO boosts the q_i by -Q/M; rounding of the lab components (~eps q0) grows to
    ~eps gamma^2 in the rest frame, so when the random q_i happen to be nearly
    collinear (rare: ~1e-6 of n = 2 events exceed 1e-10) momentum conservation and
    on-shell masses hold to that precision.
    """
    rr = r.reshape(len(r), -1, 4)
    cos_theta, phi = 2 * rr[..., 0] - 1, 2 * np.pi * rr[..., 1]
    q0 = -np.log((1 - rr[..., 2]) * (1 - rr[..., 3]))
    sin_theta = np.sqrt(1 - cos_theta**2)
    # M^2 = sum_{i<j} 2 q_i.q_j = sum_{i<j} E_i E_j |n_i - n_j|^2 (no cancellation)
    n_hat = np.stack([sin_theta * np.cos(phi), sin_theta * np.sin(phi), cos_theta], axis=-1)
    m2 = np.zeros(len(r))
    for i in range(rr.shape[1]):
        for j in range(i):
            m2 += q0[:, i] * q0[:, j] * np.sum((n_hat[:, i] - n_hat[:, j]) ** 2, axis=-1)
    return q0.sum(axis=1) / np.sqrt(m2)


def test_rambo_is_not_injective():
    """Different r give the same momenta: the inverse can only return one preimage."""
    mapping = Rambo([0.0, 0.0, 0.0], 500.0)
    r = np.random.default_rng(1).random((10, mapping.dim))
    p, _ = mapping.forward(r)
    r_pre, _ = mapping.inverse(p)
    assert np.max(np.abs(r_pre - r)) > 0.1


# --- massive volumes ----------------------------------------------------------------


def two_body_volume_with_2pi(sqrt_s: float, m1: float, m2: float) -> float:
    """Phi_2 = sqrt(lambda) / (8 pi s) including (2 pi)^(-2)."""
    lam = (sqrt_s**2 - m1**2 - m2**2) ** 2 - 4 * m1**2 * m2**2
    return math.sqrt(lam) / (8 * math.pi * sqrt_s**2)


def three_body_volume(sqrt_s: float, m1: float, m2: float, m3: float, nodes: int = 400) -> float:
    """Phi_3 by quadrature over M23: (2pi)^-5 (4pi)^2 int dM^2 rho(sqrt_s, M, m1) rho(M, m2, m3)."""
    x, w = np.polynomial.legendre.leggauss(nodes)
    theta = (x + 1) * math.pi / 2
    lo, hi = m2 + m3, sqrt_s - m1
    big_m = lo + (hi - lo) * (1 - np.cos(theta)) / 2  # clusters nodes at both sqrt thresholds
    dm_dtheta = (hi - lo) * np.sin(theta) / 2

    def rho(m0, ma, mb):
        lam = np.clip((m0**2 - ma**2 - mb**2) ** 2 - 4 * ma**2 * mb**2, 0, None)
        return np.sqrt(lam) / (8 * m0**2)

    integrand = rho(sqrt_s, big_m, m1) * rho(big_m, m2, m3) * 2 * big_m * dm_dtheta
    return (4 * math.pi) ** 2 / (2 * math.pi) ** 5 * np.sum(w * integrand) * math.pi / 2


def test_three_body_reference_matches_massless_formula():
    assert three_body_volume(1000.0, 0, 0, 0) == pytest.approx(
        massless_volume(3, 1000.0), rel=1e-10
    )


@pytest.mark.parametrize("cls", [Rambo, RamboOnDiet, FastRambo])
@pytest.mark.parametrize("masses", [(173.0, 173.0), (80.0, 0.0), (0.0, 0.0)])
def test_two_body_volume(cls, masses):
    mapping = cls(list(masses), 500.0)
    _, w = mapping.forward(np.random.default_rng(0).random((2000, mapping.dim)))
    np.testing.assert_allclose(w, two_body_volume_with_2pi(500.0, *masses), rtol=1e-12)


@pytest.mark.parametrize("cls", [Rambo, RamboOnDiet, FastRambo])
@pytest.mark.parametrize("masses", [(173.0, 173.0, 0.0), (50.0, 100.0, 20.0)])
def test_three_body_massive_volume(cls, masses):
    mapping = cls(list(masses), 1000.0)
    n = 100_000
    _, w = mapping.forward(np.random.default_rng(7).random((n, mapping.dim)))
    ref = three_body_volume(1000.0, *masses)
    assert abs(w.mean() - ref) < 3 * w.std() / math.sqrt(n)
    assert abs(w.mean() / ref - 1) < 0.01


def test_four_body_massive_volumes_agree():
    """t t~ g g at 1 TeV: the three generators (independent massive treatments) agree."""
    masses = [173.0, 173.0, 0.0, 0.0]
    means, errors = [], []
    for seed, cls in enumerate([Rambo, RamboOnDiet, FastRambo]):
        mapping = cls(masses, 1000.0)
        _, w = mapping.forward(np.random.default_rng(seed).random((100_000, mapping.dim)))
        means.append(w.mean())
        errors.append(w.std() / math.sqrt(len(w)))
    for i in range(3):
        for j in range(i):
            assert abs(means[i] - means[j]) < 3 * math.hypot(errors[i], errors[j])


# --- errors --------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [Rambo, RamboOnDiet, FastRambo])
def test_below_threshold_is_rejected(cls):
    with pytest.raises(BelowThresholdError, match="threshold"):
        cls([173.0, 173.0], 300.0)


@pytest.mark.parametrize("cls", [Rambo, RamboOnDiet, FastRambo])
def test_wrong_shapes_are_rejected(cls):
    mapping = cls([0.0, 0.0, 0.0], 100.0)
    with pytest.raises(RandomShapeError, match=f"\\(batch, {mapping.dim}\\)"):
        mapping.forward(np.zeros((4, mapping.dim + 1)))
    with pytest.raises(MomentumShapeError, match="batch, 5, 4"):
        mapping.inverse(np.zeros((4, 4, 4)))


def test_single_particle_is_rejected():
    with pytest.raises(ValueError, match="at least 2"):
        Rambo([0.0], 100.0)


def test_massless_volume_formula():
    # n = 2: 1/(8 pi); n = 3: s / (Gamma(3) Gamma(2) pi^3 2^7) = s / (2^8 pi^3)
    assert massless_volume(2, 123.0) == pytest.approx(1 / (8 * math.pi))
    assert massless_volume(3, 100.0) == pytest.approx(1e4 / (2**8 * math.pi**3))
    p, _ = RamboOnDiet([0.0] * 3, 100.0).forward(np.full((1, 5), 0.3))
    assert kin.mass(p[:, 0] + p[:, 1])[0] == pytest.approx(100.0)
