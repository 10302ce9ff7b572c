"""Backends the phase-space suite runs on.

`xp` runs a test on NumPy and on array_api_strict: passing under the strict
namespace proves the code uses only the array API standard, which is how CuPy
support is tested on a machine without a GPU. Where CuPy (with a CUDA device)
or PyTorch is installed, every `xp` test runs on them too.
"""

from __future__ import annotations

import numpy as np
import pytest

#: What importing CuPy or asking it for devices raises without a usable CUDA setup:
#: ImportError (not installed, libraries missing), CUDARuntimeError (a RuntimeError:
#: no driver, no device) and OSError (a driver library that fails to load).
CUDA_UNAVAILABLE = (ImportError, RuntimeError, OSError)


def _cupy_has_device() -> bool:
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except CUDA_UNAVAILABLE:
        return False


def _gpu_backends() -> list[str]:
    """CuPy (with a visible CUDA device) and PyTorch join the suite where present."""
    found = ["cupy"] if _cupy_has_device() else []
    try:
        import torch  # noqa: F401

        found.append("torch")
    except ImportError:
        pass
    return found


BACKENDS = ["numpy", "array_api_strict", *_gpu_backends()]


@pytest.fixture(params=BACKENDS)
def xp(request):
    """The array namespace under test (float64 everywhere)."""
    if request.param == "numpy":
        import array_api_compat.numpy as xp_numpy

        return xp_numpy
    if request.param == "cupy":
        import array_api_compat.cupy as xp_cupy

        return xp_cupy
    if request.param == "torch":
        import array_api_compat.torch as xp_torch

        return xp_torch
    return pytest.importorskip("array_api_strict")


def to_xp(xp, values, dtype=None):
    """A NumPy array (or nested list) as a float64 array of namespace `xp`."""
    return xp.asarray(np.asarray(values, dtype=np.float64), dtype=dtype or xp.float64)


def to_numpy(x) -> np.ndarray:
    """Any backend's array as NumPy, for assertions (device arrays are copied to the host)."""
    if hasattr(x, "get"):  # CuPy
        return x.get()
    if hasattr(x, "detach"):  # PyTorch
        return x.detach().cpu().numpy()
    return np.asarray(x)


@pytest.fixture
def jax_numpy():
    """jax.numpy with float64 enabled; skipped where JAX is not installed."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    return jnp
