"""What is generated: subprocesses (a library, its PDG ids, a FLAVOR_INDEX) and their
phase-space channels (diagram topologies).

A :class:`Process` is a list of :class:`Subprocess` objects sharing one collider
setup; ``p p > t t~`` is ``g g > t t~`` plus ``q q~ > t t~`` for five flavours in
both beam orders. Each subprocess knows its channels: one
:class:`phase_space.Topology` per group of diagrams (with the DIAGRAM_AMP2
columns it enhances) for the reference libraries, or ``None`` (one FastRambo or
Chili channel) for a foreign library.

Particle names are MadGraph's (``g``, ``t~``, ``e+``, ``a``, ``z``, ``ve``, ...) or
the PyPI ``particle`` package's; masses and widths of propagators come from that
package, the external masses from the library (its MASSES metadata is the truth
the matrix element was computed with), checked against the package.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

from particle import Particle
from particle.particle import ParticleNotFound

from phase_space import Topology

from ..library import MatrixElementLibrary, load
from .errors import ProcessError

__all__ = [
    "MULTI_PARTICLES",
    "REFERENCE_LIBRARIES",
    "Channel",
    "Process",
    "ReferenceLibrary",
    "Resonance",
    "Subprocess",
    "parse_process",
    "particle_name",
    "pdg_id",
    "pdg_mass",
    "pdg_width",
]

#: MadGraph names the ``particle`` package spells differently.
_MADGRAPH_NAMES = {
    "a": "gamma",
    "z": "Z0",
    "w+": "W+",
    "w-": "W-",
    "h": "H0",
    "ta-": "tau-",
    "ta+": "tau+",
    "ve": "nu(e)",
    "vm": "nu(mu)",
    "vt": "nu(tau)",
    "ve~": "nu(e)~",
    "vm~": "nu(mu)~",
    "vt~": "nu(tau)~",
}
_LIGHT_QUARKS = (1, 2, 3, 4, 5)
#: Multi-particle labels, as in MadGraph with a five-flavour proton.
MULTI_PARTICLES: Mapping[str, tuple[int, ...]] = {
    "p": (21, *_LIGHT_QUARKS, *(-q for q in _LIGHT_QUARKS)),
    "j": (21, *_LIGHT_QUARKS, *(-q for q in _LIGHT_QUARKS)),
    "q": _LIGHT_QUARKS,
    "q~": tuple(-q for q in _LIGHT_QUARKS),
}
#: A library mass of 0 is accepted for particles below this PDG mass (GeV): the
#: massless approximation of leptons and the five light quarks.
_MASSLESS_LIMIT_GEV = 5.0
#: Relative tolerance between a library mass and the PDG mass (different param cards).
_MASS_TOLERANCE = 0.05


@cache
def _particle(pdg: int) -> Particle:
    try:
        return Particle.from_pdgid(pdg)
    except (ParticleNotFound, ValueError):
        raise ProcessError(
            f"unknown PDG id {pdg}; use the ids of the PDG numbering scheme"
        ) from None


#: PDG ids of the Standard-Model particles looked up by name first (the particle package's
#: own name search scans its whole table, ~1 s per name).
_SM_IDS = (*range(1, 7), *range(11, 17), *range(21, 26))


@lru_cache(maxsize=1)
def _sm_names() -> dict[str, int]:
    out = {}
    for pdg in _SM_IDS:
        for signed in (pdg, -pdg):
            try:
                out[str(Particle.from_pdgid(signed).name)] = signed
            except (ParticleNotFound, ValueError):
                continue
    return out


@cache
def pdg_id(name: str) -> int:
    """PDG id of a particle name (MadGraph's, e.g. ``t~``, ``a``, ``ve``, or the particle
    package's, e.g. ``gamma``, ``Z0``); an int-like string is read as an id."""
    text = name.strip()
    if re.fullmatch(r"[+-]?\d+", text):
        pdg = int(text)
        _particle(pdg)
        return pdg
    lookup = _MADGRAPH_NAMES.get(text.lower(), text)
    if lookup in _sm_names():
        return _sm_names()[lookup]
    try:
        return int(Particle.from_name(lookup).pdgid)
    except (ParticleNotFound, ValueError):
        raise ProcessError(
            f"unknown particle name {name!r}; use MadGraph names (g, u~, t, e+, mu-, a, z, ve) "
            "or PDG ids"
        ) from None


def particle_name(pdg: int) -> str:
    """The particle package's name of a PDG id (e.g. 't~', 'e+')."""
    return str(_particle(int(pdg)).name)


def pdg_mass(pdg: int) -> float:
    """PDG mass in GeV (0 where the particle package has none)."""
    mass = _particle(int(pdg)).mass
    return 0.0 if mass is None else float(mass) / 1000.0


def pdg_width(pdg: int) -> float:
    """PDG total width in GeV (0 where the particle package has none)."""
    width = _particle(int(pdg)).width
    return 0.0 if width is None else float(width) / 1000.0


def parse_process(spec: str) -> tuple[tuple[tuple[int, ...], ...], tuple[tuple[int, ...], ...]]:
    """``"p p > t t~"`` -> (per incoming leg the PDG ids it may be, the same for the outgoing).

    Multi-particle labels (``p``, ``j``, ``q``, ``q~``) expand to several ids."""
    if spec.count(">") != 1:
        raise ProcessError(f"a process reads 'a b > c d ...' with one '>' (got {spec!r})")
    left, right = (side.split() for side in spec.split(">"))
    if len(left) != 2 or not right:
        raise ProcessError(
            f"a process needs two incoming particles and at least one outgoing (got {spec!r})"
        )

    def ids(name: str) -> tuple[int, ...]:
        return MULTI_PARTICLES[name] if name in MULTI_PARTICLES else (pdg_id(name),)

    return tuple(ids(n) for n in left), tuple(ids(n) for n in right)


@dataclass(frozen=True)
class Resonance:
    """An s-channel propagator of a channel that event records may show as a particle.

    Attributes:
        pdg: PDG id of the propagating particle.
        daughters: final-state indices (0 = first outgoing particle) whose summed
            momentum flows through it.
        mass, width: its mass and width in GeV (from the libraries' param card).
    """

    pdg: int
    daughters: tuple[int, ...]
    mass: float
    width: float


@dataclass(frozen=True)
class Channel:
    """One phase-space channel: a topology (None: FastRambo / Chili), the diagrams
    (DIAGRAM_AMP2 columns) whose |A|^2 it is enhanced with, and the massive s-channel
    propagators of those diagrams (written as resonances by the LHE writer)."""

    topology: Topology | None
    diagrams: tuple[int, ...] = ()
    name: str = ""
    resonances: tuple[Resonance, ...] = ()


@dataclass(frozen=True)
class Subprocess:
    """One matrix element with fixed PDG ids: a library and its FLAVOR_INDEX.

    Attributes:
        library: the opened UMAMI library.
        incoming: PDG ids of the two incoming partons, in the library's order.
        outgoing: PDG ids of the final state, in the library's order.
        flavor: FLAVOR_INDEX passed with every call (None: the input is not passed).
        channels: the phase-space channels (at least one).
    """

    library: MatrixElementLibrary
    incoming: tuple[int, int]
    outgoing: tuple[int, ...]
    flavor: int | None = None
    channels: tuple[Channel, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "incoming", tuple(int(p) for p in self.incoming))
        object.__setattr__(self, "outgoing", tuple(int(p) for p in self.outgoing))
        for pdg in (*self.incoming, *self.outgoing):
            _particle(pdg)
        if not self.channels:
            object.__setattr__(self, "channels", (Channel(None, (), "flat"),))
        check_library(self.library, self.incoming, self.outgoing)
        for channel in self.channels:
            if channel.topology is not None and channel.topology.n != len(self.outgoing):
                raise ProcessError(
                    f"channel {channel.name!r} describes {channel.topology.n} final-state "
                    f"particles, the subprocess has {len(self.outgoing)}"
                )

    @property
    def pdg(self) -> tuple[int, ...]:
        """All PDG ids, incoming first (the library's particle order)."""
        return (*self.incoming, *self.outgoing)

    @property
    def masses(self) -> tuple[float, ...]:
        """External masses in GeV from the library (incoming first)."""
        masses = self.library.masses
        return tuple(masses) if masses is not None else tuple(pdg_mass(p) for p in self.pdg)

    @property
    def final_masses(self) -> tuple[float, ...]:
        return self.masses[2:]

    @property
    def name(self) -> str:
        names = [particle_name(p) for p in self.pdg]
        return f"{' '.join(names[:2])} > {' '.join(names[2:])}"


def check_library(
    library: MatrixElementLibrary, incoming: Sequence[int], outgoing: Sequence[int]
) -> None:
    """Raise ProcessError when the library's particle count or masses contradict the ids."""
    pdg = (*incoming, *outgoing)
    names = " ".join(particle_name(p) for p in pdg)
    if library.particle_count != len(pdg):
        raise ProcessError(
            f"{library.path} computes {library.particle_count} external particles but the process "
            f"'{names}' has {len(pdg)}; pick the library of this process or fix the process"
        )
    if library.masses is None:
        return
    for i, (p, m_lib) in enumerate(zip(pdg, library.masses, strict=True)):
        m_pdg = pdg_mass(p)
        if m_lib == 0.0 and m_pdg < _MASSLESS_LIMIT_GEV:
            continue
        if abs(m_lib - m_pdg) > _MASS_TOLERANCE * max(m_pdg, 1.0):
            raise ProcessError(
                f"particle {i} of {library.path} has mass {m_lib} GeV, but it is "
                f"{particle_name(p)} (PDG mass {m_pdg:.6g} GeV) in the process '{names}'; "
                "the library computes another process or the particle order differs"
            )


# ------------------------------------------------------------ reference libraries
@dataclass(frozen=True)
class ReferenceLibrary:
    """A reference library of ``ref_me``: its subprocesses (incoming, outgoing, flavor),
    read from ``ref_me.FLAVORS``, and the channels of its diagrams."""

    name: str
    subprocesses: tuple[tuple[tuple[int, int], tuple[int, ...], int | None], ...]

    def channels(
        self, final_masses: tuple[float, ...], param_card: str | os.PathLike[str] | None = None
    ) -> tuple[Channel, ...]:
        """One channel per diagram group (see :mod:`.topologies`; internal masses and widths
        from ``param_card``, default ref_me's card); a flat one where no topologies are
        known."""
        from .topologies import REFERENCE_CHANNELS, card_masses_widths

        build = REFERENCE_CHANNELS.get(self.name)
        if build is None:
            return (Channel(None, (), "flat"),)
        return build(final_masses, card_masses_widths(param_card))


def _reference_libraries() -> dict[str, ReferenceLibrary]:
    import ref_me

    out = {}
    for name, table in ref_me.FLAVORS.items():
        # FLAVOR_INDEX is passed only where the library offers more than one value
        rows = tuple(
            ((ids[0], ids[1]), tuple(ids[2:]), index if len(table) > 1 else None)
            for index, ids in enumerate(table)
        )
        out[name] = ReferenceLibrary(name, rows)
    return out


#: The reference libraries by name.
REFERENCE_LIBRARIES: Mapping[str, ReferenceLibrary] = _reference_libraries()


def _reference_name(path: str | os.PathLike[str]) -> str | None:
    match = re.fullmatch(r"libref_(\w+?)(_cuda)?\.so", Path(path).name)
    return match.group(1) if match and match.group(1) in REFERENCE_LIBRARIES else None


def _built_reference(name: str) -> Path | None:
    import ref_me

    try:
        return ref_me.library_path(name, "cpu")
    except (KeyError, FileNotFoundError):
        return None


@dataclass(frozen=True)
class Process:
    """The subprocesses of one run (at least one), all 2 -> n.

    Build one with :meth:`from_spec` (``"p p > t t~"`` over the reference libraries, or
    one foreign library) or directly from :class:`Subprocess` objects.
    """

    subprocesses: tuple[Subprocess, ...]
    spec: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "subprocesses", tuple(self.subprocesses))
        if not self.subprocesses:
            raise ProcessError("a process needs at least one subprocess")
        npar = {len(s.pdg) for s in self.subprocesses}
        if len(npar) != 1:
            raise ProcessError(f"all subprocesses must have the same particle count (got {npar})")

    @property
    def particle_count(self) -> int:
        return len(self.subprocesses[0].pdg)

    @property
    def libraries(self) -> tuple[MatrixElementLibrary, ...]:
        out: list[MatrixElementLibrary] = []
        for sub in self.subprocesses:
            if all(sub.library is not lib for lib in out):
                out.append(sub.library)
        return tuple(out)

    @classmethod
    def from_spec(
        cls,
        spec: str,
        libraries: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
        *,
        threads: int | None = None,
        flavor: int | None = None,
        param_card: str | os.PathLike[str] | None = None,
    ) -> Process:
        """Subprocesses of ``spec`` (e.g. ``"p p > t t~"``) found in ``libraries``.

        Args:
            spec: MadGraph-style process; ``p``/``j``/``q``/``q~`` expand.
            libraries: reference process names (``"gg_ttx"``), library paths, or None
                (every built reference library). A library that is not a reference
                library is foreign: it must match a spec without multi-particle labels,
                gets one flat channel (FastRambo, or Chili with PDFs) and ``flavor``.
            threads: CPU threads of every library.
            flavor: FLAVOR_INDEX for a foreign library (None: not passed).
            param_card: SLHA card passed to every library.
        """
        incoming, outgoing = parse_process(spec)
        if libraries is None:
            names: list[str | os.PathLike[str]] = [
                n for n in REFERENCE_LIBRARIES if _built_reference(n) is not None
            ]
        elif isinstance(libraries, (str, os.PathLike)):
            names = [libraries]
        else:
            names = list(libraries)
        subs: list[Subprocess] = []
        for entry in names:
            subs += _subprocesses_of(entry, incoming, outgoing, threads, flavor, param_card, spec)
        if not subs:
            raise ProcessError(
                f"no subprocess of '{spec}' found in {', '.join(map(str, names)) or 'no library'}; "
                f"reference libraries: {', '.join(REFERENCE_LIBRARIES)} (built with `make libs`)"
            )
        return cls(tuple(subs), spec)


def _matches(pdg: Sequence[int], allowed: Sequence[Sequence[int]]) -> bool:
    return len(pdg) == len(allowed) and all(p in a for p, a in zip(pdg, allowed, strict=True))


def _final_matches(outgoing: Sequence[int], allowed: Sequence[Sequence[int]]) -> bool:
    # the final state is unordered ("t~ t" is "t t~"); the library's order is kept
    return len(outgoing) == len(allowed) and any(
        _matches(perm, allowed) for perm in itertools.permutations(outgoing)
    )


def _subprocesses_of(
    entry: str | os.PathLike[str],
    incoming,
    outgoing,
    threads: int | None,
    flavor: int | None,
    param_card,
    spec: str,
) -> list[Subprocess]:
    text = os.fspath(entry)
    ref_name = text if text in REFERENCE_LIBRARIES else _reference_name(text)
    if ref_name is None:
        return [_foreign_subprocess(text, incoming, outgoing, threads, flavor, param_card, spec)]
    reference = REFERENCE_LIBRARIES[ref_name]
    rows = [
        row
        for row in reference.subprocesses
        if _matches(row[0], incoming) and _final_matches(row[1], outgoing)
    ]
    if not rows:
        return []
    path = Path(text) if text not in REFERENCE_LIBRARIES else _built_reference(ref_name)
    if path is None:
        raise ProcessError(f"the reference library {ref_name} is not built; run `make libs`")
    library = load(path, param_card, threads=threads)
    channels = reference.channels(
        tuple(library.masses[2:]) if library.masses else (), library.param_card
    )
    return [Subprocess(library, inc, out, flv, channels) for inc, out, flv in rows]


def _foreign_subprocess(
    path: str, incoming, outgoing, threads: int | None, flavor: int | None, param_card, spec: str
) -> Subprocess:
    if any(len(ids) != 1 for ids in (*incoming, *outgoing)):
        raise ProcessError(
            f"'{spec}' has multi-particle labels; a foreign library ({path}) computes one "
            "subprocess: spell out its particles"
        )
    if not Path(path).is_file():
        raise ProcessError(
            f"no library at {path}; pass a path to a UMAMI library or a reference process name "
            f"({', '.join(REFERENCE_LIBRARIES)})"
        )
    library = load(path, param_card, threads=threads)
    return Subprocess(library, tuple(i[0] for i in incoming), tuple(o[0] for o in outgoing), flavor)
