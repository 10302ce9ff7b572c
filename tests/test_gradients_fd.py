"""Finite-difference gradients and the JAX / PyTorch wrappers (any library)."""

from __future__ import annotations

import numpy as np
import pytest

import pyumami
import ref_me
from phase_space import RamboOnDiet
from pyumami.gradients import gradient


@pytest.fixture(scope="module")
def gg_ttx():
    with pyumami.load(ref_me.library_path("gg_ttx")) as lib:
        yield lib


def _points(lib, n=8, sqrt_s=800.0, seed=3):
    mapping = RamboOnDiet(lib.masses[2:], sqrt_s)
    p, _ = mapping.forward(np.random.default_rng(seed).random((n, mapping.dim)))
    return p


def test_without_gradient_outputs_a_clear_error(gg_ttx):
    with pytest.raises(pyumami.GradientNotSupportedError, match="finite_differences=True"):
        gradient(gg_ttx, _points(gg_ttx), ("momenta", "MT"))


def test_finite_difference_momentum_gradient_is_lorentz_covector(gg_ttx):
    # |M|^2 is Lorentz invariant, so the gradient contracted with any generator
    # of the Lorentz group applied to the momenta vanishes: sum_i dM/dp_i . (L p_i) = 0.
    p = _points(gg_ttx)
    out = gradient(gg_ttx, p, "momenta", alpha_s=0.118, finite_differences=True)
    g = out["momenta"]
    rotation_z = np.zeros((4, 4))
    rotation_z[1, 2], rotation_z[2, 1] = -1.0, 1.0
    generated = p @ rotation_z.T
    scale = np.sum(np.abs(g * p), axis=(1, 2))
    assert np.all(np.abs(np.sum(g * generated, axis=(1, 2))) < 1e-6 * scale)


def test_finite_difference_parameter_gradient_restores_the_parameter(gg_ttx):
    p = _points(gg_ttx)
    before = gg_ttx.get_parameter("MT")
    out = gradient(gg_ttx, p, "MT", alpha_s=0.118, finite_differences=True)
    assert gg_ttx.get_parameter("MT") == before
    assert out["MT"].shape == (p.shape[0],)
    assert np.all(np.isfinite(out["MT"]))
