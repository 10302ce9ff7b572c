"""JAX: jit and differentiability of the RAMBO family (MadJax-style differentiable RAMBO).

Gradients of momentum-dependent scalars with respect to the random numbers, the
collision energy and the masses are checked against central finite differences.
"""

from __future__ import annotations

import numpy as np
import pytest

from phase_space.chili import Chili
from phase_space.fast_rambo import FastRambo
from phase_space.rambo import Rambo, RamboOnDiet

SLOW = pytest.mark.slow  # JAX compiles of the backward graph take ~5-15 s each here
MAPPINGS = [
    pytest.param(Rambo, [173.0, 173.0, 0.0], id="Rambo-3-massive"),
    pytest.param(FastRambo, [173.0, 173.0, 0.0, 0.0], id="FastRambo-4-massive"),
    pytest.param(Rambo, [0.0, 0.0, 0.0, 0.0], id="Rambo-4-massless", marks=SLOW),
    pytest.param(FastRambo, [0.0] * 5, id="FastRambo-5-massless", marks=SLOW),
    pytest.param(RamboOnDiet, [173.0, 173.0, 0.0, 0.0], id="RamboOnDiet-4-massive", marks=SLOW),
]


def observable(jnp, p, w):
    """A smooth momentum-dependent scalar: sum over events of w * sum_i pT_i^2 / s-ish."""
    pt2 = p[:, 2:, 1] ** 2 + p[:, 2:, 2] ** 2
    return jnp.sum(w * jnp.sum(pt2 * (1.0 + p[:, 2:, 3] / 1000.0), axis=1))


def central_difference(f, x, h):
    x = np.asarray(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += h
        down[index] -= h
        grad[index] = (float(f(up)) - float(f(down))) / (2 * h)
    return grad


@pytest.mark.parametrize(("cls", "masses"), MAPPINGS)
def test_grad_wrt_randoms(jax_numpy, cls, masses):
    import jax

    jnp = jax_numpy
    mapping = cls(masses, 1000.0)
    r = np.random.default_rng(0).uniform(0.05, 0.95, (3, mapping.dim))

    def f(r):
        return observable(jnp, *mapping.forward(jnp.asarray(r)))

    grad = np.asarray(jax.jit(jax.grad(f))(jnp.asarray(r)))
    numeric = central_difference(jax.jit(f), r, 1e-6)
    scale = np.max(np.abs(numeric))
    np.testing.assert_allclose(grad, numeric, atol=1e-6 * scale, rtol=1e-5)


@pytest.mark.parametrize("cls", [FastRambo, pytest.param(Rambo, marks=SLOW)])
def test_grad_wrt_energy_and_masses(jax_numpy, cls):
    import jax

    jnp = jax_numpy
    r = jnp.asarray(np.random.default_rng(1).uniform(0.05, 0.95, (4, cls([0.0] * 4, 1.0).dim)))

    def f(params):
        sqrt_s, m_top = params[0], params[1]
        mapping = cls([m_top, m_top, 0.0, 0.0], sqrt_s)
        return observable(jnp, *mapping.forward(r))

    x = np.array([1000.0, 173.0])
    grad = np.asarray(jax.jit(jax.grad(f))(jnp.asarray(x)))
    numeric = central_difference(jax.jit(f), x, 1e-4)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6)


@pytest.mark.parametrize(
    "mapping",
    [
        Rambo([173.0, 173.0, 0.0], 1000.0),
        RamboOnDiet([0.0] * 5, 1000.0),
        FastRambo([173.0, 173.0, 0.0, 0.0], 1000.0),
        Chili([173.0, 173.0, 0.0], 1000.0, pt_min=[None, None, 20.0]),
    ],
    ids=["Rambo", "RamboOnDiet", "FastRambo", "Chili"],
)
def test_jit_matches_numpy(jax_numpy, mapping):
    import jax

    jnp = jax_numpy
    r_numpy = np.random.default_rng(2).random((64, mapping.dim))
    r = jnp.asarray(r_numpy)
    p_jit, w_jit = jax.jit(mapping.forward)(r)
    p, w = mapping.forward(r_numpy)  # the same code on NumPy
    assert p_jit.dtype == jnp.float64
    np.testing.assert_allclose(np.asarray(p_jit), np.asarray(p), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(np.asarray(w_jit), np.asarray(w), rtol=1e-12)
    r_back, w_inv = jax.jit(mapping.inverse)(p_jit)
    keep = np.asarray(w) > 0
    if not isinstance(mapping, Rambo):  # Rambo's inverse is a preimage, not r
        np.testing.assert_allclose(np.asarray(r_back)[keep], np.asarray(r)[keep], atol=1e-9)
    np.testing.assert_allclose(np.asarray(w)[keep] * np.asarray(w_inv)[keep], 1.0, rtol=1e-9)


def test_jit_with_traced_energy(jax_numpy):
    """The mapping can be built inside a jitted function from a traced sqrt(s)."""
    import jax

    jnp = jax_numpy
    r = jnp.asarray(np.random.default_rng(3).random((8, 8)))

    @jax.jit
    def momenta(sqrt_s):
        return FastRambo([0.0] * 4, sqrt_s).forward(r)[0]

    expected = FastRambo([0.0] * 4, 500.0).forward(np.asarray(r))[0]
    np.testing.assert_allclose(np.asarray(momenta(500.0)), expected, rtol=1e-12, atol=1e-9)
