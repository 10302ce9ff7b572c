"""Evolve the Les Houches toy PDFs at LO with eko and save the grids (stage 1 of `make pdf-set`).

Runs in a separate environment that has eko (``pip install '.[pdf-build]'`` or
``pip install eko``); the cold numba compilation alone takes about 15 minutes, the
evolution about ten more. Stage 2 (``python -m pyumami.pdf.build_default_set``) turns the
saved arrays into the lhagrid1 set shipped in ``pyumami/pdf/data``.

Setup (Giele et al., hep-ph/0204316, Sec. 1.3, LO, ZM-VFNS): Q0^2 = 2 GeV^2,
alpha_s(Q0^2) = 0.35, thresholds m_c = sqrt(2), m_b = 4.5, m_t = 175 GeV, trivial
matching at LO.

Usage::

    python tools/evolve_default_pdf.py OUT.npz [--quick]

The output holds the shipped grid (``x``, ``points``, ``xf``, ``alphas``) and two held-out
sets used to measure the interpolation error: Q midpoints on the shipped x nodes
(``mid_q_*``) and x midpoints from a second, denser eko run (``dense_*``).
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


def shipped_nodes(quick: bool = False) -> tuple[np.ndarray, list[tuple[float, int]]]:
    """x nodes and (Q, nf) points of the shipped set.

    x: five per decade from 1e-7 to 0.1 (the PDFs are smooth in log x there), then
    linear steps of 0.05 up to 0.9 and four nodes to 0.99; every x of the LHA benchmark
    table is a node. Q: one block per flavour number, thresholds repeated, Q = 100 GeV
    (the table's scale) a node, up to 1e5 GeV.
    """
    if quick:
        x = _clean(np.concatenate([10.0 ** (np.arange(-35, -4, 5) / 5), [0.3, 0.5, 0.7, 0.9]]))
        q = [(Q0, 4), (2.5, 4), (3.5, 4), (4.5, 4), (4.5, 5), (10.0, 5), (30.0, 5), (100.0, 5)]
        return x, q
    x = _clean(
        np.concatenate(
            [
                10.0 ** (np.arange(-35, -4) / 5),
                np.arange(3, 19) * 0.05,
                [0.93, 0.96, 0.98, 0.99],
            ]
        )
    )
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
    return x, q


def held_out_q(points: list[tuple[float, int]], quick: bool = False) -> list[tuple[float, int]]:
    """Geometric midpoints of some Q intervals (each block, low and high), not in the set."""
    pairs = [(a, b) for a, b in itertools.pairwise(points) if a[1] == b[1] and a[0] < b[0]]
    chosen = pairs[::2] if quick else pairs[1::4]
    return [(float(f"{math.sqrt(a[0] * b[0]):.12g}"), a[1]) for a, b in chosen]


def dense_check(x: np.ndarray, quick: bool = False) -> tuple[np.ndarray, list[tuple[float, int]]]:
    """A denser x grid (the nodes and every geometric midpoint) at three of the set's Q nodes."""
    _, shipped = shipped_nodes()

    def points_near(q: float) -> tuple[float, int]:
        return min(shipped, key=lambda p: abs(math.log(p[0] / q)))

    mid = np.sqrt(x[:-1] * x[1:])
    dense = _clean(np.sort(np.concatenate([x, mid])))
    points = (
        [(10.0, 5), (100.0, 5)] if quick else [points_near(10.0), (100.0, 5), points_near(2400.0)]
    )
    return dense, points


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


def evolve(xgrid: np.ndarray, mugrid: list[tuple[float, int]], workdir: Path, tag: str):
    """x*f[point, pid, x] at every (Q, nf) of mugrid, and alpha_s there."""
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
    xf = np.zeros((len(mugrid), len(PIDS), len(xgrid)))
    with EKO.read(path) as eko_output:
        pdfs, _ = apply.apply_pdf(eko_output, ToyLH())
        for i, (q, nf) in enumerate(mugrid):
            ep = next(e for e in pdfs if abs(e[0] - q * q) < 1e-9 * q * q and e[1] == nf)
            for j, pid in enumerate(PIDS):
                xf[i, j] = xgrid * pdfs[ep][pid]
    coupling = make_couplings(theory, operator)
    alphas = np.array([4.0 * math.pi * coupling.a_s(q * q, nf) for q, nf in mugrid])
    path.unlink()
    return xf, alphas, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--quick", action="store_true", help="few nodes, to test the set-up")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")

    x, points = shipped_nodes(quick=args.quick)
    mid_points = held_out_q(points, quick=args.quick)
    dense_x, dense_points = dense_check(x, quick=args.quick)
    result: dict[str, np.ndarray] = {}
    with tempfile.TemporaryDirectory() as tmp:
        xf, alphas, t_main = evolve(x, points + mid_points, Path(tmp), "shipped")
        n = len(points)
        result.update(
            x=x,
            points=np.array(points, dtype=float),
            xf=xf[:n],
            alphas=alphas[:n],
            mid_q_points=np.array(mid_points, dtype=float),
            mid_q_xf=xf[n:],
            seconds_shipped=np.array(t_main),
            pids=np.array(PIDS),
            q0=np.array(Q0),
            masses=np.array(MASSES),
        )
        np.savez(args.out, **result)
        dense_xf, _, t_dense = evolve(dense_x, dense_points, Path(tmp), "dense")
        result.update(
            dense_x=dense_x,
            dense_points=np.array(dense_points, dtype=float),
            dense_xf=dense_xf,
            seconds_dense=np.array(t_dense),
        )
        np.savez(args.out, **result)
    print(f"wrote {args.out}: shipped solve {t_main:.0f} s, dense solve {t_dense:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
