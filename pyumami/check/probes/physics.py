"""Probes of the physics: |M|^2 finite and non-negative, Lorentz invariant, scaling
with alpha_s; multi-channel weights and selected indices valid. `physics` and
`lorentz` judge values that only on-shell points make meaningful, so the registry
skips them when the masses are unknown."""

from __future__ import annotations

import math

import numpy as np

from pyumami.abi import InputKey, OutputKey
from pyumami.check.points import random_lorentz_transform
from pyumami.check.probes.context import (
    RANDOM_INPUTS,
    ProbeContext,
    ProbeFailure,
    Verdict,
    evaluate_checked,
)
from pyumami.check.report import Outcome

__all__ = [
    "AMP2_SUM_TOLERANCE",
    "LORENTZ_TOLERANCE",
    "probe_alpha_s",
    "probe_diagram_amp2",
    "probe_indices",
    "probe_lorentz",
    "probe_physics",
]

#: relative change of |M|^2 allowed under a Lorentz transformation
LORENTZ_TOLERANCE = 1e-10
#: |sum(DIAGRAM_AMP2) - 1| allowed
AMP2_SUM_TOLERANCE = 1e-12
#: each index output and the metadata fact that bounds it
_INDEX_OUTPUTS = {
    OutputKey.HELICITY_INDEX: "helicity_count",
    OutputKey.COLOR_INDEX: "color_count",
    OutputKey.DIAGRAM_INDEX: "diagram_count",
}


def _points_note(ctx: ProbeContext) -> str:
    return f"sqrt(s) = {ctx.energy():g} GeV"


def probe_physics(ctx: ProbeContext) -> Verdict:
    """|M|^2 finite and >= 0 on RAMBO points above threshold."""
    n = 512
    momenta = ctx.points(n, salt=6)
    with ctx.instance() as handle:
        me = evaluate_checked(
            ctx, handle, momenta, ctx.standard_inputs(n, salt=6), [OutputKey.MATRIX_ELEMENT]
        )
    values = me.outputs[OutputKey.MATRIX_ELEMENT]
    bad = ~np.isfinite(values)
    negative = values < 0
    details = {
        "events": n,
        "non_finite": int(bad.sum()),
        "negative": int(negative.sum()),
        "min": float(np.nanmin(values)) if (~bad).any() else None,
        "max": float(np.nanmax(values)) if (~bad).any() else None,
    }
    if bad.any() or negative.any():
        parts = []
        if bad.any():
            parts.append(
                f"{int(bad.sum())} of {n} matrix elements are not finite "
                f"(first: {float(values[bad][0])!r} at event {int(np.flatnonzero(bad)[0])})"
            )
        if negative.any():
            parts.append(
                f"{int(negative.sum())} of {n} are negative (min {values[negative].min():.3g})"
            )
        return Verdict(Outcome.FAIL, "; ".join(parts) + f" ({_points_note(ctx)})", details)
    return Verdict(
        Outcome.PASS,
        f"{n} RAMBO points ({_points_note(ctx)}): |M|^2 finite, in "
        f"[{values.min():.3g}, {values.max():.3g}]",
        details,
    )


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
        a, b, c = (
            evaluate_checked(ctx, handle, p, inputs, me).outputs[OutputKey.MATRIX_ELEMENT]
            for p in (momenta, along, general)
        )
    # non-finite values are the physics probe's finding; compare the finite ones
    finite = np.isfinite(a)
    if not finite.any():
        return Verdict(Outcome.SKIP, "no finite |M|^2 to compare (see physics)")
    a, b, c = a[finite], b[finite], c[finite]
    if not (np.isfinite(b).all() and np.isfinite(c).all()):
        raise ProbeFailure(
            "matrix elements finite before a boost + rotation are not finite after it"
        )
    rel = _relative_change(a, b)
    worst = float(rel.max())
    worst_general = float(_relative_change(a, c).max())
    details = {
        "events": int(finite.sum()),
        "max_relative_change": worst,
        "max_relative_change_general_boost": worst_general,
        "tolerance": LORENTZ_TOLERANCE,
    }
    if worst > LORENTZ_TOLERANCE:
        return Verdict(
            Outcome.FAIL,
            f"|M|^2 changes by up to {worst:.3g} (relative) under a beam-axis boost + "
            f"rotation (tolerance {LORENTZ_TOLERANCE:g}) at event {int(rel.argmax())}",
            details,
        )
    reason = f"{n} beam-axis boosts (|beta| <= 0.6) + rotations: max relative change {worst:.1e}"
    if worst_general > LORENTZ_TOLERANCE:
        reason += (
            f"; general boosts: {worst_general:.1e} (frame-dependent helicity sum: the amplitude is not "
            "exactly gauge invariant, e.g. a width in a t-channel propagator as in MadGraph)"
        )
    else:
        reason += f"; general boosts: {worst_general:.1e}"
    return Verdict(Outcome.PASS, reason, details)


def probe_diagram_amp2(ctx: ProbeContext) -> Verdict:
    """DIAGRAM_AMP2 finite, non-negative, summing to 1 in every event."""
    if OutputKey.DIAGRAM_AMP2 not in ctx.supported_outputs:
        return Verdict(Outcome.SKIP, "DIAGRAM_AMP2 not offered")
    if not ctx.ndiag:
        return Verdict(
            Outcome.FAIL,
            "DIAGRAM_AMP2 offered but DIAGRAM_COUNT not answered: a host cannot size the output",
        )
    n = 256
    momenta = ctx.points(n, salt=8)
    with ctx.instance() as handle:
        out = evaluate_checked(
            ctx, handle, momenta, ctx.standard_inputs(n, salt=8), [OutputKey.DIAGRAM_AMP2]
        )
    amp2 = out.outputs[OutputKey.DIAGRAM_AMP2]
    problems = []
    if not np.isfinite(amp2).all():
        problems.append(
            f"{int((~np.isfinite(amp2)).any(axis=1).sum())} events with non-finite DIAGRAM_AMP2"
        )
    if (amp2 < 0).any():
        problems.append(f"{int((amp2 < 0).any(axis=1).sum())} events with negative DIAGRAM_AMP2")
    deviation = (
        float(np.nanmax(np.abs(amp2.sum(axis=1) - 1.0))) if np.isfinite(amp2).any() else math.inf
    )
    details = {"events": n, "diagrams": ctx.ndiag, "max_sum_deviation": deviation}
    if not deviation <= AMP2_SUM_TOLERANCE:
        problems.append(f"sum over diagrams deviates from 1 by up to {deviation:.3g}")
    if problems:
        return Verdict(Outcome.FAIL, "; ".join(problems), details)
    return Verdict(
        Outcome.PASS,
        f"{n} events x {ctx.ndiag} diagrams: >= 0, sum 1 within {deviation:.1e}",
        details,
    )


def probe_indices(ctx: ProbeContext) -> Verdict:
    """Selected helicity / colour / diagram indices lie in [0, count)."""
    offered = [k for k in _INDEX_OUTPUTS if k in ctx.supported_outputs]
    if not offered:
        return Verdict(
            Outcome.SKIP, "no HELICITY_INDEX / COLOR_INDEX / DIAGRAM_INDEX output offered"
        )
    n = 256
    momenta = ctx.points(n, salt=9)
    inputs = ctx.standard_inputs(n, salt=9)
    for key in RANDOM_INPUTS:
        if key in inputs:
            # the ends of [0, 1) are where off-by-one selections fail
            inputs[key][:2] = (0.0, np.nextafter(1.0, 0.0))
    with ctx.instance() as handle:
        out = evaluate_checked(ctx, handle, momenta, inputs, offered).outputs
    problems, summary = [], []
    for key in offered:
        values = out[key]
        limit = getattr(ctx.facts, _INDEX_OUTPUTS[key])
        upper = limit if limit else np.iinfo(np.int32).max
        bad = (values < 0) | (values >= upper)
        if bad.any():
            problems.append(
                f"{key.name} out of [0, {limit if limit else 'inf'}) in {int(bad.sum())} of {n} events "
                f"(e.g. {int(values[bad][0])})"
            )
        summary.append(
            f"{key.name} in [{values.min()}, {values.max()}]" + (f" of {limit}" if limit else "")
        )
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
        m1 = evaluate_checked(ctx, handle, momenta, inputs, [OutputKey.MATRIX_ELEMENT]).outputs[
            OutputKey.MATRIX_ELEMENT
        ]
        inputs2 = {**inputs, InputKey.ALPHA_S: a1 * factor}
        m2 = evaluate_checked(ctx, handle, momenta, inputs2, [OutputKey.MATRIX_ELEMENT]).outputs[
            OutputKey.MATRIX_ELEMENT
        ]
    ok = np.isfinite(m1) & np.isfinite(m2) & (m1 > 0) & (m2 > 0)
    if not ok.any():
        return Verdict(
            Outcome.SKIP,
            "no event with a finite positive |M|^2 to measure the scaling (see physics)",
        )
    power = np.log(m2[ok] / m1[ok]) / math.log(factor)
    nearest = float(np.round(np.median(power)))
    deviation = float(np.abs(power - nearest).max())
    details = {"events": int(ok.sum()), "power": nearest, "max_deviation": deviation}
    if deviation > 1e-6:
        return Verdict(
            Outcome.FAIL,
            f"|M|^2 does not scale as an integer power of ALPHA_S: fitted powers span "
            f"[{power.min():.6f}, {power.max():.6f}] (is ALPHA_S read per event at offset + i?)",
            details,
        )
    return Verdict(
        Outcome.PASS,
        f"|M|^2 ~ alpha_s^{nearest:.0f} (per-event deviation {deviation:.1e})",
        details,
    )
