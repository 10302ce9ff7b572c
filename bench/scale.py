"""Scaling benchmark of generation on Dask: no cluster vs ``local:1`` vs ``local:2``.

    .venv/bin/python bench/scale.py                   # g g -> t t~ at 13 TeV, ~1 min
    .venv/bin/python bench/scale.py --events 20000 --repeats 1    # quicker

One generator (reference library gg_ttx, the PDF set of bench/generation.py, fixed
scale m_t, seed 1) is trained once on the client (8 x 20k events, timed apart); then the
same ``--events`` unweighted events (same batch indices, so the same events: their
checksum is printed per mode) are generated

- with no cluster (the reference: library on 2 threads, 2 batches computed ahead in
  threads of the client process), and
- on ``local:1`` and ``local:2``: 1 or 2 worker processes of one Dask thread each, every
  worker's library on ONE thread, so one worker uses one core and the ideal speed-up
  local:1 -> local:2 is 2x on a machine with two idle cores.

Each mode first runs two batches untimed (starts nothing new, but ships the frozen
integrand and opens the libraries), then ``--repeats`` timed runs, alternating the modes;
the fastest is kept (the machine may be shared; the load average is printed), with the
CPU time this process spent in it per batch (in the "none" mode that is all the work;
with a cluster, the client's and the in-process scheduler's share of a task).

Per-task overhead: on ``local:1``, batches of ``--overhead-sizes`` events are timed
(``--overhead-batches`` per size, in one integration, the pipeline full): the wall time
per batch at the client minus the task's compute time on the worker is what Dask adds
per task; the compute time of the smallest batch is the fixed cost of a batch in the
integrand itself (t0), and the slope to the largest the cost per weighted event (c). Also printed: a
Dask round trip of a no-op task, the throughput of no-op tasks, and the client's cost
and the bytes on the wire per weighted event. The last line is JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
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

from pyumami.generation.cluster import close, connect  # noqa: E402
from pyumami.generation.generator import Generator  # noqa: E402
from pyumami.generation.integrand import WeightedSample  # noqa: E402

MODES = ("none", "local:1", "local:2")
#: Threads of the library (and batches computed ahead) without a cluster.
REFERENCE_THREADS = 2
#: First batch index of the timed runs, the warm-ups, the overhead fit and the client
#: cost (disjoint, so no result is reused from an earlier run).
TIMED_FIRST, WARM_FIRST, OVERHEAD_FIRST, CLIENT_FIRST = 0, 10**6, 2 * 10**6, 3 * 10**6


def trained_generator(pdf, batch_size: int, threads: int) -> tuple[Generator, float]:
    """The benchmark's generator, trained; training is deterministic (seed 1), so two
    generators with different library threads hold the same grids."""
    gen = Generator("g g > t t~", SQRT_S, libraries="gg_ttx", pdf=pdf, scale=SCALE, seed=1,
                    threads=threads, workers=threads, batch_size=batch_size)  # fmt: skip
    start = time.perf_counter()
    gen.train(8, 20_000)
    return gen, time.perf_counter() - start


def timed_generate(
    gen: Generator, client, events: int, first: int
) -> tuple[float, str, int, float]:
    """Seconds to generate ``events`` unweighted events from batch ``first``, their
    checksum, the weighted batches used and the CPU seconds of this process (the client,
    and a LocalCluster's scheduler, which runs in it)."""
    gen.client, gen.next_batch = client, first
    cpu = os.times()
    start = time.perf_counter()
    result = gen.generate(events)
    seconds = time.perf_counter() - start
    used = os.times()
    cpu_s = used.user + used.system - cpu.user - cpu.system
    e = result.events.to_numpy()
    digest = hashlib.sha256(np.asarray(e.momenta).tobytes() + np.asarray(e.weight).tobytes())
    return seconds, digest.hexdigest()[:16], gen.next_batch - first, cpu_s


def task_costs(gen: Generator, client, sizes: list[int], batches: int) -> dict:
    """Per batch size, one integration of ``batches`` batches on ``client`` (the pipeline
    full): the wall time per batch at the client and the median compute time of a task on
    its worker (Dask's task stream). Their difference is what Dask adds per task (the
    worker idles while results travel and new tasks arrive). The compute time of the
    smallest batches is the fixed cost of a batch in the integrand itself (t0, ms); the
    slope from there to the largest gives the cost per weighted event (c, us). (A
    least-squares line would let one noisy size on a shared machine move t0.)"""
    from distributed import get_task_stream

    gen.client = client
    wall, compute = [], []
    for size in sizes:
        gen.next_batch = OVERHEAD_FIRST + size * batches
        with get_task_stream(client) as stream:
            start = time.perf_counter()
            gen.integrate(max(2, batches * size), batch_size=size)
            wall.append((time.perf_counter() - start) / batches)
        # the median: on a shared machine a few tasks wait long for a core
        compute.append(
            float(np.median([s["stop"] - s["start"] for task in stream.data
                             for s in task["startstops"] if s["action"] == "compute"]))
        )  # fmt: skip
    intercept = compute[0]
    slope = (compute[-1] - compute[0]) / (sizes[-1] - sizes[0])
    return {
        "seconds_per_batch": wall,
        "compute_seconds_per_batch": compute,
        "dask_ms_per_task": [1e3 * (w - c) for w, c in zip(wall, compute, strict=True)],
        "t0_ms": 1e3 * intercept,
        "us_per_event": 1e6 * slope,
    }


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


def client_cost(gen: Generator, batches: int) -> dict:
    """What the client spends per weighted event of a result: unpickling it (as it
    arrives from a worker) and the in-order unweighting; and its size on the wire."""
    from pyumami.generation.integrand import batch_rng
    from pyumami.generation.unweighting import Unweighter

    gen.client, gen.next_batch = None, CLIENT_FIRST
    samples = [s for _, s in gen._frozen_samples([gen.batch_size] * batches)]
    wire = [pickle.dumps(WeightedSample(s.events.to_numpy(), s.slot, (), ())) for s in samples]
    unweighter = Unweighter(gen.max_overweight)
    start = time.perf_counter()
    for index, blob in enumerate(wire):
        unweighter.add(pickle.loads(blob).events, batch_rng(gen.seed, index, 1))
    seconds = time.perf_counter() - start
    events = sum(len(s.events) for s in samples)
    return {"us_per_event": 1e6 * seconds / events, "bytes_per_event": sum(map(len, wire)) / events}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=120_000, help="unweighted events per run")
    parser.add_argument("--batch-size", type=int, default=10_000, help="events per batch (task)")
    parser.add_argument("--repeats", type=int, default=2, help="timed runs per mode (best kept)")
    parser.add_argument("--pdf", default=None, help="LHAPDF set name or path (default: shipped)")
    parser.add_argument(
        "--overhead-sizes", default="1,1000,5000,10000", help="batch sizes of the overhead fit"
    )
    parser.add_argument("--overhead-batches", type=int, default=30, help="batches per size")
    args = parser.parse_args()
    load_before = os.getloadavg()
    pdf = pdf_set(args.pdf)
    gen, train_s = trained_generator(pdf, args.batch_size, REFERENCE_THREADS)
    clients = {"none": None}
    startup = {}
    for mode in MODES[1:]:
        start = time.perf_counter()
        clients[mode] = connect(mode, library_threads=1)
        startup[mode] = time.perf_counter() - start
    try:
        for mode in MODES:  # ship the integrand, open the libraries
            gen.client, gen.next_batch = clients[mode], WARM_FIRST
            gen.integrate(2 * args.batch_size)
        best = {m: float("inf") for m in MODES}
        digests, batches, client_cpu = {}, {}, {}
        for _ in range(args.repeats):
            for mode in MODES:
                seconds, digests[mode], batches[mode], cpu_s = timed_generate(
                    gen, clients[mode], args.events, TIMED_FIRST
                )
                if seconds < best[mode]:
                    best[mode], client_cpu[mode] = seconds, cpu_s
        sizes = sorted(int(s) for s in args.overhead_sizes.split(","))
        tasks = task_costs(gen, clients["local:1"], sizes, args.overhead_batches)
        noop = dask_round_trip(clients["local:1"])
        client = client_cost(gen, 8)
    finally:
        for mode in MODES[1:]:
            close(clients[mode])
    load_after = os.getloadavg()
    rate = {m: args.events / best[m] for m in MODES}
    speedup = rate["local:2"] / rate["local:1"]
    client_rate = 1e6 / client["us_per_event"]
    print(f"g g -> t t~, sqrt(s) = {SQRT_S:g} GeV, PDF {pdf.name}, mu = {SCALE} GeV, "
          f"{args.events} unweighted events, batches of {args.batch_size}; training on the "
          f"client {train_s:.1f} s; {os.cpu_count()} cores, load average (1 min) "
          f"{load_before[0]:.1f} before, {load_after[0]:.1f} after")  # fmt: skip
    print(f"{'mode':8s} {'library threads':>16s} {'unweighted/s':>13s} {'best [s]':>9s} "
          f"{'startup [s]':>12s} {'batches':>8s} {'client CPU/batch [ms]':>22s}  checksum")  # fmt: skip
    for m in MODES:
        threads = REFERENCE_THREADS if m == "none" else 1
        print(f"{m:8s} {threads:16d} {rate[m]:13.0f} {best[m]:9.2f} "
              f"{startup.get(m, 0.0):12.2f} {batches[m]:8d} "
              f"{1e3 * client_cpu[m] / batches[m]:22.1f}  {digests[m]}")  # fmt: skip
    print(f"speed-up local:1 -> local:2 (one core per worker): {speedup:.2f}x; local:2 vs no "
          f"cluster: {rate['local:2'] / rate['none']:.2f}x; identical samples: "
          f"{len(set(digests.values())) == 1}")  # fmt: skip
    ms = ", ".join(f"{b}: {1e3 * w:.1f}/{1e3 * c:.1f}/{d:.1f}" for b, w, c, d in zip(
        sizes, tasks["seconds_per_batch"], tasks["compute_seconds_per_batch"],
        tasks["dask_ms_per_task"], strict=True))  # fmt: skip
    print(f"local:1 per batch, ms wall/compute/Dask by batch size ({args.overhead_batches} "
          f"batches each): {ms}")  # fmt: skip
    print(f"a batch's compute = t0 + c b: t0 = {tasks['t0_ms']:.1f} ms (the integrand's fixed "
          f"cost), c = {tasks['us_per_event']:.1f} us per weighted event; fixed cost + Dask "
          f"({tasks['dask_ms_per_task'][0]:.1f} ms) equal the work at "
          f"{(tasks['t0_ms'] + tasks['dask_ms_per_task'][0]) / tasks['us_per_event'] * 1e3:.0f}"
          f" events, are 10 % of it at "
          f"{9 * (tasks['t0_ms'] + tasks['dask_ms_per_task'][0]) / tasks['us_per_event'] * 1e3:.0f}"
          f"; no-op task: round trip {noop['round_trip_ms']:.1f} ms, in bulk "
          f"{noop['bulk_ms_per_task']:.2f} ms each")  # fmt: skip
    print(f"client per weighted event: {client['us_per_event']:.2f} us (unpickle + unweight), "
          f"{client['bytes_per_event']:.0f} bytes on the wire: the client takes "
          f"{client_rate:.3g} weighted events/s = "
          f"{client_rate * client['bytes_per_event'] / 1e6:.0f} MB/s")  # fmt: skip
    print(json.dumps({"client": client, "events": args.events, "batch_size": args.batch_size,
                      "training_s": train_s, "unweighted_per_s": rate, "best_s": best,
                      "startup_s": startup, "client_cpu_s": client_cpu, "speedup_1_to_2": speedup, "checksums": digests,
                      "overhead": {"sizes": sizes, "batches": args.overhead_batches,
                                   "local_1": tasks, "noop": noop},
                      "load_average": {"before": load_before, "after": load_after}}))  # fmt: skip


if __name__ == "__main__":
    main()
