"""Shared test configuration: where MadGraph's reference data and built libraries live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: ../shared beside the checkout (CI lays a copy there); PYUMAMI_SHARED overrides.
SHARED = Path(os.environ.get("PYUMAMI_SHARED", REPO.parent / "shared"))
REF_DIR = SHARED / "ref"
FIXTURE_DIR = REPO / "build" / "fixtures"


@pytest.fixture(scope="session")
def ref_dir() -> Path:
    """MadGraph's reference dumps (shared/ref); skips when absent."""
    if not REF_DIR.is_dir():
        message = f"MadGraph reference data not found at {REF_DIR} (set PYUMAMI_SHARED)"
        if os.environ.get("CI"):  # CI lays shared/ beside the clone: never pass without it
            pytest.fail(message)
        pytest.skip(message)
    return REF_DIR


def reference_library(process: str) -> Path:
    """Path of a reference library built by `make cpu-libs`; a missing one fails the test."""
    import ref_me

    try:
        return ref_me.library_path(process)
    except FileNotFoundError as exc:
        pytest.fail(
            f"reference library not built ({exc}); run `make cpu-libs` (part of `make test`)"
        )


def fixture_library(name: str) -> Path:
    """Path of a test provider built by `make fixtures` from tests/fixtures/<name>.c."""
    path = FIXTURE_DIR / f"lib{name}.so"
    if not path.is_file():
        pytest.fail(f"{path} is not built; run `make fixtures` (part of `make test`)")
    return path


@pytest.fixture(scope="module")
def gg_ttx():
    """The reference library g g -> t t~, opened once per test module."""
    import pyumami

    with pyumami.load(reference_library("gg_ttx")) as lib:
        yield lib


@pytest.fixture(scope="module")
def ee_mumu():
    """The reference library e+ e- -> mu+ mu-, opened once per test module."""
    import pyumami

    with pyumami.load(reference_library("ee_mumu")) as lib:
        yield lib
