"""A library's first batch is the user's: capabilities are probed only when
needed, and then on generic physical points (tests/fixtures/helicity_filter.c
fixes its helicities from the first batch it sees, like MadGraph's CUDACPP)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tests._helpers import mandelstam, two_to_two
from tests.conftest import REPO, fixture_library


def expected(p: np.ndarray) -> np.ndarray:
    """The fixture's |M|^2 with both helicities: T (1 + p3y^2 / |p3|^2)."""
    s, t, u = mandelstam(p)
    toy = (t**2 + u**2) / s**2
    return toy * (1.0 + p[:, 2, 2] ** 2 / np.sum(p[:, 2, 1:] ** 2, axis=1))


def run_fresh(first: str) -> np.ndarray:
    """|M|^2 of two_to_two(64, seed=5) in a fresh interpreter (the filter is
    process-wide), after running ``first`` on the loaded ``lib``."""
    code = textwrap.dedent(f"""
        import json, pyumami
        from tests._helpers import two_to_two
        lib = pyumami.load({str(fixture_library("helicity_filter"))!r}, threads=1)
        {first}
        print(json.dumps(lib(two_to_two(64, seed=5)).tolist()))
    """)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return np.array(json.loads(result.stdout))


@pytest.mark.parametrize("first", ["pass", "lib.supported_inputs", "lib.describe()"])
def test_answers_stay_right_whatever_comes_first(first):
    np.testing.assert_allclose(run_fresh(first), expected(two_to_two(64, seed=5)), rtol=1e-13)


def test_load_makes_no_matrix_element_call(monkeypatch):
    import pyumami
    from pyumami import introspection

    calls = []
    real = introspection.call_matrix_element
    monkeypatch.setattr(
        introspection, "call_matrix_element", lambda *args: calls.append(args[2]) or real(*args)
    )
    with pyumami.load(fixture_library("old_numbering"), threads=1) as lib:
        assert calls == []
        lib(two_to_two(100))
        assert calls == [100]  # the user's batch, nothing before it
        assert lib.capabilities_source == "probed"
        assert len(calls) > 1 and set(calls[1:]) == {introspection.TRIAL_EVENTS}
