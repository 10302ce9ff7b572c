"""Observables and text cuts: reference values, symmetries (hypothesis), parse errors."""

from __future__ import annotations

import math

import array_api_strict
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyumami.generation.cuts import Cuts, parse_cut, parse_cuts
from pyumami.generation.errors import ProcessError
from pyumami.generation.observables import (
    ExpressionError,
    parse_observable,
    parse_selection,
)
from pyumami.generation.process import pdg_id

# g g > t t~ j j: two incoming gluons, a top pair and two jets (a gluon and a u quark)
PDG = np.array([[21, 21, 6, -6, 21, 2]])


def _momenta(px_py_pz: np.ndarray, masses: np.ndarray) -> np.ndarray:
    """(n, npar, 4) on-shell momenta from (n, npar, 3) three-momenta."""
    energy = np.sqrt(np.sum(px_py_pz**2, axis=-1) + masses**2)
    return np.concatenate([energy[..., None], px_py_pz], axis=-1)


def _boost_z(p: np.ndarray, rapidity: float) -> np.ndarray:
    ch, sh = math.cosh(rapidity), math.sinh(rapidity)
    out = p.copy()
    out[..., 0] = ch * p[..., 0] + sh * p[..., 3]
    out[..., 3] = sh * p[..., 0] + ch * p[..., 3]
    return out


def _rotate_z(p: np.ndarray, angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    out = p.copy()
    out[..., 1] = c * p[..., 1] - s * p[..., 2]
    out[..., 2] = s * p[..., 1] + c * p[..., 2]
    return out


three_momenta = st.lists(
    st.floats(-500.0, 500.0, allow_nan=False).filter(lambda v: abs(v) > 1e-3),
    min_size=18, max_size=18,
).map(lambda v: np.array(v).reshape(1, 6, 3))  # fmt: skip
MASSES = np.array([0.0, 0.0, 173.0, 173.0, 0.0, 0.0])


def test_reference_values() -> None:
    p = np.array([[[10.0, 0, 0, 10], [10, 0, 0, -10], [5.0, 3, 4, 0], [5, -3, -4, 0]]])
    pdg = np.array([[11, -11, 13, -13]])
    assert parse_observable("pt(mu-)").values(p, pdg)[0][0, 0] == pytest.approx(5.0)
    assert parse_observable("shat").values(p, pdg)[0][0, 0] == pytest.approx(400.0)
    assert parse_observable("sqrtshat").values(p, pdg)[0][0, 0] == pytest.approx(20.0)
    assert parse_observable("ht").values(p, pdg)[0][0, 0] == pytest.approx(10.0)
    mass, valid = parse_observable("m(mu-,mu+)").values(p, pdg)
    assert np.count_nonzero(valid) == 1 and mass[valid][0] == pytest.approx(10.0)
    dphi, valid = parse_observable("dphi(l,l)").values(p, pdg)
    assert np.allclose(dphi[valid], math.pi)
    eta, valid = parse_observable("eta(l)").values(p, pdg)
    assert np.allclose(eta[valid], 0.0)


def test_selection_classes_and_names() -> None:
    assert pdg_id("t~") == -6 and pdg_id("e+") == -11 and pdg_id("ta-") == 15
    assert pdg_id("-6") == -6
    assert parse_selection("j").mask(PDG).tolist() == [[True, True, False, False, True, True]]
    assert parse_selection("t").mask(PDG).tolist() == [[False, False, True, True, False, False]]
    assert parse_selection("t~").mask(PDG).tolist() == [[False, False, False, True, False, False]]
    incoming_gluons = parse_observable("pt(j)").values(np.ones((1, 6, 4)), PDG)[1]
    assert incoming_gluons.tolist() == [[False, False, True, True]]  # incoming are never candidates
    with pytest.raises(ProcessError, match="99999"):
        pdg_id("99999")


@settings(max_examples=60, deadline=None)
@given(three_momenta, st.floats(-3.0, 3.0))
def test_mass_and_delta_r_invariant_under_longitudinal_boosts(p3, rapidity) -> None:
    p = _momenta(p3, np.zeros(6))  # massless: pseudorapidity = rapidity, dR boost invariant
    boosted = _boost_z(p, rapidity)
    for text in ("m(j,j)", "dR(j,j)", "dy(t,j)", "pt(j)", "dphi(j,t)", "m(t,t~)"):
        obs = parse_observable(text)
        before, valid = obs.values(p, PDG)
        after, _ = obs.values(boosted, PDG)
        scale = max(1.0, float(np.max(np.abs(before[valid]))))
        assert np.allclose(before[valid], after[valid], rtol=1e-7, atol=1e-7 * scale), text
    y_before = parse_observable("y(t)").values(p, PDG)[0][0, 0]
    y_after = parse_observable("y(t)").values(boosted, PDG)[0][0, 0]
    assert y_after - y_before == pytest.approx(rapidity, abs=1e-7)


@settings(max_examples=60, deadline=None)
@given(three_momenta, st.floats(-math.pi, math.pi))
def test_transverse_quantities_invariant_under_rotations_about_the_beam(p3, angle) -> None:
    p = _momenta(p3, MASSES)
    rotated = _rotate_z(p, angle)
    for text in ("pt(j)", "m(t,t~)", "dR(j,t)", "dphi(t,t)", "eta(t)", "ht", "pt(t,t~)"):
        obs = parse_observable(text)
        before, valid = obs.values(p, PDG)
        after, _ = obs.values(rotated, PDG)
        assert np.allclose(before[valid], after[valid], rtol=1e-9, atol=1e-7), text
    dphi, valid = parse_observable("dphi(j,j)").values(p, PDG)
    assert np.all((dphi[valid] >= 0) & (dphi[valid] <= math.pi))


@settings(max_examples=40, deadline=None)
@given(three_momenta, st.floats(0.0, 400.0))
def test_quantifiers_agree_with_per_candidate_definitions(p3, threshold) -> None:
    p = _momenta(p3, MASSES)
    pt_jets = np.hypot(p[0, 4:, 1], p[0, 4:, 2])
    assert parse_cut(f"pt(j) > {threshold}")(p, PDG)[0] == np.all(pt_jets > threshold)
    assert parse_cut(f"all(pt(j) > {threshold})")(p, PDG)[0] == np.all(pt_jets > threshold)
    assert parse_cut(f"each(pt(j) > {threshold})")(p, PDG)[0] == np.all(pt_jets > threshold)
    assert parse_cut(f"any(pt(j) > {threshold})")(p, PDG)[0] == np.any(pt_jets > threshold)
    assert parse_cut(f"max(pt(j)) > {threshold}")(p, PDG)[0] == (pt_jets.max() > threshold)
    assert parse_cut(f"min(pt(j)) >= {threshold}")(p, PDG)[0] == (pt_jets.min() >= threshold)
    window = parse_cut(f"{threshold} < pt(j) <= {threshold + 100}")(p, PDG)[0]
    assert window == np.all((pt_jets > threshold) & (pt_jets <= threshold + 100))


def test_empty_selection_semantics() -> None:
    p = _momenta(np.ones((1, 6, 3)), MASSES)
    assert parse_cut("pt(e-) > 1000")(p, PDG)[0]  # no electron: a plain cut passes
    assert not parse_cut("any(pt(e-) > 0)")(p, PDG)[0]
    assert not parse_cut("max(pt(e-)) > 0")(p, PDG)[0]


def test_cuts_combine_with_and_and_run_on_array_api_strict() -> None:
    rng = np.random.default_rng(3)
    p = _momenta(rng.normal(scale=100.0, size=(200, 6, 3)), MASSES)
    pdg = np.repeat(PDG, 200, axis=0)
    cuts = parse_cuts(["pt(j) > 20", "dR(j,j) > 0.4", "abseta(j) < 2.5"])
    expected = np.ones(200, dtype=bool)
    for cut in cuts.cuts:
        expected &= cut(p, pdg)
    assert np.array_equal(cuts(p, pdg), expected)
    assert 0 < np.count_nonzero(expected) < 200
    strict = cuts(array_api_strict.asarray(p), array_api_strict.asarray(pdg))
    assert np.array_equal(np.asarray(strict), expected)
    assert Cuts()(p, pdg).all()


@pytest.mark.parametrize(
    ("text", "position", "expected"),
    [
        ("pt(j) >", 7, "a number"),
        ("pt(xx) > 3", 3, "a particle"),
        ("pt(99999) > 3", 3, "a particle"),
        ("foo(j) > 2", 0, "an observable"),
        ("pt(j) = 3", 6, "a name, a number"),
        ("pt(j > 3", 5, "',' or ')'"),
        ("dR(j) > 0.4", 0, "dr with 2"),
        ("any(pt(j) > 2", 13, "')'"),
        ("pt(j) > 20 30", 11, "the end"),
        ("max(pt(j) > 2", 10, "')'"),
    ],
)
def test_parse_errors_name_position_and_expectation(text, position, expected) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_cut(text)
    assert info.value.position == position
    assert info.value.expected.startswith(expected)
    assert "^" in str(info.value)
