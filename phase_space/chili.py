"""Chili (MadSpace Sec. 2.4; Bothmann et al., arXiv:2302.10449): phase space in (pT, y, phi).

Chili generates the final state of a hadronic 2 -> n collision directly in collider
coordinates and reconstructs the incoming momentum fractions from it (Eq. 77), so it
samples the partonic phase space *and* the two momentum fractions x1, x2 with
3 n - 2 random numbers. `Chili(masses, sqrt_s)` takes sqrt_s as the collider
(lab) energy; its weight is the Jacobian of

    dx1 dx2 dPhi_n(x1 x2 s) = (2 pi)^(4-3n) / s * dy_n * prod_{i<n} dpT_i^2 dy_i dphi_i / 4,

so for massless particles the mean weight is int dx1 dx2 Phi_n(x1 x2 s) =
Phi_n(s) / (n - 1)^2 (`chili_massless_volume`), and a user multiplies it by the
parton luminosity f(x1) f(x2) and the matrix element. The returned momenta are in
the lab frame: the beams are p_a = (E+/2, 0, 0, E+/2) and p_b = (E-/2, 0, 0, -E-/2)
with E+- = sum_i (E_i +- pz_i), so x1 = E+/sqrt_s and x2 = E-/sqrt_s.

Random-number layout: (r_pT, r_y, r_phi) for particles 1 .. n - 1, then r_y of
particle n; dim = 3 n - 2.

- pT: with a lower cut pT_min the 1/pT^2 map of Eq. 72 between pT_min and
  pT_max = sqrt_s / 2; without it the regulated map of Eq. 73 with scale
  Lambda = m (or `pt_scale`, default 1 GeV for massless particles).
- y: uniform in |y| <= y_max(mT) of Eq. 74 (further limited by an optional |y| cut).
- phi: phi = 2 pi r + phi_rec, with phi_rec the azimuth of the recoil
  -sum_{j<i} pT_j of the particles generated so far (0 for the first).
- particle n: pT fixed by recoil (Eq. 76), y uniform in the range where
  x1 <= 1 and x2 <= 1.

Technical cut: points where no such range exists for particle n (the first n - 1
particles alone exceed a beam energy) or where mT > sqrt_s / 2 get weight 0 and
must be dropped; their momenta are finite but unphysical. Every point with
nonzero weight has x1, x2 <= 1. For massless particles the pT and |y| bounds above
are implied by x1, x2 <= 1, so the volume is exact; for massive particles the
bound of Eq. 74 (mT cosh y <= sqrt_s / 2) removes a small corner of the physical
phase space (p+ + p- > sqrt_s for one particle), as in MadSpace.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from . import kinematics as kin
from .protocols import Array
from .rambo import massless_volume
from .validation import as_scalar, below_one, check_final_state, check_momenta, check_randoms

#: Regulator scale Lambda (GeV) of Eq. 73 for massless particles.
DEFAULT_MASSLESS_PT_SCALE = 1.0


def chili_massless_volume(n: int, sqrt_s: float) -> float:
    """int_0^1 dx1 int_0^1 dx2 Phi_n(x1 x2 s) = Phi_n(s) / (n - 1)^2 for massless particles."""
    return massless_volume(n, sqrt_s) / (n - 1) ** 2


def _per_particle(value: Any, count: int, name: str) -> list[Any]:
    if value is None:
        return [None] * count
    if isinstance(value, (int, float)):
        return [value] * count
    values = list(value)
    if len(values) != count:
        raise ValueError(
            f"Chili: {name} needs one value per final-state particle ({count}), got {len(values)}"
        )
    return values


class Chili:
    """Chili mapping: 3 n - 2 randoms -> lab-frame momenta of a hadronic 2 -> n collision.

    See the module docstring for the variables, the weight and the technical cut.

    Args:
        masses: final-state masses (GeV); their count is n >= 2.
        sqrt_s: collider energy (GeV); x1 and x2 range over [0, 1].
        pt_min: lower pT cut (GeV), one value or one per particle; None or 0 means
            no cut (the regulated map of Eq. 73). Particle n's pT is not sampled,
            so its cut is not applied here.
        pt_scale: regulator Lambda (GeV) of Eq. 73, one value or one per particle;
            default m, or 1 GeV for massless particles.
        y_cut: optional |y| cut (one value or one per particle).
    """

    def __init__(
        self,
        masses: Sequence[float],
        sqrt_s: float,
        pt_min: float | Sequence[float] | None = None,
        pt_scale: float | Sequence[float] | None = None,
        y_cut: float | Sequence[float] | None = None,
    ) -> None:
        self.masses = check_final_state(masses, sqrt_s, "Chili")
        self.sqrt_s = sqrt_s
        self.n = len(self.masses)
        #: random numbers per event: 3 n - 2
        self.dim = 3 * self.n - 2
        self.pt_min = [
            None if (v is None or v == 0) else v for v in _per_particle(pt_min, self.n, "pt_min")
        ]
        scales = _per_particle(pt_scale, self.n, "pt_scale")
        self.pt_scale = [
            s if s is not None else (m if m != 0 else DEFAULT_MASSLESS_PT_SCALE)
            for s, m in zip(scales, self.masses, strict=True)
        ]
        self.y_cut = _per_particle(y_cut, self.n, "y_cut")
        for i, lo in enumerate(self.pt_min):
            if lo is not None and not 0 < lo < sqrt_s / 2:
                raise ValueError(f"Chili: pt_min[{i}] = {lo} GeV must lie in (0, sqrt_s / 2)")

    # -- one-dimensional maps -------------------------------------------------

    def _pt_forward(self, xp: Any, r: Array, i: int, pt_max: Array) -> tuple[Array, Array]:
        """(pT in GeV, dpT^2/dr in GeV^2) for particle i (0-based)."""
        if self.pt_min[i] is not None:
            inv_lo = 1.0 / as_scalar(xp, self.pt_min[i]) ** 2
            inv_hi = 1.0 / pt_max**2
            pt2 = 1.0 / (r * inv_hi + (1.0 - r) * inv_lo)
            return xp.sqrt(pt2), pt2 * pt2 * (inv_lo - inv_hi)
        lam = as_scalar(xp, self.pt_scale[i])
        pt = 2.0 * lam * pt_max * r / (2.0 * lam + pt_max * (1.0 - r))
        return pt, 2.0 * pt * pt_max * (2.0 * lam + pt) ** 2 / (2.0 * lam * (2.0 * lam + pt_max))

    def _pt_inverse(self, xp: Any, pt: Array, i: int, pt_max: Array) -> tuple[Array, Array]:
        """(r, dpT^2/dr) from pT (GeV) for particle i (0-based)."""
        if self.pt_min[i] is not None:
            inv_lo = 1.0 / as_scalar(xp, self.pt_min[i]) ** 2
            inv_hi = 1.0 / pt_max**2
            pt2 = pt * pt
            return (inv_lo - 1.0 / pt2) / (inv_lo - inv_hi), pt2 * pt2 * (inv_lo - inv_hi)
        lam = as_scalar(xp, self.pt_scale[i])
        r = pt * (2.0 * lam + pt_max) / (pt_max * (2.0 * lam + pt))
        return r, 2.0 * pt * pt_max * (2.0 * lam + pt) ** 2 / (2.0 * lam * (2.0 * lam + pt_max))

    def _y_max(self, xp: Any, mt: Array, i: int, sqrt_s: Array) -> tuple[Array, Array]:
        """(y_max of Eq. 74 with the optional cut, allowed) for transverse mass mt (GeV)."""
        a = sqrt_s / (2.0 * mt)
        allowed = a >= 1.0
        a = xp.where(allowed, a, xp.ones_like(a))
        y_max = xp.log(a + xp.sqrt(a * a - 1.0))
        if self.y_cut[i] is not None:
            y_max = xp.clip(y_max, max=float(self.y_cut[i]))
        return y_max, allowed

    def _last_y_range(
        self, xp: Any, plus: Array, minus: Array, mt: Array, sqrt_s: Array
    ) -> tuple[Array, Array, Array]:
        """(y_lo, y_hi, allowed) for particle n so that x1 <= 1 and x2 <= 1."""
        room_plus = sqrt_s - plus
        room_minus = sqrt_s - minus
        allowed = (room_plus > 0.0) & (room_minus > 0.0) & (mt > 0.0)
        one = xp.ones_like(mt)
        safe_mt = xp.where(allowed, mt, one)
        y_hi = xp.log(xp.where(allowed, room_plus, one) / safe_mt)
        y_lo = -xp.log(xp.where(allowed, room_minus, one) / safe_mt)
        cut = self.y_cut[self.n - 1]
        if cut is not None:
            y_hi = xp.clip(y_hi, max=float(cut))
            y_lo = xp.clip(y_lo, min=-float(cut))
        allowed = allowed & (y_hi > y_lo)
        return xp.where(allowed, y_lo, 0.0 * one), xp.where(allowed, y_hi, one), allowed

    def _norm(self, sqrt_s: Array) -> Array:
        n = self.n
        return (2.0 * math.pi) ** (4 - 3 * n) / (sqrt_s * sqrt_s) * (2.0 * math.pi / 4.0) ** (n - 1)

    # -- mapping ----------------------------------------------------------------

    def forward(self, r: Array) -> tuple[Array, Array]:
        """Lab-frame momenta (batch, 2 + n, 4) in GeV and weights (batch,) from r (batch, 3 n - 2).

        Points removed by the technical cut have weight 0.
        """
        xp, r = check_randoms(r, self.dim, "Chili")
        n = self.n
        sqrt_s = as_scalar(xp, self.sqrt_s)
        pt_max = sqrt_s / 2.0
        zero = xp.zeros_like(r[:, 0])
        px_sum, py_sum = zero, zero
        plus, minus = zero, zero
        weight = zero + self._norm(sqrt_s)
        allowed = zero == 0.0
        momenta = []
        for i in range(n - 1):
            m = as_scalar(xp, self.masses[i])
            pt, w_pt = self._pt_forward(xp, r[:, 3 * i], i, pt_max)
            mt = xp.sqrt(pt * pt + m * m)
            y_max, ok = self._y_max(xp, mt, i, sqrt_s)
            y = y_max * (2.0 * r[:, 3 * i + 1] - 1.0)
            phi_rec = xp.where((px_sum == 0.0) & (py_sum == 0.0), zero, xp.atan2(-py_sum, -px_sum))
            phi = 2.0 * math.pi * r[:, 3 * i + 2] + phi_rec
            p = kin.four_vector(
                mt * xp.cosh(y), pt * xp.cos(phi), pt * xp.sin(phi), mt * xp.sinh(y)
            )
            momenta.append(p)
            px_sum, py_sum = px_sum + p[:, 1], py_sum + p[:, 2]
            plus, minus = plus + mt * xp.exp(y), minus + mt * xp.exp(-y)
            weight = weight * w_pt * 2.0 * y_max
            allowed = allowed & ok
        m = as_scalar(xp, self.masses[n - 1])
        mt = xp.sqrt(px_sum * px_sum + py_sum * py_sum + m * m)
        y_lo, y_hi, ok = self._last_y_range(xp, plus, minus, mt, sqrt_s)
        y = y_lo + (y_hi - y_lo) * r[:, 3 * (n - 1)]
        momenta.append(kin.four_vector(mt * xp.cosh(y), -px_sum, -py_sum, mt * xp.sinh(y)))
        allowed = allowed & ok
        weight = xp.where(allowed, weight * (y_hi - y_lo), zero)

        out = xp.stack(momenta, axis=1)
        e_plus = xp.sum(out[..., 0] + out[..., 3], axis=1)
        e_minus = xp.sum(out[..., 0] - out[..., 3], axis=1)
        pa = kin.four_vector(e_plus / 2.0, zero, zero, e_plus / 2.0)
        pb = kin.four_vector(e_minus / 2.0, zero, zero, -e_minus / 2.0)
        return xp.concat([xp.stack([pa, pb], axis=1), out], axis=1), weight

    def inverse(self, p: Array) -> tuple[Array, Array]:
        """Random numbers (batch, 3 n - 2) and 1 / weight (batch,) from lab-frame momenta (batch, 2 + n, 4).

        Only the final-state momenta p[:, 2:] are used (the beams follow from them).
        Points outside Chili's range give 1 / weight = inf.
        """
        xp, p = check_momenta(p, self.n, "Chili")
        n = self.n
        sqrt_s = as_scalar(xp, self.sqrt_s)
        pt_max = sqrt_s / 2.0
        out = p[:, 2:, :]
        zero = xp.zeros_like(out[:, 0, 0])
        px_sum, py_sum = zero, zero
        plus, minus = zero, zero
        weight = zero + self._norm(sqrt_s)
        allowed = zero == 0.0
        columns = []
        for i in range(n - 1):
            m = as_scalar(xp, self.masses[i])
            px, py, pz = out[:, i, 1], out[:, i, 2], out[:, i, 3]
            pt = xp.sqrt(px * px + py * py)
            mt = xp.sqrt(pt * pt + m * m)
            y = xp.asinh(pz / mt)
            r_pt, w_pt = self._pt_inverse(xp, pt, i, pt_max)
            y_max, ok = self._y_max(xp, mt, i, sqrt_s)
            phi_rec = xp.where((px_sum == 0.0) & (py_sum == 0.0), zero, xp.atan2(-py_sum, -px_sum))
            delta = xp.atan2(py, px) - phi_rec
            delta = xp.where(delta < 0.0, delta + 2.0 * math.pi, delta)
            r_phi = delta / (2.0 * math.pi)
            r_phi = xp.where(r_phi >= 1.0, r_phi - 1.0, r_phi)
            safe_y_max = xp.where(y_max > 0.0, y_max, zero + 1.0)  # y_max = 0 only on cut points
            columns += [r_pt, (y / safe_y_max + 1.0) / 2.0, r_phi]
            px_sum, py_sum = px_sum + px, py_sum + py
            plus, minus = plus + mt * xp.exp(y), minus + mt * xp.exp(-y)
            weight = weight * w_pt * 2.0 * y_max
            allowed = allowed & ok & (xp.abs(y) <= y_max)
        m = as_scalar(xp, self.masses[n - 1])
        mt = xp.sqrt(px_sum * px_sum + py_sum * py_sum + m * m)
        y = xp.asinh(out[:, n - 1, 3] / mt)
        y_lo, y_hi, ok = self._last_y_range(xp, plus, minus, mt, sqrt_s)
        columns.append((y - y_lo) / (y_hi - y_lo))
        allowed = allowed & ok
        weight = weight * (y_hi - y_lo)
        inv_weight = xp.where(allowed, 1.0 / xp.where(allowed, weight, zero + 1.0), zero + math.inf)
        return below_one(xp, xp.stack(columns, axis=1)), inv_weight
