"""The gradient passes of the reference libraries as the library runs them: on the
SIMD lanes and on the scalar path alike, the one-parameter derivative outputs, blocks
that mix events with and without momenta on the z axis, and |M|^2 from the same pass."""

from __future__ import annotations

import numpy as np
import pytest

import pyumami
from pyumami.errors import UnsupportedOutputError
from tests.conftest import reference_library
from tests.test_gradients_native import PARAMETERS, _points, _rotated


@pytest.fixture(scope="module")
def scalar_gg_ttx():
    mp = pytest.MonkeyPatch()
    mp.setenv("REFME_SIMD", "scalar")
    try:
        with pyumami.load(reference_library("gg_ttx")) as lib:
            yield lib
    finally:
        mp.undo()


def _mixed(lib, n, seed):
    """Beams on the axis in the even events, every momentum rotated off it in the odd
    ones, so every SIMD block mixes both kinds."""
    p = _points(lib, n, 700.0, seed)
    p[1::2] = _rotated(p[1::2])
    return p


def test_each_parameter_has_its_own_derivative_output(gg_ttx):
    assert gg_ttx.parameter_derivatives == PARAMETERS


@pytest.mark.parametrize("name", PARAMETERS)
def test_one_parameter_equals_its_column_of_the_full_gradient(name, gg_ttx):
    """Direction k of a dual number does not depend on the other directions: the
    one-direction pass gives the bits of the five-direction one."""
    p = _mixed(gg_ttx, 21, seed=4)  # 21: full blocks and a scalar tail
    alpha_s = np.linspace(0.1, 0.13, 21)
    one = gg_ttx.gradient(p, name, alpha_s=alpha_s)
    full = gg_ttx.evaluate(p, alpha_s=alpha_s, outputs=("matrix_element", "parameter_gradient"))
    np.testing.assert_array_equal(one[name], full["parameter_gradient"][:, PARAMETERS.index(name)])
    np.testing.assert_array_equal(one["matrix_element"], full["matrix_element"])


def test_simd_and_scalar_paths_agree(gg_ttx, scalar_gg_ttx):
    p = _mixed(gg_ttx, 19, seed=8)
    wrt = ("momenta", "MT", "aS")
    simd = gg_ttx.gradient(p, wrt, alpha_s=0.118)
    scalar = scalar_gg_ttx.gradient(p, wrt, alpha_s=0.118)
    for key in ("matrix_element", *wrt):
        np.testing.assert_allclose(simd[key], scalar[key], rtol=1e-13, atol=0, err_msg=key)


def test_a_block_gives_each_event_its_own_gradient(gg_ttx):
    """Events evaluated within mixed blocks and one at a time agree: the lanes with
    beams on the axis get their rotated-frame transverse derivatives, the others not."""
    p = _mixed(gg_ttx, 16, seed=6)
    together = gg_ttx.gradient(p, ("momenta", "WT"), alpha_s=0.118)
    for i in (0, 1, 6, 11):
        alone = gg_ttx.gradient(p[i : i + 1], ("momenta", "WT"), alpha_s=0.118)
        for key in ("matrix_element", "momenta", "WT"):
            np.testing.assert_allclose(together[key][i], alone[key][0], rtol=1e-13, atol=0)


def test_matrix_element_from_the_gradient_pass_alongside_selections(gg_ttx):
    """|M|^2 with the gradients is that of the plain pass, with or without the
    helicity and colour choices (which then take a plain pass too)."""
    p = _mixed(gg_ttx, 13, seed=2)
    plain = gg_ttx.evaluate(p, alpha_s=0.118, outputs=("matrix_element", "helicity_index"))
    with_gradient = gg_ttx.evaluate(
        p,
        alpha_s=0.118,
        outputs=("matrix_element", "helicity_index", "momentum_gradient"),
    )
    np.testing.assert_array_equal(with_gradient["matrix_element"], plain["matrix_element"])
    np.testing.assert_array_equal(with_gradient["helicity_index"], plain["helicity_index"])


def test_unknown_parameter_derivative_is_refused(gg_ttx):
    with pytest.raises(UnsupportedOutputError, match="one at a time"):
        gg_ttx.evaluate(_points(gg_ttx, 2, 700.0, 1), outputs=("parameter_derivative:MW",))


def test_full_parameter_gradient_and_one_derivative_in_one_call(gg_ttx):
    """Both outputs for the same parameter are written (a host such as the checker
    asks every advertised key at once)."""
    p = _mixed(gg_ttx, 11, seed=3)
    out = gg_ttx.evaluate(
        p, alpha_s=0.118, outputs=("parameter_gradient", "parameter_derivative:aS")
    )
    np.testing.assert_array_equal(out["parameter_derivative:aS"], out["parameter_gradient"][:, 0])
    reference = gg_ttx.gradient(p, ("MT", "WT"), alpha_s=0.118)
    np.testing.assert_array_equal(out["parameter_gradient"][:, 1], reference["MT"])
    np.testing.assert_array_equal(out["parameter_gradient"][:, 2], reference["WT"])
