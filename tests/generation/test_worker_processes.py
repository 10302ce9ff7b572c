"""Frozen batches on forked worker processes give the same results, bit for bit, as in
the generator's own process: the cross section, the unweighted events, the stream of
unweighted batches and the CLI's files; errors in a worker name their batch."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import pickle
from pathlib import Path

import numpy as np
import pytest

import ref_me
from pyumami.cli import main
from pyumami.errors import StatusError
from pyumami.generation import unweighting, worker_processes
from pyumami.generation.errors import BatchFailedError, SettingsError
from pyumami.generation.generator import Generator
from pyumami.generation.process import Process
from pyumami.generation.worker_processes import WorkerProcesses
from pyumami.library import MatrixElementLibrary

from .api_runs import fingerprint

pytestmark = pytest.mark.skipif(
    not worker_processes.available(), reason="worker processes need the 'fork' start method"
)


def _api_run(processes: int) -> tuple:
    with Generator("g g > t t~", 1000.0, libraries="gg_ttx", seed=11, threads=2,
                   batch_size=600, processes=processes) as gen:  # fmt: skip
        assert gen.processes == processes
        return fingerprint(gen)


def test_python_api_is_identical_with_and_without_worker_processes() -> None:
    """Integration, generate() (batches reduced in the workers against the unweighter's
    hint) and the stream of the CLI, on the same generator and the same workers."""
    reference, _ = _api_run(1)
    assert _api_run(2) == (reference, 0)


def test_batches_reduced_too_tightly_are_recomputed_with_the_same_bits(monkeypatch) -> None:
    """With the floor at W itself and no margin on the summed weight, a batch reduced in a
    worker often misses what its unweighting needs (W moved meanwhile); the generator then
    computes it whole itself, and nothing changes. (The workers are forked with the
    generator, after the patch, so they reduce with it too.)"""
    reference, _ = _api_run(1)
    monkeypatch.setattr(unweighting, "FLOOR_SHARE", 1.0)
    monkeypatch.setattr(unweighting, "TOTAL_MARGIN", 0.01)
    result, recomputed = _api_run(2)
    assert result == reference
    assert recomputed > 0


RUN = ["generate", "--library", "gg_ttx", "--pdf", "none", "--sqrt-s", "1000",
       "--iterations", "2", "--train-batch", "2000", "--integration-events", "4000",
       "--batch-size", "1000", "--events", "300", "--seed", "5", "--threads", "2", "--json",
       "--hist", "pt(t):20:0:500"]  # fmt: skip
SAME_FILES = ["events.npy", "momenta.npy", "indices.npy", "histograms/weighted.npz",
              "histograms/unweighted.npz", "histograms/weighted.json"]  # fmt: skip


def test_cli_outputs_are_identical_with_and_without_worker_processes(tmp_path, capsys) -> None:
    runs = {}
    for processes in (1, 2):
        out = tmp_path / f"p{processes}"
        assert main([*RUN, "--processes", str(processes), "--out", str(out)]) == 0
        summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        lhe = (out / "events.lhe").read_text()  # from <init> on: the header has the card
        files = {name: (out / name).read_bytes() for name in SAME_FILES}
        files["lhe"] = lhe[lhe.index("<init>") :].encode()
        runs[processes] = summary, {k: hashlib.sha256(v).hexdigest() for k, v in files.items()}
    assert runs[2][1] == runs[1][1]
    for key in ("cross_section_pb", "error_pb", "events", "n_weighted", "max_weight_pb"):
        assert runs[2][0][key] == runs[1][0][key], key
    assert runs[1][0]["events"] == 300


@pytest.fixture
def frozen():
    gen = Generator("g g > t t~", 1000.0, libraries="gg_ttx", seed=3, threads=1, processes=1)
    gen.train(1, 1000)
    gen.integrand.freeze()
    yield gen.integrand
    gen.close()


def test_a_closed_stream_leaves_the_workers_ready_for_the_next_one(frozen) -> None:
    """Closing a stream with batches still queued: the workers skip those, and the next
    stream, from any batch index, gets exactly its own batches."""
    direct = {i: frozen.sample(3, i, 500).events.weight for i in (40, 41)}
    with WorkerProcesses(frozen, 2) as pool:
        first = pool.samples(3, 0, [500] * 50)
        assert next(first)[0] == 0
        first.close()
        got = dict(pool.samples(3, 40, [500, 500]))
    assert sorted(got) == [40, 41]
    for i, sample in got.items():
        assert np.array_equal(sample.events.weight, direct[i])


def _refuse() -> None:
    raise TypeError("this part cannot be rebuilt")


class _Unloadable:
    def __reduce__(self) -> tuple:
        return (_refuse, ())


class _Unpicklable(RuntimeError):
    """An error that pickles but does not unpickle (whatever pickling support for
    exceptions is installed: the part it carries refuses)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.part = _Unloadable()


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (StatusError("umami_matrix_element", 1), "StatusError: umami_matrix_element returned"),
        (_Unpicklable("odd failure"), "_Unpicklable: odd failure"),
    ],
)
def test_a_library_failing_in_a_worker_names_its_batch(frozen, monkeypatch, error, text) -> None:
    with pytest.raises(TypeError):  # (the second case is what it claims to be)
        if isinstance(error, _Unpicklable):
            pickle.loads(pickle.dumps(error))
        else:
            raise TypeError
    evaluate = MatrixElementLibrary.evaluate

    def failing(self, *args, **kwargs):
        if multiprocessing.parent_process() is not None:  # in a worker only
            raise error
        return evaluate(self, *args, **kwargs)

    monkeypatch.setattr(MatrixElementLibrary, "evaluate", failing)
    with WorkerProcesses(frozen, 2) as pool, pytest.raises(BatchFailedError) as caught:
        list(pool.samples(3, 7, [500]))
    assert f"batch 7 failed in a worker process: {text}" in str(caught.value)


def test_settings_of_worker_processes() -> None:
    with pytest.raises(SettingsError, match="processes must be >= 1"):
        Generator("g g > t t~", 1000.0, libraries="gg_ttx", threads=1, processes=0)
    with Generator("g g > t t~", 1000.0, libraries="gg_ttx", threads=1) as one_thread:
        assert one_thread.processes == 1  # one per library thread by default
    with pytest.raises(ValueError, match=">= 1"):
        WorkerProcesses(None, 0)  # type: ignore[arg-type]


def test_close_stops_the_workers(frozen) -> None:
    before = set(multiprocessing.active_children())
    pool = WorkerProcesses(frozen, 2)
    assert next(pool.samples(3, 0, [100]))[0] == 0
    children = set(multiprocessing.active_children()) - before
    assert len(children) == 2
    pool.close()
    assert not any(child.is_alive() for child in children)


def test_a_library_the_workers_cannot_open_fails_every_batch_with_its_error(tmp_path):
    """The workers reopen the frozen integrand's libraries as they start (forked, they
    share the generator's loaded code, not its UMAMI instances); where that fails (here
    the param card was deleted after the generator opened the library), each batch
    reports the library's error with the batch named."""
    card = tmp_path / "param_card.dat"
    card.write_text((Path(ref_me.__file__).parent / "cards" / "param_card.dat").read_text())
    process = Process.from_spec("g g > t t~", "gg_ttx", threads=2, param_card=card)
    gen = Generator(process, 1000.0, seed=3, batch_size=500, processes=2)
    gen.train(1, 500)
    card.unlink()
    with gen, pytest.raises(BatchFailedError, match=r"batch 1 failed in a worker process: .*"
                            r"param card .* does not exist"):  # fmt: skip
        gen.integrate(2000)
