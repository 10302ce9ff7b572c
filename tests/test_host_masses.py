"""Masses: given at load for libraries that do not answer MASSES (MadGraph's
CUDACPP), and read again from libraries whose MASSES follow the card and
set_parameter (tests/fixtures/global_card.c)."""

from __future__ import annotations

import numpy as np
import pytest

import pyumami
from tests._helpers import two_to_two
from tests.conftest import fixture_library


def card_with_mt(tmp_path, mt: float):
    card = tmp_path / f"card_mt_{mt:g}.dat"
    card.write_text(f"Block mass\n    6 {mt:.6e} # MT\n")
    return card


def test_masses_given_for_a_library_without_masses():
    # old_numbering is MadGraph-like: old numbering, no MASSES, no capability queries
    with pyumami.load(fixture_library("old_numbering")) as lib:
        assert lib.masses is None
    with pyumami.load(fixture_library("old_numbering"), masses=[0, 0, 0, 0]) as lib:
        assert lib.masses == (0.0, 0.0, 0.0, 0.0)
        assert lib.describe()["masses"] == [0.0, 0.0, 0.0, 0.0]
        assert np.all(np.isfinite(lib(two_to_two(8))))


@pytest.mark.parametrize("masses", [(0, 0, 0), (0, 0, -1, 0), (0, 0, float("nan"), 0)])
def test_bad_masses_are_refused(masses):
    with pytest.raises(ValueError, match="masses must be 4 finite values >= 0"):
        pyumami.load(fixture_library("old_numbering"), masses=masses)


def test_given_masses_that_differ_from_the_library_warn(tmp_path):
    with pytest.warns(UserWarning, match="differ from the library's MASSES"):
        lib = pyumami.load(fixture_library("global_card"), masses=(0, 0, 100, 100))
    with lib:
        assert lib.masses == (0.0, 0.0, 100.0, 100.0)


def test_masses_follow_the_card_and_set_parameter(tmp_path):
    with pyumami.load(fixture_library("global_card"), card_with_mt(tmp_path, 175.0)) as lib:
        assert lib.masses == (0.0, 0.0, 175.0, 175.0)
        lib.set_parameter("MT", 180.0)
        assert lib.masses == (0.0, 0.0, 180.0, 180.0)
    with pyumami.load(fixture_library("global_card")) as lib:  # NULL card: the default
        assert lib.masses == (0.0, 0.0, 173.0, 173.0)
