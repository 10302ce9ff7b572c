"""Matrix-element throughput: scalar versus SIMD paths, 1 and 2 threads, pyumami versus C.

    .venv/bin/python bench/me_throughput.py [--batch 16384] [--threads 1 2] [--repeats 7]

For each reference process in ``ref_me.PROCESSES`` (built by `make libs`), at the given
batch size in double precision, and for the forced scalar path and the widest SIMD
path this CPU runs (``REFME_SIMD``; see docs/ref_me.md), measures evaluations per
second through pyumami (including its intake checks, the layout conversion and the
thread split: the whole host overhead) and through the C driver ``bench/me_driver.c``
(compiled into build/bench on first use) calling the same library with the same
points (handed over in a file) and the same param card. Prints a table whose ratio
pyumami / C is the fraction of the bare library speed the host delivers (the last
column: momenta already in the UMAMI layout), then the summary per process: C-driver
rates of both paths at each thread count, the SIMD speed-up over scalar and the
thread scaling. All measurements of a process are interleaved in rounds (so all see
the same machine load); best and median over rounds are shown. Not a test: nothing
here asserts on timing.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cffi
import numpy as np
from tqdm import tqdm

import pyumami
import ref_me

REPO = Path(__file__).resolve().parents[1]
DRIVER_SRC = REPO / "bench" / "me_driver.c"
DRIVER_BIN = REPO / "build" / "bench" / "me_driver"


def build_driver() -> Path | None:
    """Compile bench/me_driver.c if it is newer than the binary; None if absent."""
    if not DRIVER_SRC.is_file():
        print(f"note: {DRIVER_SRC} not found; C driver column left empty", file=sys.stderr)
        return None
    if DRIVER_BIN.is_file() and DRIVER_BIN.stat().st_mtime >= DRIVER_SRC.stat().st_mtime:
        return DRIVER_BIN
    DRIVER_BIN.parent.mkdir(parents=True, exist_ok=True)
    compiler = os.environ.get("CC") or shutil.which("cc") or "gcc"
    command = [
        compiler,
        "-O2",
        "-std=c11",
        "-I",
        str(REPO / "umami_abi" / "include"),
        "-o",
        str(DRIVER_BIN),
        str(DRIVER_SRC),
        "-ldl",
        "-lpthread",
        "-lm",
    ]
    result = subprocess.run(command, check=False, capture_output=True, text=True)
    if result.returncode != 0:
        print(
            f"note: building the C driver failed ({' '.join(command)}):\n{result.stderr}",
            file=sys.stderr,
        )
        return None
    return DRIVER_BIN


def momenta_for(lib: pyumami.MatrixElementLibrary, n: int, sqrt_s: float, seed: int) -> np.ndarray:
    """Physical momenta (n, npar, 4) for the library: isotropic two-body events for
    2 -> 2, massive RAMBO (phase_space.rambo) otherwise."""
    masses = np.zeros(lib.particle_count) if lib.masses is None else np.asarray(lib.masses)
    rng = np.random.default_rng(seed)
    if lib.particle_count != 4:
        from phase_space.rambo import Rambo

        mapping = Rambo(masses[2:], sqrt_s)
        momenta, _ = mapping.forward(rng.random((n, mapping.dim)))
        return np.asarray(momenta, dtype=np.float64)
    m1, m2, m3, m4 = masses
    s = sqrt_s**2

    def break_up(ma: float, mb: float) -> float:
        return math.sqrt((s - (ma + mb) ** 2) * (s - (ma - mb) ** 2)) / (2 * sqrt_s)

    p_in, p_out = break_up(m1, m2), break_up(m3, m4)
    cos_t = rng.uniform(-1, 1, n)
    sin_t = np.sqrt(1 - cos_t**2)
    phi = rng.uniform(0, 2 * np.pi, n)
    direction = np.stack([sin_t * np.cos(phi), sin_t * np.sin(phi), cos_t], axis=-1)
    p = np.zeros((n, 4, 4))
    p[:, 0] = [math.hypot(p_in, m1), 0, 0, p_in]
    p[:, 1] = [math.hypot(p_in, m2), 0, 0, -p_in]
    p[:, 2, 0], p[:, 2, 1:] = math.hypot(p_out, m3), p_out * direction
    p[:, 3, 0], p[:, 3, 1:] = math.hypot(p_out, m4), -p_out * direction
    return p


def pyumami_rate(lib: pyumami.MatrixElementLibrary, momenta: np.ndarray, calls: int) -> float:
    """Evaluations per second of ``calls`` back-to-back ``lib(momenta)`` calls
    (the C driver's definition: batch x calls / wall time)."""
    start = time.perf_counter()
    for _ in range(calls):
        lib(momenta)
    return momenta.shape[0] * calls / (time.perf_counter() - start)


def simd_paths(path: Path) -> list[str]:
    """CPU paths the library and this CPU can run ("scalar", "avx2", "avx512"), from the
    reference libraries' refme_simd_paths extension; ["scalar"] for other libraries."""
    ffi = cffi.FFI()
    ffi.cdef("const char* refme_simd_paths(void);")
    lib = ffi.dlopen(str(path))
    try:
        return ffi.string(lib.refme_simd_paths()).decode().split()
    except AttributeError:
        return ["scalar"]


def driver_rate(
    driver: Path, path: Path, threads: int, batch: int, calls: int, momenta_file: Path, simd: str
) -> float | None:
    """evals_per_s printed by the C driver for ``calls`` calls after a warm-up, on the
    momenta in ``momenta_file`` (UMAMI layout) with the default card, on CPU path ``simd``."""
    command = [
        str(driver),
        str(path),
        str(batch),
        str(threads),
        str(calls),
        "--card",
        str(ref_me.default_param_card()),
        "--momenta",
        str(momenta_file),
    ]
    result = subprocess.run(
        command,
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "REFME_SIMD": simd},
    )
    match = re.search(r"evals_per_s=([0-9.eE+-]+)", result.stdout)
    if result.returncode != 0 or match is None:
        print(
            f"note: C driver failed on {path} (rc {result.returncode}): {result.stderr.strip()}",
            file=sys.stderr,
        )
        return None
    return float(match.group(1))


def measure(
    builds: dict[str, Path],
    driver: Path | None,
    configs: list[tuple[str, int]],
    batch: int,
    rounds: int,
    calls: int,
    workdir: Path,
) -> dict[tuple[str, str, int], dict[str, list[float]]]:
    """Per (build, simd path, threads) the per-round rates of pyumami on (n, npar, 4)
    NumPy momenta ("host"), pyumami on momenta already in the UMAMI layout
    ("host_umami") and the C driver on the same points ("c"); `builds` names the
    libraries of one process (this build, and a baseline build if given). Rounds
    interleave every configuration so that all see the same machine load."""
    keys = [(build, simd, threads) for build in builds for simd, threads in configs]
    rates: dict[tuple[str, str, int], dict[str, list[float]]] = {
        key: {"host": [], "host_umami": [], "c": []} for key in keys
    }
    libs = {}
    try:
        for build, simd, threads in keys:
            os.environ["REFME_SIMD"] = simd  # read by umami_initialize: instances made at load
            libs[build, simd, threads] = pyumami.load(
                builds[build], ref_me.default_param_card(), threads=threads
            )
        os.environ.pop("REFME_SIMD")
        first = next(iter(libs.values()))
        momenta = momenta_for(first, batch, sqrt_s=1500.0, seed=1)
        # the transposed view of a C-ordered (4, npar, n) array: passed without a copy
        umami_array = np.ascontiguousarray(momenta.transpose(2, 1, 0))
        umami_layout = umami_array.transpose(2, 1, 0)
        momenta_file = workdir / f"{next(iter(builds.values())).stem}_momenta.bin"
        umami_array.tofile(momenta_file)  # what the C driver reads: the same points
        for lib in libs.values():
            lib(momenta)  # warm-up: instances created, buffer allocated, pages touched
        for _ in tqdm(range(rounds), desc=builds["this"].stem, leave=False):
            for (build, simd, threads), lib in libs.items():
                rate = rates[build, simd, threads]
                rate["host"].append(pyumami_rate(lib, momenta, calls))
                rate["host_umami"].append(pyumami_rate(lib, umami_layout, calls))
                if driver is not None:
                    c = driver_rate(
                        driver, builds[build], threads, batch, calls, momenta_file, simd
                    )
                    if c is not None:
                        rate["c"].append(c)
    finally:
        os.environ.pop("REFME_SIMD", None)
        for lib in libs.values():
            lib.close()
    return rates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16384, help="events per call (default 16384)")
    parser.add_argument(
        "--threads", type=int, nargs="+", default=[1, 2], help="thread counts (default 1 2)"
    )
    parser.add_argument("--repeats", type=int, default=7, help="interleaved rounds (default 7)")
    parser.add_argument("--calls", type=int, default=10, help="calls per round (default 10)")
    parser.add_argument(
        "--processes", nargs="+", default=list(ref_me.PROCESSES), help="reference processes"
    )
    parser.add_argument(
        "--library",
        type=Path,
        action="append",
        default=[],
        help="also time this UMAMI library (repeatable)",
    )
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="folder with another build's libref_<process>.so (e.g. a copy of main's "
        "build/lib), timed in the same rounds; prints this build / baseline per path",
    )
    args = parser.parse_args(argv)

    driver = build_driver()
    rows = []
    targets = []
    for process in args.processes:
        try:
            targets.append((process, ref_me.library_path(process)))
        except FileNotFoundError as exc:
            print(f"note: skipping {process}: {exc}", file=sys.stderr)
    targets += [(path.stem.removeprefix("lib"), path) for path in args.library]
    chosen = {}
    with tempfile.TemporaryDirectory() as workdir:
        for process, path in targets:
            paths = simd_paths(path)
            chosen[process] = paths[-1]
            configs = [
                (simd, t) for simd in dict.fromkeys(["scalar", paths[-1]]) for t in args.threads
            ]
            builds = {"this": path}
            if args.baseline is not None and (args.baseline / path.name).is_file():
                builds["baseline"] = args.baseline / path.name
            rates = measure(
                builds, driver, configs, args.batch, args.repeats, args.calls, Path(workdir)
            )
            for (build, simd, threads), rate in rates.items():
                host, host_umami, c = rate["host"], rate["host_umami"], rate["c"]
                rows.append(
                    {
                        "process": process,
                        "build": build,
                        "simd": simd,
                        "threads": threads,
                        "batch": args.batch,
                        "pyumami_best": max(host),
                        "pyumami_median": statistics.median(host),
                        "c_best": max(c) if c else None,
                        "c_median": statistics.median(c) if c else None,
                        # per-round ratio: both sides of a round ran under the same load
                        "ratio_median": statistics.median(
                            h / x for h, x in zip(host, c, strict=False)
                        )
                        if c
                        else None,
                        "umami_layout_median": statistics.median(host_umami),
                        "umami_layout_ratio_median": statistics.median(
                            h / x for h, x in zip(host_umami, c, strict=False)
                        )
                        if c
                        else None,
                    }
                )

    def fmt(x: float | None) -> str:
        return "-" if x is None else f"{x:.3e}"

    header = (
        f"{'process':<10} {'build':<8} {'path':<7} {'thr':>3} {'pyumami best':>13} {'median':>10} "
        f"{'C best':>10} {'median':>10} {'ratio best':>10} {'ratio med':>9} {'UMAMI-layout ratio med':>22}"
    )
    print(
        f"ME evaluations per second, batch {args.batch}, double precision, {os.cpu_count()} cores; "
        f"{args.repeats} interleaved rounds of {args.calls} calls (best, median); "
        f"ratio = pyumami / C (best/best, median of per-round ratios)"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        ratio = "-" if not row["c_best"] else f"{row['pyumami_best'] / row['c_best']:.3f}"
        ratio_median = "-" if row["ratio_median"] is None else f"{row['ratio_median']:.3f}"
        layout = row["umami_layout_ratio_median"]
        layout = "-" if layout is None else f"{layout:.3f}"
        print(
            f"{row['process']:<10} {row['build']:<8} {row['simd']:<7} {row['threads']:>3} {fmt(row['pyumami_best']):>13} "
            f"{fmt(row['pyumami_median']):>10} {fmt(row['c_best']):>10} {fmt(row['c_median']):>10} "
            f"{ratio:>10} {ratio_median:>9} {layout:>22}"
        )
    print_summary([r for r in rows if r["build"] == "this"], chosen, args.threads)
    if args.baseline is not None:
        print_baseline_ratios(rows)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


def print_summary(rows: list[dict], chosen: dict[str, str], threads: list[int]) -> None:
    """Per process: C-driver median rate of the scalar and SIMD paths at each thread
    count, SIMD / scalar, and the SIMD path's scaling from the first to the last count."""
    rate = {(r["process"], r["simd"], r["threads"]): r["c_median"] for r in rows}
    print()
    print(
        "C driver, median ME/s; speed-up = SIMD / scalar at equal threads; "
        f"scaling = SIMD {threads[-1]} threads / {threads[0]} thread(s)"
    )
    header = f"{'process':<10} {'SIMD':<7}"
    for t in threads:
        header += f" {'scalar ' + str(t) + 't':>11} {'SIMD ' + str(t) + 't':>11} {'speed-up':>8}"
    header += f" {'scaling':>8}"
    print(header)
    print("-" * len(header))
    for process, simd in chosen.items():
        line = f"{process:<10} {simd:<7}"
        for t in threads:
            scalar, vector = rate.get((process, "scalar", t)), rate.get((process, simd, t))
            speedup = f"{vector / scalar:.2f}x" if scalar and vector else "-"
            line += f" {scalar or 0:>11.3e} {vector or 0:>11.3e} {speedup:>8}"
        first, last = rate.get((process, simd, threads[0])), rate.get((process, simd, threads[-1]))
        line += f" {last / first:>7.2f}x" if first and last and len(threads) > 1 else f" {'-':>8}"
        print(line)


def print_baseline_ratios(rows: list[dict]) -> None:
    """Per process and path: this build's C-driver rate over the baseline's, both the
    ratio of medians and the ratio of bests (same rounds, so the same machine load)."""
    table = {(r["process"], r["build"], r["simd"], r["threads"]): r for r in rows}
    print()
    print("this build / baseline, C driver (median ratio, best ratio)")
    for process, build, simd, t in table:
        if build != "this" or (process, "baseline", simd, t) not in table:
            continue
        new, old = table[process, "this", simd, t], table[process, "baseline", simd, t]
        if new["c_median"] and old["c_median"]:
            print(
                f"{process:<10} {simd:<7} {t:>2}t  median {new['c_median'] / old['c_median']:.2f}x"
                f"  best {new['c_best'] / old['c_best']:.2f}x"
                f"  ({fmt_rate(new['c_best'])} vs {fmt_rate(old['c_best'])} ME/s best)"
            )


def fmt_rate(x: float | None) -> str:
    return "-" if x is None else f"{x:.3e}"


if __name__ == "__main__":
    sys.exit(main())
