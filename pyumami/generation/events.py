"""The record that flows through event generation, one batch at a time.

The integrand produces :class:`EventBatch` objects; cuts, histograms, the
unweighting and the writers consume them. Every field is an array of the same
namespace (NumPy, CuPy, ...) with the batch as its leading axis, so a batch
never leaves the device it was made on until a writer needs it on the host.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Protocol

import numpy as np

Array = Any  # an array-API array; the namespace is array_api_compat.array_namespace(x)

__all__ = ["Array", "EventBatch", "Cut"]


@dataclass(frozen=True)
class EventBatch:
    """One batch of weighted (or, after unweighting, unweighted) events.

    Attributes:
        momenta: (n, npar, 4) float64, (E, px, py, pz) in GeV in the lab frame,
            incoming particles first, in the library's particle order.
        weight: (n,) float64 event weights in pb; 0 for events removed by cuts
            (their momenta are still valid points). For unweighted events every
            weight is sigma / N (or the over-weight of events above the maximum).
        pdg: (n, npar) int32 PDG ids of every particle of every event (they
            depend on the subprocess and the beam order, e.g. u u~ or u~ u).
        subprocess: (n,) int32 index into the run's list of subprocesses.
        channel: (n,) int32 index of the phase-space channel that produced the event.
        x1, x2: (n,) float64 momentum fractions of the incoming partons (1 without PDFs).
        scale: (n,) float64 factorisation = renormalisation scale in GeV.
        alpha_s: (n,) float64 strong coupling used for the event.
        helicity: (n,) int32 HELICITY_INDEX chosen by the library, or None when
            the library does not offer it.
        color: (n,) int32 COLOR_INDEX chosen by the library, or None.
        batch_index: position of this batch in the run (the random stream of a
            batch is derived from the run seed and this index only).
    """

    momenta: Array
    weight: Array
    pdg: Array
    subprocess: Array
    channel: Array
    x1: Array
    x2: Array
    scale: Array
    alpha_s: Array
    helicity: Array | None = None
    color: Array | None = None
    batch_index: int = 0

    def __len__(self) -> int:
        return int(self.weight.shape[0])

    def take(self, index: Array) -> EventBatch:
        """The events at ``index`` (integer indices or a boolean mask, same namespace)."""
        arrays: dict[str, Any] = {
            f.name: getattr(self, f.name)[index]
            for f in fields(self)
            if f.name != "batch_index" and getattr(self, f.name) is not None
        }
        return replace(self, **arrays)

    def to_numpy(self) -> EventBatch:
        """The same batch with every array copied to host NumPy (no copy for NumPy arrays);
        writers call this once per batch."""
        arrays: dict[str, Any] = {
            f.name: _host(getattr(self, f.name))
            for f in fields(self)
            if f.name != "batch_index" and getattr(self, f.name) is not None
        }
        return replace(self, **arrays)


def _host(x: Array) -> np.ndarray:
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "get") and type(x).__module__.startswith("cupy"):
        return x.get()  # CuPy refuses implicit device -> host conversion
    return np.asarray(x)


class Cut(Protocol):
    """A selection on a batch: True where the event passes.

    ``momenta`` is (n, npar, 4) GeV in the lab frame and ``pdg`` (n, npar) int;
    the result is an (n,) boolean array of the same namespace.
    """

    def __call__(self, momenta: Array, pdg: Array) -> Array: ...
