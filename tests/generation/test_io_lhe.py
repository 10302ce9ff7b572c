"""LHE 3.0 writer: pylhe parses it after every batch, counts, conservation, colour, helicity."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pylhe
import pytest

from pyumami.generation.lhe import (
    LheProcess,
    LheWriter,
    reference_colour_flows,
    reference_helicity_table,
)

from .synthetic import SQRT_S, gg_ttx_batch


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


@pytest.mark.parametrize("sqrt_s", [91.188, 200.0])
def test_z_resonance_of_the_z_channel_within_bwcutoff(tmp_path, sqrt_s) -> None:
    """e+ e- -> mu+ mu-: at the Z pole, events of the Z channel (their mu+ mu- mass within
    15 widths of m_Z) get a status-2 Z whose momentum is the sum of its daughters' and
    whom the muons name as mother; photon-channel events have none, and at 200 GeV
    (44 widths off) no event has one."""
    from pyumami.generation.generator import Generator

    gen = Generator("e+ e- > mu+ mu-", sqrt_s, libraries="ee_mumu", seed=4, threads=1)
    gen.train(2, 4000)
    events = gen.generate(400).events
    channels = gen.integrand.channels(0)
    assert [len(c.resonances) for c in channels] == [0, 1]
    z = channels[1].resonances[0]
    expect_z = abs(sqrt_s - z.mass) <= 15.0 * z.width
    path = tmp_path / "ee.lhe"
    with LheWriter(
        path,
        beams=((-11, sqrt_s / 2), (11, sqrt_s / 2)),
        processes=[LheProcess(1.0, 0.1, 3.0)],
        resonances={0: [c.resonances for c in channels]},
    ) as writer:
        writer.write(events)
    _, read = _read(path)
    assert len(read) == len(events)
    with_z = 0
    for event, channel in zip(read, np.asarray(events.channel), strict=True):
        ids = [int(p.id) for p in event.particles]
        if channel == 1 and expect_z:
            with_z += 1
            assert ids == [-11, 11, 23, -13, 13]
            zline = event.particles[2]
            assert int(zline.status) == 2
            assert (int(zline.mother1), int(zline.mother2)) == (1, 2)
            muons = event.particles[3:]
            assert all((int(m.mother1), int(m.mother2)) == (3, 3) for m in muons)
            summed = np.sum([[m.e, m.px, m.py, m.pz] for m in muons], axis=0)
            np.testing.assert_allclose(
                [zline.e, zline.px, zline.py, zline.pz], summed, rtol=1e-9, atol=1e-8
            )
            assert abs(zline.m - z.mass) <= 15.0 * z.width
        else:
            assert ids == [-11, 11, -13, 13]
            assert all(int(p.mother1) == 1 for p in event.particles[2:])
    if expect_z:
        # at the pole the Z diagram carries nearly all of |M|^2: most events show it
        assert with_z > 0.9 * len(read)


def test_nested_resonances_point_to_the_innermost_one() -> None:
    from pyumami.generation.lhe import _with_resonances
    from pyumami.generation.process import Resonance

    rng = np.random.default_rng(2)
    n, npar = 3, 5
    particle = np.zeros((n, npar, 12))
    particle[..., 6:9] = rng.normal(size=(n, npar, 3))
    particle[..., 9] = 10.0 + rng.random((n, npar))
    particle[:, 2:, 2:4] = (1, 2)
    particle[:, 3, 4] = 501  # a colour that the third final particle closes
    particle[:, 4, 5] = 501
    particle[:, 2, 4] = 502  # left open: the outer resonance carries it
    head = np.zeros((n, 6))
    head[:, 0] = npar
    outer, inner = Resonance(6, (0, 1, 2), 200.0, 2.0), Resonance(23, (1, 2), 91.0, 2.0)
    _, out = _with_resonances(head, particle, (outer, inner))
    assert out.shape == (n, npar + 2, 12)
    np.testing.assert_array_equal(out[:, 2, 2:4], np.tile([1, 2], (n, 1)))  # outer: beams
    np.testing.assert_array_equal(out[:, 3, 2:4], np.tile([3, 3], (n, 1)))  # inner: outer
    np.testing.assert_array_equal(out[:, 4, 2:4], np.tile([3, 3], (n, 1)))  # particle 0
    np.testing.assert_array_equal(out[:, 5:, 2:4], np.full((n, 2, 2), 4))  # 1, 2: inner
    np.testing.assert_allclose(out[:, 3, 6:10], particle[:, 3:5, 6:10].sum(axis=1))
    np.testing.assert_array_equal(out[:, 3, 4:6], 0)  # colour closed inside
    np.testing.assert_array_equal(out[:, 2, 4:6], np.tile([502, 0], (n, 1)))
