"""Checks of what the full mappings are given: masses and energy, random numbers, momenta."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import array_api_compat

from .errors import BelowThresholdError, MomentumShapeError, RandomShapeError
from .protocols import Array


def concrete_float(value: Any) -> float | None:
    """`float(value)` for concrete numbers; None for traced values (e.g. under jax.jit)."""
    try:
        return float(value)
    except Exception:  # tracers refuse conversion (several exception types); skip the check
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


def check_randoms(r: Any, dim: int, name: str, *, any_batch_shape: bool = False) -> tuple[Any, Array]:
    """(namespace, r as float64) after checking shape (batch, dim).

    With any_batch_shape, r may have any number of leading batch axes, (..., dim).
    """
    xp = array_api_compat.array_namespace(r)
    ndim_ok = r.ndim >= 1 if any_batch_shape else r.ndim == 2
    if not ndim_ok or r.shape[-1] != dim:
        raise RandomShapeError(
            f"{name}.forward expects random numbers of shape (batch, {dim}), got {tuple(r.shape)}"
        )
    if r.dtype != xp.float64:
        r = xp.astype(r, xp.float64)
    return xp, r


def check_momenta(p: Any, n: int, name: str, *, any_batch_shape: bool = False) -> tuple[Any, Array]:
    """(namespace, p as float64) after checking shape (batch, 2 + n, 4)."""
    xp = array_api_compat.array_namespace(p)
    ndim_ok = p.ndim >= 2 if any_batch_shape else p.ndim == 3
    if not ndim_ok or tuple(p.shape[-2:]) != (n + 2, 4):
        raise MomentumShapeError(
            f"{name}.inverse expects momenta of shape (batch, {n + 2}, 4) (two incoming, "
            f"{n} outgoing), got {tuple(p.shape)}"
        )
    if p.dtype != xp.float64:
        p = xp.astype(p, xp.float64)
    return xp, p


def as_scalar(xp: Any, value: Any) -> Array:
    """A Python number or 0-d array as a float64 0-d array of namespace xp."""
    return xp.asarray(value, dtype=xp.float64)
