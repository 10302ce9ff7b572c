"""Lorentz helpers: invariance, inverses, known values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phase_space import kinematics as kin
from tests.phase_space.conftest import to_numpy, to_xp


def random_timelike(rng, n, scale=100.0):
    p3 = rng.normal(scale=scale, size=(n, 3))
    m = rng.uniform(0.1, scale, n)
    return np.column_stack([np.sqrt(m**2 + np.sum(p3**2, 1)), p3])


def test_dot_and_mass(xp):
    p = to_xp(xp, [[5.0, 1.0, 2.0, 3.0], [10.0, 0.0, 0.0, 10.0]])
    q = to_xp(xp, [[2.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, -1.0]])
    np.testing.assert_allclose(to_numpy(kin.minkowski_dot(p, q)), [9.0, 20.0])
    np.testing.assert_allclose(to_numpy(kin.mass_squared(p)), [11.0, 0.0])
    np.testing.assert_allclose(to_numpy(kin.mass(p)), [math.sqrt(11.0), 0.0])
    np.testing.assert_allclose(to_numpy(kin.mass(to_xp(xp, [[1.0, 0, 0, 2.0]]))), [0.0])
    np.testing.assert_allclose(to_numpy(kin.momentum_abs(p)), [math.sqrt(14.0), 10.0])


def test_boosts_are_inverse_and_preserve_products(xp):
    rng = np.random.default_rng(1)
    p, q, k = (to_xp(xp, random_timelike(rng, 500)) for _ in range(3))
    b = kin.boost_from_rest(p, q)
    np.testing.assert_allclose(to_numpy(kin.boost_to_rest(b, q)), to_numpy(p), atol=1e-10 * 300)
    np.testing.assert_allclose(
        to_numpy(kin.minkowski_dot(kin.boost_from_rest(p, q), kin.boost_from_rest(k, q))),
        to_numpy(kin.minkowski_dot(p, k)),
        rtol=1e-10,
        atol=1e-8,
    )
    # q in its own rest frame is (m, 0, 0, 0)
    rest = to_numpy(kin.boost_to_rest(q, q))
    np.testing.assert_allclose(rest[:, 1:], 0.0, atol=1e-10 * 300)
    np.testing.assert_allclose(rest[:, 0], np.sqrt(to_numpy(kin.mass_squared(q))), rtol=1e-9)


def test_boost_z(xp):
    p = to_xp(xp, [[10.0, 1.0, 2.0, 3.0]])
    y = to_xp(xp, [0.7])
    b = kin.boost_z(p, y)
    np.testing.assert_allclose(to_numpy(kin.boost_z(b, -y)), to_numpy(p), atol=1e-12)
    np.testing.assert_allclose(
        to_numpy(kin.mass_squared(b)), to_numpy(kin.mass_squared(p)), rtol=1e-12
    )
    np.testing.assert_allclose(to_numpy(b)[0, 1:3], [1.0, 2.0])
    np.testing.assert_allclose(
        to_numpy(kin.boost_z_beta(p, to_xp(xp, [math.tanh(0.7)]))), to_numpy(b), rtol=1e-12
    )
    # a massless particle along +z: energy scales by exp(y)
    np.testing.assert_allclose(
        to_numpy(kin.boost_z(to_xp(xp, [[1.0, 0, 0, 1.0]]), y))[0, 0], math.exp(0.7)
    )


def test_rotations(xp):
    rng = np.random.default_rng(2)
    n = 300
    cos_t, phi = to_xp(xp, rng.uniform(-1, 1, n)), to_xp(xp, rng.uniform(0, 2 * math.pi, n))
    z = to_xp(xp, np.tile([1.0, 0.0, 0.0, 1.0], (n, 1)))
    rotated = kin.rotate_from_z(z, cos_t, phi)
    c_back, phi_back = kin.direction_angles(rotated)
    np.testing.assert_allclose(to_numpy(c_back), to_numpy(cos_t), atol=1e-12)
    np.testing.assert_allclose(to_numpy(phi_back), to_numpy(phi), atol=1e-9)
    p = to_xp(xp, random_timelike(rng, n))
    np.testing.assert_allclose(
        to_numpy(kin.rotate_to_z(kin.rotate_from_z(p, cos_t, phi), cos_t, phi)),
        to_numpy(p),
        atol=1e-10 * 300,
    )
    np.testing.assert_allclose(
        to_numpy(kin.momentum_abs(kin.rotate_from_z(p, cos_t, phi))),
        to_numpy(kin.momentum_abs(p)),
        rtol=1e-12,
    )
    # Eq. 40: R(phi, theta) = R_z(phi) R_y(theta)
    x_axis = to_xp(xp, [[1.0, 1.0, 0.0, 0.0]])
    out = to_numpy(kin.rotate_from_z(x_axis, to_xp(xp, [0.0]), to_xp(xp, [math.pi / 2])))
    np.testing.assert_allclose(out[0], [1.0, 0.0, 0.0, -1.0], atol=1e-12)


def test_kallen_and_two_body_momentum(xp):
    np.testing.assert_allclose(
        to_numpy(kin.kallen(to_xp(xp, [100.0]), to_xp(xp, [9.0]), to_xp(xp, [16.0]))),
        [(100 - 25) ** 2 - 4 * 144],
    )
    p = kin.two_body_momentum(
        to_xp(xp, [10.0, 10.0, 7.0]), to_xp(xp, [3.0, 0.0, 3.0]), to_xp(xp, [4.0, 0.0, 4.0])
    )
    np.testing.assert_allclose(
        to_numpy(p), [math.sqrt((100 - 49) * (100 - 1)) / 20, 5.0, 0.0], atol=1e-12
    )


def test_momentum_from_angles(xp):
    p = kin.momentum_from_angles(
        to_xp(xp, [3.0]), to_xp(xp, [0.0]), to_xp(xp, [math.pi / 2]), to_xp(xp, [4.0])
    )
    np.testing.assert_allclose(to_numpy(p)[0], [5.0, 0.0, 3.0, 0.0], atol=1e-12)
    assert to_numpy(kin.mass_squared(p))[0] == pytest.approx(16.0)


def test_direction_of_zero_vector(xp):
    c, phi = kin.direction_angles(to_xp(xp, [[1.0, 0.0, 0.0, 0.0]]))
    assert to_numpy(c)[0] == 1.0 and to_numpy(phi)[0] == 0.0


@settings(max_examples=60, deadline=None)
@given(
    p=st.lists(st.floats(-1e3, 1e3), min_size=3, max_size=3),
    q=st.lists(st.floats(-1e3, 1e3), min_size=3, max_size=3),
    m=st.floats(0.01, 1e3),
)
def test_boost_property(p, q, m):
    import array_api_compat.numpy as xp

    pv = xp.asarray([[math.sqrt(sum(c * c for c in p) + 1.0), *p]])
    qv = xp.asarray([[math.sqrt(sum(c * c for c in q) + m * m), *q]])
    back = kin.boost_to_rest(kin.boost_from_rest(pv, qv), qv)
    gamma = float(qv[0, 0]) / m
    # a boost and its inverse lose ~gamma^2 * 1e-16 relative (rounding of E and p)
    tol = (1e-13 * gamma**2 + 1e-12) * float(pv[0, 0])
    np.testing.assert_allclose(np.asarray(back), np.asarray(pv), rtol=0, atol=tol)


def test_namespace():
    import array_api_compat.numpy as xp

    assert kin.namespace(xp.asarray([1.0])) is not None


def test_jit(jax_numpy):
    import jax

    @jax.jit
    def f(p, q):
        return kin.boost_to_rest(kin.boost_from_rest(p, q), q)

    p = jax_numpy.asarray([[5.0, 1.0, 2.0, 3.0]])
    q = jax_numpy.asarray([[20.0, 3.0, -2.0, 5.0]])
    np.testing.assert_allclose(np.asarray(f(p, q)), np.asarray(p), atol=1e-12)
