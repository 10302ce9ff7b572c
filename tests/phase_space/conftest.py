"""Backends the phase-space suite runs on.

`xp` runs a test on NumPy and on array_api_strict: passing under the strict
namespace proves the code uses only the array API standard, which is how CuPy
support is tested on a machine without a GPU.
"""
from __future__ import annotations

import numpy as np
import pytest

BACKENDS = ["numpy", "array_api_strict"]


@pytest.fixture(params=BACKENDS)
def xp(request):
    """The array namespace under test (float64 everywhere)."""
    if request.param == "numpy":
        import array_api_compat.numpy as xp_numpy

        return xp_numpy
    return pytest.importorskip("array_api_strict")


def to_xp(xp, values, dtype=None):
    """A NumPy array (or nested list) as a float64 array of namespace `xp`."""
    return xp.asarray(np.asarray(values, dtype=np.float64), dtype=dtype or xp.float64)


def to_numpy(x) -> np.ndarray:
    """Any backend's array as NumPy, for assertions."""
    return np.asarray(x)


@pytest.fixture
def jax_numpy():
    """jax.numpy with float64 enabled; skipped where JAX is not installed."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    return jnp
