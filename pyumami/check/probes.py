"""The probes of `pyumami check`: each one question about a UMAMI library.

A probe is a function of a `ProbeContext` returning a `Verdict`; it runs inside a
worker subprocess (see `pyumami.check.isolation`), so it may crash with the
library. Probes talk to the library through `RawLibrary` (raw statuses, exact
strides, canaries). `facts` carry what one probe learnt (particle count, masses,
supported inputs, ...) to the probes after it; the order of `PROBES` is the order
they run in.
"""
from __future__ import annotations

import dataclasses
import math
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from pyumami.abi import (
    MANDATORY_SYMBOLS,
    OPTIONAL_SYMBOLS,
    Device,
    InputKey,
    MetaKey,
    OutputKey,
    Status,
    describe_status,
)
from pyumami.check.points import NoPointsError, default_sqrt_s, phase_space_points, random_lorentz_transform
from pyumami.check.raw_library import INPUT_DTYPES, OUTPUT_DTYPES, FencedArray, RawLibrary, output_layout
from pyumami.check.report import Outcome

__all__ = ["Probe", "ProbeContext", "Verdict", "ProbeFailure", "ProbeBlocked", "PROBES", "probe_by_name"]

#: statuses meaning "a required input was not given" under the 1.0 (7) and the older (6) numbering
MISSING_INPUT_STATUSES = (int(Status.ERROR_MISSING_INPUT), 6)
#: statuses meaning "metadata key not supported" under 1.0 (6) and older (5) numbering
UNSUPPORTED_META_STATUSES = (int(Status.ERROR_UNSUPPORTED_META), 5)
#: a key value no UMAMI version defines
UNKNOWN_KEY = 1000
#: relative change of |M|^2 allowed under a Lorentz transformation
LORENTZ_TOLERANCE = 1e-10
#: |sum(DIAGRAM_AMP2) - 1| allowed
AMP2_SUM_TOLERANCE = 1e-12
#: resident-memory growth (bytes) allowed over the initialize/free cycles
MEMORY_GROWTH_BOUND = 4 * 1024 * 1024
MEMORY_CYCLES = 1000
MEMORY_WARMUP_CYCLES = 50
#: name no param card defines, for the "unknown parameter rejected" check
UNKNOWN_PARAMETER = "pyumami_check_no_such_parameter"

_RANDOM_INPUTS = (InputKey.RANDOM_COLOR, InputKey.RANDOM_HELICITY, InputKey.RANDOM_DIAGRAM)
_INDEX_OUTPUTS = {
    OutputKey.HELICITY_INDEX: "helicity_count",
    OutputKey.COLOR_INDEX: "color_count",
    OutputKey.DIAGRAM_INDEX: "diagram_count",
}


class ProbeFailure(Exception):
    """Raised inside a probe: the library failed the probe for the reason given."""


class ProbeBlocked(Exception):
    """Raised inside a probe: the checker cannot run it with these options (e.g. no
    phase-space points below threshold); the probe is skipped as blocked."""


@dataclasses.dataclass
class Verdict:
    """What a probe returns: outcome, one-line reason, numbers, facts for later probes."""

    outcome: Outcome
    reason: str
    details: dict[str, Any] = dataclasses.field(default_factory=dict)
    facts: dict[str, Any] = dataclasses.field(default_factory=dict)
    #: for SKIP: could not be checked (as opposed to "does not apply")
    blocked: bool = False


@dataclasses.dataclass
class ProbeContext:
    """Everything a probe may use: the library path and options, plus facts that
    earlier probes established."""

    path: str
    param_card: str | None = None
    sqrt_s: float | None = None
    seed: int = 20261125
    facts: dict[str, Any] = dataclasses.field(default_factory=dict)
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
        return int(self.facts["particle_count"])

    @property
    def ndiag(self) -> int | None:
        return self.facts.get("diagram_count")

    @property
    def supported_inputs(self) -> set[InputKey]:
        return {InputKey(k) for k in self.facts.get("supported_inputs", [InputKey.MOMENTA])}

    @property
    def required_inputs(self) -> set[InputKey]:
        return {InputKey(k) for k in self.facts.get("required_inputs", [InputKey.MOMENTA])}

    @property
    def supported_outputs(self) -> set[OutputKey]:
        return {OutputKey(k) for k in self.facts.get("supported_outputs", [OutputKey.MATRIX_ELEMENT])}

    def masses(self) -> np.ndarray:
        """External masses (GeV): the library's, else zeros (massless points)."""
        masses = self.facts.get("masses")
        return np.zeros(self.npar) if masses is None else np.asarray(masses, dtype=np.float64)

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
        keys = (self.required_inputs | (self.supported_inputs & {InputKey.ALPHA_S, *_RANDOM_INPUTS}))
        keys.discard(InputKey.MOMENTA)
        return {key: sample_input(key, n, rng) for key in sorted(keys)}

    def standard_outputs(self) -> list[OutputKey]:
        """Every supported per-event output (GPU_STREAM excluded)."""
        outs = sorted(self.supported_outputs - {OutputKey.GPU_STREAM})
        if OutputKey.DIAGRAM_AMP2 in outs and not self.ndiag:
            outs.remove(OutputKey.DIAGRAM_AMP2)
        return outs

    @contextmanager
    def instance(self) -> Iterator[Any]:
        """An initialized handle, freed on exit; ProbeFailure if initialize fails."""
        status, handle = self.lib.initialize(self.param_card)
        if status != Status.SUCCESS:
            raise ProbeFailure(f"umami_initialize failed: {describe_status(status)} "
                               f"(param card {self.param_card or 'NULL'})")
        try:
            yield handle
        finally:
            self.lib.free(handle)


def sample_input(key: InputKey, n: int, rng: np.random.Generator) -> np.ndarray:
    """Valid per-event values for input `key`: alpha_s in [0.10, 0.13], randoms in
    [0, 1), index inputs 0."""
    if key == InputKey.ALPHA_S:
        return rng.uniform(0.10, 0.13, size=n)
    if key in _RANDOM_INPUTS:
        return rng.uniform(0.0, 1.0, size=n)
    if key == InputKey.MOMENTA:
        raise ValueError("momenta come from ProbeContext.points")
    return np.zeros(n, dtype=np.int64)


def _names(keys: Any) -> str:
    keys = sorted(keys)
    return ", ".join(k.name for k in keys) if keys else "none"


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.tobytes() == b.tobytes()


def _compare(reference: dict[OutputKey, np.ndarray], other: dict[OutputKey, np.ndarray]) -> tuple[bool, float]:
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


def _evaluate(ctx: ProbeContext, handle: Any, momenta: np.ndarray, inputs: dict, outputs: list, **kw: Any):
    """RawLibrary.evaluate, failing the probe on a non-zero status or canary damage."""
    result = ctx.lib.evaluate(handle, momenta, inputs, outputs, ndiag=ctx.ndiag, **kw)
    if result.status != Status.SUCCESS:
        raise ProbeFailure(
            f"umami_matrix_element failed with {describe_status(result.status)} "
            f"(inputs {_names(inputs) if inputs else 'none'} + MOMENTA, outputs {_names(outputs)})"
        )
    if result.damage:
        raise ProbeFailure("memory outside the slice changed: " + "; ".join(result.damage[:2]))
    return result


# ---------------------------------------------------------------------------
# symbols and metadata
# ---------------------------------------------------------------------------


def probe_symbols(ctx: ProbeContext) -> Verdict:
    """The four mandatory entry points exist; the five optional ones are listed."""
    try:
        lib = ctx.lib
    except OSError as exc:
        return Verdict(Outcome.FAIL, f"cannot dlopen the library (RTLD_NOW): {exc}")
    present = [n for n in OPTIONAL_SYMBOLS if lib.symbols[n]]
    absent = [n for n in OPTIONAL_SYMBOLS if not lib.symbols[n]]
    details = {"symbols": lib.symbols}
    facts = {"symbols": lib.symbols}
    if lib.missing_mandatory:
        return Verdict(
            Outcome.FAIL,
            f"missing mandatory entry point(s) {', '.join(lib.missing_mandatory)}; every host "
            f"(MadSpace included) needs {', '.join(MANDATORY_SYMBOLS)}",
            details, facts,
        )
    short = lambda names: ", ".join(n.removeprefix("umami_") for n in names) or "none"  # noqa: E731
    return Verdict(
        Outcome.PASS,
        f"4 mandatory present; optional present: {short(present)}; absent: {short(absent)}",
        details, facts,
    )


def probe_metadata(ctx: ProbeContext) -> Verdict:
    """DEVICE valid, PARTICLE_COUNT >= 3, counts positive where answered, masses
    finite and >= 0, an unknown key rejected."""
    lib = ctx.lib
    problems: list[str] = []
    notes: list[str] = []
    facts: dict[str, Any] = {}
    details: dict[str, Any] = {}

    status, device = lib.get_meta_int(MetaKey.DEVICE)
    details["device_status"] = status
    if status != Status.SUCCESS:
        problems.append(f"DEVICE not answered ({describe_status(status)}); every host needs it")
    elif device not in {int(d) for d in Device}:
        problems.append(f"DEVICE answered {device}, which is no UmamiDevice")
    else:
        facts["device"] = device

    status, npar = lib.get_meta_int(MetaKey.PARTICLE_COUNT)
    details["particle_count_status"] = status
    if status != Status.SUCCESS:
        problems.append(f"PARTICLE_COUNT not answered ({describe_status(status)}); hosts need it for the layout")
    elif not 3 <= npar <= 64:
        problems.append(f"PARTICLE_COUNT is {npar}: a 2 -> n process has at least 3 external particles")
    else:
        facts["particle_count"] = npar

    for key, fact in ((MetaKey.DIAGRAM_COUNT, "diagram_count"), (MetaKey.HELICITY_COUNT, "helicity_count"),
                      (MetaKey.COLOR_COUNT, "color_count")):
        status, value = lib.get_meta_int(key)
        details[f"{fact}_status"] = status
        if status == Status.SUCCESS:
            if value is None or value <= 0:
                problems.append(f"{key.name} is {value}; it must be positive where answered")
            else:
                facts[fact] = value
        else:
            notes.append(f"{key.name} not answered")

    masses = None
    if "particle_count" in facts:
        npar = facts["particle_count"]
        status, masses, overrun = lib.get_masses(npar)
        details["masses_status_before_initialize"] = status
        if status == Status.ERROR_UNINITIALIZED_META:
            # allowed before the first initialize (or, under the older numbering, "unsupported")
            try:
                with ctx.instance():
                    status, masses, overrun = lib.get_masses(npar)
            except ProbeFailure as exc:
                # The capabilities probe reports (and blocks on) a failing initialize.
                notes.append(f"MASSES unknown: {exc}")
        details["masses_status"] = status
        facts["masses_status"] = status
        if overrun:
            problems.append(f"MASSES wrote more than PARTICLE_COUNT = {npar} doubles")
        if masses is not None:
            if not np.all(np.isfinite(masses)) or np.any(masses < 0):
                problems.append(f"MASSES not all finite and >= 0: {masses.tolist()}")
            else:
                facts["masses"] = masses.tolist()
                details["masses"] = masses.tolist()
        else:
            notes.append("MASSES not answered (massless points used)")

    status, _ = lib.get_meta_int(UNKNOWN_KEY)
    details["unknown_meta_status"] = status
    facts["unknown_meta_status"] = status
    if status == Status.SUCCESS:
        problems.append(f"unknown metadata key {UNKNOWN_KEY} answered SUCCESS; it must be rejected")

    if problems:
        return Verdict(Outcome.FAIL, "; ".join(problems), details, facts)
    device_name = Device(facts["device"]).name
    labels = {"diagram_count": "diagrams", "helicity_count": "helicities", "color_count": "colours"}
    counts = ", ".join(f"{label} {facts[k]}" for k, label in labels.items() if k in facts)
    summary = f"{device_name}, {facts['particle_count']} particles" + (f", {counts}" if counts else "")
    if "masses" in facts:
        summary += f", masses {[round(m, 6) for m in facts['masses']]}"
    if notes:
        summary += "; " + ", ".join(notes)
    return Verdict(Outcome.PASS, summary, details, facts)


def status_numbering(facts: dict[str, Any]) -> Verdict:
    """Which header numbering the library's statuses 5/6/7 follow (computed from the
    metadata and capabilities probes' facts, not run in a worker)."""
    meta = facts.get("unknown_meta_status")
    missing = facts.get("missing_input_status")
    details = {"unknown_meta_status": meta, "missing_input_status": missing}
    new = [x for x in (meta == Status.ERROR_UNSUPPORTED_META, missing == Status.ERROR_MISSING_INPUT) if x]
    old = [x for x in (meta == 5, missing == 6) if x]
    seen = f"unknown meta key -> {meta}, missing input -> {missing}"
    if new and not old:
        return Verdict(Outcome.PASS, f"UMAMI 1.0 numbering ({seen})", details)
    if old and not new:
        return Verdict(
            Outcome.WARN,
            f"older header numbering ({seen}): status codes 5 and 6 are ambiguous "
            "(older: 5 UNSUPPORTED_META, 6 MISSING_INPUT; 1.0: 5 UNINITIALIZED_META, "
            "6 UNSUPPORTED_META, 7 MISSING_INPUT); hosts must report both readings",
            details,
        )
    if old and new:
        return Verdict(Outcome.WARN, f"mixes the older and the 1.0 numbering ({seen})", details)
    return Verdict(Outcome.WARN, f"cannot tell the status numbering ({seen})", details)


# ---------------------------------------------------------------------------
# capabilities
# ---------------------------------------------------------------------------



class _TrialCaller:
    """Calls umami_matrix_element on n valid events with any set of keys (known or
    not), on fenced arrays, and returns the raw status."""

    def __init__(self, ctx: ProbeContext, handle: Any, n: int = 4):
        self.ctx, self.handle, self.n = ctx, handle, n
        self.momenta = ctx.points(n)
        self.rng = np.random.default_rng(ctx.seed)
        self.damage: list[str] = []

    def __call__(self, inputs: set[int], outputs: set[int]) -> int:
        n, ctx = self.n, self.ctx
        fenced_in: dict[int, FencedArray] = {}
        for key in sorted(inputs):
            if key == InputKey.MOMENTA:
                fenced = FencedArray((4, ctx.npar, n), np.float64, output=False)
                fenced.array[...] = np.transpose(self.momenta, (2, 1, 0))
            elif key in InputKey._value2member_map_:
                values = sample_input(InputKey(key), n, self.rng)
                fenced = FencedArray((n,), INPUT_DTYPES[InputKey(key)], output=False)
                fenced.array[...] = values
            else:
                fenced = FencedArray((n,), np.float64, output=False)
                fenced.array[...] = 0.0
            fenced.seal()
            fenced_in[key] = fenced
        fenced_out: dict[int, FencedArray] = {}
        for key in sorted(outputs):
            if key in OUTPUT_DTYPES:
                # 64 rows when DIAGRAM_COUNT is unknown: room for any plausible library
                shape = output_layout(OutputKey(key), ctx.ndiag or 64, n)
                fenced_out[key] = FencedArray(shape, OUTPUT_DTYPES[OutputKey(key)], output=True)
            else:
                fenced_out[key] = FencedArray((n,), np.float64, output=True)
        status = self.ctx.lib.call_raw(
            self.handle, n, n, 0,
            {k: f.pointer for k, f in fenced_in.items()}, {k: f.pointer for k, f in fenced_out.items()},
        )
        for key, fenced in fenced_out.items():
            self.damage += [f"output {key}: {d}" for d in fenced.damage(0, n)]
        for key, fenced in fenced_in.items():
            if fenced.changed_anywhere():
                self.damage.append(f"input {key} was modified (inputs are const)")
        return status


def _keys(flags: set[int] | None, enum_type: Any) -> set[Any] | None:
    if flags is None:
        return None
    return {enum_type(k) for k in flags if k in enum_type._value2member_map_}


def probe_capabilities(ctx: ProbeContext) -> Verdict:
    """Capability queries consistent with the library's behaviour, or (without
    queries) the capabilities found by trial calls: every advertised input and
    output accepted, unadvertised ones rejected with the right status, required
    inputs exactly those whose absence gives MISSING_INPUT."""
    lib = ctx.lib
    problems: list[str] = []
    details: dict[str, Any] = {}
    advertised: dict[str, set[int] | None] = {}
    for name in ("umami_supported_inputs", "umami_required_inputs", "umami_supported_outputs"):
        answer = lib.capability(name)
        if answer is not None and answer[0] != Status.SUCCESS:
            problems.append(f"{name} failed with {describe_status(answer[0])}")
            answer = None
        advertised[name] = None if answer is None else set(answer[1])
    adv_in = _keys(advertised["umami_supported_inputs"], InputKey)
    adv_req = _keys(advertised["umami_required_inputs"], InputKey)
    adv_out = _keys(advertised["umami_supported_outputs"], OutputKey)
    if adv_out is not None:
        adv_out.discard(OutputKey.GPU_STREAM)  # a stream, not an array: not probed on the CPU
    me = {int(OutputKey.MATRIX_ELEMENT)}

    with ctx.instance() as handle:
        trial = _TrialCaller(ctx, handle)
        # each input on top of MOMENTA and the advertised required ones
        base = {int(InputKey.MOMENTA)} | {int(k) for k in (adv_req or set())}
        input_status = {key: trial(base | {int(key)}, me) for key in InputKey}
        inconclusive = [k for k, s in input_status.items() if s in MISSING_INPUT_STATUSES]
        if inconclusive:
            # some input is required but not among `base`: retry those keys on top of
            # everything advertised (or, without queries, everything accepted so far)
            extra = adv_in if adv_in is not None else {k for k, s in input_status.items() if s == Status.SUCCESS}
            base |= {int(k) for k in extra}
            input_status.update({key: trial(base | {int(key)}, me) for key in inconclusive})
        accepted = {k for k, s in input_status.items() if s == Status.SUCCESS}
        for key, s in input_status.items():
            if s not in (Status.SUCCESS, Status.ERROR_UNSUPPORTED_INPUT, *MISSING_INPUT_STATUSES):
                problems.append(f"input {key.name} with valid values answered {describe_status(s)}; "
                                "expected SUCCESS or ERROR_UNSUPPORTED_INPUT")
        if InputKey.MOMENTA not in accepted:
            problems.append(f"a call with MOMENTA fails ({describe_status(input_status[InputKey.MOMENTA])})")
        s = trial(base | {UNKNOWN_KEY}, me)
        details["unknown_input_status"] = s
        if s != Status.ERROR_UNSUPPORTED_INPUT:
            problems.append(f"unknown input key {UNKNOWN_KEY} answered {describe_status(s)}; "
                            "expected ERROR_UNSUPPORTED_INPUT")

        # required inputs: leave each one out of the full set of value-free inputs
        # (index inputs are left out: their valid values are library-specific)
        index_inputs = {InputKey.FLAVOR_INDEX, InputKey.HELICITY_INDEX, InputKey.DIAGRAM_INDEX,
                        InputKey.CHANNEL_INDEX}
        full = {int(k) for k in accepted - index_inputs} | (base & {int(k) for k in accepted})
        required: set[InputKey] = set()
        without_status = {}
        for key in sorted(full):
            s = trial(full - {key}, me)
            without_status[InputKey(key).name] = s
            if s in MISSING_INPUT_STATUSES:
                required.add(InputKey(key))
            elif s != Status.SUCCESS:
                problems.append(f"a call without {InputKey(key).name} answered {describe_status(s)}; "
                                "expected SUCCESS (optional input) or ERROR_MISSING_INPUT (required)")
        missing_status = trial(set(), me)
        details["missing_input_status"] = missing_status
        if missing_status not in MISSING_INPUT_STATUSES:
            problems.append(f"a call without any input answered {describe_status(missing_status)}; "
                            "expected ERROR_MISSING_INPUT (MOMENTA is required)")

        # outputs, one at a time
        working = full if full else base
        output_status = {key: trial(working, {int(key)}) for key in OutputKey if key != OutputKey.GPU_STREAM}
        produced = {k for k, s in output_status.items() if s == Status.SUCCESS}
        for key, s in output_status.items():
            if s not in (Status.SUCCESS, Status.ERROR_UNSUPPORTED_OUTPUT):
                problems.append(f"output {key.name} answered {describe_status(s)}; "
                                "expected SUCCESS or ERROR_UNSUPPORTED_OUTPUT")
        if OutputKey.MATRIX_ELEMENT not in produced:
            problems.append("the MATRIX_ELEMENT output is rejected")
        s = trial(working, me | {UNKNOWN_KEY})
        details["unknown_output_status"] = s
        if s != Status.ERROR_UNSUPPORTED_OUTPUT:
            problems.append(f"unknown output key {UNKNOWN_KEY} answered {describe_status(s)}; "
                            "expected ERROR_UNSUPPORTED_OUTPUT")
        if trial.damage:
            problems.append("memory outside the slice changed: " + "; ".join(trial.damage[:2]))

    details["input_status"] = {k.name: s for k, s in input_status.items()}
    details["status_without_input"] = without_status
    details["output_status"] = {k.name: s for k, s in output_status.items()}
    if adv_in is not None:
        if InputKey.MOMENTA not in adv_in:
            problems.append("umami_supported_inputs does not list MOMENTA")
        for key in sorted(adv_in - accepted):
            problems.append(f"advertises input {key.name} but rejects it ({describe_status(input_status[key])})")
        for key in sorted(accepted - adv_in):
            problems.append(f"accepts input {key.name} but does not advertise it")
    if adv_req is not None:
        if adv_in is not None and not adv_req <= adv_in:
            problems.append(f"required inputs ({_names(adv_req)}) are not a subset of the supported ones "
                            f"({_names(adv_in)})")
        for key in sorted(adv_req - required):
            problems.append(f"advertises {key.name} as a required input, but a call without it succeeded")
        for key in sorted(required - adv_req):
            problems.append(f"a call without {key.name} answered ERROR_MISSING_INPUT, but "
                            "umami_required_inputs does not list it")
    if adv_out is not None:
        for key in sorted(adv_out - produced):
            problems.append(f"advertises output {key.name} but rejects it ({describe_status(output_status[key])})")
        for key in sorted(produced - adv_out):
            problems.append(f"produces output {key.name} but does not advertise it")

    present = [v is not None for v in advertised.values()]
    source = "queries" if all(present) else ("trial calls" if not any(present) else "queries + trial calls")
    facts = {
        "supported_inputs": sorted(int(k) for k in accepted),
        "required_inputs": sorted(int(k) for k in required),
        "supported_outputs": sorted(int(k) for k in produced),
        "missing_input_status": missing_status,
        "capability_source": source,
    }
    details.update(facts)
    if problems:
        return Verdict(Outcome.FAIL, "; ".join(dict.fromkeys(problems)), details, facts)
    return Verdict(
        Outcome.PASS,
        f"by {source}: inputs {_names(accepted)} (required {_names(required)}); outputs {_names(produced)}",
        details, facts,
    )


# ---------------------------------------------------------------------------
# layout
# ---------------------------------------------------------------------------


def probe_layout(ctx: ProbeContext) -> Verdict:
    """The same events at offset 0 (stride = count) and at an offset inside a
    larger stride, split over three calls, give the same outputs, and nothing
    outside each slice changes."""
    n = 13
    momenta = ctx.points(n, salt=1)
    inputs = ctx.standard_inputs(n, salt=1)
    outputs = ctx.standard_outputs()
    stride, offset, chunks = n + 11, 5, [4, 1, 8]
    with ctx.instance() as handle:
        reference = _evaluate(ctx, handle, momenta, inputs, outputs)
        try:
            shifted = _evaluate(ctx, handle, momenta, inputs, outputs, stride=stride, offset=offset, chunks=chunks)
        except ProbeFailure as exc:
            raise ProbeFailure(f"at offset {offset}, stride {stride}, calls of {chunks} events: {exc}") from None
    identical, worst = _compare(reference.outputs, shifted.outputs)
    details = {"events": n, "stride": stride, "offset": offset, "chunks": chunks,
               "outputs": [k.name for k in outputs], "max_relative_difference": worst}
    where = f"offset {offset}, stride {stride}, {len(chunks)} calls"
    if identical:
        return Verdict(Outcome.PASS, f"{_names(outputs)} bit-identical at {where}; canaries intact", details)
    if worst <= 1e-12:
        return Verdict(Outcome.WARN, f"results at {where} differ from offset 0 by up to {worst:.1e} "
                       "(relative): they depend on the position in the batch", details)
    return Verdict(Outcome.FAIL, f"results at {where} differ from the same events at offset 0 "
                   f"(max relative difference {worst:.3g}); stride/offset not honoured", details)


def probe_count_zero(ctx: ProbeContext) -> Verdict:
    """count = 0 answers SUCCESS and writes nothing, at offset 0 and at offset = stride."""
    n = 8
    momenta = ctx.points(n, salt=2)
    inputs = ctx.standard_inputs(n, salt=2)
    outputs = ctx.standard_outputs()
    problems = []
    with ctx.instance() as handle:
        for offset in (0, n):
            fenced_in = {}
            for key, value in {InputKey.MOMENTA: momenta, **inputs}.items():
                shape = (4, ctx.npar, n) if key == InputKey.MOMENTA else (n,)
                fenced = FencedArray(shape, INPUT_DTYPES[key], output=False)
                fenced.array[...] = np.transpose(value, (2, 1, 0)) if key == InputKey.MOMENTA else value
                fenced.seal()
                fenced_in[key] = fenced
            fenced_out = {k: FencedArray(output_layout(k, ctx.ndiag, n), OUTPUT_DTYPES[k], output=True)
                          for k in outputs}
            status = ctx.lib.call_raw(handle, 0, n, offset, {k: f.pointer for k, f in fenced_in.items()},
                                      {k: f.pointer for k, f in fenced_out.items()})
            if status != Status.SUCCESS:
                problems.append(f"count 0 at offset {offset} answered {describe_status(status)}")
            for key, fenced in fenced_out.items():
                problems += [f"count 0 at offset {offset}: output {key.name}: {d}" for d in fenced.damage(offset, 0)]
            for key, fenced in fenced_in.items():
                if fenced.changed_anywhere():
                    problems.append(f"count 0 at offset {offset}: input {key.name} was modified")
    if problems:
        return Verdict(Outcome.FAIL, "; ".join(problems[:3]))
    return Verdict(Outcome.PASS, "count 0 at offsets 0 and stride: SUCCESS, nothing written")


# ---------------------------------------------------------------------------
# determinism and independence
# ---------------------------------------------------------------------------


def probe_determinism(ctx: ProbeContext) -> Verdict:
    """Three calls on one instance give bit-identical outputs."""
    n = 64
    momenta = ctx.points(n, salt=3)
    inputs = ctx.standard_inputs(n, salt=3)
    outputs = ctx.standard_outputs()
    with ctx.instance() as handle:
        runs = [_evaluate(ctx, handle, momenta, inputs, outputs).outputs for _ in range(3)]
    for i, run in enumerate(runs[1:], start=2):
        identical, worst = _compare(runs[0], run)
        if not identical:
            return Verdict(Outcome.FAIL, f"call {i} differs from call 1 on the same instance and inputs "
                           f"(max relative difference {worst:.3g})", {"max_relative_difference": worst})
    return Verdict(Outcome.PASS, f"3 calls x {n} events bit-identical ({_names(outputs)})")


def probe_instances(ctx: ProbeContext) -> Verdict:
    """Two live instances, called alternately, give bit-identical outputs."""
    n = 64
    momenta = ctx.points(n, salt=4)
    inputs = ctx.standard_inputs(n, salt=4)
    outputs = ctx.standard_outputs()
    with ctx.instance() as first, ctx.instance() as second:
        if first == second:
            raise ProbeFailure("two umami_initialize calls returned the same handle")
        a1 = _evaluate(ctx, first, momenta, inputs, outputs).outputs
        b = _evaluate(ctx, second, momenta, inputs, outputs).outputs
        a2 = _evaluate(ctx, first, momenta, inputs, outputs).outputs
    for label, other in (("the second instance", b), ("the first instance after the second ran", a2)):
        identical, worst = _compare(a1, other)
        if not identical:
            return Verdict(Outcome.FAIL, f"{label} disagrees with the first instance "
                           f"(max relative difference {worst:.3g}): instances share state",
                           {"max_relative_difference": worst})
    return Verdict(Outcome.PASS, f"2 instances, alternating calls: bit-identical on {n} events")


def probe_threads(ctx: ProbeContext) -> Verdict:
    """Two threads, each with its own instance created concurrently, evaluate the
    two halves of one batch (the same base pointers, stride = batch, as MadSpace
    does) at the same time, for several rounds; every round must equal the serial
    result bit for bit."""
    n_half = 4096
    n = 2 * n_half
    momenta = ctx.points(n, salt=5)
    inputs = ctx.standard_inputs(n, salt=5)
    outputs = ctx.standard_outputs()
    lib = ctx.lib
    with ctx.instance() as handle:
        t0 = time.perf_counter()
        whole = _evaluate(ctx, handle, momenta, inputs, outputs).outputs
        serial_s = time.perf_counter() - t0
        # the reference: the same two slices, one after the other on one thread
        serial = ctx.lib.evaluate(handle, momenta, inputs, outputs, ndiag=ctx.ndiag, chunks=[n_half, n_half])
    identical, _ = _compare(whole, serial.outputs)
    if serial.status != Status.SUCCESS or serial.damage or not identical:
        return Verdict(Outcome.SKIP, "not meaningful: two slices of one batch already differ from one call "
                       "without threads (see layout)")
    serial = serial.outputs
    # a race shows only when both calls overlap in time: run at least MIN rounds,
    # and more (up to MAX) while the time budget lasts
    min_rounds, max_rounds, budget_s = 4, 200, 1.0

    # shared UMAMI-layout arrays, written by both threads
    in_arrays = {InputKey.MOMENTA: np.ascontiguousarray(np.transpose(momenta, (2, 1, 0)))}
    in_arrays.update({k: np.ascontiguousarray(v, dtype=INPUT_DTYPES[k]) for k, v in inputs.items()})
    from pyumami.abi import ffi

    in_ptrs = {k: ffi.cast("void *", a.ctypes.data) for k, a in in_arrays.items()}
    barrier = threading.Barrier(2)
    errors: list[str] = []
    mismatched_rounds = 0
    worst = 0.0

    rounds = 0
    started = time.perf_counter()
    while rounds < min_rounds or (rounds < max_rounds and time.perf_counter() - started < budget_s):
        rounds += 1
        out_arrays = {k: np.zeros(output_layout(k, ctx.ndiag, n), dtype=OUTPUT_DTYPES[k]) for k in outputs}
        out_ptrs = {k: ffi.cast("void *", a.ctypes.data) for k, a in out_arrays.items()}

        def work(part: int) -> None:
            try:
                barrier.wait(timeout=30)
                status, handle = lib.initialize(ctx.param_card)
                if status != Status.SUCCESS:
                    errors.append(f"umami_initialize in thread {part}: {describe_status(status)}")
                    return
                try:
                    barrier.wait(timeout=30)
                    status = lib.call_raw(handle, n_half, n, part * n_half, in_ptrs, out_ptrs)
                    if status != Status.SUCCESS:
                        errors.append(f"thread {part}: {describe_status(status)}")
                finally:
                    lib.free(handle)
            except threading.BrokenBarrierError:
                errors.append(f"thread {part} could not synchronise")

        threads = [threading.Thread(target=work, args=(part,)) for part in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise ProbeFailure("; ".join(errors[:2]))
        got = {k: np.ascontiguousarray(np.moveaxis(a, -1, 0)) for k, a in out_arrays.items()}
        identical, diff = _compare(serial, got)
        if not identical:
            mismatched_rounds += 1
            worst = max(worst, diff)
    details = {"events": n, "rounds": rounds, "mismatched_rounds": mismatched_rounds,
               "max_relative_difference": worst, "serial_call_s": serial_s}
    if mismatched_rounds:
        return Verdict(Outcome.FAIL, f"two threads with two instances disagree with the serial result in "
                       f"{mismatched_rounds} of {rounds} rounds (max relative difference {worst:.3g}): "
                       "instances share mutable state", details)
    return Verdict(Outcome.PASS, f"2 threads x {n_half} events, {rounds} rounds: bit-identical to serial",
                   details)


def _resident_bytes() -> int:
    """Resident set size of this process (bytes), from /proc/self/statm."""
    import os

    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def probe_memory(ctx: ProbeContext) -> Verdict:
    """1000 umami_initialize / umami_free cycles succeed, and resident memory grows
    by at most MEMORY_GROWTH_BOUND after a warm-up."""
    lib = ctx.lib

    def cycle(count: int) -> None:
        for i in range(count):
            status, handle = lib.initialize(ctx.param_card)
            if status != Status.SUCCESS:
                raise ProbeFailure(f"umami_initialize failed in cycle {i + 1}: {describe_status(status)}")
            from pyumami.abi import ffi

            if handle == ffi.NULL:
                raise ProbeFailure(f"umami_initialize returned SUCCESS with a NULL handle in cycle {i + 1}")
            status = lib.free(handle)
            if status != Status.SUCCESS:
                raise ProbeFailure(f"umami_free failed in cycle {i + 1}: {describe_status(status)}")

    cycle(MEMORY_WARMUP_CYCLES)
    before = _resident_bytes()
    t0 = time.perf_counter()
    cycle(MEMORY_CYCLES)
    elapsed = time.perf_counter() - t0
    growth = _resident_bytes() - before
    details = {"cycles": MEMORY_CYCLES, "rss_growth_bytes": growth, "bound_bytes": MEMORY_GROWTH_BOUND,
               "seconds": elapsed}
    if growth > MEMORY_GROWTH_BOUND:
        return Verdict(Outcome.FAIL, f"resident memory grew by {growth / 2**20:.1f} MiB over {MEMORY_CYCLES} "
                       f"initialize/free cycles (bound {MEMORY_GROWTH_BOUND / 2**20:.0f} MiB): umami_free leaks",
                       details)
    return Verdict(Outcome.PASS, f"{MEMORY_CYCLES} initialize/free cycles in {elapsed:.2f} s, "
                   f"RSS growth {growth / 1024:.0f} KiB", details)


# ---------------------------------------------------------------------------
# physics sanity
# ---------------------------------------------------------------------------


def _points_note(ctx: ProbeContext) -> str:
    note = f"sqrt(s) = {ctx.energy():g} GeV"
    return note + (", massless (no MASSES)" if ctx.facts.get("masses") is None else "")


def probe_physics(ctx: ProbeContext) -> Verdict:
    """|M|^2 finite and >= 0 on RAMBO points above threshold."""
    n = 512
    momenta = ctx.points(n, salt=6)
    with ctx.instance() as handle:
        me = _evaluate(ctx, handle, momenta, ctx.standard_inputs(n, salt=6), [OutputKey.MATRIX_ELEMENT])
    values = me.outputs[OutputKey.MATRIX_ELEMENT]
    bad = ~np.isfinite(values)
    negative = values < 0
    details = {"events": n, "non_finite": int(bad.sum()), "negative": int(negative.sum()),
               "min": float(np.nanmin(values)) if (~bad).any() else None,
               "max": float(np.nanmax(values)) if (~bad).any() else None}
    if bad.any() or negative.any():
        parts = []
        if bad.any():
            parts.append(f"{int(bad.sum())} of {n} matrix elements are not finite "
                         f"(first: {float(values[bad][0])!r} at event {int(np.flatnonzero(bad)[0])})")
        if negative.any():
            parts.append(f"{int(negative.sum())} of {n} are negative (min {values[negative].min():.3g})")
        return Verdict(Outcome.FAIL, "; ".join(parts) + f" ({_points_note(ctx)})", details)
    return Verdict(Outcome.PASS, f"{n} RAMBO points ({_points_note(ctx)}): |M|^2 finite, in "
                   f"[{values.min():.3g}, {values.max():.3g}]", details)


def _relative_change(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    scale = np.maximum(np.abs(a), np.abs(b))
    return np.where(scale > 0, np.abs(a - b) / np.where(scale > 0, scale, 1.0), 0.0)


def probe_lorentz(ctx: ProbeContext) -> Verdict:
    """|M|^2 unchanged (relative LORENTZ_TOLERANCE) by a random boost along the beam
    axis followed by a random rotation of all momenta; general boosts reported.

    Only beam-axis boosts are required: under a boost in another direction the
    helicity-summed |M|^2 of an amplitude that is not exactly gauge invariant
    changes (MadGraph's g g -> t t~ with the top width in the t-channel propagator
    moves by ~1e-6), which is the physics of that convention, not a library fault.
    """
    n = 128
    momenta = ctx.points(n, salt=7)
    along = random_lorentz_transform(momenta, ctx.seed + 7, along_beam=True)
    general = random_lorentz_transform(momenta, ctx.seed + 8, along_beam=False)
    inputs = ctx.standard_inputs(n, salt=7)
    me = [OutputKey.MATRIX_ELEMENT]
    with ctx.instance() as handle:
        a, b, c = (_evaluate(ctx, handle, p, inputs, me).outputs[OutputKey.MATRIX_ELEMENT]
                   for p in (momenta, along, general))
    # non-finite values are the physics probe's finding; compare the finite ones
    finite = np.isfinite(a)
    if not finite.any():
        return Verdict(Outcome.SKIP, "no finite |M|^2 to compare (see physics)")
    a, b, c = a[finite], b[finite], c[finite]
    if not (np.isfinite(b).all() and np.isfinite(c).all()):
        raise ProbeFailure("matrix elements finite before a boost + rotation are not finite after it")
    rel = _relative_change(a, b)
    worst = float(rel.max())
    worst_general = float(_relative_change(a, c).max())
    details = {"events": int(finite.sum()), "max_relative_change": worst,
               "max_relative_change_general_boost": worst_general, "tolerance": LORENTZ_TOLERANCE}
    if worst > LORENTZ_TOLERANCE:
        return Verdict(Outcome.FAIL, f"|M|^2 changes by up to {worst:.3g} (relative) under a beam-axis boost + "
                       f"rotation (tolerance {LORENTZ_TOLERANCE:g}) at event {int(rel.argmax())}", details)
    reason = f"{n} beam-axis boosts (|beta| <= 0.6) + rotations: max relative change {worst:.1e}"
    if worst_general > LORENTZ_TOLERANCE:
        reason += (f"; general boosts: {worst_general:.1e} (frame-dependent helicity sum: the amplitude is not "
                   "exactly gauge invariant, e.g. a width in a t-channel propagator as in MadGraph)")
    else:
        reason += f"; general boosts: {worst_general:.1e}"
    return Verdict(Outcome.PASS, reason, details)


def probe_diagram_amp2(ctx: ProbeContext) -> Verdict:
    """DIAGRAM_AMP2 finite, non-negative, summing to 1 in every event."""
    if OutputKey.DIAGRAM_AMP2 not in ctx.supported_outputs:
        return Verdict(Outcome.SKIP, "DIAGRAM_AMP2 not offered")
    if not ctx.ndiag:
        return Verdict(Outcome.FAIL, "DIAGRAM_AMP2 offered but DIAGRAM_COUNT not answered: "
                       "a host cannot size the output")
    n = 256
    momenta = ctx.points(n, salt=8)
    with ctx.instance() as handle:
        out = _evaluate(ctx, handle, momenta, ctx.standard_inputs(n, salt=8), [OutputKey.DIAGRAM_AMP2])
    amp2 = out.outputs[OutputKey.DIAGRAM_AMP2]
    problems = []
    if not np.isfinite(amp2).all():
        problems.append(f"{int((~np.isfinite(amp2)).any(axis=1).sum())} events with non-finite DIAGRAM_AMP2")
    if (amp2 < 0).any():
        problems.append(f"{int((amp2 < 0).any(axis=1).sum())} events with negative DIAGRAM_AMP2")
    deviation = float(np.nanmax(np.abs(amp2.sum(axis=1) - 1.0))) if np.isfinite(amp2).any() else math.inf
    details = {"events": n, "diagrams": ctx.ndiag, "max_sum_deviation": deviation}
    if not deviation <= AMP2_SUM_TOLERANCE:
        problems.append(f"sum over diagrams deviates from 1 by up to {deviation:.3g}")
    if problems:
        return Verdict(Outcome.FAIL, "; ".join(problems), details)
    return Verdict(Outcome.PASS, f"{n} events x {ctx.ndiag} diagrams: >= 0, sum 1 within {deviation:.1e}", details)


def probe_indices(ctx: ProbeContext) -> Verdict:
    """Selected helicity / colour / diagram indices lie in [0, count)."""
    offered = [k for k in _INDEX_OUTPUTS if k in ctx.supported_outputs]
    if not offered:
        return Verdict(Outcome.SKIP, "no HELICITY_INDEX / COLOR_INDEX / DIAGRAM_INDEX output offered")
    n = 256
    momenta = ctx.points(n, salt=9)
    inputs = ctx.standard_inputs(n, salt=9)
    for key in _RANDOM_INPUTS:
        if key in inputs:
            # the ends of [0, 1) are where off-by-one selections fail
            inputs[key][:2] = (0.0, np.nextafter(1.0, 0.0))
    with ctx.instance() as handle:
        out = _evaluate(ctx, handle, momenta, inputs, offered).outputs
    problems, summary = [], []
    for key in offered:
        values = out[key]
        limit = ctx.facts.get(_INDEX_OUTPUTS[key])
        upper = limit if limit else np.iinfo(np.int32).max
        bad = (values < 0) | (values >= upper)
        if bad.any():
            problems.append(f"{key.name} out of [0, {limit if limit else 'inf'}) in {int(bad.sum())} of {n} events "
                            f"(e.g. {int(values[bad][0])})")
        summary.append(f"{key.name} in [{values.min()}, {values.max()}]" + (f" of {limit}" if limit else ""))
    if problems:
        return Verdict(Outcome.FAIL, "; ".join(problems))
    return Verdict(Outcome.PASS, ", ".join(summary))


def probe_alpha_s(ctx: ProbeContext) -> Verdict:
    """|M|^2 scales as an integer power of ALPHA_S (the same power in every event)."""
    if InputKey.ALPHA_S not in ctx.supported_inputs:
        return Verdict(Outcome.SKIP, "ALPHA_S input not supported")
    n = 64
    momenta = ctx.points(n, salt=10)
    inputs = ctx.standard_inputs(n, salt=10)
    a1 = inputs[InputKey.ALPHA_S]
    factor = 1.1
    with ctx.instance() as handle:
        m1 = _evaluate(ctx, handle, momenta, inputs, [OutputKey.MATRIX_ELEMENT]).outputs[OutputKey.MATRIX_ELEMENT]
        inputs2 = {**inputs, InputKey.ALPHA_S: a1 * factor}
        m2 = _evaluate(ctx, handle, momenta, inputs2, [OutputKey.MATRIX_ELEMENT]).outputs[OutputKey.MATRIX_ELEMENT]
    ok = np.isfinite(m1) & np.isfinite(m2) & (m1 > 0) & (m2 > 0)
    if not ok.any():
        return Verdict(Outcome.SKIP, "no event with a finite positive |M|^2 to measure the scaling (see physics)")
    power = np.log(m2[ok] / m1[ok]) / math.log(factor)
    nearest = float(np.round(np.median(power)))
    deviation = float(np.abs(power - nearest).max())
    details = {"events": int(ok.sum()), "power": nearest, "max_deviation": deviation}
    if deviation > 1e-6:
        return Verdict(Outcome.FAIL, f"|M|^2 does not scale as an integer power of ALPHA_S: fitted powers span "
                       f"[{power.min():.6f}, {power.max():.6f}] (is ALPHA_S read per event at offset + i?)", details)
    return Verdict(Outcome.PASS, f"|M|^2 ~ alpha_s^{nearest:.0f} (per-event deviation {deviation:.1e})", details)


# ---------------------------------------------------------------------------
# parameters
# ---------------------------------------------------------------------------


def param_card_names(path: str | None) -> list[str]:
    """Parameter names of an SLHA param card: the comment after each value in the
    parameter blocks and DECAY lines (MadGraph writes "6 1.73e2 # MT")."""
    if path is None:
        from ref_me import default_param_card

        path = str(default_param_card())
    names = []
    try:
        text = Path(path).read_text()
    except OSError:
        return []
    for line in text.splitlines():
        if "#" not in line or line.lstrip().startswith("#"):
            continue
        data, comment = line.split("#", 1)
        words = comment.split()
        # "21 0.0 # g : 0.0" documents a particle's mass/width expression, not a parameter
        if not data.split() or not words or words[1:2] == [":"] or data.split()[0].lower() == "block":
            continue
        names.append(words[0])
    return list(dict.fromkeys(names))


def probe_parameters(ctx: ProbeContext) -> Verdict:
    """Where set/get_parameter exist: get after set returns the value, instances are
    independent, and an unknown name is rejected by both."""
    symbols = ctx.facts.get("symbols", ctx.lib.symbols)
    if not (symbols.get("umami_set_parameter") and symbols.get("umami_get_parameter")):
        return Verdict(Outcome.SKIP, "umami_set_parameter / umami_get_parameter not both exported")
    from pyumami.abi import ffi

    lib = ctx.lib.lib
    re, im = ffi.new("double *"), ffi.new("double *")
    names = param_card_names(ctx.param_card)
    problems = []
    details: dict[str, Any] = {}
    with ctx.instance() as handle, ctx.instance() as other:
        s_get = int(lib.umami_get_parameter(handle, UNKNOWN_PARAMETER.encode(), re, im))
        s_set = int(lib.umami_set_parameter(handle, UNKNOWN_PARAMETER.encode(), 1.0, 0.0))
        details.update(unknown_get_status=s_get, unknown_set_status=s_set)
        if s_get == Status.ERROR_NOT_IMPLEMENTED and s_set == Status.ERROR_NOT_IMPLEMENTED:
            return Verdict(Outcome.SKIP, "set/get_parameter present but answer NOT_IMPLEMENTED "
                           "(allowed; MadGraph's CUDACPP libraries do this)", details)
        if s_get == Status.SUCCESS:
            problems.append(f"get_parameter of unknown name {UNKNOWN_PARAMETER!r} answered SUCCESS")
        if s_set == Status.SUCCESS:
            problems.append(f"set_parameter of unknown name {UNKNOWN_PARAMETER!r} answered SUCCESS")
        checked = None
        for name in names:
            if lib.umami_get_parameter(handle, name.encode(), re, ffi.NULL) != Status.SUCCESS:
                continue
            original = float(re[0])
            new = original * 1.01 if original != 0.0 else 0.5
            status = int(lib.umami_set_parameter(handle, name.encode(), new, 0.0))
            if status != Status.SUCCESS:
                # read-only (derived) parameters may refuse set; try the next name
                continue
            checked = name
            status = int(lib.umami_get_parameter(handle, name.encode(), re, im))
            if status != Status.SUCCESS or float(re[0]) != new:
                problems.append(f"get_parameter({name!r}) after set to {new!r} returned {float(re[0])!r} "
                                f"({describe_status(status)})")
            status = int(lib.umami_get_parameter(other, name.encode(), re, ffi.NULL))
            if status != Status.SUCCESS or float(re[0]) != original:
                problems.append(f"setting {name!r} on one instance changed it on another "
                                f"({original!r} -> {float(re[0])!r})")
            lib.umami_set_parameter(handle, name.encode(), original, 0.0)
            break
        details["parameter_checked"] = checked
    if problems:
        return Verdict(Outcome.FAIL, "; ".join(problems), details)
    if checked is None:
        return Verdict(Outcome.WARN, f"unknown name rejected, but none of the param card's {len(names)} "
                       "parameter names could be read and set", details)
    return Verdict(Outcome.PASS, f"set/get of {checked!r} round-trips, per instance; unknown name rejected "
                   f"({describe_status(s_get).split(' (')[0]})", details)


# ---------------------------------------------------------------------------
# the pyumami host
# ---------------------------------------------------------------------------

#: keyword of `MatrixElementLibrary.evaluate` for each input, name of each output
HOST_INPUT_NAMES = {
    InputKey.ALPHA_S: "alpha_s", InputKey.FLAVOR_INDEX: "flavor", InputKey.RANDOM_COLOR: "random_color",
    InputKey.RANDOM_HELICITY: "random_helicity", InputKey.RANDOM_DIAGRAM: "random_diagram",
    InputKey.HELICITY_INDEX: "helicity", InputKey.DIAGRAM_INDEX: "diagram", InputKey.CHANNEL_INDEX: "channel",
}
HOST_OUTPUT_NAMES = {
    OutputKey.MATRIX_ELEMENT: "matrix_element", OutputKey.DIAGRAM_AMP2: "diagram_amp2",
    OutputKey.COLOR_INDEX: "color_index", OutputKey.HELICITY_INDEX: "helicity_index",
    OutputKey.DIAGRAM_INDEX: "diagram_index",
}


def probe_host(ctx: ProbeContext) -> Verdict:
    """Informational: ``pyumami.load`` (two threads) describes the library as the
    checker found it, and its `evaluate` agrees bit for bit with one direct call."""
    import pyumami

    n = 1001  # odd, so the two threads get unequal slices
    momenta = ctx.points(n, salt=11)
    inputs = ctx.standard_inputs(n, salt=11)
    outputs = ctx.standard_outputs()
    with ctx.instance() as handle:
        direct = _evaluate(ctx, handle, momenta, inputs, outputs).outputs
    try:
        with pyumami.load(ctx.path, ctx.param_card, threads=2) as host:
            seen = {
                "particle_count": (host.particle_count, ctx.npar),
                "supported inputs": (set(host.supported_inputs), ctx.supported_inputs),
                "required inputs": (set(host.required_inputs), ctx.required_inputs),
                "supported outputs": (set(host.supported_outputs) - {OutputKey.GPU_STREAM},
                                      ctx.supported_outputs - {OutputKey.GPU_STREAM}),
            }
            result = host.evaluate(momenta, outputs=[HOST_OUTPUT_NAMES[k] for k in outputs],
                                   **{HOST_INPUT_NAMES[k]: v for k, v in inputs.items()})
            numbering = host.numbering
    except Exception as exc:  # any host exception is the finding
        return Verdict(Outcome.WARN, f"pyumami.load / evaluate raised {type(exc).__name__}: {exc}")
    if "capability_source" not in ctx.facts:  # the capabilities probe did not run: nothing to compare
        seen = {"particle_count": seen["particle_count"]}
    disagree = [f"{what}: host {_fmt(a)}, checker {_fmt(b)}" for what, (a, b) in seen.items() if a != b]
    identical, worst = _compare(direct, {k: np.asarray(result[HOST_OUTPUT_NAMES[k]]) for k in outputs})
    details = {"events": n, "bit_identical": identical, "max_relative_difference": worst,
               "host_status_numbering": numbering}
    if disagree:
        return Verdict(Outcome.WARN, "pyumami's host reads the library differently: " + "; ".join(disagree), details)
    if not identical:
        return Verdict(Outcome.WARN, f"pyumami.load(threads=2).evaluate differs from one direct call "
                       f"(max relative difference {worst:.3g})", details)
    return Verdict(Outcome.PASS, f"pyumami.load(threads=2) agrees on capabilities and its evaluate is bit-identical "
                   f"to a direct call ({n} events; host numbering: {numbering})", details)


def _fmt(value: Any) -> str:
    if isinstance(value, (set, frozenset)):
        return "{" + _names(value) + "}"
    return repr(value)


# ---------------------------------------------------------------------------
# registry
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Probe:
    """One probe: its name (as in the table), the function, what it checks, and
    whether it calls umami_matrix_element (and so needs device memory on a GPU
    library)."""

    name: str
    func: Callable[[ProbeContext], Verdict]
    summary: str
    evaluates: bool = True
    required: bool = True


PROBES: tuple[Probe, ...] = (
    Probe("symbols", probe_symbols, "mandatory entry points present; optional ones listed", evaluates=False),
    Probe("metadata", probe_metadata, "device, counts, masses valid; unknown key rejected", evaluates=False),
    Probe("capabilities", probe_capabilities, "advertised inputs/outputs match behaviour"),
    Probe("layout", probe_layout, "stride/offset honoured; canaries around the slice intact"),
    Probe("count-zero", probe_count_zero, "count 0 accepted, nothing written"),
    Probe("determinism", probe_determinism, "repeated calls bit-identical"),
    Probe("instances", probe_instances, "two instances agree"),
    Probe("threads", probe_threads, "two threads x two instances agree with serial"),
    Probe("memory", probe_memory, "1000 initialize/free cycles, bounded RSS growth", evaluates=False),
    Probe("physics", probe_physics, "|M|^2 finite and >= 0 on RAMBO points"),
    Probe("lorentz", probe_lorentz, "|M|^2 invariant under boost + rotation"),
    Probe("diagram-amp2", probe_diagram_amp2, "DIAGRAM_AMP2 >= 0 and sums to 1"),
    Probe("indices", probe_indices, "selected helicity/colour/diagram in range"),
    Probe("alpha-s", probe_alpha_s, "|M|^2 scales as an integer power of alpha_s"),
    Probe("parameters", probe_parameters, "set/get round trip; unknown name rejected", evaluates=False),
    Probe("host", probe_host, "pyumami.load agrees with the checker and with direct calls", required=False),
)

#: computed by the parent from the facts (no worker): statuses 5/6 ambiguity
STATUS_NUMBERING = "status-numbering"


def probe_by_name(name: str) -> Probe:
    """The probe called `name`; KeyError listing the known names otherwise."""
    for probe in PROBES:
        if probe.name == name:
            return probe
    raise KeyError(f"unknown probe {name!r}; probes: {', '.join(p.name for p in PROBES)}")
