"""Faults on a Dask cluster: a worker killed mid-run loses and duplicates no batch (the
result equals the undisturbed run bit for bit); a library failing on a worker stops the
run with an error naming the batch."""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

import ref_me  # noqa: E402
from pyumami.generation.cluster import BatchFailedError, close, connect  # noqa: E402
from pyumami.generation.generator import Generator  # noqa: E402

#: Batches large enough (~0.1-0.5 s each here) that one is in flight when the kill lands.
BATCH = 8000


@pytest.fixture(scope="module")
def client():
    client = connect("local:2")
    yield client
    close(client)


def _run(client, library="gg_ttx") -> tuple:
    gen = Generator("g g > t t~", 1000.0, libraries=library, seed=21, threads=1,
                    batch_size=BATCH, client=client)  # fmt: skip
    gen.train(2, 2000)
    integration = gen.integrate(8 * BATCH)
    events = gen.generate(400).events.to_numpy()
    return (integration.cross_section_pb, integration.error_pb,
            np.asarray(events.momenta).tobytes(), np.asarray(events.weight).tobytes())  # fmt: skip


def _batches(key) -> list[int]:
    """The batch indices of a task key (...-FIRST-COUNT)."""
    first, count = (int(part) for part in str(key).rsplit("-", 2)[1:])
    return list(range(first, first + count))


def _batches_on(client) -> dict[str, list[int]]:
    """Batch indices each worker is processing now."""
    return {
        worker: [b for key in keys if "pyumami-batch" in str(key) for b in _batches(key)]
        for worker, keys in client.processing().items()
    }


def test_a_worker_killed_mid_run_changes_nothing(client) -> None:
    undisturbed = _run(None)
    killed: dict = {}

    def kill_one_worker() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            busy = {w: b for w, b in _batches_on(client).items() if b}
            if busy:
                worker, batches = sorted(busy.items())[0]
                pid = client.run(os.getpid, workers=[worker])[worker]
                killed.update(worker=worker, batches=batches, pid=pid)
                os.kill(pid, signal.SIGKILL)
                return
            time.sleep(0.005)

    with distributed.get_task_stream(client) as stream:
        killer = threading.Thread(target=kill_one_worker)
        killer.start()
        disturbed = _run(client)
        killer.join()
    assert killed, "no batch was ever in flight on a worker"
    print(f"killed worker {killed['worker']} (pid {killed['pid']}) with batch(es) "
          f"{killed['batches']} in flight")  # fmt: skip
    assert disturbed == undisturbed
    # the batches in flight on the killed worker were finished by another worker process
    done_by = {
        index: t["worker"]
        for t in stream.data
        if "pyumami-batch" in str(t["key"]) and t.get("status") == "OK"
        for index in _batches(t["key"])
    }
    for index in killed["batches"]:
        assert index in done_by and done_by[index] != killed["worker"]


def test_a_library_failing_on_the_workers_names_the_batch(client, tmp_path: Path) -> None:
    library = tmp_path / "libref_gg_ttx.so"
    shutil.copy(Path(ref_me.library_path("gg_ttx")), library)
    gen = Generator("g g > t t~", 1000.0, libraries=str(library), seed=3, threads=1,
                    batch_size=1000, client=client)  # fmt: skip
    gen.train(1, 1000)
    # the workers will open a file that is no UMAMI library (the client keeps its mapping)
    library.unlink()
    library.write_bytes(b"not a shared object")
    start = time.monotonic()
    with pytest.raises(
        BatchFailedError, match=r"batch \d+ of run \w+ failed on the cluster: LibraryLoadError"
    ):
        gen.integrate(4000)
    assert time.monotonic() - start < 60
