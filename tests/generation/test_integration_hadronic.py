"""p p -> t t~ at 13 TeV with PDFs at a fixed scale (mu = m_t) against a deterministic
quadrature of the partonic formulas times the parton luminosities of the same grid.

The quadrature (400 x 400 Gauss-Legendre nodes) is converged to < 1e-7 relative; the
tolerance is |ours - quadrature| < 4 sigma_MC with sigma_MC the generator's own error."""

from __future__ import annotations

import numpy as np
import pytest

import ref_me
from pyumami.generation.generator import Generator
from pyumami.generation.process import Process

from .analytic import gg_ttx, qq_ttx
from .hadronic import hadronic_cross_section, pdf_set
from .test_integration_fixed_energy import report

SQRT_S = 13000.0
MT = 173.0
PULL_LIMIT = 4.0


def built(name: str) -> str:
    try:
        ref_me.library_path(name, "cpu")
    except (KeyError, FileNotFoundError):
        pytest.skip(f"reference library {name} not built")
    return name


@pytest.fixture(scope="module")
def pdf(tmp_path_factory):
    return pdf_set(tmp_path_factory.mktemp("pdf"))


def quadrature(pdf, spec: str) -> float:
    alpha_s = float(np.asarray(pdf.alphasQ(np.array([MT])))[0])
    channels = [(21, 21, np.vectorize(lambda s: gg_ttx(s, alpha_s, MT)))]
    if spec == "p p > t t~":
        sigma_qq = np.vectorize(lambda s: qq_ttx(s, alpha_s, MT))
        for q in (1, 2, 3, 4, 5):
            channels += [(q, -q, sigma_qq), (-q, q, sigma_qq)]
    return hadronic_cross_section(pdf, SQRT_S, MT, channels, 2 * MT)


def integrate(pdf, spec, libraries, n, iterations=6):
    gen = Generator(spec, SQRT_S, libraries=libraries, pdf=pdf, scale=MT, seed=3, threads=2)
    gen.train(iterations, 10_000)
    return gen, gen.integrate(n)


def test_gg_ttx_at_13_tev(pdf):
    ref = quadrature(pdf, "g g > t t~")
    _, result = integrate(pdf, "g g > t t~", built("gg_ttx"), 40_000)
    pull = report(f"p p (gg only) -> t t~ 13 TeV, PDF {pdf.name}", result, ref)
    assert abs(pull) < PULL_LIMIT, (result, ref, pull)


def test_pp_ttx_gg_plus_qq_at_13_tev(pdf):
    libs = [built("gg_ttx"), built("qq_ttx")]
    ref = quadrature(pdf, "p p > t t~")
    gen, result = integrate(pdf, "p p > t t~", libs, 50_000, iterations=6)
    pull = report(f"p p (gg + qq~) -> t t~ 13 TeV, PDF {pdf.name}", result, ref)
    assert abs(pull) < PULL_LIMIT, (result, ref, pull)
    # every subprocess carries its share of the cross section, and the largest
    # subprocess (g g) gets most events
    sub = np.asarray(result.subprocess_cross_sections_pb)
    assert np.all(sub > 0.0)
    p_sub = gen.integrand.fractions.subprocess
    assert np.argmax(p_sub) == np.argmax(sub) == 0


def test_events_carry_the_pdg_ids_of_their_subprocess(pdf):
    libs = [built("gg_ttx"), built("qq_ttx")]
    gen = Generator("p p > t t~", SQRT_S, libraries=libs, pdf=pdf, scale=MT, seed=1, threads=2)
    events = gen.sample(3000).events
    process: Process = gen.process
    for i, sub in enumerate(process.subprocesses):
        rows = events.pdg[events.subprocess == i]
        assert np.all(rows == np.array(sub.pdg))
    assert np.all((events.x1 > 0) & (events.x1 <= 1) & (events.x2 > 0) & (events.x2 <= 1))
    np.testing.assert_allclose(events.alpha_s, pdf.alphasQ(np.full(len(events), MT)))


@pytest.mark.slow
def test_gg_ttx_at_13_tev_high_statistics(pdf):
    ref = quadrature(pdf, "g g > t t~")
    _, result = integrate(pdf, "g g > t t~", built("gg_ttx"), 1_000_000, iterations=10)
    assert abs(report("p p (gg only) -> t t~ 13 TeV, 1e6 events", result, ref)) < PULL_LIMIT
