"""Frozen batches on worker processes of this machine: what uses every core on a CPU.

A batch's phase space, PDFs, cuts and weights are many short NumPy calls that hold the
GIL between them, so in one process they keep one core busy however many threads the
library has (:mod:`.parts` only runs the library calls beside them). Worker processes
each compute whole frozen batches, their libraries on their share of the cores; the
consumer (the generator's process) only merges what comes back: the events of a batch,
or for unweighting the batch reduced against the consumer's hint (:mod:`.shipping`),
in batch-index order. A batch is a function of (seed, batch index) and the frozen
state, so the results are the same, bit for bit, as computed in one process.

The workers are forked when the first frozen batch is asked for (``fork`` start method,
Linux: :func:`available`; elsewhere the generator computes its batches itself): they
inherit the frozen integrand's pickle and the consumer's warm state (parsed C types,
folded PDF tables) without a copy through a pipe, and reopen its libraries (one UMAMI
instance each; none of the parent's library threads is used after the fork). They
ignore Ctrl-C, which the consumer handles; a stream that is closed marks its batches
still queued as dropped, and a worker skips those instead of computing them.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
from collections import deque
from collections.abc import Callable, Generator, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from .errors import BatchFailedError
from .integrand import Integrand, WeightedSample
from .mapped_results import Inline, Mapped, discard, pack, unpack
from .shipping import BATCH_NOTE, dumps, loads, shipped_batch
from .unweighting import ReducedBatch, ReductionHint

__all__ = ["WorkerProcesses", "available", "default_processes"]

#: Batches queued per worker beyond the one it computes: a worker finishing a batch
#: finds the next one while the consumer, which takes batches in index order, may still
#: wait for an earlier one. Queued batches of a closed stream cost nothing (skipped).
QUEUED_PER_WORKER = 1

Sample = WeightedSample | ReducedBatch

#: Streams told apart by the workers (ids modulo this): far more than can be open at once.
STREAM_SLOTS = 256

# The worker's state: its frozen integrand, and which streams are closed (shared
# memory: a batch of a closed stream is skipped).
_integrand: Integrand | None = None
_closed: Any = None
_payload = b""
_library_threads = 1


def available() -> bool:
    """Whether worker processes can be forked here (the ``fork`` start method)."""
    return "fork" in multiprocessing.get_all_start_methods()


def default_processes(library_threads: int) -> int:
    """Worker processes for a CPU run whose libraries have ``library_threads`` threads:
    one per core the run may use (at most the machine's cores), or 1 (no workers)
    where they cannot be forked."""
    if not available():
        return 1
    return max(1, min(int(library_threads), os.cpu_count() or 1))


def _start_worker(closed: Any, payload: bytes, library_threads: int) -> None:
    global _closed, _integrand, _payload, _library_threads
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the consumer handles Ctrl-C
    _closed, _payload, _library_threads = closed, payload, library_threads
    try:
        _integrand = loads(payload, library_threads)
    except Exception:  # noqa: BLE001 - reported, with its batch, by every batch
        _integrand = None


def _batch(
    stream: int, seed: int, index: int, n: int, hint: ReductionHint | None
) -> Inline | Mapped | None:
    """Batch ``index`` of the worker's integrand, packed (:mod:`.mapped_results`); None if
    its stream was closed."""
    if _closed[stream % STREAM_SLOTS]:
        return None
    try:
        integrand = _integrand
        if integrand is None:  # a library failed to open at the start: again, to say why
            integrand = loads(_payload, _library_threads)
        return pack(shipped_batch(integrand, seed, index, n, hint))
    except Exception as exc:
        if not any(note.startswith(BATCH_NOTE) for note in getattr(exc, "__notes__", ())):
            exc.add_note(f"{BATCH_NOTE}{index}")
        try:  # (the round trip: an error may pickle but not unpickle)
            pickle.loads(pickle.dumps(exc))
        except Exception:  # noqa: BLE001 - any error that cannot travel: its text does
            raise _Untravelled(
                f"{type(exc).__name__}: {exc}", getattr(exc, "__notes__", ())
            ) from None
        raise


class _Untravelled(RuntimeError):
    """An error of a worker that cannot be pickled, as its type name and message."""

    def __init__(self, text: str, notes: Sequence[str] = ()) -> None:
        super().__init__(text)
        for note in notes:
            self.add_note(note)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_Untravelled, (self.args[0], getattr(self, "__notes__", ())))


class WorkerProcesses:
    """``processes`` workers forked to compute batches of the frozen ``integrand``, each
    with its libraries on ``library_threads`` threads. Close it (or use it as a context
    manager) to stop them."""

    def __init__(self, integrand: Integrand, processes: int, library_threads: int = 1) -> None:
        if processes < 1 or library_threads < 1:
            raise ValueError(
                f"processes and library_threads must be >= 1 (got {processes}, {library_threads})"
            )
        if not available():
            raise RuntimeError("worker processes need the 'fork' start method (Linux)")
        integrand.freeze()
        self.processes = int(processes)
        context = multiprocessing.get_context("fork")
        self._closed = context.Array("b", STREAM_SLOTS, lock=False)
        self._streams = 0
        # (with fork, the initializer's arguments are inherited, not sent through a pipe)
        self._pool = ProcessPoolExecutor(
            self.processes,
            mp_context=context,
            initializer=_start_worker,
            initargs=(self._closed, dumps(integrand), int(library_threads)),
        )

    def samples(
        self,
        seed: int,
        first_index: int,
        sizes: Iterable[int],
        reduction: Callable[[int], ReductionHint] | None = None,
        wanted: Callable[[int], bool] | None = None,
    ) -> Generator[tuple[int, Sample], None, None]:
        """(batch index, sample) for batches ``first_index, first_index + 1, ...`` of
        ``sizes`` events, in batch-index order. Samples come without the training arrays;
        with ``reduction``, each batch is reduced against ``reduction(ahead)``, asked when
        it is submitted, ``ahead`` batches before it is consumed. ``wanted(ahead)``:
        whether the consumer still expects to need a batch consumed after ``ahead``
        others (asked before each submission but the one that keeps a batch in flight;
        not wanted now, it is asked again after the next batch is consumed), so that the
        workers do not compute batches beyond the run's end. Closing the iterator drops
        the batches still queued.

        Raises:
            BatchFailedError: a batch raised in its worker, or its worker died.
        """
        stream, self._streams = self._streams, self._streams + 1
        self._closed[stream % STREAM_SLOTS] = 0
        todo = iter(sizes)
        queue: deque[tuple[int, Future[Inline | Mapped | None]]] = deque()
        upcoming = first_index

        def submit() -> bool:
            nonlocal upcoming
            if queue and wanted is not None and not wanted(len(queue)):
                return False
            size = next(todo, None)
            if size is None:
                return False
            hint = None if reduction is None else reduction(len(queue))
            queue.append((upcoming, self._submit(stream, seed, upcoming, int(size), hint)))
            upcoming += 1
            return True

        window = self.processes * (1 + QUEUED_PER_WORKER)
        try:
            # one batch per worker until the consumer has taken one: before that its hints
            # know no maximum weight, and a batch reduced against them travels whole
            while len(queue) < self.processes and submit():
                pass
            while queue:
                index, job = queue.popleft()
                yield index, self._result(index, job)
                # (after the consumer took the batch: its hints and needs are up to date)
                while len(queue) < window and submit():
                    pass
        finally:
            self._closed[stream % STREAM_SLOTS] = 1  # the workers skip what is still queued
            for _, job in queue:
                if not job.cancel():  # running: its result is never read
                    job.add_done_callback(_discard_result)

    def _submit(
        self, stream: int, seed: int, index: int, n: int, hint: ReductionHint | None
    ) -> Future[Inline | Mapped | None]:
        try:
            return self._pool.submit(_batch, stream, seed, index, n, hint)
        except BrokenProcessPool as exc:
            raise _died(index, exc) from None

    @staticmethod
    def _result(index: int, job: Future[Inline | Mapped | None]) -> Sample:
        try:
            packed = job.result()
            sample = None if packed is None else unpack(packed)
        except BrokenProcessPool as exc:
            raise _died(index, exc) from None
        except Exception as exc:
            notes = [n for n in getattr(exc, "__notes__", ()) if n.startswith(BATCH_NOTE)]
            which = notes[-1].removeprefix(BATCH_NOTE) if notes else str(index)
            what = str(exc) if isinstance(exc, _Untravelled) else f"{type(exc).__name__}: {exc}"
            raise BatchFailedError(f"batch {which} failed in a worker process: {what}") from exc
        assert sample is not None, "a batch of the open stream was skipped"
        return sample

    def close(self) -> None:
        """Stop the workers (queued batches are dropped; a running one is finished)."""
        for stream in range(STREAM_SLOTS):
            self._closed[stream] = 1
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> WorkerProcesses:
        return self

    def __exit__(self, *args: object) -> None:
        self.close()


def _discard_result(job: Future[Any]) -> None:
    if not job.cancelled() and job.exception() is None:
        discard(job.result())


def _died(index: int, exc: BaseException) -> BatchFailedError:
    return BatchFailedError(
        f"batch {index}: a worker process died ({exc}); a library that crashes its process "
        "ends like this: run with processes=1 to see its error"
    )
