"""`pyumami check`: a conformance checker for any UMAMI library.

``check(path)`` runs a battery of probes (see `pyumami.check.probes.REGISTRY`), each
in its own child process, and returns a `CheckReport`; ``pyumami check LIB.so`` is the
same on the command line (`add_cli_arguments` / `run_cli` are what ``pyumami.cli``
registers). Documentation: docs/check.md.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import types
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pyumami.abi import Device
from pyumami.check.isolation import ProbeRunner
from pyumami.check.probes import (
    PROBE_NAMES,
    REGISTRY,
    CheckOptions,
    DerivedProbe,
    Facts,
    Probe,
    Verdict,
    initialize_blocker,
    probe_by_name,
)
from pyumami.check.probes.context import INITIALIZE
from pyumami.check.report import CheckReport, Outcome, ProbeResult
from pyumami.check.worker import ProbeRequest

__all__ = [
    "DEFAULT_TIMEOUT",
    "PROBE_NAMES",
    "CheckReport",
    "Outcome",
    "ProbeResult",
    "add_cli_arguments",
    "check",
    "run_cli",
]

#: wall-clock limit per probe (seconds)
DEFAULT_TIMEOUT = 60.0
#: probes whose facts every other probe needs: they always run
ALWAYS_RUN = {"symbols", "metadata"}


def check(
    path: str | os.PathLike[str],
    *,
    param_card: str | os.PathLike[str] | None = None,
    sqrt_s: float | None = None,
    masses: Sequence[float] | None = None,
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
            `parameters` probe tries, and its scaled copy what `card-independence`
            loads (default: the SM card of ref_me).
        sqrt_s: collision energy (GeV) of the generated phase-space points; default
            max(1000 GeV, 2 x the sum of the final-state masses).
        masses: the external masses (GeV, one per particle, incoming first) for
            libraries that do not answer MASSES (MadGraph's do not); they take
            precedence over MASSES. Without known masses the probes that judge
            on-shell physics (`physics`, `lorentz`) are skipped, "masses unknown".
        timeout: wall-clock seconds per probe (default 60); a probe that exceeds it
            fails, and the remaining probes are skipped.
        probes: names of the probes to run (default all; `symbols` and `metadata`
            always run, as the others depend on their findings).
        seed: seed of the phase-space points and random inputs.
        fork_server: fork each probe's child from a pre-started server that has
            imported everything once (fast); False starts a fresh interpreter per
            probe (slower, the fallback where forkserver is unavailable).

    Returns the report; it never raises for a faulty library. Raises
    FileNotFoundError when `param_card` does not exist and ValueError when
    `masses` holds a negative or non-finite value (mistakes of the caller, not of
    the library, so no probe should be blamed for them).
    """
    t0 = time.perf_counter()
    path = Path(path)
    timeout = DEFAULT_TIMEOUT if timeout is None else float(timeout)
    selected = set(PROBE_NAMES if probes is None else probes)
    for name in selected:
        probe_by_name(name)  # KeyError naming the known probes
    selected |= ALWAYS_RUN
    card = None if param_card is None else str(Path(param_card).resolve())
    if card is not None and not Path(card).is_file():
        raise FileNotFoundError(
            f"param card {param_card} does not exist; pass the path of an SLHA card, or omit "
            f"--param-card to let the library use its defaults"
        )
    mass_values = None if masses is None else tuple(float(m) for m in masses)
    if mass_values is not None and not all(math.isfinite(m) and m >= 0 for m in mass_values):
        raise ValueError(
            f"masses {list(mass_values)} must be finite and >= 0 (GeV), one per external particle"
        )
    options: dict[str, Any] = {
        "param_card": card,
        "sqrt_s": sqrt_s,
        "timeout": timeout,
        "seed": seed,
    }
    if mass_values is not None:
        options["masses"] = list(mass_values)
    run = _Run(path, CheckOptions(card, sqrt_s, mass_values), selected, seed, timeout)
    run.all(ProbeRunner(use_fork_server=fork_server))
    return CheckReport(
        str(path), run.results, wall_s=round(time.perf_counter() - t0, 3), options=options
    )


class _Run:
    """One check in progress: the results so far, the facts and what blocks the rest."""

    def __init__(
        self, path: Path, options: CheckOptions, selected: set[str], seed: int, timeout: float
    ):
        self.path, self.options, self.selected, self.seed, self.timeout = (
            path,
            options,
            selected,
            seed,
            timeout,
        )
        self.facts = Facts()
        self.results: list[ProbeResult] = []
        self.blocker: str | None = None

    def skip(self, entry: Probe | DerivedProbe, reason: str, blocked: bool = True) -> None:
        self.results.append(
            ProbeResult(entry.name, Outcome.SKIP, reason, required=entry.required, blocked=blocked)
        )

    def all(self, runner: ProbeRunner) -> None:
        for entry in REGISTRY:
            if entry.name not in self.selected:
                continue
            if isinstance(entry, DerivedProbe):
                if not self.blocker:
                    self.record(entry, entry.derive(self.facts))
            elif entry.name == "symbols" and not self.path.is_file():
                self.results.append(
                    ProbeResult(
                        "symbols", Outcome.FAIL, f"{self.path} does not exist or is not a file"
                    )
                )
                self.blocker = "the library file does not exist"
            elif self.blocker:
                self.skip(entry, f"not run: {self.blocker}")
            elif entry.cpu_only and self.facts.device not in (None, int(Device.CPU)):
                kind = (
                    Device(self.facts.device).name
                    if self.facts.device in set(Device)
                    else str(self.facts.device)
                )
                # device pointers are needed; the checker has no GPU memory path yet
                self.skip(
                    entry,
                    f"not run: the library's DEVICE is {kind}; probes that initialize or evaluate "
                    "need device memory, which this checker drives only on the CPU",
                )
            elif entry.on_shell and self.options.masses is None and self.facts.masses is None:
                self.skip(
                    entry,
                    "masses unknown: the library does not answer MASSES, so on-shell points cannot be "
                    "made; pass --masses m1,m2,... (GeV, one per particle)",
                    blocked=False,
                )
            else:
                self.run_one(runner, entry)

    def record(self, entry: Probe | DerivedProbe, verdict: Verdict) -> None:
        self.results.append(
            ProbeResult(
                entry.name,
                verdict.outcome,
                verdict.reason,
                required=entry.required,
                blocked=verdict.blocked,
                duration_s=round(verdict.duration_s, 3),
                details=verdict.details,
            )
        )

    def run_one(self, runner: ProbeRunner, probe: Probe) -> None:
        request = ProbeRequest(
            probe.name,
            str(self.path.resolve()),
            self.options.param_card,
            self.options.sqrt_s,
            self.seed,
            self.options.masses,
            self.facts,
            time.time() + self.timeout,
        )
        verdict = runner.run(request, self.timeout)
        if (
            verdict.crashed
            and verdict.entry_point == INITIALIZE
            and self.options.param_card is None
        ):
            verdict.reason += "; it was given a NULL param card: the library probably needs one, pass --param-card"
        self.record(probe, verdict)
        self.facts.update(verdict.facts)
        if verdict.timed_out:
            self.blocker = f"probe {probe.name!r} timed out (the library hangs)"
        else:
            self.blocker = initialize_blocker(verdict, probe.name, self.options) or (
                probe.gate(verdict, self.facts, self.options) if probe.gate else None
            )


def add_cli_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``pyumami check`` to `parser` (a subcommand parser)."""
    parser.add_argument("library", help="path of the UMAMI shared object to check")
    parser.add_argument(
        "--param-card",
        default=None,
        help="SLHA param card passed to umami_initialize (default: NULL, the library's defaults)",
    )
    parser.add_argument(
        "--sqrt-s",
        type=float,
        default=None,
        help="collision energy of the test points in GeV (default: max(1000, 2 x final masses))",
    )
    parser.add_argument(
        "--masses",
        type=_mass_list,
        default=None,
        metavar="M1,M2,...",
        help="external masses in GeV, incoming first (e.g. 0,0,173,173), for libraries that do "
        "not answer MASSES; without known masses the on-shell probes are skipped",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"seconds allowed per probe (default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--probe",
        action="append",
        choices=PROBE_NAMES,
        default=None,
        metavar="NAME",
        help="run only this probe (repeatable); probes: " + ", ".join(PROBE_NAMES),
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def _mass_list(text: str) -> list[float]:
    try:
        return [float(word) for word in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of masses in GeV (e.g. 0,0,173,173)"
        ) from None


def run_cli(args: argparse.Namespace) -> int:
    """Run ``pyumami check`` with parsed `args`; returns the exit status: 0 when every
    required probe passed (or does not apply), 1 when one failed, 2 when none
    failed but some could not run here (e.g. a CUDA library without a GPU)."""
    try:
        report = check(
            args.library,
            param_card=args.param_card,
            sqrt_s=args.sqrt_s,
            masses=args.masses,
            timeout=args.timeout,
            probes=args.probe,
        )
    except (FileNotFoundError, ValueError) as error:
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


class _CallableModule(types.ModuleType):
    """Makes ``pyumami.check(path, ...)`` call `check` while ``pyumami.check`` stays
    the package holding the probes."""

    def __call__(self, path: str | os.PathLike[str], **options: Any) -> CheckReport:
        return check(path, **options)


sys.modules[__name__].__class__ = _CallableModule
