"""The probes of `pyumami check` and their registry.

A probe is a function of a `ProbeContext` returning a `Verdict`; it runs in a child
process (see `pyumami.check.isolation`), so it may crash with the library. Probes
talk to the library through `RawLibrary` (raw statuses, exact strides, canaries).
`Facts` carry what one probe learnt (particle count, masses, supported inputs, ...)
to the probes after it.

`REGISTRY` owns the order in which probes run and report, and holds two kinds of
entries: `Probe` (run in a child) and `DerivedProbe` (computed in the parent from
the facts gathered so far, e.g. the status numbering). A probe's `gate` says, from
its verdict, whether the later probes can still run. The probes themselves live in
modules by theme: `abi_metadata`, `memory_layout`, `concurrency`, `physics`,
`parameters`, `gradients`, `host`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from pyumami.check.probes.abi_metadata import (
    probe_capabilities,
    probe_index_range,
    probe_metadata,
    probe_symbols,
    status_numbering,
)
from pyumami.check.probes.concurrency import (
    probe_card_independence,
    probe_determinism,
    probe_instances,
    probe_threads,
)
from pyumami.check.probes.context import (
    INITIALIZE,
    Facts,
    ProbeBlocked,
    ProbeContext,
    ProbeFailure,
    Verdict,
)
from pyumami.check.probes.gradients import probe_gradients
from pyumami.check.probes.host import probe_host
from pyumami.check.probes.memory_layout import probe_count_zero, probe_layout, probe_memory
from pyumami.check.probes.parameters import probe_parameters
from pyumami.check.probes.physics import (
    probe_alpha_s,
    probe_diagram_amp2,
    probe_indices,
    probe_lorentz,
    probe_physics,
)
from pyumami.check.report import Outcome

__all__ = [
    "PROBE_NAMES",
    "REGISTRY",
    "CheckOptions",
    "DerivedProbe",
    "Facts",
    "Probe",
    "ProbeBlocked",
    "ProbeContext",
    "ProbeFailure",
    "Verdict",
    "initialize_blocker",
    "probe_by_name",
    "status_numbering",
]


@dataclasses.dataclass(frozen=True)
class CheckOptions:
    """The caller's options that gates need to judge a verdict."""

    param_card: str | None = None
    sqrt_s: float | None = None
    masses: tuple[float, ...] | None = None


#: what a gate returns: why the later probes cannot run, or None when they can
Gate = Callable[[Verdict, Facts, CheckOptions], str | None]


@dataclasses.dataclass(frozen=True)
class Probe:
    """One probe run in a child process.

    `cpu_only`: it hands host memory to the library, so on a CUDA/HIP library it is
    skipped (the checker has no device-memory path). `on_shell`: it judges values
    that only on-shell points make meaningful, so it is skipped when the masses are
    unknown. `gate`: whether the later probes can run after this one's verdict."""

    name: str
    func: Callable[[ProbeContext], Verdict]
    summary: str
    required: bool = True
    cpu_only: bool = True
    on_shell: bool = False
    gate: Gate | None = None


@dataclasses.dataclass(frozen=True)
class DerivedProbe:
    """An entry computed in the parent from the facts gathered so far."""

    name: str
    derive: Callable[[Facts], Verdict]
    summary: str
    required: bool = False


def initialize_blocker(verdict: Verdict, name: str, options: CheckOptions) -> str | None:
    """The reason to stop after a probe whose umami_initialize failed or crashed:
    every later probe needs an instance."""
    if verdict.entry_point != INITIALIZE or verdict.outcome is not Outcome.FAIL:
        return None
    what = "crashed" if verdict.crashed else "failed"
    if options.param_card is None:
        return (
            f"umami_initialize {what} (see {name}) with a NULL param card: the library probably "
            "needs one; pass --param-card CARD"
        )
    return f"umami_initialize {what} (see {name}); check the param card"


def _gate_symbols(verdict: Verdict, facts: Facts, options: CheckOptions) -> str | None:
    return None if verdict.outcome is Outcome.PASS else "the symbols probe failed"


def _gate_metadata(verdict: Verdict, facts: Facts, options: CheckOptions) -> str | None:
    if facts.particle_count is None:
        return "no valid PARTICLE_COUNT (see metadata)"
    if options.masses is not None and len(options.masses) != facts.particle_count:
        return (
            f"--masses gives {len(options.masses)} values but the library has {facts.particle_count} "
            "external particles; pass one mass per particle"
        )
    masses = options.masses if options.masses is not None else facts.masses
    if options.sqrt_s is not None and masses is not None and options.sqrt_s <= sum(masses[2:]):
        return (
            f"--sqrt-s {options.sqrt_s:g} GeV is not above the final-state threshold "
            f"{sum(masses[2:]):g} GeV; pass a larger --sqrt-s"
        )
    return None


def _gate_capabilities(verdict: Verdict, facts: Facts, options: CheckOptions) -> str | None:
    if verdict.outcome is Outcome.SKIP:
        return f"the capabilities probe could not run ({verdict.reason})"
    return None


REGISTRY: tuple[Probe | DerivedProbe, ...] = (
    Probe(
        "symbols",
        probe_symbols,
        "mandatory entry points present; optional ones listed",
        cpu_only=False,
        gate=_gate_symbols,
    ),
    Probe(
        "metadata",
        probe_metadata,
        "device, counts, masses valid; unknown key rejected",
        cpu_only=False,
        gate=_gate_metadata,
    ),
    Probe(
        "capabilities",
        probe_capabilities,
        "advertised inputs/outputs match behaviour",
        gate=_gate_capabilities,
    ),
    DerivedProbe(
        "status-numbering", status_numbering, "statuses 5/6/7: UMAMI 1.0 or the older numbering"
    ),
    Probe("layout", probe_layout, "stride/offset honoured; canaries around the slice intact"),
    Probe("count-zero", probe_count_zero, "count 0 accepted as the first call, nothing written"),
    Probe("determinism", probe_determinism, "repeated calls bit-identical"),
    Probe("instances", probe_instances, "two instances agree"),
    Probe("threads", probe_threads, "two threads x two instances agree with serial"),
    Probe("memory", probe_memory, "1000 initialize/free cycles, bounded RSS growth"),
    Probe("physics", probe_physics, "|M|^2 finite and >= 0 on RAMBO points", on_shell=True),
    Probe("lorentz", probe_lorentz, "|M|^2 invariant under boost + rotation", on_shell=True),
    Probe("diagram-amp2", probe_diagram_amp2, "DIAGRAM_AMP2 >= 0 and sums to 1"),
    Probe("indices", probe_indices, "selected helicity/colour/diagram in range"),
    Probe("alpha-s", probe_alpha_s, "|M|^2 scales as an integer power of alpha_s"),
    Probe("parameters", probe_parameters, "set/get round trip; unknown name rejected"),
    Probe(
        "gradients",
        probe_gradients,
        "vendor gradient outputs (if offered): metadata, layout, central differences",
        on_shell=True,
    ),
    Probe(
        "host",
        probe_host,
        "pyumami.load agrees with the checker and with direct calls",
        required=False,
    ),
    Probe("index-range", probe_index_range, "out-of-range index inputs answer an error status"),
    Probe(
        "instance-cards", probe_card_independence, "instances with different cards stay independent"
    ),
)

#: every probe name, in the order they run and report
PROBE_NAMES: tuple[str, ...] = tuple(entry.name for entry in REGISTRY)


def probe_by_name(name: str) -> Probe | DerivedProbe:
    """The registry entry called `name`; KeyError listing the known names otherwise."""
    for entry in REGISTRY:
        if entry.name == name:
            return entry
    raise KeyError(f"unknown probe {name!r}; probes: {', '.join(PROBE_NAMES)}")
