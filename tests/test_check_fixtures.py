"""`pyumami check` on the deliberately broken providers (tests/fixtures/broken_*.c):
each defect is caught by the probe meant for it, with a reason that names it."""

from __future__ import annotations

import pytest

from pyumami.check import Outcome, check
from tests.conftest import fixture_library

#: fixture -> (the probe that must catch it, text the reason must contain)
CAUGHT_BY = {
    "broken_missing_symbol": ("symbols", "missing mandatory entry point(s) umami_free"),
    "broken_particle_count": ("metadata", "PARTICLE_COUNT is 2"),
    "broken_ignores_offset": ("layout", "outside the slice [5, 18)"),
    "broken_writes_outside": ("layout", "outside the slice [5, 18)"),
    "broken_thread_unsafe": ("threads", "disagree with the serial result"),
    "broken_segfault": ("capabilities", "killed by SIGSEGV in umami_matrix_element"),
    "broken_nan": ("physics", "matrix elements are not finite"),
    "broken_required_unread": (
        "capabilities",
        "advertises ALPHA_S as a required input, but a call without it succeeded",
    ),
    "broken_required_unadvertised": (
        "capabilities",
        (
            "a call without ALPHA_S answered ERROR_MISSING_INPUT, "
            "but umami_required_inputs does not list it"
        ),
    ),
    "broken_ignores_index": ("index-range", "HELICITY_INDEX = 4 (HELICITY_COUNT 4)"),
    "broken_global_card": (
        "instance-cards",
        "the model parameters are process-wide, not per instance",
    ),
    "broken_count_zero_assert": ("count-zero", "killed by SIGABRT"),
    "broken_gradient": (
        "gradients",
        "PARAMETER_GRADIENT of 'MT' disagrees with central differences through umami_set_parameter",
    ),
}

#: every required probe that fails in a full check (the toy is otherwise compliant)
FAILING_IN_FULL_CHECK = {
    "broken_missing_symbol": {"symbols"},
    "broken_particle_count": {"metadata"},
    "broken_ignores_offset": {"layout"},
    "broken_writes_outside": {"layout", "count-zero"},
    "broken_thread_unsafe": {"threads"},
    "broken_segfault": {
        "capabilities",
        "layout",
        "determinism",
        "instances",
        "threads",
        "physics",
        "lorentz",
        "instance-cards",
    },
    "broken_nan": {"physics"},
    "broken_required_unread": {"capabilities"},
    "broken_required_unadvertised": {"capabilities"},
    "broken_ignores_index": {"index-range"},
    "broken_global_card": {"instance-cards"},
    "broken_count_zero_assert": {"count-zero"},
    "broken_gradient": {"gradients"},
}


@pytest.mark.parametrize("fixture", sorted(CAUGHT_BY))
def test_defect_caught_by_its_probe(fixture: str) -> None:
    probe, text = CAUGHT_BY[fixture]
    report = check(fixture_library(fixture), probes=["capabilities", probe])
    result = report[probe]
    assert result.outcome is Outcome.FAIL, report.to_table()
    assert text in result.reason, report.to_table()
    assert report.exit_code == 1
    # nothing else in this selection fails (symbols, metadata, capabilities are compliant)
    assert {r.name for r in report.failed} == {probe}, report.to_table()


def test_hanging_library_times_out_and_stops_the_check() -> None:
    report = check(fixture_library("broken_hang"), timeout=2.0)
    result = report["capabilities"]
    assert result.outcome is Outcome.FAIL
    assert "timed out after 2 s in umami_matrix_element" in result.reason
    later = [r for r in report.results if r.name not in ("symbols", "metadata", "capabilities")]
    assert later and all(r.outcome is Outcome.SKIP and r.blocked for r in later)
    assert all("timed out" in r.reason for r in later)
    assert report.wall_s < 15.0, "the checker must not wait for the hung library once per probe"


def test_segfault_is_reported_by_every_evaluating_probe_without_killing_the_checker() -> None:
    report = check(fixture_library("broken_segfault"), probes=["capabilities", "layout", "physics"])
    for name in ("capabilities", "layout", "physics"):
        assert report[name].outcome is Outcome.FAIL
        assert "SIGSEGV" in report[name].reason
    # count 0 never reaches the faulty write: the probe is isolated, not poisoned by the crash
    assert (
        check(fixture_library("broken_segfault"), probes=["count-zero"])["count-zero"].outcome
        is Outcome.PASS
    )


@pytest.mark.parametrize("fixture", sorted(FAILING_IN_FULL_CHECK))
def test_full_check_fails_exactly_the_expected_probes(fixture: str) -> None:
    report = check(fixture_library(fixture))
    assert {r.name for r in report.failed} == FAILING_IN_FULL_CHECK[fixture], report.to_table()


def test_out_of_range_index_inputs_are_named_with_the_count_they_exceed() -> None:
    reason = check(fixture_library("broken_ignores_index"), probes=["capabilities", "index-range"])[
        "index-range"
    ].reason
    assert "FLAVOR_INDEX = 1048576" in reason and "FLAVOR_INDEX = -1" in reason
    assert "HELICITY_INDEX = -1" in reason
    assert "must give an error status, not be ignored" in reason


def test_an_assertion_on_an_empty_first_batch_is_reported_whole() -> None:
    result = check(fixture_library("broken_count_zero_assert"), probes=["count-zero"])["count-zero"]
    assert result.outcome is Outcome.FAIL
    # the library's whole message, to its last word, and the entry point named once
    assert "Assertion `count > 0" in result.reason
    assert "leaves it without any helicity\"' failed." in result.reason
    assert result.reason.count("umami_matrix_element") == 1
    # the same library with a non-empty batch is fine: only the empty call aborts
    assert (
        check(fixture_library("broken_count_zero_assert"), probes=["layout"])["layout"].outcome
        is Outcome.PASS
    )


def test_a_library_aborting_without_a_card_is_told_to_get_one() -> None:
    report = check(fixture_library("abort_null_card"))
    metadata = report["metadata"]
    assert metadata.outcome is Outcome.FAIL, report.to_table()
    assert "killed by SIGABRT in umami_initialize" in metadata.reason
    assert "no param card given" in metadata.reason  # what the library printed
    assert "NULL param card" in metadata.reason and "--param-card" in metadata.reason
    assert metadata.reason.count("umami_initialize") == 1
    later = [r for r in report.results if r.name not in ("symbols", "metadata")]
    assert later and all(r.outcome is Outcome.SKIP and r.blocked for r in later)
    assert all("--param-card" in r.reason and "PARTICLE_COUNT" not in r.reason for r in later)
    assert report.exit_code == 1


def test_the_same_library_with_a_card_and_masses_passes() -> None:
    import ref_me

    report = check(
        fixture_library("abort_null_card"),
        param_card=ref_me.default_param_card(),
        masses=[0.0, 0.0, 0.0, 0.0],
    )
    assert report.exit_code == 0, report.to_table()
    assert report["physics"].outcome is Outcome.PASS and report["lorentz"].outcome is Outcome.PASS
