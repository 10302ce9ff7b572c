"""pyumami.jax and pyumami.torch over the libraries' own gradients."""

from __future__ import annotations

import numpy as np
import pytest

import pyumami
import ref_me
from phase_space import RamboOnDiet

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

import pyumami.jax as pjax  # noqa: E402


@pytest.fixture(scope="module")
def gg_ttx():
    with pyumami.load(ref_me.library_path("gg_ttx")) as lib:
        yield lib


def _points(lib, n=4, sqrt_s=800.0, seed=5):
    mapping = RamboOnDiet(lib.masses[2:], sqrt_s)
    p, _ = mapping.forward(np.random.default_rng(seed).random((n, mapping.dim)))
    return p


def test_jax_wrapper_value_jit_and_vmap(gg_ttx):
    p = _points(gg_ttx)
    me = pjax.wrap(gg_ttx, alpha_s=0.118)
    expected = gg_ttx(p, alpha_s=0.118)
    np.testing.assert_array_equal(np.asarray(jax.jit(me)(jnp.asarray(p))), expected)
    np.testing.assert_array_equal(np.asarray(jax.vmap(me)(jnp.asarray(p))), expected)


def test_jax_grad_through_rambo_matches_finite_differences(gg_ttx):
    # d/dr of |M|^2(RAMBO(r)) x jacobian(r): chain rule through phase_space in JAX
    # and the library's gradient, against central differences of the whole function.
    mapping = RamboOnDiet(gg_ttx.masses[2:], 800.0)
    me = pjax.wrap(gg_ttx, alpha_s=0.118)

    @jax.jit
    def density(r):
        p, w = mapping.forward(r[None, :])
        return (me(p) * w)[0]

    r0 = jnp.asarray(np.random.default_rng(7).uniform(0.2, 0.8, mapping.dim))
    grad = np.asarray(jax.grad(density)(r0))
    h = 1e-5
    eye = np.eye(mapping.dim)
    central = np.array(
        [
            (density(r0 + h * eye[k]) - density(r0 - h * eye[k])) / (2 * h)
            for k in range(mapping.dim)
        ]
    )
    np.testing.assert_allclose(grad, central, rtol=1e-5, atol=1e-7 * np.max(np.abs(central)))


def test_jax_parameter_gradient_and_madjax_entry_point(gg_ttx):
    f = pjax.matrix_element(
        gg_ttx,
        800.0,
        parameters=("MT",),
        alpha_s=0.118,
        mass_parameters={"MT": (2, 3)},
    )
    coords = jnp.asarray(np.random.default_rng(9).uniform(0.2, 0.8, (3, 2)))
    value, grads = f({"MT": 173.0}, coords)
    assert value.shape == (3,) and grads["MT"].shape == (3,) and grads["coords"].shape == (3, 2)
    # total derivative in MT (through the phase-space point too) vs central differences
    h = 1e-3
    up, _ = f({"MT": 173.0 + h}, coords)
    down, _ = f({"MT": 173.0 - h}, coords)
    np.testing.assert_allclose(grads["MT"], (up - down) / (2 * h), rtol=1e-4)
    assert gg_ttx.get_parameter("MT") == pytest.approx(173.0 - h)  # the last value set stays


def test_jax_refuses_float32():
    jax.config.update("jax_enable_x64", False)
    try:
        with pytest.raises(pyumami.DtypeError, match="jax_enable_x64"):
            pjax.wrap(None)
    finally:
        jax.config.update("jax_enable_x64", True)


def test_torch_wrapper_backward(gg_ttx):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    import pyumami.torch as ptorch

    p = torch.as_tensor(_points(gg_ttx)).requires_grad_()
    mt = torch.tensor([173.0], dtype=torch.float64, requires_grad=True)
    me = ptorch.wrap(gg_ttx, parameters=("MT",), alpha_s=0.118)
    value = me(p, mt)
    value.sum().backward()
    np.testing.assert_array_equal(value.detach().numpy(), gg_ttx(p.detach().numpy(), alpha_s=0.118))
    ref = gg_ttx.gradient(p.detach().numpy(), ("momenta", "MT"), alpha_s=0.118)
    np.testing.assert_allclose(p.grad.numpy(), ref["momenta"], rtol=1e-12)
    np.testing.assert_allclose(mt.grad.numpy(), [ref["MT"].sum()], rtol=1e-12)
