"""Run cards: TOML round trip of every setting, unknown keys and wrong types refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyumami.generation.runcard import RunCard, RunCardError, load_run_card

text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)
cards = st.builds(
    RunCard,
    library=text,
    process=st.none() | text,
    sqrt_s=st.floats(1.0, 1e5),
    events=st.integers(1, 10**9),
    out=text,
    pdf=text,
    alpha_s=st.none() | st.floats(0.01, 0.5),
    scale=st.none() | text,
    cuts=st.lists(text, max_size=3),
    histograms=st.lists(text, max_size=3),
    seed=st.integers(0, 2**63 - 1),
    threads=st.none() | st.integers(1, 64),
    single_channel=st.booleans(),
    param_card=st.none() | text,
    overweight_fraction=st.floats(0.0, 1.0),
    iterations=st.integers(0, 100),
    train_batch=st.integers(1, 10**7),
    integration_events=st.integers(2, 10**9),
    batch_size=st.integers(1, 10**7),
    json=st.booleans(),
)


@settings(max_examples=50, deadline=None)
@given(cards)
def test_every_setting_round_trips_through_toml(tmp_path_factory, card) -> None:
    directory = tmp_path_factory.mktemp("card")
    assert load_run_card(card.write(directory)) == card


def test_card_values_are_overridden_and_checked(tmp_path) -> None:
    path = tmp_path / "run.toml"
    path.write_text('library = "gg_ttx"\nsqrt_s = 1000\ncuts = ["pt(t) > 20"]\n')
    card = load_run_card(path)
    assert card.sqrt_s == 1000.0 and isinstance(card.sqrt_s, float) and card.events == 10000
    assert card.updated({"events": 50, "pdf": None}, "cli").events == 50
    path.write_text("sqrt_S = 1000\n")
    with pytest.raises(RunCardError, match="unknown setting 'sqrt_S'.*sqrt_s"):
        load_run_card(path)
    path.write_text('events = "many"\n')
    with pytest.raises(RunCardError, match="events must be int"):
        load_run_card(path)
    path.write_text("events = \n")
    with pytest.raises(RunCardError, match="not valid TOML"):
        load_run_card(path)
    with pytest.raises(RunCardError, match="does not exist"):
        load_run_card(tmp_path / "missing.toml")


def test_the_demo_card_is_a_valid_run_card() -> None:
    from tests.conftest import REPO

    card = load_run_card(REPO / "examples" / "pp_ttx_13tev.toml")
    assert card.process == "p p > t t~" and card.events == 10000 and card.sqrt_s == 13000.0
