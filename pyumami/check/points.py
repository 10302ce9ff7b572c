"""Phase-space points, Lorentz transformations and on-shell paths for the checker's probes.

The points come from `phase_space.rambo.Rambo` (flat RAMBO) at a centre-of-mass
energy above the threshold of the library's masses; the transformations reuse the
batched boosts and rotations of `phase_space.kinematics`.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "NoPointsError",
    "default_sqrt_s",
    "move_on_shell",
    "on_shell_directions",
    "phase_space_points",
    "random_lorentz_transform",
]

#: floor of the default collision energy (GeV): above every SM threshold of interest
DEFAULT_SQRT_S_FLOOR = 1000.0


class NoPointsError(ValueError):
    """The checker cannot generate phase-space points for this library."""


def default_sqrt_s(masses: np.ndarray) -> float:
    """A collision energy (GeV) comfortably above the final-state threshold:
    max(1000 GeV, 2 x sum of final-state masses)."""
    return max(DEFAULT_SQRT_S_FLOOR, 2.0 * float(np.sum(masses[2:])))


def phase_space_points(masses: np.ndarray, sqrt_s: float, n: int, seed: int) -> np.ndarray:
    """n momenta (n, npar, 4) in GeV for a 2 -> npar-2 process with external
    `masses` (GeV, incoming first) at `sqrt_s` (GeV), from flat RAMBO with a fixed seed.

    Raises NoPointsError when the incoming particles are massive (RAMBO's beams are
    massless) or `sqrt_s` is not above the final-state threshold.
    """
    from phase_space.rambo import Rambo  # imported lazily: only physics probes need it

    masses = np.asarray(masses, dtype=np.float64)
    if np.any(masses[:2] != 0.0):
        raise NoPointsError(
            f"incoming masses {masses[:2].tolist()} GeV are not zero; the checker's RAMBO "
            "points have massless beams"
        )
    threshold = float(np.sum(masses[2:]))
    if not sqrt_s > threshold:
        raise NoPointsError(
            f"sqrt_s = {sqrt_s} GeV is not above the final-state threshold {threshold} GeV; "
            "pass a larger --sqrt-s"
        )
    rambo = Rambo([float(m) for m in masses[2:]], float(sqrt_s))
    rng = np.random.default_rng(seed)
    # keep clear of the edges where RAMBO's log(1 - r) and collinear limits live
    r = rng.uniform(0.02, 0.98, size=(n, rambo.dim))
    p, _ = rambo.forward(r)
    return np.ascontiguousarray(np.asarray(p, dtype=np.float64))


def random_lorentz_transform(
    p: np.ndarray, seed: int, *, along_beam: bool, max_beta: float = 0.6
) -> np.ndarray:
    """Apply to all momenta of each event (p of shape (n, npar, 4), GeV) one random
    boost of speed up to `max_beta` (units of c) followed by one random rotation;
    the transformation differs from event to event.

    along_beam=True boosts along the beam (z) axis, the direction of both incoming
    momenta; then the helicity states of massless vector bosons map onto each other
    and |M|^2 must be invariant even when the amplitude is not exactly gauge
    invariant (e.g. a width in a t-channel propagator, as MadGraph uses).
    along_beam=False boosts in a random direction: a fully general transformation.
    """
    from phase_space import kinematics as kin

    rng = np.random.default_rng(seed)
    n = p.shape[0]
    beta = rng.uniform(0.1, max_beta, size=n) * rng.choice([-1.0, 1.0], size=n)
    if along_beam:
        boosted = kin.boost_z_beta(p, beta[:, None])
    else:
        direction = rng.normal(size=(n, 3))
        direction /= np.linalg.norm(direction, axis=1, keepdims=True)
        gamma = 1.0 / np.sqrt(1.0 - beta**2)
        # a unit-mass frame momentum moving with velocity beta along `direction`
        frame = np.concatenate([gamma[:, None], (gamma * beta)[:, None] * direction], axis=1)
        boosted = kin.boost_from_rest(p, frame[:, None, :])
    cos_theta = rng.uniform(-1.0, 1.0, size=(n, 1))
    phi = rng.uniform(0.0, 2.0 * math.pi, size=(n, 1))
    return np.ascontiguousarray(kin.rotate_from_z(boosted, cos_theta, phi))


def on_shell_directions(momenta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Tangents (n, npar, 4) to the mass shells of every particle of momenta (n, npar, 4)
    (GeV, incoming first): a beam on the z axis is rescaled (it stays massless and on
    the axis), any other particle gets a random unit change of its three-momentum with
    dE = p . dp / E."""
    energy = momenta[..., 0]
    three = momenta[..., 1:]
    delta = rng.normal(size=three.shape)
    delta /= np.linalg.norm(delta, axis=-1, keepdims=True)
    tangent = np.concatenate(
        [np.sum(three * delta, axis=-1, keepdims=True) / energy[..., None], delta], axis=-1
    )
    on_axis = np.hypot(three[..., 0], three[..., 1]) <= 1e-12 * energy
    on_axis[:, 2:] = False
    return np.where(on_axis[..., None], momenta / energy[..., None], tangent)


def move_on_shell(momenta: np.ndarray, direction: np.ndarray, step: float) -> np.ndarray:
    """momenta moved by step (GeV) along their mass shells, tangent to ``direction``:
    the three-momenta shift linearly, the energies follow exactly."""
    mass_sq = momenta[..., 0] ** 2 - np.sum(momenta[..., 1:] ** 2, axis=-1)
    three = momenta[..., 1:] + step * direction[..., 1:]
    energy = np.sqrt(mass_sq + np.sum(three**2, axis=-1))
    return np.concatenate([energy[..., None], three], axis=-1)
