"""Write the default set from eko's evolved grids (stage 2 of ``make pdf-set``).

Stage 1, ``tools/evolve_default_pdf.py`` (needs eko, slow), evolves the Les Houches toy
PDFs and saves x*f at the set's knots plus held-out points to an ``.npz``. This stage
needs only NumPy: it writes ``pyumami/pdf/data/pyumami_LHtoy_LO`` (``.info`` and
``_0000.dat``), measures the interpolation error of the written set against the held-out
points, prints it, and saves those points for the tests::

    python -m pyumami.pdf.build_default_set build/pdf/evolved.npz
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

from .lhagrid import Subgrid, format_info, write_member
from .pdfset import DATA_DIR, DEFAULT_SET, load

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


def measure(evolved: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The written set at the held-out points, next to eko's values there."""
    pdf = load(DEFAULT_SET)
    pids = evolved["pids"]
    q_mid = evolved["mid_q_points"][:, 0]
    x = evolved["x"]
    ours_q = pdf.xfxQ(pids[None, :, None], x[None, None, :], q_mid[:, None, None])
    dense_x = evolved["dense_x"]
    held_x = ~np.isin(dense_x, x)
    q_dense = evolved["dense_points"][:, 0]
    ours_x = pdf.xfxQ(pids[None, :, None], dense_x[None, None, held_x], q_dense[:, None, None])
    return {
        "pids": pids,
        "x": x,
        "q_mid": q_mid,
        "eko_q_mid": evolved["mid_q_xf"],
        "ours_q_mid": ours_q,
        "x_mid": dense_x[held_x],
        "q_x_mid": q_dense,
        "eko_x_mid": evolved["dense_xf"][:, :, held_x],
        "ours_x_mid": ours_x,
    }


def report(held: dict[str, np.ndarray]) -> str:
    """Max relative interpolation error per flavour, for x <= 0.9 and above."""
    lines = ["max |grid/eko - 1| at held-out points (values above 1e-8)"]
    lines.append(f"{'pid':>4} {'Q mid, x<=0.9':>14} {'x mid, x<=0.9':>14} {'x mid, x>0.9':>13}")
    err_q = relative_errors(held["ours_q_mid"], held["eko_q_mid"])
    err_x = relative_errors(held["ours_x_mid"], held["eko_x_mid"])
    low_q = held["x"] <= 0.9
    low_x = held["x_mid"] <= 0.9
    for j, pid in enumerate(held["pids"]):
        eq = err_q[:, j][:, low_q].max()
        ex = err_x[:, j][:, low_x].max()
        ex_hi = err_x[:, j][:, ~low_x].max()
        lines.append(f"{int(pid):>4} {eq:>14.2e} {ex:>14.2e} {ex_hi:>13.2e}")
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
    if "dense_xf" in evolved:
        held = measure(evolved)
        print(report(held))
        HELD_OUT.parent.mkdir(parents=True, exist_ok=True)
        kept = {k: v for k, v in held.items() if not k.startswith("ours")}
        np.savez_compressed(HELD_OUT, **kept)  # type: ignore[arg-type]
        print(f"saved the held-out eko values for the tests to {HELD_OUT}")
    seconds = [float(evolved[k]) for k in ("seconds_shipped", "seconds_dense") if k in evolved]
    print("eko solve time: " + " + ".join(f"{s:.0f} s" for s in seconds))
    return 0 if math.isfinite(sum(seconds)) else 1


if __name__ == "__main__":
    raise SystemExit(main())
