"""Force matching (MadJax, Sec. 3.2) in its simplest form: fit a small model to
log |M|^2 on the hypercube of a phase-space mapping with and without the
matrix element's gradients, for the same number of matrix-element calls.

Process: g g -> t t~ at sqrt(s) = 1 TeV (strongly forward-backward peaked), the
point from `phase_space.RamboOnDiet` of two hypercube coordinates r in [0, 1)^2;
`pyumami.jax.matrix_element` gives |M|^2(r) and d|M|^2/dr from the library's
gradient outputs. The model is a tiny MLP (2 -> 32 -> 32 -> 1, tanh) trained by
full-batch Adam on N points, once on the values only (mean squared error of
log |M|^2) and once with the Sobolev loss that adds the squared error of
d log|M|^2 / dr. Each ME call gives one value and its gradient, so both fits
cost the same N calls; the held-out loss is the mean squared error of the values
on 4096 other points. Several seeds (training points and initial weights).

    python examples/force_matching.py --small    # 3 seeds, 16 calls, about 10 s
    python examples/force_matching.py            # 5 seeds x 4 budgets, about 1 min
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.example_libraries import optimizers

import pyumami
import pyumami.jax
import ref_me
from phase_space import RamboOnDiet

jax.config.update("jax_enable_x64", True)

SQRT_S = 1000.0  # GeV
ALPHA_S = 0.118
HIDDEN = 32
STEPS = 2000
LEARNING_RATE = 3e-3
TEST_POINTS = 4096


@dataclasses.dataclass(frozen=True)
class Comparison:
    """Held-out mean squared error of standardised log |M|^2 per seed, for one budget."""

    calls: int
    seeds: tuple[int, ...]
    value_only: tuple[float, ...]
    with_gradient: tuple[float, ...]

    @property
    def mean_value_only(self) -> float:
        return float(np.mean(self.value_only))

    @property
    def mean_with_gradient(self) -> float:
        return float(np.mean(self.with_gradient))

    @property
    def wins(self) -> int:
        """Seeds where the gradient term lowered the held-out loss."""
        return int(np.sum(np.asarray(self.with_gradient) < np.asarray(self.value_only)))


def init_mlp(key: jax.Array, sizes: Sequence[int]) -> list[tuple[jax.Array, jax.Array]]:
    """Weights and biases of an MLP with Glorot-scaled normal weights."""
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        key, sub = jax.random.split(key)
        scale = jnp.sqrt(2.0 / (fan_in + fan_out))
        layers.append((scale * jax.random.normal(sub, (fan_in, fan_out)), jnp.zeros(fan_out)))
    return layers


def mlp(params: list[tuple[jax.Array, jax.Array]], r: jax.Array) -> jax.Array:
    """The model at one point r of shape (dim,) in [0, 1): a scalar."""
    h = 2.0 * r - 1.0
    for w, b in params[:-1]:
        h = jnp.tanh(h @ w + b)
    w, b = params[-1]
    return (h @ w + b)[0]


@jax.jit
def train(
    key: jax.Array, r: jax.Array, y: jax.Array, dy: jax.Array, gradient_weight: jax.Array
) -> list[tuple[jax.Array, jax.Array]]:
    """Full-batch Adam on the value loss plus ``gradient_weight`` (0: value only,
    1: Sobolev) times the gradient loss; compiled once per training-set size."""
    params = init_mlp(key, (r.shape[1], HIDDEN, HIDDEN, 1))
    value = jax.vmap(mlp, in_axes=(None, 0))
    slope = jax.vmap(jax.grad(mlp, argnums=1), in_axes=(None, 0))

    def loss(p: Any) -> jax.Array:
        value_term = jnp.mean((value(p, r) - y) ** 2)
        gradient_term = jnp.mean(jnp.sum((slope(p, r) - dy) ** 2, axis=1))
        return value_term + gradient_weight * gradient_term

    opt_init, opt_update, get_params = optimizers.adam(LEARNING_RATE)

    def step(i: int, state: Any) -> Any:
        return opt_update(i, jax.grad(loss)(get_params(state)), state)

    return get_params(jax.lax.fori_loop(0, STEPS, step, opt_init(params)))


class Target:
    """log |M|^2 of g g -> t t~ on the RamboOnDiet hypercube, standardised by the
    mean and spread of a fixed reference sample (so losses of different budgets
    compare)."""

    def __init__(self, library: Any) -> None:
        self.mapping = RamboOnDiet(library.masses[2:], SQRT_S)
        self.library = library
        self.with_gradient = pyumami.jax.matrix_element(library, SQRT_S, alpha_s=ALPHA_S)
        reference = np.log(self.values(np.random.default_rng(12345).random((TEST_POINTS, 2))))
        self.mean, self.scale = float(np.mean(reference)), float(np.std(reference))

    def values(self, r: np.ndarray) -> np.ndarray:
        """|M|^2 at hypercube points r (n, 2): value-only library calls."""
        p, _ = self.mapping.forward(r)
        return self.library(p, alpha_s=ALPHA_S)

    def standardised(self, r: np.ndarray) -> tuple[jax.Array, jax.Array]:
        """(y, dy/dr) of y = (log |M|^2 - mean) / scale: one ME call per point."""
        me, grads = self.with_gradient({}, jnp.asarray(r))
        y = (jnp.log(me) - self.mean) / self.scale
        return y, grads["coords"] / (me[:, None] * self.scale)


def compare(target: Target, calls: int, seeds: Sequence[int]) -> Comparison:
    """Value-only against value + gradient training for each seed, at `calls` ME calls."""
    test_r = np.random.default_rng(999).random((TEST_POINTS, 2))
    test_y = (np.log(target.values(test_r)) - target.mean) / target.scale
    predict = jax.jit(jax.vmap(mlp, in_axes=(None, 0)))
    losses: dict[bool, list[float]] = {False: [], True: []}
    for seed in seeds:
        r = np.random.default_rng(seed).random((calls, 2))
        y, dy = target.standardised(r)
        key = jax.random.PRNGKey(seed)
        for use_gradient in (False, True):
            params = train(key, jnp.asarray(r), y, dy, jnp.asarray(float(use_gradient)))
            error = np.asarray(predict(params, jnp.asarray(test_r))) - test_y
            losses[use_gradient].append(float(np.mean(error**2)))
    return Comparison(calls, tuple(seeds), tuple(losses[False]), tuple(losses[True]))


def report(results: Sequence[Comparison], seconds: float) -> str:
    lines = [
        f"g g -> t t~ at sqrt(s) = {SQRT_S:g} GeV, MLP 2-{HIDDEN}-{HIDDEN}-1, "
        f"{STEPS} Adam steps; held-out MSE of standardised log|M|^2 on {TEST_POINTS} points",
        f"{'ME calls':>8}  {'value only':>12}  {'+ gradient':>12}  {'ratio':>6}  seeds won",
    ]
    for c in results:
        lines.append(
            f"{c.calls:>8}  {c.mean_value_only:>12.3e}  {c.mean_with_gradient:>12.3e}  "
            f"{c.mean_with_gradient / c.mean_value_only:>6.3f}  {c.wins}/{len(c.seeds)}"
        )
    lines.append(f"({seconds:.1f} s)")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> list[Comparison]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds")
    parser.add_argument("--calls", type=int, nargs="+", default=[8, 16, 32, 64])
    parser.add_argument("--small", action="store_true", help="3 seeds, 16 calls")
    args = parser.parse_args(argv)
    seeds, budgets = (range(3), [16]) if args.small else (range(args.seeds), args.calls)
    began = time.perf_counter()
    lib = pyumami.load(ref_me.library_path("gg_ttx"), threads=1)
    target = Target(lib)
    results = [compare(target, calls, tuple(seeds)) for calls in budgets]
    print(report(results, time.perf_counter() - began))
    return results


if __name__ == "__main__":
    main()
