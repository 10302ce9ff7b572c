"""FastRambo: RamboOnDiet with a closed-form rational-quadratic mass map (MadSpace Sec. 2.3).

RamboOnDiet needs the root of the polynomial r = G_diet(y, k) (Eq. 62) for every
intermediate mass. FastRambo replaces G_diet by the one-parameter rational-quadratic
function (RQF) of Eq. 64,

    G_RQF(y, c) = (y^2 + c y (1 - y)) / (1 + (c - 2) y (1 - y)),

whose inverse (Eq. 65) and derivative are closed form, so forward and inverse are
analytic, vectorised and exactly invertible. The parameter c_k (k = n - i) is fixed
once by the least-squares fit of Eq. 66 to G_diet (see `phase_space.rational_quadratic`).
The weight is no longer constant: it picks up the factor w_n(r) of Eq. 67. Massive final states are reached by the reweighting of Eqs. 68-69.

The decay chain, random-number layout and massive reweighting are shared with
`phase_space.rambo.RamboOnDiet` (see `phase_space.decay_chain.DecayChainRambo`).
"""

from __future__ import annotations

from collections.abc import Sequence

from .decay_chain import DecayChainRambo
from .protocols import Array
from .rational_quadratic import rqf_density, rqf_forward, rqf_inverse, rqf_parameter


class FastRambo(DecayChainRambo):
    """FastRambo (MadSpace Sec. 2.3): analytic, exactly invertible, nearly flat; 3 n - 4 randoms.

    The intermediate masses come from y_i = G_RQF^{-1}(r_i, c_k*), k = n - i; the
    weight is Phi_n w_n(r) for massless particles (Eq. 67; w_n = 1 for n <= 3 since
    c_1* = 2), times the reweighting of Eqs. 68-69 for massive ones. The random
    layout is MadSpace's (see `phase_space.decay_chain.DecayChainRambo`), so for equal r
    the momenta agree with `madspace.FastRamboMapping` point by point.

    Args:
        masses: final-state masses (GeV); their count is n >= 2.
        sqrt_s: centre-of-mass energy (GeV), above sum(masses).
    """

    _name = "FastRambo"

    def __init__(self, masses: Sequence[float], sqrt_s: float) -> None:
        super().__init__(masses, sqrt_s)
        self.parameters = {k: rqf_parameter(k) for k in range(1, self.n - 1)}

    def _y_from_r(self, r: Array, k: int) -> tuple[Array, Array]:
        c = self.parameters[k]
        y = rqf_inverse(r, c)
        return y, rqf_density(y, c)

    def _r_from_y(self, y: Array, k: int) -> tuple[Array, Array]:
        c = self.parameters[k]
        return rqf_forward(y, c), rqf_density(y, c)
