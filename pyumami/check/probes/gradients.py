"""Probe of pyumami's vendor gradient outputs (umami.h, keys from 1000 up): where a
library advertises them, their metadata is consistent, they fill exactly their
slice of the documented layout with finite values, and they agree with central
finite differences of the matrix element.

Momentum gradients are checked along directions that keep every particle on its
mass shell (a random change of each final-state three-momentum with the energy
following it; a rescaling of the beams, which keeps them massless and on the
axis), all particles at once: the derivative along such a direction is defined
however a library extends its wavefunctions off shell. Parameter gradients are
checked by shifting each parameter through ``umami_set_parameter`` on the same
instance. A library that advertises neither output does not offer gradients,
which is allowed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from pyumami.abi import (
    VENDOR_OUTPUTS,
    InputKey,
    OutputKey,
    Status,
    VendorMetaKey,
    VendorOutputKey,
    ffi,
)
from pyumami.check.points import move_on_shell, on_shell_directions
from pyumami.check.probes.context import (
    ProbeContext,
    ProbeFailure,
    Verdict,
    status_text,
)
from pyumami.check.report import Outcome
from pyumami.introspection import GuardedArray, guarded_inputs, vendor_outputs

__all__ = ["GRADIENT_TOLERANCE", "probe_gradients"]

#: largest relative difference allowed between a gradient and central differences
GRADIENT_TOLERANCE = 1e-6
#: central-difference steps: of the collision energy (momenta) and of a parameter's value
#: (larger: a width's derivative is small against |M|^2 / width, so rounding noise matters)
MOMENTUM_STEP = 1e-5
PARAMETER_STEP = 1e-4
#: the step of a parameter at 0 (e.g. a width switched off), in its own unit
ZERO_PARAMETER_STEP = 1e-3
#: relative floor of the comparison scale, in units of |M|^2 over the variable's size,
#: far above the differences' rounding noise (~1e-11) so that vanishing derivatives
#: compare absolutely
SCALE_FLOOR = 1e-4
EVENTS = 8
DIRECTIONS = 3
#: events at [OFFSET, OFFSET + EVENTS) of arrays of stride EVENTS + 2 * OFFSET
OFFSET = 2


def _read_parameter_names(ctx: ProbeContext) -> tuple[str, ...]:
    """The meta keys GRADIENT_PARAMETER_COUNT / _NAMES; ProbeFailure when they are
    inconsistent with an advertised PARAMETER_GRADIENT."""
    status, count = ctx.lib.get_meta_int(VendorMetaKey.GRADIENT_PARAMETER_COUNT)
    if status != Status.SUCCESS or count is None or count < 1:
        answer = status_text(status, ctx.numbering) if status != Status.SUCCESS else str(count)
        raise ProbeFailure(
            "PARAMETER_GRADIENT is advertised but meta GRADIENT_PARAMETER_COUNT "
            f"({int(VendorMetaKey.GRADIENT_PARAMETER_COUNT)}) answered {answer}; it must give the "
            "number (>= 1) of parameters differentiated"
        )
    names = ffi.new("char ***")
    status = int(ctx.lib.lib.umami_get_meta(int(VendorMetaKey.GRADIENT_PARAMETER_NAMES), names))
    if status != Status.SUCCESS or names[0] == ffi.NULL:
        answer = status_text(status, ctx.numbering) if status != Status.SUCCESS else "NULL"
        raise ProbeFailure(
            f"meta GRADIENT_PARAMETER_NAMES ({int(VendorMetaKey.GRADIENT_PARAMETER_NAMES)}) "
            f"answered {answer}; it must give a static array of {count} parameter names"
        )
    entries = [names[0][k] for k in range(count)]
    if any(entry == ffi.NULL for entry in entries):
        raise ProbeFailure(f"GRADIENT_PARAMETER_NAMES holds a NULL among its {count} entries")
    decoded = tuple(ffi.string(entry).decode(errors="replace") for entry in entries)
    if any(not name for name in decoded) or len(set(decoded)) != len(decoded):
        raise ProbeFailure(
            f"GRADIENT_PARAMETER_NAMES {list(decoded)} has an empty or repeated name; "
            "each differentiated parameter must be named once"
        )
    return decoded


def _evaluate(
    ctx: ProbeContext,
    handle: Any,
    momenta: np.ndarray,
    inputs: dict[InputKey, np.ndarray],
    vendor: Sequence[VendorOutputKey] = (),
    nparam: int = 0,
) -> dict[int, np.ndarray]:
    """|M|^2 and the requested vendor outputs of events placed at [OFFSET, OFFSET + n)
    of fenced arrays, in user layout; ProbeFailure on an error status, on a write
    outside the slice or on an element of the slice left unwritten."""
    n, npar = momenta.shape[:2]
    stride = n + 2 * OFFSET
    fenced_in = guarded_inputs({InputKey.MOMENTA: momenta, **inputs}, npar, stride, OFFSET)
    fenced_out = {
        OutputKey.MATRIX_ELEMENT: GuardedArray((stride,), np.dtype(np.float64), output=True)
    }
    for key in vendor:
        shape = VENDOR_OUTPUTS[key].layout(npar, None, stride, nparam)
        fenced_out[key] = GuardedArray(shape, np.dtype(np.float64), output=True)
    # every element starts as the output canary: one still holding it was not written
    canary = {key: f.array.view(np.uint64).flat[0] for key, f in fenced_out.items()}
    status = ctx.lib.call_raw(
        handle,
        n,
        stride,
        OFFSET,
        {k: f.pointer for k, f in fenced_in.items()},
        {k: f.pointer for k, f in fenced_out.items()},
    )
    asked = ", ".join(["MATRIX_ELEMENT", *(key.name for key in vendor)])
    if status != Status.SUCCESS:
        raise ProbeFailure(
            f"umami_matrix_element with outputs {asked} failed: {status_text(status, ctx.numbering)}"
        )
    result = {}
    for key, fenced in fenced_out.items():
        damage = fenced.damage(OFFSET, n)
        if damage:
            raise ProbeFailure(f"output {key.name}: {'; '.join(damage[:2])} (layout of umami.h)")
        values = fenced.array[..., OFFSET : OFFSET + n]
        unwritten = values.view(np.uint64) == canary[key]
        if unwritten.any():
            layout = VENDOR_OUTPUTS[key].shape.value if key in VENDOR_OUTPUTS else "one per event"
            raise ProbeFailure(
                f"output {key.name}: {int(unwritten.sum())} element(s) of the slice were not "
                f"written (umami.h layout: {layout})"
            )
        # UMAMI layout (..., stride) to user layout: (n,), (n, k) or (n, npar, 4)
        result[int(key)] = np.ascontiguousarray(
            np.transpose(values, tuple(range(values.ndim))[::-1])
        )
    if any(fenced.changed_anywhere() for fenced in fenced_in.values()):
        raise ProbeFailure("umami_matrix_element modified an input array (inputs are const)")
    return result


@dataclasses.dataclass(frozen=True)
class _Sample:
    """The events the gradients are checked at, on one instance: momenta (n, npar, 4)
    in GeV, the per-event inputs, and |M|^2 there."""

    handle: Any
    momenta: np.ndarray
    inputs: dict[InputKey, np.ndarray]
    me: np.ndarray


def _worst(difference: np.ndarray, scale: np.ndarray) -> tuple[float, int]:
    """(largest relative difference, its flat index)."""
    relative = np.abs(difference) / scale
    index = int(np.argmax(relative))
    return float(relative.flat[index]), index


def _check_momentum_gradient(ctx: ProbeContext, sample: _Sample, grad: np.ndarray) -> float:
    """Largest relative difference of grad . v against central differences along
    DIRECTIONS on-shell directions v per event; ProbeFailure beyond the tolerance."""
    momenta = sample.momenta
    rng = np.random.default_rng(ctx.seed + 13)
    step = MOMENTUM_STEP * ctx.energy()
    directions = np.stack([on_shell_directions(momenta, rng) for _ in range(DIRECTIONS)])
    shifted = np.concatenate(
        [move_on_shell(momenta[None], directions, sign * step) for sign in (1.0, -1.0)]
    ).reshape(-1, *momenta.shape[1:])
    tiled = {key: np.tile(value, 2 * DIRECTIONS) for key, value in sample.inputs.items()}
    values = _evaluate(ctx, sample.handle, shifted, tiled)[int(OutputKey.MATRIX_ELEMENT)]
    up, down = values.reshape(2, DIRECTIONS, -1)
    central = (up - down) / (2.0 * step)
    terms = grad[None] * directions
    library = terms.sum(axis=(-1, -2))
    floor = SCALE_FLOOR * np.abs(sample.me)[None] / ctx.energy()
    worst, index = _worst(library - central, np.abs(terms).sum(axis=(-1, -2)) + floor)
    if worst > GRADIENT_TOLERANCE:
        k, event = divmod(index, momenta.shape[0])
        raise ProbeFailure(
            f"MOMENTUM_GRADIENT disagrees with central differences along an on-shell direction: "
            f"relative difference {worst:.2e} > {GRADIENT_TOLERANCE:g} (event {event}: "
            f"gradient . v = {library[k, event]:.6e}, differences {central[k, event]:.6e})"
        )
    return worst


class _Refused(Exception):
    """umami_set_parameter refused a value: args (status, value)."""


def _values_at(
    ctx: ProbeContext, sample: _Sample, name: str, values: Sequence[float]
) -> list[np.ndarray]:
    """|M|^2 with parameter ``name`` set to each of ``values`` in turn; _Refused when
    set_parameter fails. The caller restores the parameter."""
    out = []
    for value in values:
        status = int(ctx.lib.lib.umami_set_parameter(sample.handle, name.encode(), value, 0.0))
        if status != Status.SUCCESS:
            raise _Refused(status, value)
        result = _evaluate(ctx, sample.handle, sample.momenta, sample.inputs)
        out.append(result[int(OutputKey.MATRIX_ELEMENT)])
    return out


def _parameter_differences(
    ctx: ProbeContext, sample: _Sample, name: str, original: float
) -> tuple[np.ndarray, str]:
    """d|M|^2/d(name) by Richardson's extrapolation of two difference quotients
    (steps h and h/2): central (error O(h^4)), or forward (O(h^2)) where the library
    refuses values below the parameter's, as it may for a width of 0. Returns the
    derivative (n,) and the scheme's name; restores the parameter."""
    h = PARAMETER_STEP * abs(original) if original != 0.0 else ZERO_PARAMETER_STEP
    try:
        try:
            shifts = [original + h, original - h, original + h / 2, original - h / 2]
            up, down, up2, down2 = _values_at(ctx, sample, name, shifts)
            return (4.0 * (up2 - down2) / h - (up - down) / (2.0 * h)) / 3.0, "central"
        except _Refused as refused:
            if refused.args[1] > original:
                raise
            up, up2 = _values_at(ctx, sample, name, [original + h, original + h / 2])
            return 2.0 * (up2 - sample.me) / (h / 2) - (up - sample.me) / h, "forward"
    except _Refused as refused:
        status, value = refused.args
        raise ProbeFailure(
            f"umami_set_parameter({name!r}, {value:.6g}) failed "
            f"({status_text(status, ctx.numbering)}); a differentiated parameter must be settable"
        ) from None
    finally:
        ctx.lib.lib.umami_set_parameter(sample.handle, name.encode(), original, 0.0)


def _check_parameter_gradient(
    ctx: ProbeContext, sample: _Sample, grad: np.ndarray, names: Sequence[str]
) -> dict[str, float]:
    """Largest relative difference per parameter against extrapolated differences
    through umami_set_parameter; ProbeFailure beyond the tolerance."""
    value = ffi.new("double *")
    worst: dict[str, float] = {}
    for j, name in enumerate(names):
        status = int(ctx.lib.lib.umami_get_parameter(sample.handle, name.encode(), value, ffi.NULL))
        if status != Status.SUCCESS:
            raise ProbeFailure(
                f"gradient parameter {name!r} (GRADIENT_PARAMETER_NAMES) is unknown to "
                f"umami_get_parameter ({status_text(status, ctx.numbering)}); the names must be "
                "param-card names the library can set"
            )
        original = float(value[0])
        differences, scheme = _parameter_differences(ctx, sample, name, original)
        size = abs(original) if original != 0.0 else 1.0
        scale = np.abs(differences) + SCALE_FLOOR * np.abs(sample.me) / size
        worst[name], event = _worst(grad[:, j] - differences, scale)
        if worst[name] > GRADIENT_TOLERANCE:
            raise ProbeFailure(
                f"PARAMETER_GRADIENT of {name!r} disagrees with {scheme} differences through "
                f"umami_set_parameter: relative difference {worst[name]:.2e} > "
                f"{GRADIENT_TOLERANCE:g} (event {event}: library {grad[event, j]:.6e}, differences "
                f"{differences[event]:.6e}, ratio {grad[event, j] / differences[event]:.4g})"
            )
    return worst


def probe_gradients(ctx: ProbeContext) -> Verdict:
    """Where the vendor gradient outputs are advertised: consistent metadata, the
    documented layout, finite values, agreement with central differences."""
    offered = sorted(vendor_outputs(ctx.lib.lib))
    if not offered:
        return Verdict(
            Outcome.SKIP,
            "not offered: no vendor gradient output (MOMENTUM_GRADIENT / PARAMETER_GRADIENT of "
            "umami.h) advertised",
        )
    names: tuple[str, ...] = ()
    if VendorOutputKey.PARAMETER_GRADIENT in offered:
        names = _read_parameter_names(ctx)
        symbols = ctx.facts.symbols or ctx.lib.symbols
        if not (symbols.get("umami_set_parameter") and symbols.get("umami_get_parameter")):
            raise ProbeFailure(
                "PARAMETER_GRADIENT is advertised but umami_set_parameter / umami_get_parameter "
                "are not both exported: the parameters differentiated cannot be set"
            )
    momenta = ctx.points(EVENTS, salt=13)
    # without an ALPHA_S input the card's alpha_s applies, which set_parameter moves
    inputs = ctx.standard_inputs(EVENTS, salt=13)
    if InputKey.ALPHA_S not in ctx.required_inputs:
        inputs.pop(InputKey.ALPHA_S, None)
    details: dict[str, Any] = {"outputs": [key.name for key in offered], "parameters": list(names)}
    with ctx.instance() as handle:
        plain = _evaluate(ctx, handle, momenta, inputs)[int(OutputKey.MATRIX_ELEMENT)]
        out = _evaluate(ctx, handle, momenta, inputs, offered, len(names))
        me = out[int(OutputKey.MATRIX_ELEMENT)]
        if me.tobytes() != plain.tobytes():
            raise ProbeFailure(
                "MATRIX_ELEMENT changes when gradient outputs are requested with it "
                f"(largest relative change {np.max(np.abs(me - plain) / np.abs(plain)):.2e})"
            )
        for key in offered:
            bad = ~np.isfinite(out[int(key)])
            if bad.any():
                raise ProbeFailure(f"{key.name}: {int(bad.sum())} value(s) are not finite")
        sample = _Sample(handle, momenta, inputs, me)
        parts = []
        if VendorOutputKey.MOMENTUM_GRADIENT in offered:
            grad = out[int(VendorOutputKey.MOMENTUM_GRADIENT)]
            details["momenta_worst"] = _check_momentum_gradient(ctx, sample, grad)
            parts.append(
                f"momenta {details['momenta_worst']:.1e} ({DIRECTIONS * EVENTS} on-shell directions)"
            )
        if names:
            grad = out[int(VendorOutputKey.PARAMETER_GRADIENT)]
            worst = _check_parameter_gradient(ctx, sample, grad, names)
            details["parameters_worst"] = worst
            parts.append(", ".join(f"{name} {w:.1e}" for name, w in worst.items()))
    return Verdict(
        Outcome.PASS,
        f"{', '.join(key.name for key in offered)}: layout, finite, agree with finite differences "
        f"(worst relative: {'; '.join(parts)}; tolerance {GRADIENT_TOLERANCE:g})",
        details,
    )
