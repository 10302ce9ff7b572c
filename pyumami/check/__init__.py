"""`pyumami check`: a conformance checker for any UMAMI library.

``check(path)`` runs a battery of probes (see `pyumami.check.probes.PROBES`), each
in its own subprocess, and returns a `CheckReport`; ``pyumami check LIB.so`` is the
same on the command line (`add_cli_arguments` / `run_cli` are what ``pyumami.cli``
registers). Documentation: docs/check.md.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Iterable

from pyumami.check.isolation import ProbeRunner
from pyumami.check.probes import PROBES, STATUS_NUMBERING, probe_by_name, status_numbering
from pyumami.check.report import CheckReport, Outcome, ProbeResult

__all__ = ["check", "CheckReport", "ProbeResult", "Outcome", "PROBE_NAMES", "add_cli_arguments", "run_cli",
           "DEFAULT_TIMEOUT"]

#: wall-clock limit per probe (seconds)
DEFAULT_TIMEOUT = 60.0
#: every probe name, in the order they run (status-numbering is derived, not run)
PROBE_NAMES = tuple(p.name for p in PROBES[:3]) + (STATUS_NUMBERING,) + tuple(p.name for p in PROBES[3:])


def check(
    path: str | os.PathLike[str],
    *,
    param_card: str | os.PathLike[str] | None = None,
    sqrt_s: float | None = None,
    timeout: float | None = None,
    probes: Iterable[str] | None = None,
    seed: int = 20261125,
    fork_server: bool = True,
) -> CheckReport:
    """Check the UMAMI library at `path` for conformance.

    Args:
        path: the shared object.
        param_card: SLHA card passed to umami_initialize (default: NULL, i.e. the
            library's own defaults); its parameter names are also what the
            `parameters` probe tries (default: the SM card of ref_me).
        sqrt_s: collision energy (GeV) of the generated phase-space points; default
            max(1000 GeV, 2 x the sum of the final-state masses).
        timeout: wall-clock seconds per probe (default 60); a probe that exceeds it
            fails, and the remaining probes are skipped.
        probes: names of the probes to run (default all; `symbols` and `metadata`
            always run, as the others depend on their findings).
        seed: seed of the phase-space points and random inputs.
        fork_server: run each probe in a child forked from one pre-started worker
            (fast); False starts a fresh interpreter per probe (slower, the
            fallback where fork is unavailable).

    Returns the report; it never raises for a faulty library. Raises
    FileNotFoundError when `param_card` does not exist (a mistake of the caller,
    not of the library, so no probe should be blamed for it).
    """
    t0 = time.perf_counter()
    path = Path(path)
    timeout = DEFAULT_TIMEOUT if timeout is None else float(timeout)
    selected = set(PROBE_NAMES if probes is None else probes)
    for name in selected:
        if name != STATUS_NUMBERING:
            probe_by_name(name)  # KeyError naming the known probes
    selected |= {"symbols", "metadata"}
    card = None if param_card is None else str(Path(param_card).resolve())
    if card is not None and not Path(card).is_file():
        raise FileNotFoundError(
            f"param card {param_card} does not exist; pass the path of an SLHA card, or omit "
            f"--param-card to let the library use its defaults")
    options = {"param_card": card, "sqrt_s": sqrt_s, "timeout": timeout, "seed": seed}
    facts: dict = {}
    results: list[ProbeResult] = []
    blocker: str | None = None

    if not path.is_file():
        results.append(ProbeResult("symbols", Outcome.FAIL, f"{path} does not exist or is not a file"))
        blocker = "the library file does not exist"
    with ProbeRunner(use_fork_server=fork_server) as runner:
        blocker = _run_probes(runner, path, selected, card, sqrt_s, seed, timeout, blocker, facts, results)
    return CheckReport(str(path), results, wall_s=round(time.perf_counter() - t0, 3), options=options)


def _run_probes(runner: ProbeRunner, path: Path, selected: set[str], card: str | None, sqrt_s: float | None,
                seed: int, timeout: float, blocker: str | None, facts: dict, results: list[ProbeResult]) -> str | None:
    def skip(name: str, required: bool, reason: str, blocked: bool = True) -> None:
        results.append(ProbeResult(name, Outcome.SKIP, reason, required=required, blocked=blocked))

    for probe in PROBES:
        if probe.name in selected and not (blocker and probe.name == "symbols"):
            device = facts.get("device")
            if blocker:
                skip(probe.name, probe.required, f"not run: {blocker}")
            elif probe.name not in ("symbols", "metadata") and device not in (None, 0):
                # device pointers are needed; the checker has no GPU memory path yet
                kind = {1: "CUDA", 2: "HIP"}.get(device, str(device))
                skip(probe.name, probe.required,
                     f"not run: the library's DEVICE is {kind}; probes that initialize or evaluate need "
                     "device memory, which this checker drives only on the CPU")
            else:
                request = {"probe": probe.name, "path": str(path.resolve()), "param_card": card,
                           "sqrt_s": sqrt_s, "seed": seed, "facts": facts}
                verdict = runner.run(request, timeout)
                results.append(ProbeResult(
                    probe.name, Outcome(verdict["outcome"]), verdict["reason"], required=probe.required,
                    blocked=bool(verdict.get("blocked", False)), duration_s=round(verdict["duration_s"], 3), details=verdict.get("details", {}),
                ))
                facts.update(verdict.get("facts", {}))
                if verdict["timed_out"]:
                    blocker = f"probe {probe.name!r} timed out (the library hangs)"
                elif probe.name == "symbols" and verdict["outcome"] != Outcome.PASS.value:
                    blocker = "the symbols probe failed"
                elif probe.name == "metadata" and "particle_count" not in facts:
                    blocker = "no valid PARTICLE_COUNT (see metadata)"
                elif probe.name == "metadata" and sqrt_s is not None and facts.get("masses") is not None \
                        and sqrt_s <= sum(facts["masses"][2:]):
                    blocker = (f"--sqrt-s {sqrt_s:g} GeV is not above the final-state threshold "
                               f"{sum(facts['masses'][2:]):g} GeV; pass a larger --sqrt-s")
                elif probe.name == "capabilities" and verdict["outcome"] == Outcome.SKIP.value:
                    blocker = f"the capabilities probe could not run ({verdict['reason']})"
                elif probe.name == "capabilities" and verdict["reason"].startswith("umami_initialize failed"):
                    # every later probe needs an instance: one failure, not a dozen misleading ones
                    blocker = "umami_initialize failed (see capabilities); check the param card"
        if probe.name == "capabilities" and STATUS_NUMBERING in selected and not blocker:
            numbering = status_numbering(facts)
            results.append(ProbeResult(STATUS_NUMBERING, numbering.outcome, numbering.reason,
                                       required=False, details=numbering.details))
    return blocker


def add_cli_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``pyumami check`` to `parser` (a subcommand parser)."""
    parser.add_argument("library", help="path of the UMAMI shared object to check")
    parser.add_argument("--param-card", default=None,
                        help="SLHA param card passed to umami_initialize (default: NULL, the library's defaults)")
    parser.add_argument("--sqrt-s", type=float, default=None,
                        help="collision energy of the test points in GeV (default: max(1000, 2 x final masses))")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"seconds allowed per probe (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--probe", action="append", choices=PROBE_NAMES, default=None, metavar="NAME",
                        help="run only this probe (repeatable); probes: " + ", ".join(PROBE_NAMES))
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run_cli(args: argparse.Namespace) -> int:
    """Run ``pyumami check`` with parsed `args`; returns the exit status: 0 when every
    required probe passed (or does not apply), 1 when one failed, 2 when none
    failed but some could not run here (e.g. a CUDA library without a GPU)."""
    try:
        report = check(args.library, param_card=args.param_card, sqrt_s=args.sqrt_s,
                       timeout=args.timeout, probes=args.probe)
    except FileNotFoundError as error:
        print(f"pyumami check: error: {error}", file=sys.stderr)
        return 2
    print(report.to_json() if args.json else report.to_table())
    sys.stdout.flush()
    return report.exit_code


def main(argv: list[str] | None = None) -> int:
    """``python -m pyumami.check LIB.so ...`` (the same as ``pyumami check``)."""
    parser = argparse.ArgumentParser(prog="pyumami check", description=__doc__.splitlines()[0])
    add_cli_arguments(parser)
    return run_cli(parser.parse_args(argv))


class _CallableModule(type(sys)):
    """Makes ``pyumami.check(path, ...)`` (the issue's spelling of the API) call
    `check` while ``pyumami.check`` stays the package holding the probes."""

    def __call__(self, path: str | os.PathLike[str], **options) -> CheckReport:  # noqa: ANN003
        return check(path, **options)


sys.modules[__name__].__class__ = _CallableModule
