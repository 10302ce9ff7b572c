"""Central finite differences: the opt-in gradient of libraries without gradient outputs."""

from __future__ import annotations

import numpy as np
import pytest

import pyumami
from pyumami.gradients import GradientRequest, finite_difference_gradient, gradient
from tests._helpers import two_to_two
from tests.conftest import fixture_library


@pytest.fixture(scope="module")
def minimal():
    with pyumami.load(fixture_library("minimal")) as lib:
        yield lib


def test_without_gradient_outputs_a_clear_error(minimal):
    p = two_to_two(4, seed=1)
    assert not minimal.offers_momentum_gradient and minimal.gradient_parameters == ()
    with pytest.raises(pyumami.GradientNotSupportedError, match="finite_differences=True"):
        gradient(minimal, p, "momenta")
    with pytest.raises(pyumami.GradientNotSupportedError, match="finite_differences=True"):
        minimal.gradient(p, "MT")


def test_finite_differences_on_request(minimal):
    p = two_to_two(4, seed=1)
    out = gradient(minimal, p, "momenta", finite_differences=True)
    assert out["momenta"].shape == p.shape
    np.testing.assert_array_equal(out["matrix_element"], minimal(p))
    # the toy |M|^2 depends on the momenta: some derivative is non-zero in every event
    assert np.all(np.abs(out["momenta"]).max(axis=(1, 2)) > 0)


def test_finite_difference_parameter_gradient_restores_the_parameter(gg_ttx):
    p = two_to_two(4, seed=2)
    p[:, 2:, 0] = np.hypot(p[:, 2:, 0], 0.0)
    before = gg_ttx.get_parameter("MT")
    out = finite_difference_gradient(gg_ttx, p, GradientRequest(False, ("MT",)), alpha_s=0.118)
    assert gg_ttx.get_parameter("MT") == before
    native = gg_ttx.gradient(p, "MT", alpha_s=0.118)["MT"]
    np.testing.assert_allclose(out["MT"], native, rtol=1e-6)


def test_wrt_names_checked(gg_ttx):
    with pytest.raises(ValueError, match="more than once"):
        gg_ttx.gradient(two_to_two(2), ("MT", "MT"))
    with pytest.raises(ValueError, match="wrt is empty"):
        gg_ttx.gradient(two_to_two(2), ())
