"""Fixtures shared by the generation tests."""

from __future__ import annotations

import pytest

import pyumami
import ref_me


@pytest.fixture(scope="module")
def gg_ttx():
    """g g -> t t~ on one library thread (the tests run their own batches), per module."""
    with pyumami.load(ref_me.library_path("gg_ttx"), threads=1) as lib:
        yield lib
