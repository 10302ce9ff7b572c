"""Gradient throughput: |M|^2 alone versus |M|^2 with its gradients, in one run.

    .venv/bin/python bench/gradients.py [--process gg_ttx] [--batch 4096] [--repeats 5]
                                        [--cpu-time]

On one thread, double precision, on the library's own path (the widest SIMD
instruction set; the gradient passes run on the same lanes) and, in a child
process with REFME_SIMD=scalar, on the scalar path, measures evaluations per second
(momenta given in the UMAMI layout, so the host copies none) of: |M|^2 alone;
|M|^2 + d|M|^2/dp (all 4 npar components; reverse mode where the process offers
it); the same in forward mode (REFME_MOMENTUM_GRADIENT=forward); |M|^2 + d|M|^2/dm_t
alone (one dual direction); |M|^2 + the parameter gradient (every parameter the
library differentiates, one pass); and prints the ratios to |M|^2 alone. Then the
time from a fresh interpreter's ``import`` to the first jitted ``jax.grad`` of
|M|^2(RamboOnDiet(r)) (no compile step beyond the C++ build). Rounds are interleaved
so every variant sees the same load; the best round is shown. Not a test: nothing
here asserts on timing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np

import pyumami
import ref_me
from phase_space import RamboOnDiet

FIRST_GRAD = """
import time; t0 = time.perf_counter()
import jax, jax.numpy as jnp, numpy as np
jax.config.update("jax_enable_x64", True)
import pyumami, pyumami.jax, ref_me
from phase_space import RamboOnDiet
lib = pyumami.load(ref_me.library_path({process!r}), threads=1)
mapping = RamboOnDiet(lib.masses[2:], 1000.0)
me = pyumami.jax.wrap(lib, alpha_s=0.118)
f = jax.jit(jax.grad(lambda r: jnp.sum(me(mapping.forward(r)[0]))))
g = f(jnp.asarray(np.random.default_rng(0).uniform(0.1, 0.9, (64, mapping.dim))))
g.block_until_ready()
print(time.perf_counter() - t0)
"""


def forward_mode(run: Callable[[], object]) -> Callable[[], object]:
    """``run`` with the momentum gradient's forward-mode passes (the library reads
    REFME_MOMENTUM_GRADIENT at each call)."""

    def forward() -> object:
        before = os.environ.get("REFME_MOMENTUM_GRADIENT")
        os.environ["REFME_MOMENTUM_GRADIENT"] = "forward"
        try:
            return run()
        finally:
            if before is None:
                del os.environ["REFME_MOMENTUM_GRADIENT"]
            else:
                os.environ["REFME_MOMENTUM_GRADIENT"] = before

    return forward


def rates(process: str, batch: int, repeats: int, cpu_time: bool = False) -> dict[str, float]:
    with pyumami.load(ref_me.library_path(process), threads=1) as lib:
        mapping = RamboOnDiet(lib.masses[2:], 1000.0)
        p, _ = mapping.forward(np.random.default_rng(1).random((batch, mapping.dim)))
        # momenta already in the UMAMI call layout, so that no variant pays the host's
        # layout copy (~0.2 us per event, comparable to |M|^2 itself): the ratios are
        # those of the library's passes
        p = np.ascontiguousarray(p.transpose(2, 1, 0)).transpose(2, 1, 0)
        variants = {
            "ME": lambda: lib(p, alpha_s=0.118),
            "ME + dME/dp": lambda: lib.gradient(p, "momenta", alpha_s=0.118),
            "ME + dME/dp, fwd": forward_mode(lambda: lib.gradient(p, "momenta", alpha_s=0.118)),
            "ME + dME/dMT": lambda: lib.gradient(p, "MT", alpha_s=0.118),
            "ME + dME/dparams": lambda: lib.evaluate(
                p, alpha_s=0.118, outputs=("matrix_element", "parameter_gradient")
            ),
        }
        best = dict.fromkeys(variants, 0.0)
        clock = time.process_time if cpu_time else time.perf_counter
        for _ in range(repeats):
            for name, run in variants.items():
                start = clock()
                run()
                best[name] = max(best[name], batch / (clock() - start))
        return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--process", default="gg_ttx")
    parser.add_argument("--batch", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="rates from this process's CPU time instead of wall-clock time (one thread: "
        "the same on an idle machine, steadier on a loaded one)",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(repr(rates(args.process, args.batch, args.repeats, args.cpu_time)))
        return
    simd = rates(args.process, args.batch, args.repeats, args.cpu_time)
    scalar_run = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            "--process",
            args.process,
            "--batch",
            str(args.batch),
            "--repeats",
            str(args.repeats),
            *(["--cpu-time"] if args.cpu_time else []),
        ],
        env={**os.environ, "REFME_SIMD": "scalar"},
        capture_output=True,
        text=True,
        check=True,
    )
    scalar = eval(scalar_run.stdout.strip())  # noqa: S307 - our own child's repr of floats
    clock = "CPU time" if args.cpu_time else "wall-clock time"
    print(f"{args.process}, batch {args.batch}, 1 thread, double, best of {args.repeats} ({clock})")
    print(
        f"{'evaluation':<20} {'SIMD path /s':>14} {'ratio':>7} {'scalar path /s':>15} {'ratio':>7}"
    )
    for name in simd:
        print(
            f"{name:<20} {simd[name]:>14.3e} {simd['ME'] / simd[name]:>7.2f} "
            f"{scalar[name]:>15.3e} {scalar['ME'] / scalar[name]:>7.2f}"
        )
    print("(ratio: time per event relative to |M|^2 alone on the same path)")
    first = subprocess.run(
        [sys.executable, "-c", FIRST_GRAD.format(process=args.process)],
        capture_output=True,
        text=True,
        check=True,
    )
    print(f"import to first jitted jax.grad (fresh interpreter): {float(first.stdout):.2f} s")


if __name__ == "__main__":
    main()
