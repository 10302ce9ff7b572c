"""pyumami.load(..., isolate=True): each load in its own link-map namespace, with
its own dependencies and globals. Every scenario runs in a fresh interpreter (what
a process has loaded stays loaded)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from tests.conftest import REPO, fixture_library


def run_fresh(body: str) -> dict:
    code = (
        textwrap.dedent("""
        import json, warnings
        import numpy as np
        import pyumami
        from tests._helpers import two_to_two
        p = two_to_two(16, seed=2)
        result = {}
    """)
        + textwrap.dedent(body)
        + "\nprint(json.dumps(result))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_same_named_dependencies_without_isolation_are_shared_and_warned():
    a, b = fixture_library("shared_dep_a"), fixture_library("shared_dep_b")
    result = run_fresh(f"""
        a = pyumami.load({str(a)!r})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            b = pyumami.load({str(b)!r})
        result["warnings"] = [str(w.message) for w in caught
                              if issubclass(w.category, pyumami.DependencyConflictWarning)]
        result["ratio"] = float(np.mean(a(p) / b(p)))
    """)
    assert len(result["warnings"]) == 1
    assert "libtoydep.so" in result["warnings"][0] and "isolate=True" in result["warnings"][0]
    assert result["ratio"] == 1.0  # b bound to a's dependency: the same scale


def test_same_named_dependencies_with_isolation_are_separate():
    a, b = fixture_library("shared_dep_a"), fixture_library("shared_dep_b")
    result = run_fresh(f"""
        with warnings.catch_warnings():
            warnings.simplefilter("error", pyumami.DependencyConflictWarning)
            a = pyumami.load({str(a)!r})
            b = pyumami.load({str(b)!r}, isolate=True)
        result["ratio"] = float(np.mean(a(p) / b(p)))
        result["isolated"] = [a.isolated, b.isolated]
    """)
    assert result["isolated"] == [False, True]
    assert abs(result["ratio"] - 2.0 / 3.0) < 1e-14  # scales 2 and 3, each its own


def test_one_library_twice_with_two_cards(tmp_path):
    cards = []
    for mt in (173.0, 175.0):
        card = tmp_path / f"mt{mt:g}.dat"
        card.write_text(f"Block mass\n    6 {mt:.6e} # MT\n")
        cards.append(str(card))
    path = str(fixture_library("global_card"))
    result = run_fresh(f"""
        for isolate in (False, True):
            first = pyumami.load({path!r}, {cards[0]!r}, isolate=isolate)
            before = first(p)
            second = pyumami.load({path!r}, {cards[1]!r}, isolate=isolate)
            result[str(isolate)] = {{
                "first_unchanged": bool(np.array_equal(first(p), before)),
                "masses": [first.masses[2], second.masses[2]],
                "differ": bool(not np.array_equal(first(p), second(p))),
            }}
    """)
    # without isolation the library's process-wide global holds the last card
    assert result["False"] == {"first_unchanged": False, "masses": [175.0, 175.0], "differ": False}
    assert result["True"] == {"first_unchanged": True, "masses": [173.0, 175.0], "differ": True}
