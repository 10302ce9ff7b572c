"""q q~ -> t t~ (qq_ttx): the analytic |M|^2, FLAVOR_INDEX (quark flavour and beam
order, table ref_me.FLAVORS), the mirrored helicity index, the partonic cross section,
and MadSpace as a client."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pyumami
import ref_me
from pyumami.abi import InputKey, OutputKey, Status, ffi
from tests.test_madspace_client import max_relative_difference, two_body_events

MT = 173.0
FLAVORS = len(ref_me.FLAVORS["qq_ttx"])


@pytest.fixture(scope="module")
def qq_ttx():
    try:
        path = ref_me.library_path("qq_ttx")
    except FileNotFoundError as exc:
        pytest.fail(str(exc))
    with pyumami.load(path) as lib:
        yield lib


def events(n: int, sqrt_s: float, seed: int) -> np.ndarray:
    return two_body_events((0.0, 0.0, MT, MT), n, sqrt_s, seed)


def analytic(p: np.ndarray, alpha_s: np.ndarray) -> np.ndarray:
    """Averaged |M|^2 = g^4 (4/9) (tau1^2 + tau2^2 + rho/2), tau_i = 2 p_i.p_t / s,
    rho = 4 m^2 / s, for the quark in slot 0 (Combridge 1979; ESW eq. 10.12)."""

    def dot(a, b):
        return a[..., 0] * b[..., 0] - np.sum(a[..., 1:] * b[..., 1:], axis=-1)

    s = 2 * dot(p[:, 0], p[:, 1])
    tau1 = 2 * dot(p[:, 0], p[:, 2]) / s
    tau2 = 2 * dot(p[:, 1], p[:, 2]) / s
    g4 = (4 * math.pi * alpha_s) ** 2
    return g4 * 4 / 9 * (tau1**2 + tau2**2 + 2 * MT**2 / s)


def test_flavor_table():
    table = ref_me.FLAVORS["qq_ttx"]
    assert FLAVORS == 10
    quarks = [row[0] for row in table[::2]]
    assert quarks == [2, 1, 3, 4, 5]  # u, d, s, c, b
    for k, row in enumerate(table):
        q = quarks[k // 2]
        assert row == ((q, -q) if k % 2 == 0 else (-q, q)) + (6, -6)


@settings(max_examples=25, deadline=None)
@given(sqrt_s=st.floats(350.0, 5000.0), seed=st.integers(0, 2**16))
def test_against_analytic_formula_every_flavour(qq_ttx, sqrt_s, seed):
    p = events(8, sqrt_s, seed)
    alpha_s = np.random.default_rng(seed).uniform(0.08, 0.2, 8)
    expected = analytic(p, alpha_s)
    for flavor in range(0, FLAVORS, 2):
        me = qq_ttx.evaluate(p, alpha_s=alpha_s, flavor=np.full(8, flavor))["matrix_element"]
        np.testing.assert_allclose(me, expected, rtol=1e-12)
    # q~ q: the antiquark in slot 0 -- the same process with the beams exchanged
    swapped = p[:, [1, 0, 2, 3]]
    for flavor in range(1, FLAVORS, 2):
        me = qq_ttx.evaluate(swapped, alpha_s=alpha_s, flavor=np.full(8, flavor))["matrix_element"]
        np.testing.assert_allclose(me, expected, rtol=1e-12)


def test_flavours_mixed_in_one_batch(qq_ttx):
    p = events(200, 1000.0, 3)
    flavor = np.arange(200) % FLAVORS
    me = qq_ttx.evaluate(p, flavor=flavor)["matrix_element"]
    quark_first = analytic(p, np.full(200, 0.118))
    antiquark_first = analytic(p[:, [1, 0, 2, 3]], np.full(200, 0.118))
    np.testing.assert_allclose(
        me, np.where(flavor % 2 == 0, quark_first, antiquark_first), rtol=1e-12
    )
    # at leading order |M|^2 is symmetric under the beam exchange (tau1 <-> tau2): the
    # beam order shows in the helicities (test_mirrored_helicity_index_follows_the_particles)
    np.testing.assert_allclose(quark_first, antiquark_first, rtol=1e-12)


def test_partonic_cross_section():
    """sigma = 8 pi alpha_s^2 / (27 s) beta (1 + rho/2): Gauss-Legendre over cos(theta)
    of our |M|^2 (a quadratic polynomial in cos(theta), so the rule is exact)."""
    with pyumami.load(ref_me.library_path("qq_ttx")) as lib:
        for sqrt_s in (400.0, 1000.0, 13000.0):
            s = sqrt_s**2
            beta = math.sqrt(1 - 4 * MT**2 / s)
            nodes, weights = np.polynomial.legendre.leggauss(4)
            p = np.zeros((4, 4, 4))
            p[:, 0] = [sqrt_s / 2, 0, 0, sqrt_s / 2]
            p[:, 1] = [sqrt_s / 2, 0, 0, -sqrt_s / 2]
            k = beta * sqrt_s / 2
            p[:, 2] = np.stack(
                [np.full(4, sqrt_s / 2), k * np.sqrt(1 - nodes**2), 0 * nodes, k * nodes], axis=1
            )
            p[:, 3] = p[:, 0] + p[:, 1] - p[:, 2]
            me = lib(p)
            # sigma = 1/(2 s) * beta / (8 pi) * (1/2) int dcos |M|^2  (phi integrated: 2 pi / (4 pi) ... )
            sigma = beta / (32 * math.pi * s) * np.dot(weights, me)
            rho = 4 * MT**2 / s
            expected = 8 * math.pi * 0.118**2 / (27 * s) * beta * (1 + rho / 2)
            assert sigma == pytest.approx(expected, rel=1e-12)


def helicities(row: np.ndarray) -> np.ndarray:
    """(n, 4) helicities of a HELICITY_INDEX row: particle i flips its first-row value
    (+1, -1, -1, +1) when bit (3 - i) is set."""
    first = np.array([1, -1, -1, 1])
    bits = (row[:, None] >> (3 - np.arange(4))) & 1
    return np.where(bits == 1, -first, first)


def test_mirrored_helicity_index_follows_the_particles(qq_ttx):
    """The same physical event given as u u~ (flavour 0) and as u~ u (flavour 1, momenta
    of particles 0 and 1 exchanged): the selected helicities are the same particles'."""
    n = 400
    p = events(n, 800.0, 9)
    r = np.random.default_rng(4).uniform(0, 1, n)
    out0 = qq_ttx.evaluate(
        p,
        flavor=np.zeros(n, np.int32),
        random_helicity=r,
        outputs=("matrix_element", "helicity_index"),
    )
    out1 = qq_ttx.evaluate(
        p[:, [1, 0, 2, 3]],
        flavor=np.ones(n, np.int32),
        random_helicity=r,
        outputs=("matrix_element", "helicity_index"),
    )
    h0 = helicities(out0["helicity_index"])
    h1 = helicities(out1["helicity_index"])
    np.testing.assert_array_equal(h1[:, [1, 0, 2, 3]], h0)
    # massless quarks annihilate through a vector: opposite helicities in the centre of mass
    assert np.all(h0[:, 0] == -h0[:, 1])
    assert len(np.unique(out0["helicity_index"])) > 4


@pytest.mark.parametrize("bad", [-1, FLAVORS, 1000])
def test_flavor_index_outside_the_table_is_refused(bad):
    lib = ffi.dlopen(str(ref_me.library_path("qq_ttx")))
    p = events(3, 1000.0, 1)
    mom = np.ascontiguousarray(p.transpose(2, 1, 0))
    flavor = np.array([0, bad, 1], dtype=np.int32)
    me = np.full(3, -7.0)
    handle = ffi.new("UmamiHandle*")
    assert lib.umami_initialize(handle, ffi.NULL) == Status.SUCCESS
    status = lib.umami_matrix_element(
        handle[0],
        3,
        3,
        0,
        2,
        ffi.new("UmamiInputKey[]", [InputKey.MOMENTA, InputKey.FLAVOR_INDEX]),
        ffi.new(
            "void*[]",
            [ffi.cast("void*", ffi.from_buffer(mom)), ffi.cast("void*", ffi.from_buffer(flavor))],
        ),
        1,
        ffi.new("UmamiOutputKey[]", [OutputKey.MATRIX_ELEMENT]),
        ffi.new("void*[]", [ffi.cast("void*", ffi.from_buffer(me))]),
    )
    lib.umami_free(handle[0])
    assert status == Status.ERROR
    assert np.all(me == -7.0)


def test_one_diagram_and_its_colour_flows(qq_ttx):
    p = events(50, 900.0, 2)
    out = qq_ttx.evaluate(
        p,
        random_color=np.linspace(0, 0.999, 50),
        outputs=("diagram_amp2", "color_index", "diagram_index"),
    )
    np.testing.assert_allclose(out["diagram_amp2"], 1.0, rtol=1e-15)
    np.testing.assert_array_equal(out["diagram_index"], 0)
    # |jamp_1|^2 / |jamp_0|^2 = (1/2)^2 / (1/6)^2 = 9: flow 1 below 0.9, flow 0 above
    expected = np.where(np.linspace(0, 0.999, 50) < 0.1, 0, 1)
    np.testing.assert_array_equal(out["color_index"], expected)


ms = pytest.importorskip("madspace", reason="MadSpace (PyPI madspace) is a test dependency")


@pytest.mark.parametrize("threads", [1, 2])
def test_madspace_client_equals_pyumami(qq_ttx, threads):
    from tests.test_madspace_client import madspace_evaluate

    p = events(1000, 1000.0, 11)
    alpha_s = np.random.default_rng(5).uniform(0.1, 0.13, 1000)
    card = ref_me.default_param_card()
    me_ms, amp2_ms = madspace_evaluate(qq_ttx.path, card, p, threads, alpha_s=alpha_s, amp2=True)
    ours = qq_ttx.evaluate(p, alpha_s=alpha_s, outputs=("matrix_element", "diagram_amp2"))
    assert max_relative_difference(me_ms, ours["matrix_element"]) <= 1e-14
    assert max_relative_difference(amp2_ms, ours["diagram_amp2"]) <= 1e-14
