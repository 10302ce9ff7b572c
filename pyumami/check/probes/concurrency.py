"""Probes of independence: repeated calls, several instances (also with different
cards) and several threads must not influence each other's results."""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from pyumami.abi import INPUTS, OUTPUTS, InputKey, OutputKey, Status, ffi
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
from pyumami.param_card import scaled_param_card

__all__ = [
    "CARD_SCALE",
    "probe_card_independence",
    "probe_determinism",
    "probe_instances",
    "probe_threads",
]

#: factor applied to every mass and width of the second card of `probe_card_independence`
CARD_SCALE = 1.01


def probe_determinism(ctx: ProbeContext) -> Verdict:
    """Three calls on one instance give bit-identical outputs."""
    n = 64
    momenta = ctx.points(n, salt=3)
    inputs = ctx.standard_inputs(n, salt=3)
    outputs = ctx.standard_outputs()
    with ctx.instance() as handle:
        runs = [evaluate_checked(ctx, handle, momenta, inputs, outputs).outputs for _ in range(3)]
    for i, run in enumerate(runs[1:], start=2):
        identical, worst = compare_outputs(runs[0], run)
        if not identical:
            return Verdict(
                Outcome.FAIL,
                f"call {i} differs from call 1 on the same instance and inputs "
                f"(max relative difference {worst:.3g})",
                {"max_relative_difference": worst},
            )
    return Verdict(Outcome.PASS, f"3 calls x {n} events bit-identical ({key_names(outputs)})")


def probe_instances(ctx: ProbeContext) -> Verdict:
    """Two live instances, called alternately, give bit-identical outputs."""
    n = 64
    momenta = ctx.points(n, salt=4)
    inputs = ctx.standard_inputs(n, salt=4)
    outputs = ctx.standard_outputs()
    with ctx.instance() as first, ctx.instance() as second:
        if first == second:
            raise ProbeFailure("two umami_initialize calls returned the same handle")
        a1 = evaluate_checked(ctx, first, momenta, inputs, outputs).outputs
        b = evaluate_checked(ctx, second, momenta, inputs, outputs).outputs
        a2 = evaluate_checked(ctx, first, momenta, inputs, outputs).outputs
    for label, other in (
        ("the second instance", b),
        ("the first instance after the second ran", a2),
    ):
        identical, worst = compare_outputs(a1, other)
        if not identical:
            return Verdict(
                Outcome.FAIL,
                f"{label} disagrees with the first instance "
                f"(max relative difference {worst:.3g}): instances share state",
                {"max_relative_difference": worst},
            )
    return Verdict(Outcome.PASS, f"2 instances, alternating calls: bit-identical on {n} events")


def _base_card(ctx: ProbeContext) -> Path:
    if ctx.param_card is not None:
        return Path(ctx.param_card)
    from ref_me import default_param_card

    return default_param_card()


def probe_card_independence(ctx: ProbeContext) -> Verdict:
    """An instance keeps its results once a second instance is initialised with a
    different card (every MASS and WIDTH of the card scaled by CARD_SCALE): model
    parameters must belong to the instance, not to the process."""
    n = 64
    momenta = ctx.points(n, salt=13)
    inputs = ctx.standard_inputs(n, salt=13)
    me = [OutputKey.MATRIX_ELEMENT]
    base = _base_card(ctx)
    with tempfile.TemporaryDirectory(prefix="pyumami-check-") as tmp:
        other_card = Path(tmp) / "scaled_param_card.dat"
        other_card.write_text(scaled_param_card(base.read_text(), CARD_SCALE))
        with ctx.instance() as first:
            before = evaluate_checked(ctx, first, momenta, inputs, me).outputs
            status, second = ctx.lib.initialize(str(other_card))
            if status != Status.SUCCESS:
                return Verdict(
                    Outcome.SKIP,
                    f"the library rejects a copy of {base.name} with masses and widths "
                    f"x {CARD_SCALE} ({status_text(status, ctx.numbering)}): not testable",
                )
            try:
                changed = evaluate_checked(ctx, second, momenta, inputs, me).outputs
                after = evaluate_checked(ctx, first, momenta, inputs, me).outputs
            finally:
                ctx.lib.free(second)
    identical, worst = compare_outputs(before, after)
    _, effect = compare_outputs(before, changed)
    details: dict[str, Any] = {
        "events": n,
        "scale": CARD_SCALE,
        "base_card": str(base),
        "max_relative_change_first_instance": worst,
        "max_relative_difference_between_cards": effect,
    }
    if not identical:
        return Verdict(
            Outcome.FAIL,
            f"the first instance's |M|^2 changed by up to {worst:.3g} (relative) once a "
            f"second instance read a card with masses and widths x {CARD_SCALE}: the model "
            "parameters are process-wide, not per instance",
            details,
        )
    if effect == 0.0:
        return Verdict(
            Outcome.SKIP,
            f"a card with masses and widths x {CARD_SCALE} leaves |M|^2 unchanged "
            "(the library does not read them from the card): not testable",
            details,
        )
    return Verdict(
        Outcome.PASS,
        f"2 instances, cards differing by x {CARD_SCALE} in every mass and width: "
        f"the first unchanged after the second (cards differ by up to {effect:.1e})",
        details,
    )


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
        whole = evaluate_checked(ctx, handle, momenta, inputs, outputs).outputs
        serial_s = time.perf_counter() - t0
        # the reference: the same two slices, one after the other on one thread
        split = ctx.lib.evaluate(
            handle, momenta, inputs, outputs, ndiag=ctx.ndiag, chunks=[n_half, n_half]
        )
    identical, _ = compare_outputs(whole, split.outputs)
    if split.status != Status.SUCCESS or split.damage or not identical:
        return Verdict(
            Outcome.SKIP,
            "not meaningful: two slices of one batch already differ from one call "
            "without threads (see layout)",
        )
    serial = split.outputs
    # a race shows only when both calls overlap in time: run at least MIN rounds,
    # and more (up to MAX) while the time budget lasts
    min_rounds, max_rounds, budget_s = 4, 200, 1.0

    # shared UMAMI-layout arrays, written by both threads
    in_arrays = {InputKey.MOMENTA: np.ascontiguousarray(np.transpose(momenta, (2, 1, 0)))}
    in_arrays.update({k: np.ascontiguousarray(v, dtype=INPUTS[k].dtype) for k, v in inputs.items()})
    in_ptrs = {k: ffi.cast("void *", a.ctypes.data) for k, a in in_arrays.items()}
    barrier = threading.Barrier(2)
    errors: list[str] = []
    mismatched_rounds = 0
    worst = 0.0

    rounds = 0
    started = time.perf_counter()
    while rounds < min_rounds or (rounds < max_rounds and time.perf_counter() - started < budget_s):
        rounds += 1
        out_arrays = {
            k: np.zeros(OUTPUTS[k].layout(ctx.npar, ctx.ndiag, n), dtype=OUTPUTS[k].dtype)
            for k in outputs
        }
        out_ptrs = {k: ffi.cast("void *", a.ctypes.data) for k, a in out_arrays.items()}

        def work(part: int, out_ptrs: dict[OutputKey, Any]) -> None:
            try:
                barrier.wait(timeout=30)
                status, handle = lib.initialize(ctx.param_card)
                if status != Status.SUCCESS:
                    errors.append(
                        f"umami_initialize in thread {part}: {status_text(status, ctx.numbering)}"
                    )
                    return
                try:
                    barrier.wait(timeout=30)
                    status = lib.call_raw(handle, n_half, n, part * n_half, in_ptrs, out_ptrs)
                    if status != Status.SUCCESS:
                        errors.append(f"thread {part}: {status_text(status, ctx.numbering)}")
                finally:
                    lib.free(handle)
            except threading.BrokenBarrierError:
                errors.append(f"thread {part} could not synchronise")

        threads = [threading.Thread(target=work, args=(part, out_ptrs)) for part in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise ProbeFailure("; ".join(errors[:2]))
        got = {k: np.ascontiguousarray(np.moveaxis(a, -1, 0)) for k, a in out_arrays.items()}
        identical, diff = compare_outputs(serial, got)
        if not identical:
            mismatched_rounds += 1
            worst = max(worst, diff)
    details = {
        "events": n,
        "rounds": rounds,
        "mismatched_rounds": mismatched_rounds,
        "max_relative_difference": worst,
        "serial_call_s": serial_s,
    }
    if mismatched_rounds:
        return Verdict(
            Outcome.FAIL,
            f"two threads with two instances disagree with the serial result in "
            f"{mismatched_rounds} of {rounds} rounds (max relative difference {worst:.3g}): "
            "instances share mutable state",
            details,
        )
    return Verdict(
        Outcome.PASS,
        f"2 threads x {n_half} events, {rounds} rounds: bit-identical to serial",
        details,
    )
