"""Probe of umami_set_parameter / umami_get_parameter, with the parameter names of
the param card (read by `pyumami.param_card`)."""

from __future__ import annotations

from typing import Any

from pyumami.abi import Status, ffi
from pyumami.check.probes.context import ProbeContext, Verdict, status_text
from pyumami.check.report import Outcome
from pyumami.param_card import parameter_names, read_param_card

__all__ = ["UNKNOWN_PARAMETER", "card_parameter_names", "probe_parameters"]

#: name no param card defines, for the "unknown parameter rejected" check
UNKNOWN_PARAMETER = "pyumami_check_no_such_parameter"


def card_parameter_names(path: str | None) -> list[str]:
    """Parameter names of the card at `path` (default: ref_me's SM card, whose names
    MadGraph's SM libraries share); empty if the card cannot be read."""
    if path is None:
        from ref_me import default_param_card

        path = str(default_param_card())
    try:
        return parameter_names(read_param_card(path))
    except OSError:
        return []


def probe_parameters(ctx: ProbeContext) -> Verdict:
    """Where set/get_parameter exist: get after set returns the value, instances are
    independent, and an unknown name is rejected by both."""
    symbols = ctx.facts.symbols or ctx.lib.symbols
    if not (symbols.get("umami_set_parameter") and symbols.get("umami_get_parameter")):
        return Verdict(Outcome.SKIP, "umami_set_parameter / umami_get_parameter not both exported")
    lib = ctx.lib.lib
    re, im = ffi.new("double *"), ffi.new("double *")
    names = card_parameter_names(ctx.param_card)
    problems = []
    details: dict[str, Any] = {}
    with ctx.instance() as handle, ctx.instance() as other:
        s_get = int(lib.umami_get_parameter(handle, UNKNOWN_PARAMETER.encode(), re, im))
        s_set = int(lib.umami_set_parameter(handle, UNKNOWN_PARAMETER.encode(), 1.0, 0.0))
        details.update(unknown_get_status=s_get, unknown_set_status=s_set)
        if s_get == Status.ERROR_NOT_IMPLEMENTED and s_set == Status.ERROR_NOT_IMPLEMENTED:
            return Verdict(
                Outcome.SKIP,
                "set/get_parameter present but answer NOT_IMPLEMENTED "
                "(allowed; MadGraph's CUDACPP libraries do this)",
                details,
            )
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
                problems.append(
                    f"get_parameter({name!r}) after set to {new!r} returned {float(re[0])!r} "
                    f"({status_text(status, ctx.numbering)})"
                )
            status = int(lib.umami_get_parameter(other, name.encode(), re, ffi.NULL))
            if status != Status.SUCCESS or float(re[0]) != original:
                problems.append(
                    f"setting {name!r} on one instance changed it on another "
                    f"({original!r} -> {float(re[0])!r})"
                )
            lib.umami_set_parameter(handle, name.encode(), original, 0.0)
            break
        details["parameter_checked"] = checked
    if problems:
        return Verdict(Outcome.FAIL, "; ".join(problems), details)
    if checked is None:
        return Verdict(
            Outcome.WARN,
            f"unknown name rejected, but none of the param card's {len(names)} "
            "parameter names could be read and set",
            details,
        )
    return Verdict(
        Outcome.PASS,
        f"set/get of {checked!r} round-trips, per instance; unknown name rejected "
        f"({status_text(s_get, ctx.numbering).split(' (')[0]})",
        details,
    )
