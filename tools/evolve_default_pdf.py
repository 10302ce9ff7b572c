"""Evolve the Les Houches toy PDFs at LO with eko and save the grids (stage 1 of `make pdf-set`).

Runs in a separate environment that has eko (``pip install '.[pdf-build]'`` or
``pip install eko``); the cold numba compilation takes 15-30 minutes (cached in
NUMBA_CACHE_DIR after), the evolution of the set 1 hour at 40% of one core (3811 s
measured on a shared 2-core machine), the two held-out stages about half as long again. Stage 2 (``python -m pyumami.pdf.build_default_set``) turns the
saved arrays into the lhagrid1 set shipped in ``pyumami/pdf/data``.

Setup (Giele et al., hep-ph/0204316, Sec. 1.3, LO, ZM-VFNS): Q0^2 = 2 GeV^2,
alpha_s(Q0^2) = 0.35, thresholds m_c = sqrt(2), m_b = 4.5, m_t = 175 GeV, trivial
matching at LO.

Usage::

    python tools/evolve_default_pdf.py OUT.npz [--quick]

eko evolves on its own x grid (``operator_x``, the expensive part) and interpolates the
result onto the set's denser knots (``x``). The output holds the set (``x``, ``points``,
``xf``, ``alphas``) and held-out values that measure the set's interpolation error, each
saved as soon as computed: x midpoints of the set's knots from the same solution
(``x_mid_xf``), Q midpoints at the set's x knots (``mid_q_*``), and x midpoints from a
second eko run on twice as many x nodes at three scales (``dense_*``).
"""

from __future__ import annotations

import argparse
import itertools
import logging
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

Q0 = math.sqrt(2.0)
ALPHAS_Q0 = 0.35
MASSES = (math.sqrt(2.0), 4.5, 175.0)

# LHAPDF column order; the top columns are zero below the top threshold.
PIDS = (-6, -5, -4, -3, -2, -1, 21, 1, 2, 3, 4, 5, 6)
Q_MAX = 1.0e5


def _clean(values) -> np.ndarray:
    """Round to 12 significant digits so that the nodes print exactly (1e-05, not 9.99e-06)."""
    return np.array([float(f"{v:.12g}") for v in values])


def operator_x(quick: bool = False) -> np.ndarray:
    """eko's interpolation grid (the cost grows as its size squared).

    Five nodes per decade from 1e-7 to 0.1, where PDFs are smooth in log x; then steps of
    0.05 to 0.5, 0.025 to 0.9 and six nodes to 0.99, where (1-x)^n falls steeply.
    """
    if quick:
        return _clean(np.concatenate([10.0 ** (np.arange(-35, -4, 5) / 5), [0.3, 0.5, 0.7, 0.9]]))
    return _clean(
        np.concatenate(
            [
                10.0 ** (np.arange(-35, -4) / 5),
                np.arange(3, 11) * 0.05,
                np.arange(21, 37) * 0.025,
                [0.92, 0.94, 0.96, 0.97, 0.98, 0.99],
            ]
        )
    )


def shipped_x(quick: bool = False) -> np.ndarray:
    """The set's x knots (x = 1 is appended when the set is written).

    Denser than eko's grid (eko's degree-4 interpolation fills them in, at no evolution
    cost), because LHAPDF's cubic with finite-difference slopes is less accurate: four
    per decade to 0.01, eight to 0.1, steps of 0.02 to 0.5 and 0.01 to 0.99. Every x of
    the LHA benchmark table is a knot.
    """
    if quick:
        return operator_x(quick)
    return _clean(
        np.concatenate(
            [
                10.0 ** (np.arange(-28, -8) / 4),
                10.0 ** (np.arange(-16, -8) / 8),
                np.arange(5, 25) * 0.02,
                np.arange(50, 100) * 0.01,
            ]
        )
    )


def shipped_points(quick: bool = False) -> list[tuple[float, int]]:
    """(Q, nf) of the set's Q knots: a block per flavour number, thresholds repeated,
    Q = 100 GeV (the table's scale) a knot, up to 1e5 GeV."""
    if quick:
        return [(Q0, 4), (2.5, 4), (3.5, 4), (4.5, 4), (4.5, 5), (10.0, 5), (30.0, 5), (100.0, 5)]
    blocks = [
        (4, np.geomspace(Q0, MASSES[1], 6)),
        (
            5,
            np.concatenate([np.geomspace(MASSES[1], 100.0, 13), np.geomspace(100.0, 175.0, 3)[1:]]),
        ),
        (6, np.geomspace(MASSES[2], Q_MAX, 18)),
    ]
    q = [(float(v), nf) for nf, qs in blocks for v in _clean(qs)]
    q[0] = (Q0, 4)  # exactly the input scale, not its 12-digit rounding
    return q


def held_out_q(points: list[tuple[float, int]], quick: bool = False) -> list[tuple[float, int]]:
    """Geometric midpoints of some Q intervals (each block, low and high), not in the set."""
    pairs = [(a, b) for a, b in itertools.pairwise(points) if a[1] == b[1] and a[0] < b[0]]
    chosen = pairs[::2] if quick else pairs[1::4]
    return [(float(f"{math.sqrt(a[0] * b[0]):.12g}"), a[1]) for a, b in chosen]


def midpoints(x: np.ndarray) -> np.ndarray:
    """Geometric midpoints of neighbouring values."""
    return _clean(np.sqrt(x[:-1] * x[1:]))


def dense_points(quick: bool = False) -> list[tuple[float, int]]:
    """Three of the set's Q knots (near 10, 100 and 2400 GeV) for the denser eko run."""
    shipped = shipped_points(quick)
    if quick:
        return [(10.0, 5), (100.0, 5)]
    return [min(shipped, key=lambda p: abs(math.log(p[0] / q))) for q in (10.0, 100.0, 2400.0)]


class ToyLH:
    """The Les Houches toy PDFs at Q0 (x*f), in the lhapdf-like interface eko's apply uses."""

    def hasFlavor(self, pid: int) -> bool:
        return pid in (-3, -2, -1, 1, 2, 3, 21)

    def xfxQ2(self, pid: int, x: float, q2: float) -> float:
        xuv = 5.107200 * x**0.8 * (1.0 - x) ** 3
        xdv = 3.064320 * x**0.8 * (1.0 - x) ** 4
        xg = 1.7 * x**-0.1 * (1.0 - x) ** 5
        xdbar = 0.1939875 * x**-0.1 * (1.0 - x) ** 6
        xubar = (1.0 - x) * xdbar
        xs = 0.2 * (xubar + xdbar)
        return {
            21: xg,
            1: xdv + xdbar,
            2: xuv + xubar,
            3: xs,
            -1: xdbar,
            -2: xubar,
            -3: xs,
        }.get(pid, 0.0)


def cards(xgrid: list[float], mugrid: list[tuple[float, int]]):
    from eko.io.runcards import OperatorCard, TheoryCard

    theory = TheoryCard.from_dict(
        {
            "order": [1, 0],
            "couplings": {"alphas": ALPHAS_Q0, "alphaem": 0.007496252, "ref": (Q0, 3)},
            "heavy": {
                "masses": [[m, math.nan] for m in MASSES],
                "masses_scheme": "POLE",
                "matching_ratios": [1.0, 1.0, 1.0],
            },
            "xif": 1.0,
            "n3lo_ad_variation": (0, 0, 0, 0, 0, 0, 0),
            "matching_order": [0, 0],
            "use_fhmruvv": True,
        }
    )
    operator = OperatorCard.from_dict(
        {
            "init": (Q0, 3),
            "mugrid": [tuple(p) for p in mugrid],
            "xgrid": list(xgrid),
            "configs": {
                "evolution_method": "iterate-exact",
                "ev_op_max_order": [10, 0],
                "ev_op_iterations": 10,
                "interpolation_polynomial_degree": 4,
                "interpolation_is_log": True,
                "scvar_method": None,
                "inversion_method": None,
                "n_integration_cores": 1,
                "polarized": False,
                "time_like": False,
            },
            "debug": {"skip_singlet": False, "skip_non_singlet": False},
        }
    )
    return theory, operator


def evolve(
    xgrid: np.ndarray,
    mugrid: list[tuple[float, int]],
    targets: list[np.ndarray],
    workdir: Path,
    tag: str,
) -> tuple[list[np.ndarray], np.ndarray, float]:
    """eko on ``xgrid`` at every (Q, nf) of ``mugrid``: x*f[point, pid, x] on each target
    x grid (eko's interpolation), alpha_s at the points and the solve time in seconds."""
    from eko.io import EKO
    from eko.runner import managed
    from eko.runner.commons import couplings as make_couplings
    from ekobox import apply

    theory, operator = cards(xgrid.tolist(), mugrid)
    path = workdir / f"{tag}.tar"
    start = time.perf_counter()
    managed.solve(theory, operator, path=path)
    seconds = time.perf_counter() - start
    logging.getLogger("evolve").warning("%s: eko solve took %.0f s", tag, seconds)
    results = []
    with EKO.read(path) as eko_output:
        for target in targets:
            pdfs, _ = apply.apply_pdf(eko_output, ToyLH(), targetgrid=target)
            xf = np.zeros((len(mugrid), len(PIDS), len(target)))
            for i, (q, nf) in enumerate(mugrid):
                ep = next(e for e in pdfs if abs(e[0] - q * q) < 1e-9 * q * q and e[1] == nf)
                for j, pid in enumerate(PIDS):
                    xf[i, j] = target * pdfs[ep][pid]
            results.append(xf)
    coupling = make_couplings(theory, operator)
    alphas = np.array([4.0 * math.pi * coupling.a_s(q * q, nf) for q, nf in mugrid])
    path.unlink()
    return results, alphas, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--quick", action="store_true", help="few nodes, to test the set-up")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")

    op_x, x, points = operator_x(args.quick), shipped_x(args.quick), shipped_points(args.quick)
    x_mid = midpoints(x)
    result: dict[str, np.ndarray] = {
        "operator_x": op_x,
        "x": x,
        "points": np.array(points, dtype=float),
        "pids": np.array(PIDS),
        "q0": np.array(Q0),
        "masses": np.array(MASSES),
    }
    with tempfile.TemporaryDirectory() as tmp:
        # Each stage is saved as soon as it is done: the set needs only the first.
        (xf, xf_mid), alphas, seconds = evolve(op_x, points, [x, x_mid], Path(tmp), "set")
        result.update(xf=xf, alphas=alphas, seconds_set=np.array(seconds))
        result.update(x_mid=x_mid, x_mid_xf=xf_mid)
        np.savez(args.out, **result)

        q_mid = held_out_q(points, args.quick)
        (xf,), _, seconds = evolve(op_x, q_mid, [x], Path(tmp), "q_mid")
        result.update(mid_q_points=np.array(q_mid, dtype=float), mid_q_xf=xf)
        result.update(seconds_q_mid=np.array(seconds))
        np.savez(args.out, **result)

        dense_x = _clean(np.sort(np.concatenate([op_x, midpoints(op_x)])))
        dense = dense_points(args.quick)
        (xf,), _, seconds = evolve(dense_x, dense, [x_mid], Path(tmp), "dense")
        result.update(dense_operator_x=dense_x, dense_points=np.array(dense, dtype=float))
        result.update(dense_xf=xf, seconds_dense=np.array(seconds))
        np.savez(args.out, **result)
    times = {k: float(v) for k, v in result.items() if k.startswith("seconds")}
    print(f"wrote {args.out}; eko solve seconds: {times}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
