"""A batch evaluated in contiguous parts, the matrix elements of one part computed
while the next part is prepared.

A batch's work after its random numbers are drawn is per event, in three stages:
preparing (phase-space maps, cuts, scales, alpha_s, PDFs: many short NumPy calls on
the calling thread, which hold the GIL between them), the library calls (which
release the GIL for their whole duration) and finishing (the weights from the matrix
elements). Cutting the batch into parts and running each part's library calls on a
second thread while the calling thread prepares the next part keeps both cores busy
with almost no GIL hand-over: a part crosses threads twice, not once per array call
as when several threads run the NumPy stages at once (measured to cost more CPU than
a second core gains). The parts are joined in order, so the events are the same, bit
for bit, however the batch is cut.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

from .events import EventBatch
from .unweighting import concatenate_batches

__all__ = ["MIN_EVENTS_PER_PART", "PARTS_PER_THREAD", "evaluate_parts", "part_bounds"]

#: Fewest events in a part: every part repeats the fixed cost of the preparing stage's
#: array calls, which must stay small next to their loops over the events.
MIN_EVENTS_PER_PART = 10_000
#: Parts per thread of the batch: the first part's preparation and the last part's
#: library call run alone, so more parts overlap more, each at its fixed cost.
PARTS_PER_THREAD = 1

Prepared = TypeVar("Prepared")

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def part_bounds(n: int, threads: int) -> list[int]:
    """Edges of the contiguous parts of a batch of ``n`` events evaluated on ``threads``
    threads: one part on one thread, else up to ``PARTS_PER_THREAD * threads`` parts of
    at least :data:`MIN_EVENTS_PER_PART` events."""
    parts = 1 if threads < 2 else max(1, min(PARTS_PER_THREAD * threads, n // MIN_EVENTS_PER_PART))
    return [n * i // parts for i in range(parts + 1)]


def evaluate_parts(
    prepare: Callable[[int, int], Prepared],
    matrix_elements: Callable[[Prepared], Any],
    finish: Callable[[Prepared, Any], EventBatch],
    edges: list[int],
) -> EventBatch:
    """``finish(p, matrix_elements(p))`` with ``p = prepare(lo, hi)`` for the parts
    [lo, hi) between consecutive ``edges``, joined in order; the library calls of one
    part run on a second thread while this one prepares the next part."""
    if len(edges) == 2:
        part = prepare(edges[0], edges[1])
        return finish(part, matrix_elements(part))
    pool = _library_thread()
    prepared: list[Prepared] = []
    calls: list[Future[Any]] = []
    done: list[EventBatch] = []
    try:
        for lo, hi in zip(edges[:-1], edges[1:], strict=True):
            prepared.append(prepare(lo, hi))
            calls.append(pool.submit(matrix_elements, prepared[-1]))
            if len(calls) > 1:
                done.append(finish(prepared[-2], calls[-2].result()))
        done.append(finish(prepared[-1], calls[-1].result()))
    finally:
        # a failed part leaves no library call running on its arrays
        wait(calls)
    return concatenate_batches(done)


def _forget_pool() -> None:
    """In a forked child the pool's thread does not exist: start a new one when needed."""
    global _pool
    _pool = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _library_thread() -> ThreadPoolExecutor:
    """The process's thread for library calls (one: calls run in submission order)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pyumami-library")
        return _pool
