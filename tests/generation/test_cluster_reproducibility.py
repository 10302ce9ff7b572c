"""Generation on a Dask cluster gives the same results, bit for bit, as without one:
the cross section, the histograms and the event files for 0, 1 and 2 worker processes."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

from pyumami.cli import main  # noqa: E402
from pyumami.generation import cluster, unweighting  # noqa: E402
from pyumami.generation.cluster import (  # noqa: E402
    LIBRARY_THREADS_ENV,
    ClusterSpecError,
    _library_threads,
    _threads_on_host,
    close,
    connect,
)
from pyumami.generation.errors import SettingsError  # noqa: E402
from pyumami.generation.generator import Generator  # noqa: E402

from .api_runs import fingerprint  # noqa: E402

#: A small g g -> t t~ run at fixed energy: 2 training iterations, 4 integration batches,
#: unweighting over several batches (each batch a task on the cluster).
RUN = ["--library", "gg_ttx", "--pdf", "none", "--sqrt-s", "1000", "--iterations", "2",
       "--train-batch", "2000", "--integration-events", "4000", "--batch-size", "1000",
       "--events", "300", "--seed", "5", "--threads", "1", "--json",
       "--hist", "pt(t):20:0:500"]  # fmt: skip
#: Files that must be byte-identical (the LHE file is compared from <init> on: its
#: header holds the run card, which records the --cluster setting).
SAME_FILES = ["events.npy", "momenta.npy", "indices.npy", "histograms/weighted.npz",
              "histograms/unweighted.npz", "histograms/weighted.json"]  # fmt: skip


@pytest.fixture(scope="module")
def clients():
    one, two = connect("local:1", library_threads=1), connect("local:2")
    yield {1: one, 2: two}
    close(one)
    close(two)


def _digest(path: Path) -> str:
    if path.suffix == ".lhe":
        text = path.read_text()
        return hashlib.sha256(text[text.index("<init>") :].encode()).hexdigest()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _generate(tmp_path: Path, capsys, client) -> tuple[dict, dict[str, str]]:
    out = tmp_path / ("local" if client is None else f"workers{len(client.nthreads())}")
    cluster = [] if client is None else ["--cluster", client.scheduler.address]
    assert main(["generate", *RUN, "--out", str(out), *cluster]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    digests = {name: _digest(out / name) for name in [*SAME_FILES, "events.lhe"]}
    return summary, digests


def test_cli_outputs_are_identical_for_0_1_2_workers(clients, tmp_path, capsys) -> None:
    runs = {n: _generate(tmp_path, capsys, clients.get(n)) for n in (0, 1, 2)}
    for n in (1, 2):
        print(f"workers {n}: " + " ".join(f"{k}={v[:12]}" for k, v in runs[n][1].items()))
        assert runs[n][1] == runs[0][1]
        for key in ("cross_section_pb", "error_pb", "events", "n_weighted", "max_weight_pb"):
            assert runs[n][0][key] == runs[0][0][key], key
    assert runs[0][0]["events"] == 300


def _api_run(client) -> tuple:
    return fingerprint(Generator("g g > t t~", 1000.0, libraries="gg_ttx", seed=11, threads=1,
                                 batch_size=600, client=client))  # fmt: skip


@pytest.mark.parametrize("task_events", [1, cluster.TASK_EVENTS])
def test_python_api_is_identical_with_and_without_a_client(
    clients, monkeypatch, task_events
) -> None:
    """One batch per task, or as many as a task takes by default (all of them here)."""
    reference, _ = _api_run(None)
    monkeypatch.setattr(cluster, "TASK_EVENTS", task_events)
    assert _api_run(clients[2]) == (reference, 0)


def test_batches_reduced_too_tightly_are_recomputed_with_the_same_bits(
    clients, monkeypatch
) -> None:
    """With the floor at W itself and no margin on the summed weight, a batch reduced on a
    worker often misses events or weights its unweighting needs (W moved meanwhile); the
    client then computes it whole, and nothing changes."""
    reference, _ = _api_run(None)
    monkeypatch.setattr(cluster, "TASK_EVENTS", 1)  # every batch reduced against its hint
    monkeypatch.setattr(unweighting, "FLOOR_SHARE", 1.0)
    monkeypatch.setattr(unweighting, "TOTAL_MARGIN", 0.01)
    result, recomputed = _api_run(clients[2])
    assert result == reference
    assert recomputed > 0


@pytest.mark.parametrize("spec", ["local:0", "local:x", "cluster-host:8786"])
def test_a_malformed_cluster_spec_is_refused(spec) -> None:
    with pytest.raises(ClusterSpecError, match="local:N"):
        connect(spec)


def test_cli_refuses_a_bad_cluster_before_any_work(tmp_path, capsys) -> None:
    status = main(["generate", *RUN, "--out", str(tmp_path / "x"), "--cluster", "local:zero"])
    assert status == 2
    assert "--cluster" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def _threads_in_tasks(client) -> set[int]:
    """The library threads a task on each worker of ``client`` would use."""
    hosts = _threads_on_host(client)
    return {
        client.submit(_library_threads, hosts, workers=[worker], pure=False).result()
        for worker in client.nthreads()
    }


def test_local_workers_run_one_batch_each_and_split_the_cores(clients) -> None:
    for client in clients.values():
        assert set(client.nthreads().values()) == {1}
    assert _threads_in_tasks(clients[2]) == {max(1, (os.cpu_count() or 1) // 2)}
    # local:1 was started with library_threads=1: the variable reaches the worker
    assert _threads_in_tasks(clients[1]) == {1}


def test_library_threads_follow_the_environment(monkeypatch) -> None:
    monkeypatch.delenv(LIBRARY_THREADS_ENV, raising=False)
    assert _library_threads({}) == max(1, os.cpu_count() or 1)  # not on a worker
    monkeypatch.setenv(LIBRARY_THREADS_ENV, "3")
    assert _library_threads({"127.0.0.1": 8}) == 3
    monkeypatch.setenv(LIBRARY_THREADS_ENV, "two")
    with pytest.raises(SettingsError, match=LIBRARY_THREADS_ENV):
        _library_threads({})


def test_library_threads_below_one_are_refused() -> None:
    with pytest.raises(ClusterSpecError, match="library_threads"):
        connect("local:1", library_threads=0)
