"""Two-body blocks: decay (phi, cos theta), scattering (phi, t), double invariants (s~, t)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phase_space import kinematics as kin
from phase_space.invariants import BreitWignerInvariant, FlatInvariant, PowerLawInvariant
from phase_space.two_body import (
    DoubleInvariantBlock,
    TwoBodyDecay,
    TwoToTwoScattering,
    two_body_volume,
)
from tests.phase_space._helpers import kin_ms, periodic_diff, random_momenta, rel_err
from tests.phase_space.conftest import to_numpy, to_xp

EDGES = np.array([1e-12, 1e-9, 1e-6, 0.25, 0.5, 1 - 1e-6, 1 - 1e-9])


def random_r(rng, n, dim, edges=EDGES):
    """Uniform randoms plus every combination of edge values in the first rows."""
    grid = np.stack(np.meshgrid(*([edges] * dim), indexing="ij"), -1).reshape(-1, dim)
    return np.concatenate([grid, rng.random((n, dim))])


def test_decay_round_trip_and_kinematics(xp):
    rng = np.random.default_rng(3)
    r_np = random_r(rng, 3000, 2)
    n = len(r_np)
    p0_np, m0 = random_momenta(rng, n, 50.0, 1000.0, 300.0)
    m1 = rng.uniform(0, 0.45, n) * m0
    m2 = rng.uniform(0, 0.45, n) * m0
    m1[:10] = 0.0
    m2[:20] = 0.0
    block = TwoBodyDecay()
    p1, p2, w = block.forward(to_xp(xp, r_np), to_xp(xp, p0_np), to_xp(xp, m1), to_xp(xp, m2))
    r_back, w_inv = block.inverse(p1, p2)
    p1n, p2n = to_numpy(p1), to_numpy(p2)
    assert rel_err(p1n + p2n, p0_np) < 1e-12
    np.testing.assert_allclose(np.sqrt(np.clip(kin_ms(p1n), 0, None)), m1, atol=1e-6 * m0.max())
    assert np.all(p1n[:, 0] > 0) and np.all(p2n[:, 0] > 0)
    np.testing.assert_allclose(to_numpy(r_back), r_np, atol=1e-9)
    np.testing.assert_allclose(to_numpy(w) * to_numpy(w_inv), 1.0, rtol=1e-10)
    np.testing.assert_allclose(to_numpy(w), two_body_volume(m0, m1, m2), rtol=1e-12)


def polar_sin(p, axis, frame):
    """sin of the angle between p and `axis` in the rest frame of `frame` (all numpy)."""
    import array_api_compat.numpy as xp

    q = np.asarray(kin.boost_to_rest(xp.asarray(p), xp.asarray(frame)))[:, 1:]
    a = np.asarray(kin.boost_to_rest(xp.asarray(axis), xp.asarray(frame)))[:, 1:]
    cross = np.linalg.norm(np.cross(q, a), axis=1)
    return cross / (np.linalg.norm(q, axis=1) * np.linalg.norm(a, axis=1))


def test_decay_angles_are_those_of_rest_frame():
    import array_api_compat.numpy as xp

    p0 = xp.asarray([[10.0, 0.0, 0.0, 0.0]])
    p1, _, _ = TwoBodyDecay().forward(xp.asarray([[0.25, 1.0]]), p0, 0.0, 0.0)
    np.testing.assert_allclose(np.asarray(p1)[0], [5.0, 0.0, 0.0, 5.0], atol=1e-12)
    p1, _, _ = TwoBodyDecay().forward(xp.asarray([[0.25, 0.5]]), p0, 0.0, 0.0)
    np.testing.assert_allclose(np.asarray(p1)[0], [5.0, 0.0, 5.0, 0.0], atol=1e-12)


def incoming(rng, n, ma_sq_lo=0.0):
    """pa, pb with time-like pa + pb (mass 100..1000 GeV); pa^2 in [ma_sq_lo, 0]."""
    import array_api_compat.numpy as xp

    p0, m0 = random_momenta(rng, n, 100.0, 1000.0, 300.0)
    masq = rng.uniform(ma_sq_lo, 0.0, n) if ma_sq_lo < 0 else np.zeros(n)
    ea = rng.uniform(0.05, 0.6, n) * m0
    cos_t, phi = rng.uniform(-1, 1, n), rng.uniform(0, 2 * np.pi, n)
    qa = np.asarray(
        kin.momentum_from_angles(
            xp.asarray(np.sqrt(ea**2 - masq)),
            xp.asarray(cos_t),
            xp.asarray(phi),
            xp.asarray(np.zeros(n)),
        )
    )
    qa[:, 0] = ea
    pa = np.asarray(kin.boost_from_rest(xp.asarray(qa), xp.asarray(p0)))
    return pa, p0 - pa


@pytest.mark.parametrize(
    "t_mapping", [PowerLawInvariant(0.0, 0.8), FlatInvariant(), PowerLawInvariant(-(80.0**2), 1.0)]
)
def test_scattering_round_trip(xp, t_mapping):
    rng = np.random.default_rng(5)
    r_np = random_r(rng, 3000, 2)
    n = len(r_np)
    pa, pb = incoming(rng, n, ma_sq_lo=-(300.0**2))
    m0 = np.sqrt(kin_ms(pa + pb))
    m1 = rng.uniform(0, 0.45, n) * m0
    m2 = rng.uniform(0, 0.45, n) * m0
    m1[::3] = 0.0
    block = TwoToTwoScattering(t_mapping)
    xa, xb = to_xp(xp, pa), to_xp(xp, pb)
    p1, p2, w = block.forward(to_xp(xp, r_np), xa, xb, to_xp(xp, m1), to_xp(xp, m2))
    p1n, p2n = to_numpy(p1), to_numpy(p2)
    assert rel_err(p1n + p2n, pa + pb) < 1e-12
    np.testing.assert_allclose(kin_ms(p1n), m1**2, atol=1e-9 * np.max(m0**2))
    assert np.all(p1n[:, 0] > 0) and np.all(p2n[:, 0] > 0)
    # t of the produced momenta is inside the Eq. 28 limits
    t = kin_ms(pa - p1n)
    t_min, t_max = (to_numpy(v) for v in block.t_range(xa, xb, to_xp(xp, m1), to_xp(xp, m2)))
    scale = np.max(m0**2)
    assert np.all(t >= t_min - 1e-9 * scale) and np.all(t <= t_max + 1e-9 * scale)
    r_back, w_inv = block.inverse(p1, p2, xa, xb, to_xp(xp, m1), to_xp(xp, m2))
    np.testing.assert_allclose(to_numpy(w) * to_numpy(w_inv), 1.0, rtol=1e-9)
    # the azimuth is lost in floating point when p1 is collinear with pa: there the
    # momenta (not the coordinates) must come back
    ok = polar_sin(p1n, pa, pa + pb) > 1e-6
    assert np.count_nonzero(ok) > 0.95 * n
    d = periodic_diff(to_numpy(r_back), r_np, [0])
    assert np.max(d[ok]) < 1e-9 and np.max(d[:, 1]) < 1e-9
    p1_again, _, _ = block.forward(r_back, xa, xb, to_xp(xp, m1), to_xp(xp, m2))
    assert rel_err(to_numpy(p1_again), p1n) < 1e-9


def test_scattering_volume():
    """Mean weight over r equals the two-body volume pi sqrt(lambda)/(2 m0^2)."""
    import array_api_compat.numpy as xp

    rng = np.random.default_rng(11)
    n = 200_000
    pa = np.tile([300.0, 0.0, 0.0, 300.0], (n, 1))
    pb = np.tile([250.0, 0.0, 0.0, -250.0], (n, 1))
    block = TwoToTwoScattering(PowerLawInvariant(0.0, 0.8))
    _, _, w = block.forward(
        xp.asarray(rng.random((n, 2))), xp.asarray(pa), xp.asarray(pb), 173.0, 20.0
    )
    w = np.asarray(w)
    m0 = math.sqrt(kin_ms(pa[:1] + pb[:1])[0])
    expected = two_body_volume(m0, 173.0, 20.0)
    assert abs(w.mean() - expected) < 3 * w.std() / math.sqrt(n) + 1e-12 * expected


def test_scattering_t_is_the_mapped_invariant():
    import array_api_compat.numpy as xp

    pa = xp.asarray([[500.0, 0.0, 0.0, 500.0]] * 5)
    pb = xp.asarray([[500.0, 0.0, 0.0, -500.0]] * 5)
    mapping = PowerLawInvariant(0.0, 0.8)
    r = xp.asarray(np.column_stack([np.full(5, 0.3), np.linspace(0.1, 0.9, 5)]))
    p1, _, _ = TwoToTwoScattering(mapping).forward(r, pa, pb, 0.0, 0.0)
    abs_t, _ = mapping.forward(r[:, 1], 0.0, 1e6)
    np.testing.assert_allclose(
        -kin_ms(np.asarray(pa) - np.asarray(p1)), np.asarray(abs_t), rtol=1e-10
    )


def double_invariant_setup(rng, n):
    """Random P_i (cluster), pa and recoil p_{i+1}; masses of the split below threshold."""
    p_cluster, root_s = random_momenta(rng, n, 100.0, 800.0, 300.0)
    pa, _ = incoming(rng, n)
    p_next, _ = random_momenta(rng, n, 0.0, 50.0, 300.0)
    m_i = rng.uniform(0, 0.45, n) * root_s
    s_prev = (rng.uniform(0, 0.45, n) * root_s) ** 2
    return p_cluster, root_s, pa, p_next, m_i, s_prev


def test_double_invariant_round_trip(xp):
    rng = np.random.default_rng(13)
    r_np = random_r(
        rng, 3000, 2, edges=np.array([1e-6, 0.25, 0.5 - 1e-6, 0.5 + 1e-6, 0.75, 1 - 1e-6])
    )
    n = len(r_np)
    p_cluster, root_s, pa, p_next, m_i, s_prev = double_invariant_setup(rng, n)
    block = DoubleInvariantBlock(PowerLawInvariant(0.0, 0.8))
    args = [to_xp(xp, a) for a in (p_cluster, pa, p_next, m_i, s_prev)]
    p_i, p_prev, w = block.forward(to_xp(xp, r_np), *args)
    p_in, p_pn = to_numpy(p_i), to_numpy(p_prev)
    assert rel_err(p_in + p_pn, p_cluster) < 1e-12
    np.testing.assert_allclose(kin_ms(p_in), m_i**2, atol=1e-9 * root_s.max() ** 2)
    np.testing.assert_allclose(kin_ms(p_pn), s_prev, atol=1e-9 * root_s.max() ** 2)
    r_back, w_inv = block.inverse(p_i, p_prev, args[1], args[2], args[3])
    ok = polar_sin(p_pn, pa, p_cluster) > 1e-6
    assert np.count_nonzero(ok) > 0.95 * n
    d = periodic_diff(to_numpy(r_back), r_np, [])
    assert np.max(d[ok]) < 1e-9 and np.max(d[:, 1]) < 1e-9
    np.testing.assert_allclose(to_numpy(w) * to_numpy(w_inv), 1.0, rtol=1e-8)


def test_double_invariant_s_tilde_is_flat_and_t_mapped():
    """On each half of r_s, s~ = (p_i + p_{i+1})^2 is linear in r_s at fixed r_t."""
    import array_api_compat.numpy as xp

    rng = np.random.default_rng(17)
    p_cluster, _, pa, p_next, m_i, s_prev = double_invariant_setup(rng, 1)
    r_s = np.linspace(0.01, 0.49, 25)
    r = np.column_stack([r_s, np.full(25, 0.37)])

    def rep(a):
        return xp.asarray(np.repeat(a, 25, axis=0))

    block = DoubleInvariantBlock()
    p_i, p_prev, _ = block.forward(
        xp.asarray(r), rep(p_cluster), rep(pa), rep(p_next), rep(m_i), rep(s_prev)
    )
    s_tilde, t = (np.asarray(v) for v in block.invariants(p_i, p_prev, rep(pa), rep(p_next)))
    second = np.diff(s_tilde, 2)
    assert np.max(np.abs(second)) < 1e-8 * np.max(np.abs(s_tilde))
    assert np.ptp(t) < 1e-8 * np.max(np.abs(t))


def test_double_invariant_volume():
    import array_api_compat.numpy as xp

    rng = np.random.default_rng(19)
    p_cluster, root_s, pa, p_next, m_i, s_prev = double_invariant_setup(rng, 1)
    n = 400_000

    def rep(a):
        return xp.asarray(np.repeat(a, n, axis=0))

    block = DoubleInvariantBlock(FlatInvariant())
    _, _, w = block.forward(
        xp.asarray(rng.random((n, 2))), rep(p_cluster), rep(pa), rep(p_next), rep(m_i), rep(s_prev)
    )
    expected = two_body_volume(root_s[0], m_i[0], math.sqrt(s_prev[0]))
    # the weight has a (log-divergent variance) 1/|sin phi| tail: compare to 1 %
    assert np.mean(np.asarray(w)) == pytest.approx(expected, rel=1e-2)


@settings(max_examples=40, deadline=None)
@given(
    r=st.lists(st.floats(1e-7, 1 - 1e-7), min_size=2, max_size=2),
    m1=st.floats(0.0, 0.49),
    m2=st.floats(0.0, 0.49),
    sqrt_s=st.floats(10.0, 1e4),
)
def test_scattering_property(r, m1, m2, sqrt_s):
    import array_api_compat.numpy as xp

    e = sqrt_s / 2
    pa = xp.asarray([[e, 0.0, 0.0, e]])
    pb = xp.asarray([[e, 0.0, 0.0, -e]])
    block = TwoToTwoScattering(BreitWignerInvariant(80.0, 2.0))
    p1, p2, w = block.forward(xp.asarray([r]), pa, pb, m1 * sqrt_s, m2 * sqrt_s)
    r_back, w_inv = block.inverse(p1, p2, pa, pb, m1 * sqrt_s, m2 * sqrt_s)
    np.testing.assert_allclose(np.asarray(r_back)[0], r, atol=1e-9)
    assert float(w[0] * w_inv[0]) == pytest.approx(1.0, rel=1e-9)


def test_jit_scattering(jax_numpy):
    import jax

    block = TwoToTwoScattering()
    pa = jax_numpy.asarray([[500.0, 0.0, 0.0, 500.0]] * 4)
    pb = jax_numpy.asarray([[500.0, 0.0, 0.0, -500.0]] * 4)

    @jax.jit
    def round_trip(r):
        p1, p2, w = block.forward(r, pa, pb, 173.0, 173.0)
        r2, wi = block.inverse(p1, p2, pa, pb, 173.0, 173.0)
        return r2, w * wi

    r = jax_numpy.asarray(np.random.default_rng(1).random((4, 2)))
    r2, one = round_trip(r)
    np.testing.assert_allclose(np.asarray(r2), np.asarray(r), atol=1e-10)
    np.testing.assert_allclose(np.asarray(one), 1.0, rtol=1e-10)


def test_double_invariant_weight_matches_gram_determinant():
    """w = |ds~/dr_s| |dt/dr_t| / (16 sqrt(-Delta_4)) with Delta_4 of Eq. 33.

    The paper's density 1 / (8 sqrt(-Delta_4)) sums the two mirror configurations of
    one (s~, t); each half of r_s covers one of them, hence 16 (and ds~/dr_s is twice
    the s~ range).
    """
    import array_api_compat.numpy as xp

    rng = np.random.default_rng(3)
    n = 20
    p_cluster, _, pa, p_next, m_i, s_prev = double_invariant_setup(rng, n)
    args = [xp.asarray(v) for v in (p_cluster, pa, p_next, m_i, s_prev)]
    block = DoubleInvariantBlock()
    r = np.column_stack([rng.uniform(0.02, 0.98, n), rng.uniform(0.02, 0.98, n)])
    r[:, 0] = np.where(np.abs(r[:, 0] - 0.5) < 0.02, 0.3, r[:, 0])
    _, p_prev, w = (np.asarray(v) for v in block.forward(xp.asarray(r), *args))

    def invariants(rr):
        a, b, _ = block.forward(xp.asarray(rr), *args)
        return [np.asarray(v) for v in block.invariants(a, b, args[1], args[2])]

    h = 1e-7
    (s_hi, _), (s_lo, _) = invariants(r + [h, 0]), invariants(r - [h, 0])
    (_, t_hi), (_, t_lo) = invariants(r + [0, h]), invariants(r - [0, h])
    ds, dt = (s_hi - s_lo) / (2 * h), (t_hi - t_lo) / (2 * h)
    q = [pa, pa - p_prev, pa - p_cluster, pa - (p_cluster + p_next)]
    gram = np.stack([np.stack([minkowski4(a, b) for b in q], -1) for a in q], -2)
    delta4 = np.linalg.det(gram)  # = (1/16) det(2 k_i.k_j), Eq. 33
    assert np.all(delta4 < 0)
    np.testing.assert_allclose(w, np.abs(ds * dt) / (16 * np.sqrt(-delta4)), rtol=1e-5)


def minkowski4(a, b):
    return a[..., 0] * b[..., 0] - np.sum(a[..., 1:] * b[..., 1:], -1)
