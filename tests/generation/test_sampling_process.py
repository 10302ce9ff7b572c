"""Process descriptions: particle names, reference libraries, checks against the library."""

from __future__ import annotations

import shutil

import pytest

import ref_me
from pyumami.generation.errors import ProcessError
from pyumami.generation.process import (
    REFERENCE_LIBRARIES,
    Process,
    parse_process,
    pdg_id,
    pdg_mass,
)


def built(name: str):
    try:
        return ref_me.library_path(name, "cpu")
    except (KeyError, FileNotFoundError):
        pytest.skip(f"reference library {name} not built (make cpu-libs)")


@pytest.mark.parametrize(
    "name, pdg",
    [
        ("g", 21),
        ("t~", -6),
        ("e+", -11),
        ("mu-", 13),
        ("a", 22),
        ("z", 23),
        ("ve~", -12),
        ("-5", -5),
    ],
)
def test_madgraph_names_give_pdg_ids(name, pdg):
    assert pdg_id(name) == pdg


@pytest.mark.parametrize("name", ["x", "t~~", "9999999"])
def test_unknown_particles_are_refused(name):
    with pytest.raises(ProcessError, match="unknown"):
        pdg_id(name)


def test_multi_particle_labels_expand_to_five_flavours():
    incoming, outgoing = parse_process("p p > t t~")
    assert len(incoming[0]) == 11 and 21 in incoming[0] and -5 in incoming[1]
    assert outgoing == ((6,), (-6,))


def test_gg_ttx_has_three_channels_with_its_diagrams():
    built("gg_ttx")
    proc = Process.from_spec("g g > t t~", "gg_ttx")
    (sub,) = proc.subprocesses
    assert sub.pdg == (21, 21, 6, -6)
    assert [c.diagrams for c in sub.channels] == [(0,), (1,), (2,)]
    assert sub.final_masses == pytest.approx((173.0, 173.0))


def test_final_state_order_does_not_matter():
    built("gg_ttx")
    assert Process.from_spec("g g > t~ t", "gg_ttx").subprocesses[0].outgoing == (6, -6)


def test_pp_ttx_has_gg_and_every_quark_flavour_in_both_beam_orders():
    built("gg_ttx")
    built("qq_ttx")
    proc = Process.from_spec("p p > t t~", ["gg_ttx", "qq_ttx"])
    incoming = {s.incoming for s in proc.subprocesses}
    assert (21, 21) in incoming
    for q in (1, 2, 3, 4, 5):
        assert (q, -q) in incoming and (-q, q) in incoming
    flavors = [s.flavor for s in proc.subprocesses if s.incoming != (21, 21)]
    assert len(set(flavors)) == len(flavors) == 10
    assert len(REFERENCE_LIBRARIES["qq_ttx"].subprocesses) == 10


def test_foreign_library_gets_one_flat_channel(tmp_path):
    path = tmp_path / "libforeign.so"
    shutil.copy(built("gg_ttx"), path)
    (sub,) = Process.from_spec("g g > t t~", path).subprocesses
    assert len(sub.channels) == 1 and sub.channels[0].topology is None


def test_particle_count_mismatch_fails_before_any_work(tmp_path):
    path = tmp_path / "libforeign.so"
    shutil.copy(built("gg_ttx"), path)
    with pytest.raises(ProcessError, match="4 external particles.*has 5"):
        Process.from_spec("g g > t t~ g", path)


def test_mass_mismatch_fails(tmp_path):
    path = tmp_path / "libforeign.so"
    shutil.copy(built("ee_mumu"), path)
    with pytest.raises(ProcessError, match="mass"):
        Process.from_spec("e+ e- > t t~", path)


def test_a_foreign_library_needs_explicit_particles(tmp_path):
    path = tmp_path / "libforeign.so"
    shutil.copy(built("gg_ttx"), path)
    with pytest.raises(ProcessError, match="multi-particle"):
        Process.from_spec("p p > t t~", path)


def test_no_matching_subprocess_names_the_known_libraries():
    built("gg_ttx")
    with pytest.raises(ProcessError, match="no subprocess"):
        Process.from_spec("g g > mu+ mu-", "gg_ttx")


def test_pdg_masses_in_gev():
    assert pdg_mass(6) == pytest.approx(172.6, abs=1.0)
    assert pdg_mass(21) == 0.0
