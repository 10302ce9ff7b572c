"""LHAPDF grid sets (``lhagrid1``) read without LHAPDF, evaluated on any array namespace.

    >>> import numpy as np, pyumami.pdf
    >>> pdf = pyumami.pdf.load()                       # the shipped default set
    >>> pdf.xfxQ(21, np.array([1e-3, 0.1]), 100.0)     # x*g(x, Q = 100 GeV)   # doctest: +SKIP

See docs/pdf.md for the format, the interpolation and the default set.
"""

from __future__ import annotations

from .errors import PDFError, PDFFormatError, PDFRangeError, PDFSetNotFoundError
from .pdfset import DATA_DIR, DEFAULT_SET, PDFSet, load, search_path

__all__ = [
    "load",
    "PDFSet",
    "DEFAULT_SET",
    "DATA_DIR",
    "search_path",
    "PDFError",
    "PDFFormatError",
    "PDFRangeError",
    "PDFSetNotFoundError",
]
