"""Probes of the ABI surface: exported symbols, metadata, advertised versus actual
capabilities, the status numbering, integer inputs out of range and how a GPU
library takes its stream."""

from __future__ import annotations

from typing import Any

import numpy as np

from pyumami.abi import (
    INPUTS,
    MANDATORY_SYMBOLS,
    MISSING_INPUT_STATUSES,
    OPTIONAL_SYMBOLS,
    Device,
    InputKey,
    MetaKey,
    OutputKey,
    Status,
)
from pyumami.check.probes.context import (
    UNKNOWN_KEY,
    CapabilityOrigin,
    Facts,
    ProbeContext,
    ProbeFailure,
    Verdict,
    key_names,
    status_text,
)
from pyumami.check.raw_library import RawLibrary
from pyumami.check.report import Outcome
from pyumami.introspection import StatusNumbering, TrialCaller, trial_momenta

__all__ = [
    "gpu_stream_reading",
    "probe_capabilities",
    "probe_index_range",
    "probe_metadata",
    "probe_symbols",
    "status_numbering",
]


def probe_symbols(ctx: ProbeContext) -> Verdict:
    """The four mandatory entry points exist; the five optional ones are listed."""
    try:
        lib = ctx.lib
    except OSError as exc:
        return Verdict(Outcome.FAIL, f"cannot dlopen the library (RTLD_NOW): {exc}")
    present = [n for n in OPTIONAL_SYMBOLS if lib.symbols[n]]
    absent = [n for n in OPTIONAL_SYMBOLS if not lib.symbols[n]]
    details = {"symbols": lib.symbols}
    facts = Facts(symbols=dict(lib.symbols))
    if lib.missing_mandatory:
        return Verdict(
            Outcome.FAIL,
            f"missing mandatory entry point(s) {', '.join(lib.missing_mandatory)}; every host "
            f"(MadSpace included) needs {', '.join(MANDATORY_SYMBOLS)}",
            details,
            facts,
        )

    def short(names: list[str]) -> str:
        return ", ".join(n.removeprefix("umami_") for n in names) or "none"

    return Verdict(
        Outcome.PASS,
        f"4 mandatory present; optional present: {short(present)}; absent: {short(absent)}",
        details,
        facts,
    )


def probe_metadata(ctx: ProbeContext) -> Verdict:
    """DEVICE valid, PARTICLE_COUNT >= 3, counts positive where answered, masses
    finite and >= 0, an unknown key rejected."""
    lib = ctx.lib
    problems: list[str] = []
    notes: list[str] = []
    facts = Facts()
    details: dict[str, Any] = {}

    status, device = lib.get_meta_int(MetaKey.DEVICE)
    details["device_status"] = status
    if status != Status.SUCCESS:
        problems.append(f"DEVICE not answered ({status_text(status)}); every host needs it")
    elif device not in {int(d) for d in Device}:
        problems.append(f"DEVICE answered {device}, which is no UmamiDevice")
    else:
        facts.device = device

    status, npar = lib.get_meta_int(MetaKey.PARTICLE_COUNT)
    details["particle_count_status"] = status
    if status != Status.SUCCESS:
        problems.append(
            f"PARTICLE_COUNT not answered ({status_text(status)}); hosts need it for the layout"
        )
    elif npar is None or not 3 <= npar <= 64:
        problems.append(
            f"PARTICLE_COUNT is {npar}: a 2 -> n process has at least 3 external particles"
        )
    else:
        facts.particle_count = npar

    counts = (
        ("diagram_count", MetaKey.DIAGRAM_COUNT),
        ("helicity_count", MetaKey.HELICITY_COUNT),
        ("color_count", MetaKey.COLOR_COUNT),
    )
    for fact, key in counts:
        status, value = lib.get_meta_int(key)
        details[f"{fact}_status"] = status
        if status == Status.SUCCESS:
            if value is None or value <= 0:
                problems.append(f"{key.name} is {value}; it must be positive where answered")
            else:
                setattr(facts, fact, value)
        else:
            notes.append(f"{key.name} not answered")

    if facts.particle_count is not None:
        npar = facts.particle_count
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
        facts.masses_status = status
        if overrun:
            problems.append(f"MASSES wrote more than PARTICLE_COUNT = {npar} doubles")
        if masses is not None:
            if not np.all(np.isfinite(masses)) or np.any(masses < 0):
                problems.append(f"MASSES not all finite and >= 0: {masses.tolist()}")
            else:
                facts.masses = masses.tolist()
                details["masses"] = masses.tolist()
        elif ctx.masses_option is not None:
            notes.append("MASSES not answered (masses from --masses)")
        else:
            notes.append(
                "MASSES not answered (masses unknown: pass --masses for the on-shell probes)"
            )

    status, _ = lib.get_meta_int(UNKNOWN_KEY)
    details["unknown_meta_status"] = status
    facts.unknown_meta_status = status
    if status == Status.SUCCESS:
        problems.append(f"unknown metadata key {UNKNOWN_KEY} answered SUCCESS; it must be rejected")

    if problems:
        return Verdict(Outcome.FAIL, "; ".join(problems), details, facts)
    assert facts.device is not None and facts.particle_count is not None
    labels = (
        ("diagram_count", "diagrams"),
        ("helicity_count", "helicities"),
        ("color_count", "colours"),
    )
    answered = ", ".join(
        f"{label} {getattr(facts, k)}" for k, label in labels if getattr(facts, k) is not None
    )
    summary = f"{Device(facts.device).name}, {facts.particle_count} particles" + (
        f", {answered}" if answered else ""
    )
    if facts.masses is not None:
        summary += f", masses {[round(m, 6) for m in facts.masses]}"
    if facts.device != Device.CPU:
        stream, stream_details = gpu_stream_reading(lib)
        notes.append(stream)
        details.update(stream_details)
    if notes:
        summary += "; " + ", ".join(notes)
    return Verdict(Outcome.PASS, summary, details, facts)


def status_numbering(facts: Facts) -> Verdict:
    """Which header numbering the library's statuses 5/6/7 follow (derived from the
    metadata and capabilities probes' facts, not run in a child)."""
    meta, missing = facts.unknown_meta_status, facts.missing_input_status
    details = {"unknown_meta_status": meta, "missing_input_status": missing}
    seen = f"unknown meta key -> {meta}, missing input -> {missing}"
    numbering = facts.numbering
    if numbering is StatusNumbering.CURRENT:
        return Verdict(Outcome.PASS, f"UMAMI 1.0 numbering ({seen})", details)
    if numbering is StatusNumbering.OLD:
        return Verdict(
            Outcome.WARN,
            f"older header numbering ({seen}): status codes 5 and 6 are ambiguous "
            "(older: 5 UNSUPPORTED_META, 6 MISSING_INPUT; 1.0: 5 UNINITIALIZED_META, "
            "6 UNSUPPORTED_META, 7 MISSING_INPUT); hosts must report both readings",
            details,
        )
    if numbering is StatusNumbering.MIXED:
        return Verdict(Outcome.WARN, f"mixes the older and the 1.0 numbering ({seen})", details)
    return Verdict(Outcome.WARN, f"cannot tell the status numbering ({seen})", details)


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

    def describe(status: int) -> str:
        return status_text(status, ctx.numbering)

    problems: list[str] = []
    details: dict[str, Any] = {}
    advertised: dict[str, set[int] | None] = {}
    for name in ("umami_supported_inputs", "umami_required_inputs", "umami_supported_outputs"):
        answer = lib.capability(name)
        if answer is not None and answer[0] != Status.SUCCESS:
            problems.append(f"{name} failed with {describe(answer[0])}")
            answer = None
        advertised[name] = None if answer is None else set(answer[1])
    adv_in = _keys(advertised["umami_supported_inputs"], InputKey)
    adv_req = _keys(advertised["umami_required_inputs"], InputKey)
    adv_out = _keys(advertised["umami_supported_outputs"], OutputKey)
    if adv_out is not None:
        adv_out.discard(OutputKey.GPU_STREAM)  # a stream, not an array: not probed on the CPU
    me = {int(OutputKey.MATRIX_ELEMENT)}

    with ctx.instance() as handle:
        # the host's generic trial points (on-shell where the masses are known, no
        # shared axis), so that the checker probes capabilities as a host does
        momenta = trial_momenta(ctx.known_masses(), ctx.npar, seed=ctx.seed)
        trial = TrialCaller(ctx.lib.lib, handle, momenta, ndiag=ctx.ndiag, seed=ctx.seed)
        # each input on top of MOMENTA and the advertised required ones
        base = {int(InputKey.MOMENTA)} | {int(k) for k in (adv_req or set())}
        input_status = {key: trial(base | {int(key)}, me) for key in InputKey}
        inconclusive = [k for k, s in input_status.items() if s in MISSING_INPUT_STATUSES]
        if inconclusive:
            # some input is required but not among `base`: retry those keys on top of
            # everything advertised (or, without queries, everything accepted so far)
            extra = (
                adv_in
                if adv_in is not None
                else {k for k, s in input_status.items() if s == Status.SUCCESS}
            )
            base |= {int(k) for k in extra}
            input_status.update({key: trial(base | {int(key)}, me) for key in inconclusive})
        accepted = {k for k, s in input_status.items() if s == Status.SUCCESS}
        for key, s in input_status.items():
            if s not in (Status.SUCCESS, Status.ERROR_UNSUPPORTED_INPUT, *MISSING_INPUT_STATUSES):
                problems.append(
                    f"input {key.name} with valid values answered {describe(s)}; "
                    "expected SUCCESS or ERROR_UNSUPPORTED_INPUT"
                )
        if InputKey.MOMENTA not in accepted:
            problems.append(
                f"a call with MOMENTA fails ({describe(input_status[InputKey.MOMENTA])})"
            )
        s = trial(base | {UNKNOWN_KEY}, me)
        details["unknown_input_status"] = s
        if s != Status.ERROR_UNSUPPORTED_INPUT:
            problems.append(
                f"unknown input key {UNKNOWN_KEY} answered {describe(s)}; "
                "expected ERROR_UNSUPPORTED_INPUT"
            )

        # required inputs: leave each one out of the full set of value-free inputs
        # (index inputs are left out: their valid values are library-specific)
        full = {int(k) for k in accepted - set(INDEX_INPUTS)} | (base & {int(k) for k in accepted})
        required: set[InputKey] = set()
        without_status = {}
        for key in sorted(full):
            s = trial(full - {key}, me)
            without_status[InputKey(key).name] = s
            if s in MISSING_INPUT_STATUSES:
                required.add(InputKey(key))
            elif s != Status.SUCCESS:
                problems.append(
                    f"a call without {InputKey(key).name} answered {describe(s)}; "
                    "expected SUCCESS (optional input) or ERROR_MISSING_INPUT (required)"
                )
        missing_status = trial(set(), me)
        details["missing_input_status"] = missing_status
        if missing_status not in MISSING_INPUT_STATUSES:
            problems.append(
                f"a call without any input answered {describe(missing_status)}; "
                "expected ERROR_MISSING_INPUT (MOMENTA is required)"
            )

        # outputs, one at a time
        working = full if full else base
        output_status = {
            key: trial(working, {int(key)}) for key in OutputKey if key != OutputKey.GPU_STREAM
        }
        produced = {k for k, s in output_status.items() if s == Status.SUCCESS}
        for key, s in output_status.items():
            if s not in (Status.SUCCESS, Status.ERROR_UNSUPPORTED_OUTPUT):
                problems.append(
                    f"output {key.name} answered {describe(s)}; "
                    "expected SUCCESS or ERROR_UNSUPPORTED_OUTPUT"
                )
        if OutputKey.MATRIX_ELEMENT not in produced:
            problems.append("the MATRIX_ELEMENT output is rejected")
        s = trial(working, me | {UNKNOWN_KEY})
        details["unknown_output_status"] = s
        if s != Status.ERROR_UNSUPPORTED_OUTPUT:
            problems.append(
                f"unknown output key {UNKNOWN_KEY} answered {describe(s)}; "
                "expected ERROR_UNSUPPORTED_OUTPUT"
            )
        if trial.damage:
            problems.append("memory outside the slice changed: " + "; ".join(trial.damage[:2]))

    details["input_status"] = {k.name: s for k, s in input_status.items()}
    details["status_without_input"] = without_status
    details["output_status"] = {k.name: s for k, s in output_status.items()}
    if adv_in is not None:
        if InputKey.MOMENTA not in adv_in:
            problems.append("umami_supported_inputs does not list MOMENTA")
        for key in sorted(adv_in - accepted):
            problems.append(
                f"advertises input {key.name} but rejects it ({describe(input_status[key])})"
            )
        for key in sorted(accepted - adv_in):
            problems.append(f"accepts input {key.name} but does not advertise it")
    if adv_req is not None:
        if adv_in is not None and not adv_req <= adv_in:
            problems.append(
                f"required inputs ({key_names(adv_req)}) are not a subset of the supported ones "
                f"({key_names(adv_in)})"
            )
        for key in sorted(adv_req - required):
            problems.append(
                f"advertises {key.name} as a required input, but a call without it succeeded"
            )
        for key in sorted(required - adv_req):
            problems.append(
                f"a call without {key.name} answered ERROR_MISSING_INPUT, but "
                "umami_required_inputs does not list it"
            )
    if adv_out is not None:
        for key in sorted(adv_out - produced):
            problems.append(
                f"advertises output {key.name} but rejects it ({describe(output_status[key])})"
            )
        for key in sorted(produced - adv_out):
            problems.append(f"produces output {key.name} but does not advertise it")

    present = [v is not None for v in advertised.values()]
    source = (
        CapabilityOrigin.QUERIES
        if all(present)
        else (CapabilityOrigin.TRIAL_CALLS if not any(present) else CapabilityOrigin.BOTH)
    )
    facts = Facts(
        supported_inputs=tuple(sorted(int(k) for k in accepted)),
        required_inputs=tuple(sorted(int(k) for k in required)),
        supported_outputs=tuple(sorted(int(k) for k in produced)),
        missing_input_status=missing_status,
        capability_source=source,
    )
    details.update(
        supported_inputs=list(facts.supported_inputs or ()),
        required_inputs=list(facts.required_inputs or ()),
        supported_outputs=list(facts.supported_outputs or ()),
        missing_input_status=missing_status,
        capability_source=source.value,
    )
    if problems:
        return Verdict(Outcome.FAIL, "; ".join(dict.fromkeys(problems)), details, facts)
    return Verdict(
        Outcome.PASS,
        f"by {source.value}: inputs {key_names(accepted)} (required {key_names(required)}); outputs {key_names(produced)}",
        details,
        facts,
    )


#: integer inputs whose valid values are bounded by a count, with the metadata fact
#: that bounds them (None: no count exists in the ABI, e.g. flavour combinations)
INDEX_INPUTS: dict[InputKey, str | None] = {
    InputKey.FLAVOR_INDEX: None,
    InputKey.HELICITY_INDEX: "helicity_count",
    InputKey.DIAGRAM_INDEX: "diagram_count",
    # channels select diagrams, so there are at most as many channels as diagrams
    InputKey.CHANNEL_INDEX: "diagram_count",
}
#: out-of-range value used where the ABI gives no count: no process has this many
#: flavour combinations or diagrams
BEYOND_ANY_COUNT = 1 << 20


def probe_index_range(ctx: ProbeContext) -> Verdict:
    """Every supported integer input (FLAVOR_INDEX, HELICITY_INDEX, DIAGRAM_INDEX,
    CHANNEL_INDEX) answers an error status when one event's value lies beyond the
    library's count (or is negative, for the signed ones), instead of being ignored."""
    offered = [k for k in INDEX_INPUTS if k in ctx.supported_inputs]
    if not offered:
        return Verdict(
            Outcome.SKIP,
            "no FLAVOR_INDEX / HELICITY_INDEX / DIAGRAM_INDEX / CHANNEL_INDEX input offered",
        )
    n = 8
    momenta = ctx.points(n, salt=12)
    inputs = ctx.standard_inputs(n, salt=12)
    ignored, checked = [], []
    details: dict[str, Any] = {}
    with ctx.instance() as handle:
        valid = ctx.lib.evaluate(
            handle,
            momenta,
            {**inputs, **{k: np.zeros(n, np.int64) for k in offered}},
            [OutputKey.MATRIX_ELEMENT],
            ndiag=ctx.ndiag,
        ).status
        if valid != Status.SUCCESS:
            return Verdict(
                Outcome.SKIP,
                f"a call with every index input 0 already answers "
                f"{status_text(valid, ctx.numbering)}: no in-range baseline",
            )
        for key in offered:
            fact = INDEX_INPUTS[key]
            count = getattr(ctx.facts, fact) if fact else None
            values = [count if count else BEYOND_ANY_COUNT]
            if np.dtype(INPUTS[key].dtype).kind == "i":
                values.append(-1)
            for value in values:
                column = np.zeros(n, dtype=np.int64)
                column[n // 2] = value
                status = ctx.lib.evaluate(
                    handle,
                    momenta,
                    {**inputs, key: column},
                    [OutputKey.MATRIX_ELEMENT],
                    ndiag=ctx.ndiag,
                ).status
                details[f"{key.name}={value}"] = status
                if status == Status.SUCCESS:
                    bound = f" ({fact.upper()} {count})" if fact and value == count else ""
                    ignored.append(f"{key.name} = {value}{bound}")
            checked.append(key)
    if ignored:
        return Verdict(
            Outcome.FAIL,
            f"{', '.join(ignored)} in one event answered SUCCESS: an out-of-range index "
            "must give an error status, not be ignored",
            details,
        )
    return Verdict(
        Outcome.PASS, f"out-of-range {key_names(checked)} rejected with an error status", details
    )


def gpu_stream_reading(lib: RawLibrary) -> tuple[str, dict[str, Any]]:
    """How a CUDA/HIP library takes the caller's stream: as output GPU_STREAM (5, the
    current header) or as input 8 (the older header's GPU_STREAM, 1.0's
    CHANNEL_INDEX). Told from the capability queries, which need no device memory;
    without them it cannot be told without a GPU. (note, details)"""
    answers = {
        name: lib.capability(name) for name in ("umami_supported_inputs", "umami_supported_outputs")
    }
    flags = {name: a[1] for name, a in answers.items() if a is not None and a[0] == Status.SUCCESS}
    out5 = int(OutputKey.GPU_STREAM) in flags.get("umami_supported_outputs", ())
    in8 = int(InputKey.CHANNEL_INDEX) in flags.get("umami_supported_inputs", ())
    details = {"gpu_stream_output_5": out5, "input_8": in8, "queried": sorted(flags)}
    if not flags:
        return (
            "GPU_STREAM: cannot tell output 5 (current header) from input 8 (older header) without "
            "capability queries or a GPU"
        ), details
    if out5:
        return "GPU_STREAM taken as output 5 (current header)", details
    if in8:
        return (
            "GPU_STREAM: no output 5, but input 8 advertised (GPU_STREAM under the older header, "
            "CHANNEL_INDEX under 1.0); cannot tell which without a GPU"
        ), details
    return (
        "GPU_STREAM not advertised (neither output 5 nor input 8): runs on the default stream",
        details,
    )
