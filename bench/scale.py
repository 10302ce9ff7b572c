"""Scaling benchmark of generation on Dask: no cluster vs ``local:1`` vs ``local:2``.

    .venv/bin/python bench/scale.py                   # g g -> t t~ at 13 TeV, 20000 events
    .venv/bin/python bench/scale.py --events 5000 --repeats 1    # quicker

One generator (reference library gg_ttx, the PDF set of bench/generation.py, fixed
scale m_t, seed 1) is trained once on the client (8 x 20k events, timed apart); then the
same ``--events`` unweighted events (same batch indices, so the same events: their
checksum is printed per mode) are generated with no cluster (library on all cores,
2 batches computed ahead in threads), on ``local:1`` (1 worker process, library on all
cores) and on ``local:2`` (2 worker processes, library on one core each). Each mode runs
once untimed (starts the workers, ships the frozen integrand, opens the libraries) and
then ``--repeats`` timed runs, alternating the modes; the fastest is kept (the machine may
be shared). Printed: unweighted events/s per mode and the speed-up local:1 -> local:2.

Per-task overhead: on ``local:1``, batches of ``--overhead-sizes`` events are timed
(30 batches in one integration, the pipeline full); a straight-line fit t(b) = t0 + c b
gives the overhead t0 (ms per task) and the batch size t0 / c at which a task's work
equals it (and 9 t0 / c, at which the overhead is 10 %). The last line is JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
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
#: First batch index of the timed runs and of the warm-up (disjoint, so no result is
#: reused from an earlier run).
TIMED_FIRST, WARM_FIRST = 0, 10**6


def trained_generator(pdf, batch_size: int) -> tuple[Generator, float]:
    gen = Generator("g g > t t~", SQRT_S, libraries="gg_ttx", pdf=pdf, scale=SCALE, seed=1,
                    threads=2, batch_size=batch_size)  # fmt: skip
    start = time.perf_counter()
    gen.train(8, 20_000)
    return gen, time.perf_counter() - start


def timed_generate(gen: Generator, client, events: int, first: int) -> tuple[float, str, int]:
    """Seconds to generate ``events`` unweighted events from batch ``first``, their
    checksum and the weighted batches used."""
    gen.client, gen.next_batch = client, first
    start = time.perf_counter()
    result = gen.generate(events)
    seconds = time.perf_counter() - start
    e = result.events.to_numpy()
    digest = hashlib.sha256(np.asarray(e.momenta).tobytes() + np.asarray(e.weight).tobytes())
    return seconds, digest.hexdigest()[:16], gen.next_batch - first


def task_overhead(gen: Generator, client, sizes: list[int], batches: int) -> dict:
    """Wall time per batch on ``client`` for each batch size: one integration of
    ``batches`` batches each (the pipeline full; the run's one-off shipping of the
    integrand is spread over them)."""
    gen.client = client
    per_batch = []
    for size in sizes:
        gen.next_batch = WARM_FIRST * 2 + size * batches
        start = time.perf_counter()
        gen.integrate(max(2, batches * size), batch_size=size)
        per_batch.append((time.perf_counter() - start) / batches)
    slope, intercept = np.polyfit(np.array(sizes, float), np.array(per_batch), 1)
    return {
        "sizes": sizes,
        "batches": batches,
        "seconds_per_batch": per_batch,
        "overhead_ms": 1e3 * intercept,
        "us_per_event": 1e6 * slope,
        "batch_at_overhead": intercept / slope,
        "batch_at_10_percent": 9 * intercept / slope,
    }


def client_cost(gen: Generator, batches: int) -> dict:
    """What the client spends per weighted event of a result: unpickling it (as it
    arrives from a worker) and the in-order unweighting; and its size on the wire."""
    from pyumami.generation.integrand import batch_rng
    from pyumami.generation.unweighting import Unweighter

    gen.client, gen.next_batch = None, WARM_FIRST * 3
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
    parser.add_argument("--events", type=int, default=20_000, help="unweighted events per run")
    parser.add_argument("--batch-size", type=int, default=4000, help="events per batch (task)")
    parser.add_argument("--repeats", type=int, default=2, help="timed runs per mode (best kept)")
    parser.add_argument("--pdf", default=None, help="LHAPDF set name or path (default: shipped)")
    parser.add_argument(
        "--overhead-sizes", default="1,100,1000,4000", help="batch sizes of the overhead fit"
    )
    args = parser.parse_args()
    pdf = pdf_set(args.pdf)
    gen, train_s = trained_generator(pdf, args.batch_size)
    clients = {"none": None}
    startup = {}
    for mode in MODES[1:]:
        start = time.perf_counter()
        clients[mode] = connect(mode)
        startup[mode] = time.perf_counter() - start
    try:
        warm = {m: timed_generate(gen, clients[m], args.events // 4, WARM_FIRST)[0] for m in MODES}
        best = {m: float("inf") for m in MODES}
        digests, batches = {}, {}
        for _ in range(args.repeats):
            for mode in MODES:
                seconds, digests[mode], batches[mode] = timed_generate(
                    gen, clients[mode], args.events, TIMED_FIRST
                )
                best[mode] = min(best[mode], seconds)
        sizes = [int(s) for s in args.overhead_sizes.split(",")]
        overhead = task_overhead(gen, clients["local:1"], sizes, 30)
        client = client_cost(gen, 8)
    finally:
        for mode in MODES[1:]:
            close(clients[mode])
    rate = {m: args.events / best[m] for m in MODES}
    speedup = rate["local:2"] / rate["local:1"]
    print(f"g g -> t t~, sqrt(s) = {SQRT_S:g} GeV, PDF {pdf.name}, mu = {SCALE} GeV, "
          f"{args.events} unweighted events, batches of {args.batch_size}; training on the "
          f"client {train_s:.1f} s")  # fmt: skip
    print(f"{'mode':8s} {'unweighted/s':>13s} {'best [s]':>9s} {'first run [s]':>14s} "
          f"{'startup [s]':>12s} {'batches':>8s}  checksum")  # fmt: skip
    for m in MODES:
        print(f"{m:8s} {rate[m]:13.0f} {best[m]:9.2f} {warm[m]:14.2f} "
              f"{startup.get(m, 0.0):12.2f} {batches[m]:8d}  {digests[m]}")  # fmt: skip
    print(f"speed-up local:1 -> local:2: {speedup:.2f}x; identical samples: "
          f"{len(set(digests.values())) == 1}")  # fmt: skip
    print(f"per-task overhead (local:1): {overhead['overhead_ms']:.1f} ms; "
          f"{overhead['us_per_event']:.1f} us per weighted event; work equals the overhead at "
          f"{overhead['batch_at_overhead']:.0f} events per batch, overhead 10 % at "
          f"{overhead['batch_at_10_percent']:.0f}")  # fmt: skip
    print(f"client per weighted event: {client['us_per_event']:.2f} us (unpickle + unweight), "
          f"{client['bytes_per_event']:.0f} bytes on the wire")  # fmt: skip
    print(json.dumps({"client": client, "events": args.events, "batch_size": args.batch_size,
                      "training_s": train_s, "unweighted_per_s": rate, "best_s": best,
                      "first_run_s": warm, "startup_s": startup, "speedup_1_to_2": speedup,
                      "checksums": digests, "overhead": overhead}))  # fmt: skip


if __name__ == "__main__":
    main()
