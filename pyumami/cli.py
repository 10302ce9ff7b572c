"""The ``pyumami`` command line (console script and ``python -m pyumami``).

    pyumami info LIB [--param-card CARD] [--json]
    pyumami eval LIB MOMENTA.npy -o OUT.npy [--alpha-s X] [--outputs NAME ...]
                 [--param-card CARD] [--threads N]
    pyumami demo [demo options]
    pyumami generate|integrate [RUN_CARD.toml] [options]   (pyumami.generation.cli)
    pyumami check LIB [check options]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

__all__ = ["main", "build_parser"]


def _add_info(subparsers) -> None:
    parser = subparsers.add_parser("info", help="what a UMAMI library is and accepts",
                                   description="Load a UMAMI library and print its metadata and capabilities.")
    parser.add_argument("library", help="path of the shared object")
    parser.add_argument("--param-card", help="SLHA param card passed to umami_initialize")
    parser.add_argument("--json", action="store_true", help="print the description as JSON")


def _add_eval(subparsers) -> None:
    from .library import OUTPUT_NAMES

    parser = subparsers.add_parser(
        "eval", help="evaluate matrix elements on momenta from a .npy file",
        description="Evaluate a UMAMI library on momenta of shape (n_events, n_particles, 4) "
                    "(float64, E px py pz in GeV) read from a .npy file. One output is written "
                    "as .npy, several as .npz keyed by output name.")
    parser.add_argument("library", help="path of the shared object")
    parser.add_argument("momenta", help=".npy file with momenta (n_events, n_particles, 4)")
    parser.add_argument("-o", "--output", required=True, help="output file (.npy, or .npz for several outputs)")
    parser.add_argument("--alpha-s", type=float, help="strong coupling for every event")
    parser.add_argument("--outputs", nargs="+", default=["matrix_element"], choices=list(OUTPUT_NAMES),
                        metavar="NAME", help=f"outputs to compute, among {', '.join(OUTPUT_NAMES)} "
                                             f"(default matrix_element)")
    parser.add_argument("--param-card", help="SLHA param card passed to umami_initialize")
    parser.add_argument("--threads", type=int, help="CPU threads (default: all cores)")


def _add_demo(subparsers) -> None:
    parser = subparsers.add_parser("demo", help="the built-in default job (gg -> t t~ on a few points)",
                                   add_help=False)
    parser.add_argument("demo_args", nargs=argparse.REMAINDER, help="options of the demo (see `pyumami demo -h`)")


def _add_check(subparsers, wanted: bool) -> bool:
    """Add the `check` subcommand; its options come from pyumami.check, imported
    only when that subcommand is used. Returns whether the checker was found."""
    help_text = "check a library's compliance with the UMAMI ABI"
    if not wanted:
        parser = subparsers.add_parser("check", help=help_text, add_help=False)
        parser.add_argument("check_args", nargs=argparse.REMAINDER)
        return True
    try:
        from . import check
    except ModuleNotFoundError as exc:
        if exc.name != "pyumami.check":
            raise
        check = None
    if check is None or not (hasattr(check, "add_cli_arguments") and hasattr(check, "run_cli")):
        parser = subparsers.add_parser("check", help=help_text, add_help=False)
        parser.add_argument("check_args", nargs=argparse.REMAINDER)
        return False
    parser = subparsers.add_parser("check", help=help_text, description=help_text)
    check.add_cli_arguments(parser)
    return True


def build_parser(argv: Sequence[str] = ()) -> tuple[argparse.ArgumentParser, bool]:
    """The argument parser; the `check` options are added only when ``argv`` asks
    for that subcommand (so other commands never import the checker)."""
    parser = argparse.ArgumentParser(prog="pyumami", description="Host for UMAMI matrix-element libraries.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    _add_info(subparsers)
    _add_eval(subparsers)
    _add_demo(subparsers)
    from .generation.cli import add_subcommands

    add_subcommands(subparsers)  # generate, integrate
    have_check = _add_check(subparsers, wanted=bool(argv) and argv[0] == "check")
    return parser, have_check


def _fmt(value) -> str:
    return "unsupported" if value is None else str(value)


def _run_info(args) -> int:
    from .library import load

    with load(args.library, args.param_card, threads=1) as lib:
        info = lib.describe()
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    masses = "unsupported" if info["masses"] is None else ", ".join(f"{m:g}" for m in info["masses"])
    optional = [name for name, present in info["optional_symbols"].items() if present]
    lines = [
        f"library          {info['path']}",
        f"device           {info['device']}",
        f"particles        {info['particle_count']}",
        f"diagrams         {_fmt(info['diagram_count'])}",
        f"helicities       {_fmt(info['helicity_count'])}",
        f"colour flows     {_fmt(info['color_count'])}",
        f"masses [GeV]     {masses}",
        f"inputs           {', '.join(info['supported_inputs'])} ({info['capabilities_source']})",
        f"required inputs  {', '.join(info['required_inputs'])}",
        f"outputs          {', '.join(info['supported_outputs'])}",
        f"parameters       {'yes' if info['has_parameters'] else 'no'}",
        f"status numbering {info['numbering']}",
        f"optional symbols {', '.join(optional) if optional else 'none'}",
    ]
    print("\n".join(lines))
    return 0


def _run_eval(args) -> int:
    import numpy as np

    from .library import load

    momenta = np.load(args.momenta, allow_pickle=False)
    output = Path(args.output)
    with load(args.library, args.param_card, threads=args.threads) as lib:
        results = lib.evaluate(momenta, alpha_s=args.alpha_s, outputs=tuple(dict.fromkeys(args.outputs)))
    if len(results) == 1 and output.suffix != ".npz":
        np.save(output, next(iter(results.values())))
        written = output if output.suffix == ".npy" else output.with_name(output.name + ".npy")
    else:
        written = output.with_suffix(".npz") if output.suffix == ".npy" else output
        np.savez(written, **results)
        written = written if written.suffix == ".npz" else written.with_name(written.name + ".npz")
    print(f"wrote {', '.join(results)} for {momenta.shape[0]} events to {written}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pyumami`` command; returns the exit status."""
    from .errors import UmamiError

    argv = list(sys.argv[1:] if argv is None else argv)
    parser, have_check = build_parser(argv)
    if argv and argv[0] in ("demo", "check") and (argv[0] == "demo" or not have_check):
        # argparse's REMAINDER drops leading options after a subcommand: the
        # demo (and a missing checker) take the rest of argv as it is.
        args = argparse.Namespace(command=argv[0], demo_args=argv[1:], check_args=argv[1:])
    else:
        args = parser.parse_args(argv)
    try:
        if args.command == "info":
            return _run_info(args)
        if args.command == "eval":
            return _run_eval(args)
        if args.command in ("generate", "integrate"):
            from .generation import cli as generation_cli

            return generation_cli.run(args)
        if args.command == "demo":
            from . import demo

            return int(demo.main(args.demo_args) or 0)
        if args.command == "check":
            if not have_check:
                print("pyumami check: error: the conformance checker (pyumami.check, with "
                      "add_cli_arguments and run_cli) is not available in this installation; "
                      "reinstall or update pyumami to use `pyumami check`", file=sys.stderr)
                return 2
            from . import check

            return int(check.run_cli(args))
    except BrokenPipeError:
        # output piped into e.g. `head`: not an error of ours; keep Python's
        # exit-time flush from complaining about the closed pipe
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (UmamiError, OSError, ValueError) as exc:
        print(f"pyumami {args.command}: error: {exc}", file=sys.stderr)
        return 1
    parser.error(f"unknown command {args.command}")  # pragma: no cover - argparse rejects it first
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
