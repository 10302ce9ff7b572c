"""Cross-checks against MadSpace (PyPI `madspace`): FastRambo, the two-body decay, Chili.

Random-number conventions: our FastRambo / RamboOnDiet use MadSpace's layout
([cos_1, phi_1, m_2, cos_2, phi_2, ...], cos = 2 r - 1, phi = 2 pi r - pi, pure
boosts), so the comparison is point by point. MadSpace's weights omit the
(2 pi)^(4 - 3n) factor that ours include. MadSpace's TwoBodyDecay takes
(r_phi, r_cos) with phi = 2 pi r - pi; phase_space.two_body.TwoBodyDecay uses
phi = 2 pi r (the same decay rotated by pi about z), so that pair is compared
point by point up to that rotation, and by distributions. MadSpace's ChiliMapping
uses another random layout, so Chili is compared by statistics only.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from phase_space import kinematics as kin
from phase_space.fast_rambo import FastRambo
from phase_space.rambo import Rambo, RamboOnDiet

madspace = pytest.importorskip("madspace")

SQRT_S = 1000.0
CASES = [
    pytest.param([0.0] * 4, id="4g"),
    pytest.param([173.0, 173.0, 0.0], id="ttg"),
    pytest.param([173.0, 173.0, 0.0, 0.0], id="ttgg"),
]


def madspace_fast_rambo(masses, r):
    """MadSpace FastRambo forward: (momenta (batch, n, 4), weight incl. (2 pi)^(4-3n))."""
    n, batch = len(masses), r.shape[0]
    massless = not any(masses)
    mapping = madspace.FastRamboMapping(n, massless)
    conditions = [np.full(batch, SQRT_S)]
    if not massless:
        conditions += [np.full(batch, float(m)) for m in masses]
    out = mapping.map_forward(
        [np.ascontiguousarray(r[:, i]) for i in range(r.shape[1])], conditions
    )
    p = np.stack([np.asarray(out[i]) for i in range(n)], axis=1)
    return p, np.asarray(out[n]) * (2 * math.pi) ** (4 - 3 * n), mapping, conditions


def ks_statistic(a, b):
    """Two-sample Kolmogorov-Smirnov distance sup |F_a - F_b|."""
    a, b = np.sort(a), np.sort(b)
    grid = np.concatenate([a, b])
    fa = np.searchsorted(a, grid, side="right") / len(a)
    fb = np.searchsorted(b, grid, side="right") / len(b)
    return np.max(np.abs(fa - fb))


def ks_threshold(n_a, n_b, alpha=1e-3):
    """Asymptotic critical KS distance at significance alpha."""
    return math.sqrt(-math.log(alpha / 2) / 2) * math.sqrt((n_a + n_b) / (n_a * n_b))


def weighted_chi2(x_a, w_a, x_b, w_b, bins):
    """chi^2 and number of bins between two weighted, normalised-per-event histograms."""
    sums = []
    for x, w in ((x_a, w_a), (x_b, w_b)):
        h, _ = np.histogram(x, bins, weights=w)
        h2, _ = np.histogram(x, bins, weights=w**2)
        n = len(x)
        sums.append((h / n, (h2 / n - (h / n) ** 2 / n) / n))  # mean per event and its variance
    (a, var_a), (b, var_b) = sums
    use = (var_a + var_b) > 0
    return float(np.sum((a - b)[use] ** 2 / (var_a + var_b)[use])), int(use.sum())


@pytest.mark.parametrize("masses", CASES)
def test_fast_rambo_point_by_point(masses):
    ours = FastRambo(masses, SQRT_S)
    r = np.random.default_rng(1).random((20000, ours.dim))
    p_theirs, w_theirs, mapping, conditions = madspace_fast_rambo(masses, r)
    p, w = ours.forward(r)
    np.testing.assert_allclose(p[:, 2:], p_theirs, atol=1e-9 * SQRT_S, rtol=0)
    # MadSpace stores c_k* with fewer digits: weights agree to ~1e-9
    np.testing.assert_allclose(w, w_theirs, rtol=1e-8)
    # their inverse of our momenta is our r
    back = mapping.map_inverse(
        [np.ascontiguousarray(p[:, 2 + i]) for i in range(len(masses))], conditions
    )
    r_theirs = np.stack([np.asarray(back[i]) for i in range(ours.dim)], axis=1)
    np.testing.assert_allclose(r_theirs, r, atol=1e-8)


@pytest.mark.parametrize("masses", CASES)
def test_fast_rambo_statistics(masses):
    """Independent samples: mean weights within 3 sigma, KS on m_12, cos(theta_1), E_n."""
    ours = FastRambo(masses, SQRT_S)
    size = 100_000
    p, w = ours.forward(np.random.default_rng(2).random((size, ours.dim)))
    p_theirs, w_theirs, _, _ = madspace_fast_rambo(
        masses, np.random.default_rng(3).random((size, ours.dim))
    )
    sigma = math.hypot(w.std(), w_theirs.std()) / math.sqrt(size)
    assert abs(w.mean() - w_theirs.mean()) < 3 * sigma
    out = p[:, 2:]
    for ours_x, theirs_x in [
        (kin.mass(out[:, 0] + out[:, 1]), kin.mass(p_theirs[:, 0] + p_theirs[:, 1])),
        (
            out[:, 0, 3] / kin.momentum_abs(out[:, 0]),
            p_theirs[:, 0, 3] / kin.momentum_abs(p_theirs[:, 0]),
        ),
        (out[:, -1, 0], p_theirs[:, -1, 0]),
    ]:
        assert ks_statistic(ours_x, theirs_x) < ks_threshold(size, size)


@pytest.mark.parametrize("masses", CASES)
def test_weighted_distributions_against_other_generators(masses):
    """MadSpace FastRambo (weighted) vs our RamboOnDiet and classic Rambo: d Phi / d m_12."""
    size = 100_000
    p_theirs, w_theirs, _, _ = madspace_fast_rambo(
        masses, np.random.default_rng(4).random((size, 3 * len(masses) - 4))
    )
    m_theirs = kin.mass(p_theirs[:, 0] + p_theirs[:, 1])
    lo = masses[0] + masses[1]
    bins = np.linspace(lo, SQRT_S - sum(masses[2:]), 21)
    for seed, cls in enumerate([RamboOnDiet, Rambo]):
        mapping = cls(masses, SQRT_S)
        p, w = mapping.forward(np.random.default_rng(10 + seed).random((size, mapping.dim)))
        chi2, ndf = weighted_chi2(kin.mass(p[:, 2] + p[:, 3]), w, m_theirs, w_theirs, bins)
        assert chi2 < ndf + 5 * math.sqrt(2 * ndf), (cls.__name__, chi2, ndf)


def madspace_two_body(r_phi, r_cos, m0, m1, m2):
    batch = len(r_phi)
    mapping = madspace.TwoBodyDecay(True)
    out = mapping.map_forward(
        [r_phi, r_cos, np.full(batch, m0), np.full(batch, m1), np.full(batch, m2)], []
    )
    return np.asarray(out[0]), np.asarray(out[1]), np.asarray(out[2])


@pytest.mark.parametrize(("m0", "m1", "m2"), [(500.0, 173.0, 80.0), (91.0, 0.0, 0.0)])
def test_two_body_decay(m0, m1, m2):
    from phase_space.two_body import TwoBodyDecay

    size = 50_000
    r = np.random.default_rng(5).random((size, 2))
    q1, q2, w_theirs = madspace_two_body(r[:, 0].copy(), r[:, 1].copy(), m0, m1, m2)
    parent = np.zeros((size, 4))
    parent[:, 0] = m0
    p1, p2, w = TwoBodyDecay().forward(r, parent, m1, m2)
    # same weight (neither includes (2 pi) factors); phi conventions differ by pi
    np.testing.assert_allclose(w, w_theirs, rtol=1e-12)
    rotated = q1 * np.array([1.0, -1.0, -1.0, 1.0])
    np.testing.assert_allclose(p1, rotated, atol=1e-9 * m0)
    np.testing.assert_allclose(p1 + p2, q1 + q2, atol=1e-9 * m0)
    # distributions of cos(theta) and phi from independent samples
    r2 = np.random.default_rng(6).random((size, 2))
    p1b, _, _ = TwoBodyDecay().forward(r2, parent, m1, m2)
    cos_ours, phi_ours = kin.direction_angles(p1b)
    cos_theirs, phi_theirs = kin.direction_angles(q1)
    assert ks_statistic(cos_ours, cos_theirs) < ks_threshold(size, size)
    assert ks_statistic(phi_ours, phi_theirs) < ks_threshold(size, size)
    # our full 2-body mapping (RamboOnDiet, n = 2) uses MadSpace's phi: identical momenta
    ours = RamboOnDiet([m1, m2], m0)
    p, w_full = ours.forward(r[:, ::-1].copy())  # our layout is (r_cos, r_phi)
    np.testing.assert_allclose(p[:, 2], q1, atol=1e-9 * m0)
    np.testing.assert_allclose(w_full, w_theirs / (2 * math.pi) ** 2, rtol=1e-12)


def madspace_chili(masses, r, pt_min):
    """MadSpace ChiliMapping forward: (lab momenta (batch, n + 2, 4), weight incl. (2 pi)^(4-3n))."""
    n, batch = len(masses), r.shape[0]
    mapping = madspace.ChiliMapping(n, [100.0] * n, [pt_min or 0.0] * n)
    conditions = [np.full(batch, SQRT_S)] + [np.full(batch, float(m)) for m in masses]
    out = mapping.map_forward(
        [np.ascontiguousarray(r[:, i]) for i in range(r.shape[1])], conditions
    )
    p = np.stack([np.asarray(out[i]) for i in range(n + 2)], axis=1)
    return p, np.asarray(out[n + 2]) * (2 * math.pi) ** (4 - 3 * n)


@pytest.mark.parametrize(
    ("masses", "pt_min"),
    [([173.0, 173.0, 0.0], None), ([0.0, 0.0, 0.0], 20.0)],
    ids=["ttg", "3g-ptmin20"],
)
def test_chili_statistics(masses, pt_min):
    """Chili vs MadSpace's ChiliMapping (random layouts differ, so by statistics only):
    mean weight (= int dx1 dx2 Phi_n), technical-cut fraction and the weighted m_12 spectrum
    per generated event."""
    from phase_space.chili import Chili

    size = 200_000
    chili = Chili(masses, SQRT_S, pt_min=[pt_min] * (len(masses) - 1) + [None] if pt_min else None)
    p, w = chili.forward(np.random.default_rng(20).random((size, chili.dim)))
    p_theirs, w_theirs = madspace_chili(
        masses, np.random.default_rng(21).random((size, chili.dim)), pt_min
    )
    sigma = math.hypot(w.std(), w_theirs.std()) / math.sqrt(size)
    assert abs(w.mean() - w_theirs.mean()) < 3 * sigma
    cut, cut_theirs = np.mean(w == 0), np.mean(w_theirs == 0)
    assert abs(cut - cut_theirs) < 5 * math.sqrt(cut * (1 - cut) * 2 / size)
    bins = np.linspace(masses[0] + masses[1], SQRT_S, 21)

    def m12(momenta, weight):
        # cut points (w = 0) carry no weight; park them in the first bin (MadSpace's may be NaN)
        with np.errstate(invalid="ignore"):
            values = kin.mass(momenta[:, 2] + momenta[:, 3])
        return np.where(weight > 0, values, bins[0])

    chi2, ndf = weighted_chi2(m12(p, w), w, m12(p_theirs, w_theirs), w_theirs, bins)
    assert chi2 < ndf + 5 * math.sqrt(2 * ndf), (chi2, ndf)
