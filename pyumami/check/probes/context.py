"""What every probe works with: the `ProbeContext` (library, options, facts learnt by
earlier probes), the `Verdict` it returns, the typed `Facts`, and the checked
evaluation and comparison every evaluating probe shares."""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from pyumami.abi import INPUTS, InputKey, OldStatus, OutputKey, Status, describe_status
from pyumami.check.points import NoPointsError, default_sqrt_s, phase_space_points
from pyumami.check.raw_library import CallResult, RawLibrary
from pyumami.check.report import Outcome
from pyumami.introspection import StatusNumbering, numbering_from_statuses, sample_input

__all__ = [
    "CapabilityOrigin",
    "RANDOM_INPUTS",
    "UNKNOWN_KEY",
    "Facts",
    "ProbeBlocked",
    "ProbeContext",
    "ProbeFailure",
    "Verdict",
    "compare_outputs",
    "evaluate_checked",
    "key_names",
    "status_text",
]

#: a key value no UMAMI version defines: far beyond the standard keys (counted from 0)
#: and pyumami's vendor range (from 1000, umami.h), which our libraries answer
UNKNOWN_KEY = 1_000_000
#: the inputs that are uniform random numbers in [0, 1)
RANDOM_INPUTS = tuple(key for key, spec in INPUTS.items() if spec.unit_interval)
INITIALIZE = "umami_initialize"


class ProbeFailure(Exception):
    """Raised inside a probe: the library failed the probe for the reason given.

    `entry_point` names the entry point at fault when it is not umami_matrix_element
    (the checker stops after a failing umami_initialize)."""

    def __init__(self, reason: str, entry_point: str | None = None):
        super().__init__(reason)
        self.entry_point = entry_point


class ProbeBlocked(Exception):
    """Raised inside a probe: the checker cannot run it with these options (e.g. no
    phase-space points below threshold); the probe is skipped as blocked."""


def status_text(code: int, numbering: StatusNumbering | None = None) -> str:
    """A status code by name; for the codes whose name differs between the headers
    (5 and 6) both readings, led by the older header's when the library is known to
    follow that numbering."""
    old = OldStatus(code).name if code in OldStatus._value2member_map_ else None
    if numbering is not StatusNumbering.OLD or old is None or old == Status(code).name:
        return describe_status(code)
    return f"{old} (status {code} under the older header numbering; {Status(code).name} under UMAMI 1.0)"


class CapabilityOrigin(enum.Enum):
    """Where the checker's capability findings come from."""

    QUERIES = "queries"
    TRIAL_CALLS = "trial calls"
    #: some capability queries exported, others not
    BOTH = "queries + trial calls"


@dataclasses.dataclass
class Facts:
    """What earlier probes established about the library; None: not (yet) known.
    Key sets are stored as sorted tuples of raw key values."""

    symbols: dict[str, bool] | None = None
    device: int | None = None
    particle_count: int | None = None
    diagram_count: int | None = None
    helicity_count: int | None = None
    color_count: int | None = None
    #: external masses (GeV) answered by MASSES
    masses: list[float] | None = None
    masses_status: int | None = None
    unknown_meta_status: int | None = None
    supported_inputs: tuple[int, ...] | None = None
    required_inputs: tuple[int, ...] | None = None
    supported_outputs: tuple[int, ...] | None = None
    missing_input_status: int | None = None
    #: how the capabilities probe learnt them
    capability_source: CapabilityOrigin | None = None

    def update(self, other: Facts | None) -> None:
        """Take every field `other` knows."""
        if other is None:
            return
        for field in dataclasses.fields(self):
            value = getattr(other, field.name)
            if value is not None:
                setattr(self, field.name, value)

    @property
    def numbering(self) -> StatusNumbering:
        """The status numbering the facts so far point to."""
        return numbering_from_statuses(self.unknown_meta_status, self.missing_input_status)


@dataclasses.dataclass
class Verdict:
    """What a probe returns: outcome, one-line reason, numbers, facts for later probes."""

    outcome: Outcome
    reason: str
    details: dict[str, Any] = dataclasses.field(default_factory=dict)
    facts: Facts | None = None
    #: for SKIP: could not be checked (as opposed to "does not apply")
    blocked: bool = False
    #: the entry point at fault where it is not umami_matrix_element (a failing or
    #: crashing umami_initialize stops the check)
    entry_point: str | None = None
    #: the child running the probe hung and was killed
    timed_out: bool = False
    #: the child running the probe died (signal or exit status) instead of answering
    crashed: bool = False
    duration_s: float = 0.0


@dataclasses.dataclass
class ProbeContext:
    """Everything a probe may use: the library path and options, plus facts that
    earlier probes established."""

    path: str
    param_card: str | None = None
    sqrt_s: float | None = None
    seed: int = 20261125
    #: external masses (GeV) given by the caller; they take precedence over MASSES
    masses_option: tuple[float, ...] | None = None
    facts: Facts = dataclasses.field(default_factory=Facts)
    _lib: RawLibrary | None = None

    @property
    def lib(self) -> RawLibrary:
        """The library, opened on first use."""
        if self._lib is None:
            self._lib = RawLibrary(self.path)
        return self._lib

    # -- facts with defaults --------------------------------------------------
    @property
    def npar(self) -> int:
        assert self.facts.particle_count is not None, (
            "the metadata probe establishes PARTICLE_COUNT"
        )
        return self.facts.particle_count

    @property
    def ndiag(self) -> int | None:
        return self.facts.diagram_count

    @property
    def numbering(self) -> StatusNumbering:
        return self.facts.numbering

    @property
    def supported_inputs(self) -> set[InputKey]:
        return {InputKey(k) for k in self.facts.supported_inputs or [InputKey.MOMENTA]}

    @property
    def required_inputs(self) -> set[InputKey]:
        return {InputKey(k) for k in self.facts.required_inputs or [InputKey.MOMENTA]}

    @property
    def supported_outputs(self) -> set[OutputKey]:
        return {OutputKey(k) for k in self.facts.supported_outputs or [OutputKey.MATRIX_ELEMENT]}

    def known_masses(self) -> np.ndarray | None:
        """External masses (GeV): the caller's, else the library's, else None."""
        masses = self.masses_option if self.masses_option is not None else self.facts.masses
        return None if masses is None else np.asarray(masses, dtype=np.float64)

    def masses(self) -> np.ndarray:
        """The known masses, else zeros: massless points, valid input for every probe
        that does not judge the physics of on-shell points."""
        masses = self.known_masses()
        return np.zeros(self.npar) if masses is None else masses

    def energy(self) -> float:
        """Collision energy (GeV) of the probes' phase-space points."""
        return float(self.sqrt_s) if self.sqrt_s else default_sqrt_s(self.masses())

    def points(self, n: int, salt: int = 0) -> np.ndarray:
        """n phase-space points (n, npar, 4), GeV, reproducible for (seed, salt)."""
        try:
            return phase_space_points(self.masses(), self.energy(), n, self.seed + salt)
        except NoPointsError as exc:
            raise ProbeBlocked(f"not run: no phase-space points: {exc}") from None

    def standard_inputs(self, n: int, salt: int = 0) -> dict[InputKey, np.ndarray]:
        """Per-event inputs every probe passes: the required ones and the supported
        ALPHA_S / random numbers, with valid values (alpha_s in [0.10, 0.13],
        randoms in [0, 1)); MOMENTA excluded."""
        rng = np.random.default_rng(self.seed + 7919 * salt + 1)
        keys = self.required_inputs | (self.supported_inputs & {InputKey.ALPHA_S, *RANDOM_INPUTS})
        keys.discard(InputKey.MOMENTA)
        return {key: sample_input(key, n, rng) for key in sorted(keys)}

    def standard_outputs(self) -> list[OutputKey]:
        """Every supported per-event output (GPU_STREAM excluded)."""
        outs = sorted(self.supported_outputs - {OutputKey.GPU_STREAM})
        if OutputKey.DIAGRAM_AMP2 in outs and not self.ndiag:
            outs.remove(OutputKey.DIAGRAM_AMP2)
        return outs

    def initialize(self, param_card: str | None = None) -> Any:
        """A new handle for `param_card` (default: the checker's card); ProbeFailure
        naming umami_initialize if it fails."""
        card = self.param_card if param_card is None else param_card
        status, handle = self.lib.initialize(card)
        if status != Status.SUCCESS:
            raise ProbeFailure(
                f"umami_initialize failed: {status_text(status, self.numbering)} "
                f"(param card {card or 'NULL'})",
                entry_point=INITIALIZE,
            )
        return handle

    @contextmanager
    def instance(self, param_card: str | None = None) -> Iterator[Any]:
        """An initialized handle, freed on exit; ProbeFailure if initialize fails."""
        handle = self.initialize(param_card)
        try:
            yield handle
        finally:
            self.lib.free(handle)


def key_names(keys: Iterable[Any]) -> str:
    """ "A, B, C" for enum keys in value order, "none" when empty."""
    ordered = sorted(keys)
    return ", ".join(k.name for k in ordered) if ordered else "none"


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.tobytes() == b.tobytes()


def compare_outputs(
    reference: dict[OutputKey, np.ndarray], other: dict[OutputKey, np.ndarray]
) -> tuple[bool, float]:
    """(bit-identical, largest relative difference of floating outputs; inf when an
    integer output differs or NaN-ness differs)."""
    identical = True
    worst = 0.0
    for key, ref in reference.items():
        got = other[key]
        if _same_bits(ref, got):
            continue
        identical = False
        if ref.dtype.kind != "f":
            return False, math.inf
        nan_ref, nan_got = np.isnan(ref), np.isnan(got)
        if (nan_ref != nan_got).any():
            return False, math.inf
        ok = ~nan_ref
        scale = np.maximum(np.abs(ref[ok]), np.abs(got[ok]))
        diff = np.abs(ref[ok] - got[ok])
        rel = np.where(scale > 0, diff / np.where(scale > 0, scale, 1.0), 0.0)
        worst = max(worst, float(rel.max(initial=0.0)))
    return identical, worst


def evaluate_checked(
    ctx: ProbeContext, handle: Any, momenta: np.ndarray, inputs: dict, outputs: list, **kw: Any
) -> CallResult:
    """RawLibrary.evaluate, failing the probe on a non-zero status or canary damage."""
    result = ctx.lib.evaluate(handle, momenta, inputs, outputs, ndiag=ctx.ndiag, **kw)
    if result.status != Status.SUCCESS:
        raise ProbeFailure(
            f"umami_matrix_element failed with {status_text(result.status, ctx.numbering)} "
            f"(inputs {key_names(inputs) if inputs else 'none'} + MOMENTA, outputs {key_names(outputs)})"
        )
    if result.damage:
        raise ProbeFailure("memory outside the slice changed: " + "; ".join(result.damage[:2]))
    return result
