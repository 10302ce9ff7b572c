"""Device arrays for CUDA/HIP libraries: device addresses, contiguous copies in the
array's own namespace, and the stream a library runs on.

Array types are recognised with array-api-compat (``is_cupy_array``,
``is_torch_array``), which never imports CuPy or PyTorch itself.

Streams: a library that supports the GPU_STREAM output is handed the caller's
current stream (CuPy's ``cupy.cuda.get_current_stream()``, PyTorch's
``torch.cuda.current_stream(device)``) and only that stream is synchronised
afterwards. A library without it runs on its own (default) stream: the caller's
stream is synchronised before the call, so that the layout conversion queued on
it is done, and the whole device after it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import array_api_compat

from .errors import DeviceMismatchError

__all__ = ["GpuStream", "contiguous", "current_stream", "device_pointer", "synchronize_device"]


class StreamHandle(int):
    """A stream handle to pass where the ABI takes a pointer (GPU_STREAM)."""


def device_pointer(x: Any) -> int:
    """The device address of a contiguous GPU array (CuPy, PyTorch, anything with
    ``__cuda_array_interface__``); a :class:`StreamHandle` is passed as it is."""
    if isinstance(x, StreamHandle):
        return int(x)
    if array_api_compat.is_torch_array(x):
        return int(x.data_ptr())
    interface = getattr(x, "__cuda_array_interface__", None)
    if interface is not None:
        return int(interface["data"][0])
    raise DeviceMismatchError(
        f"cannot take the device address of a {type(x).__name__}; pass a CuPy array or a "
        f"PyTorch tensor (anything exposing __cuda_array_interface__)"
    )


def contiguous(xp: Any, x: Any) -> Any:
    """``x`` as a C-contiguous array of its own library (a copy only where needed)."""
    if array_api_compat.is_torch_array(x):
        return x.contiguous()
    as_contiguous = getattr(xp, "ascontiguousarray", None)
    if as_contiguous is not None:  # CuPy, NumPy
        return as_contiguous(x)
    return xp.asarray(x, copy=True)


@dataclasses.dataclass(frozen=True)
class GpuStream:
    """A caller's CUDA/HIP stream: its handle (the ``cudaStream_t`` value passed as
    the GPU_STREAM output) and how to wait for it."""

    handle: int
    synchronize: Callable[[], None]
    #: the array library it belongs to ("cupy", "torch")
    owner: str


def current_stream(x: Any) -> GpuStream | None:
    """The stream the caller's array library currently queues work on for ``x``;
    None for arrays of other libraries (then the device is synchronised)."""
    if array_api_compat.is_cupy_array(x):
        import cupy

        stream = cupy.cuda.get_current_stream()
        return GpuStream(int(stream.ptr), stream.synchronize, "cupy")
    if array_api_compat.is_torch_array(x):
        import torch

        stream = torch.cuda.current_stream(x.device)
        return GpuStream(int(stream.cuda_stream), stream.synchronize, "torch")
    return None


def synchronize_device(x: Any) -> None:
    """Wait for all work on the device of ``x`` (a library on its own stream)."""
    if array_api_compat.is_cupy_array(x):
        import cupy

        cupy.cuda.Device(x.device.id).synchronize()
    elif array_api_compat.is_torch_array(x):
        import torch

        torch.cuda.synchronize(x.device)


@dataclasses.dataclass(frozen=True)
class StreamPlan:
    """How one call of a device library meets the caller's stream: ``handle`` to pass
    as GPU_STREAM (None: not passed), what to wait for ``before`` the call and
    ``after`` it."""

    handle: int | None
    before: Callable[[], None]
    after: Callable[[], None]


def _nothing() -> None:
    pass


def plan_stream(x: Any, library_takes_stream: bool) -> StreamPlan:
    """The stream plan for a call on the arrays of ``x``: the caller's current
    stream is passed and synchronised alone when the library takes GPU_STREAM;
    otherwise the caller's stream is drained before the call (the inputs are
    being converted on it) and the device after it (the library used its own)."""
    stream = current_stream(x)
    if library_takes_stream and stream is not None:
        return StreamPlan(stream.handle, _nothing, stream.synchronize)
    return StreamPlan(
        None,
        stream.synchronize if stream is not None else _nothing,
        lambda: synchronize_device(x),
    )
