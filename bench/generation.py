"""Event-generation benchmark: ours vs MadSpace's generator, same library, grid and scale.

    .venv/bin/python bench/generation.py                 # g g -> t t~ at 13 TeV, 2 threads
    .venv/bin/python bench/generation.py --events 100000 --threads 2 --pdf NAME_OR_PATH
    .venv/bin/python bench/generation.py --quick         # 2000 events (seconds)
    .venv/bin/python bench/generation.py --processes 1   # ours in one process (no workers)
    .venv/bin/python bench/generation.py --processes 1 --workers 2  # ... 2 batches ahead in threads
    .venv/bin/python bench/generation.py --cluster local:2   # also ours on 2 Dask workers
    .venv/bin/python bench/generation.py --batch-size 20000  # ours with another batch size

Both generators use the reference library gg_ttx (2 threads), the same LHAPDF grid file
(the shipped default set; where it is not built yet, a toy lhagrid1 set written to a
temporary directory by tests/generation/hadronic.py) and the fixed scale m_t = 173 GeV.
Ours trains (8 x 20k VEGAS iterations, multi-channel) and then generates ``--events``
unweighted events with its default batch size (``--batch-size`` to change it) and its
default worker processes (one per thread; ``--processes`` to change it); MadSpace runs
its survey and then generates the same number. Timed:
the generation phase of each (training / survey reported separately); the two alternate
``--repeats`` times and each keeps its fastest run (the machine may be shared). Printed per
generator: weighted and unweighted events per second, the CPU time per weighted event
(all threads of the process and of our worker processes; on a shared machine the
steadier measure), the unweighting
efficiency (ours: <w> / W_max, the expected acceptance; MadSpace: unweighted / weighted),
the cross section; then ours / MadSpace ratios, the load average over the last minute
(on a shared machine, read the wall-clock numbers next to it) and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SQRT_S = 13000.0
SCALE = 173.0


def pdf_set(name: str | None):
    import pyumami.pdf as pdf_module

    try:
        return pdf_module.load(name)
    except (pdf_module.PDFSetNotFoundError, FileNotFoundError):
        if name is not None:
            raise
    from tests.generation.hadronic import pdf_set as toy_set

    print("default PDF set not built: using the toy lhagrid1 set of tests/generation/hadronic.py")
    return toy_set(Path(tempfile.mkdtemp(prefix="bench_pdf_")))


def ours(
    pdf,
    events: int,
    threads: int,
    single_channel: bool,
    workers: int | None,
    batch_size: int | None,
    client=None,
    processes: int | None = None,
) -> dict:
    from pyumami.generation.generator import Generator

    options = {} if workers is None else {"workers": workers}
    if processes is not None:
        options["processes"] = processes
    if client is not None:
        options["client"] = client
    if batch_size is not None:
        options["batch_size"] = batch_size
    gen = Generator(
        "g g > t t~",
        SQRT_S,
        libraries="gg_ttx",
        pdf=pdf,
        scale=SCALE,
        seed=1,
        threads=threads,
        single_channel=single_channel,
        **options,
    )
    start = time.perf_counter()
    gen.train(8, 20_000)
    train = time.perf_counter() - start
    start, cpu = time.perf_counter(), _cpu_seconds()
    result = gen.generate(events)
    seconds = time.perf_counter() - start
    cpu = _cpu_seconds() - cpu
    workers = gen.processes
    gen.close()
    return {
        "processes": workers,
        "cpu_us_per_weighted": 1e6 * cpu / result.n_weighted,
        "setup_s": train,
        "generate_s": seconds,
        "weighted_per_s": result.n_weighted / seconds,
        "unweighted_per_s": len(result.events) / seconds,
        "efficiency": result.efficiency,
        "cross_section_pb": result.cross_section_pb,
        "error_pb": result.error_pb,
        "batch_size": gen.batch_size,
    }


def _cpu_seconds() -> float:
    """CPU time of this process and of its live worker processes (Linux /proc; elsewhere
    this process only)."""
    import multiprocessing

    total = time.process_time()
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for child in multiprocessing.active_children():
        try:
            fields = Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return total


def madspace(pdf, events: int, threads: int) -> dict:
    from pyumami.generation.madspace_generator import run_madspace
    from pyumami.generation.process import Process

    process = Process.from_spec("g g > t t~", "gg_ttx", threads=threads)
    run = run_madspace(process, SQRT_S, pdf.path, SCALE, events, threads=threads)
    return {
        "cpu_us_per_weighted": 1e6 * run.generate_cpu_seconds / run.n_weighted,
        "setup_s": run.survey_seconds,
        "generate_s": run.generate_seconds,
        "weighted_per_s": run.n_weighted / run.generate_seconds,
        "unweighted_per_s": run.n_unweighted / run.generate_seconds,
        "efficiency": run.efficiency,
        "cross_section_pb": run.cross_section_pb,
        "error_pb": run.error_pb,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--events",
        type=int,
        default=100_000,
        help="unweighted events per generator (fewer: start-up costs weigh in)",
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--pdf", default=None, help="LHAPDF set name or path (default: shipped)")
    parser.add_argument("--single-channel", action="store_true", help="ours with one channel")
    parser.add_argument("--quick", action="store_true", help="2000 events")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="ours with one process: batches computed ahead in threads (default: ours)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=None,
        help="ours: worker processes for the frozen batches (default: ours, one per thread)",
    )
    parser.add_argument(
        "--batch-size", type=int, default=None, help="ours: events per batch (default: ours)"
    )
    parser.add_argument(
        "--repeats", type=int, default=2, help="alternating runs of each (best kept)"
    )
    parser.add_argument(
        "--cluster",
        default=None,
        help="also ours on this Dask cluster (e.g. local:2: worker processes of 1 thread)",
    )
    args = parser.parse_args()
    events = 2000 if args.quick else args.events
    pdf = pdf_set(args.pdf)
    runs: dict[str, list[dict]] = {"ours": [], "madspace": []}
    client, cluster_start = None, 0.0
    if args.cluster:
        from pyumami.generation.cluster import connect

        start = time.perf_counter()
        client = connect(args.cluster, library_threads=1)
        cluster_start = time.perf_counter() - start
        runs[f"ours {args.cluster}"] = []
    try:
        for _ in range(args.repeats):  # alternating, so that all see the same machine load
            runs["ours"].append(
                ours(
                    pdf,
                    events,
                    args.threads,
                    args.single_channel,
                    args.workers,
                    args.batch_size,
                    processes=args.processes,
                )  # fmt: skip
            )
            runs["madspace"].append(madspace(pdf, events, args.threads))
            if client is not None:
                runs[f"ours {args.cluster}"].append(
                    ours(
                        pdf,
                        events,
                        args.threads,
                        args.single_channel,
                        None,
                        args.batch_size,
                        client,
                    )
                )
    finally:
        if client is not None:
            from pyumami.generation.cluster import close

            close(client)
    rows = {name: min(done, key=lambda row: row["generate_s"]) for name, done in runs.items()}
    print(
        f"g g -> t t~, sqrt(s) = {SQRT_S:g} GeV, PDF {pdf.name}, mu = {SCALE} GeV, "
        f"{events} unweighted events, {args.threads} threads, ours on "
        f"{rows['ours']['processes']} process(es)"
    )
    print(
        f"{'':14s} {'weighted/s':>12s} {'unweighted/s':>13s} {'CPU us/w':>9s} "
        f"{'efficiency':>11s} {'sigma [pb]':>20s} {'setup [s]':>10s}"
    )
    for name, row in rows.items():
        sigma = f"{row['cross_section_pb']:.2f} +- {row['error_pb']:.2f}"
        print(
            f"{name:14s} {row['weighted_per_s']:12.0f} {row['unweighted_per_s']:13.0f} "
            f"{row['cpu_us_per_weighted']:9.2f} {row['efficiency']:11.4f} {sigma:>20s} "
            f"{row['setup_s']:10.2f}"
        )
    ratio = {
        key: rows["ours"][key] / rows["madspace"][key]
        for key in ("weighted_per_s", "unweighted_per_s")
    }
    ratio["cpu_per_weighted_madspace_over_ours"] = (
        rows["madspace"]["cpu_us_per_weighted"] / rows["ours"]["cpu_us_per_weighted"]
    )
    print(
        f"ratio ours / MadSpace: weighted {ratio['weighted_per_s']:.2f}, "
        f"unweighted {ratio['unweighted_per_s']:.2f}; CPU per weighted event MadSpace / ours "
        f"{ratio['cpu_per_weighted_madspace_over_ours']:.2f}"
    )
    load = os.getloadavg()[0]
    if client is not None:
        name = f"ours {args.cluster}"
        ratio["cluster_weighted_per_s"] = (
            rows[name]["weighted_per_s"] / rows["madspace"]["weighted_per_s"]
        )
        ratio["cluster_unweighted_per_s"] = (
            rows[name]["unweighted_per_s"] / rows["madspace"]["unweighted_per_s"]
        )
        print(
            f"ratio {name} / MadSpace: weighted {ratio['cluster_weighted_per_s']:.2f}, "
            f"unweighted {ratio['cluster_unweighted_per_s']:.2f} (cluster start-up "
            f"{cluster_start:.1f} s, not timed; CPU column: the client only)"
        )
    print(f"load average (1 min) after the runs: {load:.2f} on {os.cpu_count()} cores")
    print(
        json.dumps(
            {"events": events, "threads": args.threads, **rows, "ratio": ratio, "load": load}
        )
    )


if __name__ == "__main__":
    main()
