"""Histograms: normalisation, chi^2 of unweighted vs weighted events, saved data, PNGs."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

import pyumami
import ref_me
from pyumami.generation.histograms import HistogramSet, HistogramSpec, chi2, default_specs, plot

from .synthetic import SQRT_S, gg_ttx_batch

SPECS = [
    HistogramSpec.parse(t) for t in ("pt(6):20:0:500", "y(-6):20:-1.2:1.2", "m(t,t~):10:999:1001")
]


@pytest.fixture(scope="module")
def weighted_batches():
    with pyumami.load(ref_me.library_path("gg_ttx"), threads=1) as lib:
        return [gg_ttx_batch(lib, 10_000, seed=s, batch_index=s) for s in range(2)]


def _unweight(batches, seed: int):
    """Hit-or-miss unweighting of ``batches`` (the reference for the chi^2 test)."""
    rng = np.random.default_rng(seed)
    weights = np.concatenate([b.weight for b in batches])
    sigma, w_max = weights.mean(), weights.max()
    kept = []
    for b in batches:
        keep = rng.random(len(b)) * w_max < b.weight
        kept.append((b, keep))
    n_kept = sum(int(k.sum()) for _, k in kept)
    out = []
    for b, keep in kept:
        fields = {f: getattr(b, f)[keep] for f in ("momenta", "pdg", "subprocess", "channel",
                                                   "x1", "x2", "scale", "alpha_s", "helicity", "color")}  # fmt: skip
        out.append(replace(b, weight=np.full(int(keep.sum()), sigma / n_kept), **fields))
    return out


def test_weighted_normalisation_is_the_cross_section(weighted_batches) -> None:
    weighted = HistogramSet(SPECS, weighted=True)
    for b in weighted_batches:
        weighted.fill(b)
    sigma = np.concatenate([b.weight for b in weighted_batches]).mean()
    mass, _ = weighted.values(2)  # m(t,t~) = sqrt(s) always: one bin holds everything
    assert mass.sum() == pytest.approx(sigma, rel=1e-12)
    pt, pt_error = weighted.values(0)  # pT(t) < sqrt(s)/2 always
    assert pt.sum() == pytest.approx(sigma, rel=1e-12)
    assert np.all(pt_error[pt > 0] < pt[pt > 0])


def test_unweighted_events_agree_with_the_weighted_histograms(weighted_batches, tmp_path) -> None:
    weighted, unweighted = HistogramSet(SPECS, weighted=True), HistogramSet(SPECS, weighted=False)
    for b in weighted_batches:
        weighted.fill(b)
    for b in _unweight(weighted_batches, seed=7):
        unweighted.fill(b)
    for index in (0, 1):
        value, bins = chi2(weighted, unweighted, index)
        # chi^2 with `bins` degrees of freedom; 5 standard deviations above the mean
        assert bins >= 12 and value < bins + 5 * np.sqrt(2 * bins), (SPECS[index], value, bins)
    skewed = HistogramSet(SPECS, weighted=False)
    for b in _unweight(weighted_batches, seed=7):
        skewed.fill(replace(b, momenta=b.momenta * np.array([1.0, 1.2, 1.2, 1.0])))
    assert chi2(weighted, skewed, 0)[0] > 100  # a 20% pT shift is seen

    json_path, npz_path = unweighted.save(tmp_path / "histograms")
    data = json.loads(json_path.read_text())
    assert data["weighted"] is False and data["histograms"]["pt(6)"]["edges"][-1] == 500
    arrays = np.load(npz_path)
    assert np.allclose(arrays["pt_6_pb"], unweighted.values(0)[0])
    pngs = plot(weighted, unweighted, tmp_path / "plots", title="g g > t t~")
    assert [p.name for p in pngs] == ["pt_6.png", "y_minus6.png", "m_t_tbar.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)


def test_specs_parse_and_defaults() -> None:
    assert str(HistogramSpec.parse("dR(j,j):10:0:5")) == "dR(j,j):10:0:5"
    for bad in ("pt(t)", "pt(t):x:0:1", "pt(t):10:5:1", "foo(t):10:0:1"):
        with pytest.raises(ValueError):
            HistogramSpec.parse(bad)
    specs = [s.expression for s in default_specs([6, -6], 13000.0, fixed_energy=False)]
    assert specs == ["pt(6)", "y(6)", "pt(t~)", "y(t~)", "m(6,t~)", "sqrtshat"]
    assert len(default_specs([13, -13], SQRT_S, fixed_energy=True)) == 5


def _batch_at_pt(pt: np.ndarray, weight: np.ndarray):
    from pyumami.generation.events import EventBatch

    n = pt.size
    momenta = np.zeros((n, 4, 4))
    momenta[:, 2, 1], momenta[:, 3, 1] = pt, -pt
    momenta[:, :, 0] = np.abs(momenta[:, :, 1]) + 1.0
    ones = np.ones(n)
    return EventBatch(momenta, weight, np.tile([21, 21, 6, -6], (n, 1)), ones.astype(np.int32),
                      ones.astype(np.int32), ones, ones, ones, ones)  # fmt: skip


def test_an_empty_unweighted_bin_where_events_are_expected_counts() -> None:
    specs = [HistogramSpec.parse("pt(6):2:0:400")]
    weighted, unweighted = HistogramSet(specs, weighted=True), HistogramSet(specs, weighted=False)
    weighted.fill(_batch_at_pt(np.repeat([100.0, 300.0], 500), np.ones(1000)))  # 0.5 pb each
    unweighted.fill(_batch_at_pt(np.full(40, 100.0), np.full(40, 1.0 / 40)))  # 1 pb, 0 pb
    value, bins = chi2(weighted, unweighted, 0)
    # Pearson: each bin expects 20 events of 1/40 pb (variance 0.5 / 40 pb^2), observed 40
    # and 0; the weighted mean 0.5 pb has variance (1/2 - 1/4) / 999 pb^2
    assert bins == 2 and value == pytest.approx(2 * 0.25 / (0.5 / 40 + 0.25 / 999), rel=1e-9)
