"""The LHAPDF grid reader on a synthetic set written by the package's own writer.

The set (two subgrids in Q, a short third one, 11 flavours) holds a smooth analytic
function, so the tests can compare against MadSpace's LHAPDF-compatible interpolator
(same algorithm: agreement to rounding), against the independent reader ``parton``
(a different, spline interpolation: agreement to the interpolation error), and check
properties of LHAPDF's rules: knots reproduced, functions linear in (log x, log Q^2)
reproduced everywhere, the continuation outside the grid.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pyumami.pdf as pdf_module
from pyumami.pdf.lhagrid import Subgrid, format_info, parse_info, read_member, write_member

PIDS = np.array([-5, -4, -3, -2, -1, 21, 1, 2, 3, 4, 5])
X_KNOTS = np.concatenate([np.geomspace(1e-6, 0.1, 16), np.linspace(0.15, 0.95, 17), [1.0]])
Q_BLOCKS = [np.geomspace(1.3, 4.75, 5), np.geomspace(4.75, 1e4, 14)]


def smooth(x: np.ndarray, q: np.ndarray) -> np.ndarray:
    """A PDF-like x*f(x, Q) per flavour, shape (nq, nx, nflav): x^-a (1-x)^b with log-Q slopes."""
    x = x[None, :, None]
    logq2 = np.log(q[:, None, None] ** 2)
    k = np.arange(PIDS.size)[None, None, :]
    return (
        (1 + 0.1 * k)
        * x ** (-0.1 - 0.02 * k)
        * (1 - x) ** (3 + 0.3 * k)
        * (1 + 0.05 * logq2 * (1 + 0.01 * k))
        * (1 + 0.2 * np.log(1 / x) * logq2 / 30)
    )


def bilinear(x: np.ndarray, q: np.ndarray) -> np.ndarray:
    """A function linear in log x and log Q^2 separately (and in their product)."""
    lx = np.log(x)[None, :, None]
    lq = np.log(q[:, None, None] ** 2)
    k = np.arange(PIDS.size)[None, None, :]
    return 3.0 + k + 0.2 * lx - 0.1 * lq + 0.01 * lx * lq * (1 + k)


def write_set(directory: Path, name: str, function, blocks=Q_BLOCKS, alphas=True) -> Path:
    target = directory / name
    target.mkdir(parents=True)
    grids = [Subgrid(x=X_KNOTS, q=q, pids=PIDS, xf=function(X_KNOTS, q)) for q in blocks]
    write_member(target / f"{name}_0000.dat", grids)
    qs = np.concatenate(blocks)
    info = {
        "SetDesc": "synthetic: test: set",
        "Format": "lhagrid1",
        "NumMembers": 1,
        "Flavors": PIDS.tolist(),
        "OrderQCD": 1,
        "QMin": float(qs[0]),
        "QMax": float(qs[-1]),
    }
    if alphas:
        info["AlphaS_Qs"] = qs.tolist()
        info["AlphaS_Vals"] = lo_alphas(qs).tolist()
    (target / f"{name}.info").write_text(format_info(info))
    return target


def lo_alphas(q):
    """One-loop alpha_s with nf = 5 and alpha_s(91.1876) = 0.118."""
    return 0.118 / (
        1 + 0.118 * (33 - 10) / (12 * math.pi) * np.log(np.asarray(q) ** 2 / 91.1876**2)
    )


@pytest.fixture(scope="module")
def grid_dir(tmp_path_factory) -> Path:
    return write_set(tmp_path_factory.mktemp("pdfsets"), "synthetic", smooth)


@pytest.fixture(scope="module")
def pdf(grid_dir):
    return pdf_module.load(grid_dir)


def random_points(rng, n, x_range=(1e-6, 1.0), q_range=(1.3, 1e4)):
    x = np.exp(rng.uniform(*np.log(x_range), n))
    q = np.exp(rng.uniform(*np.log(q_range), n))
    return x, q


# --- the format ---------------------------------------------------------------------


def test_info_round_trip():
    info = {
        "SetDesc": "a: description, with [brackets]",
        "Flavors": [-1, 21, 1],
        "AlphaS_Qs": [1.4142135623730951, 4.5, 4.5, 1e5],
        "OrderQCD": 0,
        "ForcePositive": True,
        "Name": "plain",
    }
    assert parse_info(format_info(info)) == info


def test_info_multiline_list_and_comments():
    text = "# a comment\nFlavors: [-1, 21,\n  1, 2]\nSetDesc: 'quoted'\nXMin: 1e-9\n"
    assert parse_info(text) == {"Flavors": [-1, 21, 1, 2], "SetDesc": "quoted", "XMin": 1e-9}


def test_info_refuses_lines_without_key():
    with pytest.raises(pdf_module.PDFFormatError, match="not 'Key: value'"):
        parse_info("Flavors: [1]\njust text\n", "x.info")


def test_member_round_trip(tmp_path):
    grids = [Subgrid(x=X_KNOTS, q=q, pids=PIDS, xf=smooth(X_KNOTS, q)) for q in Q_BLOCKS]
    write_member(tmp_path / "m.dat", grids)
    header, back = read_member(tmp_path / "m.dat")
    assert header == {"PdfType": "central", "Format": "lhagrid1"}
    for a, b in zip(grids, back, strict=True):
        assert np.array_equal(a.x, b.x) and np.array_equal(a.q, b.q)  # knots bit for bit
        assert np.array_equal(a.pids, b.pids)
        np.testing.assert_allclose(b.xf, a.xf, rtol=1e-11)


def test_member_with_wrong_line_count_is_refused(tmp_path):
    grids = [Subgrid(x=X_KNOTS, q=Q_BLOCKS[0], pids=PIDS, xf=smooth(X_KNOTS, Q_BLOCKS[0]))]
    path = tmp_path / "m.dat"
    write_member(path, grids)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-3] + lines[-2:]) + "\n")  # one data line missing
    with pytest.raises(pdf_module.PDFFormatError, match="x outer, Q inner"):
        read_member(path)


def test_missing_set_names_the_searched_paths(tmp_path, monkeypatch):
    monkeypatch.setenv("LHAPDF_DATA_PATH", f"{tmp_path / 'a'}:{tmp_path / 'b'}")
    monkeypatch.setenv("LHAPATH", str(tmp_path / "c"))
    with pytest.raises(pdf_module.PDFSetNotFoundError) as info:
        pdf_module.load("NoSuchSet")
    for d in "abc":
        assert str(tmp_path / d) in str(info.value)
    assert isinstance(info.value, FileNotFoundError)


def test_name_lookup_order(tmp_path, monkeypatch):
    write_set(tmp_path / "first", "twice", smooth)
    write_set(tmp_path / "second", "twice", bilinear)
    monkeypatch.setenv("LHAPDF_DATA_PATH", str(tmp_path / "first"))
    monkeypatch.setenv("LHAPATH", str(tmp_path / "second"))
    assert pdf_module.load("twice").path == tmp_path / "first" / "twice"
    monkeypatch.delenv("LHAPDF_DATA_PATH")
    assert pdf_module.load("twice").path == tmp_path / "second" / "twice"
    assert pdf_module.load(str(tmp_path / "second" / "twice" / "twice.info")).name == "twice"


def test_attributes(pdf):
    assert pdf.name == "synthetic"
    assert pdf.flavors == tuple(PIDS.tolist())
    assert (pdf.x_min, pdf.x_max) == (1e-6, 1.0)
    assert (pdf.q_min, pdf.q_max) == (1.3, 1e4)
    assert pdf.order_qcd == 1


# --- interpolation ------------------------------------------------------------------


def test_knots_are_reproduced(pdf):
    for q in Q_BLOCKS[1][1:]:  # the lower threshold knot belongs to the block above
        values = pdf.xfxQ(PIDS[:, None], X_KNOTS[None, :], q)
        np.testing.assert_allclose(values, smooth(X_KNOTS, np.array([q]))[0].T, rtol=1e-11)


@pytest.fixture(scope="module")
def bilinear_pdf(tmp_path_factory):
    return pdf_module.load(write_set(tmp_path_factory.mktemp("bilinear"), "bilinear", bilinear))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_bilinear_function_is_exact(bilinear_pdf, seed):
    """Hermite with finite-difference slopes is exact for functions linear in log x and log Q^2.

    Up to the 12 significant digits the writer keeps at the knots.
    """
    x, q = random_points(np.random.default_rng(seed), 200)
    pid_index = np.random.default_rng(seed + 1).integers(0, PIDS.size, x.size)
    expected = np.array(
        [
            bilinear(np.array([xi]), np.array([qi]))[0, 0, k]
            for xi, qi, k in zip(x, q, pid_index, strict=False)
        ]
    )
    got = bilinear_pdf.xfxQ(PIDS[pid_index], x, q)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


def test_gluon_aliases_and_absent_flavours(pdf):
    x = np.array([1e-3, 0.2])
    np.testing.assert_array_equal(pdf.xfxQ(0, x, 50.0), pdf.xfxQ(21, x, 50.0))
    np.testing.assert_array_equal(pdf.xfxQ(np.array([6, -6, 22, 10**6]), 0.1, 50.0), 0.0)


def test_broadcasting_and_scalars(pdf):
    x = np.array([1e-4, 1e-2, 0.3])
    q = np.array([[10.0], [100.0]])
    all_flavours = pdf.xfxQ(PIDS[:, None, None], x, q)
    assert all_flavours.shape == (PIDS.size, 2, 3)
    np.testing.assert_array_equal(all_flavours[5], pdf.xfxQ(21, x, q))
    assert float(pdf.xfxQ(2, 0.1, 10.0)) == float(pdf.xfxQ2(2, np.array(0.1), 100.0))


def test_agrees_with_madspace(pdf, grid_dir):
    """MadSpace's PdfGrid/PartonDensity implement LHAPDF's log-bicubic rule: equal to rounding."""
    ms = pytest.importorskip("madspace", reason="MadSpace (PyPI madspace) is a test dependency")
    x, q = random_points(np.random.default_rng(7), 3000)
    q[:50] = Q_BLOCKS[1][0]  # exactly on the threshold
    q[50:100] = Q_BLOCKS[1][-2]  # a knot
    # (MadSpace 0.2.1 returns 0 at exactly the last Q knot, where LHAPDF and we interpolate.)
    context = ms.Context(1)
    grid = ms.PdfGrid(str(grid_dir / "synthetic_0000.dat"))
    grid.initialize_globals(context)
    runtime = ms.FunctionRuntime(ms.PartonDensity(grid, PIDS.tolist()).function(), context)
    theirs = np.asarray(runtime(x, q))
    ours = pdf.xfxQ(PIDS[None, :], x[:, None], q[:, None])
    np.testing.assert_allclose(ours, theirs, rtol=1e-11, atol=1e-300)


def test_agrees_with_parton(pdf, grid_dir):
    """parton interpolates with scipy's bicubic spline: equal within the interpolation errors.

    Measured on 20000 random points with x < 0.7 of this deliberately coarse grid (16 knots
    over five decades, steps of 0.05 above x = 0.15): LHAPDF's rule is within 7.0e-3 of the
    function, parton's spline within 4.6e-4, so they agree within 7e-3 of each other; the
    bounds below leave a factor 1.5. (For the shipped default set see test_pdf_default_set.)
    """
    parton = pytest.importorskip("parton")
    x, q = random_points(np.random.default_rng(3), 4000, x_range=(1e-6, 0.7))
    pid = np.random.default_rng(4).choice(PIDS, x.size)
    theirs = parton.mkPDF("synthetic", 0, pdfdir=str(grid_dir.parent)).xfxQ(pid, x, q, grid=False)
    ours = pdf.xfxQ(pid, x, q)
    column = np.array([list(PIDS).index(p) for p in pid])
    exact = np.array(
        [
            smooth(np.array([a]), np.array([b]))[0, 0, c]
            for a, b, c in zip(x, q, column, strict=False)
        ]
    )
    assert np.max(np.abs(ours / exact - 1)) < 1.1e-2
    assert np.max(np.abs(theirs / exact - 1)) < 7e-4
    assert np.max(np.abs(ours / theirs - 1)) < 1.1e-2


def test_short_subgrid_is_bilinear(tmp_path):
    """A subgrid with 3 Q knots falls back to bilinear in (log x, log Q^2), as in LHAPDF."""
    blocks = [np.array([1.3, 2.0, 4.75]), Q_BLOCKS[1]]
    pdf = pdf_module.load(write_set(tmp_path, "short", smooth, blocks=blocks))
    x = np.array([0.01, 0.0123])
    q = np.sqrt(1.3 * 2.0)
    lo, hi = smooth(x, np.array([1.3, 2.0]))[:, :, 5]
    # halfway in log Q^2, and x on a knot: the mean of the knot values
    assert float(pdf.xfxQ(21, x[0], q)) == pytest.approx(0.5 * (lo[0] + hi[0]), rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    q=st.one_of(
        st.floats(1.3, 1e4),
        st.sampled_from([float(v) for v in np.concatenate(Q_BLOCKS)]),  # knots, threshold
    ),
)
def test_fixed_scale_slice_equals_the_per_point_interpolation(pdf, seed, q):
    """A scale given as a number uses the grid folded to that Q^2 once; both directions
    are linear in the knot values, so it equals the per-point path to rounding."""
    rng = np.random.default_rng(seed)
    x, _ = random_points(rng, 300)
    pid = rng.choice(np.append(PIDS, [0, 6]), x.size)
    expected = pdf.xfxQ(pid, x, np.full(x.size, q))
    np.testing.assert_allclose(pdf.xfxQ(pid, x, q), expected, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(pdf.xfxQ2(21, x, q * q), pdf.xfxQ(21, x, np.full(x.size, q)),
                               rtol=1e-12)  # fmt: skip


def test_fixed_scale_slice_in_a_short_subgrid_and_outside_the_grid(tmp_path, pdf):
    """The slice of a 3-knot subgrid is bilinear like the per-point path; x below the grid
    or Q outside it take the continuation of the general path."""
    blocks = [np.array([1.3, 2.0, 4.75]), Q_BLOCKS[1]]
    short = pdf_module.load(write_set(tmp_path, "short", smooth, blocks=blocks))
    x = np.exp(np.random.default_rng(3).uniform(np.log(1e-6), 0.0, 200))
    for q in (1.7, 3.0):
        np.testing.assert_allclose(short.xfxQ(21, x, q), short.xfxQ(21, x, np.full(x.size, q)),
                                   rtol=1e-12)  # fmt: skip
    low_x = np.array([1e-8, 1e-3])
    for q in (50.0, 1.0, 3e4):
        np.testing.assert_array_equal(
            pdf.xfxQ(1, low_x if q == 50.0 else x, q),
            pdf.xfxQ(1, low_x if q == 50.0 else x, np.full(2 if q == 50.0 else x.size, q)),
        )


# --- outside the grid ---------------------------------------------------------------


def test_continuation_is_continuous_at_the_edges(pdf):
    eps = 1e-9
    for pid in (21, 2, -1):
        edge = pdf.xfxQ(pid, 1e-6, 50.0)
        assert float(pdf.xfxQ(pid, 1e-6 * (1 - eps), 50.0)) == pytest.approx(float(edge), rel=1e-7)
        top = pdf.xfxQ(pid, 0.01, 1e4)
        assert float(pdf.xfxQ(pid, 0.01, 1e4 * (1 + eps))) == pytest.approx(float(top), rel=1e-7)
        bottom = pdf.xfxQ(pid, 0.01, 1.3)
        assert float(pdf.xfxQ(pid, 0.01, 1.3 * (1 - eps))) == pytest.approx(float(bottom), rel=1e-6)


def test_small_x_continues_as_a_power(pdf):
    """Below x_min: log(xf) linear in log x through the first two knots (values > 1e-3)."""
    x0, x1 = X_KNOTS[:2]
    f0, f1 = (float(pdf.xfxQ(21, v, 30.0)) for v in (x0, x1))
    power = math.log(f1 / f0) / math.log(x1 / x0)
    for x in (1e-7, 1e-9):
        assert float(pdf.xfxQ(21, x, 30.0)) == pytest.approx(f0 * (x / x0) ** power, rel=1e-12)


def test_large_q_continues_in_log_q2_and_low_q_vanishes(pdf):
    q2 = Q_BLOCKS[1][-2:] ** 2
    f_last, f_prev = (float(pdf.xfxQ2(1, 0.1, v)) for v in q2[::-1])
    slope = math.log(f_last / f_prev) / math.log(q2[1] / q2[0])
    assert float(pdf.xfxQ2(1, 0.1, 4 * q2[1])) == pytest.approx(f_last * 4**slope, rel=1e-12)
    low = pdf.xfxQ(PIDS, 0.01, np.array([[1e-3], [1e-2], [0.1]]))
    assert np.all(np.abs(low[0]) < np.abs(low[1])) and np.all(np.abs(low[1]) < np.abs(low[2]))


def test_unphysical_points_are_refused(pdf):
    with pytest.raises(pdf_module.PDFRangeError, match=r"x must lie in \[0, 1\]"):
        pdf.xfxQ(21, np.array([0.5, 1.5]), 10.0)
    with pytest.raises(pdf_module.PDFRangeError):
        pdf.xfxQ2(21, 0.5, np.array([-1.0]))
    with pytest.raises(ValueError):
        pdf.xfxQ(21, np.nan, 10.0)


# --- alpha_s ------------------------------------------------------------------------


def test_alphas_grid(pdf):
    knots = np.concatenate(Q_BLOCKS)
    np.testing.assert_allclose(pdf.alphasQ(knots[1:]), lo_alphas(knots[1:]), rtol=1e-14)
    # Between knots: the interpolation error, largest in the first subgrid (5 knots, 0.65
    # apart in log Q^2, where alpha_s is largest): measured 3.1e-3.
    q = np.geomspace(1.3, 1e4, 300)
    np.testing.assert_allclose(pdf.alphasQ(q), lo_alphas(q), rtol=5e-3)
    assert float(pdf.alphasQ(2e4)) == pytest.approx(float(lo_alphas(1e4)), rel=1e-14)  # frozen
    assert float(pdf.alphasQ2(1.0)) > float(pdf.alphasQ(1.3))  # continues growing below


def test_alphas_agrees_with_madspace(pdf, grid_dir):
    ms = pytest.importorskip("madspace", reason="MadSpace (PyPI madspace) is a test dependency")
    q = np.geomspace(1.3, 1e4, 501)[:-1]  # MadSpace 0.2.1 gives 0 at exactly the last knot
    context = ms.Context(1)
    grid = ms.AlphaSGrid(str(grid_dir / "synthetic.info"))
    grid.initialize_globals(context)
    runtime = ms.FunctionRuntime(ms.RunningCoupling(grid).function(), context)
    np.testing.assert_allclose(pdf.alphasQ(q), np.asarray(runtime(q)), rtol=1e-12)


def test_set_without_alphas_grid_says_so(tmp_path):
    pdf = pdf_module.load(write_set(tmp_path, "noalpha", smooth, alphas=False))
    with pytest.raises(pdf_module.PDFFormatError, match="no AlphaS_Qs"):
        pdf.alphasQ(91.0)


# --- other array namespaces ---------------------------------------------------------


def test_array_api_strict_gives_the_numpy_result(pdf):
    """Only array-API calls are used: the strict namespace runs it (what CuPy needs)."""
    xps = pytest.importorskip("array_api_strict")
    x, q = random_points(np.random.default_rng(5), 500, x_range=(1e-8, 1.0), q_range=(0.5, 3e4))
    pid = np.random.default_rng(6).choice(np.append(PIDS, [0, 6]), x.size)
    expected = pdf.xfxQ(pid, x, q)
    got = pdf.xfxQ(xps.asarray(pid), xps.asarray(x), xps.asarray(q))
    assert isinstance(got, type(xps.asarray(1.0)))
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-14)
    alphas = pdf.alphasQ(xps.asarray(q))
    np.testing.assert_allclose(np.asarray(alphas), pdf.alphasQ(q), rtol=1e-14)
    inside = xps.asarray(np.clip(x, 1e-6, 1.0))
    fixed = pdf.xfxQ(xps.asarray(pid), inside, 91.2)  # the fixed-scale slice
    assert isinstance(fixed, type(xps.asarray(1.0)))
    np.testing.assert_allclose(np.asarray(fixed), pdf.xfxQ(pid, np.asarray(inside), 91.2))


def test_jax_gives_the_numpy_result(pdf):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    x, q = random_points(np.random.default_rng(8), 500)
    pid = np.random.default_rng(9).choice(PIDS, x.size)
    got = pdf.xfxQ(jnp.asarray(pid), jnp.asarray(x), jnp.asarray(q))
    np.testing.assert_allclose(np.asarray(got), pdf.xfxQ(pid, x, q), rtol=1e-13)


def test_cupy_gives_the_numpy_result(pdf):
    cupy = pytest.importorskip("cupy", reason="CuPy is not installed (GPU machines only)")
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            pytest.skip("no CUDA device")
    except cupy.cuda.runtime.CUDARuntimeError:
        pytest.skip("no usable CUDA driver")
    x, q = random_points(np.random.default_rng(10), 5000)
    pid = np.random.default_rng(11).choice(PIDS, x.size)
    got = pdf.xfxQ(cupy.asarray(pid), cupy.asarray(x), cupy.asarray(q))
    assert isinstance(got, cupy.ndarray)
    np.testing.assert_allclose(got.get(), pdf.xfxQ(pid, x, q), rtol=1e-13)
