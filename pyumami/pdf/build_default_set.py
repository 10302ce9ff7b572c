"""Write the default set from eko's evolved grids (stage 2 of ``make pdf-set``).

Stage 1, ``tools/evolve_default_pdf.py`` (needs eko, slow), evolves the Les Houches toy
PDFs and saves x*f at the set's knots plus held-out points to an ``.npz``. This stage
needs only NumPy: it writes ``pyumami/pdf/data/pyumami_LHtoy_LO`` (``.info`` and
``_0000.dat``), compares it with the published LO benchmark table, measures its
interpolation error at eko's held-out points, prints both, and saves those points for
the tests (``tests/data/pdf_held_out.npz``)::

    python -m pyumami.pdf.build_default_set build/pdf/evolved.npz
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from . import lha_table
from .lhagrid import Subgrid, format_info, write_member
from .pdfset import DATA_DIR, DEFAULT_SET, PDFSet, load

HELD_OUT = Path(__file__).resolve().parents[2] / "tests" / "data" / "pdf_held_out.npz"


def subgrids(evolved: dict[str, np.ndarray]) -> list[Subgrid]:
    """One subgrid per flavour number; x = 1 appended, where every x*f vanishes."""
    x = np.append(evolved["x"], 1.0)
    points = evolved["points"]
    blocks = []
    for nf in sorted(set(points[:, 1].astype(int))):
        rows = points[:, 1] == nf
        xf = evolved["xf"][rows].transpose(0, 2, 1)  # (nq, nx, flavour)
        xf = np.concatenate([xf, np.zeros((xf.shape[0], 1, xf.shape[2]))], axis=1)
        blocks.append(Subgrid(x=x, q=points[rows, 0], pids=evolved["pids"], xf=xf))
    return blocks


def info(evolved: dict[str, np.ndarray], grids: list[Subgrid]) -> dict[str, object]:
    q0 = float(evolved["q0"])
    mc, mb, mt = (float(m) for m in evolved["masses"])
    qs = np.concatenate([g.q for g in grids])
    return {
        "SetDesc": (
            "Les Houches toy PDFs (Giele et al., hep-ph/0204316) evolved at LO with eko: "
            f"Q0^2 = {q0 * q0:g} GeV^2, alpha_s(Q0) = 0.35, ZM-VFNS, m_c = sqrt(2), "
            f"m_b = {mb:g}, m_t = {mt:g} GeV. Written by pyumami (make pdf-set)."
        ),
        "Authors": "pyumami (evolution: eko, NNPDF)",
        "Reference": "hep-ph/0204316",
        "Format": "lhagrid1",
        "DataVersion": 1,
        "NumMembers": 1,
        "ErrorType": "replicas",
        "Particle": 2212,
        "Flavors": [int(p) for p in evolved["pids"]],
        "OrderQCD": 0,
        "FlavorScheme": "variable",
        "NumFlavors": 6,
        "XMin": float(grids[0].x[0]),
        "XMax": float(grids[0].x[-1]),
        "QMin": float(qs[0]),
        "QMax": float(qs[-1]),
        "MCharm": mc,
        "MBottom": mb,
        "MTop": mt,
        "AlphaS_OrderQCD": 0,
        "AlphaS_Type": "ipol",
        "AlphaS_Qs": [float(q) for q in qs],
        "AlphaS_Vals": [float(a) for a in evolved["alphas"]],
    }


def relative_errors(
    pdf_values: np.ndarray, reference: np.ndarray, floor: float = 1e-8
) -> np.ndarray:
    """|ours / reference - 1| where |reference| > floor (tiny values are left out)."""
    scale = np.abs(reference)
    return np.where(scale > floor, np.abs(pdf_values - reference) / np.maximum(scale, floor), 0.0)


def held_out(evolved: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """eko's values at points that are not knots of the set, as far as computed.

    ``x_mid``: x midpoints of the knots at every Q knot, from the set's own eko solution
    (eko's degree-4 interpolation there); ``q_mid``: Q midpoints at the x knots;
    ``dense``: x midpoints at three Q knots from an eko run on twice as many x nodes.
    """
    held = {"pids": evolved["pids"], "x": evolved["x"], "q": evolved["points"][:, 0]}
    held.update(x_mid=evolved["x_mid"], eko_x_mid=evolved["x_mid_xf"])
    if "mid_q_xf" in evolved:
        held.update(q_mid=evolved["mid_q_points"][:, 0], eko_q_mid=evolved["mid_q_xf"])
    if "dense_xf" in evolved:
        held.update(q_dense=evolved["dense_points"][:, 0], eko_dense=evolved["dense_xf"])
    return held


def held_out_errors(pdf: PDFSet, held: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """|set / eko - 1| at the held-out points (0 where |eko| <= 1e-8), per (Q, pid, x)."""
    pids = held["pids"][None, :, None]
    grids = {  # name: (Q values, x values, eko's values)
        "x_mid": (held["q"], held["x_mid"], held["eko_x_mid"]),
        "q_mid": (held.get("q_mid"), held["x"], held.get("eko_q_mid")),
        "dense": (held.get("q_dense"), held["x_mid"], held.get("eko_dense")),
    }
    errors = {}
    for name, (q, x, eko) in grids.items():
        if q is None or eko is None:
            continue
        ours = pdf.xfxQ(pids, x[None, None, :], q[:, None, None])
        scale = np.abs(eko)
        errors[name] = np.where(scale > 1e-8, np.abs(ours - eko) / np.maximum(scale, 1e-8), 0.0)
    return errors


def report(pdf: PDFSet, held: dict[str, np.ndarray]) -> str:
    """Max relative interpolation error per flavour, for x <= 0.9 and above."""
    errors = held_out_errors(pdf, held)
    lines = ["max |set/eko - 1| at held-out points (values above 1e-8), x <= 0.9 | x > 0.9"]
    lines.append("pid " + "".join(f"{name:>22}" for name in errors))
    x_of = {"x_mid": held["x_mid"], "q_mid": held["x"], "dense": held["x_mid"]}
    for j, pid in enumerate(held["pids"]):
        cells = []
        for name, err in errors.items():
            low = x_of[name] <= 0.9
            hi = err[:, j][:, ~low].max(initial=0.0)
            cells.append(f"{err[:, j][:, low].max(initial=0.0):>10.1e} | {hi:<9.1e}")
        lines.append(f"{int(pid):>3} " + "".join(f"{c:>22}" for c in cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "evolved", type=Path, help="the .npz written by tools/evolve_default_pdf.py"
    )
    args = parser.parse_args(argv)
    with np.load(args.evolved) as data:
        evolved = {key: data[key] for key in data.files}
    grids = subgrids(evolved)
    target = DATA_DIR / DEFAULT_SET
    target.mkdir(parents=True, exist_ok=True)
    (target / f"{DEFAULT_SET}.info").write_text(format_info(info(evolved, grids)))
    write_member(target / f"{DEFAULT_SET}_0000.dat", grids)
    size = sum(f.stat().st_size for f in target.iterdir())
    print(f"wrote {target} ({size / 1024:.0f} kB)")
    pdf = load(DEFAULT_SET)
    table = lha_table.deviations(pdf)
    print(f"max |grid/table - 1| at Q^2 = {lha_table.Q2:g} GeV^2 (hep-ph/0204316 LO, ZM-VFNS)")
    x = np.array(lha_table.X)
    for name, deviation in table.items():
        print(
            f"{name:>4}: x in [1e-5, 0.7] {deviation[(x >= 1e-5) & (x <= 0.7)].max():.1e}, "
            f"x = 0.9 {deviation[x == 0.9].max():.1e}, x in [1e-7, 1e-6] {deviation[x < 1e-5].max():.1e}"
        )
    held = held_out(evolved)
    print(report(pdf, held))
    HELD_OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(HELD_OUT, **held)  # type: ignore[arg-type]
    print(f"saved the held-out eko values for the tests to {HELD_OUT}")
    seconds = {k: float(v) for k, v in evolved.items() if k.startswith("seconds")}
    print("eko solve time (s): " + ", ".join(f"{k[8:]} {v:.0f}" for k, v in seconds.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
