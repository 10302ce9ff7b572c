"""Multi-channel phase space: one mapping per diagram topology, single-diagram-enhanced
(SDE) channel weights from the library's DIAGRAM_AMP2, and sampling fractions
optimised during training.

The matrix element is split as ``|M|^2 = sum_c |M|^2 a_c(x)`` with
``a_c = sum_{d in c} |A_d|^2 / sum_{d in any channel} |A_d|^2`` (MadEvent's and
MadSpace's SDE weights). Channel c integrates ``|M|^2 a_c`` with its own mapping,
whose peaks are those of the diagrams of c; the integral is the sum over channels.
Events are drawn per channel with fraction ``p_c``; an event of channel c carries
``F_c / p_c``, so the plain mean over all events estimates the total; the fractions
are chosen for the unweighting (``p_c`` ~ the maximum weight of ``F_c``,
:class:`SamplingFractions`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import array_api_compat
import numpy as np

from phase_space import (
    ChannelMapping,
    Chili,
    FastRambo,
    HadronicChannelMapping,
    Luminosity,
)

from .events import Array
from .process import Channel

__all__ = ["ChannelMap", "SamplingFractions", "sde_weights"]


class ChannelMap:
    """The phase-space mapping of one channel at a collider energy.

    ``forward(r)`` -> (lab-frame momenta (n, 2 + n_out, 4) GeV, momentum fractions
    (n, 2), weight (n,)): the Jacobian of dPhi_n (fixed energy, x = 1) or of
    dx1 dx2 dPhi_n(x1 x2 s) (``hadronic``), including (2 pi)^(4 - 3 n_out).
    A topology gives a :class:`phase_space.ChannelMapping` (with a
    :class:`phase_space.Luminosity` from ``s_hat_min`` when hadronic); ``None`` gives
    FastRambo, or Chili when hadronic (whose transverse-momentum map uses
    ``pt_scale`` GeV).
    """

    def __init__(
        self,
        channel: Channel,
        final_masses: Sequence[float],
        sqrt_s: float,
        hadronic: bool,
        s_hat_min: float,
        pt_scale: float | None = None,
    ) -> None:
        self.channel = channel
        self.sqrt_s = float(sqrt_s)
        self.hadronic = bool(hadronic)
        masses = [float(m) for m in final_masses]
        self.mapping: Chili | FastRambo | HadronicChannelMapping | ChannelMapping
        if channel.topology is None:
            if hadronic:
                scale = pt_scale if pt_scale is not None else max(max(masses), 10.0)
                self.mapping = Chili(masses, self.sqrt_s, pt_scale=scale)
            else:
                self.mapping = FastRambo(masses, self.sqrt_s)
        elif hadronic:
            lumi = Luminosity(self.sqrt_s, s_hat_min=s_hat_min)
            self.mapping = HadronicChannelMapping(channel.topology, lumi)
        else:
            self.mapping = ChannelMapping(channel.topology, self.sqrt_s)
        self.dim = int(self.mapping.dim)

    def forward(self, r: Array) -> tuple[Array, Array, Array]:
        xp = array_api_compat.array_namespace(r)
        p, w = self.mapping.forward(r)
        if self.hadronic:
            x = 2.0 * p[:, 0:2, 0] / self.sqrt_s
        else:
            x = xp.ones((r.shape[0], 2), dtype=xp.float64)
        return p, x, w


def sde_weights(amp2: Array, channel: Array, diagrams: Sequence[Sequence[int]]) -> Array:
    """SDE weight a_c (n,) of each event's channel ``channel`` (n,) int from DIAGRAM_AMP2
    ``amp2`` (n, n_diagrams); ``diagrams[c]`` lists the diagrams of channel c. Where no
    diagram of any channel contributes (all |A_d|^2 = 0), every channel gets 1 / n_channels."""
    xp = array_api_compat.array_namespace(amp2)
    n_channels = len(diagrams)
    # one column per channel, summed in diagram order; whole-column operations only
    # (no (n, channels) temporaries: a process may have a hundred channels)
    per_channel = [_column_sum(xp, amp2, d) for d in diagrams]
    total = per_channel[0]
    for column in per_channel[1:]:
        total = total + column
    mine = xp.zeros_like(total)
    for c, column in enumerate(per_channel):
        mine = xp.where(channel == c, column, mine)
    safe = xp.where(total > 0.0, total, 1.0)
    return xp.where(total > 0.0, mine / safe, 1.0 / n_channels)


def _column_sum(xp: Any, amp2: Array, diagrams: Sequence[int]) -> Array:
    """sum_{d in diagrams} |A_d|^2 per event (zeros for no diagram)."""
    if not diagrams:
        return xp.zeros(amp2.shape[0], dtype=xp.float64)
    total = amp2[:, diagrams[0]]
    for d in diagrams[1:]:
        total = total + amp2[:, d]
    return total


class SamplingFractions:
    """Fractions p of a batch's events given to each slot (subprocess x channel).

    An event of slot s weighs ``F_s / p_s``, so the largest weights of the whole run are
    ``W_s / p_s`` with ``W_s`` the maximum weight of the slot's integrand F_s (for the
    over-weight fraction of the unweighting). ``p_s ~ W_s`` makes every slot reach the
    same maximum ``sum_s W_s``: the best unweighting efficiency
    ``sum_s sigma_s / sum_s W_s`` a fixed split can give (the allocation of MadEvent's
    per-channel unweighting). A slot whose integrand is spiky or whose grid is still
    poor gets more events instead of spoiling the global maximum; a subprocess with a
    small cross section and a tame integrand gets few. The target is learned in
    training (the generator estimates W_s on the pooled events of the latest
    iterations; ``damping``: share of the new target mixed in per update after the first,
    which replaces the even start; ``floor``: least share of a slot, divided by the slot
    count).

    Training batches use :attr:`training_values`: a share ``training_share`` of the
    events spread evenly over the slots, so that every VEGAS grid and maximum-weight
    estimate sees enough points however small its target share.
    """

    def __init__(
        self,
        groups: Sequence[int],
        damping: float = 1.0,
        floor: float = 1e-3,
        training_share: float = 0.5,
    ) -> None:
        self.groups = np.asarray(groups, dtype=np.int64)  # subprocess of each slot
        self.n_groups = int(self.groups.max()) + 1
        self.damping = float(damping)
        self.floor = float(floor)
        self.training_share = float(training_share)
        counts = np.bincount(self.groups, minlength=self.n_groups)
        # start: subprocesses alike, channels alike within each
        self._p = 1.0 / (self.n_groups * counts[self.groups])
        self.updates = 0

    @property
    def values(self) -> np.ndarray:
        """p per slot (sums to 1), used by frozen batches."""
        return self._p / self._p.sum()

    @property
    def training_values(self) -> np.ndarray:
        """p per slot of a training batch: :attr:`values` mixed with an even split."""
        even = np.full(self._p.size, 1.0 / self._p.size)
        return _mix(self.values, even, self.training_share)

    @property
    def subprocess(self) -> np.ndarray:
        """Share of each subprocess (the sum over its slots)."""
        return np.bincount(self.groups, weights=self.values, minlength=self.n_groups)

    def split(self, n: int, rng: np.random.Generator, training: bool = False) -> np.ndarray:
        """Events per slot for a batch of n (a multinomial draw from the batch's stream)."""
        return rng.multinomial(int(n), self.training_values if training else self.values)

    def update(self, max_weight: np.ndarray) -> None:
        """Move towards p ~ the maximum weight of each slot's integrand (array over slots,
        any unit; slots with a non-finite or negative entry keep their share)."""
        w = np.asarray(max_weight, dtype=np.float64)
        known = np.isfinite(w) & (w >= 0.0)
        if not np.any(w[known] > 0.0):
            return
        target = self.values.copy()
        # slots without an estimate keep their share of the total
        target[known] = w[known] / w[known].sum() * target[known].sum()
        target = _floored(target / target.sum(), self.floor / self._p.size)
        # the first estimate replaces the even start outright: a start that lingers
        # (damping^k of it after k updates) costs variance where the shares differ a lot
        self._p = _mix(self.values, target, self.damping if self.updates else 1.0)
        self.updates += 1


def _floored(p: np.ndarray, floor: float) -> np.ndarray:
    """p (normalised) lifted so that every entry is at least ``floor``, still summing to 1."""
    return floor + (1.0 - floor * p.size) * p / p.sum()


def _mix(old: np.ndarray, target: np.ndarray, damping: float) -> np.ndarray:
    new = (1.0 - damping) * old + damping * target
    return new / new.sum()
