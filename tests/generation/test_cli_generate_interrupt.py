"""Ctrl-C and a failing library call in the middle of `pyumami generate`: the outputs
hold every completed batch and stay readable, and the message says so."""

from __future__ import annotations

import numpy as np
import pylhe
import pytest

from pyumami.cli import main
from pyumami.errors import StatusError
from pyumami.generation.lhe import LheWriter
from pyumami.library import MatrixElementLibrary

ARGS = ["generate", "--library", "gg_ttx", "--pdf", "none", "--sqrt-s", "1000", "--events", "3000",
        "--iterations", "1", "--train-batch", "1000", "--integration-events", "2000",
        "--batch-size", "1000"]  # fmt: skip


def _fail_after_first_batch_written(monkeypatch, error: BaseException) -> None:
    """The first library call after the first batch of events reached the LHE file raises."""
    state = {"written": False}
    write, evaluate = LheWriter.write, MatrixElementLibrary.evaluate

    def writing(self, batch):
        write(self, batch)
        state["written"] = True

    def evaluating(self, *args, **kwargs):
        if state["written"]:
            raise error
        return evaluate(self, *args, **kwargs)

    monkeypatch.setattr(LheWriter, "write", writing)
    monkeypatch.setattr(MatrixElementLibrary, "evaluate", evaluating)


@pytest.mark.parametrize(
    ("error", "status", "message"),
    [
        (KeyboardInterrupt(), 130, "interrupted"),
        (StatusError("umami_matrix_element", 1), 1, "library failed"),
    ],
)
def test_outputs_are_valid_up_to_the_last_completed_batch(
    tmp_path, capsys, monkeypatch, error, status, message
) -> None:
    _fail_after_first_batch_written(monkeypatch, error)
    out = tmp_path / "run"
    assert main([*ARGS, "--out", str(out)]) == status
    err = capsys.readouterr().err
    assert message in err and "valid up to the last completed batch" in err
    events = list(pylhe.LHEFile.fromfile(out / "events.lhe", generator=False).events)
    assert 0 < len(events) < 3000
    assert f"{len(events)} unweighted events written" in err
    assert np.load(out / "events.npy").shape == (len(events),)
    assert np.load(out / "momenta.npy").shape == (len(events), 4, 4)
    assert (out / "histograms" / "unweighted.json").is_file()
