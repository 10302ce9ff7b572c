"""Probes of the memory contract: stride and offset honoured, nothing written outside
the slice, count 0 harmless, and instances that give their memory back."""

from __future__ import annotations

import os
import time

from pyumami.abi import InputKey, Status, ffi
from pyumami.check.probes.context import (
    ProbeContext,
    ProbeFailure,
    Verdict,
    compare_outputs,
    evaluate_checked,
    key_names,
    status_text,
)
from pyumami.check.report import Outcome
from pyumami.introspection import guard_damage, guarded_inputs, guarded_outputs

__all__ = [
    "MEMORY_CYCLES",
    "MEMORY_GROWTH_BOUND",
    "probe_count_zero",
    "probe_layout",
    "probe_memory",
]

#: resident-memory growth (bytes) allowed over the initialize/free cycles
MEMORY_GROWTH_BOUND = 4 * 1024 * 1024
MEMORY_CYCLES = 1000
MEMORY_WARMUP_CYCLES = 50


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
        reference = evaluate_checked(ctx, handle, momenta, inputs, outputs)
        try:
            shifted = evaluate_checked(
                ctx, handle, momenta, inputs, outputs, stride=stride, offset=offset, chunks=chunks
            )
        except ProbeFailure as exc:
            raise ProbeFailure(
                f"at offset {offset}, stride {stride}, calls of {chunks} events: {exc}"
            ) from None
    identical, worst = compare_outputs(reference.outputs, shifted.outputs)
    details = {
        "events": n,
        "stride": stride,
        "offset": offset,
        "chunks": chunks,
        "outputs": [k.name for k in outputs],
        "max_relative_difference": worst,
    }
    where = f"offset {offset}, stride {stride}, {len(chunks)} calls"
    if identical:
        return Verdict(
            Outcome.PASS, f"{key_names(outputs)} bit-identical at {where}; canaries intact", details
        )
    if worst <= 1e-12:
        return Verdict(
            Outcome.WARN,
            f"results at {where} differ from offset 0 by up to {worst:.1e} "
            "(relative): they depend on the position in the batch",
            details,
        )
    return Verdict(
        Outcome.FAIL,
        f"results at {where} differ from the same events at offset 0 "
        f"(max relative difference {worst:.3g}); stride/offset not honoured",
        details,
    )


def probe_count_zero(ctx: ProbeContext) -> Verdict:
    """count = 0 answers SUCCESS and writes nothing, at offset 0 and at offset = stride.
    It is the first umami_matrix_element call of the process the probe runs in: a
    library that sizes something from its first batch (MadGraph's helicity filter)
    must cope with an empty one."""
    n = 8
    momenta = ctx.points(n, salt=2)
    inputs = ctx.standard_inputs(n, salt=2)
    outputs = ctx.standard_outputs()
    problems = []
    with ctx.instance() as handle:
        for offset in (0, n):
            fenced_in = guarded_inputs({InputKey.MOMENTA: momenta, **inputs}, ctx.npar, n)
            fenced_out = guarded_outputs(outputs, ctx.ndiag, n)
            status = ctx.lib.call_raw(
                handle,
                0,
                n,
                offset,
                {k: f.pointer for k, f in fenced_in.items()},
                {k: f.pointer for k, f in fenced_out.items()},
            )
            if status != Status.SUCCESS:
                problems.append(
                    f"count 0 at offset {offset} answered {status_text(status, ctx.numbering)}"
                )
            damage = guard_damage(fenced_in, fenced_out, offset, 0)
            problems += [f"count 0 at offset {offset}: {d}" for d in damage]
    if problems:
        return Verdict(Outcome.FAIL, "; ".join(problems[:3]))
    return Verdict(Outcome.PASS, "count 0 at offsets 0 and stride: SUCCESS, nothing written")


def _resident_bytes() -> int:
    """Resident set size of this process (bytes), from /proc/self/statm."""
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
                raise ProbeFailure(
                    f"umami_initialize failed in cycle {i + 1}: {status_text(status, ctx.numbering)}"
                )
            if handle == ffi.NULL:
                raise ProbeFailure(
                    f"umami_initialize returned SUCCESS with a NULL handle in cycle {i + 1}"
                )
            status = lib.free(handle)
            if status != Status.SUCCESS:
                raise ProbeFailure(
                    f"umami_free failed in cycle {i + 1}: {status_text(status, ctx.numbering)}"
                )

    cycle(MEMORY_WARMUP_CYCLES)
    before = _resident_bytes()
    t0 = time.perf_counter()
    cycle(MEMORY_CYCLES)
    elapsed = time.perf_counter() - t0
    growth = _resident_bytes() - before
    details = {
        "cycles": MEMORY_CYCLES,
        "rss_growth_bytes": growth,
        "bound_bytes": MEMORY_GROWTH_BOUND,
        "seconds": elapsed,
    }
    if growth > MEMORY_GROWTH_BOUND:
        return Verdict(
            Outcome.FAIL,
            f"resident memory grew by {growth / 2**20:.1f} MiB over {MEMORY_CYCLES} "
            f"initialize/free cycles (bound {MEMORY_GROWTH_BOUND / 2**20:.0f} MiB): umami_free leaks",
            details,
        )
    return Verdict(
        Outcome.PASS,
        f"{MEMORY_CYCLES} initialize/free cycles in {elapsed:.2f} s, "
        f"RSS growth {growth / 1024:.0f} KiB",
        details,
    )
