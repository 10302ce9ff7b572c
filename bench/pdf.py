"""PDF evaluation throughput: pyumami.pdf vs MadSpace's PdfGrid and the parton package.

    .venv/bin/python bench/pdf.py [--points N] [--repeats R]

On the shipped default set, for N random (x, Q) points (x in [1e-6, 1], Q in
[Q_min, Q_max]): points per second of our reader on NumPy (one random flavour per
point; all 13 flavours per point), of MadSpace's PartonDensity on one thread
(`madspace.Context(1)`, all flavours per point, its only batched form) and of parton
(scipy splines, one flavour per point). Each number is the best of R timed repeats
after a warm-up call; ratio = ours / MadSpace for the all-flavour case.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyumami.pdf  # noqa: E402


def best_time(call: Callable[[], object], repeats: int) -> float:
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    pdf = pyumami.pdf.load()
    rng = np.random.default_rng(1)
    n = args.points
    x = np.exp(rng.uniform(np.log(1e-6), 0.0, n))
    q = np.exp(rng.uniform(np.log(pdf.q_min), np.log(pdf.q_max) - 1e-9, n))
    pids = np.array(pdf.flavors)
    pid = rng.choice(pids, n)
    rows = []
    t = best_time(lambda: pdf.xfxQ(pid, x, q), args.repeats)
    rows.append(("pyumami, one flavour per point", n / t))
    t_ours_all = best_time(lambda: pdf.xfxQ(pids[None, :], x[:, None], q[:, None]), args.repeats)
    rows.append((f"pyumami, all {pids.size} flavours per point", n / t_ours_all))
    t_ms_all = None
    try:
        import madspace as ms

        context = ms.Context(1)
        grid = ms.PdfGrid(str(pdf.path / f"{pdf.name}_0000.dat"))
        grid.initialize_globals(context)
        runtime = ms.FunctionRuntime(ms.PartonDensity(grid, pids.tolist()).function(), context)
        t_ms_all = best_time(lambda: runtime(x, q), args.repeats)
        rows.append((f"MadSpace PartonDensity, all {pids.size} flavours, 1 thread", n / t_ms_all))
    except ImportError:
        print("madspace not installed: no MadSpace number")
    try:
        import parton

        theirs = parton.mkPDF(pdf.name, 0, pdfdir=str(pdf.path.parent))
        t = best_time(lambda: theirs.xfxQ(pid, x, q, grid=False), args.repeats)
        rows.append(("parton (scipy splines), one flavour per point", n / t))
    except ImportError:
        print("parton not installed: no parton number")
    print(f"{n} points, best of {args.repeats}")
    for label, rate in rows:
        print(f"  {label:<58} {rate:>12.3g} points/s")
    if t_ms_all is not None:
        print(f"  ratio ours / MadSpace (all flavours): {t_ms_all / t_ours_all:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
