"""Assertions and inputs shared by several phase-space test modules."""

from __future__ import annotations

import numpy as np

from tests.phase_space.conftest import to_numpy


def check_physical(p, masses, sqrt_s: float, tolerance=1e-10) -> None:
    """Shape, beams, momentum conservation (1e-10 relative), on-shell masses, E > 0.

    tolerance (relative to sqrt_s) may be a per-event array (see `rambo_boost_gamma`).
    """
    tolerance = np.reshape(np.asarray(tolerance, dtype=float), (-1, 1))
    p = to_numpy(p)
    n = len(masses)
    assert p.shape[1:] == (n + 2, 4)
    assert np.all(np.isfinite(p))
    beams = np.array([[sqrt_s / 2, 0, 0, sqrt_s / 2], [sqrt_s / 2, 0, 0, -sqrt_s / 2]])
    np.testing.assert_allclose(
        p[:, :2], np.broadcast_to(beams, p[:, :2].shape), atol=1e-12 * sqrt_s
    )
    balance = p[:, 0] + p[:, 1] - p[:, 2:].sum(axis=1)
    assert np.all(np.abs(balance) <= tolerance * sqrt_s)
    out = p[:, 2:]
    m2 = out[..., 0] ** 2 - np.sum(out[..., 1:] ** 2, axis=-1)
    # rounding of the lab components is ~eps sqrt_s, also for a soft particle
    assert np.all(np.abs(m2 - np.asarray(masses) ** 2) / (out[..., 0] * sqrt_s) <= tolerance)
    assert np.all(out[..., 0] > 0.0)


def random_momenta(rng, n, mass_lo, mass_hi, p_scale):
    m = rng.uniform(mass_lo, mass_hi, n)
    p3 = rng.normal(scale=p_scale, size=(n, 3))
    e = np.sqrt(m**2 + np.sum(p3**2, 1))
    return np.concatenate([e[:, None], p3], 1), m


def rel_err(a, b):
    return np.max(np.abs(a - b)) / np.max(np.abs(b))


def periodic_diff(a, b, periodic_columns):
    """|a - b| with the given columns compared on the circle (angles: r = 0 and 1 coincide)."""
    d = np.abs(a - b)
    for c in periodic_columns:
        d[:, c] = np.minimum(d[:, c], 1.0 - d[:, c])
    return d


def kin_ms(p):
    return p[:, 0] ** 2 - np.sum(p[:, 1:] ** 2, 1)
