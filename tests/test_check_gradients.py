"""The `gradients` probe of `pyumami check`: pyumami's vendor gradient outputs
against central differences where offered, "not offered" otherwise. (The
reference libraries pass it in test_check_libraries; the wrong derivative of
broken_gradient is caught in test_check_fixtures.)"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pyumami.check import Outcome, check
from pyumami.check.points import move_on_shell, on_shell_directions, phase_space_points
from pyumami.check.probes.gradients import GRADIENT_TOLERANCE
from tests.conftest import fixture_library


def test_correct_analytic_gradients_pass_with_a_margin() -> None:
    report = check(fixture_library("toy_gradients"), probes=["gradients"])
    result = report["gradients"]
    assert result.outcome is Outcome.PASS, report.to_table()
    assert result.details["parameters"] == ["MT"]
    assert result.details["momenta_worst"] < 1e-3 * GRADIENT_TOLERANCE
    assert result.details["parameters_worst"]["MT"] < 1e-3 * GRADIENT_TOLERANCE
    assert report.exit_code == 0


def test_the_wrong_parameter_derivative_is_named_with_its_ratio() -> None:
    reason = check(fixture_library("broken_gradient"), probes=["gradients"])["gradients"].reason
    # d|M|^2/d(MT^2) instead of d|M|^2/dMT: off by 2 MT = 346 GeV
    ratio = float(reason.rsplit("ratio ", 1)[1].rstrip(")"))
    assert abs(ratio * 346.0 - 1.0) < 1e-3, reason


def test_a_library_without_gradient_outputs_is_not_offered_not_failed() -> None:
    report = check(fixture_library("broken_nan"), probes=["gradients"])
    result = report["gradients"]
    assert result.outcome is Outcome.SKIP and not result.blocked
    assert result.reason.startswith("not offered")
    assert report.exit_code == 0


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), step=st.floats(-5.0, 5.0))
def test_probe_directions_keep_every_particle_on_its_mass_shell(seed: int, step: float) -> None:
    masses = np.array([0.0, 0.0, 173.0, 5.0, 0.0])
    p = phase_space_points(masses, 1000.0, 4, seed)
    v = on_shell_directions(p, np.random.default_rng(seed))
    moved = move_on_shell(p, v, step)

    def mass_sq(q: np.ndarray) -> np.ndarray:
        return q[..., 0] ** 2 - np.sum(q[..., 1:] ** 2, axis=-1)

    # each particle keeps the squared mass it had, to the rounding of E^2
    assert np.all(np.abs(mass_sq(moved) - mass_sq(p)) <= 1e-14 * moved[..., 0] ** 2)
    # beams stay on the z axis; v is the tangent of the path at step 0
    np.testing.assert_array_equal(moved[:, :2, 1:3], 0.0)
    h = 1e-4
    tangent = (move_on_shell(p, v, h) - move_on_shell(p, v, -h)) / (2 * h)
    np.testing.assert_allclose(tangent, v, atol=1e-7)
