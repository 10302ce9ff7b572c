"""`pyumami.param_card`: reading MadGraph's SLHA cards and writing scaled copies."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

import ref_me
from pyumami.param_card import (
    CardEntry,
    parameter_names,
    parse_param_card,
    read_param_card,
    scaled_param_card,
)

CARD = ref_me.default_param_card().read_text()


def test_default_card_entries_and_names():
    entries = read_param_card(ref_me.default_param_card())
    by_name = {e.name: e for e in entries if e.name}
    assert by_name["MT"] == CardEntry("MASS", (6,), 173.0, "MT", by_name["MT"].line)
    assert (
        by_name["WT"].block == "DECAY"
        and by_name["WT"].key == (6,)
        and by_name["WT"].value == 1.4915
    )
    assert by_name["aS"].block == "SMINPUTS" and by_name["aS"].value == 0.118
    names = parameter_names(entries)
    assert {"MT", "WT", "MZ", "aS", "aEWM1", "Gf"} <= set(names) and len(names) == len(set(names))
    # "21 0.0 # g : 0.0" documents a dependent value: an entry, but no parameter name
    gluon = [e for e in entries if e.block == "MASS" and e.key == (21,)]
    assert gluon and gluon[0].name is None


def test_branching_ratios_belong_to_their_decay_table():
    text = "Block mass\n  6 1.73e2 # MT\nDECAY 6 1.5 # WT\n  1.0 2 5 24 # BR(t -> b w+)\n"
    entries = parse_param_card(text)
    assert [(e.block, e.key, e.name) for e in entries] == [
        ("MASS", (6,), "MT"),
        ("DECAY", (6,), "WT"),
        ("DECAY 6", (2, 5, 24), None),
    ]


@settings(max_examples=25, deadline=None)
@given(factor=st.floats(0.5, 2.0))
def test_scaling_touches_masses_and_widths_only(factor):
    before = parse_param_card(CARD)
    after = parse_param_card(scaled_param_card(CARD, factor))
    assert [(e.block, e.key, e.name, e.line) for e in after] == [
        (e.block, e.key, e.name, e.line) for e in before
    ]
    for old, new in zip(before, after, strict=True):
        expected = old.value * factor if old.block in ("MASS", "DECAY") else old.value
        assert math.isclose(new.value, expected, rel_tol=1e-10)
    # comments and every other line unchanged
    comments = [line.partition("#")[2] for line in CARD.splitlines()]
    assert [
        line.partition("#")[2] for line in scaled_param_card(CARD, factor).splitlines()
    ] == comments
