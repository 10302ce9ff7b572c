"""Phase-space benchmark: FastRambo throughput vs MadSpace, volumes, round-trip accuracy.

    .venv/bin/python bench/phase_space_throughput.py [--quick]           # throughput table
    .venv/bin/python bench/phase_space_throughput.py --volumes [--quick] # volume / Phi_n table
    .venv/bin/python bench/phase_space_throughput.py --roundtrip         # |r_in - r_out| quantiles, 1e6 points

Throughput: forward and inverse events per second of our FastRambo for n = 3 .. 6
massless gluons and t t~ + n g (n = 0 .. 2) at sqrt(s) = 1 TeV, batches of 1e5 and
1e6, on NumPy and on JAX (jax.jit, float64), with MadSpace's FastRambo measured in
the same run on one thread (`madspace.Context(1)`); ratio = ours / MadSpace.
Each number is the best of several timed repeats after a warm-up call. JAX runs
single-threaded too unless --jax-threads says otherwise (set before JAX starts).
MadSpace's FastRambo needs n >= 3, so t t~ (n = 2) has no MadSpace number.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SQRT_S = 1000.0
TOP = 173.0


def processes(quick: bool) -> list[tuple[str, list[float]]]:
    gluons = [(f"{n}g", [0.0] * n) for n in (3, 4, 5, 6)]
    tops = [("tt" + "g" * k, [TOP, TOP] + [0.0] * k) for k in (0, 1, 2)]
    if quick:
        return [("4g", [0.0] * 4), ("ttg", [TOP, TOP, 0.0])]
    return gluons + tops


def run_jax(function, x):
    """function(x) for a jitted JAX function, waiting until the device has finished."""
    import jax

    return jax.block_until_ready(function(x))


def best_time(call, repeats: int) -> float:
    call()  # warm-up (JIT compile, allocator, caches)
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


class MadSpaceFastRambo:
    """MadSpace's FastRambo forward/inverse on one CPU thread, arrays prepared outside timing."""

    def __init__(self, masses: list[float], batch: int, r: np.ndarray) -> None:
        import madspace

        n = len(masses)
        massless = not any(masses)
        mapping = madspace.FastRamboMapping(n, massless)
        context = madspace.Context(1)
        self.forward_runtime = madspace.FunctionRuntime(mapping.forward_function(), context)
        self.inverse_runtime = madspace.FunctionRuntime(mapping.inverse_function(), context)
        conditions = [np.full(batch, SQRT_S)]
        if not massless:
            conditions += [np.full(batch, m) for m in masses]
        self.forward_args = [np.ascontiguousarray(r[:, i]) for i in range(r.shape[1])] + conditions
        outputs = self.forward_runtime.call(self.forward_args)
        momenta = [np.ascontiguousarray(np.from_dlpack(outputs[i])) for i in range(n)]
        self.inverse_args = momenta + conditions

    def forward(self) -> None:
        self.forward_runtime.call(self.forward_args)

    def inverse(self) -> None:
        self.inverse_runtime.call(self.inverse_args)


def throughput(args: argparse.Namespace) -> None:
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    from phase_space.fast_rambo import FastRambo

    batches = [100_000] if args.quick else [100_000, 1_000_000]
    repeats = 3 if args.quick else 5
    header = (
        f"{'process':8} {'batch':>8} {'dir':>4} | {'numpy ev/s':>11} {'jax-jit ev/s':>12} "
        f"{'madspace ev/s':>13} | {'numpy/MS':>8} {'jax/MS':>7}"
    )
    print(header)
    print("-" * len(header))
    for name, masses in processes(args.quick):
        mapping = FastRambo(masses, SQRT_S)
        for batch in batches:
            r = np.random.default_rng(0).random((batch, mapping.dim))
            p, _ = mapping.forward(r)
            r_jax = jnp.asarray(r)
            forward_jit = jax.jit(mapping.forward)
            inverse_jit = jax.jit(mapping.inverse)
            p_jax = forward_jit(r_jax)[0]
            ours = {
                "fwd": (
                    partial(mapping.forward, r),
                    partial(run_jax, forward_jit, r_jax),
                ),
                "inv": (
                    partial(mapping.inverse, p),
                    partial(run_jax, inverse_jit, p_jax),
                ),
            }
            madspace_runner = MadSpaceFastRambo(masses, batch, r) if len(masses) >= 3 else None
            for direction, (numpy_call, jax_call) in ours.items():
                t_numpy = best_time(numpy_call, repeats)
                t_jax = best_time(jax_call, repeats)
                if madspace_runner is not None:
                    call = (
                        madspace_runner.forward if direction == "fwd" else madspace_runner.inverse
                    )
                    t_ms = best_time(call, repeats)
                    ms_rate = f"{batch / t_ms:13.3e}"
                    ratios = f"{t_ms / t_numpy:8.3f} {t_ms / t_jax:7.3f}"
                else:
                    ms_rate, ratios = f"{'n/a (n=2)':>13}", f"{'-':>8} {'-':>7}"
                print(
                    f"{name:8} {batch:8.0e} {direction:>4} | {batch / t_numpy:11.3e} "
                    f"{batch / t_jax:12.3e} {ms_rate} | {ratios}",
                    flush=True,
                )


def volumes(args: argparse.Namespace) -> None:
    from phase_space.chili import Chili, chili_massless_volume
    from phase_space.fast_rambo import FastRambo
    from phase_space.rambo import Rambo, RamboOnDiet, massless_volume

    target = 1e-3 if args.quick else 1e-4
    print(
        f"mean weight / Phi_n at sqrt(s) = 1 TeV, massless; sampled until rel. error < {target:g}"
    )
    print(f"{'mapping':12} {'n':>2} {'points':>10} {'ratio':>10} {'error':>9} {'pull':>6}")
    rng = np.random.default_rng(2024)
    # Chili's weights are broad (it is not a flat generator): capped at 4e6 points
    mappings = [
        ("Rambo", lambda n: Rambo([0.0] * n, SQRT_S), massless_volume, 50_000_000),
        ("RamboOnDiet", lambda n: RamboOnDiet([0.0] * n, SQRT_S), massless_volume, 50_000_000),
        ("FastRambo", lambda n: FastRambo([0.0] * n, SQRT_S), massless_volume, 50_000_000),
        (
            "Chili(L=200)",
            lambda n: Chili([0.0] * n, SQRT_S, pt_scale=200.0),
            chili_massless_volume,
            4_000_000,
        ),
    ]
    for label, build, reference, cap in mappings:
        for n in range(2, 7):
            mapping = build(n)
            ref = reference(n, SQRT_S)
            total = total2 = 0.0  # sums of (w / ref - 1): no cancellation for flat weights
            points = 0
            max_points = 1_000_000 if args.quick else cap
            while True:
                _, w = mapping.forward(rng.random((200_000, mapping.dim)))
                d = w / ref - 1.0
                total += float(d.sum())
                total2 += float((d * d).sum())
                points += len(w)
                shift = total / points
                mean = (1.0 + shift) * ref
                error = ref * math.sqrt(max(total2 / points - shift * shift, 0.0) / points)
                if error <= target * mean or points >= max_points:
                    break
            # A flat weight has only rounding spread; a pull against it means nothing.
            pull = f"{(mean - ref) / error:6.2f}" if error > 1e-12 * ref else " exact"
            print(
                f"{label:12} {n:2d} {points:10d} {mean / ref:10.6f} {error / ref:9.2e} {pull}",
                flush=True,
            )


def roundtrip(args: argparse.Namespace) -> None:
    from phase_space.chili import Chili
    from phase_space.fast_rambo import FastRambo
    from phase_space.rambo import RamboOnDiet

    size = 100_000 if args.quick else 1_000_000
    ttgg = [TOP, TOP, 0.0, 0.0]
    cases = [
        ("FastRambo 4g", FastRambo([0.0] * 4, SQRT_S)),
        ("FastRambo ttgg", FastRambo(ttgg, SQRT_S)),
        ("RamboOnDiet 4g", RamboOnDiet([0.0] * 4, SQRT_S)),
        ("RamboOnDiet ttgg", RamboOnDiet(ttgg, SQRT_S)),
        ("Chili ttgg", Chili(ttgg, SQRT_S, pt_min=[None, None, 20.0, 20.0])),
    ]
    print(f"|r_in - r_out| over {size:.0e} points, flattened over all random dimensions")
    print(
        f"{'mapping':18} {'median':>9} {'99.9%':>9} {'max':>9} {'>1e-9':>8} {'|w*w_inv-1| max':>16}"
    )
    for label, mapping in cases:
        r = np.random.default_rng(7).random((size, mapping.dim))
        p, w = mapping.forward(r)
        keep = w > 0
        r_back, w_inv = mapping.inverse(p)
        delta = np.abs(r_back[keep] - r[keep]).ravel()
        closure = np.max(np.abs(w[keep] * w_inv[keep] - 1.0))
        print(
            f"{label:18} {np.median(delta):9.1e} {np.quantile(delta, 0.999):9.1e} {delta.max():9.1e} "
            f"{int((delta > 1e-9).sum()):8d} {closure:16.1e}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small version, under a minute")
    parser.add_argument("--volumes", action="store_true", help="phase-space volume table instead")
    parser.add_argument(
        "--roundtrip", action="store_true", help="round-trip accuracy table instead"
    )
    parser.add_argument("--jax-threads", type=int, default=1, help="XLA CPU threads (default 1)")
    args = parser.parse_args()
    if args.jax_threads == 1 and "XLA_FLAGS" not in os.environ:
        os.environ["XLA_FLAGS"] = (
            "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        )
    if args.volumes:
        volumes(args)
    elif args.roundtrip:
        roundtrip(args)
    else:
        throughput(args)


if __name__ == "__main__":
    main()
