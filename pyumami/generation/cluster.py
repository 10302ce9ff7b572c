"""Frozen batches on a Dask cluster, with results that do not depend on the cluster.

Training stays on the client (a few batches, each needing the previous grid). Once
the grids and sampling fractions are frozen, the :class:`~.integrand.Integrand` is
pickled once, its UMAMI libraries replaced by references (path, param card), and
held on the cluster by one task that the production tasks depend on (Dask copies it
to each worker once). A production task computes consecutive batches ``(run id, seed,
first batch index, sizes) -> [EventBatch or ReducedBatch]``, at least TASK_EVENTS
weighted events; each worker process rebuilds the integrand once per run and opens
each library once per process (module-level caches below), never per task.

A batch is a function of (seed, batch index) and the frozen state only, and the
client consumes the results in batch-index order, so the cross section, the
histograms, the maximum-weight estimate, the unweighted events and the files the
client writes are the same, bit for bit, with no cluster, one worker or many. A task
lost with its worker is recomputed by Dask from the same inputs (same result); a
task that raises (a failing library) stops the run with :class:`BatchFailedError`
naming the batch.

Cluster specs (:func:`connect`): ``local:N`` starts a ``LocalCluster`` of N worker
processes (one Dask thread each: a batch's phase space is many small NumPy calls that
hold the GIL, so batches scale over processes, not threads; the library of each worker
uses its share of the host's cores, or ``PYUMAMI_LIBRARY_THREADS``);
``tcp://HOST:PORT`` attaches to a running scheduler.
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Generator, Iterable
from typing import Any

from .errors import BatchFailedError, SettingsError
from .integrand import Integrand, WeightedSample
from .shipping import BATCH_NOTE, dumps, loads, shipped_batch
from .unweighting import ReducedBatch, ReductionHint

__all__ = ["BatchFailedError", "ClusterSpecError", "cluster_samples", "connect", "dashboard_link"]

#: Seconds :func:`connect` waits for the first worker of a scheduler.
WORKER_TIMEOUT_S = 60.0
#: Tasks submitted per worker thread: a thread finishing a task finds the next one
#: already there while its result travels to the client and the client submits a
#: replacement; few enough that the batches computed ahead and cancelled at the end
#: waste little.
TASKS_PER_THREAD = 2
#: Weighted events a task computes at least: consecutive batches are grouped into one
#: task until it holds this many (each still its own batch, with its own random stream:
#: the batch size defines the sample, the grouping does not), so that Dask's cost per
#: task (5-10 ms of client CPU, docs/cluster.md) stays small against the task's work
#: (~0.3 s for g g -> t t~ at 1.4 us per event) whatever the batch size.
TASK_EVENTS = 200_000
#: Dask threads of each ``local:N`` worker process.
LOCAL_THREADS_PER_WORKER = 1
#: Environment variable that fixes the threads of a worker's library (default: the
#: host's cores over the Dask threads of the workers on that host).
LIBRARY_THREADS_ENV = "PYUMAMI_LIBRARY_THREADS"
#: Integrands kept per worker process (one per run; old runs are dropped).
_CACHED_RUNS = 4

# Worker-process cache of the frozen integrands by run id (module level, so it lives as
# long as the worker process; shipping.py keeps the libraries).
_INTEGRANDS: OrderedDict[str, Integrand] = OrderedDict()


class ClusterSpecError(SettingsError):
    """A cluster spec that is neither ``local:N`` nor a scheduler address, or a
    scheduler that cannot be reached."""


def connect(spec: str, library_threads: int | None = None) -> Any:
    """A ``dask.distributed.Client`` for ``spec``, fetching results straight from the
    workers (``direct_to_workers``: through the scheduler, every result would cross it
    twice, and the scheduler would carry all the run's data).

    Args:
        spec: ``local:N`` (a LocalCluster of N worker processes, LOCAL_THREADS_PER_WORKER
            Dask thread each, on this machine; closing the client closes the cluster) or a
            scheduler address ``tcp://HOST:PORT`` (started with ``dask scheduler``).
        library_threads: threads of each local worker's library (sets
            LIBRARY_THREADS_ENV in the workers); default: the cores over N. Workers
            started by hand take the variable from their environment.

    Raises:
        ClusterSpecError: a malformed spec, or no worker within WORKER_TIMEOUT_S.
    """
    from distributed import Client, LocalCluster

    text = spec.strip()
    if text.startswith("local:"):
        count = text.removeprefix("local:")
        if not count.isdigit() or int(count) < 1:
            raise ClusterSpecError(
                f"cluster spec {spec!r}: local:N needs a worker count N >= 1, e.g. local:2"
            )
        if library_threads is not None and library_threads < 1:
            raise ClusterSpecError(f"library_threads must be >= 1 (got {library_threads})")
        env = {} if library_threads is None else {LIBRARY_THREADS_ENV: str(library_threads)}
        cluster = LocalCluster(
            n_workers=int(count),
            threads_per_worker=LOCAL_THREADS_PER_WORKER,
            processes=True,
            dashboard_address=":0",  # a free port: several runs may share the machine
            silence_logs=logging.ERROR,
            env=env,
        )
        return Client(cluster, direct_to_workers=True)
    if "://" not in text:
        raise ClusterSpecError(
            f"cluster spec {spec!r}: use local:N (N worker processes here) or the address "
            "of a running scheduler, tcp://HOST:PORT"
        )
    try:
        client = Client(text, timeout=WORKER_TIMEOUT_S, direct_to_workers=True)
        client.wait_for_workers(1, timeout=WORKER_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        raise ClusterSpecError(
            f"cluster {text}: no scheduler with a worker reachable within "
            f"{WORKER_TIMEOUT_S:g} s ({exc}); start `dask scheduler` and `dask worker {text}`"
        ) from None
    return client


def close(client: Any) -> None:
    """Close a client of :func:`connect`, and the LocalCluster it started (a scheduler
    given by address keeps running)."""
    cluster = client.cluster
    client.close()
    if cluster is not None:
        cluster.close()


def dashboard_link(client: Any) -> str | None:
    """The dashboard address of the client's scheduler, or None without a dashboard
    (e.g. bokeh is not installed)."""
    try:
        services = client.scheduler_info().get("services", {})
    except (OSError, AttributeError):
        return None
    return client.dashboard_link if "dashboard" in services else None


# ------------------------------------------------------------------ workers
def _worker_integrand(run_id: str, payload: bytes, threads_on_host: dict[str, int]) -> Integrand:
    integrand = _INTEGRANDS.get(run_id)
    if integrand is None:
        integrand = loads(payload, _library_threads(threads_on_host))
        _INTEGRANDS[run_id] = integrand
        while len(_INTEGRANDS) > _CACHED_RUNS:
            _INTEGRANDS.popitem(last=False)
    return integrand


def _library_threads(threads_on_host: dict[str, int]) -> int:
    """Threads of this worker's library: LIBRARY_THREADS_ENV if set, else the host's
    cores over the Dask threads of all workers on the host (1 Dask thread outside a
    worker, or on a host that joined after the run started)."""
    fixed = os.environ.get(LIBRARY_THREADS_ENV)
    if fixed:
        if not fixed.isdigit() or int(fixed) < 1:
            raise SettingsError(
                f"{LIBRARY_THREADS_ENV}={fixed!r} on a worker: set a whole number >= 1"
            )
        return int(fixed)
    try:
        from distributed import get_worker

        host = _host(get_worker().address)
    except ValueError:
        return max(1, os.cpu_count() or 1)
    return max(1, (os.cpu_count() or 1) // threads_on_host.get(host, 1))


def _host(address: str) -> str:
    return address.rsplit(":", 1)[0].split("://")[-1]


def _sample_batches(
    run_id: str,
    payload: bytes,
    threads_on_host: dict[str, int],
    seed: int,
    first: int,
    sizes: list[int],
    hint: ReductionHint | None,
) -> list[WeightedSample | ReducedBatch]:
    """The task: weighted batches ``first, first + 1, ...`` of ``sizes`` events on the
    host, without the training arrays, or reduced against ``hint`` (only what the
    client's unweighting can need travels). An error names the batch it came from."""
    try:  # (the integrand is built, and its libraries opened, once per process)
        integrand = _worker_integrand(run_id, payload, threads_on_host)
    except Exception as exc:
        exc.add_note(f"{BATCH_NOTE}{first}")
        raise
    return [shipped_batch(integrand, seed, index, n, hint) for index, n in enumerate(sizes, first)]


def _frozen_state(payload: bytes) -> bytes:
    """The task holding the frozen integrand's pickle on the cluster."""
    return payload


# ------------------------------------------------------------------ the client
def _threads_on_host(client: Any) -> dict[str, int]:
    """Dask threads of all workers, per host."""
    threads: Counter[str] = Counter()
    for address, count in client.nthreads().items():
        threads[_host(address)] += count
    return dict(threads)


def cluster_samples(
    client: Any,
    integrand: Integrand,
    seed: int,
    first_index: int,
    sizes: Iterable[int],
    progress: bool = False,
    reduction: Callable[[int], ReductionHint] | None = None,
) -> Generator[tuple[int, WeightedSample | ReducedBatch], None, None]:
    """(batch index, weighted sample) for batches ``first_index, first_index + 1, ...``
    of the frozen ``integrand``, computed on the cluster of ``client`` and yielded in
    batch-index order (a batch that finishes early waits for its predecessors).

    The samples hold the events (NumPy) but not the training arrays (``r`` and
    ``channel_integrand`` are empty); with ``reduction``, each batch is instead reduced
    on its worker (:func:`~.unweighting.reduce_batch`) against ``reduction(ahead)``,
    asked when the batch is submitted, ``ahead`` batches before it is consumed.
    Closing the iterator cancels the batches still in flight.

    Raises:
        BatchFailedError: a batch raised on its worker, or killed its workers.
    """
    from distributed import as_completed

    integrand.freeze()
    payload = dumps(integrand)
    run_id = hashlib.sha256(payload).hexdigest()[:16]
    # a task, not scattered data: the scheduler keeps its input and recomputes it when
    # the worker holding it dies (scattered data, even broadcast, is lost with its last
    # holder, and Dask's memory manager drops the extra copies of a broadcast)
    # keys unique to this call: closing a stream cancels its keys asynchronously, and
    # a later stream of the same run (the generation after the integration) submitting
    # a batch under the same key would see that cancellation land on its own task
    call = uuid.uuid4().hex
    shared = client.submit(
        _frozen_state, payload, key=f"pyumami-frozen-{run_id}-{call}", pure=False
    )
    hosts = _threads_on_host(client)
    window = TASKS_PER_THREAD * max(1, sum(hosts.values()))
    todo = iter(sizes)
    pending: dict[int, Any] = {}  # by the first batch of the task
    unconsumed: deque[range] = deque()  # the batches of tasks not yet all consumed
    done: dict[int, WeightedSample | ReducedBatch] = {}
    next_index = upcoming = first_index
    # (not with_results=True: its fetches on the event loop raced the client's other
    # writes under load, an AssertionError in tornado that left the run waiting forever)
    completed = as_completed()
    bar = _batch_bar(progress)

    def submit() -> None:
        nonlocal upcoming
        group: list[int] = []
        while sum(group) < TASK_EVENTS and (size := next(todo, None)) is not None:
            group.append(int(size))
        if not group:
            return
        last = upcoming + len(group) - 1
        # the hint of the task's last batch: the most batches before it is consumed
        hint = None if reduction is None else reduction(last - next_index)
        kind = "whole" if hint is None else "reduced"
        future = client.submit(
            _sample_batches, run_id, shared, hosts, seed, upcoming, group, hint,
            key=f"pyumami-batch-{run_id}-{call[:8]}-{kind}-{seed}-{upcoming}-{len(group)}", pure=False,
        )  # fmt: skip
        future.batches = range(upcoming, last + 1)
        unconsumed.append(future.batches)
        pending[upcoming] = future
        completed.add(future)
        upcoming = last + 1

    try:
        for _ in range(window):
            submit()
        while pending or done:
            while next_index in done:
                sample = done.pop(next_index)
                next_index += 1
                yield next_index - 1, sample
                if next_index == unconsumed[0].stop:  # a task consumed: replace it
                    unconsumed.popleft()
                    submit()
            if not pending:
                break
            future = next(completed)
            batches = future.batches
            if future.status != "finished":
                raise _failure(future, batches, run_id)
            done.update(zip(batches, future.result(), strict=True))
            del pending[batches[0]]
            if bar is not None:
                bar.update(len(batches))
    finally:
        for future in pending.values():
            future.cancel()
        client.cancel([shared])
        if bar is not None:
            bar.close()


def _failure(future: Any, batches: range, run_id: str) -> BatchFailedError:
    exc = future.exception() if future.status == "error" else None
    kind = type(exc).__name__ if exc is not None else "TaskLost"
    cause = str(exc) if exc is not None else f"the task ended as {future.status!r}"
    notes = [n for n in getattr(exc, "__notes__", ()) if n.startswith(BATCH_NOTE)]
    if notes:
        which = f"batch {notes[-1].removeprefix(BATCH_NOTE)}"
    elif len(batches) == 1:
        which = f"batch {batches[0]}"
    else:  # the worker died: any batch of the task
        which = f"a batch of {batches[0]}-{batches[-1]} (one task)"
    hint = (
        "; a task that kills its worker every time (a crashing library) ends like this"
        if kind == "KilledWorker"
        else ""
    )
    return BatchFailedError(f"{which} of run {run_id} failed on the cluster: {kind}: {cause}{hint}")


def _batch_bar(progress: bool) -> Any:
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(desc="batches on the cluster", unit="batch")
