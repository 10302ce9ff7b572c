"""The ``pyumami`` command line (console script and ``python -m pyumami``).

    pyumami info LIB [--param-card CARD] [--masses M,M,...] [--json]
    pyumami eval LIB MOMENTA.npy -o OUT.npy [--alpha-s X] [--outputs NAME ...]
                 [--param-card CARD] [--masses M,M,...] [--threads N]
                 [--no-check-kinematics] [--chunk N]
    pyumami demo [demo options]
    pyumami generate|integrate [RUN_CARD.toml] [options]   (pyumami.generation.cli)
    pyumami check LIB [check options]

Every argument is checked before any work. The first contact with a library
(load, first initialise, capability probing) runs in a child process
(``pyumami.first_contact``), so a library that crashes there is reported, not
fatal. ``eval`` reads the momenta memory-mapped and evaluates them in chunks, so
memory stays bounded by the chunk and the outputs, with a progress bar on long runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["build_parser", "main", "masses_argument", "positive_int"]

#: events per evaluation chunk of ``eval`` (bounds the conversion buffer)
DEFAULT_CHUNK = 1 << 16


def positive_int(text: str) -> int:
    """argparse type: a whole number >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def masses_argument(text: str) -> tuple[float, ...]:
    """argparse type: comma-separated masses in GeV, e.g. ``0,0,173,173``."""
    try:
        return tuple(float(m) for m in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated masses in GeV such as 0,0,173,173, got {text!r}"
        ) from None


def _add_library_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("library", help="path of the shared object")
    parser.add_argument("--param-card", help="SLHA param card passed to umami_initialize")
    parser.add_argument(
        "--masses",
        type=masses_argument,
        help="external masses in GeV, incoming first (e.g. 0,0,173,173), for a library that "
        "does not report MASSES",
    )


def _add_info(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "info",
        help="what a UMAMI library is and accepts",
        description="Load a UMAMI library and print its metadata and capabilities.",
    )
    _add_library_options(parser)
    parser.add_argument("--json", action="store_true", help="print the description as JSON")


def _add_eval(subparsers: Any) -> None:
    from .library import OUTPUT_NAMES

    parser = subparsers.add_parser(
        "eval",
        help="evaluate matrix elements on momenta from a .npy file",
        description="Evaluate a UMAMI library on momenta of shape (n_events, n_particles, 4) "
        "(float64, E px py pz in GeV) read from a .npy file. One output is written "
        "as .npy, several as .npz keyed by output name.",
    )
    _add_library_options(parser)
    parser.add_argument("momenta", help=".npy file with momenta (n_events, n_particles, 4)")
    parser.add_argument(
        "-o", "--output", required=True, help="output file (.npy, or .npz for several outputs)"
    )
    parser.add_argument("--alpha-s", type=float, help="strong coupling for every event")
    parser.add_argument(
        "--outputs",
        nargs="+",
        default=["matrix_element"],
        choices=list(OUTPUT_NAMES),
        metavar="NAME",
        help=f"outputs to compute, among {', '.join(OUTPUT_NAMES)} (default matrix_element)",
    )
    parser.add_argument("--threads", type=positive_int, help="CPU threads (default: all cores)")
    parser.add_argument(
        "--no-check-kinematics",
        action="store_true",
        help="skip the checks of momentum conservation, energies and mass shells",
    )
    parser.add_argument(
        "--chunk",
        type=positive_int,
        default=DEFAULT_CHUNK,
        help=f"events evaluated at a time (default {DEFAULT_CHUNK})",
    )


def _add_demo(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo", help="the built-in default job (gg -> t t~ on a few points)", add_help=False
    )
    parser.add_argument(
        "demo_args", nargs=argparse.REMAINDER, help="options of the demo (see `pyumami demo -h`)"
    )


def _add_check(subparsers: Any, wanted: bool) -> None:
    """Add the `check` subcommand; its options come from pyumami.check, imported
    only when that subcommand is used."""
    help_text = "check a library's compliance with the UMAMI ABI"
    if not wanted:
        parser = subparsers.add_parser("check", help=help_text, add_help=False)
        parser.add_argument("check_args", nargs=argparse.REMAINDER)
        return
    from . import check

    parser = subparsers.add_parser("check", help=help_text, description=help_text)
    check.add_cli_arguments(parser)


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The argument parser; the `check` options are added only when ``argv`` asks
    for that subcommand (so other commands never import the checker)."""
    parser = argparse.ArgumentParser(
        prog="pyumami", description="Host for UMAMI matrix-element libraries."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    _add_info(subparsers)
    _add_eval(subparsers)
    _add_demo(subparsers)
    from .generation.cli import add_subcommands

    add_subcommands(subparsers)  # generate, integrate
    _add_check(subparsers, wanted=bool(argv) and argv[0] == "check")
    return parser


def _fmt(value: Any) -> str:
    return "unsupported" if value is None else str(value)


def _library_file(path: str) -> str:
    if not Path(path).is_file():
        raise FileNotFoundError(f"library {path} does not exist; give the path of a .so file")
    return path


def _card_file(card: str | None) -> str | None:
    if card is not None and not Path(card).is_file():
        raise FileNotFoundError(f"param card {card} does not exist")
    return card


def _run_info(args: argparse.Namespace) -> int:
    from .first_contact import describe_in_child

    info = describe_in_child(_library_file(args.library), _card_file(args.param_card), args.masses)
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    masses = (
        "unsupported" if info["masses"] is None else ", ".join(f"{m:g}" for m in info["masses"])
    )
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


def _output_path(output: str, momenta: Path, several: bool) -> Path:
    """The file eval writes, checked before any work: not a directory, in an
    existing directory, not the input."""
    if output.endswith(("/", "\\")) or Path(output).is_dir():
        raise IsADirectoryError(
            f"-o {output} names a directory; give a file name such as {Path(output) / 'me.npy'}"
        )
    path = Path(output)
    if several or path.suffix == ".npz":
        written = path.with_suffix(".npz") if path.suffix == ".npy" else path
        written = written if written.suffix == ".npz" else written.with_name(written.name + ".npz")
    else:
        written = path if path.suffix == ".npy" else path.with_name(path.name + ".npy")
    if not written.parent.is_dir():
        raise FileNotFoundError(
            f"the directory of -o {output} ({written.parent}) does not exist; create it first"
        )
    if written.resolve() == momenta.resolve():
        raise ValueError(f"-o {output} would overwrite the momenta file; choose another name")
    return written


def _read_momenta(path: Path) -> Any:
    """The momenta array of a .npy file, memory-mapped (read on demand)."""
    import numpy as np

    if not path.is_file():
        raise FileNotFoundError(f"momenta file {path} does not exist")
    try:
        momenta = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc) or "Python objects" in str(exc):
            raise ValueError(
                f"{path} holds pickled Python objects, not an array; save the momenta with "
                f"numpy.save(path, momenta) (a float64 array (n_events, n_particles, 4))"
            ) from None
        raise ValueError(
            f"{path} is not a .npy array file ({exc}); save it with numpy.save"
        ) from None
    if not isinstance(momenta, np.ndarray):
        files = ", ".join(momenta.files)
        momenta.close()
        raise TypeError(
            f"{path} is a .npz archive holding {files}; eval reads one array from a .npy file: "
            f"numpy.save('momenta.npy', archive[name])"
        )
    return momenta


def _run_eval(args: argparse.Namespace) -> int:
    import numpy as np
    from tqdm import tqdm

    from .arrays import check_momenta
    from .first_contact import describe_in_child
    from .library import OUTPUT_NAMES, load

    outputs = tuple(dict.fromkeys(args.outputs))
    momenta_path = Path(args.momenta)
    momenta = _read_momenta(momenta_path)
    written = _output_path(args.output, momenta_path, several=len(outputs) > 1)
    library, card = _library_file(args.library), _card_file(args.param_card)
    info = describe_in_child(library, card, args.masses)
    check_momenta(momenta, info["particle_count"])
    n = momenta.shape[0]
    results: dict[str, Any] = {}
    with load(
        library,
        card,
        threads=args.threads,
        masses=args.masses,
        check_kinematics=not args.no_check_kinematics,
    ) as lib:
        shapes: dict[str, tuple[int, ...]] = {
            name: (n, int(lib.diagram_count or 0)) if name == "diagram_amp2" else (n,)
            for name in outputs
        }
        for name in outputs:
            dtype = OUTPUT_NAMES[name][1]
            if written.suffix == ".npy":
                results[name] = np.lib.format.open_memmap(
                    written, mode="w+", dtype=dtype, shape=shapes[name]
                )
            else:
                results[name] = np.empty(shapes[name], dtype=dtype)
        try:
            chunks = range(0, n, args.chunk)
            bar = tqdm(
                total=n, unit="event", disable=None if n > 4 * args.chunk else True, file=sys.stderr
            )
            with bar:
                for start in chunks:
                    stop = min(start + args.chunk, n)
                    part = lib.evaluate(
                        np.asarray(momenta[start:stop]), alpha_s=args.alpha_s, outputs=outputs
                    )
                    for name, values in part.items():
                        results[name][start:stop] = values
                    bar.update(stop - start)
        except BaseException:
            results.clear()
            written.unlink(missing_ok=True)
            raise
    if written.suffix == ".npz":
        np.savez(written, **results)
    else:
        next(iter(results.values())).flush()
    print(f"wrote {', '.join(outputs)} for {n} events to {written}")
    return 0


def _print_warning(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
    print(f"pyumami: warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pyumami`` command; returns the exit status."""
    from .errors import UmamiError

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    if argv and argv[0] == "demo":
        # argparse's REMAINDER drops leading options after a subcommand: the
        # demo takes the rest of argv as it is.
        args = argparse.Namespace(command="demo", demo_args=argv[1:])
    else:
        args = parser.parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _print_warning
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
            from . import check

            return int(check.run_cli(args))
    except BrokenPipeError:
        # output piped into e.g. `head`: not an error of ours; keep Python's
        # exit-time flush from complaining about the closed pipe
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (UmamiError, OSError, ValueError, TypeError) as exc:
        print(f"pyumami {args.command}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
