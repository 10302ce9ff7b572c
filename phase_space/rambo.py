"""RAMBO family of flat n-body phase-space generators: `Rambo` and `RamboOnDiet`.

Both map the unit hypercube onto the n-body phase space of a 2 -> n process at
fixed centre-of-mass energy sqrt(s) (GeV), in the centre-of-mass frame:

- `Rambo`: the classic algorithm of Kleiss, Stirling and Ellis (Comput. Phys.
  Commun. 40 (1986) 359). It consumes 4 n random numbers, has a constant weight for
  massless particles, and reaches massive final states by solving for a common
  momentum rescaling. It is not a bijection (4 n numbers for 3 n - 4 degrees of
  freedom); its `inverse` returns one documented preimage.
- `RamboOnDiet`: Plaetzer's invertible variant (arXiv:1308.2922; MadSpace paper
  Sec. 2.3, Eqs. 52-63) with 3 n - 4 random numbers: a chain of 1 -> 2 decays
  whose intermediate masses come from solving the polynomial of Eq. 62 (done here
  by a bracketed Newton iteration of fixed length, so it is jit-able). Massive
  final states use the reweighting of Eqs. 68-69.

`phase_space.fast_rambo.FastRambo` shares the decay chain defined here and only
replaces the solve of Eq. 62 by a closed-form rational-quadratic map.

Weights include the (2 pi)^(4 - 3 n) factor, so the mean weight over uniform
randoms is the phase-space volume; for massless particles that is
`massless_volume(n, sqrt_s)` (the paper's Eq. 81).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from phase_space import kinematics as kin

Array = Any

#: Newton steps used by RamboOnDiet's solve of Eq. 62 (the starting point is the
#: FastRambo approximation, so a handful suffices; fixed so the code is jit-able).
DIET_NEWTON_STEPS = 6

#: Newton steps used by the massive classic RAMBO to find the momentum rescaling
#: (measured: <= 5 reach rounding from sum(m)/sqrt(s) = 0.1 to 1 - 1e-6; 10 for margin).
RAMBO_XI_NEWTON_STEPS = 10


class BelowThresholdError(ValueError):
    """The final-state masses add up to at least the collision energy."""


class RandomShapeError(ValueError):
    """Random numbers of the wrong shape for a mapping."""


class MomentumShapeError(ValueError):
    """Momenta of the wrong shape for a mapping's inverse."""


def massless_volume(n: int, sqrt_s: float | Array) -> float | Array:
    """Volume Phi_n (GeV^(2n-4)) of the massless n-body phase space (Eq. 81).

    Phi_n = s^(n-2) / (Gamma(n) Gamma(n-1) pi^(2n-3) 2^(4n-5)), which includes the
    (2 pi)^(4-3n) convention of the weights returned by every full mapping here.
    """
    if n < 2:
        raise ValueError(f"n-body phase space needs n >= 2 final-state particles, got n={n}")
    norm = math.gamma(n) * math.gamma(n - 1) * math.pi ** (2 * n - 3) * 2.0 ** (4 * n - 5)
    return sqrt_s ** (2 * n - 4) / norm


def _concrete_float(value: Any) -> float | None:
    """`float(value)` for concrete numbers; None for traced values (e.g. under jax.jit)."""
    try:
        return float(value)
    except Exception:  # tracers refuse conversion; the check is then skipped
        return None


def check_kinematics(masses: Sequence[Any], sqrt_s: Any, name: str) -> tuple[Any, ...]:
    """Validate final-state masses and energy of a full mapping; returns masses as a tuple.

    Raises BelowThresholdError if sum(masses) >= sqrt_s, ValueError for negative masses
    or fewer than two particles. Values that are not concrete (jax tracers) are not
    checked so that mappings can be built inside traced functions.
    """
    masses = tuple(masses)
    if len(masses) < 2:
        raise ValueError(f"{name} needs at least 2 final-state particles, got {len(masses)}")
    values = [_concrete_float(m) for m in masses]
    energy = _concrete_float(sqrt_s)
    if any(v is not None and v < 0.0 for v in values):
        raise ValueError(f"{name}: final-state masses must be >= 0 GeV, got {masses}")
    if energy is not None and all(v is not None for v in values):
        if energy <= sum(values):
            raise BelowThresholdError(
                f"{name}: sqrt_s = {energy} GeV is not above the threshold sum(masses) = "
                f"{sum(values)} GeV; raise sqrt_s or lower the masses"
            )
    return masses


def check_randoms(xp: Any, r: Array, dim: int, name: str) -> Array:
    """r as float64 after checking it has shape (batch, dim)."""
    if r.ndim != 2 or r.shape[1] != dim:
        raise RandomShapeError(
            f"{name}.forward expects random numbers of shape (batch, {dim}), got {tuple(r.shape)}"
        )
    if r.dtype != xp.float64:
        r = xp.astype(r, xp.float64)
    return r


def check_momenta(xp: Any, p: Array, n: int, name: str) -> Array:
    """p as float64 after checking it has shape (batch, 2 + n, 4)."""
    if p.ndim != 3 or p.shape[1] != n + 2 or p.shape[2] != 4:
        raise MomentumShapeError(
            f"{name}.inverse expects momenta of shape (batch, {n + 2}, 4) (two incoming, "
            f"{n} outgoing), got {tuple(p.shape)}"
        )
    if p.dtype != xp.float64:
        p = xp.astype(p, xp.float64)
    return p


def as_scalar(xp: Any, value: Any) -> Array:
    """A Python number or 0-d array as a float64 0-d array of namespace xp."""
    return xp.asarray(value, dtype=xp.float64)


def incoming_momenta(xp: Any, sqrt_s: Array, like: Array) -> Array:
    """Beams (batch, 2, 4) along +z and -z with energy sqrt_s / 2 each (GeV).

    `like` is any (batch,) float64 array fixing the batch size and device.
    """
    half = xp.zeros_like(like) + sqrt_s / 2.0
    zero = xp.zeros_like(like)
    pa = kin.four_vector(half, zero, zero, half)
    pb = kin.four_vector(half, zero, zero, -half)
    return xp.stack([pa, pb], axis=1)


def two_body_density(m0: Array, m1: Array, m2: Array) -> Array:
    """rho(m0, m1, m2) = sqrt(lambda(m0^2, m1^2, m2^2)) / (8 m0^2) of Eq. 55 (dimensionless)."""
    return kin.two_body_momentum(m0, m1, m2) / (4.0 * m0)


# ---------------------------------------------------------------------------
# Classic RAMBO
# ---------------------------------------------------------------------------


class Rambo:
    """Classic RAMBO (Kleiss, Stirling, Ellis 1986): 4 n randoms -> n momenta at fixed sqrt(s).

    Per particle i the four randoms (r1, r2, r3, r4) in [0, 1) give an isotropic
    massless vector q_i with cos(theta) = 2 r1 - 1, phi = 2 pi r2 and energy
    q0 = -log((1 - r3)(1 - r4)) (Gamma(2)-distributed; 1 - r keeps r = 0 finite).
    The q_i are boosted to their rest frame and scaled to total energy sqrt(s),
    which gives a flat massless phase space with the constant weight Phi_n. Massive
    final states rescale the three-momenta by the xi solving
    sum_i sqrt(m_i^2 + xi^2 E_i^2) = sqrt(s) (Newton, fixed step count) and carry
    the weight factor of the RAMBO paper.

    The map is many-to-one (4 n randoms for 3 n - 4 degrees of freedom), so it has no
    inverse in the strict sense. `inverse(p)` returns the preimage with
    q_i = (2 n / sqrt(s)) k_i (k_i the massless momenta before the rescaling, so the
    boost is the identity) and r3 = r4; `forward(inverse(p)) == p` holds, while
    `inverse(forward(r)) == r` does not. For an invertible flat generator use
    `RamboOnDiet` or `FastRambo`.

    Args:
        masses: final-state masses (GeV); their count is n >= 2.
        sqrt_s: centre-of-mass energy (GeV), above sum(masses).
    """

    def __init__(self, masses: Sequence[float], sqrt_s: float) -> None:
        self.masses = check_kinematics(masses, sqrt_s, "Rambo")
        self.sqrt_s = sqrt_s
        self.n = len(self.masses)
        self.massless = all(_concrete_float(m) == 0.0 for m in self.masses)

    @property
    def dim(self) -> int:
        """Random numbers per event: 4 n."""
        return 4 * self.n

    def _mass_array(self, xp: Any) -> Array:
        return xp.stack([as_scalar(xp, m) for m in self.masses])

    def forward(self, r: Array) -> tuple[Array, Array]:
        """Momenta (batch, 2 + n, 4) in GeV and weights (batch,) from r of shape (batch, 4 n)."""
        xp = kin.namespace(r)
        r = check_randoms(xp, r, self.dim, "Rambo")
        batch = r.shape[0]
        n = self.n
        sqrt_s = as_scalar(xp, self.sqrt_s)
        rr = xp.reshape(r, (batch, n, 4))
        cos_theta = 2.0 * rr[..., 0] - 1.0
        phi = 2.0 * math.pi * rr[..., 1]
        q0 = -xp.log((1.0 - rr[..., 2]) * (1.0 - rr[..., 3]))
        q = kin.momentum_from_angles(q0, cos_theta, phi, xp.zeros_like(q0))
        total = xp.sum(q, axis=1)
        scale = sqrt_s / kin.mass(total)
        k = kin.boost_to_rest(q, total[:, None, :]) * scale[:, None, None]
        weight = xp.zeros_like(q0[:, 0]) + massless_volume(n, sqrt_s)
        if self.massless:
            p = k
        else:
            p, factor = self._massive(xp, k, sqrt_s)
            weight = weight * factor
        return xp.concat([incoming_momenta(xp, sqrt_s, weight), p], axis=1), weight

    def _massive(self, xp: Any, k: Array, sqrt_s: Array) -> tuple[Array, Array]:
        """Rescale massless k (batch, n, 4) to on-shell massive momenta; returns (p, weight factor)."""
        m2 = self._mass_array(xp) ** 2
        e2 = k[..., 0] ** 2
        m_sum = xp.sum(xp.sqrt(m2))
        xi = xp.zeros_like(k[:, 0, 0]) + xp.sqrt(1.0 - (m_sum / sqrt_s) ** 2)
        # f(xi) = sum sqrt(m^2 + xi^2 E^2) - sqrt(s) is convex and increasing, so Newton
        # lands right of the root after one step and then decreases monotonically.
        for _ in range(RAMBO_XI_NEWTON_STEPS):
            energies = xp.sqrt(m2 + xi[:, None] ** 2 * e2)
            f = xp.sum(energies, axis=1) - sqrt_s
            df = xi * xp.sum(e2 / energies, axis=1)
            xi = xi - f / df
        energies = xp.sqrt(m2 + xi[:, None] ** 2 * e2)
        p = xp.concat([energies[..., None], xi[:, None, None] * k[..., 1:]], axis=-1)
        return p, self._massive_factor(xp, p, sqrt_s)

    def _massive_factor(self, xp: Any, p: Array, sqrt_s: Array) -> Array:
        """Massive / massless weight ratio of RAMBO, from the massive momenta alone."""
        n = self.n
        p_abs = kin.momentum_abs(p)
        energy = p[..., 0]
        return (
            (xp.sum(p_abs, axis=1) / sqrt_s) ** (2 * n - 3)
            * xp.prod(p_abs / energy, axis=1)
            * sqrt_s
            / xp.sum(p_abs**2 / energy, axis=1)
        )

    def inverse(self, p: Array) -> tuple[Array, Array]:
        """One preimage r (batch, 4 n) of momenta p (batch, 2 + n, 4) and 1 / weight (batch,).

        The preimage is the one described in the class docstring; `forward` maps it
        back to p.
        """
        xp = kin.namespace(p)
        p = check_momenta(xp, p, self.n, "Rambo")
        n = self.n
        sqrt_s = as_scalar(xp, self.sqrt_s)
        out = p[:, 2:, :]
        p_abs = kin.momentum_abs(out)
        volume = xp.zeros_like(p_abs[:, 0]) + massless_volume(n, sqrt_s)
        if self.massless:
            weight = volume
            k_abs = p_abs
        else:
            weight = volume * self._massive_factor(xp, out, sqrt_s)
            xi = xp.sum(p_abs, axis=1) / sqrt_s
            k_abs = p_abs / xi[:, None]
        cos_theta, phi = kin.direction_angles(out)
        q0 = (2.0 * n / sqrt_s) * k_abs
        r34 = -xp.expm1(-q0 / 2.0)
        r = xp.stack([(cos_theta + 1.0) / 2.0, phi / (2.0 * math.pi), r34, r34], axis=-1)
        return xp.reshape(r, (p.shape[0], 4 * n)), 1.0 / weight


# ---------------------------------------------------------------------------
# The 1 -> 2 decay chain shared by RamboOnDiet and FastRambo
# ---------------------------------------------------------------------------


def diet_mass_map(y: Array, k: int) -> Array:
    """RamboOnDiet's r = G_diet(y, k) = (k + 1) y - k y^(1 + 1/k) (Eq. 62), y in [0, 1]."""
    xp = kin.namespace(y)
    return (k + 1) * y - k * xp.pow(y, 1.0 + 1.0 / k)


class DecayChainRambo:
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
        self.masses = check_kinematics(masses, sqrt_s, self._name)
        self.sqrt_s = sqrt_s
        self.n = len(self.masses)
        self.massless = all(_concrete_float(m) == 0.0 for m in self.masses)

    @property
    def dim(self) -> int:
        """Random numbers per event: 3 n - 4."""
        return 3 * self.n - 4

    # Column of each random number in r.
    def _cos_column(self, i: int) -> int:
        return 3 * (i - 1)

    def _phi_column(self, i: int) -> int:
        return 3 * (i - 1) + 1

    def _mass_column(self, i: int) -> int:
        """Column of the random number of M_i, i = 2 .. n - 1."""
        return 3 * (i - 2) + 2

    def _y_from_r(self, r: Array, k: int) -> tuple[Array, Array]:
        raise NotImplementedError

    def _r_from_y(self, y: Array, k: int) -> tuple[Array, Array]:
        raise NotImplementedError

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
        xp = kin.namespace(r)
        r = check_randoms(xp, r, self.dim, self._name)
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
        xp = kin.namespace(p)
        p = check_momenta(xp, p, self.n, self._name)
        n = self.n
        sqrt_s = as_scalar(xp, self.sqrt_s)
        tails = [as_scalar(xp, t) for t in self._tails()]
        out = p[:, 2:, :]
        zero = xp.zeros_like(out[:, 0, 0])

        # parents[i - 1] = Q_i = p_i + ... + p_n, built from the end, as component tuples
        comps = [tuple(out[:, j, c] for c in range(4)) for j in range(n)]
        parents = [comps[n - 1]]
        for i in range(n - 1, 0, -1):
            parents.insert(0, tuple(a + b for a, b in zip(comps[i - 1], parents[0])))

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
        return r, 1.0 / weight


class RamboOnDiet(DecayChainRambo):
    """RamboOnDiet (Plaetzer, arXiv:1308.2922): flat, exactly invertible, 3 n - 4 randoms.

    The mass random numbers are r_i = G_diet(y_i, k) of Eq. 62. The forward map
    solves this polynomial for u = y^(1/k) by a bracketed Newton iteration with a
    fixed number of steps (`DIET_NEWTON_STEPS`), started from the closed-form
    FastRambo approximation; the inverse is closed form. The massless weight is the
    constant Phi_n; massive final states are reweighted (Eqs. 68-69). See
    `DecayChainRambo` for the random-number layout.

    Args:
        masses: final-state masses (GeV); their count is n >= 2.
        sqrt_s: centre-of-mass energy (GeV), above sum(masses).
    """

    _name = "RamboOnDiet"

    def _y_from_r(self, r: Array, k: int) -> tuple[Array, Array]:
        from phase_space.fast_rambo import rqf_inverse, rqf_parameter

        xp = kin.namespace(r)
        if k == 1:
            # quadratic case: r = 2 y - y^2 exactly, the RQF with c = 2
            y = rqf_inverse(r, 2.0)
            return y, 2.0 * (1.0 - y)
        # solve f(t) = (k+1) t^k - k t^(k+1) - r = 0 for t = y^(1/k) in [0, 1]
        t = xp.pow(rqf_inverse(r, rqf_parameter(k)), 1.0 / k)
        lo = xp.zeros_like(r)
        hi = xp.ones_like(r)
        for _ in range(DIET_NEWTON_STEPS):
            tk1 = xp.pow(t, float(k - 1))
            f = (k + 1) * tk1 * t - k * tk1 * t * t - r
            lo = xp.where(f < 0.0, t, lo)
            hi = xp.where(f > 0.0, t, hi)
            df = k * (k + 1) * tk1 * (1.0 - t)
            safe = xp.where(df > 0.0, df, xp.ones_like(df))
            step = xp.where(df > 0.0, t - f / safe, (lo + hi) / 2.0)
            inside = (step >= lo) & (step <= hi)
            # an exact root (f == 0) is kept; otherwise Newton, or bisection if it leaves the bracket
            t = xp.where(f == 0.0, t, xp.where(inside, step, (lo + hi) / 2.0))
        y = xp.pow(t, float(k))
        return y, (k + 1) * (1.0 - t)

    def _r_from_y(self, y: Array, k: int) -> tuple[Array, Array]:
        xp = kin.namespace(y)
        t = xp.pow(y, 1.0 / k)
        return (k + 1) * y - k * y * t, (k + 1) * (1.0 - t)
