"""The UMAMI ABI contract: the C header ``include/umami.h`` shipped as package data.

Everything in pyumami that needs to know the ABI (FFI declarations, enum values)
derives it from this header; nothing retypes it.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["include_dir", "header_path", "cdef_source"]

_HERE = Path(__file__).resolve().parent
_BEGIN = "/* UMAMI_CDEF_BEGIN */"
_END = "/* UMAMI_CDEF_END */"


def include_dir() -> Path:
    """Directory to pass as ``-I`` when compiling against ``umami.h``."""
    return _HERE / "include"


def header_path() -> Path:
    """Path of ``umami.h``."""
    return include_dir() / "umami.h"


def cdef_source() -> str:
    """The declarations of ``umami.h`` between its CDEF markers, for ``cffi.FFI.cdef``.

    The block holds plain C declarations only (no preprocessor directives), so
    cffi can parse it as it stands.
    """
    text = header_path().read_text()
    try:
        start = text.index(_BEGIN) + len(_BEGIN)
        stop = text.index(_END, start)
    except ValueError as exc:  # pragma: no cover - the header is ours
        raise RuntimeError(f"{header_path()} lacks the {_BEGIN} / {_END} markers") from exc
    return text[start:stop]
