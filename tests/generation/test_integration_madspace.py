"""The same hadronic setup (g g -> t t~ at 13 TeV, our library, our PDF grid file, fixed
scale m_t) through MadSpace's own generator (survey + unweighting): its cross section
agrees with ours and with the quadrature.

Tolerance: |a - b| < 4 sqrt(sigma_a^2 + sigma_b^2), each sigma the generator's own error."""

from __future__ import annotations

import math

import pytest

import ref_me
from pyumami.generation.generator import Generator
from pyumami.generation.process import Process

from .hadronic import pdf_set
from .test_integration_hadronic import MT, SQRT_S, quadrature

pytest.importorskip("madspace", reason="MadSpace (PyPI madspace) is a test dependency")
from pyumami.generation.madspace_generator import run_madspace  # noqa: E402

PULL_LIMIT = 4.0


@pytest.fixture(scope="module")
def pdf(tmp_path_factory):
    return pdf_set(tmp_path_factory.mktemp("pdf"))


def libraries(*names):
    for name in names:
        try:
            ref_me.library_path(name, "cpu")
        except (KeyError, FileNotFoundError):
            pytest.skip(f"reference library {name} not built")
    return list(names)


@pytest.mark.parametrize(
    "spec, names",
    [
        ("g g > t t~", ("gg_ttx",)),
        pytest.param("p p > t t~", ("gg_ttx", "qq_ttx"), marks=pytest.mark.slow),
    ],
)
def test_madspace_generator_agrees_with_ours(pdf, spec, names):
    libs = libraries(*names)
    process = Process.from_spec(spec, libs, threads=2)
    theirs = run_madspace(process, SQRT_S, pdf.path, MT, 5000, threads=2)
    gen = Generator(process, SQRT_S, pdf=pdf, scale=MT, seed=2)
    gen.train(6, 10_000)
    ours = gen.integrate(40_000)
    ref = quadrature(pdf, spec)
    combined = math.hypot(ours.error_pb, theirs.error_pb)
    print(
        f"{spec}: MadSpace {theirs.cross_section_pb:.6g} +- {theirs.error_pb:.2g} pb, ours "
        f"{ours.cross_section_pb:.6g} +- {ours.error_pb:.2g} pb, quadrature {ref:.6g} pb, pull "
        f"ours-MadSpace {(ours.cross_section_pb - theirs.cross_section_pb) / combined:+.2f}, "
        f"MadSpace-quadrature {(theirs.cross_section_pb - ref) / theirs.error_pb:+.2f}"
    )
    assert abs(ours.cross_section_pb - theirs.cross_section_pb) < PULL_LIMIT * combined
    assert abs(theirs.cross_section_pb - ref) < PULL_LIMIT * theirs.error_pb
    assert theirs.n_unweighted >= 5000 * 0.9
