"""`pyumami check` passes correct libraries: the minimal one (four mandatory symbols),
the one with the older status numbering (CUDACPP-like, with its warning) and every
reference library."""

from __future__ import annotations

import pytest

import ref_me
from pyumami.check import PROBE_NAMES, Outcome, check
from tests.conftest import fixture_library


def test_minimal_library_passes_with_optional_features_absent() -> None:
    report = check(fixture_library("minimal"))
    assert report.exit_code == 0, report.to_table()
    assert (
        "absent: set_parameter, get_parameter, supported_inputs, required_inputs, supported_outputs"
        in report["symbols"].reason
    )
    assert "by trial calls" in report["capabilities"].reason
    assert report["status-numbering"].outcome is Outcome.PASS
    for name in ("diagram-amp2", "indices", "alpha-s", "parameters"):
        assert report[name].outcome is Outcome.SKIP and not report[name].blocked


def test_old_numbering_library_passes_with_the_ambiguity_warning() -> None:
    report = check(fixture_library("old_numbering"))
    assert report.exit_code == 0, report.to_table()
    numbering = report["status-numbering"]
    assert numbering.outcome is Outcome.WARN and not numbering.required
    assert "status codes 5 and 6 are ambiguous" in numbering.reason
    assert report["parameters"].outcome is Outcome.SKIP
    assert "NOT_IMPLEMENTED" in report["parameters"].reason
    assert report["alpha-s"].reason.startswith("|M|^2 ~ alpha_s^2")
    assert report["diagram-amp2"].outcome is Outcome.PASS


def _reference_library(process: str, device: str = "cpu"):
    try:
        return ref_me.library_path(process, device)
    except FileNotFoundError as exc:
        if device == "cpu":  # part of every build, like the fixtures
            pytest.fail(f"reference library not built: {exc}")
        pytest.skip(f"CUDA reference library not built (needs nvcc): {exc}")


# MadGraph's top width in t-channel propagators breaks gauge invariance at O(WT/MT); from
# 2 -> 3 on, the lorentz probe (a rotation changes the gluon polarisation gauge) sees it.
WIDTHLESS_TOP = {"gg_ttxg", "gg_ttxgg"}


@pytest.mark.parametrize("process", sorted(ref_me.PROCESSES))
def test_reference_library_passes_every_probe(process: str, tmp_path) -> None:
    card = None
    if process in WIDTHLESS_TOP:
        card = tmp_path / "param_card_wt0.dat"
        text = ref_me.default_param_card().read_text()
        card.write_text(text.replace("DECAY   6 1.491500e+00", "DECAY   6 0.0"))
        assert card.read_text() != text
    report = check(_reference_library(process), param_card=card)
    assert [r.name for r in report.results] == list(PROBE_NAMES)
    assert all(r.outcome is Outcome.PASS for r in report.results), report.to_table()
    assert report.exit_code == 0


@pytest.mark.parametrize("process", sorted(ref_me.PROCESSES))
def test_cuda_reference_library_is_reported_incomplete_without_gpu_probes(process: str) -> None:
    report = check(_reference_library(process, "cuda"), probes=["symbols", "metadata", "layout"])
    assert report["symbols"].outcome is Outcome.PASS
    assert report["metadata"].outcome is Outcome.PASS and report["metadata"].reason.startswith(
        "CUDA"
    )
    assert report["layout"].outcome is Outcome.SKIP and report["layout"].blocked
    assert "device memory" in report["layout"].reason
    assert report.exit_code == 2


def test_a_card_the_library_rejects_fails_once_and_blocks_the_rest(tmp_path):
    card = tmp_path / "broken_card.dat"
    card.write_text("BLOCK MASS\n  6 not-a-number # MT\n")
    report = check(ref_me.library_path("gg_ttx"), param_card=card)
    outcome = {r.name: str(r.outcome.value) for r in report.results}
    assert outcome["capabilities"] == "fail"
    later = [
        r
        for r in report.results
        if r.name in ("layout", "threads", "physics", "alpha-s", "indices")
    ]
    assert later and all(r.outcome.value == "skip" and r.blocked for r in later)
    assert all("umami_initialize failed" in r.reason for r in later)
    assert report.exit_code == 1


def test_without_masses_the_on_shell_probes_are_skipped_not_failed() -> None:
    report = check(fixture_library("old_numbering"), probes=["physics", "lorentz", "layout"])
    for name in ("physics", "lorentz"):
        assert report[name].outcome is Outcome.SKIP and not report[name].blocked, report.to_table()
        assert (
            report[name].reason.startswith("masses unknown") and "--masses" in report[name].reason
        )
    assert report["layout"].outcome is Outcome.PASS  # massless points serve the ABI probes
    assert report.exit_code == 0


def test_masses_given_by_the_caller_run_the_on_shell_probes() -> None:
    report = check(
        fixture_library("old_numbering"), masses=[0, 0, 0, 0], probes=["physics", "lorentz"]
    )
    assert report["physics"].outcome is Outcome.PASS and report["lorentz"].outcome is Outcome.PASS
    assert report.options["masses"] == [0.0, 0.0, 0.0, 0.0]
    # they take precedence over MASSES: a 173 GeV pair needs a larger energy than 300 GeV
    blocked = check(
        fixture_library("broken_nan"), masses=[0, 0, 173, 173], sqrt_s=300.0, probes=["physics"]
    )
    assert blocked["physics"].blocked and "threshold 346 GeV" in blocked["physics"].reason


def test_masses_of_the_wrong_length_or_value_are_the_callers_error(capsys) -> None:
    report = check(fixture_library("minimal"), masses=[0, 0, 0], probes=["physics"])
    assert report["physics"].blocked and "--masses gives 3 values" in report["physics"].reason
    with pytest.raises(ValueError, match="finite and >= 0"):
        check(fixture_library("minimal"), masses=[0, 0, -1, 0])
    from pyumami import cli

    assert (
        cli.main(
            ["check", str(fixture_library("minimal")), "--masses", "0,0,0,0", "--probe", "physics"]
        )
        == 0
    )
    assert "RAMBO points" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main(["check", str(fixture_library("minimal")), "--masses", "0,0,x,0"])
    assert "comma-separated list of masses" in capsys.readouterr().err


def test_cards_that_differ_keep_the_reference_instances_independent() -> None:
    report = check(_reference_library("gg_ttx"), probes=["instance-cards"])
    result = report["instance-cards"]
    assert result.outcome is Outcome.PASS, report.to_table()
    assert result.details["max_relative_change_first_instance"] == 0.0
    assert (
        result.details["max_relative_difference_between_cards"] > 1e-3
    )  # the second card mattered


def test_gpu_library_says_how_it_takes_the_stream_without_a_gpu() -> None:
    report = check(fixture_library("fake_cuda"), probes=["metadata"])
    assert report["metadata"].reason.startswith("CUDA")
    assert "GPU_STREAM taken as output 5 (current header)" in report["metadata"].reason
    assert report["metadata"].details["gpu_stream_output_5"] is True
