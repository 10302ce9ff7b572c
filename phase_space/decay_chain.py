"""The chain of 1 -> 2 decays shared by RamboOnDiet and FastRambo (MadSpace Sec. 2.3).

Q -> p_1 + Q_2, Q_2 -> p_2 + Q_3, ..., Q_{n-1} -> p_{n-1} + p_n, with the intermediate
masses drawn through a map of one random number each (Eqs. 55-61), and the massive
reweighting of Eqs. 68-69. `DecayChainRambo` holds everything but that mass map, which
its subclasses define (`phase_space.rambo.RamboOnDiet`, `phase_space.fast_rambo.FastRambo`).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from . import kinematics as kin
from .protocols import Array
from .validation import (
    as_scalar,
    below_one,
    check_final_state,
    check_momenta,
    check_randoms,
    concrete_float,
)


def two_body_density(m0: Array, m1: Array, m2: Array) -> Array:
    """rho(m0, m1, m2) = sqrt(lambda(m0^2, m1^2, m2^2)) / (8 m0^2) of Eq. 55 (dimensionless)."""
    return kin.two_body_momentum(m0, m1, m2) / (4.0 * m0)


class DecayChainRambo(ABC):
    """Base of RamboOnDiet and FastRambo: Q -> p_1 + Q_2, Q_2 -> p_2 + Q_3, ..., Q_{n-1} -> p_{n-1} + p_n.

    Random-number layout (3 n - 4 per event; the same as MadSpace's FastRambo):
    for each decay step i = 1 .. n - 1 the pair (r_cos, r_phi) of p_i's direction in
    the rest frame of Q_i (axes parallel to the centre-of-mass axes, reached by a
    pure boost; cos(theta) = 2 r_cos - 1, phi = 2 pi r_phi - pi), followed, for
    i < n - 1, by the random number of the next intermediate mass M_{i+1}:
    [cos_1, phi_1, m_2, cos_2, phi_2, m_3, ..., cos_{n-1}, phi_{n-1}].

    Subclasses define how the mass random number maps onto y_i = u_i^(2k),
    k = n - i (Eq. 60), by `_y_from_r(r, k) -> (y, dr/dy)` and `_r_from_y(y, k) ->
    (r, dr/dy)`. With K_i the masses of the massless chain (K_1 = sqrt(s) - sum m,
    K_i = u_2 ... u_i K_1) the massive masses are M_i = K_i + sum_{j>=i} m_j
    (Eq. 69) and the weight carries the reweighting of Eq. 68.
    """

    _name = "DecayChainRambo"

    def __init__(self, masses: Sequence[float], sqrt_s: float) -> None:
        self.masses = check_final_state(masses, sqrt_s, self._name)
        self.sqrt_s = sqrt_s
        self.n = len(self.masses)
        #: random numbers per event: 3 n - 4
        self.dim = 3 * self.n - 4
        self.massless = all(concrete_float(m) == 0.0 for m in self.masses)

    # Column of each random number in r.
    def _cos_column(self, i: int) -> int:
        return 3 * (i - 1)

    def _phi_column(self, i: int) -> int:
        return 3 * (i - 1) + 1

    def _mass_column(self, i: int) -> int:
        """Column of the random number of M_i, i = 2 .. n - 1."""
        return 3 * (i - 2) + 2

    @abstractmethod
    def _y_from_r(self, r: Array, k: int) -> tuple[Array, Array]:
        """(y, dr/dy) for the mass random number r of step k = n - i."""

    @abstractmethod
    def _r_from_y(self, y: Array, k: int) -> tuple[Array, Array]:
        """(r, dr/dy) for y = u^(2k) of step k = n - i."""

    def _tails(self) -> list[float | Any]:
        """sum_{j >= i} m_j for i = 1 .. n (index i - 1)."""
        tails = []
        acc = 0.0
        for m in reversed(self.masses):
            acc = acc + m
            tails.append(acc)
        return tails[::-1]

    def _weight(
        self, xp: Any, k_masses: list[Array], m_chain: list[Array], mass_factor: Array
    ) -> Array:
        """Phase-space weight from the chain masses and the product of y-Jacobian factors.

        mass_factor is prod_i (k + 1)(1 - y_i^(1/k)) / (dr_i/dy_i), which is 1 for
        RamboOnDiet and the w_n(r) of Eq. 67 for FastRambo.
        """
        n = self.n
        k1 = k_masses[0]
        norm = (4.0 * math.pi) ** (n - 1) * (2.0 * math.pi) ** (4 - 3 * n)
        norm = norm / (8.0 ** (n - 1) * math.gamma(n) * math.gamma(n - 1))
        weight = norm * k1 ** (2 * n - 4) * mass_factor
        if not self.massless:
            for i in range(2, n + 1):
                massive = two_body_density(m_chain[i - 2], m_chain[i - 1], self._mass(xp, i - 1))
                # rho(K_{i-1}, K_i, 0) = (1 - (K_i/K_{i-1})^2) / 8 in the massless chain
                ratio = k_masses[i - 1] / k_masses[i - 2]
                weight = weight * massive * 8.0 / (1.0 - ratio * ratio)
            for i in range(2, n):
                weight = weight * m_chain[i - 1] / k_masses[i - 1]
        return weight

    def _mass(self, xp: Any, i: int) -> Array:
        """Final-state mass m_i (GeV), i = 1 .. n, as a 0-d array."""
        return as_scalar(xp, self.masses[i - 1])

    def forward(self, r: Array) -> tuple[Array, Array]:
        """Momenta (batch, 2 + n, 4) in GeV and weights (batch,) from r of shape (batch, 3 n - 4)."""
        xp, r = check_randoms(r, self.dim, self._name)
        n = self.n
        sqrt_s = as_scalar(xp, self.sqrt_s)
        tails = [as_scalar(xp, t) for t in self._tails()]
        zero = xp.zeros_like(r[:, 0])

        k_masses = [zero + (sqrt_s - tails[0])]
        mass_factor = xp.ones_like(zero)
        for i in range(2, n):
            k = n - i
            y, dr_dy = self._y_from_r(r[:, self._mass_column(i)], k)
            u = xp.sqrt(xp.pow(y, 1.0 / k))
            k_masses.append(u * k_masses[-1])
            mass_factor = mass_factor * (k + 1) * (1.0 - xp.pow(y, 1.0 / k)) / dr_dy
        k_masses.append(zero)
        m_chain = [k_masses[i - 1] + tails[i - 1] for i in range(1, n + 1)]

        # four-vectors are kept as (E, px, py, pz) component tuples until the end:
        # stacking every intermediate costs more than the arithmetic on NumPy
        parent = (zero + sqrt_s, zero, zero, zero)
        momenta = []
        for i in range(1, n):
            m_i = self._mass(xp, i)
            q_abs = kin.two_body_momentum(m_chain[i - 1], m_i, m_chain[i])
            cos_theta = 2.0 * r[:, self._cos_column(i)] - 1.0
            phi = 2.0 * math.pi * r[:, self._phi_column(i)] - math.pi
            sin_theta = xp.sqrt(xp.clip(1.0 - cos_theta * cos_theta, min=0.0))
            px = q_abs * sin_theta * xp.cos(phi)
            py = q_abs * sin_theta * xp.sin(phi)
            pz = q_abs * cos_theta
            q2 = q_abs * q_abs
            p_rest = (xp.sqrt(q2 + m_i * m_i), px, py, pz)
            recoil_rest = (xp.sqrt(q2 + m_chain[i] * m_chain[i]), -px, -py, -pz)
            if i == 1:  # Q_1 is at rest in the centre-of-mass frame
                momenta.append(p_rest)
                parent = recoil_rest
                continue
            # the chain masses are known exactly; recomputing them from the boosted
            # parent would lose digits for light, fast intermediate states
            momenta.append(kin.boost_components_with_mass(p_rest, parent, m_chain[i - 1]))
            parent = kin.boost_components_with_mass(recoil_rest, parent, m_chain[i - 1])
        momenta.append(parent)

        weight = self._weight(xp, k_masses, m_chain, mass_factor)
        half = zero + sqrt_s / 2.0
        beams = [(half, zero, zero, half), (half, zero, zero, -half)]
        # one stack into (batch, 4 (n + 2)) and a reshape: a single pass over memory
        flat = xp.stack([c for p_i in beams + momenta for c in p_i], axis=1)
        return xp.reshape(flat, (flat.shape[0], n + 2, 4)), weight

    def inverse(self, p: Array) -> tuple[Array, Array]:
        """Random numbers (batch, 3 n - 4) and 1 / weight (batch,) from momenta (batch, 2 + n, 4)."""
        xp, p = check_momenta(p, self.n, self._name)
        n = self.n
        sqrt_s = as_scalar(xp, self.sqrt_s)
        tails = [as_scalar(xp, t) for t in self._tails()]
        out = p[:, 2:, :]
        zero = xp.zeros_like(out[:, 0, 0])

        # parents[i - 1] = Q_i = p_i + ... + p_n, built from the end, as component tuples
        comps = [tuple(out[:, j, c] for c in range(4)) for j in range(n)]
        parents = [comps[n - 1]]
        for i in range(n - 1, 0, -1):
            parents.insert(0, tuple(a + b for a, b in zip(comps[i - 1], parents[0], strict=True)))

        def mass_of(q: tuple[Array, ...]) -> Array:
            return xp.sqrt(xp.clip(q[0] * q[0] - q[1] * q[1] - q[2] * q[2] - q[3] * q[3], min=0.0))

        m_chain = [zero + sqrt_s]
        m_chain += [mass_of(parents[i - 1]) for i in range(2, n)]
        m_chain.append(zero + tails[n - 1])
        k_masses = [m_chain[i - 1] - tails[i - 1] for i in range(1, n)] + [zero]
        boost_masses = [mass_of(parents[0])] + m_chain[1 : n - 1]

        columns: dict[int, Array] = {}
        mass_factor = xp.ones_like(zero)
        for i in range(2, n):
            k = n - i
            u = k_masses[i - 1] / k_masses[i - 2]
            y = xp.pow(u * u, float(k))
            r_mass, dr_dy = self._r_from_y(y, k)
            columns[self._mass_column(i)] = r_mass
            mass_factor = mass_factor * (k + 1) * (1.0 - u * u) / dr_dy
        for i in range(1, n):
            _, px, py, pz = kin.boost_components_with_mass(
                comps[i - 1], parents[i - 1], boost_masses[i - 1], -1.0
            )
            cos_theta = xp.clip(pz / xp.sqrt(px * px + py * py + pz * pz), min=-1.0, max=1.0)
            phi = xp.atan2(py, px)
            columns[self._cos_column(i)] = (cos_theta + 1.0) / 2.0
            columns[self._phi_column(i)] = (phi + math.pi) / (2.0 * math.pi)
        r = xp.stack([columns[c] for c in range(self.dim)], axis=1)
        weight = self._weight(xp, k_masses, m_chain, mass_factor)
        return below_one(xp, r), 1.0 / weight
