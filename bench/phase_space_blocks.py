"""Phase-space building blocks and channel mappings: accuracy, volumes, throughput.

    .venv/bin/python bench/phase_space_blocks.py [--points N] [--roundtrip] [--volumes] [--throughput]

--roundtrip: |r - inverse(forward(r))| (median, 99.9th percentile, max; angles
compared on the circle) and |w * w_inv - 1| per mapping (invariants, luminosity,
two- and three-body blocks, the (s~, t) block, channel mappings of the test
topologies), N points each (default 1e6, in chunks of 1e5).
--volumes: mean weight / Phi_n (Eq. 81) of the pure t-channel, mixed and pure
s-channel channel mappings, massless n = 2..6 at sqrt(s) = 1 TeV, nu = 0.3 and 0.8
(--n, --nu select; --target 1e-4 samples each cell until that relative error, as
in the paper's Fig. 8 left: `--volumes --n 4 --nu 0.3 --target 1e-4`).
--throughput: forward and inverse events/s of channel mappings at batch 1e5 on
NumPy and JAX-jit (float64).
With no flag, all three. The topologies and setups are the test suite's own
(tests/phase_space/test_channels.py, test_two_body.py), so the numbers speak of
what the tests check. Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import array_api_compat.numpy as xp

from phase_space.channels import ChannelMapping
from phase_space.invariants import BreitWignerInvariant, FlatInvariant, PowerLawInvariant
from phase_space.luminosity import Luminosity
from phase_space.three_body import ThreeBodyDecay
from phase_space.two_body import DoubleInvariantBlock, TwoBodyDecay, TwoToTwoScattering
from tests.phase_space._helpers import random_momenta
from tests.phase_space.test_channels import CASES, mixed, phi_n, pure_s, pure_t
from tests.phase_space.test_two_body import double_invariant_setup, incoming

N = 1_000_000
CHUNK = 100_000
rows = []


def summarise(name, d, ratio):
    err = d.max(axis=1)
    dev = np.abs(ratio - 1)
    q = np.quantile
    rows.append(
        (
            name,
            q(err, 0.5),
            q(err, 0.999),
            err.max(),
            q(dev, 0.5),
            q(dev, 0.999),
            dev.max(),
            np.mean(err > 1e-9),
        )
    )
    name, *values = rows[-1]
    med, p999, top, w_med, w_p999, w_top, frac = values
    print(
        f"{name:28s} r: med {med:.1e}  p99.9 {p999:.1e}  max {top:.1e} | w*winv-1: med "
        f"{w_med:.1e} p99.9 {w_p999:.1e} max {w_top:.1e} | frac>1e-9 {frac:.1e}",
        flush=True,
    )


def run(name, one_chunk, periodic=()):
    ds, rs = [], []
    for k in range(N // CHUNK):
        rng = np.random.default_rng(1000 + k)
        r, r_back, w, w_inv = one_chunk(rng)
        d = np.abs(np.asarray(r_back) - r)
        for c in periodic:
            d[:, c] = np.minimum(d[:, c], 1 - d[:, c])
        ds.append(d)
        rs.append(np.asarray(w) * np.asarray(w_inv))
    summarise(name, np.concatenate(ds), np.concatenate(rs))


def invariant(mapping):
    def chunk(rng):
        r = rng.random(CHUNK)
        lo = rng.uniform(0, 1e4, CHUNK)
        hi = lo + rng.uniform(1.0, 1e6, CHUNK)
        x, w = mapping.forward(xp.asarray(r), xp.asarray(lo), xp.asarray(hi))
        rb, wi = mapping.inverse(x, xp.asarray(lo), xp.asarray(hi))
        return r[:, None], np.asarray(rb)[:, None], w, wi

    return chunk


def lumi_chunk(rng):
    lumi = Luminosity(13000.0, s_hat_min=100.0**2)
    r = rng.random((CHUNK, 2))
    x, w = lumi.forward(xp.asarray(r))
    rb, wi = lumi.inverse(x)
    return r, rb, w, wi


def decay_chunk(rng):
    r = rng.random((CHUNK, 2))
    p0, m0 = random_momenta(rng, CHUNK, 50.0, 1000.0, 300.0)
    m1, m2 = (rng.uniform(0, 0.45, CHUNK) * m0 for _ in range(2))
    p1, p2, w = TwoBodyDecay().forward(
        xp.asarray(r), xp.asarray(p0), xp.asarray(m1), xp.asarray(m2)
    )
    rb, wi = TwoBodyDecay().inverse(p1, p2)
    return r, rb, w, wi


def scattering_chunk(rng):
    r = rng.random((CHUNK, 2))
    pa, pb = incoming(rng, CHUNK, ma_sq_lo=-(300.0**2))
    s0 = (pa + pb)[:, 0] ** 2 - np.sum((pa + pb)[:, 1:] ** 2, 1)
    m1, m2 = (rng.uniform(0, 0.45, CHUNK) * np.sqrt(s0) for _ in range(2))
    block = TwoToTwoScattering()
    a = [xp.asarray(v) for v in (pa, pb, m1, m2)]
    p1, p2, w = block.forward(xp.asarray(r), *a)
    rb, wi = block.inverse(p1, p2, *a)
    return r, rb, w, wi


def double_chunk(rng):
    r = rng.random((CHUNK, 2))
    p_cluster, _, pa, p_next, m_i, s_prev = double_invariant_setup(rng, CHUNK)
    block = DoubleInvariantBlock()
    a = [xp.asarray(v) for v in (p_cluster, pa, p_next, m_i, s_prev)]
    p_i, p_prev, w = block.forward(xp.asarray(r), *a)
    rb, wi = block.inverse(p_i, p_prev, a[1], a[2], a[3])
    return r, rb, w, wi


def three_chunk(rng):
    r = rng.random((CHUNK, 5))
    p0, m0 = random_momenta(rng, CHUNK, 20.0, 1000.0, 300.0)
    masses = [xp.asarray(rng.uniform(0, 0.3, CHUNK) * m0) for _ in range(3)]
    block = ThreeBodyDecay()
    p1, p2, p3, w = block.forward(xp.asarray(r), xp.asarray(p0), *masses)
    rb, wi = block.inverse(p1, p2, p3, *masses)
    return r, rb, w, wi


def channel(topo):
    mapping = ChannelMapping(topo, 1000.0)

    def chunk(rng):
        r = rng.random((CHUNK, mapping.dim))
        p, w = mapping.forward(xp.asarray(r))
        rb, wi = mapping.inverse(p)
        return r, rb, w, wi

    return chunk, mapping.periodic_columns


def round_trips():
    print(f"== round trips, {N} points per mapping ==")
    run("FlatInvariant", invariant(FlatInvariant()))
    run("PowerLawInvariant nu=0.8", invariant(PowerLawInvariant(0.0, 0.8)))
    run("PowerLawInvariant nu=1 (log)", invariant(PowerLawInvariant(0.0, 1.0)))
    run("BreitWignerInvariant Z", invariant(BreitWignerInvariant(91.19, 2.5)))
    run("Luminosity 13 TeV", lumi_chunk)
    run("TwoBodyDecay", decay_chunk, (0,))
    run("TwoToTwoScattering", scattering_chunk, (0,))
    run("DoubleInvariantBlock", double_chunk, (0,))
    run("ThreeBodyDecay", three_chunk, (2, 3))
    for name in [
        "t4",
        "mixed4",
        "s4",
        "t6",
        "mixed6",
        "s6",
        "ttbar_decays",
        "ttbar_g",
        "three_body_leg",
    ]:
        chunk, periodic = channel(CASES[name])
        run(f"ChannelMapping {name}", chunk, periodic)


def volumes(nu: float, ns=range(2, 7), target: float | None = None) -> None:
    """Mean weight / Phi_n per topology and n: N points, or (with `target`) chunks
    of 1e5 until the relative MC error is below `target` (at most 50 N points)."""
    goal = f"until rel. error < {target:g}" if target else f"{N} points"
    print(f"== volumes: mean weight / Phi_n, massless, sqrt(s) = 1 TeV, {goal}, nu = {nu} ==")
    for kind, build in [("pure t", pure_t), ("mixed", mixed), ("pure s", pure_s)]:
        cells = []
        for n in ns:
            mapping = ChannelMapping(build(n), 1000.0, nu=nu)
            s1 = s2 = 0.0
            points = 0
            while True:
                rng = np.random.default_rng(50 + points // CHUNK)
                _, w = mapping.forward(xp.asarray(rng.random((CHUNK, mapping.dim))))
                d = np.asarray(w) / phi_n(n, 1000.0) - 1.0  # sums of w/Phi - 1: no cancellation
                s1 += d.sum()
                s2 += (d * d).sum()
                points += CHUNK
                shift = s1 / points
                err = math.sqrt(max(s2 / points - shift**2, 0.0) / points)
                if target is None and points >= N:
                    break
                if target is not None and (
                    (points >= 10 * CHUNK and err <= target) or points >= 50 * N
                ):
                    break
            suffix = f" ({points:.1e} pts)" if target else ""
            cells.append(f"{1.0 + shift:.5f} ± {err:.5f}{suffix}")
        print(f"{kind:8s} | " + " | ".join(cells), flush=True)


def throughput() -> None:
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    batch = 100_000
    print(f"== throughput, batch {batch}, events/s (best of 3) ==")
    for name in ["t4", "mixed4", "s4", "t6", "ttbar_decays", "ttbar_g"]:
        mapping = ChannelMapping(CASES[name], 1000.0)
        r = xp.asarray(np.random.default_rng(0).random((batch, mapping.dim)))
        p, _ = mapping.forward(r)
        fwd_jit, inv_jit = jax.jit(mapping.forward), jax.jit(mapping.inverse)
        r_jax = jnp.asarray(np.asarray(r))
        p_jax = fwd_jit(r_jax)[0].block_until_ready()
        rates = [
            batch / best_of(partial(mapping.forward, r)),
            batch / best_of(partial(mapping.inverse, p)),
            batch / best_of(partial(run_jax, fwd_jit, r_jax)),
            batch / best_of(partial(run_jax, inv_jit, p_jax)),
        ]
        print(
            f"{name:14s} numpy fwd {rates[0]:9.3g} inv {rates[1]:9.3g} | "
            f"jax-jit fwd {rates[2]:9.3g} inv {rates[3]:9.3g}",
            flush=True,
        )


def run_jax(function, x):
    """function(x) for a jitted JAX function, waiting until the device has finished."""
    import jax

    return jax.block_until_ready(function(x))


def best_of(call, repeats: int = 3) -> float:
    call()
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    global N
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--points", type=int, default=N, help="points per mapping (multiple of 1e5)"
    )
    parser.add_argument("--roundtrip", action="store_true")
    parser.add_argument("--volumes", action="store_true")
    parser.add_argument("--throughput", action="store_true")
    parser.add_argument(
        "--n", type=int, nargs="*", default=list(range(2, 7)), help="final-state multiplicities"
    )
    parser.add_argument(
        "--nu", type=float, nargs="*", default=[0.3, 0.8], help="power-law exponents"
    )
    parser.add_argument(
        "--target",
        type=float,
        default=None,
        help="volumes: sample until this relative MC error (e.g. 1e-4) instead of --points",
    )
    args = parser.parse_args()
    N = max(CHUNK, args.points // CHUNK * CHUNK)
    everything = not (args.roundtrip or args.volumes or args.throughput)
    t0 = time.time()
    if everything or args.roundtrip:
        round_trips()
    if everything or args.volumes:
        for nu in args.nu:
            volumes(nu, args.n, args.target)
    if everything or args.throughput:
        throughput()
    print(f"total {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
