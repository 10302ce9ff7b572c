"""Gradients computed by the reference libraries (dual numbers through the same
C++ core), against central differences, symmetries and a closed form."""

from __future__ import annotations

import numpy as np
import pytest

import pyumami
from pyumami.gradients import GradientRequest, finite_difference_gradient
from tests._helpers import two_body_events
from tests.conftest import reference_library

PARAMETERS = ("aS", "MT", "WT", "MZ", "WZ")


def _points(lib, n, sqrt_s, seed, boost=0.3):
    """On-shell points, boosted along z (beams stay on the axis) and then rotated, so
    both beams-on-axis and generic momenta occur."""
    p = two_body_events(lib.masses, n, sqrt_s, seed)
    ch, sh = np.cosh(boost), np.sinh(boost)
    e, pz = p[..., 0].copy(), p[..., 3].copy()
    p[..., 0], p[..., 3] = ch * e + sh * pz, sh * e + ch * pz
    return p


def _rotated(p, angle=0.7):
    c, s = np.cos(angle), np.sin(angle)
    q = p.copy()
    q[..., 1], q[..., 3] = c * p[..., 1] + s * p[..., 3], -s * p[..., 1] + c * p[..., 3]
    return q


def test_libraries_advertise_the_gradient_outputs(gg_ttx, ee_mumu):
    for lib in (gg_ttx, ee_mumu):
        assert lib.offers_momentum_gradient
        assert lib.gradient_parameters == PARAMETERS


def _central_differences(lib, p):
    return finite_difference_gradient(lib, p, GradientRequest(True, ()), alpha_s=0.118)["momenta"]


@pytest.mark.parametrize("process, sqrt_s", [("gg_ttx", 700.0), ("ee_mumu", 500.0)])
def test_momentum_gradient_matches_central_differences(process, sqrt_s, gg_ttx, ee_mumu):
    lib = {"gg_ttx": gg_ttx, "ee_mumu": ee_mumu}[process]
    p = _rotated(_points(lib, 16, sqrt_s, seed=11))  # no momentum on the z axis
    native = lib.gradient(p, "momenta", alpha_s=0.118)
    fd = _central_differences(lib, p)
    scale = np.max(np.abs(fd), axis=(1, 2), keepdims=True)
    # central differences at relative step 1e-5: truncation ~1e-10, rounding ~1e-11
    np.testing.assert_allclose(native["momenta"] / scale, fd / scale, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(native["matrix_element"], lib(p, alpha_s=0.118))


@pytest.mark.parametrize("process, sqrt_s", [("gg_ttx", 700.0), ("ee_mumu", 500.0)])
def test_momentum_gradient_with_beams_on_the_axis(process, sqrt_s, gg_ttx, ee_mumu):
    """Massless beams along z: every component as central differences give it, except
    the transverse ones of the beams. There HELAS spinors are singular and their
    off-shell clamp (|p| > E when px moves alone) makes the lab-frame function flat,
    while along the mass shell |M|^2 is smooth: the library returns the derivative
    along the mass shell, i.e. that of a frame in which no momentum is on the axis,
    rotated back."""
    lib = {"gg_ttx": gg_ttx, "ee_mumu": ee_mumu}[process]
    p = _points(lib, 16, sqrt_s, seed=11)
    native = lib.gradient(p, "momenta", alpha_s=0.118)["momenta"]
    lab = _central_differences(lib, p)
    angle = 0.7
    tilted = _central_differences(lib, _rotated(p, angle))
    c, s = np.cos(angle), np.sin(angle)
    back = tilted.copy()  # gradient of M(R p) taken back: R^T applied to each particle
    back[..., 1] = c * tilted[..., 1] - s * tilted[..., 3]
    back[..., 3] = s * tilted[..., 1] + c * tilted[..., 3]
    expected = lab.copy()
    expected[:, :2, 1:3] = back[:, :2, 1:3]
    scale = np.max(np.abs(expected), axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(native / scale, expected / scale, rtol=0, atol=1e-6)


@pytest.mark.parametrize(
    "process, name, sqrt_s, step",
    [
        ("gg_ttx", "MT", 700.0, 1e-4),
        # |M|^2 depends on WT only at 1e-6 relative: a larger step keeps rounding small
        ("gg_ttx", "WT", 360.0, 1e-2),
        ("gg_ttx", "aS", 700.0, 1e-4),
        # near the Z pole the curvature in MZ is large: a small step keeps truncation small
        ("ee_mumu", "MZ", 95.0, 1e-6),
        ("ee_mumu", "WZ", 91.188, 1e-4),
    ],
)
def test_parameter_gradient_matches_central_differences(
    process, name, sqrt_s, step, gg_ttx, ee_mumu
):
    lib = {"gg_ttx": gg_ttx, "ee_mumu": ee_mumu}[process]
    p = _points(lib, 16, sqrt_s, seed=5)
    native = lib.gradient(p, name)  # no ALPHA_S input: aS is the card's alpha_s
    fd = finite_difference_gradient(lib, p, GradientRequest(False, (name,)), relative_step=step)
    np.testing.assert_allclose(native[name], fd[name], rtol=1e-6, atol=0)
    assert np.all(native[name] != 0.0)


def test_alpha_s_gradient_is_exact(gg_ttx, ee_mumu):
    """|M|^2 ~ alpha_s^2 for g g -> t t~ and does not depend on it for e+ e- -> mu+ mu-."""
    p = _points(gg_ttx, 8, 900.0, seed=2)
    alpha_s = np.linspace(0.1, 0.13, 8)
    out = gg_ttx.gradient(p, "aS", alpha_s=alpha_s)
    np.testing.assert_allclose(out["aS"], 2 * out["matrix_element"] / alpha_s, rtol=1e-13)
    q = _points(ee_mumu, 8, 300.0, seed=2)
    np.testing.assert_array_equal(ee_mumu.gradient(q, "aS", alpha_s=0.11)["aS"], 0.0)


@pytest.mark.parametrize("generator", ["rotation", "boost"])
def test_momentum_gradient_is_a_lorentz_covector(generator, ee_mumu, gg_ttx):
    """Infinitesimal form of covariance: the gradient contracted with the action of a
    Lorentz generator on every momentum (a direction tangent to every mass shell)
    vanishes, since |M|^2 is invariant. Exact for boosts with WT = 0 (a t-channel
    width breaks boost invariance slightly, as in MadGraph)."""
    g = np.zeros((4, 4))
    if generator == "rotation":  # about the axis (1, 2, 3)
        n = np.array([1.0, 2.0, 3.0]) / np.sqrt(14.0)
        g[1:, 1:] = np.array([[0, -n[2], n[1]], [n[2], 0, -n[0]], [-n[1], n[0], 0]])
    else:  # boost along (0.6, 0, 0.8)
        g[0, 1:] = g[1:, 0] = [0.6, 0.0, 0.8]
    gg_ttx.set_parameter("WT", 0.0)
    try:
        for lib, sqrt_s in ((ee_mumu, 400.0), (gg_ttx, 800.0)):
            p = _rotated(_points(lib, 16, sqrt_s, seed=9))
            grad = lib.gradient(p, "momenta", alpha_s=0.118)["momenta"]
            moved = p @ g.T
            terms = grad * moved
            assert np.all(np.abs(terms.sum(axis=(1, 2))) < 1e-11 * np.abs(terms).sum(axis=(1, 2)))
    finally:
        gg_ttx.set_parameter("WT", 1.4915)


def test_top_mass_derivative_against_the_closed_form(gg_ttx):
    """d|M|^2/dm_t along on-shell kinematics at fixed sqrt(s) and angles: the
    library's dM/dMT plus dM/dp . dp/dm_t, against the derivative of the closed-form
    LO |M|^2 (Combridge) taken by JAX, with WT = 0 as the formula has no width."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    sqrt_s, g_s = 800.0, 1.2177157847767195
    cos_t, phi = np.array([-0.6, 0.1, 0.7]), np.array([0.3, 1.9, 4.0])
    sin_t = np.sqrt(1 - cos_t**2)
    direction = np.stack([sin_t * np.cos(phi), sin_t * np.sin(phi), cos_t], -1)

    def momenta(mt):
        e = sqrt_s / 2
        k = jnp.sqrt(e**2 - mt**2)
        beams = jnp.broadcast_to(jnp.array([[e, 0, 0, e], [e, 0, 0, -e]]), (3, 2, 4))
        top = jnp.concatenate([jnp.full((3, 1), e), k * direction], axis=1)
        anti = jnp.concatenate([jnp.full((3, 1), e), -k * direction], axis=1)
        return jnp.concatenate([beams, top[:, None], anti[:, None]], axis=1)

    def closed_form(mt):
        p = momenta(mt)

        def dot(a, b):
            return a[:, 0] * b[:, 0] - jnp.sum(a[:, 1:] * b[:, 1:], axis=1)

        s = 2 * dot(p[:, 0], p[:, 1])
        t1, t2 = 2 * dot(p[:, 0], p[:, 2]) / s, 2 * dot(p[:, 1], p[:, 2]) / s
        rho = 4 * mt**2 / s
        return g_s**4 * (1 / (6 * t1 * t2) - 3 / 8) * (t1**2 + t2**2 + rho - rho**2 / (4 * t1 * t2))

    mt = 173.0
    expected = np.asarray(jax.jacfwd(closed_form)(mt))
    dp_dmt = np.asarray(jax.jacfwd(momenta)(mt))
    gg_ttx.set_parameter("WT", 0.0)
    try:
        out = gg_ttx.gradient(np.asarray(momenta(mt)), ("momenta", "MT"), alpha_s=0.118)
    finally:
        gg_ttx.set_parameter("WT", 1.4915)
    np.testing.assert_allclose(out["matrix_element"], np.asarray(closed_form(mt)), rtol=1e-12)
    total = out["MT"] + np.sum(out["momenta"] * dp_dmt, axis=(1, 2))
    np.testing.assert_allclose(total, expected, rtol=1e-9)


def test_flavour_mirrored_events_keep_their_own_gradient_order():
    """qq_ttx evaluates mirrored flavours with the beams swapped: the gradient must
    still belong to the event's own particle order."""
    path = reference_library("qq_ttx")
    with pyumami.load(path) as lib:
        if not lib.offers_momentum_gradient:
            pytest.skip("qq_ttx offers no gradient outputs")
        p = _rotated(_points(lib, 4, 700.0, seed=3))
        for flavor in (0, 1):
            native = lib.gradient(p, "momenta", alpha_s=0.118, flavor=flavor)["momenta"]
            fd = finite_difference_gradient(
                lib, p, GradientRequest(True, ()), alpha_s=0.118, flavor=flavor
            )["momenta"]
            scale = np.max(np.abs(fd), axis=(1, 2), keepdims=True)
            np.testing.assert_allclose(native / scale, fd / scale, rtol=0, atol=1e-6)
