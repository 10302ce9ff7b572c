"""Pieces of `pyumami check`: canary fences, status-numbering verdicts, param-card
names, the verdict of a dead worker, Lorentz transformations, the report and the CLI."""

from __future__ import annotations

import json
import signal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyumami.check import PROBE_NAMES, Outcome, check
from pyumami.check.isolation import interpret_death
from pyumami.check.points import phase_space_points, random_lorentz_transform
from pyumami.check.probes import Facts, status_numbering
from pyumami.check.probes.parameters import card_parameter_names
from pyumami.check.report import CheckReport, ProbeResult
from pyumami.introspection import GUARD, GuardedArray
from tests.conftest import fixture_library


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(1, 3),
    stride=st.integers(1, 12),
    data=st.data(),
    dtype=st.sampled_from([np.float64, np.int32]),
)
def test_fence_reports_exactly_the_writes_outside_the_slice(rows, stride, data, dtype):
    offset = data.draw(st.integers(0, stride))
    count = data.draw(st.integers(0, stride - offset))
    fenced = GuardedArray((rows, stride), np.dtype(dtype), output=True)
    row = data.draw(st.integers(0, rows - 1))
    event = data.draw(st.integers(0, stride - 1))
    fenced.array[row, event] = 7
    inside = offset <= event < offset + count
    assert (fenced.damage(offset, count) == []) == inside
    assert fenced.changed_anywhere()


def test_fence_sees_writes_before_and_past_the_array():
    fenced = GuardedArray((5,), np.dtype(np.float64), output=True)
    storage = fenced._storage.view(np.float64)
    storage[GUARD - 1] = 1.0
    storage[GUARD + 5] = 2.0
    damage = " ".join(fenced.damage(0, 5))
    assert "before the start" in damage and "past the end" in damage


@pytest.mark.parametrize(
    ("meta", "missing", "outcome", "text"),
    [
        (6, 7, Outcome.PASS, "UMAMI 1.0 numbering"),
        (5, 6, Outcome.WARN, "status codes 5 and 6 are ambiguous"),
        (5, 7, Outcome.WARN, "mixes"),
        (1, 1, Outcome.WARN, "cannot tell"),
    ],
)
def test_status_numbering_verdicts(meta, missing, outcome, text):
    verdict = status_numbering(Facts(unknown_meta_status=meta, missing_input_status=missing))
    assert verdict.outcome is outcome and text in verdict.reason


def test_param_card_names_are_the_value_comments_of_the_default_card():
    names = card_parameter_names(None)
    assert {"MT", "WT", "MZ", "aS", "aEWM1", "Gf"} <= set(names)
    # derived particle lines ("21 0.0 # g : 0.0") and block headers are not parameters
    assert "g" not in names and "mass" not in {n.lower() for n in names}


def test_dead_worker_verdict_names_the_signal_the_entry_point_and_libc_message():
    stderr = (
        "free(): invalid next size (fast)\nFatal Python error: Aborted\n\n"
        "Current thread 0x00007f (most recent call first):\n"
        '  File "/x/raw_library.py", line 10 in free\n  File "/x/probes.py", line 3 in probe_memory\n'
    )
    verdict = interpret_death(-signal.SIGABRT, stderr, False, 5.0)
    assert verdict.outcome is Outcome.FAIL
    assert "killed by SIGABRT in umami_free" in verdict.reason
    assert "free(): invalid next size (fast)" in verdict.reason
    timeout = interpret_death(-signal.SIGKILL, "", True, 5.0)
    assert timeout.timed_out and "timed out after 5 s" in timeout.reason


@pytest.mark.parametrize("along_beam", [True, False])
def test_lorentz_transform_preserves_every_invariant(along_beam):
    p = phase_space_points(np.array([0.0, 0.0, 173.0, 173.0]), 1000.0, 32, seed=3)
    q = random_lorentz_transform(p, seed=4, along_beam=along_beam)
    metric = np.array([1.0, -1.0, -1.0, -1.0])
    dots = np.einsum("nim,njm,m->nij", p, p, metric)
    moved = np.einsum("nim,njm,m->nij", q, q, metric)
    np.testing.assert_allclose(moved, dots, rtol=1e-12, atol=1e-7)
    assert not np.allclose(q, p)
    if along_beam:  # the beams stay back to back through the origin
        np.testing.assert_allclose(
            q[:, 0, 1:] / q[:, 0, :1], -q[:, 1, 1:] / q[:, 1, :1], atol=1e-12
        )


def test_report_json_and_exit_codes():
    results = [
        ProbeResult("symbols", Outcome.PASS, "ok"),
        ProbeResult("status-numbering", Outcome.WARN, "old", required=False),
    ]
    report = CheckReport("lib.so", results, wall_s=1.0)
    assert report.exit_code == 0 and report.passed
    data = json.loads(report.to_json())
    assert data["probes"][1]["outcome"] == "warn" and data["exit_code"] == 0
    report.results.append(ProbeResult("layout", Outcome.SKIP, "no GPU", blocked=True))
    assert report.exit_code == 2 and not report.passed
    report.results.append(ProbeResult("physics", Outcome.FAIL, "NaN"))
    assert report.exit_code == 1
    table = report.to_table()
    assert all(name in table for name in ("symbols", "layout", "physics")) and "FAILED" in table
    with pytest.raises(KeyError, match="no probe named"):
        report["nope"]


def test_missing_file_and_unknown_probe():
    report = check("/nonexistent/libnothing.so")
    assert report.exit_code == 1 and "does not exist" in report["symbols"].reason
    with pytest.raises(KeyError, match="unknown probe"):
        check(fixture_library("minimal"), probes=["symbolz"])


def test_one_interpreter_per_probe_mode_gives_the_same_verdicts():
    lib = fixture_library("broken_segfault")
    forked = check(lib, probes=["capabilities"])
    spawned = check(lib, probes=["capabilities"], fork_server=False)
    assert [(r.name, r.outcome, r.reason) for r in forked.results] == [
        (r.name, r.outcome, r.reason) for r in spawned.results
    ]


def test_cli_check_subcommand_json_and_exit_status(capsys):
    from pyumami import cli

    assert cli.main(["check", str(fixture_library("minimal")), "--json", "--probe", "layout"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [p["name"] for p in data["probes"]] == ["symbols", "metadata", "layout"]
    assert cli.main(["check", str(fixture_library("broken_nan")), "--probe", "physics"]) == 1
    out = capsys.readouterr().out
    assert "physics" in out and "not finite" in out and "FAILED" in out


def test_python_api_spelling_and_probe_names():
    import pyumami.check

    report = pyumami.check(fixture_library("minimal"), probes=["symbols"])
    assert report["symbols"].outcome is Outcome.PASS
    assert (
        PROBE_NAMES[0] == "symbols"
        and "status-numbering" in PROBE_NAMES
        and len(set(PROBE_NAMES)) == 20
    )


def test_energy_below_threshold_blocks_the_evaluating_probes_instead_of_failing_the_library():
    # the toy of the broken fixtures is compliant apart from its one defect: NaN
    # matrix elements, which cannot be seen without phase-space points
    report = check(fixture_library("broken_nan"), sqrt_s=300.0, probes=["physics"])
    physics = report["physics"]
    assert physics.outcome is Outcome.SKIP and physics.blocked
    assert "not above the final-state threshold 346 GeV" in physics.reason
    assert report.exit_code == 2


def test_check_is_reachable_from_the_top_level_package(tmp_path):
    import pyumami

    report = pyumami.check(fixture_library("minimal"), probes=["symbols", "metadata"])
    assert {r.name for r in report.results} >= {"symbols", "metadata"}
    assert report.passed


def test_a_missing_param_card_is_the_callers_error_not_a_failing_library(tmp_path, capsys):
    import argparse

    import pyumami.check as checker

    missing = tmp_path / "no_such_card.dat"
    with pytest.raises(FileNotFoundError, match="no_such_card.dat"):
        checker.check(fixture_library("minimal"), param_card=missing)
    parser = argparse.ArgumentParser()
    checker.add_cli_arguments(parser)
    args = parser.parse_args([str(fixture_library("minimal")), "--param-card", str(missing)])
    assert checker.run_cli(args) == 2
    assert "does not exist" in capsys.readouterr().err


def test_status_text_leads_with_the_older_reading_for_an_old_library():
    from pyumami.check.probes.context import status_text
    from pyumami.introspection import StatusNumbering as Numbering

    old = status_text(6, Numbering.OLD)
    assert old.startswith("ERROR_MISSING_INPUT (status 6 under the older header numbering")
    assert "ERROR_UNSUPPORTED_META under UMAMI 1.0" in old
    assert status_text(6, Numbering.CURRENT).startswith("ERROR_UNSUPPORTED_META (status 6;")
    assert status_text(3, Numbering.OLD) == "ERROR_UNSUPPORTED_INPUT (status 3)"
    assert Facts(unknown_meta_status=5).numbering is Numbering.OLD
    assert Facts(unknown_meta_status=6, missing_input_status=7).numbering is Numbering.CURRENT


def test_an_unguarded_calling_script_gets_the_fix_not_a_verdict_on_the_library(tmp_path):
    import subprocess
    import sys

    from tests.conftest import REPO

    script = tmp_path / "unguarded.py"
    script.write_text(
        "import pyumami.check\n"
        f"pyumami.check.check({str(fixture_library('minimal'))!r}, probes=['symbols'])\n"
    )
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**__import__("os").environ, "PYTHONPATH": str(REPO)},
    )
    assert result.returncode != 0
    assert "ChildStartError" in result.stderr and 'if __name__ == "__main__":' in result.stderr
