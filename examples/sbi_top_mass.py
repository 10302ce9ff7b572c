"""Score of the top mass for simulation-based inference, and a maximum-likelihood fit.

For g g -> t t~ at a fixed partonic energy sqrt(s-hat), an event is x = (cos theta,
phi) of the top in the partonic frame and

    p(x | m_t) = (1 / sigma(m_t)) d sigma / dx,
    d sigma / dx = |M|^2(p(x; m_t); m_t) dPhi_2/dx (m_t) / (2 s-hat),
    sigma(m_t)  = integral of d sigma / dx over x (Gauss-Legendre in cos theta x
                  periodic trapezoid in phi).

The momenta p(x; m_t) come from `phase_space.TwoBodyDecay` in JAX at the top mass
m_t, so the score

    t(x | m_t) = d/dm_t log p(x | m_t)

is the total derivative: the library's parameter gradient d|M|^2/dMT at fixed
momenta, plus its momentum gradient chained through the mapping, plus the
derivative of the phase-space factor, minus d log sigma / dm_t. JAX assembles it
from `pyumami.jax.wrap`; it never traces the matrix element itself.

The example generates unweighted events at a known mass (accept-reject on
d sigma / dx, in batches), checks that the score has mean zero there, solves the
likelihood equation sum_i t(x_i | m) = 0 by Fisher scoring, and compares the fit
with the true mass through its error 1 / sqrt(N I(m)), I(m) = E[t^2] the Fisher
information per event.

    python examples/sbi_top_mass.py --small       # 1000 events, about 15 s
    python examples/sbi_top_mass.py               # 20000 events, minutes
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

import pyumami
import pyumami.jax
import ref_me
from phase_space import TwoBodyDecay

jax.config.update("jax_enable_x64", True)

#: 1 GeV^-2 in pb
GEV2_TO_PB = 3.893793721e8
TWO_PI = 2.0 * math.pi


@dataclasses.dataclass(frozen=True)
class FitResult:
    """What the example measured; masses and errors in GeV."""

    true_mass: float
    events: int
    sigma_pb: float
    #: mean score of the sample at the true mass and its statistical error, 1/GeV
    sample_mean_score: float
    sample_mean_score_error: float
    #: largest relative difference of the score against central differences of log p
    score_vs_finite_differences: float
    fitted_mass: float
    error: float
    #: N Var(t) and N E[t^2] (quadrature) at the fitted mass, GeV^-2
    observed_information: float
    expected_information: float
    iterations: int

    @property
    def pull(self) -> float:
        return (self.fitted_mass - self.true_mass) / self.error

    @property
    def score_pull(self) -> float:
        return self.sample_mean_score / self.sample_mean_score_error


class Statistics(NamedTuple):
    """What one evaluation of the model gives for a batch of events at one mass."""

    #: log p(x | m_t), p per unit cos theta per radian, (n,)
    log_density: jax.Array
    #: t(x | m_t) in 1/GeV, (n,)
    score: jax.Array
    #: Fisher information per event I(m_t) = E[t^2] by quadrature, GeV^-2
    information: jax.Array
    #: sigma(m_t) in pb
    sigma: jax.Array


class TopMassModel:
    """p(x | m_t) of g g -> t t~ at fixed sqrt(s-hat), and its score.

    Args:
        library: a loaded g g -> t t~ library with the gradient outputs (MT).
        sqrt_s: partonic centre-of-mass energy, GeV.
        alpha_s: strong coupling (cancels in p, kept for sigma in pb).
        nodes: Gauss-Legendre nodes in cos theta of the sigma quadrature.
    """

    def __init__(
        self, library: Any, sqrt_s: float, alpha_s: float = 0.118, nodes: int = 48
    ) -> None:
        self.sqrt_s = sqrt_s
        me = pyumami.jax.wrap(library, parameters=("MT",), alpha_s=alpha_s)
        decay = TwoBodyDecay()
        e_beam = 0.5 * sqrt_s
        beams = jnp.asarray([[e_beam, 0.0, 0.0, e_beam], [e_beam, 0.0, 0.0, -e_beam]])
        parent = jnp.asarray([sqrt_s, 0.0, 0.0, 0.0])

        def dsigma(mt: jax.Array, x: jax.Array) -> jax.Array:
            """d sigma / d cos theta d phi (pb) at top mass mt (GeV), x of shape (n, 2)."""
            r = jnp.stack([x[:, 1] / TWO_PI, 0.5 * (x[:, 0] + 1.0)], axis=-1)
            p0 = jnp.broadcast_to(parent, (x.shape[0], 4))
            top, antitop, w = decay.forward(r, p0, mt, mt)
            momenta = jnp.concatenate(
                [jnp.broadcast_to(beams, (x.shape[0], 2, 4)), top[:, None], antitop[:, None]],
                axis=1,
            )
            # w: dPhi_2 / dr without the (2 pi)^-2 of the full phase space; dr = dx / (4 pi)
            phase_space = w / (TWO_PI**2 * 4.0 * math.pi)
            return me(momenta, mt[None]) * phase_space / (2.0 * sqrt_s**2) * GEV2_TO_PB

        cos_nodes, cos_weights = np.polynomial.legendre.leggauss(nodes)
        phi_nodes = np.arange(4) * (TWO_PI / 4)  # |M|^2 of unpolarised beams is phi-flat
        grid = np.stack(np.meshgrid(cos_nodes, phi_nodes, indexing="ij"), -1).reshape(-1, 2)
        grid_weights = jnp.asarray(np.repeat(cos_weights, 4) * (TWO_PI / 4))

        def log_dsigma_one(mt: jax.Array, x: jax.Array) -> jax.Array:
            return jnp.log(dsigma(mt, x[None, :])[0])

        # one library call per batch: value and gradients together (custom_vjp forward)
        log_dsigma_and_derivative = jax.vmap(jax.value_and_grad(log_dsigma_one), in_axes=(None, 0))

        def statistics(mt: jax.Array, x: jax.Array) -> Statistics:
            n = x.shape[0]
            log_f, d_log_f = log_dsigma_and_derivative(mt, jnp.concatenate([x, grid]))
            f_grid = jnp.exp(log_f[n:])
            sigma = jnp.sum(grid_weights * f_grid)
            d_sigma = jnp.sum(grid_weights * f_grid * d_log_f[n:])
            t = d_log_f - d_sigma / sigma
            p_grid = f_grid / sigma
            return Statistics(
                log_f[:n] - jnp.log(sigma),
                t[:n],
                jnp.sum(grid_weights * p_grid * t[n:] ** 2),
                sigma,
            )

        def log_density(mt: jax.Array, x: jax.Array) -> jax.Array:
            sigma = jnp.sum(grid_weights * dsigma(mt, jnp.asarray(grid)))
            return jnp.log(dsigma(mt, x)) - jnp.log(sigma)

        self.dsigma: Callable[[jax.Array, jax.Array], jax.Array] = jax.jit(dsigma)
        self._statistics = jax.jit(statistics)
        self._log_density = jax.jit(log_density)

    def statistics(self, x: np.ndarray, mt: float) -> Statistics:
        """log p(x | mt), the score t(x | mt) and the quadrature's I(mt) and sigma,
        for events x of shape (n, 2): one library call with gradients."""
        return self._statistics(jnp.asarray(mt, jnp.float64), jnp.asarray(x))

    def log_density(self, x: np.ndarray, mt: float) -> np.ndarray:
        """log p(x | mt) from value-only library calls (p per unit cos theta per radian)."""
        return np.asarray(self._log_density(jnp.asarray(mt, jnp.float64), jnp.asarray(x)))

    def sample(self, mt: float, n: int, rng: np.random.Generator, batch: int = 4096) -> np.ndarray:
        """n unweighted events (n, 2) at top mass mt: accept-reject on d sigma / dx
        against a bound from the cos theta grid, one vectorised batch at a time."""
        m = jnp.asarray(mt, jnp.float64)
        edges = np.stack([np.linspace(-1.0, 1.0, batch), np.zeros(batch)], -1)
        bound = 1.2 * float(np.max(np.asarray(self.dsigma(m, jnp.asarray(edges)))))
        accepted: list[np.ndarray] = []
        total = 0
        while total < n:
            x = np.stack([rng.uniform(-1.0, 1.0, batch), rng.uniform(0.0, TWO_PI, batch)], -1)
            f = np.asarray(self.dsigma(m, jnp.asarray(x)))
            if np.any(f > bound):
                raise RuntimeError(
                    f"d sigma / dx exceeds the accept-reject bound {bound:.4g} pb; raise its margin"
                )
            keep = x[rng.uniform(0.0, bound, batch) < f]
            accepted.append(keep)
            total += keep.shape[0]
        return np.concatenate(accepted)[:n]


def fit_mass(
    model: TopMassModel, x: np.ndarray, start: float, tolerance: float = 1e-3, max_steps: int = 20
) -> tuple[float, Statistics, int]:
    """The root of sum_i t(x_i | m) by Fisher scoring, m <- m + S(m) / (N I(m)),
    stopped when the step is below ``tolerance`` times the error 1 / sqrt(N I).

    Returns (fitted mass in GeV, the statistics at it, steps)."""
    m = start
    n = x.shape[0]
    for step in range(1, max_steps + 1):
        stats = model.statistics(x, m)
        information = n * float(stats.information)
        delta = float(jnp.sum(stats.score)) / information
        m += delta
        if abs(delta) < tolerance / math.sqrt(information):
            return m, model.statistics(x, m), step
    raise RuntimeError(f"Fisher scoring did not converge in {max_steps} steps (last m = {m})")


def score_vs_finite_differences(
    model: TopMassModel, x: np.ndarray, stats: Statistics, mt: float, h: float = 1e-3
) -> float:
    """Largest difference between the score t(x | mt) of ``stats`` and central
    differences of log p (value-only library calls at mt +- h GeV), relative to the
    score's spread."""
    fd = (model.log_density(x, mt + h) - model.log_density(x, mt - h)) / (2.0 * h)
    return float(np.max(np.abs(np.asarray(stats.score) - fd)) / np.std(fd))


def run(
    events: int = 20000,
    true_mass: float = 173.0,
    sqrt_s: float = 400.0,
    seed: int = 1,
    start: float = 170.0,
    nodes: int = 48,
) -> FitResult:
    """Generate, check the score, fit; every number of the printout."""
    lib = pyumami.load(ref_me.library_path("gg_ttx"), threads=1)
    model = TopMassModel(lib, sqrt_s, nodes=nodes)
    x = model.sample(true_mass, events, np.random.default_rng(seed))
    at_truth = model.statistics(x, true_mass)
    t_true = np.asarray(at_truth.score)
    fitted, at_fit, steps = fit_mass(model, x, start)
    return FitResult(
        true_mass=true_mass,
        events=events,
        sigma_pb=float(at_truth.sigma),
        sample_mean_score=float(np.mean(t_true)),
        sample_mean_score_error=float(np.std(t_true) / math.sqrt(events)),
        score_vs_finite_differences=score_vs_finite_differences(model, x, at_truth, true_mass),
        fitted_mass=fitted,
        error=1.0 / math.sqrt(events * float(at_fit.information)),
        observed_information=float(events * np.var(np.asarray(at_fit.score))),
        expected_information=events * float(at_fit.information),
        iterations=steps,
    )


def report(result: FitResult, sqrt_s: float, seconds: float) -> str:
    r = result
    return "\n".join(
        [
            f"g g -> t t~ at sqrt(s-hat) = {sqrt_s:g} GeV, {r.events} events at "
            f"m_t = {r.true_mass:g} GeV (sigma = {r.sigma_pb:.4g} pb)",
            f"score vs central differences of log p: max deviation "
            f"{r.score_vs_finite_differences:.1e} (relative to its spread)",
            f"E[t] at the true mass: {r.sample_mean_score:.3e} +- "
            f"{r.sample_mean_score_error:.3e} /GeV "
            f"({r.score_pull:+.2f} sigma)",
            f"Fisher information: expected N E[t^2] = {r.expected_information:.4g} /GeV^2, "
            f"observed N Var(t) = {r.observed_information:.4g} /GeV^2",
            f"fit: m_t = {r.fitted_mass:.2f} +- {r.error:.2f} GeV "
            f"({r.iterations} Fisher-scoring steps), pull {r.pull:+.2f}",
            f"({seconds:.1f} s)",
        ]
    )


def main(argv: Sequence[str] | None = None) -> FitResult:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=20000, help="pseudo-data events")
    parser.add_argument("--mass", type=float, default=173.0, help="true top mass, GeV")
    parser.add_argument("--sqrt-s", type=float, default=400.0, help="sqrt(s-hat), GeV")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--small", action="store_true", help="1000 events, coarser quadrature")
    args = parser.parse_args(argv)
    events, nodes = (1000, 16) if args.small else (args.events, 48)
    began = time.perf_counter()
    result = run(events, args.mass, args.sqrt_s, args.seed, nodes=nodes)
    print(report(result, args.sqrt_s, time.perf_counter() - began))
    return result


if __name__ == "__main__":
    main()
