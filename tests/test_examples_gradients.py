"""The gradient applications in examples/ run small and show what they claim: the
top-mass fit recovers the true mass, the score has mean zero there, and force
matching's gradient term lowers the held-out loss for the same ME calls."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytest.importorskip("jax", reason="the gradient examples need jax (the test extra)")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"examples_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def top_mass_fit():
    return _example("sbi_top_mass").main(["--small"])


def test_top_mass_fit_recovers_the_true_mass_within_its_error(top_mass_fit):
    fit = top_mass_fit
    assert abs(fit.pull) < 3.0, fit
    # the error is that of a shape-only fit of 1000 events: a few GeV, not a blind guess
    assert 1.0 < fit.error < 10.0
    assert abs(fit.fitted_mass - fit.true_mass) == pytest.approx(abs(fit.pull) * fit.error)


def test_score_has_mean_zero_at_the_true_mass(top_mass_fit):
    fit = top_mass_fit
    assert abs(fit.score_pull) < 3.0, fit
    assert fit.sample_mean_score_error == pytest.approx(
        math.sqrt(fit.expected_information) / fit.events, rel=0.2
    )


def test_score_is_the_total_derivative_of_log_p(top_mass_fit):
    # library gradients (MT and momenta through the mapping) vs central differences of
    # value-only evaluations at shifted masses
    assert top_mass_fit.score_vs_finite_differences < 1e-6


def test_observed_and_expected_fisher_information_agree(top_mass_fit):
    fit = top_mass_fit
    assert fit.observed_information == pytest.approx(fit.expected_information, rel=0.25)


def test_force_matching_gradient_term_lowers_the_held_out_loss():
    (comparison,) = _example("force_matching").main(["--small"])
    assert len(comparison.seeds) == 3 and comparison.calls == 16
    # measured ratio about 0.05: a factor 2 margin on the mean, and every seed
    assert comparison.mean_with_gradient < 0.5 * comparison.mean_value_only, comparison
    assert comparison.wins == len(comparison.seeds), comparison
