"""A batch evaluated in parts (library calls beside the phase space) gives the same
events, bit for bit, as in one piece: results do not depend on the thread count."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyumami.generation import parts
from pyumami.generation.generator import Generator
from pyumami.generation.parts import part_bounds

from . import test_integration_hadronic as hadronic
from .test_integration_hadronic import MT, built

#: the toy PDF set of the hadronic validations (a module-scoped fixture)
pdf = hadronic.pdf


@given(n=st.integers(1, 200_000), threads=st.integers(1, 8))
def test_parts_cover_the_batch_in_order(n, threads) -> None:
    edges = part_bounds(n, threads)
    assert edges[0] == 0 and edges[-1] == n
    assert all(a < b for a, b in zip(edges[:-1], edges[1:], strict=True))
    count = len(edges) - 1
    assert count <= max(1, parts.PARTS_PER_THREAD * threads)
    assert threads > 1 or count == 1
    if count > 1:
        assert min(np.diff(edges)) >= parts.MIN_EVENTS_PER_PART


def _fingerprint(events) -> tuple[bytes, ...]:
    e = events.to_numpy()
    fields = (e.momenta, e.weight, e.pdg, e.subprocess, e.channel, e.x1, e.x2, e.scale,
              e.alpha_s, e.helicity, e.color)  # fmt: skip
    return tuple(np.ascontiguousarray(f).tobytes() for f in fields if f is not None)


def _run(pdf, libraries, threads: int, **options) -> tuple:
    gen = Generator("p p > t t~", 13000.0, libraries=libraries, pdf=pdf, seed=5,
                    threads=threads, batch_size=24_000, **options)  # fmt: skip
    trained = [(it.cross_section_pb, it.error_pb) for it in gen.train(2, 24_000)]
    integration = gen.integrate(48_000)
    result = gen.generate(300)
    return (
        len(part_bounds(24_000, gen.integrand.threads)) - 1,
        trained,
        integration.cross_section_pb,
        integration.error_pb,
        result.cross_section_pb,
        result.max_weight_pb,
        result.n_weighted,
        _fingerprint(result.events),
    )


def test_one_and_two_threads_give_identical_runs(pdf) -> None:
    libraries = [built("gg_ttx"), built("qq_ttx")]
    one, two = (_run(pdf, libraries, threads, scale=MT) for threads in (1, 2))
    assert (one[0], two[0]) == (1, 2)  # the second run really was cut in two parts
    assert one[1:] == two[1:]


def test_cuts_and_a_dynamic_scale_give_identical_runs(pdf) -> None:
    def top_pt_above_50(p, pdg):
        return p[:, 2, 1] ** 2 + p[:, 2, 2] ** 2 > 50.0**2

    libraries = [built("gg_ttx")]
    one, two = (
        _run(pdf, libraries, threads, scale="ht/2", cuts=top_pt_above_50) for threads in (1, 2)
    )
    assert one[1:] == two[1:]


@settings(max_examples=8, deadline=None)
@given(n=st.integers(1, 3000), batch_index=st.integers(0, 1000))
def test_many_small_parts_give_the_batch_of_one_part(pdf, n, batch_index) -> None:
    gen = Generator("g g > t t~", 13000.0, libraries=built("gg_ttx"), pdf=pdf, seed=9,
                    threads=2, scale=MT)  # fmt: skip
    whole = gen.integrand.sample(9, batch_index, n)
    with pytest.MonkeyPatch.context() as patch:
        # parts of ~n/5 events: their edges cut through the slots of the batch
        patch.setattr(parts, "MIN_EVENTS_PER_PART", max(1, n // 5))
        patch.setattr(parts, "PARTS_PER_THREAD", 3)
        cut = gen.integrand.sample(9, batch_index, n)
    assert _fingerprint(cut.events) == _fingerprint(whole.events)
    for a, b in zip(cut.channel_integrand, whole.channel_integrand, strict=True):
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes()
