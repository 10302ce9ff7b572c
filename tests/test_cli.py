"""The pyumami command line: info, eval, dispatch of demo and check."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import pyumami
from pyumami import cli
from tests.conftest import fixture_library
from tests._helpers import two_to_two


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
    assert cli.main(["eval", str(fixture_library("old_numbering")), str(tmp_path / "p.npy"),
                     "-o", str(out), "--alpha-s", "0.2"]) == 0
    assert "50 events" in capsys.readouterr().out
    with pyumami.load(fixture_library("old_numbering")) as lib:
        np.testing.assert_array_equal(np.load(out), lib(p, alpha_s=0.2))


def test_eval_several_outputs_to_npz(tmp_path):
    p = two_to_two(20, seed=4)
    np.save(tmp_path / "p.npy", p)
    assert cli.main(["eval", str(fixture_library("old_numbering")), str(tmp_path / "p.npy"),
                     "-o", str(tmp_path / "out.npy"), "--outputs", "matrix_element", "diagram_amp2"]) == 0
    data = np.load(tmp_path / "out.npz")
    assert set(data.files) == {"matrix_element", "diagram_amp2"}
    assert data["diagram_amp2"].shape == (20, 3)
    np.testing.assert_allclose(data["diagram_amp2"].sum(axis=1), 1.0, rtol=1e-14)


def test_eval_error_is_reported_not_raised(tmp_path, capsys):
    np.save(tmp_path / "p.npy", np.zeros((3, 5, 4)))
    rc = cli.main(["eval", str(fixture_library("minimal")), str(tmp_path / "p.npy"), "-o", str(tmp_path / "o.npy")])
    assert rc == 1
    assert "(n_events, 4, 4)" in capsys.readouterr().err
    assert not (tmp_path / "o.npy").exists()


def test_eval_unsupported_input_is_reported(tmp_path, capsys):
    np.save(tmp_path / "p.npy", two_to_two(3))
    rc = cli.main(["eval", str(fixture_library("minimal")), str(tmp_path / "p.npy"),
                   "-o", str(tmp_path / "o.npy"), "--alpha-s", "0.1"])
    assert rc == 1
    assert "alpha_s" in capsys.readouterr().err


def test_python_dash_m_runs_the_cli():
    result = subprocess.run([sys.executable, "-m", "pyumami", "info", str(fixture_library("minimal")), "--json"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["device"] == "CPU"


def test_demo_is_dispatched_with_its_arguments(monkeypatch):
    import pyumami.demo

    seen = []
    monkeypatch.setattr(pyumami.demo, "main", lambda argv: seen.append(list(argv)) or 0)
    assert cli.main(["demo", "--events", "2"]) == 0
    assert seen == [["--events", "2"]]


def test_check_without_checker_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.delattr(pyumami, "check", raising=False)
    monkeypatch.setitem(sys.modules, "pyumami.check", None)  # import now fails
    assert cli.main(["check", str(fixture_library("minimal"))]) == 2
    assert "pyumami.check" in capsys.readouterr().err


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
    result = subprocess.run([sys.executable, "-m", "pyumami", "check", str(fixture_library("minimal")),
                             "--probe", "symbols"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "symbols" in result.stdout


def test_eval_single_output_to_npz_keeps_the_name(tmp_path):
    momenta = tmp_path / "p.npy"
    np.save(momenta, two_to_two(5, seed=3))
    out = tmp_path / "me.npz"
    assert cli.main(["eval", str(fixture_library("minimal")), str(momenta), "-o", str(out)]) == 0
    assert sorted(np.load(out).files) == ["matrix_element"]
    assert not (tmp_path / "me.npz.npy").exists()
