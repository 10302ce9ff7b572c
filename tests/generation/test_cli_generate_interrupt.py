"""Ctrl-C and a failing library call in the middle of `pyumami generate`: the outputs
hold every completed batch and stay readable, and the message says so, whether the
batches are computed in the run's own process or in worker processes."""

from __future__ import annotations

import multiprocessing

import numpy as np
import pylhe
import pytest

from pyumami.cli import main
from pyumami.errors import StatusError
from pyumami.generation.integrand import Integrand
from pyumami.generation.lhe import LheWriter
from pyumami.library import MatrixElementLibrary

ARGS = ["generate", "--library", "gg_ttx", "--pdf", "none", "--sqrt-s", "1000", "--events", "3000",
        "--iterations", "1", "--train-batch", "1000", "--integration-events", "2000",
        "--batch-size", "1000"]  # fmt: skip
ONE_PROCESS = ["--processes", "1"]
WORKERS = ["--threads", "2", "--processes", "2"]


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
    assert main([*ARGS, *ONE_PROCESS, "--out", str(out)]) == status
    err = capsys.readouterr().err
    assert message in err and "valid up to the last completed batch" in err
    _assert_valid_outputs(out, err)


def test_ctrl_c_with_worker_processes_keeps_the_written_batches(tmp_path, capsys, monkeypatch):
    """Ctrl-C reaches the run's process (the workers ignore it): the stream stops, the
    workers drop the batches still queued, and the outputs hold what was written."""
    write = LheWriter.write
    state = {"written": False}

    def writing(self, batch):
        if state["written"]:
            raise KeyboardInterrupt
        write(self, batch)
        state["written"] = True

    monkeypatch.setattr(LheWriter, "write", writing)
    out = tmp_path / "run"
    assert main([*ARGS, *WORKERS, "--out", str(out)]) == 130
    err = capsys.readouterr().err
    assert "interrupted" in err and "valid up to the last completed batch" in err
    _assert_valid_outputs(out, err)


def test_a_library_failing_in_a_worker_process_names_the_batch(tmp_path, capsys, monkeypatch):
    """The library raises in a worker process from batch 5 on (batch 0 trains, 1-2
    integrate, 3-4 are the first generation batches, written before the failure is
    met): the run stops there with the batch named."""
    sample = Integrand.sample

    def sampling(self, seed, batch_index, *args, **kwargs):
        if multiprocessing.parent_process() is not None and batch_index >= 5:
            raise StatusError("umami_matrix_element", 1)
        return sample(self, seed, batch_index, *args, **kwargs)

    monkeypatch.setattr(Integrand, "sample", sampling)  # (the workers fork with it)
    out = tmp_path / "run"
    assert main([*ARGS, *WORKERS, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "batch 5 failed in a worker process: StatusError" in err
    assert "valid up to the last completed batch" in err
    _assert_valid_outputs(out, err)


def _assert_valid_outputs(out, err: str) -> None:
    events = list(pylhe.LHEFile.fromfile(out / "events.lhe", generator=False).events)
    assert 0 < len(events) < 3000
    assert f"{len(events)} unweighted events written" in err
    assert np.load(out / "events.npy").shape == (len(events),)
    assert np.load(out / "momenta.npy").shape == (len(events), 4, 4)
    assert (out / "histograms" / "unweighted.json").is_file()
