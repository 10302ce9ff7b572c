"""The reverse-mode momentum gradient (ref_me/include/refme/adjoint.h) against the
forward-mode passes it replaced (REFME_MOMENTUM_GRADIENT=forward keeps them reachable):
the same derivatives to rounding, on the SIMD lanes and the scalar path, with beams and
final-state momenta on the z axis, for mirrored flavours, and |M|^2 with the bits of the
plain evaluation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pyumami
from tests.conftest import reference_library
from tests.test_gradients_native import _points, _rotated

PROCESSES = ("gg_ttx", "qq_ttx", "ee_mumu")


@pytest.fixture(scope="module", params=["simd", "scalar"])
def libraries(request):
    mp = pytest.MonkeyPatch()
    if request.param == "scalar":
        mp.setenv("REFME_SIMD", "scalar")
    try:
        libs = {name: pyumami.load(reference_library(name)) for name in PROCESSES}
        yield libs
        for lib in libs.values():
            lib.close()
    finally:
        mp.undo()


def _both_modes(lib, p, monkeypatch, **inputs):
    out = {}
    for mode in ("forward", "reverse"):
        monkeypatch.setenv("REFME_MOMENTUM_GRADIENT", mode)
        out[mode] = lib.gradient(p, "momenta", alpha_s=0.118, **inputs)
    monkeypatch.delenv("REFME_MOMENTUM_GRADIENT")
    return out["forward"], out["reverse"]


def _assert_same_gradient(forward, reverse, rtol=1e-12):
    scale = np.max(np.abs(forward["momenta"]), axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(
        reverse["momenta"] / scale, forward["momenta"] / scale, rtol=0, atol=rtol
    )


def _on_axis(masses, n, sqrt_s):
    """Every momentum on the z axis: the top (or mu+) along +z and -z in turn."""
    e = sqrt_s / 2
    k = np.sqrt(e**2 - masses[2] ** 2)
    sign = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    p = np.zeros((n, 4, 4))
    p[:, 0] = [e, 0, 0, e]
    p[:, 1] = [e, 0, 0, -e]
    p[:, 2, 0], p[:, 2, 3] = e, sign * k
    p[:, 3, 0], p[:, 3, 3] = e, -sign * k
    return p


@pytest.mark.parametrize("process", PROCESSES)
def test_reverse_equals_forward(process, libraries, monkeypatch):
    """Beams on the axis in the even events, every momentum off it in the odd ones
    (19 events: mixed SIMD blocks and a scalar tail)."""
    lib = libraries[process]
    p = _points(lib, 19, 700.0, seed=12)
    p[1::2] = _rotated(p[1::2])
    forward, reverse = _both_modes(lib, p, monkeypatch)
    _assert_same_gradient(forward, reverse)
    np.testing.assert_array_equal(reverse["matrix_element"], lib(p, alpha_s=0.118))


@pytest.mark.parametrize("process", PROCESSES)
def test_reverse_with_final_state_on_the_axis(process, libraries, monkeypatch):
    """Final-state momenta along +z and -z (where HELAS's spinors switch formula): their
    transverse derivatives too come from the rotation of their wavefunctions."""
    lib = libraries[process]
    p = _on_axis(lib.masses, 11, 700.0)
    forward, reverse = _both_modes(lib, p, monkeypatch)
    _assert_same_gradient(forward, reverse)
    assert np.all(np.isfinite(reverse["momenta"]))


@pytest.mark.parametrize("flavor", [0, 1, 7])
def test_reverse_keeps_mirrored_flavours_in_event_order(flavor, libraries, monkeypatch):
    lib = libraries["qq_ttx"]
    p = _rotated(_points(lib, 9, 600.0, seed=5))
    forward, reverse = _both_modes(lib, p, monkeypatch, flavor=flavor)
    _assert_same_gradient(forward, reverse)


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    # a rotation by a tiny angle leaves the beams 1e-100 off the axis, where HELAS's
    # spinors (and both modes' derivatives) are numerically singular
    angle=st.floats(0.05, 3.0) | st.floats(-3.0, -0.05),
    boost=st.floats(-1.5, 1.5),
    sqrt_s=st.floats(360.0, 3000.0),
)
def test_reverse_equals_forward_anywhere(seed, angle, boost, sqrt_s):
    """Any 2 -> 2 kinematics of g g -> t t~ (boosted along z, rotated or not), with a
    per-event alpha_s."""
    mp = pytest.MonkeyPatch()
    try:
        with pyumami.load(reference_library("gg_ttx")) as lib:
            p = _points(lib, 9, sqrt_s, seed, boost=boost)
            p[::3] = _rotated(p[::3], angle)
            alpha_s = np.linspace(0.1, 0.13, 9)
            out = {}
            for mode in ("forward", "reverse"):
                mp.setenv("REFME_MOMENTUM_GRADIENT", mode)
                out[mode] = lib.gradient(p, "momenta", alpha_s=alpha_s)
    finally:
        mp.undo()
    _assert_same_gradient(out["forward"], out["reverse"], rtol=1e-11)
    np.testing.assert_array_equal(
        out["reverse"]["matrix_element"], out["forward"]["matrix_element"]
    )
