"""Multi-channel phase space: one mapping per diagram topology, single-diagram-enhanced
(SDE) channel weights from the library's DIAGRAM_AMP2, and sampling fractions
optimised during training.

The matrix element is split as ``|M|^2 = sum_c |M|^2 a_c(x)`` with
``a_c = sum_{d in c} |A_d|^2 / sum_{d in any channel} |A_d|^2`` (MadEvent's and
MadSpace's SDE weights). Channel c integrates ``|M|^2 a_c`` with its own mapping,
whose peaks are those of the diagrams of c; the integral is the sum over channels.
Events are drawn per channel with fraction ``p_c``; an event of channel c carries
``F_c / p_c``, so the plain mean over all events estimates the total and its variance
``sum_c sigma_c^2 / p_c`` is smallest for ``p_c ~ sigma_c`` (the variance-based update
of MadEvent's channel weights, :meth:`SamplingFractions.update`).
"""

from __future__ import annotations

from collections.abc import Sequence

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
    per_channel = xp.stack(
        [
            xp.sum(xp.take(amp2, xp.asarray(list(d)), axis=1), axis=-1)
            if d
            else xp.zeros(amp2.shape[0], dtype=xp.float64)
            for d in diagrams
        ],
        axis=-1,
    )
    total = xp.sum(per_channel, axis=-1)
    onehot = xp.astype(channel[:, None] == xp.arange(n_channels)[None, :], xp.float64)
    mine = xp.sum(per_channel * onehot, axis=-1)
    safe = xp.where(total > 0.0, total, 1.0)
    return xp.where(total > 0.0, mine / safe, 1.0 / n_channels)


class SamplingFractions:
    """Fractions p of a batch's events given to each slot (subprocess x channel).

    ``p_slot = P_sub * p_channel|sub``: subprocesses in proportion to their cross
    sections, channels within a subprocess in proportion to the standard deviation of
    their integrand (the variance-optimal allocation), both learned in training with
    damping ``damping`` (fraction of the new target mixed in per update) and floors
    that keep every slot sampled.
    """

    def __init__(
        self,
        groups: Sequence[int],
        damping: float = 0.5,
        channel_floor: float = 0.1,
        subprocess_floor: float = 1e-3,
    ) -> None:
        self.groups = np.asarray(groups, dtype=np.int64)  # subprocess of each slot
        self.n_groups = int(self.groups.max()) + 1
        self.damping = float(damping)
        self.channel_floor = float(channel_floor)
        self.subprocess_floor = float(subprocess_floor)
        counts = np.bincount(self.groups, minlength=self.n_groups)
        self.subprocess = np.full(self.n_groups, 1.0 / self.n_groups)
        self.within = 1.0 / counts[self.groups]

    @property
    def values(self) -> np.ndarray:
        """p per slot (sums to 1)."""
        p = self.subprocess[self.groups] * self.within
        return p / p.sum()

    def split(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Events per slot for a batch of n (a multinomial draw from the batch's stream)."""
        return rng.multinomial(int(n), self.values)

    def update(self, integral: np.ndarray, sigma: np.ndarray) -> None:
        """Move towards P_sub ~ sum of the slots' integrals and p_channel ~ sigma per slot
        (arrays over slots; slots without data keep their share)."""
        integral = np.asarray(integral, dtype=np.float64)
        sigma = np.asarray(sigma, dtype=np.float64)
        sub_integral = np.bincount(self.groups, weights=np.abs(integral), minlength=self.n_groups)
        if sub_integral.sum() > 0.0:
            target = _floored(sub_integral / sub_integral.sum(), self.subprocess_floor)
            self.subprocess = _mix(self.subprocess, target, self.damping)
        for g in range(self.n_groups):
            slots = self.groups == g
            s = sigma[slots]
            if not np.all(np.isfinite(s)) or s.sum() <= 0.0:
                continue
            floor = self.channel_floor / slots.sum()
            target = _floored(s / s.sum(), floor)
            self.within[slots] = _mix(self.within[slots], target, self.damping)


def _floored(p: np.ndarray, floor: float) -> np.ndarray:
    p = np.maximum(p, floor)
    return p / p.sum()


def _mix(old: np.ndarray, target: np.ndarray, damping: float) -> np.ndarray:
    new = (1.0 - damping) * old + damping * target
    return new / new.sum()
