"""Opening a UMAMI shared object, in the process's link-map namespace or in one of its own.

``open_library(path, isolate=False)`` dlopens the file (``RTLD_NOW | RTLD_LOCAL``,
as MadSpace does); with ``isolate=True`` it uses glibc's
``dlmopen(LM_ID_NEWLM, ...)``, so the library gets its own copies of every
dependency and of every global. Either way the handle is wrapped by cffi
(``ffi.dlopen`` accepts a ``void *`` handle), so the entry points are the usual
cffi functions.

Limits of isolation (glibc): about 16 namespaces per process (the loader's
``DL_NNS``; each isolated load takes one and never returns it, since pyumami
does not unload libraries); each namespace has its own copy of libc and the C++
runtime, so memory and stdio are not shared with the rest of the process; a
library needing much initial-exec TLS can fail to load in a new namespace
("cannot allocate memory in static TLS block").

``dependency_conflicts(path)`` names the dependencies that the dynamic loader
would not take from where ``path`` asks for them, because a file of the same
name is already loaded from elsewhere (a dependency without SONAME is matched
by file name): the case where two libraries would silently share globals.
"""

from __future__ import annotations

import ctypes
import dataclasses
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cffi

from .abi import ffi
from .errors import LibraryLoadError

__all__ = ["Conflict", "OpenedLibrary", "dependency_conflicts", "open_library"]

_RTLD_NOW = 2
_RTLD_LOCAL = 0
_LM_ID_NEWLM = -1

# refme_last_error() is an extension of our reference libraries (the cause of the
# last failure on the calling thread), not part of umami.h: declared apart.
_EXTENSION = cffi.FFI()
_EXTENSION.cdef("const char* refme_last_error(void);")


@dataclasses.dataclass(frozen=True)
class OpenedLibrary:
    """A shared object opened for UMAMI calls.

    Attributes:
        lib: cffi library object with the ``umami_*`` entry points.
        last_error: returns the library's message for the last failure on the
            calling thread (``refme_last_error``), None where it has none.
        isolated: opened in a link-map namespace of its own.
    """

    lib: Any
    last_error: Callable[[], str | None]
    isolated: bool


def _libdl() -> Any:
    # glibc >= 2.34 has dlopen and dlmopen in libc itself; older ones in libdl
    for name in (None, "libdl.so.2"):
        lib = ctypes.CDLL(name)
        if hasattr(lib, "dlmopen"):
            break
    lib.dlopen.restype = lib.dlmopen.restype = lib.dlerror.restype = ctypes.c_void_p
    lib.dlopen.argtypes = [ctypes.c_char_p, ctypes.c_int]
    lib.dlmopen.argtypes = [ctypes.c_long, ctypes.c_char_p, ctypes.c_int]
    return lib


def open_library(path: str, *, isolate: bool = False) -> OpenedLibrary:
    """Open ``path``; LibraryLoadError (with the loader's message) when it fails."""
    libdl = _libdl()
    name = os.fsencode(path)
    if isolate:
        handle = libdl.dlmopen(_LM_ID_NEWLM, name, _RTLD_NOW | _RTLD_LOCAL)
    else:
        handle = libdl.dlopen(name, _RTLD_NOW | _RTLD_LOCAL)
    if not handle:
        message = libdl.dlerror()
        reason = ctypes.string_at(message).decode(errors="replace") if message else "unknown"
        hint = "check the path and that it was built for this machine (`file {path}`)"
        if isolate and "namespace" in reason.lower():
            hint = (
                "glibc allows about 16 link-map namespaces per process and each isolated load "
                "keeps one; load fewer libraries with isolate=True"
            )
        raise LibraryLoadError(
            f"cannot open {path} as a shared library: {reason}; " + hint.format(path=path)
        )
    lib = ffi.dlopen(ffi.cast("void *", handle))
    return OpenedLibrary(lib, _last_error_reader(handle), isolate)


def _last_error_reader(handle: int) -> Callable[[], str | None]:
    extension = _EXTENSION.dlopen(_EXTENSION.cast("void *", handle))
    try:
        function = extension.refme_last_error
    except AttributeError:
        return lambda: None

    def read() -> str | None:
        message = function()
        if message == _EXTENSION.NULL:
            return None
        text = _EXTENSION.string(message).decode(errors="replace").strip()
        return text or None

    return read


@dataclasses.dataclass(frozen=True)
class Conflict:
    """A dependency ``name`` that ``path`` would find at ``wanted`` while a file
    of that name is already loaded from ``loaded``."""

    name: str
    wanted: str
    loaded: str


def _dynamic_tags(path: str) -> tuple[list[str], list[str]]:
    """(DT_NEEDED names, RUNPATH/RPATH directories with $ORIGIN expanded) of ``path``."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.dynamic import DynamicSection
    from elftools.elf.elffile import ELFFile

    needed: list[str] = []
    search: list[str] = []
    origin = str(Path(path).resolve().parent)
    try:
        with open(path, "rb") as stream:
            for section in ELFFile(stream).iter_sections():
                if not isinstance(section, DynamicSection):
                    continue
                for tag in section.iter_tags():
                    if tag.entry.d_tag == "DT_NEEDED":
                        needed.append(tag.needed)  # type: ignore[attr-defined]
                    elif tag.entry.d_tag in ("DT_RUNPATH", "DT_RPATH"):
                        text = getattr(
                            tag, "runpath" if tag.entry.d_tag == "DT_RUNPATH" else "rpath"
                        )
                        for entry in text.split(":"):
                            search.append(
                                entry.replace("${ORIGIN}", origin).replace("$ORIGIN", origin)
                            )
    except (OSError, ELFError):
        return [], []
    return needed, search


def _loaded_objects() -> dict[str, set[str]]:
    """{file name: real paths} of the shared objects mapped in this process."""
    loaded: dict[str, set[str]] = {}
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                fields = line.split(maxsplit=5)
                if len(fields) == 6 and fields[5].startswith("/") and ".so" in fields[5]:
                    mapped = fields[5].strip()
                    loaded.setdefault(os.path.basename(mapped), set()).add(os.path.realpath(mapped))
    except OSError:
        pass
    return loaded


def dependency_conflicts(path: str) -> list[Conflict]:
    """Direct dependencies of ``path`` found through its RUNPATH/RPATH or
    LD_LIBRARY_PATH at one place while a file of the same name is already loaded
    from another: the dynamic loader would bind ``path`` to the loaded one."""
    needed, search = _dynamic_tags(path)
    if not needed:
        return []
    loaded = _loaded_objects()
    search += [d for d in os.environ.get("LD_LIBRARY_PATH", "").split(":") if d]
    conflicts = []
    for name in needed:
        if name not in loaded:
            continue
        for directory in search:
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate):
                wanted = os.path.realpath(candidate)
                if wanted not in loaded[name]:
                    conflicts.append(Conflict(name, wanted, min(loaded[name])))
                break
    return conflicts
