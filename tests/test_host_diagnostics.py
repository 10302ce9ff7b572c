"""Silent wrong answers become errors or warnings that count the events and name
the first; failures carry the library's own cause (refme_last_error); messages
lead with the reading of the library's numbering and name the entry point once."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import types

import numpy as np
import pytest

import pyumami
from pyumami.errors import StatusError
from pyumami.introspection import StatusNumbering
from tests._helpers import two_body_events, two_to_two
from tests.conftest import REPO, fixture_library, reference_library


@pytest.fixture(scope="module")
def gg_ttx():
    with pyumami.load(reference_library("gg_ttx"), check_kinematics=True, threads=2) as lib:
        yield lib


@pytest.fixture(scope="module")
def points(gg_ttx):
    return two_body_events(gg_ttx.masses, 200, sqrt_s=1000.0, seed=3)


# ------------------------------------------------------------------ messages


def test_old_numbering_leads_with_the_old_reading():
    text = str(StatusError("umami_matrix_element", 6, numbering=StatusNumbering.OLD))
    assert text.startswith(
        "umami_matrix_element returned ERROR_MISSING_INPUT (status 6 under "
        "the older numbering this library uses; ERROR_UNSUPPORTED_META"
    )
    current = str(StatusError("umami_matrix_element", 6, numbering=StatusNumbering.CURRENT))
    assert current.startswith("umami_matrix_element returned ERROR_UNSUPPORTED_META (status 6;")


def test_the_entry_point_is_named_once(gg_ttx):
    with pytest.raises(StatusError) as info:
        gg_ttx.set_parameter("MT", -1.0)
    text = str(info.value)
    assert text.count("umami_set_parameter") == 1
    assert "MT must be >= 0" in text  # the library's cause, from refme_last_error
    assert "the name 'MT' is known" in text and "-1.0 was refused" in text
    assert gg_ttx.get_parameter("MT") == 173.0


# --------------------------------------------------------- library's causes


def test_malformed_card_names_the_line(tmp_path):
    card = tmp_path / "bad.dat"
    card.write_text("Block mass\n    6 not-a-number # MT\n")
    with pytest.raises(pyumami.InitializationError) as info:
        pyumami.load(reference_library("gg_ttx"), card)
    assert info.value.detail and "line 2" in info.value.detail, str(info.value)


def test_flavor_out_of_range_read_on_the_failing_worker_thread(points):
    with pyumami.load(reference_library("gg_ttx"), threads=2) as lib:
        flavor = np.zeros(len(points), dtype=np.int32)
        flavor[150:] = 7  # only the second slice, run by a pool thread, fails
        with pytest.raises(StatusError, match=r"events \[100, 200\)") as info:
            lib(points, flavor=flavor)
    assert "FLAVOR_INDEX" in info.value.detail


def test_non_finite_parameter_value_is_refused_before_the_call(gg_ttx):
    with pytest.raises(pyumami.InputValueError, match="must be finite; the name is not"):
        gg_ttx.set_parameter("MT", float("nan"))


# -------------------------------------------------------------- array intake


def test_jax_tracer_is_refused_with_the_alternative(gg_ttx, points):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    with pytest.raises(pyumami.TracedArrayError, match="pure_callback"):
        jax.jit(lambda p: gg_ttx(p))(jax.numpy.asarray(points))
    with pytest.raises(pyumami.TracedArrayError, match="jax.grad"):
        jax.grad(lambda p: gg_ttx(p).sum())(jax.numpy.asarray(points))


def test_float32_from_jax_names_the_x64_switch():
    # a fresh interpreter: JAX's 64-bit mode is off by default
    code = textwrap.dedent(f"""
        import jax.numpy as jnp, pyumami
        from tests._helpers import two_to_two
        lib = pyumami.load({str(fixture_library("minimal"))!r})
        try:
            lib(jnp.asarray(two_to_two(4)))
        except pyumami.DtypeError as exc:
            print(exc)
    """)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert "jax_enable_x64" in result.stdout, result.stdout + result.stderr


def test_torch_tensor_requiring_grad_is_refused(monkeypatch, gg_ttx, points):
    class Tensor:  # stands for torch.Tensor: array-api-compat matches the class
        requires_grad = True

    monkeypatch.setitem(sys.modules, "torch", types.SimpleNamespace(Tensor=Tensor))
    with pytest.raises(pyumami.TracedArrayError, match=r"detach\(\)"):
        gg_ttx(Tensor())


def test_npz_archive_as_momenta(tmp_path, gg_ttx, points):
    np.savez(tmp_path / "p.npz", momenta=points)
    with (
        np.load(tmp_path / "p.npz") as archive,
        pytest.raises(pyumami.DtypeError, match=r"archive\['momenta'\]"),
    ):
        gg_ttx(archive)


# ---------------------------------------------------------------- kinematics


def test_physical_points_pass(gg_ttx, points):
    assert np.all(np.isfinite(gg_ttx(points)))


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda p: p.__setitem__((7,), 0.0), "1 of 200 event.*all-zero momenta.*index 7"),
        (
            lambda p: p.__setitem__((9, 2, 0), -p[9, 2, 0]),
            "1 of 200 event.*negative energy.*index 9",
        ),
        (
            lambda p: p.__setitem__((11, 3, 1), p[11, 3, 1] + 1.0),
            "1 of 200 event.*conserve.*index 11",
        ),
        (lambda p: p.__setitem__(slice(None), p.transpose(0, 2, 1).copy()), "axes look swapped"),
    ],
)
def test_unphysical_events_are_errors(gg_ttx, points, damage, message):
    p = points.copy()
    damage(p)
    with pytest.raises(pyumami.KinematicsError, match=message):
        gg_ttx(p)


def test_off_shell_momenta_warn(points):
    with pyumami.load(reference_library("ee_mumu"), check_kinematics=True) as ee:
        with pytest.warns(
            pyumami.KinematicsWarning,
            match=r"200 of 200 .*index 0: particle 2 "
            r"has mass 173 GeV.*library's is 0 GeV",
        ):
            ee(points)  # gg -> t t~ momenta fed to e+ e- -> mu+ mu-


def test_kinematic_checks_are_off_by_default_in_the_api(points):
    with pyumami.load(reference_library("gg_ttx")) as lib:
        p = points.copy()
        p[3, 2, 0] *= -1
        # no kinematic check asked for: the library answers, and the cheap output
        # check still reports the NaN it gives for that event
        with pytest.warns(pyumami.OutputWarning, match="1 of 200 .*index 3"):
            lib(p)


def test_negative_alpha_s_is_refused(gg_ttx, points):
    with pytest.raises(
        pyumami.InputValueError, match="alpha_s must be >= 0.*makes \\|M\\|\\^2 NaN"
    ):
        gg_ttx(points, alpha_s=-1.0)


def test_nan_outputs_warn():
    with pyumami.load(fixture_library("minimal")) as lib:
        p = two_to_two(10)
        p[4] = 0.0  # s = 0: the toy divides by zero
        with pytest.warns(pyumami.OutputWarning, match="1 of 10 event.*matrix_element.*index 4"):
            lib(p)
