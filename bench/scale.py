"""Scaling benchmark of event generation on Dask: no cluster vs ``local:1`` vs ``local:2``.

    .venv/bin/python bench/scale.py          # g g -> t t~ at 13 TeV (minutes: see docs/cluster.md)
    .venv/bin/python bench/scale.py --events 200000 --curve-sizes 20000,100000   # quicker

What is timed is the production path of ``pyumami generate``: the stream of unweighted
events (:func:`~pyumami.generation.streaming.unweighted_batches`), its maximum weight W
starting from an integration, as the CLI does. One generator (reference library gg_ttx,
the PDF set of bench/generation.py, fixed scale m_t, seed 1) is trained once on the
client (8 x 20k events) and integrated once (W and the cross section); then the same
``--events`` unweighted events (same batch indices, so the same events: their checksum
is printed per mode) are streamed

- with no cluster (the reference: library on 2 threads, 2 batches computed ahead in
  threads of this process), and
- on ``local:1`` and ``local:2``: 1 or 2 worker processes of one Dask thread each, every
  worker's library on ONE thread, so one worker uses one core and the ideal speed-up
  local:1 -> local:2 is 2x on a machine with two idle cores. A task computes
  consecutive batches of at least ``--task-events`` weighted events in all
  (``cluster.TASK_EVENTS``), each batch reduced on its worker (only the events that can
  pass, see docs/cluster.md).

Each mode first streams two tasks' worth untimed (ships the frozen integrand, opens the
libraries), then one timed run (long enough to be steady: the pipeline's fill and drain
are one task each). Printed per mode: unweighted events/s, the CPU time this process
spent per task (with a cluster: the client's and the in-process scheduler's share of a
task; without one, all the work of a task's batches), how busy the workers were (their
compute time over wall time x workers: the rest is the pipeline's idle time) and batches
the client had to recompute (reduced too tightly on a worker).

Task-size curve (``--curve-sizes``, weighted events per task, batches of
``--batch-size``): the same on ``local:1`` and ``local:2`` with ``--curve-tasks`` tasks
per run for each size: the speed-up per size, the client's CPU per task, and what Dask
adds per task on ``local:1`` (wall time per task minus its compute time on the worker,
the pipeline full). Also printed: a no-op task's round trip, and per weighted event the
client's CPU and the bytes on the wire, whole vs reduced batches. The last line is JSON.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import importlib.util
import json
import logging
import os
import pickle
import sys
import time
from pathlib import Path

import numpy as np

# the repository first (bench/phase_space.py must not shadow the package in the workers)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
_spec = importlib.util.spec_from_file_location(
    "bench_generation", Path(__file__).parent / "generation.py"
)
assert _spec is not None and _spec.loader is not None
_generation = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_generation)
SCALE, SQRT_S, pdf_set = _generation.SCALE, _generation.SQRT_S, _generation.pdf_set

from pyumami.generation import cluster  # noqa: E402
from pyumami.generation.cluster import close, connect  # noqa: E402
from pyumami.generation.generator import Generator  # noqa: E402
from pyumami.generation.integrand import WeightedSample, batch_rng  # noqa: E402
from pyumami.generation.streaming import unweighted_batches  # noqa: E402
from pyumami.generation.unweighting import (  # noqa: E402
    UNWEIGHTING_STREAM,
    MaxWeight,
    ReductionHint,
    accept_reduced,
    reduce_batch,
)

MODES = ("none", "local:1", "local:2")
#: Threads of the library (and batches computed ahead) without a cluster.
REFERENCE_THREADS = 2
#: First batch index of the integration, the warm-ups, the timed runs, the curve and the
#: client cost (disjoint, so no result is reused from an earlier run).
INTEGRATION_FIRST, WARM_FIRST, TIMED_FIRST = 10**7, 2 * 10**7, 0
CURVE_FIRST, CLIENT_FIRST = 3 * 10**7, 4 * 10**7
#: Weighted events of the integration that starts W.
INTEGRATION_EVENTS = 500_000


def trained_generator(pdf, batch_size: int) -> tuple[Generator, float]:
    """The benchmark's generator, trained (deterministic: seed 1)."""
    gen = Generator("g g > t t~", SQRT_S, libraries="gg_ttx", pdf=pdf, scale=SCALE, seed=1,
                    threads=REFERENCE_THREADS, workers=REFERENCE_THREADS,
                    batch_size=batch_size)  # fmt: skip
    start = time.perf_counter()
    gen.train(8, 20_000)
    return gen, time.perf_counter() - start


def stream(gen: Generator, client, events: int, first: int, max_weight: MaxWeight) -> dict:
    """Stream ``events`` unweighted events from batch ``first`` (W from a copy of
    ``max_weight``): seconds, checksum, batches, CPU seconds of this process (the client,
    and a LocalCluster's scheduler), batches recomputed here, and the workers' compute
    seconds of the run's batches (Dask's task stream)."""
    from distributed import get_task_stream

    gen.client, gen.next_batch, recomputed = client, first, gen.recomputed
    digest = hashlib.sha256()
    cpu, main_cpu = os.times(), time.thread_time()
    with get_task_stream(client) if client is not None else _Nothing() as tasks:
        start = time.perf_counter()
        for batch in unweighted_batches(gen, events, 1.0, copy.deepcopy(max_weight)):
            digest.update(np.asarray(batch.momenta).tobytes() + np.asarray(batch.weight).tobytes())
        seconds = time.perf_counter() - start
    used, main_used = os.times(), time.thread_time()
    computes = [] if client is None else [
        s["stop"] - s["start"] for task in tasks.data if "pyumami-batch" in str(task["key"])
        for s in task["startstops"] if s["action"] == "compute"]  # fmt: skip
    batches = gen.next_batch - first
    per_task = max(1, -(-cluster.TASK_EVENTS // gen.batch_size))  # batches of a task
    return {
        "seconds": seconds,
        "checksum": digest.hexdigest()[:16],
        "batches": batches,
        "tasks": -(-batches // per_task),
        "cpu_s": used.user + used.system - cpu.user - cpu.system,
        "main_thread_cpu_s": main_used - main_cpu,
        "recomputed": gen.recomputed - recomputed,
        "compute_s": computes,
    }


class _Nothing:
    data: list = []

    def __enter__(self) -> _Nothing:
        return self

    def __exit__(self, *args: object) -> None:
        return None


def busy(run: dict, workers: int) -> float:
    """Share of the run's wall time x workers the workers spent computing its batches."""
    return sum(run["compute_s"]) / (run["seconds"] * workers) if workers else float("nan")


def curve(gen: Generator, clients: dict, max_weight: MaxWeight, sizes, tasks: int,
          efficiency: float) -> list[dict]:  # fmt: skip
    """Per task size (weighted events), ``tasks`` tasks streamed on local:1 and local:2."""
    rows = []
    default = cluster.TASK_EVENTS
    try:
        for k, size in enumerate(sizes):
            cluster.TASK_EVENTS = size
            events = max(1, int(efficiency * size * tasks))
            runs = {mode: stream(gen, clients[mode], events, CURVE_FIRST + k * 10**5, max_weight)
                    for mode in ("local:1", "local:2")}  # fmt: skip
            one, two = runs["local:1"], runs["local:2"]
            wall = one["seconds"] / one["tasks"]
            compute = float(np.median(one["compute_s"]))
            rows.append({
                "size": size, "events": events,
                "rate": {m: events / r["seconds"] for m, r in runs.items()},
                "speedup": one["seconds"] / two["seconds"],
                "client_ms_per_task": {m: 1e3 * r["cpu_s"] / r["tasks"] for m, r in runs.items()},
                "compute_ms": 1e3 * compute, "dask_ms_per_task": 1e3 * (wall - compute),
                "busy_local_2": busy(two, 2), "recomputed": one["recomputed"] + two["recomputed"],
            })  # fmt: skip
    finally:
        cluster.TASK_EVENTS = default
    return rows


def dask_round_trip(client, tasks: int = 30) -> dict:
    """A no-op task's round trip (submit, run, fetch the result; ms, median) and the
    per-task time of ``10 * tasks`` no-op tasks submitted at once (ms)."""
    client.submit(abs, -1, pure=False).result()
    trips = []
    for i in range(tasks):
        start = time.perf_counter()
        client.submit(abs, -i, pure=False).result()
        trips.append(time.perf_counter() - start)
    start = time.perf_counter()
    client.gather(client.map(abs, range(-10 * tasks, 0), pure=False))
    bulk = (time.perf_counter() - start) / (10 * tasks)
    return {"round_trip_ms": 1e3 * float(np.median(trips)), "bulk_ms_per_task": 1e3 * bulk}


def client_cost(gen: Generator, max_weight: MaxWeight, batches: int) -> dict:
    """Per weighted event, what the client of the stream spends on a batch as it arrives
    from a worker (unpickle, merge W, accept) and its bytes on the wire: whole batches
    (reduced here) vs batches reduced on the worker."""
    gen.client, gen.next_batch = None, CLIENT_FIRST
    samples = [s for _, s in gen._frozen_samples([gen.batch_size] * batches)]
    n = sum(len(s.events) for s in samples)
    whole = [pickle.dumps(WeightedSample(s.events.to_numpy(), s.slot, (), ())) for s in samples]
    reduced = []
    ahead = copy.deepcopy(max_weight)
    for index, s in enumerate(samples, CLIENT_FIRST):
        hint = ahead.hint(3, UNWEIGHTING_STREAM, 1)  # the window of local:2
        reduced.append(pickle.dumps(reduce_batch(s.events.to_numpy(),
                                                 batch_rng(gen.seed, index, 1), hint)))  # fmt: skip
        ahead.update(np.asarray(s.events.weight))
    out = {}
    for name, wire in (("whole", whole), ("reduced", reduced)):
        w = copy.deepcopy(max_weight)
        start = time.perf_counter()
        for index, blob in enumerate(wire, CLIENT_FIRST):
            item = pickle.loads(blob)
            if name == "whole":
                item = reduce_batch(item.events, batch_rng(gen.seed, index, 1),
                                    ReductionHint.whole(UNWEIGHTING_STREAM, 1))  # fmt: skip
            passed = accept_reduced(w, item)
            assert passed is not None
            item.events.take(passed[0])
        out[name] = {"us_per_event": 1e6 * (time.perf_counter() - start) / n,
                     "bytes_per_event": sum(map(len, wire)) / n}  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=4_000_000, help="unweighted events per run")
    parser.add_argument("--batch-size", type=int, default=10_000, help="events per batch")
    parser.add_argument("--task-events", type=int, default=cluster.TASK_EVENTS,
                        help="weighted events per task (batches grouped)")  # fmt: skip
    parser.add_argument("--pdf", default=None, help="LHAPDF set name or path (default: shipped)")
    parser.add_argument("--curve-sizes", default="10000,30000,100000,300000",
                        help="batch sizes of the curve (comma-separated)")  # fmt: skip
    parser.add_argument("--curve-tasks", type=int, default=16, help="tasks per curve run")
    args = parser.parse_args()
    cluster.TASK_EVENTS = args.task_events
    start_all = time.perf_counter()
    load_before = os.getloadavg()
    pdf = pdf_set(args.pdf)
    gen, train_s = trained_generator(pdf, args.batch_size)
    max_weight = MaxWeight(gen.max_overweight)
    gen.next_batch = INTEGRATION_FIRST
    integration = gen.integrate(INTEGRATION_EVENTS, on_batch=lambda b: max_weight.update(b.weight))
    efficiency = integration.cross_section_pb / max_weight.value
    clients: dict = {"none": None}
    startup = {}
    for mode in MODES[1:]:
        start = time.perf_counter()
        clients[mode] = connect(mode, library_threads=1)
        startup[mode] = time.perf_counter() - start
    logging.getLogger("distributed").setLevel(logging.WARNING)  # the clusters' closing
    try:
        for mode in MODES:  # ship the integrand, open the libraries
            warm = 2 * max(args.batch_size, args.task_events)
            stream(gen, clients[mode], int(efficiency * warm), WARM_FIRST, max_weight)
        runs = {mode: stream(gen, clients[mode], args.events, TIMED_FIRST, max_weight)
                for mode in MODES}  # fmt: skip
        sizes = sorted(int(s) for s in args.curve_sizes.split(","))
        rows = curve(gen, clients, max_weight, sizes, args.curve_tasks, efficiency)
        noop = dask_round_trip(clients["local:1"])
        client = client_cost(gen, max_weight, 4)
    finally:
        for mode in MODES[1:]:
            close(clients[mode])
    load_after = os.getloadavg()
    rate = {m: args.events / runs[m]["seconds"] for m in MODES}
    speedup = rate["local:2"] / rate["local:1"]
    print(f"g g -> t t~, sqrt(s) = {SQRT_S:g} GeV, PDF {pdf.name}, mu = {SCALE} GeV; "
          f"{args.events} unweighted events streamed per mode, batches of {args.batch_size}, "
          f"tasks of >= {args.task_events} weighted events, "
          f"efficiency {100 * efficiency:.1f}%; training on the client {train_s:.1f} s; "
          f"{os.cpu_count()} cores, load average (1 min) {load_before[0]:.1f} before, "
          f"{load_after[0]:.1f} after")  # fmt: skip
    print(f"{'mode':8s} {'lib threads':>11s} {'unweighted/s':>13s} {'run [s]':>8s} "
          f"{'startup [s]':>12s} {'tasks':>6s} {'client CPU/task [ms]':>21s} "
          f"{'workers busy':>13s} {'recomputed':>11s}  checksum")  # fmt: skip
    for m in MODES:
        r = runs[m]
        workers = {"none": 0, "local:1": 1, "local:2": 2}[m]
        print(f"{m:8s} {REFERENCE_THREADS if m == 'none' else 1:11d} {rate[m]:13.0f} "
              f"{r['seconds']:8.2f} {startup.get(m, 0.0):12.2f} {r['tasks']:6d} "
              f"{1e3 * r['cpu_s'] / r['tasks']:21.1f} "
              f"{'' if m == 'none' else f'{100 * busy(r, workers):.0f} %':>13s} "
              f"{r['recomputed']:11d}  {r['checksum']}")  # fmt: skip
    main_ms = {m: 1e3 * r["main_thread_cpu_s"] / r["tasks"] for m, r in runs.items()}
    print("of the client CPU per task, the main thread's (unweighting in order, checksum): "
          + ", ".join(f"{m} {v:.1f} ms" for m, v in main_ms.items() if m != "none"))  # fmt: skip
    print(f"speed-up local:1 -> local:2 (one core per worker): {speedup:.2f}x; local:2 vs no "
          f"cluster: {rate['local:2'] / rate['none']:.2f}x; identical samples: "
          f"{len({r['checksum'] for r in runs.values()}) == 1}")  # fmt: skip
    print(f"by task size ({args.curve_tasks} tasks per run, batches of {args.batch_size}): "
          f"weighted events per task, unweighted/s local:1 / local:2, speed-up, client "
          f"CPU/task [ms] local:1 / local:2, compute/task [ms], Dask per task [ms] "
          f"(local:1), workers busy (local:2)")  # fmt: skip
    for row in rows:
        print(f"  {row['size']:7d} {row['rate']['local:1']:9.0f} / {row['rate']['local:2']:9.0f}"
              f" {row['speedup']:5.2f}x {row['client_ms_per_task']['local:1']:7.1f} / "
              f"{row['client_ms_per_task']['local:2']:7.1f} {row['compute_ms']:8.1f} "
              f"{row['dask_ms_per_task']:7.1f} {100 * row['busy_local_2']:5.0f} %")  # fmt: skip
    print(f"no-op task: round trip {noop['round_trip_ms']:.1f} ms, in bulk "
          f"{noop['bulk_ms_per_task']:.2f} ms each")  # fmt: skip
    print("client per weighted event (unpickle, merge W, accept): "
          + ", ".join(f"{k} batches {v['us_per_event']:.3f} us, {v['bytes_per_event']:.0f} bytes"
                      for k, v in client.items()))  # fmt: skip
    print(f"total {time.perf_counter() - start_all:.0f} s")
    print(json.dumps({"events": args.events, "batch_size": args.batch_size,
                      "task_events": args.task_events,
                      "efficiency": efficiency, "training_s": train_s, "unweighted_per_s": rate,
                      "runs": {m: {k: v for k, v in r.items() if k != "compute_s"}
                               for m, r in runs.items()},
                      "startup_s": startup, "speedup_1_to_2": speedup, "curve": rows,
                      "noop": noop, "client": client,
                      "load_average": {"before": load_before, "after": load_after}}))  # fmt: skip


if __name__ == "__main__":
    main()
