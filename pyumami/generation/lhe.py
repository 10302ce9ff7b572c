"""Les Houches Event files (LHE 3.0), written batch by batch.

The file is a complete, well-formed LHE document after every batch: events are
written, then the closing ``</LesHouchesEvents>`` tag; the next batch is written
over that tag. A run stopped by Ctrl-C or by a failing library call therefore
leaves a file that any reader (``pylhe``, MadGraph, Pythia) reads up to the last
completed batch.

Per event (one ``<event>`` block, Les Houches accord, hep-ph/0609017):

- ``IDPRUP`` is the subprocess index + 1 (``<init>`` has one line per subprocess
  with its cross section, error and maximum weight, in pb), ``XWGTUP`` the
  event weight in pb, ``SCALUP`` the factorisation/renormalisation scale in GeV,
  ``AQEDUP`` the run's alpha_em, ``AQCDUP`` the event's alpha_s;
- incoming particles have status -1 and no mothers, outgoing status 1 and
  mothers 1 2, or the resonance they come from (below);
- ``ICOLUP``: the colour-flow table row selected by the library's COLOR_INDEX
  output (:func:`reference_colour_flows` derives the tables of the reference
  processes; without a table every tag is 0 and the header says so);
- ``SPINUP``: the helicity of the table row selected by HELICITY_INDEX
  (:func:`reference_helicity_table`); 9 (unknown) without a table or index.

Resonances, as MadGraph writes them: UMAMI reports no propagator structure, but an
event's phase-space channel knows the massive s-channel propagators of its diagrams
(:attr:`.process.Channel.resonances`; e.g. the Z channel of e+ e- -> mu+ mu-). Where
the invariant mass of a resonance's daughters lies within ``bwcutoff`` widths of its
mass (MadGraph's default 15), the event gets a status-2 line for it after the
incoming particles: momentum = the sum of its daughters', mass = their invariant
mass, mothers the enclosing resonance or 1 2, colour the daughters' colour and
anticolour that do not connect among themselves; its daughters point to it as their
mothers. Since an event of channel c carries the share ``a_c`` of |M|^2, writing
the resonances of the sampled channel picks them in proportion to the diagrams'
|A|^2, as MadGraph's choice of a configuration per event does.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Self

import numpy as np

from .events import EventBatch
from .observables import invariant_mass
from .process import Resonance

__all__ = [
    "DEFAULT_BWCUTOFF",
    "LheProcess",
    "LheWriter",
    "reference_colour_flows",
    "reference_helicity_table",
]

_CLOSING = b"</LesHouchesEvents>\n"
#: LHE status codes of incoming and outgoing particles.
_INCOMING, _OUTGOING = -1, 1
_INTERMEDIATE = 2
_SPIN_UNKNOWN = 9.0
#: MadGraph's default: resonances within this many widths of their mass are written.
DEFAULT_BWCUTOFF = 15.0


@dataclass(frozen=True)
class LheProcess:
    """One ``<init>`` process line: cross section, its error and the maximum weight, in pb."""

    cross_section_pb: float
    error_pb: float
    max_weight_pb: float


def _is_quark(pid: int) -> bool:
    return 1 <= abs(pid) <= 6


def _is_colourless(pid: int) -> bool:
    return not (_is_quark(pid) or pid == 21)


def reference_colour_flows(pdg: Sequence[int]) -> np.ndarray | None:
    """Colour-flow table (n_flows, npar, 2) of (colour, anticolour) LHE tags, or None.

    Row ``c`` is the flow that COLOR_INDEX = ``c`` selects in our reference
    libraries, whose colour bases are MadGraph's:

    - ``g g > Q Q~`` + gluons (``gg_ttx``, ``gg_ttxg``, ``gg_ttxgg``): flow ``c`` is
      the chain (T^s1 ... T^sn)_(Q Q~) for the c-th permutation s of the gluons in
      lexicographic order (``ref_me.qcdgen.colour.flow_basis``, the generator's own
      basis): Q's colour line runs to gluon s1, whose other end runs to s2, ..., to Q~
      (for g g > t t~, flow 0 = T(1,2,3,4): the colour of gluon 1 goes to the top,
      its anticolour to gluon 2, whose anticolour goes to the antitop);
    - ``q q~ > Q Q~`` (``qq_ttx``, either beam order): flow 0 = delta(q, q~)
      delta(Q, Q~) (the pair annihilates, a new pair is made), flow 1 =
      delta(Q, q) delta(q~, Q~) (the quark's colour goes to Q, the antiquark's
      anticolour to Q~);
    - only colourless particles (``e+ e- > mu+ mu-``): one flow, all tags 0.

    Incoming particles carry crossed tags (LHE convention: a tag on an incoming
    colour is matched by the same tag on an outgoing colour or an incoming
    anticolour). Any other particle content returns None.
    """
    pdg = tuple(int(p) for p in pdg)
    if all(_is_colourless(p) for p in pdg):
        return np.zeros((1, len(pdg), 2), dtype=np.int64)
    if len(pdg) < 4 or not (_is_quark(pdg[2]) and pdg[2] > 0 and pdg[3] == -pdg[2]):
        return None
    if pdg[0] == pdg[1] == 21 and all(p == 21 for p in pdg[4:]):
        from ref_me.qcdgen.colour import flow_basis

        gluons = (0, 1, *range(4, len(pdg)))
        return np.array([_chain_tags(word, len(pdg)) for word in flow_basis(gluons)])
    if len(pdg) == 4 and _is_quark(pdg[0]) and pdg[1] == -pdg[0]:
        quark, antiquark = (0, 1) if pdg[0] > 0 else (1, 0)
        flows = np.zeros((2, 4, 2), dtype=np.int64)
        # all outgoing first (an incoming quark is an outgoing antiquark), then crossed
        flows[0, [antiquark, quark], [0, 1]] = 501  # delta(q, q~): one line through both
        flows[0, [2, 3], [0, 1]] = 502
        flows[1, [2, quark], [0, 1]] = 501  # delta(Q, q)
        flows[1, [antiquark, 3], [0, 1]] = 502  # delta(q~, Q~)
        flows[:, :2] = flows[:, :2, ::-1]
        return flows
    return None


def _chain_tags(word: Sequence[int], npar: int) -> np.ndarray:
    """LHE tags of the flow (T^w1 ... T^wn)_(Q Q~), Q particle 2, Q~ particle 3.

    All particles outgoing, tag k joins the colour of element k of the chain
    (Q, w1, ..., wn) to the anticolour of element k + 1 (w1, ..., wn, Q~);
    incoming particles then swap colour and anticolour (crossing).
    """
    tags = np.zeros((npar, 2), dtype=np.int64)
    chain = [2, *word, 3]
    for k in range(len(chain) - 1):
        tags[chain[k], 0] = tags[chain[k + 1], 1] = 501 + k
    tags[:2] = tags[:2, ::-1]
    return tags


_FIRST_HELICITY = re.compile(r"first\s*\[\s*kParticles\s*\]\s*=\s*\{([^}]*)\}")


def reference_helicity_table(process: str) -> np.ndarray | None:
    """(2^npar, npar) helicities of the reference process ``process``, or None.

    Row ``r`` is the row HELICITY_INDEX = ``r`` selects: particle 0 varies
    slowest, each particle starting from its first helicity and then taking the
    opposite sign (ref_me's and MadGraph's order). The first row is read from
    the process's C++ source, the one place it is written (``first_helicity`` in
    ``ref_me/processes/<process>.cc``, or in ``build/gen/<process>.cc`` for the
    processes ``ref_me.qcdgen`` generates); None when no source is found.
    """
    import ref_me

    package = Path(ref_me.__file__).resolve().parent
    sources = [
        package / "processes" / f"{process}.cc",
        package.parent / "build" / "gen" / f"{process}.cc",
    ]
    source = next((path for path in sources if path.is_file()), None)
    if source is None:
        return None
    match = _FIRST_HELICITY.search(source.read_text())
    if match is None:
        return None
    first = np.array([int(v) for v in match.group(1).replace(" ", "").split(",") if v])
    npar = first.size
    rows = np.arange(2**npar)[:, None]
    flipped = (rows >> (npar - 1 - np.arange(npar))[None, :]) & 1
    return first[None, :] * (1 - 2 * flipped)


def _cdata(text: str) -> str:
    """``text`` safe inside a CDATA section (a literal ``]]>`` is split across two)."""
    return text.replace("]]>", "]]]]><![CDATA[>")


def _event_format(npar: int) -> str:
    particle = "%d %d %d %d %d %d %.10e %.10e %.10e %.10e %.10e 0 %.1f\n"
    header = "<event>\n%d %d %.10e %.10e %.10e %.10e\n"
    return header + particle * npar + "</event>\n"


class LheWriter:
    """Streams events into an LHE 3.0 file that stays valid after every batch.

    Args:
        path: output file (overwritten).
        beams: ((PDG id, energy in GeV) of beam 1, of beam 2): 2212 for protons,
            the parton itself for a fixed partonic energy.
        processes: one :class:`LheProcess` per subprocess (``<init>`` lines).
        pdf_set_id: LHAPDF id of the PDF set (PDFSUP), 0 when none or unknown.
        weighted: False for unweighted events (IDWTUP = 3: every weight sigma/N,
            events above the unweighting maximum keep their larger weight),
            True for weighted ones (IDWTUP = -4).
        alpha_qed: AQEDUP of every event.
        colour_flows: subprocess index -> table from :func:`reference_colour_flows`.
        helicity_tables: subprocess index -> table from :func:`reference_helicity_table`.
        masses: (npar,) masses written in each particle line (GeV); by default
            ``sqrt(max(E^2 - p^2, 0))`` of each momentum.
        header: text blocks for ``<header>``, tag name -> content (the run card,
            say); the content is written in a CDATA section.
        resonances: subprocess index -> per channel (the events' ``channel``) the
            resonances that channel knows (:attr:`.process.Channel.resonances`).
        bwcutoff: a resonance is written where its daughters' invariant mass is within
            ``bwcutoff`` widths of its mass.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        beams: tuple[tuple[int, float], tuple[int, float]],
        processes: Sequence[LheProcess],
        pdf_set_id: int = 0,
        weighted: bool = False,
        alpha_qed: float = 1.0 / 132.507,
        colour_flows: Mapping[int, np.ndarray | None] | None = None,
        helicity_tables: Mapping[int, np.ndarray | None] | None = None,
        masses: Sequence[float] | None = None,
        header: Mapping[str, str] | None = None,
        resonances: Mapping[int, Sequence[Sequence[Resonance]]] | None = None,
        bwcutoff: float = DEFAULT_BWCUTOFF,
    ) -> None:
        if not processes:
            raise ValueError("an LHE file needs at least one process for its <init> block")
        self.path = Path(path)
        self.beams = beams
        self.pdf_set_id = int(pdf_set_id)
        self.weighted = weighted
        self.alpha_qed = float(alpha_qed)
        self.colour_flows = dict(colour_flows or {})
        self.helicity_tables = dict(helicity_tables or {})
        self.masses = None if masses is None else np.asarray(masses, dtype=np.float64)
        self.resonances = {
            sub: [tuple(channel) for channel in per_channel]
            for sub, per_channel in (resonances or {}).items()
        }
        self.bwcutoff = float(bwcutoff)
        self.event_count = 0
        self._header = dict(header or {})
        self._file: IO[bytes] | None = open(self.path, "w+b")  # noqa: SIM115 - held across batches
        self._file.write(self._document_start(processes))
        self._init_end = self._file.tell()
        self._end = self._init_end
        self._write_closing()

    def _document_start(self, processes: Sequence[LheProcess]) -> bytes:
        missing = [i for i in range(len(processes)) if self.colour_flows.get(i) is None]
        colour_note = "colour flows: the COLOR_INDEX of the library picks a row of the "
        colour_note += "reference colour-flow table of pyumami" + (
            f"; no table for the subprocesses {', '.join(str(i + 1) for i in missing)} "
            "(IDPRUP), whose colour tags are all 0"
            if missing
            else ""
        )
        blocks = [
            f"<{tag}><![CDATA[\n{_cdata(text.rstrip())}\n]]></{tag}>"
            for tag, text in self._header.items()
        ]
        head = (
            '<LesHouchesEvents version="3.0">\n<header>\n'
            f"<!-- written by pyumami; {colour_note} -->\n"
            + "".join(b + "\n" for b in blocks)
            + "</header>\n"
        )
        return (head + self._init_block(processes)).encode()

    def _init_block(self, processes: Sequence[LheProcess]) -> str:
        (id1, e1), (id2, e2) = self.beams
        pdf_group = 0
        idwtup = -4 if self.weighted else 3
        lines = [
            "<init>",
            (
                f"{id1} {id2} {e1:.10e} {e2:.10e} {pdf_group} {pdf_group} "
                f"{self.pdf_set_id} {self.pdf_set_id} {idwtup} {len(processes)}"
            ),
        ]
        lines += [
            f"{p.cross_section_pb:.10e} {p.error_pb:.10e} {p.max_weight_pb:.10e} {i + 1}"
            for i, p in enumerate(processes)
        ]
        return "\n".join(lines) + "\n</init>\n"

    def _write_closing(self) -> None:
        assert self._file is not None
        self._file.seek(self._end)
        self._file.write(_CLOSING)
        self._file.truncate()
        self._file.flush()

    def update_processes(self, processes: Sequence[LheProcess]) -> None:
        """Rewrite ``<init>`` with final cross sections (same number of processes)."""
        if self._file is None:
            raise ValueError(f"{self.path} is closed")
        start = self._document_start(processes)
        self._file.seek(self._init_end)
        body = b"" if len(start) == self._init_end else self._file.read()  # fixed width: in place
        self._file.seek(0)
        self._file.write(start + body)
        self._end += len(start) - self._init_end
        self._init_end = len(start)
        self._write_closing()

    def _columns(self, batch: EventBatch) -> tuple[np.ndarray, np.ndarray]:
        """The event header numbers (n, 6) and particle lines (n, npar, 12) of a batch, in
        file order (VTIMUP, always 0, is a literal of the format)."""
        momenta = np.asarray(batch.momenta, dtype=np.float64)
        n, npar = momenta.shape[:2]
        pdg = np.asarray(batch.pdg)
        subprocess = np.asarray(batch.subprocess)
        if self.masses is None:
            masses = invariant_mass(momenta)
        else:
            masses = np.broadcast_to(self.masses, (n, npar))
        status = np.where(np.arange(npar) < 2, _INCOMING, _OUTGOING)
        mothers = np.where(np.arange(npar)[:, None] < 2, [0, 0], [1, 2])
        colour = self._lookup(self.colour_flows, subprocess, batch.color, (n, npar, 2), 0.0)
        spin = self._lookup(
            self.helicity_tables, subprocess, batch.helicity, (n, npar), _SPIN_UNKNOWN
        )
        particle = np.empty((n, npar, 12))
        particle[..., 0] = pdg
        particle[..., 1] = status
        particle[..., 2:4] = mothers
        particle[..., 4:6] = colour
        particle[..., 6:9] = momenta[..., 1:]
        particle[..., 9] = momenta[..., 0]
        particle[..., 10] = masses
        particle[..., 11] = spin
        head = np.stack(
            [
                np.full(n, npar),
                subprocess + 1,
                np.asarray(batch.weight, dtype=np.float64),
                np.asarray(batch.scale, dtype=np.float64),
                np.full(n, self.alpha_qed),
                np.asarray(batch.alpha_s, dtype=np.float64),
            ],
            axis=1,
        )
        return head, particle

    def _resonance_groups(
        self, batch: EventBatch
    ) -> list[tuple[np.ndarray, tuple[Resonance, ...]]]:
        """(event indices, the resonances they show) for every group of events of a batch
        with at least one on-shell resonance of their channel."""
        if not self.resonances:
            return []
        momenta = np.asarray(batch.momenta, dtype=np.float64)
        subprocess = np.asarray(batch.subprocess)
        channel = np.asarray(batch.channel)
        groups = []
        for sub, per_channel in self.resonances.items():
            for c, candidates in enumerate(per_channel):
                rows = np.nonzero((subprocess == sub) & (channel == c))[0]
                if not candidates or rows.size == 0:
                    continue
                on_shell = np.stack(
                    [
                        np.abs(invariant_mass(_summed(momenta[rows], r.daughters)) - r.mass)
                        <= self.bwcutoff * r.width
                        for r in candidates
                    ],
                    axis=1,
                )
                # one group per pattern of on-shell resonances (a loop over patterns)
                patterns, which = np.unique(on_shell, axis=0, return_inverse=True)
                for k, pattern in enumerate(patterns):
                    shown = tuple(r for r, on in zip(candidates, pattern, strict=True) if on)
                    if shown:
                        groups.append((rows[which.reshape(-1) == k], shown))
        return groups

    @staticmethod
    def _lookup(
        tables: Mapping[int, np.ndarray | None],
        subprocess: np.ndarray,
        index: object,
        shape: tuple[int, ...],
        default: float,
    ) -> np.ndarray:
        """Per-event table rows: tables[subprocess][index], ``default`` where there is none."""
        out = np.full(shape, default)
        if index is None:
            return out
        index = np.asarray(index)
        for sub, table in tables.items():  # one pass per subprocess, not per event
            if table is None:
                continue
            rows = subprocess == sub
            out[rows] = table[np.clip(index[rows], 0, table.shape[0] - 1)]
        return out

    def write(self, batch: EventBatch) -> None:
        """Append the events of ``batch`` (on any array namespace; copied to the host)."""
        if self._file is None:
            raise ValueError(f"{self.path} is closed; open a new LheWriter")
        n = len(batch)
        if n == 0:
            return
        batch = batch.to_numpy()
        npar = int(batch.momenta.shape[1])
        head, particle = self._columns(batch)
        groups = self._resonance_groups(batch)
        if not groups:
            text = (_event_format(npar) * n) % tuple(_rows(head, particle).ravel().tolist())
        else:
            events = np.empty(n, dtype=object)
            plain = np.ones(n, dtype=bool)
            for rows, shown in groups:
                plain[rows] = False
                h, p = _with_resonances(head[rows], particle[rows], shown)
                events[rows] = _format_events(h, p)
            rows = np.nonzero(plain)[0]
            if rows.size:
                events[rows] = _format_events(head[rows], particle[rows])
            text = "".join(events.tolist())
        self._file.seek(self._end)
        self._file.write(text.encode())
        self._end = self._file.tell()
        self._write_closing()
        self.event_count += n

    def close(self) -> None:
        """Close the file (it is already complete after the last batch)."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _rows(head: np.ndarray, particle: np.ndarray) -> np.ndarray:
    return np.concatenate([head, particle.reshape(head.shape[0], -1)], axis=1)


def _format_events(head: np.ndarray, particle: np.ndarray) -> list[str]:
    """One ``<event>`` text per event (all with the same particle count)."""
    n, npar = particle.shape[:2]
    text = (_event_format(npar) * n) % tuple(_rows(head, particle).ravel().tolist())
    return [event + "</event>\n" for event in text.split("</event>\n")[:-1]]


def _summed(momenta: np.ndarray, daughters: Sequence[int]) -> np.ndarray:
    """Summed momentum (n, 4) of final-state particles ``daughters`` (0 = first outgoing)."""
    return np.sum(momenta[:, [2 + d for d in daughters], :], axis=1)


def _with_resonances(
    head: np.ndarray, particle: np.ndarray, shown: Sequence[Resonance]
) -> tuple[np.ndarray, np.ndarray]:
    """Event rows with status-2 lines for ``shown`` inserted after the incoming
    particles (lines 3 ...), mothers and daughters' mother pointers set."""
    n, npar = particle.shape[:2]
    k = len(shown)
    sets = [set(r.daughters) for r in shown]

    def innermost(members: set[int]) -> int | None:
        """Line (1-based) of the smallest shown resonance holding more than ``members``
        (a resonance has two or more daughters, so a particle's is one holding it)."""
        around = [j for j, s in enumerate(sets) if members < s]
        return 3 + min(around, key=lambda j: len(sets[j])) if around else None

    lines = np.empty((n, k, 12))
    for j, r in enumerate(shown):
        final = particle[:, [2 + d for d in r.daughters], :]
        momentum = final[..., 6:10].sum(axis=1)  # px, py, pz, E
        colour, anticolour = _open_colours(final[..., 4], final[..., 5])
        mother = innermost(sets[j])
        lines[:, j, 0] = r.pdg
        lines[:, j, 1] = _INTERMEDIATE
        lines[:, j, 2:4] = (1, 2) if mother is None else (mother, mother)
        lines[:, j, 4] = colour
        lines[:, j, 5] = anticolour
        lines[:, j, 6:10] = momentum
        lines[:, j, 10] = invariant_mass(momentum[:, [3, 0, 1, 2]])
        lines[:, j, 11] = _SPIN_UNKNOWN
    final = particle[:, 2:, :].copy()
    for d in range(npar - 2):
        mother = innermost({d})
        if mother is not None:
            final[:, d, 2:4] = mother
    out = np.concatenate([particle[:, :2, :], lines, final], axis=1)
    new_head = head.copy()
    new_head[:, 0] = npar + k
    return new_head, out


def _open_colours(colour: np.ndarray, anticolour: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The colour and anticolour tag (n,) a resonance carries: those of its daughters
    (n, k) that no other daughter closes (0 where none)."""
    closed_c = np.any((colour[:, :, None] == anticolour[:, None, :]) & (colour[:, :, None] > 0), 2)
    closed_a = np.any(
        (anticolour[:, :, None] == colour[:, None, :]) & (anticolour[:, :, None] > 0), 2
    )
    open_c = np.where(closed_c, 0.0, colour).max(axis=1)
    open_a = np.where(closed_a, 0.0, anticolour).max(axis=1)
    return open_c, open_a
