"""Warnings issued by the pyumami host: results that are computed but deserve
attention (the errors, for results that cannot be trusted, are in ``pyumami.errors``)."""

from __future__ import annotations

__all__ = ["DependencyConflictWarning", "KinematicsWarning", "OutputWarning", "UmamiWarning"]


class UmamiWarning(UserWarning):
    """Base class of pyumami's warnings."""


class KinematicsWarning(UmamiWarning):
    """Momenta off the library's mass shell: the answers are for other particles."""


class OutputWarning(UmamiWarning):
    """The library returned NaN or infinite values."""


class DependencyConflictWarning(UmamiWarning):
    """A library would bind to a same-named dependency loaded from another path."""
