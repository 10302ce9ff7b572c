"""Array intake for the host: where an array lives, zero-copy views of host
arrays, the conversion of momenta into the UMAMI call layout, per-event inputs.

User-facing momenta are (n_events, n_particles, 4) in GeV, row-major. The UMAMI
call layout is column-major with the batch contiguous, i.e. a C-ordered array of
shape (4, n_particles, n_events): element [mu, p, i] sits at
``i + n * (p + n_particles * mu)``, which is ``umami.h``'s layout with stride n.
"""

from __future__ import annotations

import enum
import sys
from typing import Any

import array_api_compat
import numpy as np

from .errors import (
    DeviceMismatchError,
    DtypeError,
    InputLengthError,
    InputValueError,
    MomentaNdimError,
    MomentaShapeError,
    NonFiniteMomentaError,
    TracedArrayError,
)

__all__ = [
    "MemoryKind",
    "MomentaBuffer",
    "check_momenta",
    "host_array",
    "check_readable",
    "memory_kind",
    "non_finite_error",
    "per_event_input",
]


class MemoryKind(enum.Enum):
    """Where an array's data lives, as far as a UMAMI library is concerned."""

    HOST = "host"
    CUDA = "cuda"
    ROCM = "rocm"


# DLPack device types (dlpack.h, DLDeviceType): which the host CPU may read.
_DLPACK_HOST = {
    1: MemoryKind.HOST,
    3: MemoryKind.HOST,
    11: MemoryKind.HOST,
}  # CPU, CUDAHost, ROCMHost
_DLPACK_DEVICE = {
    2: MemoryKind.CUDA,
    13: MemoryKind.CUDA,
    10: MemoryKind.ROCM,
}  # CUDA, CUDAManaged, ROCM


def memory_kind(x: Any) -> MemoryKind:
    """Where ``x``'s data lives: from ``__dlpack_device__`` when the array has it,
    ``__cuda_array_interface__`` for CUDA arrays without DLPack, else host memory
    (NumPy, ``__array_interface__``, Python sequences)."""
    if isinstance(x, np.ndarray):
        return MemoryKind.HOST
    dlpack_device = getattr(x, "__dlpack_device__", None)
    if dlpack_device is not None:
        try:
            device_type = int(dlpack_device()[0])
        except Exception:  # a broken exporter: fall through to the other protocols
            device_type = None
        if device_type in _DLPACK_HOST:
            return _DLPACK_HOST[device_type]
        if device_type in _DLPACK_DEVICE:
            return _DLPACK_DEVICE[device_type]
    if hasattr(x, "__cuda_array_interface__"):
        return MemoryKind.CUDA
    return MemoryKind.HOST


def check_readable(x: Any, what: str) -> None:
    """Refuse what has no values to hand to a C library, naming what to do instead:
    a JAX tracer (inside ``jax.jit`` / ``jax.grad`` / ``jax.vmap``), a PyTorch
    tensor that requires grad, a ``.npz`` archive (several arrays)."""
    jax = sys.modules.get("jax")
    if jax is not None and isinstance(x, jax.core.Tracer):
        raise TracedArrayError(
            f"{what} is a JAX tracer (the call is inside jax.jit, jax.grad or jax.vmap), which "
            f"has no values a C library could read; call the library outside the transformation, "
            f"or wrap it in jax.pure_callback (no derivative flows through it)"
        )
    if array_api_compat.is_torch_array(x) and bool(getattr(x, "requires_grad", False)):
        raise TracedArrayError(
            f"{what} is a PyTorch tensor that requires grad; the library computes values only, "
            f"so pass {what}.detach() (no gradient flows through the library)"
        )
    if isinstance(x, np.lib.npyio.NpzFile):
        raise DtypeError(
            f"{what} is a .npz archive holding {', '.join(x.files) or 'no arrays'}; pass one "
            f"array, e.g. archive[{(x.files or ['name'])[0]!r}]"
        )


def host_array(x: Any, what: str) -> np.ndarray:
    """A NumPy view of host data ``x`` without a copy where the exporter allows it
    (NumPy itself, DLPack, the array interface); ``what`` names it in errors.

    Raises DeviceMismatchError for GPU memory (a CPU library cannot read it), and
    the errors of :func:`check_readable`.
    """
    if isinstance(x, np.ndarray):
        return x
    check_readable(x, what)
    kind = memory_kind(x)
    if kind is not MemoryKind.HOST:
        raise DeviceMismatchError(
            f"{what} live in {kind.value} device memory but this library runs on the CPU; "
            f"move them to host memory first (e.g. `.get()` for CuPy, `.cpu()` for PyTorch) "
            f"or load the library built for the device"
        )
    if hasattr(x, "__dlpack__"):
        try:
            return np.from_dlpack(x)
        except (BufferError, TypeError, RuntimeError, ValueError):
            pass  # e.g. a tensor that refuses export (requires grad): go through __array__
    return np.asarray(x)


def check_momenta(m: np.ndarray | Any, particle_count: int, source: Any = None) -> None:
    """Check ndim, shape and dtype of momenta (host or device array) against
    (n_events, ``particle_count``, 4) float64; raises the matching error.
    ``source`` is what the user passed, when ``m`` is a host view of it: the
    dtype advice is for its array library."""
    shape = tuple(m.shape)
    if len(shape) != 3:
        raise MomentaNdimError(
            f"momenta must have 3 dimensions (n_events, {particle_count}, 4), got {len(shape)} "
            f"(shape {shape}); for a single event use momenta[None]"
        )
    if shape[1] != particle_count or shape[2] != 4:
        hint = ""
        if shape[1] == 4 and shape[2] == particle_count:
            hint = "; the last two axes look swapped (use momenta.transpose(0, 2, 1))"
        raise MomentaShapeError(
            f"momenta must have shape (n_events, {particle_count}, 4) for this library "
            f"({particle_count} particles, components E, px, py, pz), got {shape}{hint}"
        )
    dtype = np.dtype(str(m.dtype).rsplit(".", 1)[-1]) if not isinstance(m, np.ndarray) else m.dtype
    if dtype != np.float64:
        raise DtypeError(
            f"momenta must be float64 (the ABI passes double), got {m.dtype}; {_float64_fix(m if source is None else source)}"
        )


def _float64_fix(m: Any) -> str:
    """How to get float64 momenta from the array library of ``m``."""
    if array_api_compat.is_jax_array(m):
        return (
            "JAX makes float32 arrays unless 64-bit mode is on: call "
            "jax.config.update('jax_enable_x64', True) at start-up, before the momenta are "
            "computed (converting float32 momenta cannot restore the lost precision)"
        )
    if array_api_compat.is_torch_array(m):
        return (
            "create the tensors as torch.float64 (e.g. torch.set_default_dtype(torch.float64) "
            "before computing the momenta; .double() of float32 momenta cannot restore the lost "
            "precision)"
        )
    return (
        "compute them in float64 (.astype(float64) of lower-precision momenta cannot restore "
        "the lost precision)"
    )


class MomentaBuffer:
    """A reusable host buffer in the UMAMI momenta layout (4, n_particles, n), C order.

    The storage grows to the largest batch seen and is reused, so repeated calls
    of the same or smaller batches convert without allocating.
    """

    def __init__(self, particle_count: int) -> None:
        self.particle_count = particle_count
        self._storage = np.empty(0, dtype=np.float64)

    def view(self, n: int) -> np.ndarray:
        """The (4, n_particles, n) C-ordered view of the storage for a batch of n
        events (grown if needed; contents undefined until filled)."""
        size = 4 * self.particle_count * n
        if self._storage.size < size:
            self._storage = np.empty(size, dtype=np.float64)
        return self._storage[:size].reshape(4, self.particle_count, n)

    @staticmethod
    def fill_slice(view: np.ndarray, momenta: np.ndarray, start: int, stop: int) -> bool:
        """Convert events [start, stop) of momenta (n, n_particles, 4) into ``view``;
        returns whether they are all finite. Slices of one batch may be filled
        concurrently (NumPy releases the GIL while copying)."""
        target = view[:, :, start:stop]
        np.copyto(target, momenta[start:stop].transpose(2, 1, 0))
        return bool(np.isfinite(target).all())

    def fill(self, momenta: np.ndarray) -> np.ndarray:
        """Copy momenta (n, n_particles, 4) into the buffer, once, and return the
        (4, n_particles, n) C-ordered view; raises NonFiniteMomentaError for NaN/inf."""
        n = momenta.shape[0]
        view = self.view(n)
        if not self.fill_slice(view, momenta, 0, n):
            raise non_finite_error(momenta)
        return view


def non_finite_error(momenta: np.ndarray) -> NonFiniteMomentaError:
    """The error for momenta (n, n_particles, 4) with NaN or infinite components,
    naming how many events and the first one."""
    bad = np.flatnonzero(~np.isfinite(momenta).all(axis=(1, 2)))
    first = int(bad[0]) if bad.size else -1
    return NonFiniteMomentaError(
        f"momenta of {bad.size} event(s) contain NaN or infinite components "
        f"(first at event index {first}); remove or repair those events "
        f"(e.g. mask with numpy.isfinite(momenta).all(axis=(1, 2)))"
    )


def per_event_input(
    value: Any,
    n: int,
    dtype: np.dtype,
    name: str,
    *,
    unit_interval: bool = False,
    non_negative: bool = False,
) -> np.ndarray:
    """A contiguous host array of length ``n`` and ``dtype`` for a per-event
    input: a scalar is broadcast, an array must have length ``n``.

    Integer inputs refuse non-integer values (DtypeError) and negative values for
    the unsigned ABI types; floating inputs take real numbers (not booleans) that
    are finite, >= 0 with ``non_negative`` and, with ``unit_interval`` (the random numbers), in [0, 1).
    """
    array = host_array(value, name) if not np.isscalar(value) else np.asarray(value)
    target = np.dtype(dtype)
    if target.kind in "iu":
        if array.dtype.kind not in "iub":
            raise DtypeError(
                f"{name} is an index and must be integer, got dtype {array.dtype}; "
                f"pass integers (e.g. numpy.int32)"
            )
        if array.size and target.kind == "u" and int(array.min()) < 0:
            raise InputValueError(
                f"{name} must be >= 0 (the ABI type is unsigned int), got minimum {int(array.min())}"
            )
    elif array.dtype.kind not in "fiu":
        raise DtypeError(
            f"{name} must be a real number or array of real numbers, got dtype {array.dtype}"
        )
    else:
        finite = np.isfinite(array)
        if not finite.all():
            raise InputValueError(
                f"{name} has {int((~finite).sum())} NaN or infinite value(s); every event needs a finite {name}"
            )
        if non_negative and array.size and float(array.min()) < 0.0:
            negative = np.flatnonzero(np.atleast_1d(array) < 0)
            raise InputValueError(
                f"{name} must be >= 0, got {negative.size} negative value(s) (first {float(np.atleast_1d(array)[negative[0]])!r}"
                f" at event index {int(negative[0])}); a negative {name} makes |M|^2 NaN"
            )
        if unit_interval and array.size and (float(array.min()) < 0.0 or float(array.max()) >= 1.0):
            raise InputValueError(
                f"{name} must lie in [0, 1) (a uniform random number), got values in "
                f"[{float(array.min())}, {float(array.max())}]"
            )
    if array.ndim == 0:
        return np.full(n, array, dtype=target)
    if array.ndim != 1 or array.shape[0] != n:
        raise InputLengthError(
            f"{name} must be a scalar or have shape ({n},) (one value per event), got shape "
            f"{array.shape}; broadcast it or pass a scalar"
        )
    return np.ascontiguousarray(array, dtype=target)
