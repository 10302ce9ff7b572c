"""Helpers shared by the tests: momenta for the toy fixtures and the 2 -> 2 processes."""

from __future__ import annotations

import numpy as np

__all__ = ["mandelstam", "two_body_events", "two_to_two"]


def two_to_two(n: int, seed: int = 0, sqrt_s: float = 1000.0, boost: float = 0.0) -> np.ndarray:
    """Massless 2 -> 2 momenta (n, 4, 4) at random angles, optionally boosted along z
    with rapidity ``boost``."""
    rng = np.random.default_rng(seed)
    e = sqrt_s / 2
    cos_t = rng.uniform(-0.95, 0.95, n)
    sin_t = np.sqrt(1 - cos_t**2)
    phi = rng.uniform(0, 2 * np.pi, n)
    p = np.zeros((n, 4, 4))
    p[:, 0] = [e, 0, 0, e]
    p[:, 1] = [e, 0, 0, -e]
    p[:, 2] = np.stack(
        [np.full(n, e), e * sin_t * np.cos(phi), e * sin_t * np.sin(phi), e * cos_t], -1
    )
    p[:, 3, 0] = e
    p[:, 3, 1:] = -p[:, 2, 1:]
    if boost:
        ch, sh = np.cosh(boost), np.sinh(boost)
        energy, pz = p[..., 0].copy(), p[..., 3].copy()
        p[..., 0], p[..., 3] = ch * energy + sh * pz, sh * energy + ch * pz
    return p


def mandelstam(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    def sq(k):
        return k[..., 0] ** 2 - k[..., 1] ** 2 - k[..., 2] ** 2 - k[..., 3] ** 2

    return sq(p[:, 0] + p[:, 1]), sq(p[:, 0] - p[:, 2]), sq(p[:, 0] - p[:, 3])


def two_body_events(masses, n: int, sqrt_s: float, seed: int) -> np.ndarray:
    """On-shell 2 -> 2 momenta (n, 4, 4) for the given four masses (GeV) in the
    centre-of-mass frame, with isotropic random final-state directions."""
    m1, m2, m3, m4 = (float(m) for m in masses)
    rng = np.random.default_rng(seed)
    s = sqrt_s**2

    def momentum(ma, mb):  # two-body break-up momentum
        return np.sqrt((s - (ma + mb) ** 2) * (s - (ma - mb) ** 2)) / (2 * sqrt_s)

    p_in, p_out = momentum(m1, m2), momentum(m3, m4)
    cos_t = rng.uniform(-1, 1, n)
    sin_t = np.sqrt(1 - cos_t**2)
    phi = rng.uniform(0, 2 * np.pi, n)
    p = np.zeros((n, 4, 4))
    p[:, 0] = [np.hypot(p_in, m1), 0, 0, p_in]
    p[:, 1] = [np.hypot(p_in, m2), 0, 0, -p_in]
    direction = np.stack([sin_t * np.cos(phi), sin_t * np.sin(phi), cos_t], axis=-1)
    p[:, 2, 0] = np.hypot(p_out, m3)
    p[:, 2, 1:] = p_out * direction
    p[:, 3, 0] = np.hypot(p_out, m4)
    p[:, 3, 1:] = -p_out * direction
    return p
