"""pyumami: a Python host for UMAMI matrix-element libraries.

    >>> import pyumami
    >>> with pyumami.load("build/lib/libref_gg_ttx.so") as lib:   # doctest: +SKIP
    ...     me = lib(momenta)                  # (n, 4, 4) float64 GeV -> (n,) |M|^2

See docs/host.md for the full API and ``pyumami --help`` for the command line.
"""

from __future__ import annotations

from . import abi, errors
from .abi import Device, InputKey, MetaKey, OutputKey, Status, describe_status
from .errors import *  # noqa: F403 - the exception classes, listed in errors.__all__
from .library import INPUT_NAMES, OUTPUT_NAMES, MatrixElementLibrary, load
from .warnings import DependencyConflictWarning, KinematicsWarning, OutputWarning, UmamiWarning

__version__ = "0.1.0"

__all__ = [
    "abi",
    "load",
    "check",  # noqa: F405 - provided on first use by __getattr__
    "MatrixElementLibrary",
    "INPUT_NAMES",
    "OUTPUT_NAMES",
    "Device",
    "InputKey",
    "MetaKey",
    "OutputKey",
    "Status",
    "describe_status",
    *errors.__all__,
    "UmamiWarning",
    "KinematicsWarning",
    "OutputWarning",
    "DependencyConflictWarning",
]


def __getattr__(name: str):
    # The checker pulls in phase_space and subprocess machinery; load it only
    # when asked for. `pyumami.check` is the callable module pyumami.check, so
    # both `pyumami.check(path)` and `pyumami.check.check(path)` work.
    if name == "check":
        import importlib

        return importlib.import_module(".check", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
