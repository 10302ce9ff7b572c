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

from pyumami.abi import ENTRY_POINTS, MANDATORY_SYMBOLS, InputKey, MetaKey, OutputKey, Status, ffi

__all__ = [
    "INPUT_DTYPES",
    "OUTPUT_DTYPES",
    "CallResult",
    "FencedArray",
    "RawLibrary",
    "input_layout",
    "output_layout",
]

#: C type of one element of each input (umami.h comments).
INPUT_DTYPES: dict[InputKey, np.dtype] = {
    InputKey.MOMENTA: np.dtype(np.float64),
    InputKey.ALPHA_S: np.dtype(np.float64),
    InputKey.FLAVOR_INDEX: np.dtype(np.int32),
    InputKey.RANDOM_COLOR: np.dtype(np.float64),
    InputKey.RANDOM_HELICITY: np.dtype(np.float64),
    InputKey.RANDOM_DIAGRAM: np.dtype(np.float64),
    InputKey.HELICITY_INDEX: np.dtype(np.int32),
    InputKey.DIAGRAM_INDEX: np.dtype(np.uint32),
    InputKey.CHANNEL_INDEX: np.dtype(np.uint32),
}
#: C type of one element of each per-event output (GPU_STREAM is not an array).
OUTPUT_DTYPES: dict[OutputKey, np.dtype] = {
    OutputKey.MATRIX_ELEMENT: np.dtype(np.float64),
    OutputKey.DIAGRAM_AMP2: np.dtype(np.float64),
    OutputKey.COLOR_INDEX: np.dtype(np.int32),
    OutputKey.HELICITY_INDEX: np.dtype(np.int32),
    OutputKey.DIAGRAM_INDEX: np.dtype(np.int32),
}

# Canary bit patterns: a signalling NaN with a payload no arithmetic produces, an
# int32 no index takes. Input canaries are quiet NaNs so that a library reading
# outside its slice computes NaN instead of plausible numbers.
_OUTPUT_CANARY = {8: np.uint64(0x7FF4C0DEC0DEC0DE), 4: np.uint32(0x5EADBEEF)}
_INPUT_CANARY = {8: np.uint64(0x7FF8DEADBEEF0001), 4: np.uint32(0)}
#: elements of canary before and after every array, beyond [0, stride)
GUARD = 16


def input_layout(key: InputKey, npar: int, stride: int) -> tuple[int, ...]:
    """Shape of the array for input `key` in UMAMI layout."""
    return (4, npar, stride) if key == InputKey.MOMENTA else (stride,)


def output_layout(key: OutputKey, ndiag: int | None, stride: int) -> tuple[int, ...]:
    """Shape of the array for output `key` in UMAMI layout."""
    if key == OutputKey.DIAGRAM_AMP2:
        if not ndiag:
            raise ValueError("DIAGRAM_AMP2 needs the library's DIAGRAM_COUNT to size the output")
        return (ndiag, stride)
    return (stride,)


class FencedArray:
    """An array in UMAMI layout whose every element outside the slice
    [offset, offset + count) of the batch axis, and GUARD elements before and after
    the whole allocation, hold a canary bit pattern.

    ``array`` is the (..., stride) view handed to the library; `damage()` lists
    what changed outside the slice since `seal()` (or construction).
    """

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype, *, output: bool):
        self.dtype = np.dtype(dtype)
        size = int(np.prod(shape))
        canary = (_OUTPUT_CANARY if output else _INPUT_CANARY)[self.dtype.itemsize]
        self._bits_dtype = canary.dtype
        self._storage = np.full(size + 2 * GUARD, canary, dtype=canary.dtype)
        self.array = self._storage[GUARD : GUARD + size].view(self.dtype).reshape(shape)
        self._sealed = self._storage.copy()

    @property
    def pointer(self) -> Any:
        """cffi ``void*`` to element 0 of `array`."""
        return ffi.cast("void *", self.array.ctypes.data)

    def seal(self) -> None:
        """Take the current contents as the baseline for `damage()`."""
        self._sealed = self._storage.copy()

    def damage(self, offset: int, count: int) -> list[str]:
        """Descriptions of changes outside [offset, offset + count) of the batch axis
        (and in the guard zones) since the last `seal()`; empty when untouched."""
        now, before = self._storage, self._sealed
        changed = now != before
        problems = []
        if changed[:GUARD].any():
            problems.append(
                f"{int(changed[:GUARD].sum())} element(s) before the start of the array"
            )
        if changed[-GUARD:].any():
            problems.append(f"{int(changed[-GUARD:].sum())} element(s) past the end of the array")
        body = changed[GUARD:-GUARD].reshape(self.array.shape)
        outside = body.copy()
        outside[..., offset : offset + count] = False
        if outside.any():
            events = np.unique(np.nonzero(outside)[-1])
            shown = ", ".join(str(int(e)) for e in events[:6]) + (" ..." if events.size > 6 else "")
            problems.append(
                f"{int(outside.sum())} element(s) at batch index {shown} outside the slice "
                f"[{offset}, {offset + count}) (stride {self.array.shape[-1]})"
            )
        return problems

    def changed_anywhere(self) -> bool:
        """True when any byte (slice included) changed since `seal()`."""
        return bool((self._storage != self._sealed).any())


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
        self.symbols: dict[str, bool] = {}
        for name in ENTRY_POINTS:
            try:
                getattr(self.lib, name)
                self.symbols[name] = True
            except AttributeError:
                self.symbols[name] = False

    @property
    def missing_mandatory(self) -> list[str]:
        """Mandatory entry points the library does not export."""
        return [name for name in MANDATORY_SYMBOLS if not self.symbols[name]]

    # -- metadata -------------------------------------------------------------
    def get_meta_int(self, key: int) -> tuple[int, int | None]:
        """(status, value) of an int-valued metadata key (value None unless status 0)."""
        out = ffi.new("int[4]", [0x5EADBEEF] * 4)
        status = int(self.lib.umami_get_meta(key, out))
        return status, (int(out[0]) if status == Status.SUCCESS else None)

    def get_masses(self, npar: int) -> tuple[int, np.ndarray | None, bool]:
        """(status, masses in GeV, overrun): `overrun` is True when the library wrote
        beyond the npar doubles it was asked for."""
        fenced = FencedArray((npar,), np.float64, output=True)
        status = int(self.lib.umami_get_meta(MetaKey.MASSES, fenced.pointer))
        overrun = bool(fenced.damage(0, npar))
        masses = fenced.array.copy() if status == Status.SUCCESS else None
        return status, masses, overrun

    def capability(self, name: str) -> tuple[int, frozenset[int]] | None:
        """(status, keys flagged true) from a capability query, None if not exported."""
        if not self.symbols.get(name):
            return None
        flags = ffi.new("const bool **")
        count = ffi.new("int *", -1)
        status = int(getattr(self.lib, name)(flags, count))
        if status != Status.SUCCESS:
            return status, frozenset()
        if count[0] < 0 or flags[0] == ffi.NULL:
            return int(Status.ERROR), frozenset()
        return status, frozenset(k for k in range(count[0]) if flags[0][k])

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
        in_keys = ffi.new("UmamiInputKey[]", [int(k) for k in inputs] or [0])
        in_ptrs = ffi.new(
            "void const *[]", [ffi.cast("void *", p) for p in inputs.values()] or [ffi.NULL]
        )
        out_keys = ffi.new("UmamiOutputKey[]", [int(k) for k in outputs] or [0])
        out_ptrs = ffi.new(
            "void *[]", [ffi.cast("void *", p) for p in outputs.values()] or [ffi.NULL]
        )
        return int(
            self.lib.umami_matrix_element(
                handle,
                count,
                stride,
                offset,
                len(inputs),
                in_keys,
                in_ptrs,
                len(outputs),
                out_keys,
                out_ptrs,
            )
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
        fenced_in: dict[InputKey, FencedArray] = {}
        values = {InputKey.MOMENTA: momenta, **dict(per_event or {})}
        for key, value in values.items():
            key = InputKey(key)
            fenced = FencedArray(input_layout(key, npar, stride), INPUT_DTYPES[key], output=False)
            data = np.transpose(value, (2, 1, 0)) if key == InputKey.MOMENTA else value
            fenced.array[..., offset : offset + n] = data
            fenced.seal()
            fenced_in[key] = fenced
        fenced_out = {
            OutputKey(key): FencedArray(
                output_layout(OutputKey(key), ndiag, stride),
                OUTPUT_DTYPES[OutputKey(key)],
                output=True,
            )
            for key in outputs
        }
        in_ptrs = {k: f.pointer for k, f in fenced_in.items()}
        out_ptrs = {k: f.pointer for k, f in fenced_out.items()}
        status = 0
        start = offset
        for size in chunks:
            status = self.call_raw(handle, size, stride, start, in_ptrs, out_ptrs)
            start += size
            if status != Status.SUCCESS:
                break
        damage = []
        for key, fenced in fenced_out.items():
            damage += [f"output {key.name}: {d}" for d in fenced.damage(offset, n)]
        for key, fenced in fenced_in.items():
            if fenced.changed_anywhere():
                damage.append(f"input {key.name} was modified (inputs are const)")
        result = {
            key: np.ascontiguousarray(np.moveaxis(f.array[..., offset : offset + n], -1, 0))
            for key, f in fenced_out.items()
        }
        return CallResult(status=status, outputs=result, damage=damage)
