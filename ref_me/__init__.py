"""Reference UMAMI matrix elements (CUDACPP-style C++, CPU and CUDA builds).

The physics lives in C++ (``ref_me/include/refme``, ``ref_me/processes``); this
Python module only finds the built shared objects and the default param card.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DEVICES", "FLAVORS", "PROCESSES", "default_param_card", "library_path"]

_HERE = Path(__file__).resolve().parent
#: Process names, each built to libref_<name>.so; particle order as in MadGraph
#: (``qq_ttx``: the quark flavour and beam order come from FLAVOR_INDEX, see FLAVORS).
PROCESSES = {
    "ee_mumu": "e+ e- > mu+ mu-",
    "gg_ttx": "g g > t t~",
    "gg_ttxg": "g g > t t~ g",
    "gg_ttxgg": "g g > t t~ g g",
    "qq_ttx": "q q~ > t t~",
}
#: Light quarks of qq_ttx in FLAVOR_INDEX order (PDG ids): u, d, s, c, b, all massless.
_QQ_QUARKS = (2, 1, 3, 4, 5)
#: PDG ids (incoming first, particle order of the library) for each FLAVOR_INDEX value:
#: ``FLAVORS[process][flavor_index]``. qq_ttx: index 2 k is q q~ and 2 k + 1 is q~ q for
#: the k-th quark of (u, d, s, c, b); the other processes take index 0 only.
FLAVORS: dict[str, tuple[tuple[int, ...], ...]] = {
    "ee_mumu": ((-11, 11, -13, 13),),
    "gg_ttx": ((21, 21, 6, -6),),
    "gg_ttxg": ((21, 21, 6, -6, 21),),
    "gg_ttxgg": ((21, 21, 6, -6, 21, 21),),
    "qq_ttx": tuple(ids for q in _QQ_QUARKS for ids in ((q, -q, 6, -6), (-q, q, 6, -6))),
}
DEVICES = ("cpu", "cuda")


def _search_dirs() -> list[Path]:
    # REFME_LIBRARY_DIR first (e.g. the sanitizer build of `make test-sanitize`), then
    # the installed wheel, then a source checkout built with `make libs`.
    override = os.environ.get("REFME_LIBRARY_DIR")
    return [*([Path(override)] if override else []), _HERE / "lib", _HERE.parent / "build" / "lib"]


def library_path(process: str, device: str = "cpu") -> Path:
    """Path of the built UMAMI library for ``process`` on ``device`` ("cpu" or "cuda").

    Raises KeyError for an unknown process or device, FileNotFoundError when the
    library has not been built (run ``make libs``).
    """
    if process not in PROCESSES:
        raise KeyError(f"unknown process {process!r}; known: {', '.join(PROCESSES)}")
    if device not in DEVICES:
        raise KeyError(f"unknown device {device!r}; use one of {DEVICES}")
    name = f"libref_{process}{'_cuda' if device == 'cuda' else ''}.so"
    for directory in _search_dirs():
        candidate = directory / name
        if candidate.is_file():
            return candidate
    searched = ", ".join(str(d) for d in _search_dirs())
    raise FileNotFoundError(f"{name} is not built (looked in {searched}); run `make libs`")


def default_param_card() -> Path:
    """The SM param card (SLHA) the reference libraries read by default."""
    return _HERE / "cards" / "param_card.dat"
