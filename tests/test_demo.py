"""The built-in default job: `make demo` / `pyumami demo`."""

import numpy as np
import pytest

import pyumami.demo
import ref_me


@pytest.mark.parametrize("process", ["gg_ttx", "ee_mumu"])
def test_demo_prints_one_row_per_event_with_the_library_values(process, capsys):
    assert pyumami.demo.main(["--process", process, "--events", "3", "--seed", "7"]) == 0
    out = capsys.readouterr().out
    assert ref_me.PROCESSES[process] in out
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    rows = [r for r in rows if len(r) >= 5 and r[0] in {"0", "1", "2"}]
    assert [r[0] for r in rows] == ["0", "1", "2"]
    me = np.array([float(r[2]) for r in rows])
    assert np.all(np.isfinite(me)) and np.all(me > 0)
    cos_theta = np.array([float(r[1]) for r in rows])
    assert np.all(np.abs(cos_theta) <= 1)
