"""Probe of pyumami's own host on the library: does ``pyumami.load`` see what the
checker saw, and does its threaded `evaluate` agree with a direct call?"""

from __future__ import annotations

from typing import Any

import numpy as np

from pyumami.abi import INPUTS, OUTPUTS, InputKey, OutputKey
from pyumami.check.probes.context import (
    ProbeContext,
    Verdict,
    compare_outputs,
    evaluate_checked,
    key_names,
)
from pyumami.check.report import Outcome

__all__ = ["probe_host"]

#: keyword of `MatrixElementLibrary.evaluate` for each input, name of each output
HOST_INPUT_NAMES = {key: spec.name for key, spec in INPUTS.items() if key != InputKey.MOMENTA}
HOST_OUTPUT_NAMES = {key: spec.name for key, spec in OUTPUTS.items() if spec.dtype is not None}


def probe_host(ctx: ProbeContext) -> Verdict:
    """Informational: ``pyumami.load`` (two threads) describes the library as the
    checker found it, and its `evaluate` agrees bit for bit with one direct call."""
    import pyumami

    n = 1001  # odd, so the two threads get unequal slices
    momenta = ctx.points(n, salt=11)
    inputs = ctx.standard_inputs(n, salt=11)
    outputs = ctx.standard_outputs()
    with ctx.instance() as handle:
        direct = evaluate_checked(ctx, handle, momenta, inputs, outputs).outputs
    try:
        with pyumami.load(ctx.path, ctx.param_card, threads=2) as host:
            seen = {
                "particle_count": (host.particle_count, ctx.npar),
                "supported inputs": (set(host.supported_inputs), ctx.supported_inputs),
                "required inputs": (set(host.required_inputs), ctx.required_inputs),
                "supported outputs": (
                    set(host.supported_outputs) - {OutputKey.GPU_STREAM},
                    ctx.supported_outputs - {OutputKey.GPU_STREAM},
                ),
            }
            result = host.evaluate(
                momenta,
                outputs=[HOST_OUTPUT_NAMES[k] for k in outputs],
                **{HOST_INPUT_NAMES[k]: v for k, v in inputs.items()},
            )
            numbering = host.numbering
    except Exception as exc:  # noqa: BLE001 - any host exception is the finding
        return Verdict(Outcome.WARN, f"pyumami.load / evaluate raised {type(exc).__name__}: {exc}")
    if (
        ctx.facts.capability_source is None
    ):  # the capabilities probe did not run: nothing to compare
        seen = {"particle_count": seen["particle_count"]}
    disagree = [
        f"{what}: host {_fmt(a)}, checker {_fmt(b)}" for what, (a, b) in seen.items() if a != b
    ]
    identical, worst = compare_outputs(
        direct, {k: np.asarray(result[HOST_OUTPUT_NAMES[k]]) for k in outputs}
    )
    details = {
        "events": n,
        "bit_identical": identical,
        "max_relative_difference": worst,
        "host_status_numbering": numbering,
    }
    if disagree:
        return Verdict(
            Outcome.WARN,
            "pyumami's host reads the library differently: " + "; ".join(disagree),
            details,
        )
    if not identical:
        return Verdict(
            Outcome.WARN,
            f"pyumami.load(threads=2).evaluate differs from one direct call "
            f"(max relative difference {worst:.3g})",
            details,
        )
    return Verdict(
        Outcome.PASS,
        f"pyumami.load(threads=2) agrees on capabilities and its evaluate is bit-identical "
        f"to a direct call ({n} events; host numbering: {numbering})",
        details,
    )


def _fmt(value: Any) -> str:
    if isinstance(value, (set, frozenset)):
        return "{" + key_names(value) + "}"
    return repr(value)
