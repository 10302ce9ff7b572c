"""The exceptions of the phase-space package, one class per condition.

Every class derives from `PhaseSpaceError` and from the built-in exception a caller
would expect for the condition (ValueError for bad values and shapes, TypeError for
objects of the wrong kind), so `except ValueError` keeps working.
"""

from __future__ import annotations

__all__ = [
    "BelowThresholdError",
    "InputDtypeError",
    "JaxPrecisionError",
    "LuminosityError",
    "MomentumShapeError",
    "PhaseSpaceError",
    "RandomRangeError",
    "RandomShapeError",
    "TopologyError",
    "UnsupportedRandomSourceError",
]


class PhaseSpaceError(Exception):
    """Base class of every error raised by `phase_space`."""


class BelowThresholdError(PhaseSpaceError, ValueError):
    """The collision energy (or the lowest partonic s-hat) is not above sum(final-state masses)."""


class RandomShapeError(PhaseSpaceError, ValueError):
    """Random numbers whose shape is not (batch, mapping.dim)."""


class RandomRangeError(PhaseSpaceError, ValueError):
    """Random numbers outside [0, 1), or NaN: they would give unphysical points."""


class MomentumShapeError(PhaseSpaceError, ValueError):
    """Momenta whose shape is not (batch, 2 + n, 4) for a mapping's inverse."""


class InputDtypeError(PhaseSpaceError, TypeError):
    """Random numbers or momenta that are not real numbers (booleans, complex, strings)."""


class LuminosityError(PhaseSpaceError, ValueError):
    """Inconsistent collider energy or s-hat range of a `Luminosity`."""


class TopologyError(PhaseSpaceError, ValueError):
    """A topology that does not describe a valid tree-level diagram."""


class UnsupportedRandomSourceError(PhaseSpaceError, TypeError):
    """The object passed as a random source is none of the supported kinds."""


class JaxPrecisionError(PhaseSpaceError, RuntimeError):
    """JAX is running in 32-bit mode, so float64 random numbers cannot be produced."""
