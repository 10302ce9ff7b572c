"""The built-in default job (`make demo`, `pyumami demo`).

Evaluates a reference matrix element on a few phase-space points: momenta from
massive RAMBO at a fixed centre-of-mass energy, fed through the UMAMI library by
the Python host, printed with the selected helicity and the diagram weights.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np

__all__ = ["main"]


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:  # NaN too
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:  # NaN too
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    import ref_me

    from .cli import positive_int

    parser = argparse.ArgumentParser(prog="pyumami demo", description=__doc__)
    parser.add_argument(
        "--process",
        default="gg_ttx",
        choices=list(ref_me.PROCESSES),
        help="reference process (default gg_ttx)",
    )
    parser.add_argument(
        "--events", type=positive_int, default=5, help="number of phase-space points"
    )
    parser.add_argument(
        "--sqrt-s", type=_positive_float, default=1500.0, help="centre-of-mass energy in GeV"
    )
    parser.add_argument(
        "--alpha-s", type=_non_negative_float, default=0.118, help="strong coupling (>= 0)"
    )
    parser.add_argument("--seed", type=int, default=2026, help="random seed")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; returns the process exit status."""
    import pyumami
    import ref_me
    from phase_space.rambo import Rambo
    from pyumami.abi import OutputKey

    args = _parser().parse_args(argv)
    path = ref_me.library_path(args.process)
    with pyumami.load(path, ref_me.default_param_card()) as lib:
        masses = np.asarray(lib.masses, dtype=np.float64)
        mapping = Rambo([float(m) for m in masses[2:]], args.sqrt_s)
        rng = np.random.default_rng(args.seed)
        momenta, weight = mapping.forward(rng.random((args.events, mapping.dim)))
        momenta = np.asarray(momenta)
        wanted = {
            "matrix_element": OutputKey.MATRIX_ELEMENT,
            "helicity_index": OutputKey.HELICITY_INDEX,
            "diagram_amp2": OutputKey.DIAGRAM_AMP2,
        }
        result = lib.evaluate(
            momenta,
            alpha_s=args.alpha_s,
            random_helicity=rng.random(args.events),
            outputs=[name for name, key in wanted.items() if key in lib.supported_outputs],
        )

        print(f"library   {path}")
        print(
            f"process   {ref_me.PROCESSES[args.process]}  ({lib.particle_count} particles, "
            f"{lib.diagram_count} diagrams, device {lib.device.name})"
        )
        print(f"masses    {', '.join(f'{m:g}' for m in masses)} GeV")
        print(
            f"sqrt(s)   {args.sqrt_s:g} GeV, alpha_s = {args.alpha_s:g}, "
            f"{args.events} RAMBO points (seed {args.seed})\n"
        )
        p3 = momenta[:, 2, 1:]
        cos_theta = p3[:, 2] / np.linalg.norm(p3, axis=1)
        header = f"{'event':>5}  {'cos(theta_3)':>12}  {'|M|^2':>22}  {'PS weight':>12}  {'hel (0-based)':>13}"
        if "diagram_amp2" in result:
            header += "  diagram weights"
        print(header)
        for i in range(args.events):
            line = (
                f"{i:>5}  {cos_theta[i]:>12.6f}  {result['matrix_element'][i]:>22.15e}  "
                f"{np.asarray(weight)[i]:>12.5e}  {result['helicity_index'][i]:>13d}"
            )
            if "diagram_amp2" in result:
                line += "  " + " ".join(f"{a:.4f}" for a in result["diagram_amp2"][i])
            print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
