"""The pyumami command line: info, eval, dispatch of demo and check."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys

import numpy as np
import pytest

import pyumami
from pyumami import cli
from tests._helpers import two_to_two
from tests.conftest import fixture_library


def test_info_text(capsys):
    assert cli.main(["info", str(fixture_library("old_numbering"))]) == 0
    out = capsys.readouterr().out
    assert "particles        4" in out
    assert "diagrams         3" in out
    assert "colour flows     unsupported" in out
    assert "DIAGRAM_AMP2" in out and "(probed)" in out
    assert "status numbering old" in out


def test_info_json(capsys):
    assert cli.main(["info", str(fixture_library("minimal")), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["particle_count"] == 4
    assert info["supported_outputs"] == ["MATRIX_ELEMENT"]
    assert info["masses"] is None


def test_eval_single_output(tmp_path, capsys):
    p = two_to_two(50, seed=3)
    np.save(tmp_path / "p.npy", p)
    out = tmp_path / "me.npy"
    assert (
        cli.main(
            [
                "eval",
                str(fixture_library("old_numbering")),
                str(tmp_path / "p.npy"),
                "-o",
                str(out),
                "--alpha-s",
                "0.2",
            ]
        )
        == 0
    )
    assert "50 events" in capsys.readouterr().out
    with pyumami.load(fixture_library("old_numbering")) as lib:
        np.testing.assert_array_equal(np.load(out), lib(p, alpha_s=0.2))


def test_eval_several_outputs_to_npz(tmp_path):
    p = two_to_two(20, seed=4)
    np.save(tmp_path / "p.npy", p)
    assert (
        cli.main(
            [
                "eval",
                str(fixture_library("old_numbering")),
                str(tmp_path / "p.npy"),
                "-o",
                str(tmp_path / "out.npy"),
                "--outputs",
                "matrix_element",
                "diagram_amp2",
            ]
        )
        == 0
    )
    data = np.load(tmp_path / "out.npz")
    assert set(data.files) == {"matrix_element", "diagram_amp2"}
    assert data["diagram_amp2"].shape == (20, 3)
    np.testing.assert_allclose(data["diagram_amp2"].sum(axis=1), 1.0, rtol=1e-14)


def test_eval_error_is_reported_not_raised(tmp_path, capsys):
    np.save(tmp_path / "p.npy", np.zeros((3, 5, 4)))
    rc = cli.main(
        [
            "eval",
            str(fixture_library("minimal")),
            str(tmp_path / "p.npy"),
            "-o",
            str(tmp_path / "o.npy"),
        ]
    )
    assert rc == 1
    assert "(n_events, 4, 4)" in capsys.readouterr().err
    assert not (tmp_path / "o.npy").exists()


def test_eval_unsupported_input_is_reported(tmp_path, capsys):
    np.save(tmp_path / "p.npy", two_to_two(3))
    rc = cli.main(
        [
            "eval",
            str(fixture_library("minimal")),
            str(tmp_path / "p.npy"),
            "-o",
            str(tmp_path / "o.npy"),
            "--alpha-s",
            "0.1",
        ]
    )
    assert rc == 1
    assert "alpha_s" in capsys.readouterr().err


def test_python_dash_m_runs_the_cli():
    result = subprocess.run(
        [sys.executable, "-m", "pyumami", "info", str(fixture_library("minimal")), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["device"] == "CPU"


def test_demo_is_dispatched_with_its_arguments(monkeypatch):
    import pyumami.demo

    seen = []
    monkeypatch.setattr(pyumami.demo, "main", lambda argv: seen.append(list(argv)) or 0)
    assert cli.main(["demo", "--events", "2"]) == 0
    assert seen == [["--events", "2"]]


def test_check_is_dispatched_to_the_checker(monkeypatch):
    import types

    calls = []
    fake = types.ModuleType("pyumami.check")
    fake.add_cli_arguments = lambda parser: parser.add_argument("library")
    fake.run_cli = lambda args: calls.append(args.library) or 0
    monkeypatch.setattr(pyumami, "check", fake, raising=False)
    monkeypatch.setitem(sys.modules, "pyumami.check", fake)
    assert cli.main(["check", "lib.so"]) == 0
    assert calls == ["lib.so"]


def test_unknown_command_exits_with_usage():
    with pytest.raises(SystemExit) as info:
        cli.main(["frobnicate"])
    assert info.value.code == 2


def test_check_runs_the_real_checker():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pyumami",
            "check",
            str(fixture_library("minimal")),
            "--probe",
            "symbols",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "symbols" in result.stdout


def test_eval_single_output_to_npz_keeps_the_name(tmp_path):
    momenta = tmp_path / "p.npy"
    np.save(momenta, two_to_two(5, seed=3))
    out = tmp_path / "me.npz"
    assert cli.main(["eval", str(fixture_library("minimal")), str(momenta), "-o", str(out)]) == 0
    assert sorted(np.load(out).files) == ["matrix_element"]
    assert not (tmp_path / "me.npz.npy").exists()


# --- first contact in a child process ------------------------------------------


def test_a_library_aborting_at_first_contact_is_a_clear_message(capsys, tmp_path):
    library = str(fixture_library("abort_null_card"))
    assert cli.main(["info", library]) == 1
    err = capsys.readouterr().err
    assert "SIGABRT in umami_initialize" in err and "pass --param-card" in err
    assert err.count("umami_initialize during") == 1
    card = tmp_path / "card.dat"
    card.write_text("Block mass\n")
    assert cli.main(["info", library, "--param-card", str(card)]) == 0


# --- arguments checked before any work ------------------------------------------


@pytest.fixture
def momenta_file(tmp_path):
    path = tmp_path / "p.npy"
    np.save(path, two_to_two(50, seed=3))
    return path


@pytest.mark.parametrize(
    "output, message",
    [
        ("out/", "names a directory"),
        ("missing/dir/me.npy", "does not exist; create it first"),
        ("p.npy", "would overwrite the momenta file"),
    ],
)
def test_bad_output_is_refused_before_work(
    tmp_path, momenta_file, capsys, monkeypatch, output, message
):
    import pyumami.first_contact

    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    monkeypatch.setattr(
        pyumami.first_contact,
        "describe_in_child",
        lambda *a: pytest.fail("the library was touched"),
    )
    assert cli.main(["eval", str(fixture_library("minimal")), str(momenta_file), "-o", output]) == 1
    assert message in capsys.readouterr().err
    assert np.load(momenta_file).shape == (50, 4, 4)


@pytest.mark.parametrize(
    "argv",
    [
        ["eval", "lib.so", "p.npy", "-o", "o.npy", "--threads", "1.5"],
        ["eval", "lib.so", "p.npy", "-o", "o.npy", "--threads", "0"],
        ["eval", "lib.so", "p.npy", "-o", "o.npy", "--masses", "0,0,x"],
        ["demo", "--process", "foo"],
        ["demo", "--events", "-1"],
        ["demo", "--alpha-s", "-1"],
    ],
)
def test_bad_arguments_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_threads_must_be_whole_in_the_api():
    with pytest.raises(ValueError, match="whole number"):
        pyumami.load(fixture_library("minimal"), threads=1.5)


def test_npz_and_pickle_momenta_files_are_named(tmp_path, capsys):
    np.savez(tmp_path / "p.npz", momenta=two_to_two(5))
    np.save(tmp_path / "obj.npy", np.array([{"p": 1}], dtype=object), allow_pickle=True)
    library = str(fixture_library("minimal"))
    assert cli.main(["eval", library, str(tmp_path / "p.npz"), "-o", str(tmp_path / "o.npy")]) == 1
    assert ".npz archive holding momenta" in capsys.readouterr().err
    assert (
        cli.main(["eval", library, str(tmp_path / "obj.npy"), "-o", str(tmp_path / "o.npy")]) == 1
    )
    assert "pickled Python objects" in capsys.readouterr().err
    with open(tmp_path / "p.pkl", "wb") as stream:
        pickle.dump(two_to_two(5), stream)
    assert cli.main(["eval", library, str(tmp_path / "p.pkl"), "-o", str(tmp_path / "o.npy")]) == 1
    assert "pickled Python objects" in capsys.readouterr().err


# --- evaluation in chunks, kinematic checks on by default ------------------------


def test_chunked_evaluation_equals_one_call(tmp_path, momenta_file):
    out = tmp_path / "me.npz"
    assert (
        cli.main(
            [
                "eval",
                str(fixture_library("old_numbering")),
                str(momenta_file),
                "-o",
                str(out),
                "--chunk",
                "7",
                "--outputs",
                "matrix_element",
                "diagram_amp2",
            ]
        )
        == 0
    )
    with pyumami.load(fixture_library("old_numbering")) as lib, np.load(out) as data:
        expected = lib.evaluate(np.load(momenta_file), outputs=("matrix_element", "diagram_amp2"))
        for name, values in expected.items():
            np.testing.assert_array_equal(data[name], values)


def test_kinematic_checks_are_on_by_default(tmp_path, momenta_file, capsys):
    p = np.load(momenta_file)
    p[4, 3, 1] += 1.0
    np.save(momenta_file, p)
    argv = [
        "eval",
        str(fixture_library("minimal")),
        str(momenta_file),
        "-o",
        str(tmp_path / "o.npy"),
    ]
    assert cli.main(argv) == 1
    assert "1 of 50 event(s) do not conserve momentum" in capsys.readouterr().err
    assert not (tmp_path / "o.npy").exists()
    assert cli.main(argv + ["--no-check-kinematics"]) == 0


def test_off_shell_momenta_warn_on_stderr(tmp_path, momenta_file, capsys):
    argv = [
        "eval",
        str(fixture_library("old_numbering")),
        str(momenta_file),
        "-o",
        str(tmp_path / "o.npy"),
        "--masses",
        "0,0,10,10",
    ]
    assert cli.main(argv) == 0
    assert "warning: 50 of 50 event(s) are off the library's mass shell" in capsys.readouterr().err


def test_output_piped_into_head_is_not_an_error():
    result = subprocess.run(
        f"{sys.executable} -m pyumami info {fixture_library('minimal')} | head -1",
        shell=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.startswith("library") and "Traceback" not in result.stderr
