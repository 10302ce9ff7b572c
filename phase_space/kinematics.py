"""Batched Lorentz kinematics on the Python array API.

All functions take arrays of any namespace (NumPy, CuPy, JAX, PyTorch,
array_api_strict) and use only the array API standard. Four-momenta are arrays
whose last axis holds (E, px, py, pz) in GeV; every leading axis is a batch
axis. Angles are in radians, masses in GeV, squared masses and invariants in
GeV^2. Nothing here loops over events or branches on array values, so every
function is jit-able under JAX.
"""

from __future__ import annotations

import math
from typing import Any

import array_api_compat

from .protocols import Array

TWO_PI = 2.0 * math.pi


def namespace(*arrays: Array) -> Any:
    """The array-API namespace shared by `arrays` (array_api_compat wrapper)."""
    return array_api_compat.array_namespace(*arrays)


def four_vector(energy: Array, px: Array, py: Array, pz: Array) -> Array:
    """Stack components (GeV) of equal shape into four-momenta of shape (..., 4)."""
    xp = namespace(energy, px, py, pz)
    return xp.stack([energy, px, py, pz], axis=-1)


def minkowski_dot(p: Array, q: Array) -> Array:
    """Minkowski product p.q = E_p E_q - p.q (GeV^2), metric (+,-,-,-)."""
    return (
        p[..., 0] * q[..., 0]
        - p[..., 1] * q[..., 1]
        - p[..., 2] * q[..., 2]
        - p[..., 3] * q[..., 3]
    )


def mass_squared(p: Array) -> Array:
    """Invariant mass squared p^2 (GeV^2); negative for space-like p."""
    return minkowski_dot(p, p)


def mass(p: Array) -> Array:
    """Invariant mass sqrt(max(p^2, 0)) (GeV); space-like inputs give 0."""
    xp = namespace(p)
    return xp.sqrt(xp.clip(mass_squared(p), min=0.0))


def momentum_abs(p: Array) -> Array:
    """Modulus of the three-momentum |p| (GeV)."""
    xp = namespace(p)
    return xp.sqrt(p[..., 1] ** 2 + p[..., 2] ** 2 + p[..., 3] ** 2)


def kallen(x: Array, y: Array, z: Array) -> Array:
    """Källén function lambda(x, y, z) = (x - y - z)^2 - 4 y z (GeV^4 for GeV^2 inputs)."""
    return (x - y - z) ** 2 - 4.0 * y * z


def two_body_momentum(m: Array, m1: Array, m2: Array) -> Array:
    """|p| (GeV) of either daughter in the rest frame of a parent of mass m (GeV).

    |p| = sqrt(lambda(m^2, m1^2, m2^2)) / (2 m); clipped to 0 below threshold so
    that rounding at threshold never produces NaN.
    """
    xp = namespace(m, m1, m2)
    lam = kallen(m * m, m1 * m1, m2 * m2)
    return xp.sqrt(xp.clip(lam, min=0.0)) / (2.0 * m)


def momentum_from_angles(p_abs: Array, cos_theta: Array, phi: Array, m: Array) -> Array:
    """On-shell four-momentum (..., 4) from |p| (GeV), cos(theta), phi (rad), mass (GeV).

    E = sqrt(|p|^2 + m^2); theta is the polar angle to +z, phi the azimuth from +x.
    """
    xp = namespace(p_abs, cos_theta, phi, m)
    sin_theta = xp.sqrt(xp.clip(1.0 - cos_theta * cos_theta, min=0.0))
    energy = xp.sqrt(p_abs * p_abs + m * m)
    return four_vector(
        energy,
        p_abs * sin_theta * xp.cos(phi),
        p_abs * sin_theta * xp.sin(phi),
        p_abs * cos_theta,
    )


def direction_angles(p: Array) -> tuple[Array, Array]:
    """(cos theta, phi) of the three-momentum of p; phi in [0, 2 pi) radians.

    For |p| = 0 the direction is undefined and (1, 0) is returned.
    """
    xp = namespace(p)
    p_abs = momentum_abs(p)
    safe = xp.where(p_abs > 0.0, p_abs, xp.ones_like(p_abs))
    cos_theta = xp.where(p_abs > 0.0, p[..., 3] / safe, xp.ones_like(p_abs))
    cos_theta = xp.clip(cos_theta, min=-1.0, max=1.0)
    phi = xp.atan2(p[..., 2], p[..., 1])
    phi = xp.where(phi < 0.0, phi + TWO_PI, phi)
    return cos_theta, phi


def _sin_from_cos(xp: Any, cos_theta: Array) -> Array:
    return xp.sqrt(xp.clip(1.0 - cos_theta * cos_theta, min=0.0))


def rotate_from_z(p: Array, cos_theta: Array, phi: Array) -> Array:
    """Apply R(phi, theta) = R_z(phi) R_y(theta) (paper Eq. 40) to the 3-momentum of p.

    Takes the +z axis to the direction (theta, phi); the energy is unchanged.
    cos_theta and phi (rad) broadcast against p[..., 0].
    """
    xp = namespace(p, cos_theta, phi)
    sin_theta = _sin_from_cos(xp, cos_theta)
    cos_phi, sin_phi = xp.cos(phi), xp.sin(phi)
    vx, vy, vz = p[..., 1], p[..., 2], p[..., 3]
    wx = cos_theta * vx + sin_theta * vz
    wz = -sin_theta * vx + cos_theta * vz
    return xp.stack(
        [p[..., 0], cos_phi * wx - sin_phi * vy, sin_phi * wx + cos_phi * vy, wz],
        axis=-1,
    )


def rotate_to_z(p: Array, cos_theta: Array, phi: Array) -> Array:
    """Inverse of `rotate_from_z`: R_y(-theta) R_z(-phi), takes (theta, phi) to +z."""
    xp = namespace(p, cos_theta, phi)
    sin_theta = _sin_from_cos(xp, cos_theta)
    cos_phi, sin_phi = xp.cos(phi), xp.sin(phi)
    vx, vy, vz = p[..., 1], p[..., 2], p[..., 3]
    wx = cos_phi * vx + sin_phi * vy
    wy = -sin_phi * vx + cos_phi * vy
    return xp.stack(
        [p[..., 0], cos_theta * wx - sin_theta * vz, wy, sin_theta * wx + cos_theta * vz],
        axis=-1,
    )


def _boost(p: Array, q: Array, sign: float) -> Array:
    xp = namespace(p, q)
    m_q = xp.sqrt(mass_squared(q))
    e_q = q[..., 0]
    qx, qy, qz = sign * q[..., 1], sign * q[..., 2], sign * q[..., 3]
    q_dot_p = qx * p[..., 1] + qy * p[..., 2] + qz * p[..., 3]
    energy = (e_q * p[..., 0] + q_dot_p) / m_q
    # factor multiplying the boost direction; written with (E_q + m_q) in the
    # denominator to stay accurate for slow boosts.
    factor = (q_dot_p / (e_q + m_q) + p[..., 0]) / m_q
    return xp.stack(
        [energy, p[..., 1] + factor * qx, p[..., 2] + factor * qy, p[..., 3] + factor * qz],
        axis=-1,
    )


def boost_from_rest(p: Array, q: Array) -> Array:
    """Boost p, given in the rest frame of q, into the frame where q has its momentum.

    q must be time-like (q^2 > 0); p and q broadcast over the batch axes.
    """
    return _boost(p, q, 1.0)


def boost_to_rest(p: Array, q: Array) -> Array:
    """Boost p into the rest frame of the time-like momentum q (inverse of `boost_from_rest`)."""
    return _boost(p, q, -1.0)


def boost_z(p: Array, rapidity: Array) -> Array:
    """Boost p along +z by `rapidity` (dimensionless); negative rapidity boosts along -z."""
    xp = namespace(p, rapidity)
    ch, sh = xp.cosh(rapidity), xp.sinh(rapidity)
    return xp.stack(
        [
            ch * p[..., 0] + sh * p[..., 3],
            p[..., 1],
            p[..., 2],
            sh * p[..., 0] + ch * p[..., 3],
        ],
        axis=-1,
    )


def boost_z_beta(p: Array, beta: Array) -> Array:
    """Boost p along +z with velocity beta (|beta| < 1, units of c)."""
    xp = namespace(p, beta)
    return boost_z(p, xp.atanh(beta))


def broadcast_like(xp: Any, value: Array, like: Array) -> Array:
    """A Python number or array as a float64 array broadcast to the shape of `like`."""
    return xp.asarray(value, dtype=xp.float64) + xp.zeros_like(like)


def boost_components_with_mass(
    p: tuple[Array, Array, Array, Array],
    q: tuple[Array, Array, Array, Array],
    m_q: Array,
    sign: float = 1.0,
) -> tuple[Array, Array, Array, Array]:
    """`boost_from_rest` (sign = +1) / `boost_to_rest` (-1) with the mass m_q of q given.

    For a fast parent, sqrt(E^2 - |q|^2) loses digits (relative error ~ eps E^2 / m^2),
    which breaks momentum conservation of chained decays; a known mass avoids that.
    p and q are (E, px, py, pz) tuples of equal-shape arrays (GeV), m_q broadcasts
    against them; returns the boosted (E, px, py, pz). Working on separate components
    avoids stacking and strided reads in long decay chains.
    """
    e_q = q[0]
    qx, qy, qz = sign * q[1], sign * q[2], sign * q[3]
    q_dot_p = qx * p[1] + qy * p[2] + qz * p[3]
    energy = (e_q * p[0] + q_dot_p) / m_q
    factor = (q_dot_p / (e_q + m_q) + p[0]) / m_q
    return energy, p[1] + factor * qx, p[2] + factor * qy, p[3] + factor * qz
