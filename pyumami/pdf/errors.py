"""Exceptions raised while finding, reading and evaluating LHAPDF grid sets."""

from __future__ import annotations

from ..errors import UmamiError

__all__ = ["PDFError", "PDFSetNotFoundError", "PDFFormatError", "PDFRangeError"]


class PDFError(UmamiError):
    """Base class of the PDF errors."""


class PDFSetNotFoundError(PDFError, FileNotFoundError):
    """No set of that name on the search path, or no such directory."""


class PDFFormatError(PDFError, ValueError):
    """A .info or .dat file that is not a readable lhagrid1 set."""


class PDFRangeError(PDFError, ValueError):
    """x outside [0, x_max] or a negative / non-finite Q^2, where LHAPDF refuses too."""
