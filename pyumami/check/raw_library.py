"""The raw UMAMI ABI as the probes need to see it: every status code as returned,
exact strides and offsets, and arrays fenced by canary values.

This is the checker's only raw-layout helper (the host in ``pyumami`` converts
layouts for users; a checker must instead control every byte around the slice it
hands to the library). Everything is in the UMAMI column-major layout of
``umami.h``: momenta ``(4, npar, stride)`` in C order, per-event arrays
``(stride,)``, DIAGRAM_AMP2 ``(ndiag, stride)``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pyumami import introspection
from pyumami.abi import MANDATORY_SYMBOLS, InputKey, OutputKey, Status, ffi
from pyumami.introspection import guard_damage, guarded_inputs, guarded_outputs

__all__ = ["CallResult", "RawLibrary"]


@dataclasses.dataclass
class CallResult:
    """Outcome of one or several umami_matrix_element calls on fenced arrays."""

    #: the first non-zero status, else 0
    status: int
    #: outputs in user layout: (n,) per-event, (n, ndiag) for DIAGRAM_AMP2
    outputs: dict[OutputKey, np.ndarray]
    #: canary damage in outputs (outside the slice) and in inputs (anywhere)
    damage: list[str]


class RawLibrary:
    """A UMAMI shared object opened with cffi (RTLD_NOW, as MadSpace does), with
    thin wrappers that return raw statuses instead of raising."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self.lib = ffi.dlopen(str(self.path), ffi.RTLD_NOW | ffi.RTLD_LOCAL)
        self.symbols: dict[str, bool] = introspection.entry_points(self.lib)

    @property
    def missing_mandatory(self) -> list[str]:
        """Mandatory entry points the library does not export."""
        return [name for name in MANDATORY_SYMBOLS if not self.symbols[name]]

    # -- metadata -------------------------------------------------------------
    def get_meta_int(self, key: int) -> tuple[int, int | None]:
        """(status, value) of an int-valued metadata key (value None unless status 0)."""
        answer = introspection.read_meta_int(self.lib, key)
        return answer.status, answer.value

    def get_masses(self, npar: int) -> tuple[int, np.ndarray | None, bool]:
        """(status, masses in GeV, overrun): `overrun` is True when the library wrote
        beyond the npar doubles it was asked for."""
        answer = introspection.read_masses(self.lib, npar)
        masses = None if answer.value is None else np.array(answer.value)
        return answer.status, masses, answer.overrun

    def capability(self, name: str) -> tuple[int, frozenset[int]] | None:
        """(status, keys flagged true) from a capability query, None if not exported."""
        if not self.symbols.get(name):
            return None
        return introspection.query_flags(self.lib, name)

    # -- instances ------------------------------------------------------------
    def initialize(self, param_card: str | None) -> tuple[int, Any]:
        """(status, handle) from umami_initialize; handle is NULL on failure."""
        handle = ffi.new("UmamiHandle *")
        card = ffi.NULL if param_card is None else str(param_card).encode()
        status = int(self.lib.umami_initialize(handle, card))
        return status, handle[0]

    def free(self, handle: Any) -> int:
        """Status of umami_free(handle)."""
        return int(self.lib.umami_free(handle))

    # -- evaluation -----------------------------------------------------------
    def call_raw(
        self,
        handle: Any,
        count: int,
        stride: int,
        offset: int,
        inputs: Mapping[int, Any],
        outputs: Mapping[int, Any],
    ) -> int:
        """One umami_matrix_element call; `inputs`/`outputs` map keys to cffi
        pointers (or anything `ffi.cast("void*", ...)` accepts)."""
        return introspection.call_matrix_element(
            self.lib, handle, count, stride, offset, inputs, outputs
        )

    def evaluate(
        self,
        handle: Any,
        momenta: np.ndarray,
        per_event: Mapping[InputKey, np.ndarray] | None = None,
        outputs: Iterable[OutputKey] = (OutputKey.MATRIX_ELEMENT,),
        *,
        ndiag: int | None = None,
        stride: int | None = None,
        offset: int = 0,
        chunks: Sequence[int] | None = None,
    ) -> CallResult:
        """Evaluate n events (momenta (n, npar, 4) in GeV, per-event inputs (n,))
        placed at [offset, offset + n) of fenced arrays of batch length `stride`
        (default n), in one call or in consecutive calls of `chunks` events each.

        Returns the outputs in user layout and every canary violation: outputs
        written outside [offset, offset + n), inputs modified anywhere.
        """
        n, npar = momenta.shape[0], momenta.shape[1]
        stride = n if stride is None else stride
        if offset + n > stride:
            raise ValueError(f"offset {offset} + {n} events exceed stride {stride}")
        chunks = [n] if chunks is None else list(chunks)
        if sum(chunks) != n:
            raise ValueError(f"chunks {chunks} do not add up to {n} events")
        fenced_in = guarded_inputs(
            {InputKey.MOMENTA: momenta, **dict(per_event or {})}, npar, stride, offset
        )
        fenced_out = guarded_outputs(outputs, ndiag, stride)
        in_ptrs = {k: f.pointer for k, f in fenced_in.items()}
        out_ptrs = {k: f.pointer for k, f in fenced_out.items()}
        status = 0
        start = offset
        for size in chunks:
            status = self.call_raw(handle, size, stride, start, in_ptrs, out_ptrs)
            start += size
            if status != Status.SUCCESS:
                break
        damage = guard_damage(fenced_in, fenced_out, offset, n)
        result = {
            OutputKey(key): np.ascontiguousarray(
                np.moveaxis(f.array[..., offset : offset + n], -1, 0)
            )
            for key, f in fenced_out.items()
        }
        return CallResult(status=status, outputs=result, damage=damage)
