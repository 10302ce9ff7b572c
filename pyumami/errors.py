"""Exceptions raised by the pyumami host.

Every exception derives from :class:`UmamiError`, and also from the builtin
exception that describes the kind of mistake (``ValueError`` for bad values and
shapes, ``TypeError`` for a wrong dtype, ``OSError`` for a library that cannot be
opened, ...), so callers can catch either. Messages name the cause and the fix.
"""

from __future__ import annotations

from typing import Any

from . import abi

__all__ = [
    "DeviceMismatchError",
    "DtypeError",
    "FirstContactError",
    "GradientNotSupportedError",
    "InitializationError",
    "InputLengthError",
    "InputValueError",
    "KinematicsError",
    "LibraryClosedError",
    "LibraryLoadError",
    "MissingInputError",
    "MissingSymbolError",
    "MomentaNdimError",
    "MomentaShapeError",
    "NonFiniteMomentaError",
    "ParameterNotSupportedError",
    "StatusError",
    "TracedArrayError",
    "UmamiError",
    "UnsupportedInputError",
    "UnsupportedOutputError",
    "status_readings",
]


class UmamiError(Exception):
    """Base class of every error raised by pyumami's host."""


class LibraryLoadError(UmamiError, OSError):
    """The shared object could not be opened (missing file, wrong architecture, ...)."""


class MissingSymbolError(LibraryLoadError):
    """The library does not export a mandatory UMAMI entry point."""

    def __init__(self, path: str, symbol: str) -> None:
        self.path = path
        self.symbol = symbol
        super().__init__(
            f"{path} does not export the mandatory UMAMI entry point {symbol!r}; "
            f"a UMAMI library must export {', '.join(abi.MANDATORY_SYMBOLS)} with C linkage "
            f'(check `nm -D {path}` and that the functions are declared extern "C")'
        )


class LibraryClosedError(UmamiError, RuntimeError):
    """A call was made on a library after ``close()``."""


class MomentaShapeError(UmamiError, ValueError):
    """Momenta do not have the shape (n_events, particle_count, 4)."""


class MomentaNdimError(MomentaShapeError):
    """Momenta do not have three dimensions (n_events, particle_count, 4)."""


class DtypeError(UmamiError, TypeError):
    """An array has a dtype the ABI cannot take without a lossy conversion."""


class NonFiniteMomentaError(UmamiError, ValueError):
    """Momenta contain NaN or infinite components."""


class InputLengthError(UmamiError, ValueError):
    """A per-event input is an array whose length is not the number of events."""


class InputValueError(UmamiError, ValueError):
    """A per-event input has a value the ABI type cannot hold (e.g. a negative unsigned index)."""


class MissingInputError(UmamiError, ValueError):
    """The library requires an input that was not given."""


class UnsupportedInputError(UmamiError, ValueError):
    """An input was given that the library does not accept."""


class UnsupportedOutputError(UmamiError, ValueError):
    """An output was requested that the library does not produce (or that is unknown)."""


class DeviceMismatchError(UmamiError, ValueError):
    """Arrays live on another device than the library's (host vs GPU memory)."""


def status_readings(code: int, numbering: str = "unknown") -> str:
    """Describe a status code for a message: the header's name and, for the codes
    5 and 6, the other numbering's reading. For a library whose ``numbering``
    (a :class:`pyumami.introspection.StatusNumbering`) is known to be the old
    one, the old reading comes first."""
    if code in (5, 6) and numbering == "old":
        return (
            f"{abi.OldStatus(code).name} (status {code} under the older numbering this library "
            f"uses; {abi.Status(code).name} under UMAMI 1.0)"
        )
    text = abi.describe_status(code)
    if code in (5, 6):
        if numbering == "current":
            text += "; this library looks like it uses the current numbering"
        else:
            text += "; which header this library was built with is unknown"
    return text


def _without_entry_point(detail: str, entry_point: str) -> str:
    """The library's message without a leading "entry_point: " (it is named already)."""
    name = entry_point.split("(", 1)[0]
    for prefix in (f"{entry_point}: ", f"{name}: "):
        if detail.startswith(prefix):
            return detail[len(prefix) :]
    return detail


class StatusError(UmamiError, RuntimeError):
    """An entry point returned a non-zero UmamiStatus.

    Attributes: ``status`` (the raw int), ``entry_point`` (the C function),
    ``readings`` (the description with both readings of codes 5 and 6),
    ``detail`` (the library's own message on the cause, where it gives one).
    """

    def __init__(
        self,
        entry_point: str,
        status: int,
        *,
        numbering: str = "unknown",
        path: str = "",
        hint: str = "",
        detail: str | None = None,
    ) -> None:
        self.entry_point = entry_point
        self.status = int(status)
        self.readings = status_readings(self.status, numbering)
        self.detail = None if detail is None else _without_entry_point(detail, entry_point)
        where = f" ({path})" if path else ""
        message = f"{entry_point}{where} returned {self.readings}"
        if self.detail:
            message += f": {self.detail}"
        if hint:
            message += f"; {hint}"
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        # rebuilt from its message and attributes, not by calling __init__ with the message:
        # so the error crosses process boundaries (worker processes, Dask workers) intact
        return (_rebuilt_exception, (type(self), self.args, dict(self.__dict__)))


def _rebuilt_exception(cls: type[BaseException], args: tuple, state: dict) -> BaseException:
    error = cls.__new__(cls)
    BaseException.__init__(error, *args)
    error.__dict__.update(state)
    return error


class InitializationError(StatusError):
    """``umami_initialize`` failed (typically a missing or malformed param card)."""


class TracedArrayError(UmamiError, TypeError):
    """An array has no concrete values (a JAX tracer inside jit / grad / vmap)."""


class KinematicsError(UmamiError, ValueError):
    """Momenta that no physical event has (zero, negative energies, not conserved)."""


class FirstContactError(UmamiError, RuntimeError):
    """The first contact with a library (load, first initialise, capability
    probing), made in a child process, failed or crashed."""


class ParameterNotSupportedError(UmamiError, NotImplementedError):
    """The library does not implement run-time model parameters
    (``umami_set_parameter`` / ``umami_get_parameter`` absent or NOT_IMPLEMENTED)."""


class GradientNotSupportedError(UmamiError, NotImplementedError):
    """The library offers no gradient for what was asked (no gradient extension
    outputs of umami.h for the momenta or for that parameter)."""
