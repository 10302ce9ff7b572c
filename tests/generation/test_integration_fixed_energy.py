"""Cross sections at fixed partonic energy (pdf=None) against analytic formulas.

Tolerance: |ours - analytic| < 4 sigma_MC, sigma_MC the generator's own error estimate
(the libraries' top/Z widths change the analytic values by < 1e-4, far below the errors)."""

from __future__ import annotations

import numpy as np
import pytest

import pyumami
import ref_me
from pyumami.generation.generator import Generator

from .analytic import ee_mumu, gg_ttx

PULL_LIMIT = 4.0


def library(name: str):
    try:
        return ref_me.library_path(name, "cpu")
    except FileNotFoundError:
        pytest.skip(f"{name} not built (make cpu-libs)")


def report(name: str, ours, ref: float) -> float:
    """Print our number, the reference and the pull (pytest -s shows it); return the pull."""
    pull = (ours.cross_section_pb - ref) / ours.error_pb
    print(
        f"{name}: ours {ours.cross_section_pb:.6g} +- {ours.error_pb:.2g} pb, "
        f"reference {ref:.6g} pb, pull {pull:+.2f}"
    )
    return pull


def run(spec: str, lib: str, sqrt_s: float, n: int, iterations: int = 5, **kw):
    gen = Generator(spec, sqrt_s, libraries=lib, seed=11, threads=2, **kw)
    gen.train(iterations, 10_000)
    return gen.integrate(n)


@pytest.mark.parametrize("sqrt_s", [91.188, 500.0])
def test_ee_mumu_photon_and_z(sqrt_s):
    lib = pyumami.load(library("ee_mumu"))
    ref = ee_mumu(
        sqrt_s,
        lib.get_parameter("aEW"),
        lib.get_parameter("sw2"),
        lib.get_parameter("MZ"),
        lib.get_parameter("WZ"),
    )
    result = run("e+ e- > mu+ mu-", "ee_mumu", sqrt_s, 40_000, iterations=3)
    pull = report(f"ee_mumu {sqrt_s} GeV", result, ref)
    assert abs(pull) < PULL_LIMIT, (result, ref, pull)


@pytest.mark.parametrize("sqrt_s", [500.0, 1000.0])
def test_gg_ttx_at_fixed_s_hat(sqrt_s):
    ref = gg_ttx(sqrt_s**2, 0.118, 173.0)
    result = run("g g > t t~", "gg_ttx", sqrt_s, 40_000)
    pull = report(f"gg_ttx sqrt(s-hat) {sqrt_s} GeV", result, ref)
    assert abs(pull) < PULL_LIMIT, (result, ref, pull)
    assert result.relative_error < 3e-3  # 40k events after 5 x 10k training


def test_gg_ttx_single_channel_agrees():
    ref = gg_ttx(1000.0**2, 0.118, 173.0)
    result = run("g g > t t~", "gg_ttx", 1000.0, 40_000, single_channel=True)
    assert abs(report("gg_ttx 1 TeV single channel", result, ref)) < PULL_LIMIT


def test_fixed_alpha_s_scales_the_cross_section():
    """alpha_s = 0.2 instead of the default 0.118: sigma ~ alpha_s^2 (same seed, same points)."""
    ref = gg_ttx(1000.0**2, 0.2, 173.0)
    result = run("g g > t t~", "gg_ttx", 1000.0, 20_000, alpha_s=0.2)
    assert abs(report("gg_ttx 1 TeV alpha_s 0.2", result, ref)) < PULL_LIMIT


@pytest.mark.slow
@pytest.mark.parametrize("sqrt_s", [500.0, 1000.0])
def test_gg_ttx_at_fixed_s_hat_high_statistics(sqrt_s):
    ref = gg_ttx(sqrt_s**2, 0.118, 173.0)
    result = run("g g > t t~", "gg_ttx", sqrt_s, 1_000_000, iterations=10)
    assert abs(report(f"gg_ttx {sqrt_s} GeV, 1e6 events", result, ref)) < PULL_LIMIT


def jet_cut(momenta, pdg):
    """pT(g) > 50 GeV and |eta(g)| < 2.5 for the gluon of g g -> t t~ g."""
    g = momenta[:, 4, :]
    pt = (g[:, 1] ** 2 + g[:, 2] ** 2) ** 0.5
    eta = np.arcsinh(g[:, 3] / np.maximum(pt, 1e-300))
    return (pt > 50.0) & (np.abs(eta) < 2.5)


@pytest.mark.slow
def test_gg_ttxg_sixteen_channels_agree_with_one():
    """g g -> t t~ g at 1 TeV with a gluon cut: the 16 diagram channels (SDE weights) and a
    single channel integrate the same cross section (4 combined sigma; no analytic value)."""
    library("gg_ttxg")
    multi = run("g g > t t~ g", "gg_ttxg", 1000.0, 100_000, iterations=8, cuts=jet_cut)
    single = run("g g > t t~ g", "gg_ttxg", 1000.0, 100_000, iterations=8, cuts=jet_cut,
                 single_channel=True)  # fmt: skip
    combined = (multi.error_pb**2 + single.error_pb**2) ** 0.5
    print(f"gg_ttxg 1 TeV, pT(g) > 50, |eta(g)| < 2.5: 16 channels {multi.cross_section_pb:.5g} "
          f"+- {multi.error_pb:.2g} pb, one channel {single.cross_section_pb:.5g} "
          f"+- {single.error_pb:.2g} pb")  # fmt: skip
    assert abs(multi.cross_section_pb - single.cross_section_pb) < PULL_LIMIT * combined
