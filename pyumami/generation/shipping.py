"""A frozen integrand sent to other processes, and the batches those processes send back.

Both ways of computing frozen batches elsewhere, Dask workers (:mod:`.cluster`) and the
worker processes of this machine (:mod:`.worker_processes`), ship the integrand as one
pickle with every UMAMI library replaced by a reference (path, param card): a library
is a process-local handle, reopened once per receiving process. A batch then travels
back either whole (the events, without the training arrays) or reduced against the
consumer's hint (:func:`~.unweighting.reduce_batch`: only what its unweighting can
still need).
"""

from __future__ import annotations

import io
import pickle
from typing import Any

import cloudpickle

from ..library import MatrixElementLibrary, load
from .integrand import Integrand, WeightedSample, batch_rng
from .unweighting import ReducedBatch, ReductionHint, reduce_batch

__all__ = ["BATCH_NOTE", "dumps", "loads", "open_library", "shipped_batch"]

#: How an error raised while computing a batch names it (an exception note, which
#: travels with the exception to the consumer).
BATCH_NOTE = "in pyumami batch "

# The libraries opened in this process, by (path, param card, threads): a receiving
# process opens each once, however many integrands (runs) it receives.
_LIBRARIES: dict[tuple[str, str | None, int], MatrixElementLibrary] = {}


class _LibraryPickler(cloudpickle.Pickler):
    """Pickles an integrand with every library as a reference (path, param card).
    (cloudpickle, so cuts given as lambdas travel too.)"""

    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, MatrixElementLibrary):
            return ("umami-library", obj.path, obj.param_card)
        return None


class _LibraryUnpickler(pickle.Unpickler):
    def __init__(self, data: bytes, threads: int) -> None:
        super().__init__(io.BytesIO(data))
        self.threads = threads

    def persistent_load(self, pid: Any) -> Any:
        _, path, param_card = pid
        return open_library(path, param_card, self.threads)


def dumps(integrand: Integrand) -> bytes:
    """The frozen ``integrand`` as bytes, its libraries as references."""
    buffer = io.BytesIO()
    _LibraryPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(integrand)
    return buffer.getvalue()


def loads(payload: bytes, library_threads: int) -> Integrand:
    """The integrand of :func:`dumps`, its libraries opened here with
    ``library_threads`` threads each (once per process)."""
    return _LibraryUnpickler(payload, library_threads).load()


def open_library(path: str, param_card: str | None, threads: int) -> MatrixElementLibrary:
    """The library at ``path`` with ``param_card`` on ``threads`` threads, opened once
    per process."""
    key = (path, param_card, threads)
    library = _LIBRARIES.get(key)
    if library is None or library.closed:
        library = _LIBRARIES[key] = load(path, param_card, threads=threads)
    return library


def shipped_batch(
    integrand: Integrand, seed: int, index: int, n: int, hint: ReductionHint | None
) -> WeightedSample | ReducedBatch:
    """Batch ``index`` of ``n`` events as it travels: whole without the training arrays,
    or reduced against ``hint``. An error names the batch it came from."""
    try:
        sample = integrand.sample(seed, index, n)
    except Exception as exc:
        exc.add_note(f"{BATCH_NOTE}{index}")
        raise
    events = sample.events.to_numpy()
    if hint is None:
        return WeightedSample(events, sample.slot, (), ())
    return reduce_batch(events, batch_rng(seed, index, hint.stream), hint)
