"""Checks that turn silent wrong answers into errors and warnings, on whole batches.

``check_kinematics(momenta, masses)`` (GeV; (n, npar, 4), incoming first) raises
:class:`~pyumami.errors.KinematicsError` for events no collision produces (all
components zero, a negative energy, momentum not conserved) and warns
(:class:`~pyumami.errors.KinematicsWarning`) for momenta off the library's mass
shell (then the answer is for other particles, e.g. momenta made with another
card or for another process). ``check_outputs(outputs)`` warns
(:class:`~pyumami.errors.OutputWarning`) for NaN or infinite outputs. Every
message counts the events concerned and names the first.

Both work on any array-API array (NumPy, CuPy, PyTorch, JAX) without a copy to
the host beyond the few scalars of the verdict.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import array_api_compat

from .errors import KinematicsError
from .warnings import KinematicsWarning, OutputWarning

__all__ = ["CONSERVATION_TOLERANCE", "SHELL_TOLERANCE", "check_kinematics", "check_outputs"]

#: |sum in - sum out| allowed per component, relative to the incoming energy
CONSERVATION_TOLERANCE = 1e-8
#: |E^2 - p^2 - m^2| allowed, relative to E^2 (float64 keeps ~1e-16 of E^2)
SHELL_TOLERANCE = 1e-6
_INCOMING = 2


def _first(xp: Any, bad: Any) -> tuple[int, int]:
    """(number of True entries, index of the first) of the boolean vector ``bad``."""
    count = int(xp.sum(xp.astype(bad, xp.int64)))
    return count, (int(xp.argmax(xp.astype(bad, xp.int8))) if count else -1)


def _swapped_hint(xp: Any, momenta: Any) -> str:
    """A hint when the momenta read with their last two axes swapped conserve momentum."""
    if momenta.shape[1] != 4 or momenta.shape[0] == 0:
        return ""
    swapped = xp.permute_dims(momenta, (0, 2, 1))
    if bool(xp.all(_conserved(xp, swapped))) and bool(xp.all(swapped[..., 0] >= 0)):
        return "; the last two axes look swapped (use momenta.transpose(0, 2, 1))"
    return ""


def _conserved(xp: Any, p: Any) -> Any:
    total = xp.sum(p[:, :_INCOMING, :], axis=1) - xp.sum(p[:, _INCOMING:, :], axis=1)
    scale = xp.sum(p[:, :_INCOMING, 0], axis=1)
    return xp.max(xp.abs(total), axis=1) <= CONSERVATION_TOLERANCE * xp.abs(scale)


def _device(x: Any) -> Any:
    return array_api_compat.device(x)


def check_kinematics(momenta: Any, masses: Sequence[float] | None) -> None:
    """Raise KinematicsError for unphysical events, warn for off-shell ones."""
    xp = array_api_compat.array_namespace(momenta)
    n = int(momenta.shape[0])
    if n == 0 or momenta.shape[1] <= _INCOMING:
        return
    energy = momenta[..., 0]
    problems = []
    zero, first = _first(xp, xp.all(momenta == 0, axis=(1, 2)))
    if zero:
        problems.append(
            f"{zero} of {n} event(s) have all-zero momenta (first at event index {first})"
        )
    negative, first = _first(xp, xp.any(energy < 0, axis=1))
    if negative:
        problems.append(
            f"{negative} of {n} event(s) have a negative energy (first at event index {first})"
        )
    broken, first = _first(xp, ~_conserved(xp, momenta))
    if broken:
        problems.append(
            f"{broken} of {n} event(s) do not conserve momentum (sum of the first {_INCOMING} "
            f"minus sum of the others; first at event index {first})"
        )
    if problems:
        raise KinematicsError(
            "; ".join(problems)
            + _swapped_hint(xp, momenta)
            + "; momenta are (n_events, particles, 4) as (E, px, py, pz) in GeV, incoming first"
        )
    if masses is None:
        return
    m = xp.asarray(list(masses), dtype=momenta.dtype, device=_device(momenta))
    mass2 = energy**2 - momenta[..., 1] ** 2 - momenta[..., 2] ** 2 - momenta[..., 3] ** 2
    off = xp.abs(mass2 - m**2) > SHELL_TOLERANCE * energy**2
    count, first = _first(xp, xp.any(off, axis=1))
    if count:
        particle = int(xp.argmax(xp.astype(off[first, :], xp.int8)))
        found = float(mass2[first, particle])
        found_mass = found**0.5 if found >= 0 else -((-found) ** 0.5)
        warnings.warn(
            f"{count} of {n} event(s) are off the library's mass shell (first at event index "
            f"{first}: particle {particle} has mass {found_mass:.6g} GeV, the library's is "
            f"{float(masses[particle]):.6g} GeV); the results are for other masses (momenta made "
            f"with another param card or for another process?)",
            KinematicsWarning,
            stacklevel=3,
        )


def check_outputs(outputs: Mapping[str, Any]) -> None:
    """Warn for NaN or infinite values in floating outputs ((n,) or (n, k) arrays)."""
    for name, array in outputs.items():
        xp = array_api_compat.array_namespace(array)
        if not xp.isdtype(array.dtype, "real floating") or array.shape[0] == 0:
            continue
        finite = xp.isfinite(array)
        if array.ndim > 1:
            finite = xp.all(finite, axis=tuple(range(1, array.ndim)))
        count, first = _first(xp, ~finite)
        if count:
            warnings.warn(
                f"{count} of {array.shape[0]} event(s) have NaN or infinite {name} (first at "
                f"event index {first}); the library could not evaluate them (check their momenta "
                f"and inputs, or run `pyumami check` on the library)",
                OutputWarning,
                stacklevel=3,
            )
