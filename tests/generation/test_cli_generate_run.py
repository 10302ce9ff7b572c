"""`pyumami generate` / `integrate` end to end on g g -> t t~ at fixed energy (no PDF)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pylhe
import pytest

import ref_me
from pyumami.cli import main
from pyumami.generation.runcard import load_run_card

#: Small but complete runs: a few training iterations, a modest integration.
FAST = ["--iterations", "2", "--train-batch", "2000", "--integration-events", "4000",
        "--batch-size", "1000"]  # fmt: skip
GG_TTX = ["--library", "gg_ttx", "--pdf", "none", "--sqrt-s", "1000", *FAST]


def _last_json(captured: str) -> dict:
    return json.loads(captured.strip().splitlines()[-1])


def test_generate_writes_every_output(tmp_path, capsys) -> None:
    out = tmp_path / "run"
    status = main(["generate", *GG_TTX, "--events", "300", "--out", str(out), "--json",
                   "--cut", "pt(t) > 50", "--seed", "7"])  # fmt: skip
    assert status == 0
    summary = _last_json(capsys.readouterr().out)
    assert summary["events"] == 300 and summary["cross_section_pb"] > 0
    assert 0 < summary["unweighting_efficiency"] <= 1
    assert summary["error_pb"] < 0.05 * summary["cross_section_pb"]
    assert json.loads((out / "summary.json").read_text()) == summary

    lhe = pylhe.LHEFile.fromfile(out / "events.lhe", generator=False)
    events = list(lhe.events)
    assert len(events) == 300
    for event in events:
        p = np.array([[q.e, q.px, q.py, q.pz] for q in event.particles])
        assert np.allclose(p[0] + p[1], p[2] + p[3], atol=1e-6)
        assert np.hypot(p[2, 1], p[2, 2]) > 50  # the cut holds
    assert lhe.init.procInfo[0].xSection == pytest.approx(summary["cross_section_pb"], rel=1e-9)
    assert np.load(out / "events.npy").shape == (300,)
    assert np.load(out / "momenta.npy").shape == (300, 4, 4)

    card = load_run_card(out / "run_card.toml")
    assert card.cuts == ["pt(t) > 50"] and card.events == 300 and card.seed == 7
    assert "pt(t) &gt; 50" not in (out / "events.lhe").read_text()  # CDATA keeps it verbatim
    assert (out / "histograms" / "weighted.json").is_file()
    assert len(list((out / "plots").glob("*.png"))) >= 4


def test_run_card_reproduces_the_run_and_the_command_line_overrides_it(tmp_path, capsys) -> None:
    first = tmp_path / "first"
    assert main(["generate", *GG_TTX, "--events", "100", "--out", str(first), "--json"]) == 0
    summary = _last_json(capsys.readouterr().out)
    second = tmp_path / "second"
    assert main(["generate", str(first / "run_card.toml"), "--out", str(second)]) == 0
    again = _last_json(capsys.readouterr().out)  # the card has json = true
    assert again["cross_section_pb"] == summary["cross_section_pb"]  # same seed, same numbers
    assert np.array_equal(np.load(first / "momenta.npy"), np.load(second / "momenta.npy"))
    assert load_run_card(second / "run_card.toml").out == str(second)


def test_integrate_prints_json_last(capsys) -> None:
    assert main(["integrate", *GG_TTX, "--json"]) == 0
    summary = _last_json(capsys.readouterr().out)
    assert set(summary) >= {"cross_section_pb", "error_pb"} and summary["cross_section_pb"] > 0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--library", "gg_ttx", "--pdf", "none", "--sqrt-s", "300"], "threshold"),
        (["--library", "gg_ttx", "--pdf", "none", "--sqrt-s", "-5"], "positive energy"),
        (["--library", "gg_ttx", "--pdf", "none", "--process", "g g > t 99999"], "99999"),
        (["--library", "gg_ttx", "--pdf", "NoSuchSet_LO"], "NoSuchSet_LO"),
        (["--library", "gg_ttx", "--pdf", "none", "--cut", "pt(t) >> 3"], "position 8"),
        (["--library", "gg_ttx", "--pdf", "none", "--events", "0"], "--events"),
        (["--library", "gg_ttx", "--pdf", "none", "--processes", "0"], "--processes must be >= 1"),
        (
            ["--library", "gg_ttx", "--pdf", "none", "--sqrt-s", "1000", "--cut", "pt(t) > 600"],
            "remove all",
        ),
        (
            ["--library", "no_such_lib.so", "--pdf", "none", "--process", "g g > t t~"],
            "no_such_lib.so",
        ),
        (["--pdf", "none"], "--library"),
    ],
)
def test_bad_settings_fail_before_any_work(tmp_path, capsys, arguments, message) -> None:
    out = tmp_path / "never"
    assert main(["generate", *arguments, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "error" in err and message in err
    assert not out.exists()


def test_library_with_the_wrong_particle_count_is_refused(tmp_path, capsys) -> None:
    foreign = tmp_path / "libforeign.so"  # not named libref_*: treated as any UMAMI library
    shutil.copy(ref_me.library_path("gg_ttx"), foreign)
    arguments = ["generate", "--library", str(foreign), "--process", "g g > t t~ g"]
    arguments += ["--pdf", "none"]
    assert main([*arguments, "--out", str(tmp_path / "o")]) == 2
    assert "4 external particles" in capsys.readouterr().err


def test_unknown_run_card_setting(tmp_path, capsys) -> None:
    card = tmp_path / "run.toml"
    card.write_text('library = "gg_ttx"\nenergy = 13000\n')
    assert main(["integrate", str(card)]) == 2
    assert "unknown setting 'energy'" in capsys.readouterr().err


def _colour_closed(particles) -> bool:
    """Every colour tag appears once as a colour and once as an anticolour, incoming
    particles counted with colour and anticolour swapped (crossing)."""
    ends: dict[tuple[int, bool], int] = {}
    for p in particles:
        incoming = p.status == -1
        for tag, is_colour in ((int(p.color1), True), (int(p.color2), False)):
            if tag:
                key = (tag, is_colour != incoming)
                ends[key] = ends.get(key, 0) + 1
    return all(ends.get((t, c), 0) == 1 for t, _ in ends for c in (True, False))


@pytest.mark.parametrize(
    ("arguments", "pdg"),
    [
        (["--library", "qq_ttx", "--process", "u~ u > t t~"], [-2, 2, 6, -6]),
        # one channel and few events keep the 16-diagram process quick
        (["--library", "gg_ttxg", "--single-channel", "--cut", "pt(g) > 30",
          "--cut", "min(dR(g,t)) > 0.4"], [21, 21, 6, -6, 21]),
    ],
)  # fmt: skip
def test_lhe_colour_flows_of_other_reference_processes(tmp_path, arguments, pdg) -> None:
    out = tmp_path / "run"
    fixed = ["--pdf", "none", "--sqrt-s", "1000", *FAST, "--events", "100", "--out", str(out)]
    assert main(["generate", *arguments, *fixed]) == 0
    events = list(pylhe.LHEFile.fromfile(out / "events.lhe", generator=False).events)
    assert len(events) == 100
    flows = set()
    for event in events:
        assert [int(p.id) for p in event.particles] == pdg
        assert _colour_closed(event.particles)
        p = np.array([[q.e, q.px, q.py, q.pz] for q in event.particles])
        assert np.allclose(p[0] + p[1], p[2:].sum(axis=0), atol=1e-6)
        flows.add(tuple((int(q.color1), int(q.color2)) for q in event.particles))
    assert len(flows) > 1  # the library's COLOR_INDEX picks different flows


def test_param_card_reaches_the_libraries(tmp_path, capsys) -> None:
    card = ref_me.default_param_card().read_text()
    heavy = tmp_path / "mt180.dat"
    heavy.write_text(card.replace("6 1.730000e+02 # MT", "6 1.800000e+02 # MT", 1))
    assert main(["integrate", *GG_TTX, "--json"]) == 0
    light = _last_json(capsys.readouterr().out)["cross_section_pb"]
    assert main(["integrate", *GG_TTX, "--json", "--param-card", str(heavy)]) == 0
    # sigma(mt = 180) is 2.5% below sigma(mt = 173) at 1 TeV; the MC errors are 0.1%
    assert _last_json(capsys.readouterr().out)["cross_section_pb"] < 0.99 * light
    assert main(["integrate", *GG_TTX, "--param-card", str(tmp_path / "none.dat")]) == 2
    assert "none.dat: no such file" in capsys.readouterr().err


def test_lhe_has_the_z_of_the_z_channel_at_the_pole(tmp_path) -> None:
    out = tmp_path / "run"
    arguments = ["--library", "ee_mumu", "--pdf", "none", "--sqrt-s", "91.188", *FAST]
    assert main(["generate", *arguments, "--events", "100", "--out", str(out)]) == 0
    events = list(pylhe.LHEFile.fromfile(out / "events.lhe", generator=False).events)
    with_z = [e for e in events if [int(p.id) for p in e.particles] == [-11, 11, 23, -13, 13]]
    assert len(with_z) > 80  # the Z diagram carries nearly all of |M|^2 at the pole
    for event in with_z:
        z, muons = event.particles[2], event.particles[3:]
        assert int(z.status) == 2 and all(int(m.mother1) == int(m.mother2) == 3 for m in muons)
        summed = np.sum([[m.e, m.px, m.py, m.pz] for m in muons], axis=0)
        assert np.allclose([z.e, z.px, z.py, z.pz], summed, atol=1e-7)
