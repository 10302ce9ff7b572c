"""Uniform random numbers for the phase-space mappings, from any backend's generator.

A user passes whatever they have -- an integer seed, a NumPy `Generator`, a CuPy
generator (`cupy.random.default_rng()` or a `RandomState`), a JAX PRNG key, or a
`torch.Generator` -- and gets float64 arrays of shape (batch, dim) with values in
[0, 1) in that backend's namespace, ready for `mapping.forward(r)`:

    source = RandomSource(1234)                      # NumPy, seed 1234
    source = RandomSource(jax.random.key(0))         # JAX (needs jax_enable_x64)
    source = RandomSource(7, xp=array_api_strict)    # a seed, arrays of another namespace
    r = source.uniform(100_000, mapping.dim)

JAX keys are split on every call, so successive calls give independent numbers as
with the stateful generators. Seeds are reproducible on every backend, but each
backend has its own stream: the same seed gives different numbers on NumPy, JAX,
CuPy and PyTorch.
"""

from __future__ import annotations

import numbers
import sys
from typing import Any

import array_api_compat
import numpy as np

from .errors import JaxPrecisionError, UnsupportedRandomSourceError
from .protocols import Array


def _kind_of_namespace(xp: Any) -> str:
    """'numpy', 'jax', 'cupy', 'torch' or 'other' (served through NumPy + asarray)."""
    if array_api_compat.is_jax_namespace(xp):
        return "jax"
    if array_api_compat.is_cupy_namespace(xp):
        return "cupy"
    if array_api_compat.is_torch_namespace(xp):
        return "torch"
    if array_api_compat.is_numpy_namespace(xp):
        return "numpy"
    return "other"


def _is_generator_of(obj: Any, module: str, *classes: str) -> bool:
    """isinstance(obj, module.<class>) for one of `classes`, without importing `module`.

    array_api_compat's is_*_array helpers recognise arrays, not random generators
    (measured with array-api-compat 1.16: is_torch_array(torch.Generator()) is False;
    is_cupy_array tests for cupy.ndarray only), so the generator classes are matched
    here, by class rather than by module name. A module that is not imported yet cannot
    have made `obj`, so it is looked up in sys.modules and never imported.
    """
    found = sys.modules.get(module)
    if found is None:
        return False
    for path in classes:
        cls: Any = found
        for part in path.split("."):
            cls = getattr(cls, part, None)
        if isinstance(cls, type) and isinstance(obj, cls):
            return True
    return False


class RandomSource:
    """A stream of uniform float64 random numbers in [0, 1) on one array backend.

    Args:
        source: None (fresh entropy), an int seed, a `numpy.random.Generator`, a
            CuPy generator (`cupy.random.Generator` or `cupy.random.RandomState`), a
            JAX PRNG key (`jax.random.key` or `jax.random.PRNGKey`), a
            `torch.Generator`, or another RandomSource (returned unchanged by
            `random_source`).
        xp: the array namespace the numbers should live in. For a seed it picks the
            backend (jax.numpy -> JAX key, cupy -> CuPy generator, torch -> torch
            generator, anything else -> NumPy, converted with `xp.asarray`). For a
            generator it must match the generator's backend or be a namespace that
            can take NumPy arrays via `asarray` (e.g. array_api_strict).

    Raises:
        UnsupportedRandomSourceError: `source` is of an unknown type.
        JaxPrecisionError: a JAX source while jax_enable_x64 is off.
    """

    def __init__(self, source: Any = None, *, xp: Any = None) -> None:
        self._convert: Any = None
        self._generator: Any = None
        if source is None or isinstance(source, numbers.Integral) and not isinstance(source, bool):
            self._init_from_seed(None if source is None else int(source), xp)
            return
        if isinstance(source, np.random.Generator):
            self.kind, self._generator = "numpy", source
            if xp is not None and _kind_of_namespace(xp) != "numpy":
                self._convert = xp
        elif array_api_compat.is_jax_array(source):
            self._init_jax(source)
        elif _is_generator_of(source, "cupy", "random.Generator", "random.RandomState"):
            self.kind, self._generator = "cupy", source
        elif _is_generator_of(source, "torch", "Generator"):
            self.kind, self._generator = "torch", source
        else:
            raise UnsupportedRandomSourceError(
                f"cannot draw random numbers from a {type(source).__module__}."
                f"{type(source).__name__}; pass an int seed, a numpy.random.Generator, a "
                "cupy.random generator, a JAX PRNG key or a torch.Generator"
            )

    def _init_from_seed(self, seed: int | None, xp: Any) -> None:
        kind = "numpy" if xp is None else _kind_of_namespace(xp)
        if kind == "jax":
            import jax

            if seed is None:
                seed = int(np.random.SeedSequence().generate_state(1)[0])
            self._init_jax(jax.random.key(seed))
        elif kind == "cupy":
            import cupy

            self.kind, self._generator = "cupy", cupy.random.default_rng(seed)
        elif kind == "torch":
            import torch

            generator = torch.Generator()
            if seed is None:
                generator.seed()
            else:
                generator.manual_seed(seed)
            self.kind, self._generator = "torch", generator
        else:
            self.kind, self._generator = "numpy", np.random.default_rng(seed)
            if kind == "other":
                self._convert = xp

    def _init_jax(self, key: Any) -> None:
        import jax

        if not jax.config.read("jax_enable_x64"):
            raise JaxPrecisionError(
                "JAX is in 32-bit mode, so it cannot produce float64 random numbers; call "
                "jax.config.update('jax_enable_x64', True) before creating the RandomSource"
            )
        self.kind, self._key = "jax", key

    def uniform(self, batch: int, dim: int) -> Array:
        """A (batch, dim) float64 array of uniform numbers in [0, 1); advances the stream."""
        shape = (int(batch), int(dim))
        if self.kind == "numpy":
            values = self._generator.random(shape)
            return values if self._convert is None else self._convert.asarray(values)
        if self.kind == "jax":
            import jax
            import jax.numpy as jnp

            self._key, subkey = jax.random.split(self._key)
            return jax.random.uniform(subkey, shape, dtype=jnp.float64)
        if self.kind == "cupy":
            import cupy

            generator = self._generator
            draw = getattr(generator, "random", None) or generator.random_sample
            return draw(shape, dtype=cupy.float64)
        import torch

        generator = self._generator
        return torch.rand(shape, generator=generator, dtype=torch.float64, device=generator.device)


def random_source(source: Any = None, *, xp: Any = None) -> RandomSource:
    """`source` itself if it is a RandomSource, otherwise `RandomSource(source, xp=xp)`."""
    if isinstance(source, RandomSource):
        return source
    return RandomSource(source, xp=xp)


def uniform(source: Any, batch: int, dim: int, *, xp: Any = None) -> Array:
    """Uniform (batch, dim) float64 numbers in [0, 1) from a seed or backend generator.

    Stateful generators advance; a plain int seed gives the same numbers on every
    call (keep a RandomSource for a stream).
    """
    return random_source(source, xp=xp).uniform(batch, dim)
