"""``pyumami generate`` and ``pyumami integrate``: the main job from the command line.

    pyumami generate [RUN_CARD.toml] --library gg_ttx --sqrt-s 13000 --events 10000 --out DIR
    pyumami integrate [RUN_CARD.toml] --library gg_ttx --pdf none --sqrt-s 1000 --json

Every option is a run-card setting (:mod:`.runcard`); the command line overrides
the card. All settings are checked, and the libraries, PDF set and cuts loaded,
before any event is sampled: a bad setting exits with status 2 and a message
naming it. ``generate`` writes into ``--out``:

- ``run_card.toml``: the effective settings;
- ``events.lhe``: unweighted events (LHE 3.0);
- ``events.npy`` (full record), ``momenta.npy`` and ``indices.npy`` (compact);
- ``histograms/weighted.{json,npz}`` (from the integration's weighted events),
  ``histograms/unweighted.{json,npz}`` and one PNG per observable in ``plots/``;
- ``summary.json``: what the last line of ``--json`` prints.

Event files are complete after every batch; Ctrl-C or a failing library call
stops the run with a message saying how many events the files hold.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .runcard import RunCard, RunCardError, load_run_card

__all__ = ["add_subcommands", "run", "EXIT_SETTINGS", "EXIT_INTERRUPTED"]

#: Exit status of a bad setting (as argparse's), of Ctrl-C (128 + SIGINT).
EXIT_SETTINGS = 2
EXIT_INTERRUPTED = 130


class _SettingsFailure(Exception):
    """A setting that stops the run before any work."""


def _add_options(parser: argparse.ArgumentParser, command: str) -> None:
    card = RunCard()
    parser.add_argument("run_card", nargs="?", help="TOML run card; options given here override it")
    parser.add_argument(
        "--library",
        help="UMAMI library path or reference process name (gg_ttx, qq_ttx, ...); several "
        "separated by commas",
    )
    parser.add_argument(
        "--process", help='process, e.g. "g g > t t~" or "p p > t t~" (default: the reference '
        "library's own)"
    )  # fmt: skip
    parser.add_argument(
        "--sqrt-s", type=float, help=f"collider energy in GeV (default {card.sqrt_s:g})"
    )
    parser.add_argument(
        "--pdf", help="none (partons at exactly sqrt(s)), an LHAPDF set name on LHAPDF_DATA_PATH, "
        "or default (the set shipped with pyumami; the default)"
    )  # fmt: skip
    parser.add_argument(
        "--alpha-s", type=float, help="fixed strong coupling (default: from the PDF set)"
    )
    parser.add_argument(
        "--scale", help="fixed scale in GeV or ht/2, ht (= mt), sqrt_shat, et (default: ht/2 with "
        "a PDF, else sqrt(s))"
    )  # fmt: skip
    parser.add_argument(
        "--cut", action="append", dest="cuts", metavar="EXPR",
        help='cut such as "pt(j) > 20" or "dR(j,j) > 0.4" (repeatable; docs/generation.md)',
    )  # fmt: skip
    parser.add_argument("--seed", type=int, help=f"random seed (default {card.seed})")
    parser.add_argument(
        "--threads", type=int, help="CPU threads for the matrix elements (default: all)"
    )
    parser.add_argument(
        "--processes", type=int, help="worker processes computing the frozen batches, sharing "
        "the threads (default: one per thread; 1: this process; results do not depend on it)"
    )  # fmt: skip
    parser.add_argument(
        "--cluster", help="run the batches on Dask: local:N (N worker processes here) or "
        "tcp://HOST:PORT of a running scheduler (docs/cluster.md; results do not depend on it)"
    )  # fmt: skip
    parser.add_argument(
        "--single-channel", action="store_const", const=True,
        help="one plain phase-space mapping per subprocess instead of multi-channel",
    )  # fmt: skip
    parser.add_argument("--param-card", help="SLHA param card passed to the libraries")
    parser.add_argument(
        "--iterations", type=int, help=f"training iterations (default {card.iterations})"
    )
    parser.add_argument(
        "--train-batch",
        type=int,
        help=f"events per training iteration (default {card.train_batch})",
    )
    parser.add_argument(
        "--integration-events", type=int,
        help=f"weighted events of the cross-section estimate (default {card.integration_events})",
    )  # fmt: skip
    parser.add_argument(
        "--batch-size", type=int, help=f"events per batch (default {card.batch_size})"
    )
    parser.add_argument(
        "--json", action="store_const", const=True, help="print a JSON summary as the last line"
    )
    if command == "generate":
        parser.add_argument(
            "--events", type=int, help=f"unweighted events to write (default {card.events})"
        )
        parser.add_argument("--out", help=f"output directory (default {card.out})")
        parser.add_argument(
            "--hist", action="append", dest="histograms", metavar="EXPR:BINS:LOW:HIGH",
            help='histogram, e.g. "pt(t):40:0:500" (repeatable; default: pT, y of each final '
            "particle, the pair mass, sqrt(s-hat))",
        )  # fmt: skip
        parser.add_argument(
            "--overweight-fraction", type=float,
            help=f"share of sigma events above the unweighting maximum may carry (default "
            f"{card.overweight_fraction:g})",
        )  # fmt: skip


def add_subcommands(subparsers: Any) -> None:
    """Add ``generate`` and ``integrate`` to the ``pyumami`` parser (imports nothing heavy)."""
    generate = subparsers.add_parser(
        "generate", help="cross section and unweighted events (LHE, npy, histograms)",
        description="Train, integrate and generate unweighted events; see docs/generation.md.",
    )  # fmt: skip
    _add_options(generate, "generate")
    integrate = subparsers.add_parser(
        "integrate", help="the cross section alone",
        description="Train and integrate; prints the cross section with its Monte Carlo error.",
    )  # fmt: skip
    _add_options(integrate, "integrate")


def _effective_card(args: argparse.Namespace) -> RunCard:
    card = load_run_card(args.run_card) if args.run_card else RunCard()
    given = {key: getattr(args, key) for key in RunCard.keys() if hasattr(args, key)}
    return card.updated(given, "command line")


_REFERENCE_FILE = re.compile(r"libref_(\w+?)(_cuda)?\.so")


def _reference_name(entry: str) -> str | None:
    """The reference process a ``--library`` entry names (a name or a built libref_*.so)."""
    import ref_me

    if entry in ref_me.PROCESSES:
        return entry
    match = _REFERENCE_FILE.fullmatch(Path(entry).name)
    return match.group(1) if match and match.group(1) in ref_me.PROCESSES else None


def _check_numbers(card: RunCard, command: str) -> None:
    checks = [
        (
            math.isfinite(card.sqrt_s) and card.sqrt_s > 0,
            "--sqrt-s must be a positive energy in GeV",
        ),
        (card.threads is None or card.threads >= 1, "--threads must be >= 1"),
        (card.processes is None or card.processes >= 1, "--processes must be >= 1"),
        (card.iterations >= 0, "--iterations must be >= 0"),
        (card.train_batch >= 1, "--train-batch must be >= 1"),
        (card.integration_events >= 2, "--integration-events must be >= 2"),
        (card.batch_size >= 1, "--batch-size must be >= 1"),
        (card.alpha_s is None or 0 < card.alpha_s < 1, "--alpha-s must lie in (0, 1)"),
    ]
    if command == "generate":
        checks += [
            (card.events >= 1, "--events must be >= 1"),
            (0 <= card.overweight_fraction < 1, "--overweight-fraction must lie in [0, 1)"),
        ]
    for ok, message in checks:
        if not ok:
            raise _SettingsFailure(message)


def _process_spec(card: RunCard, libraries: list[str]) -> str:
    if card.process:
        return card.process
    import ref_me

    names = [_reference_name(entry) for entry in libraries]
    if len(libraries) == 1 and names[0] is not None:
        return ref_me.PROCESSES[names[0]]
    raise _SettingsFailure(
        '--process is needed: give the process (e.g. "g g > t t~") for '
        + ("several libraries" if len(libraries) > 1 else f"the library {libraries[0]}")
    )


def _pdf(card: RunCard) -> Any:
    if card.pdf.lower() == "none":
        return None
    try:
        import pyumami.pdf as pdf_module
    except ModuleNotFoundError as exc:  # the reader ships with pyumami; guard a partial install
        raise _SettingsFailure(
            f"the PDF reader (pyumami.pdf) is not available ({exc}); use --pdf none"
        ) from None
    name = None if card.pdf.lower() == "default" else card.pdf
    try:
        return pdf_module.load(name)
    except (pdf_module.PDFError, OSError) as exc:
        hint = (
            "; the set shipped with pyumami is missing from this installation: give an "
            "LHAPDF set (--pdf NAME) or --pdf none"
            if name is None
            else ""
        )
        raise _SettingsFailure(f"--pdf {card.pdf}: {exc}{hint}") from None


@dataclass
class _Setup:
    """What a run needs, all built and checked before any event is sampled."""

    card: RunCard
    generator: Any
    pdf: Any
    histogram_specs: list = field(default_factory=list)
    client: Any = None


def _setup(card: RunCard, command: str) -> _Setup:
    """Check every setting and build the generator; raises _SettingsFailure."""
    from ..errors import UmamiError
    from .cuts import parse_cuts
    from .errors import GenerationError
    from .generator import Generator
    from .histograms import HistogramSpec, default_specs
    from .observables import ExpressionError
    from .process import Process

    if not card.library:
        raise _SettingsFailure(
            "--library is needed: a UMAMI library path or a reference process name"
        )
    _check_numbers(card, command)
    libraries = [entry.strip() for entry in card.library.split(",") if entry.strip()]
    spec = _process_spec(card, libraries)
    try:
        cuts = parse_cuts(card.cuts)
        specs = [HistogramSpec.parse(text) for text in card.histograms]
    except ExpressionError as exc:
        raise _SettingsFailure(f"bad cut or histogram expression {exc}") from None
    except ValueError as exc:
        raise _SettingsFailure(str(exc)) from None
    pdf = _pdf(card)
    if card.param_card is not None and not Path(card.param_card).is_file():
        raise _SettingsFailure(f"--param-card {card.param_card}: no such file")
    try:
        process = Process.from_spec(
            spec, libraries, threads=card.threads, param_card=card.param_card
        )
        generator = Generator(
            process, card.sqrt_s, pdf=pdf, scale=card.scale, alpha_s=card.alpha_s,
            cuts=cuts if len(cuts) else None, seed=card.seed, single_channel=card.single_channel,
            batch_size=card.batch_size, max_overweight=card.overweight_fraction, progress=True,
            processes=1 if card.cluster else card.processes,
        )  # fmt: skip
    except (GenerationError, UmamiError, KeyError) as exc:
        raise _SettingsFailure(
            str(exc.args[0]) if isinstance(exc, KeyError) else str(exc)
        ) from None
    if command == "generate" and not specs:
        first = generator.process.subprocesses[0]
        specs = default_specs(first.outgoing, card.sqrt_s, fixed_energy=pdf is None)
    if card.cluster:
        generator.client = _connect(card.cluster)
    return _Setup(card, generator, pdf, specs, generator.client)


def _connect(spec: str) -> Any:
    """The Dask client of ``--cluster``; prints the dashboard address where there is one."""
    from .cluster import ClusterSpecError, connect, dashboard_link

    try:
        client = connect(spec)
    except ClusterSpecError as exc:
        raise _SettingsFailure(f"--cluster: {exc}") from None
    link = dashboard_link(client)
    workers = len(client.scheduler_info().get("workers", {}))
    print(f"cluster: {spec} ({workers} workers)" + (f", dashboard {link}" if link else ""))
    return client


def _integrate(setup: _Setup, weighted_histograms: Any | None, max_weight: Any | None) -> Any:
    """Train, then integrate; the integration's weighted batches also fill the
    histograms and the unweighting's maximum-weight estimate."""
    generator = setup.generator
    generator.train(setup.card.iterations, setup.card.train_batch)

    def observe(batch: Any) -> None:
        if weighted_histograms is not None:
            weighted_histograms.fill(batch)
        if max_weight is not None:
            max_weight.update(np.asarray(batch.to_numpy().weight))

    return generator.integrate(setup.card.integration_events, on_batch=observe)


def _print_cross_section(result: Any) -> None:
    print(
        f"cross section: {result.cross_section_pb:.6g} +- {result.error_pb:.2g} pb "
        f"({100 * result.relative_error:.2f}%, {result.n_events} weighted events)"
    )


def _run_integrate(setup: _Setup) -> int:
    from .errors import BatchFailedError

    start = time.perf_counter()
    try:
        result = _integrate(setup, None, None)
    except KeyboardInterrupt:
        print("pyumami integrate: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BatchFailedError as exc:
        print(f"pyumami integrate: {exc}", file=sys.stderr)
        return 1
    _print_cross_section(result)
    summary = {
        "cross_section_pb": result.cross_section_pb,
        "error_pb": result.error_pb,
        "n_weighted": result.n_events,
        "unweighting_efficiency_estimate": result.unweighting_efficiency,
        "subprocess_cross_sections_pb": list(result.subprocess_cross_sections_pb),
        "wall_time_s": time.perf_counter() - start,
    }
    if setup.card.json:
        print(json.dumps(summary))
    return 0


def _lhe_writer(setup: _Setup, out: Path, integration: Any, max_weight_pb: float) -> Any:
    """The LHE file of a run: beams, one <init> line per subprocess, colour and helicity
    tables for the reference libraries, the run card in the header."""
    from .lhe import LheProcess, LheWriter, reference_colour_flows, reference_helicity_table

    card, subprocesses = setup.card, setup.generator.process.subprocesses
    processes = [
        LheProcess(xs, err, max_weight_pb)
        for xs, err in zip(
            integration.subprocess_cross_sections_pb, integration.subprocess_errors_pb, strict=True
        )
    ]
    names = [_reference_name(str(sub.library.path)) for sub in subprocesses]
    if setup.pdf is not None:
        beams = ((2212, card.sqrt_s / 2), (2212, card.sqrt_s / 2))
    else:
        incoming = subprocesses[0].incoming
        beams = ((incoming[0], card.sqrt_s / 2), (incoming[1], card.sqrt_s / 2))
    return LheWriter(
        out / "events.lhe",
        beams=beams,
        processes=processes,
        pdf_set_id=int(getattr(setup.pdf, "info", {}).get("SetIndex", 0) or 0),
        alpha_qed=_alpha_qed(subprocesses[0].library),
        colour_flows={i: reference_colour_flows(s.pdg) if names[i] else None
                      for i, s in enumerate(subprocesses)},
        helicity_tables={i: reference_helicity_table(name) if name else None
                         for i, name in enumerate(names)},
        header={"pyumami_runcard": card.to_toml()},
        resonances={i: [c.resonances for c in setup.generator.integrand.channels(i)]
                    for i in range(len(subprocesses))},
    )  # fmt: skip


def _run_generate(setup: _Setup) -> int:
    from ..errors import UmamiError
    from .errors import BatchFailedError
    from .histograms import HistogramSet, plot
    from .records import NpyRecordWriter
    from .streaming import StreamStatistics, unweighted_batches
    from .unweighting import MaxWeight

    card, generator = setup.card, setup.generator
    out = Path(card.out)
    out.mkdir(parents=True, exist_ok=True)
    card_path = card.write(out)
    start = time.perf_counter()
    weighted = HistogramSet(setup.histogram_specs, weighted=True)
    unweighted = HistogramSet(setup.histogram_specs, weighted=False)
    max_weight = MaxWeight(card.overweight_fraction)
    try:
        integration = _integrate(setup, weighted, max_weight)
    except KeyboardInterrupt:
        print("pyumami generate: interrupted during training/integration; no events written "
              f"(the run card is in {card_path})", file=sys.stderr)  # fmt: skip
        return EXIT_INTERRUPTED
    except BatchFailedError as exc:
        print(f"pyumami generate: {exc}; no events written", file=sys.stderr)
        return 1
    _print_cross_section(integration)
    lhe = _lhe_writer(setup, out, integration, max_weight.value)
    records = NpyRecordWriter(out)
    stats = StreamStatistics()
    stopped = None
    stream = unweighted_batches(
        generator, card.events, integration.cross_section_pb, max_weight, stats, progress=True
    )
    try:
        for batch in stream:
            lhe.write(batch)
            records.write(batch)
            unweighted.fill(batch)
    except KeyboardInterrupt:
        stopped = "interrupted (Ctrl-C)"
    except UmamiError as exc:
        stopped = f"the matrix-element library failed: {exc}"
    except BatchFailedError as exc:
        stopped = str(exc)
    finally:
        stream.close()  # ends its progress bar before any message
        lhe.close()
        records.close()
    histogram_dir = out / "histograms"
    histogram_dir.mkdir(exist_ok=True)
    weighted.save(histogram_dir / "weighted")
    unweighted.save(histogram_dir / "unweighted")
    title = f"{generator.process.spec}, sqrt(s) = {card.sqrt_s:g} GeV"
    pngs = plot(weighted, unweighted, out / "plots", title=title)
    written = lhe.event_count
    if stopped:
        print(
            f"pyumami generate: {stopped}; {written} unweighted events written. Every output in "
            f"{out} is valid up to the last completed batch.",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED if stopped.startswith("interrupted") else 1
    print(f"unweighting efficiency: {100 * stats.efficiency:.2f}% ({written} events from "
          f"{stats.trials} weighted ones)")  # fmt: skip
    print(f"LHE file: {out / 'events.lhe'}")
    print(f"npy files: {out / 'events.npy'}, {out / 'momenta.npy'}, {out / 'indices.npy'}")
    print(f"histograms: {histogram_dir}/, plots: {out / 'plots'}/ ({len(pngs)} PNG)")
    print(f"run card: {card_path}")
    summary = {
        "cross_section_pb": integration.cross_section_pb,
        "error_pb": integration.error_pb,
        "unweighting_efficiency": stats.efficiency,
        "events": written,
        "n_weighted": stats.trials,
        "max_weight_pb": stats.max_weight_pb,
        "max_weight_change": stats.max_weight_pb / stats.initial_max_weight_pb - 1.0,
        "lhe": str(out / "events.lhe"),
        "plots": str(out / "plots"),
        "wall_time_s": time.perf_counter() - start,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    if card.json:
        print(json.dumps(summary))
    return 0


def _alpha_qed(library: Any) -> float:
    """alpha_em of the library's parameters where it offers them, else 1/132.507 (sm default)."""
    try:
        return float(np.real(library.get_parameter("aEW")))
    except Exception:  # noqa: BLE001 - any library without parameters: the sm default
        return 1.0 / 132.507


def run(args: argparse.Namespace) -> int:
    """Run ``pyumami generate`` or ``pyumami integrate`` from parsed arguments."""
    command = args.command
    try:
        card = _effective_card(args)
        setup = _setup(card, command)
    except (_SettingsFailure, RunCardError) as exc:
        print(f"pyumami {command}: error: {exc}", file=sys.stderr)
        return EXIT_SETTINGS
    try:
        return _run_generate(setup) if command == "generate" else _run_integrate(setup)
    finally:
        setup.generator.close()
        for library in setup.generator.process.libraries:
            library.close()
        if setup.client is not None:
            from .cluster import close

            close(setup.client)
