"""Checks of what the full mappings are given: masses and energy, random numbers, momenta.

The mappings take arrays of any array-API namespace and, like the host (pyumami),
Python lists and other array-likes, which are converted with NumPy. Random numbers
must be real, of shape (batch, dim) and in [0, 1); values outside give unphysical
points with ordinary-looking weights, so they are refused. Inside a JAX trace (jit,
grad, vmap) the values of an array cannot be read: the range check is skipped there
and the caller is responsible for the range (a `RandomSource` always delivers it).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import array_api_compat
import array_api_compat.numpy as np_xp
import numpy as np

from .errors import (
    BelowThresholdError,
    InputDtypeError,
    MomentumShapeError,
    RandomRangeError,
    RandomShapeError,
)
from .protocols import Array


def concrete_float(value: Any) -> float | None:
    """`float(value)` for concrete numbers; None for traced values (e.g. under jax.jit)."""
    try:
        return float(value)
    except TypeError:  # a JAX tracer (ConcretizationTypeError is a TypeError): not checked
        return None


def check_final_state(masses: Sequence[Any], sqrt_s: Any, name: str) -> tuple[Any, ...]:
    """Validate final-state masses (GeV) and energy sqrt_s (GeV); returns masses as a tuple.

    Raises BelowThresholdError if sum(masses) >= sqrt_s, ValueError for negative masses
    or fewer than two particles. Values that are not concrete (jax tracers) are not
    checked so that mappings can be built inside traced functions.
    """
    masses = tuple(masses)
    if len(masses) < 2:
        raise ValueError(f"{name} needs at least 2 final-state particles, got {len(masses)}")
    values = [concrete_float(m) for m in masses]
    energy = concrete_float(sqrt_s)
    if any(v is not None and v < 0.0 for v in values):
        raise ValueError(f"{name}: final-state masses must be >= 0 GeV, got {masses}")
    known = [v for v in values if v is not None]
    if energy is not None and len(known) == len(values) and energy <= sum(known):
        raise BelowThresholdError(
            f"{name}: sqrt_s = {energy} GeV is not above the threshold sum(masses) = "
            f"{sum(known)} GeV; raise sqrt_s or lower the masses"
        )
    return masses


def as_array(x: Any, what: str) -> tuple[Any, Array]:
    """(namespace, array) of `x`: arrays keep their namespace, array-likes become NumPy.

    Raises InputDtypeError for values that are not real numbers (booleans included,
    as the host refuses them), whatever their namespace.
    """
    if array_api_compat.is_array_api_obj(x):
        xp = array_api_compat.array_namespace(x)
        real = xp.isdtype(x.dtype, ("real floating", "integral"))
        array = x
    else:
        try:
            array = np.asarray(x)
        except ValueError as error:  # ragged nested lists
            raise InputDtypeError(
                f"{what} must be a rectangular array of real numbers; {error}"
            ) from error
        xp = np_xp
        real = array.dtype.kind in "fiu"
    if not real:
        raise InputDtypeError(
            f"{what} must be real numbers, got dtype {array.dtype}; pass float64 values"
        )
    return xp, array


def values_hidden(x: Array) -> bool:
    """Whether the values of x cannot be read now: inside a JAX trace (jit, grad, vmap)."""
    if array_api_compat.is_jax_array(x):
        # array_api_compat.is_lazy_array is True for every JAX array, also for concrete
        # ones outside any trace (measured, array-api-compat 1.16), which would skip the
        # check everywhere in JAX; only a Tracer hides its values.
        return isinstance(x, sys.modules["jax"].core.Tracer)
    return array_api_compat.is_lazy_array(x)


def check_unit_interval(xp: Any, r: Array, name: str) -> None:
    """Raise RandomRangeError if any entry of r (..., dim) is outside [0, 1) or NaN.

    Skipped where the values cannot be read (`values_hidden`).
    """
    if values_hidden(r) or array_api_compat.size(r) == 0:
        return
    outside = ~((r >= 0.0) & (r < 1.0))  # NaN compares False both ways
    any_outside = xp.any(outside)
    # a concrete JAX array used inside jax.jit gives traced results: test those too
    if values_hidden(any_outside) or not bool(any_outside):
        return
    flat = xp.reshape(outside, (-1,))
    count = int(xp.sum(xp.astype(flat, xp.int64)))
    first = int(xp.argmax(xp.astype(flat, xp.int8)))
    value = float(xp.reshape(r, (-1,))[first])
    dim = r.shape[-1]
    raise RandomRangeError(
        f"{name}.forward needs random numbers in [0, 1), got {count} value(s) outside "
        f"(first: {value} at event {first // dim}, column {first % dim}); draw them with "
        f"phase_space.RandomSource or numpy.random.Generator.random"
    )


def check_randoms(
    r: Any, dim: int, name: str, *, any_batch_shape: bool = False
) -> tuple[Any, Array]:
    """(namespace, r as float64) after checking shape (batch, dim), dtype and range [0, 1).

    With any_batch_shape, r may have any number of leading batch axes, (..., dim).
    """
    xp, r = as_array(r, f"{name}.forward's random numbers")
    ndim_ok = r.ndim >= 1 if any_batch_shape else r.ndim == 2
    if not ndim_ok or r.shape[-1] != dim:
        raise RandomShapeError(
            f"{name}.forward expects random numbers of shape (batch, {dim}), got {tuple(r.shape)}"
        )
    if r.dtype != xp.float64:
        r = xp.astype(r, xp.float64)
    check_unit_interval(xp, r, name)
    return xp, r


def check_momenta(p: Any, n: int, name: str, *, any_batch_shape: bool = False) -> tuple[Any, Array]:
    """(namespace, p as float64) after checking shape (batch, 2 + n, 4) and dtype."""
    xp, p = as_array(p, f"{name}.inverse's momenta")
    ndim_ok = p.ndim >= 2 if any_batch_shape else p.ndim == 3
    if not ndim_ok or tuple(p.shape[-2:]) != (n + 2, 4):
        raise MomentumShapeError(
            f"{name}.inverse expects momenta of shape (batch, {n + 2}, 4) (two incoming, "
            f"{n} outgoing), got {tuple(p.shape)}"
        )
    if p.dtype != xp.float64:
        p = xp.astype(p, xp.float64)
    return xp, p


#: The largest float64 below 1.
_BELOW_ONE = 1.0 - 2.0**-53


def below_one(xp: Any, r: Array) -> Array:
    """r with entries equal to 1 replaced by the largest float64 below 1.

    An inverse can land exactly on 1 (an azimuth of exactly pi, an invariant at its upper
    limit); forward refuses 1, so every inverse returns r in [0, 1) this way, moving such
    points by 1.1e-16.
    """
    return xp.where(r == 1.0, _BELOW_ONE, r)


def as_scalar(xp: Any, value: Any) -> Array:
    """A Python number or 0-d array as a float64 0-d array of namespace xp."""
    return xp.asarray(value, dtype=xp.float64)
