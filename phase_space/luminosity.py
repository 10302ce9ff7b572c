"""PDF-convolution variables (paper Sec. 2.2.2, Eqs. 21-23) and the lab-frame boost.

`Luminosity` maps two random numbers to the momentum fractions (x1, x2) of the
incoming partons: s-hat = x1 x2 s is drawn by an invariant mapping between
s_hat_min and s_hat_max, then x1 = tau^r, x2 = tau^(1 - r) with tau = s-hat / s
(logarithmic in x1 at fixed s-hat). The weight is the Jacobian of
dx1 dx2 = ds-hat dx1 / (x1 s), i.e.

    w = (ds-hat/dr1) * (-log tau) / s,

so its mean is the area of {x1 x2 s in [s_hat_min, s_hat_max]} in the unit square.
In lepton-collider mode (`Luminosity.lepton_collider(sqrt_s)`) the energy is
fixed: dim = 0, x1 = x2 = 1, w = 1.

`boost_to_lab` / `boost_to_cm` move partonic momenta between their centre-of-mass
frame and the lab frame (rapidity y = log(x1 / x2) / 2 along +z).
"""

from __future__ import annotations

import math
from typing import Any

from .errors import LuminosityError
from .invariants import DEFAULT_AUX_MASS_SQ, PowerLawInvariant
from .kinematics import boost_z, namespace
from .protocols import Array, InvariantMapping
from .validation import below_one, check_randoms


class Luminosity:
    """Momentum fractions (x1, x2) of the two incoming partons.

    Parameters
    ----------
    sqrt_s:
        Collider (hadronic) centre-of-mass energy in GeV.
    s_hat_min, s_hat_max:
        Range of the partonic s-hat in GeV^2 (default: 0 to s). Set s_hat_min to
        the squared final-state threshold, or to the square of a mass cut.
    s_hat_mapping:
        Invariant mapping for s-hat (default: power law with nu = 1, the
        logarithmic mapping that absorbs the 1/s-hat flux; a Breit-Wigner suits a
        single s-channel resonance).
    lepton:
        Fixed-energy lepton collider: no random numbers, x1 = x2 = 1.

    `forward(r)` with r (batch, dim) returns x (batch, 2) = (x1, x2) and the
    weight; `inverse(x)` returns (r, 1 / weight).
    """

    def __init__(
        self,
        sqrt_s: float,
        s_hat_min: float = 0.0,
        s_hat_max: float | None = None,
        s_hat_mapping: InvariantMapping | None = None,
        lepton: bool = False,
    ) -> None:
        if not sqrt_s > 0.0:
            raise LuminosityError(f"sqrt_s must be > 0 GeV (got {sqrt_s})")
        self.sqrt_s = float(sqrt_s)
        self.s = self.sqrt_s**2
        self.s_hat_min = float(s_hat_min)
        self.s_hat_max = self.s if s_hat_max is None else float(s_hat_max)
        if not 0.0 <= self.s_hat_min < self.s_hat_max <= self.s * (1 + 1e-15):
            raise LuminosityError(
                f"need 0 <= s_hat_min < s_hat_max <= s = {self.s} GeV^2 (got s_hat_min="
                f"{self.s_hat_min}, s_hat_max={self.s_hat_max})"
            )
        self.s_hat_mapping = s_hat_mapping or PowerLawInvariant(0.0, 1.0, DEFAULT_AUX_MASS_SQ)
        self.lepton = bool(lepton)
        self.dim = 0 if self.lepton else 2

    @classmethod
    def lepton_collider(cls, sqrt_s: float) -> Luminosity:
        """Fixed-energy collider: s-hat = s, no random numbers (dim 0)."""
        return cls(sqrt_s, lepton=True)

    def volume(self) -> float:
        """Mean weight: area of {s_hat_min <= x1 x2 s <= s_hat_max} in the unit square."""
        if self.lepton:
            return 1.0

        def below(tau: float) -> float:
            # area of {x1 x2 >= tau}
            return 1.0 - tau + tau * math.log(tau) if tau > 0.0 else 1.0

        return below(self.s_hat_min / self.s) - below(self.s_hat_max / self.s)

    def forward(self, r: Array) -> tuple[Array, Array]:
        """(x1, x2) as an array (batch, 2) and w = dx1 dx2 / dr1 dr2 (dimensionless)."""
        xp, r = check_randoms(r, self.dim, "Luminosity", any_batch_shape=True)
        return self._forward(xp, r)

    def _forward(self, xp: Any, r: Array) -> tuple[Array, Array]:
        """`forward` on random numbers already checked."""
        batch = r.shape[:-1]
        if self.lepton:
            return xp.ones((*batch, 2), dtype=xp.float64), xp.ones(batch, dtype=xp.float64)
        s_hat, w_s = self.s_hat_mapping.forward(r[..., 0], self.s_hat_min, self.s_hat_max)
        log_tau = xp.log(s_hat / self.s)
        x1 = xp.exp(r[..., 1] * log_tau)
        x2 = xp.exp((1.0 - r[..., 1]) * log_tau)
        return xp.stack([x1, x2], axis=-1), w_s * (-log_tau) / self.s

    def inverse(self, x: Array) -> tuple[Array, Array]:
        """Random numbers (batch, dim) and 1 / w for momentum fractions x (batch, 2)."""
        xp = namespace(x)
        batch = x.shape[:-1]
        if self.lepton:
            return xp.zeros((*batch, 0), dtype=xp.float64), xp.ones(batch, dtype=xp.float64)
        log_x1, log_x2 = xp.log(x[..., 0]), xp.log(x[..., 1])
        log_tau = log_x1 + log_x2
        s_hat = self.s * x[..., 0] * x[..., 1]
        r_s, w_inv_s = self.s_hat_mapping.inverse(s_hat, self.s_hat_min, self.s_hat_max)
        r = xp.stack([r_s, log_x1 / log_tau], axis=-1)
        return below_one(xp, r), w_inv_s * self.s / (-log_tau)

    def s_hat(self, x: Array) -> Array:
        """Partonic s-hat = x1 x2 s (GeV^2) for x (batch, 2)."""
        return self.s * x[..., 0] * x[..., 1]

    def fractions(self, p_lab: Array) -> Array:
        """(x1, x2) (batch, 2) read off lab-frame incoming momenta p_lab[..., 0:2, :] (GeV)."""
        xp = namespace(p_lab)
        return xp.stack([2.0 * p_lab[..., 0, 0], 2.0 * p_lab[..., 1, 0]], axis=-1) / self.sqrt_s


def _rapidity(x: Array) -> Array:
    xp = namespace(x)
    return 0.5 * (xp.log(x[..., 0]) - xp.log(x[..., 1]))


def boost_to_lab(p_cm: Array, x: Array) -> Array:
    """Momenta (batch, k, 4) from the partonic centre-of-mass frame to the lab frame.

    x (batch, 2) holds (x1, x2); the boost is along +z with rapidity log(x1/x2)/2.
    The result is written once, as a C-ordered (4, k, batch) array, and returned as its
    (batch, k, 4) view: with one batch axis that is UMAMI's batch-contiguous momenta
    layout, so a CPU matrix-element library reads the momenta without a copy.
    """
    xp = namespace(p_cm, x)
    # e^y = sqrt(x1 / x2): cosh y and sinh y without a logarithm and two exponentials
    e_y = xp.sqrt(x[..., 0] / x[..., 1])
    e_minus_y = 1.0 / e_y
    ch, sh = 0.5 * (e_y + e_minus_y), 0.5 * (e_y - e_minus_y)
    nd = p_cm.ndim - 1  # of one component: (batch..., k)
    particle_first = (nd - 1, *range(nd - 1))
    e, px, py, pz = (xp.permute_dims(p_cm[..., mu], particle_first) for mu in range(4))
    lab = xp.stack([ch * e + sh * pz, px, py, sh * e + ch * pz], axis=0)
    return xp.permute_dims(lab, (*range(2, nd + 1), 1, 0))


def boost_to_cm(p_lab: Array, x: Array) -> Array:
    """Inverse of `boost_to_lab`: lab-frame momenta (batch, k, 4) to the partonic CM frame."""
    return boost_z(p_lab, -_rapidity(x)[..., None])
