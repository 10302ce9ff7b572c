"""`pyumami check` passes correct libraries: the minimal one (four mandatory symbols),
the one with the older status numbering (CUDACPP-like, with its warning) and every
reference library."""
from __future__ import annotations

import pytest

import ref_me
from tests.conftest import fixture_library
from pyumami.check import PROBE_NAMES, Outcome, check


def test_minimal_library_passes_with_optional_features_absent() -> None:
    report = check(fixture_library("minimal"))
    assert report.exit_code == 0, report.to_table()
    assert "absent: set_parameter, get_parameter, supported_inputs, required_inputs, supported_outputs" \
        in report["symbols"].reason
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
        pytest.skip(f"reference library not built yet: {exc}")


# MadGraph's top width in t-channel propagators breaks gauge invariance at O(WT/MT); from
# 2 -> 3 on, the lorentz probe (a rotation changes the gluon polarisation gauge) sees it.
WIDTHLESS_TOP = {"gg_ttxg"}
# 123 diagrams x 64 helicities at scalar speed outlast the probes' 60 s budget.
TOO_SLOW_FOR_THE_PROBES = {"gg_ttxgg"}


@pytest.mark.parametrize("process", sorted(ref_me.PROCESSES))
def test_reference_library_passes_every_probe(process: str, tmp_path) -> None:
    if process in TOO_SLOW_FOR_THE_PROBES:
        pytest.skip(f"{process} is too slow for the probes' 60 s budget (scalar build)")
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
    assert report["metadata"].outcome is Outcome.PASS and report["metadata"].reason.startswith("CUDA")
    assert report["layout"].outcome is Outcome.SKIP and report["layout"].blocked
    assert "device memory" in report["layout"].reason
    assert report.exit_code == 2


def test_a_card_the_library_rejects_fails_once_and_blocks_the_rest(tmp_path):
    card = tmp_path / "broken_card.dat"
    card.write_text("BLOCK MASS\n  6 not-a-number # MT\n")
    report = check(ref_me.library_path("gg_ttx"), param_card=card)
    outcome = {r.name: str(r.outcome.value) for r in report.results}
    assert outcome["capabilities"] == "fail"
    later = [r for r in report.results if r.name in ("layout", "threads", "physics", "alpha-s", "indices")]
    assert later and all(r.outcome.value == "skip" and r.blocked for r in later)
    assert all("umami_initialize failed" in r.reason for r in later)
    assert report.exit_code == 1
