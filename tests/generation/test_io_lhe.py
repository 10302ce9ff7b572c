"""LHE 3.0 writer: pylhe parses it after every batch, counts, conservation, colour, helicity."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pylhe
import pytest

import pyumami
import ref_me
from pyumami.generation.lhe import (
    LheProcess,
    LheWriter,
    reference_colour_flows,
    reference_helicity_table,
)

from .synthetic import SQRT_S, gg_ttx_batch


@pytest.fixture(scope="module")
def gg_ttx():
    with pyumami.load(ref_me.library_path("gg_ttx"), threads=1) as lib:
        yield lib


def _writer(path, **kwargs) -> LheWriter:
    return LheWriter(
        path,
        beams=((21, SQRT_S / 2), (21, SQRT_S / 2)),
        processes=[LheProcess(12.5, 0.25, 1.0)],
        colour_flows={0: reference_colour_flows([21, 21, 6, -6])},
        helicity_tables={0: reference_helicity_table("gg_ttx")},
        header={"runcard": 'process = "g g > t t~"\nsqrt_s = 1000.0'},
        **kwargs,
    )


def _read(path):
    lhe = pylhe.LHEFile.fromfile(path, generator=False)
    return lhe, list(lhe.events)


def _assert_colour_connected(particles) -> None:
    """Every colour tag closes: on an outgoing colour + incoming colour (or the
    anticolour side), or on an incoming colour + incoming anticolour, etc."""
    ends = Counter()
    for p in particles:
        incoming = p.status == -1
        for tag, is_colour in ((int(p.color1), True), (int(p.color2), False)):
            if tag:
                ends[(tag, is_colour != incoming)] += (
                    1  # incoming colour acts as outgoing anticolour
                )
    tags = {tag for tag, _ in ends}
    for tag in tags:
        assert ends[(tag, True)] == 1 and ends[(tag, False)] == 1, (tag, ends)


def test_file_is_valid_after_every_batch_and_events_conserve_momentum(tmp_path, gg_ttx) -> None:
    path = tmp_path / "events.lhe"
    sizes = (7, 50, 1)
    written = []
    with _writer(path) as writer:
        for k, n in enumerate(sizes):
            batch = gg_ttx_batch(gg_ttx, n, seed=k, batch_index=k)
            writer.write(batch)
            written.append(batch)
            lhe, events = _read(path)  # a complete document after each batch
            assert len(events) == sum(sizes[: k + 1]) == writer.event_count
    momenta = np.concatenate([b.momenta for b in written])
    weights = np.concatenate([b.weight for b in written])
    lhe, events = _read(path)
    assert lhe.init.initInfo.beamA == 21 and lhe.init.initInfo.energyA == SQRT_S / 2
    assert lhe.init.procInfo[0].xSection == 12.5 and lhe.init.procInfo[0].error == 0.25
    assert 'process = "g g > t t~"' in path.read_text()
    for i, event in enumerate(events):
        assert event.eventinfo.nparticles == 4 and event.eventinfo.pid == 1
        assert event.eventinfo.weight == pytest.approx(weights[i], rel=1e-10)
        assert [int(p.id) for p in event.particles] == [21, 21, 6, -6]
        assert [int(p.status) for p in event.particles] == [-1, -1, 1, 1]
        p = np.array([[q.e, q.px, q.py, q.pz] for q in event.particles])
        assert np.allclose(p, momenta[i], rtol=1e-9, atol=1e-7)
        assert np.allclose(p[0] + p[1], p[2] + p[3], rtol=0, atol=1e-7 * SQRT_S)
        assert {int(q.mother1) for q in event.particles[2:]} == {1}
        assert all(abs(q.spin) == 1 for q in event.particles)
        _assert_colour_connected(event.particles)


def test_colour_and_helicity_come_from_the_library_indices(tmp_path, gg_ttx) -> None:
    batch = gg_ttx_batch(gg_ttx, 200, seed=4)
    path = tmp_path / "events.lhe"
    with _writer(path) as writer:
        writer.write(batch)
    _, events = _read(path)
    flows = reference_colour_flows([21, 21, 6, -6])
    helicities = reference_helicity_table("gg_ttx")
    colours = np.array([[[q.color1, q.color2] for q in e.particles] for e in events])
    spins = np.array([[q.spin for q in e.particles] for e in events])
    assert np.array_equal(colours, flows[batch.color])
    assert np.array_equal(spins, helicities[batch.helicity])
    assert set(np.unique(batch.color)) == {0, 1}  # both flows occur


def test_reference_tables() -> None:
    table = reference_helicity_table("gg_ttx")
    assert table.shape == (16, 4) and table[0].tolist() == [-1, -1, -1, 1]
    assert len({tuple(r) for r in table}) == 16 and table[1].tolist() == [-1, -1, -1, -1]
    assert reference_helicity_table("no_such_process") is None
    assert reference_colour_flows([11, -11, 13, -13]).tolist() == [[[0, 0]] * 4]
    assert reference_colour_flows([21, 21, 21, 21]) is None
    assert reference_colour_flows([21, 21, 6, -6, 21]).shape == (6, 5, 2)
    assert reference_colour_flows([21, 21, 6, -6, 21, 21]).shape == (24, 6, 2)
    assert reference_helicity_table("qq_ttx")[0].tolist() == [1, -1, -1, 1]
    for pdg in ([21, 21, 6, -6], [2, -2, 6, -6], [-1, 1, 6, -6], [21, 21, 6, -6, 21],
                [21, 21, 6, -6, 21, 21]):  # fmt: skip
        flows = reference_colour_flows(pdg)
        assert len({f.tobytes() for f in flows}) == len(flows)  # distinct flows
        for flow in flows:
            particles = [
                pylhe.LHEParticle(id=pid, status=-1 if i < 2 else 1, mother1=0, mother2=0,
                                  color1=c[0], color2=c[1], px=0, py=0, pz=0, e=0, m=0,
                                  lifetime=0, spin=9)
                for i, (pid, c) in enumerate(zip(pdg, flow, strict=True))
            ]  # fmt: skip
            _assert_colour_connected(particles)


def test_interrupted_run_leaves_the_completed_batches(tmp_path, gg_ttx) -> None:
    path = tmp_path / "events.lhe"
    with pytest.raises(KeyboardInterrupt), _writer(path) as writer:
        for k in range(5):
            if k == 2:
                raise KeyboardInterrupt
            writer.write(gg_ttx_batch(gg_ttx, 10, seed=k))
    _, events = _read(path)
    assert len(events) == 20
    assert path.read_text().endswith("</LesHouchesEvents>\n")


def test_init_is_updated_in_place(tmp_path, gg_ttx) -> None:
    path = tmp_path / "events.lhe"
    with _writer(path, weighted=True) as writer:
        writer.write(gg_ttx_batch(gg_ttx, 5, seed=1))
        writer.update_processes([LheProcess(13.25, 0.125, 2.0)])
        writer.write(gg_ttx_batch(gg_ttx, 5, seed=2))
    lhe, events = _read(path)
    assert lhe.init.procInfo[0].xSection == 13.25 and lhe.init.initInfo.weightingStrategy == -4
    assert len(events) == 10


def test_header_text_survives_and_missing_colour_tables_are_named(tmp_path, gg_ttx) -> None:
    path = tmp_path / "events.lhe"
    card = 'cuts = ["a ]]> b", "pt(t) > 5 & < 9"]'
    with LheWriter(path, beams=((21, 500.0), (21, 500.0)), processes=[LheProcess(1, 0, 1)] * 2,
                   colour_flows={0: reference_colour_flows([21, 21, 6, -6])},
                   header={"runcard": card}) as writer:  # fmt: skip
        writer.write(gg_ttx_batch(gg_ttx, 3, seed=1))
    lhe, events = _read(path)
    assert len(events) == 3 and "no table for the subprocesses 2 (IDPRUP)" in path.read_text()
    text = path.read_text()
    start = text.index("<runcard><![CDATA[") + len("<runcard><![CDATA[")
    section = text[start : text.index("</runcard>")]
    assert section.replace("]]]]><![CDATA[>", "]]>").strip().removesuffix("]]>").strip() == card
