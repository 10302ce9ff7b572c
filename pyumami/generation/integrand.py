"""The integrand: uniform random numbers -> weighted events in pb.

Per batch: the events are split over the slots (subprocess x channel) by the
sampling fractions; per slot, r -> VEGAS -> channel mapping -> lab momenta,
x1, x2 and the phase-space weight; then cuts, scales, alpha_s, PDFs and one
matrix-element call per subprocess (ALPHA_S per event, FLAVOR_INDEX, DIAGRAM_AMP2
for the channel weights), and

    weight = 0.3893793721e9 pb GeV^2 * w_ps * J_vegas * f_a(x1) f_b(x2) |M|^2 / (2 s-hat)
             * a_c / p_c.

The random numbers of batch k come from ``numpy.random.SeedSequence(seed,
spawn_key=(k,))`` only, so a batch is reproducible whatever ran before it (given
the same grids and fractions, which are frozen after training).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ..abi import InputKey, OutputKey
from .errors import NoPhaseSpaceError, SettingsError
from .events import Array, Cut, EventBatch
from .multichannel import ChannelMap, SamplingFractions, sde_weights
from .process import Process
from .scales import CouplingChoice, ScaleChoice
from .vegas import VegasGrid

__all__ = ["GEV2_TO_PB", "Integrand", "PartonDensities", "Slot", "WeightedSample", "batch_rng"]

#: hbar^2 c^2 in GeV^2 pb: cross sections in GeV^-2 times this are in pb.
GEV2_TO_PB = 0.3893793721e9
#: Random points per slot in the pilot that checks the cuts leave some phase space.
PILOT_POINTS = 2000


class PartonDensities(Protocol):
    """What the integrand needs of a PDF set (``pyumami.pdf.PDFSet``): batched x f(x, Q)
    for a PDG id (21 = gluon), alpha_s(Q), and the grid's lower x limit."""

    x_min: float

    def xfxQ(self, pid: int, x: Array, q: Array) -> Array: ...

    def alphasQ(self, q: Array) -> Array: ...


def batch_rng(seed: int, batch_index: int, stream: int = 0) -> np.random.Generator:
    """The random generator of batch ``batch_index`` of a run with ``seed`` (``stream``
    separates independent uses within one batch, e.g. 1 for the unweighting)."""
    return np.random.default_rng(
        np.random.SeedSequence(int(seed), spawn_key=(int(batch_index), int(stream)))
    )


@dataclass
class Slot:
    """One (subprocess, channel) pair with its mapping and VEGAS grid."""

    subprocess: int
    channel: int
    map: ChannelMap
    grid: VegasGrid


@dataclass(frozen=True)
class WeightedSample:
    """A batch of weighted events plus what training needs: per slot the uniform
    numbers fed to VEGAS and the channel integrand F = weight * p_slot."""

    events: EventBatch
    slot: np.ndarray  # (n,) slot of every event
    r: tuple[Array, ...]  # per slot (n_slot, dim)
    channel_integrand: tuple[Array, ...]  # per slot (n_slot,), pb


class Integrand:
    """Weighted events of a process at a collider energy.

    Args:
        process: the subprocesses and their channels.
        sqrt_s: collider energy in GeV (the partonic energy when ``pdf`` is None).
        pdf: a PDF set (``pyumami.pdf.load(...)``), or None for partons colliding at
            exactly ``sqrt_s`` (lepton colliders, fixed partonic energy).
        scale: fixed scale in GeV or a dynamic name (see :mod:`.scales`); default
            H_T/2 with a PDF, else ``sqrt_s`` (then only recorded).
        alpha_s: fixed strong coupling; default: the PDF set's alpha_s(mu_R), 0.118
            without a PDF.
        cuts: a :class:`~.events.Cut` (True = keep), applied before the matrix element.
        single_channel: one channel per subprocess (the first), no SDE weights.
        sqrt_s_hat_min: lower limit of sqrt(s-hat) in GeV with PDFs (default: the
            final-state threshold); also a generation cut.
        vegas_bins, vegas_alpha: VEGAS grid parameters.
    """

    def __init__(
        self,
        process: Process,
        sqrt_s: float,
        *,
        pdf: PartonDensities | None = None,
        scale: float | str | ScaleChoice | None = None,
        alpha_s: float | None = None,
        cuts: Cut | None = None,
        single_channel: bool = False,
        sqrt_s_hat_min: float | None = None,
        vegas_bins: int = 64,
        vegas_alpha: float = 1.5,
    ) -> None:
        if not (isinstance(sqrt_s, (int, float)) and math.isfinite(sqrt_s) and sqrt_s > 0.0):
            raise SettingsError(f"sqrt_s must be a positive energy in GeV (got {sqrt_s!r})")
        self.process = process
        self.sqrt_s = float(sqrt_s)
        self.pdf = pdf
        self.hadronic = pdf is not None
        if scale is None:
            scale = "ht/2" if self.hadronic else self.sqrt_s
        self.scale = ScaleChoice.parse(scale)
        self.coupling = CouplingChoice(alpha_s, pdf)
        self.cuts = cuts
        self.single_channel = bool(single_channel)
        self._check_threshold(sqrt_s_hat_min)
        self.slots: list[Slot] = []
        for i, sub in enumerate(process.subprocesses):
            channels = sub.channels[:1] if self.single_channel else sub.channels
            for c, channel in enumerate(channels):
                mapping = ChannelMap(
                    channel,
                    sub.final_masses,
                    self.sqrt_s,
                    self.hadronic,
                    self._s_hat_min(sub.final_masses),
                )
                self.slots.append(
                    Slot(i, c, mapping, VegasGrid(mapping.dim, vegas_bins, vegas_alpha))
                )
        self.fractions = SamplingFractions([s.subprocess for s in self.slots])
        self._diagrams = [
            [ch.diagrams for ch in (sub.channels[:1] if self.single_channel else sub.channels)]
            for sub in process.subprocesses
        ]
        self._pdg = [np.asarray(sub.pdg, dtype=np.int32) for sub in process.subprocesses]
        self._check_cuts()

    # ----------------------------------------------------------------- checks
    def _check_threshold(self, sqrt_s_hat_min: float | None) -> None:
        self.sqrt_s_hat_min = None if sqrt_s_hat_min is None else float(sqrt_s_hat_min)
        for sub in self.process.subprocesses:
            threshold = sum(sub.final_masses)
            low = max(threshold, self.sqrt_s_hat_min or 0.0)
            if not self.sqrt_s > low:
                raise SettingsError(
                    f"sqrt_s = {self.sqrt_s} GeV is not above the threshold {low} GeV of "
                    f"{sub.name} (final-state masses {sub.final_masses}); raise the energy"
                )

    def _s_hat_min(self, final_masses: Sequence[float]) -> float:
        threshold_sq = sum(final_masses) ** 2 * (1.0 + 1e-12)
        # massless final states need some lower limit; 1 GeV^2 is far below any cut
        floor = max(threshold_sq, 1.0)
        return max(floor, (self.sqrt_s_hat_min or 0.0) ** 2)

    def _check_cuts(self) -> None:
        """Refuse cuts that leave no phase space, from a pilot of the bare mappings."""
        if self.cuts is None:
            return
        rng = np.random.default_rng(0)
        for slot in self.slots:
            p, _, w = slot.map.forward(rng.random((PILOT_POINTS, slot.map.dim)))
            pdg = np.broadcast_to(self._pdg[slot.subprocess], (PILOT_POINTS, p.shape[1]))
            if np.any(np.asarray(self.cuts(p, pdg)) & (np.asarray(w) > 0.0)):
                return
        raise NoPhaseSpaceError(
            f"the cuts remove all of {PILOT_POINTS} phase-space points in every channel of "
            f"{self.process.spec or 'the process'} at sqrt_s = {self.sqrt_s} GeV; loosen them"
        )

    # ----------------------------------------------------------------- sampling
    def sample(self, seed: int, batch_index: int, n: int) -> WeightedSample:
        """Weighted events of batch ``batch_index`` (n of them, split over the slots)."""
        if n < 1:
            raise SettingsError(f"a batch needs at least one event (got {n})")
        rng = batch_rng(seed, batch_index)
        fractions = self.fractions.values
        counts = self.fractions.split(n, rng)
        rs = tuple(
            rng.random((int(k), slot.map.dim)) for k, slot in zip(counts, self.slots, strict=True)
        )
        parts: list[dict[str, Any]] = []
        for k, (slot, r) in enumerate(zip(self.slots, rs, strict=True)):
            y, jac = slot.grid.forward(r)
            p, x, w_ps = slot.map.forward(y)
            parts.append(
                {
                    "p": p,
                    "x": x,
                    "w": w_ps * jac / fractions[k],
                    "slot": np.full(r.shape[0], k, dtype=np.int32),
                }
            )
        momenta = np.concatenate([q["p"] for q in parts])
        x = np.concatenate([q["x"] for q in parts])
        weight = np.concatenate([q["w"] for q in parts])
        slot_of = np.concatenate([q["slot"] for q in parts])
        sub_of = np.asarray([s.subprocess for s in self.slots], dtype=np.int32)[slot_of]
        chan_of = np.asarray([s.channel for s in self.slots], dtype=np.int32)[slot_of]
        pdg = np.stack([self._pdg[s] for s in range(len(self._pdg))])[sub_of]
        events = self._weigh(rng, momenta, x, weight, pdg, sub_of, chan_of, batch_index)
        split = np.cumsum(counts)[:-1]
        f_slot = np.split(np.asarray(events.weight) * fractions[slot_of], split)
        return WeightedSample(events, slot_of, rs, tuple(f_slot))

    def _weigh(
        self,
        rng: np.random.Generator,
        momenta: Array,
        x: Array,
        w_ps: Array,
        pdg: Array,
        sub_of: Array,
        chan_of: Array,
        batch_index: int,
    ) -> EventBatch:
        n = momenta.shape[0]
        alive = np.isfinite(w_ps) & (w_ps > 0.0)
        if self.hadronic and self.pdf is not None:
            alive &= np.all(x >= self.pdf.x_min, axis=1) & np.all(x <= 1.0, axis=1)
        if self.sqrt_s_hat_min is not None and self.hadronic:
            alive &= x[:, 0] * x[:, 1] * self.sqrt_s**2 >= self.sqrt_s_hat_min**2
        if self.cuts is not None:
            alive &= np.asarray(self.cuts(momenta, pdg), dtype=bool)
        scale = self.scale(momenta)
        alpha_s = self.coupling(scale)
        weight = np.zeros(n)
        helicity = np.full(n, -1, dtype=np.int32)
        color = np.full(n, -1, dtype=np.int32)
        random_hel = rng.random(n)
        random_col = rng.random(n)
        for i, sub in enumerate(self.process.subprocesses):
            idx = np.nonzero(alive & (sub_of == i))[0]
            if idx.size == 0:
                continue
            out = self._matrix_element(
                sub, i, momenta[idx], alpha_s[idx], random_hel[idx], random_col[idx]
            )
            me = out["matrix_element"]
            if "diagram_amp2" in out and len(self._diagrams[i]) > 1:
                me = me * sde_weights(out["diagram_amp2"], chan_of[idx], self._diagrams[i])
            s_hat = x[idx, 0] * x[idx, 1] * self.sqrt_s**2
            lumi = self._parton_luminosity(sub.incoming, x[idx], scale[idx])
            weight[idx] = GEV2_TO_PB * w_ps[idx] * lumi * me / (2.0 * s_hat)
            if "helicity_index" in out:
                helicity[idx] = out["helicity_index"]
            if "color_index" in out:
                color[idx] = out["color_index"]
        weight = np.where(np.isfinite(weight), weight, 0.0)
        lib_outputs = {
            key for sub in self.process.subprocesses for key in sub.library.supported_outputs
        }
        return EventBatch(
            momenta=momenta,
            weight=weight,
            pdg=pdg,
            subprocess=sub_of,
            channel=chan_of,
            x1=x[:, 0],
            x2=x[:, 1],
            scale=scale,
            alpha_s=alpha_s,
            helicity=helicity if OutputKey.HELICITY_INDEX in lib_outputs else None,
            color=color if OutputKey.COLOR_INDEX in lib_outputs else None,
            batch_index=int(batch_index),
        )

    def _matrix_element(
        self,
        sub: Any,
        index: int,
        momenta: Array,
        alpha_s: Array,
        random_hel: Array,
        random_col: Array,
    ) -> dict[str, Array]:
        lib = sub.library
        outputs = ["matrix_element"]
        if not self.single_channel and len(self._diagrams[index]) > 1:
            outputs.append("diagram_amp2")
        inputs: dict[str, Any] = {}
        if InputKey.ALPHA_S in lib.supported_inputs:
            inputs["alpha_s"] = alpha_s
        if sub.flavor is not None:
            inputs["flavor"] = np.full(momenta.shape[0], sub.flavor, dtype=np.int32)
        if OutputKey.HELICITY_INDEX in lib.supported_outputs:
            outputs.append("helicity_index")
            if InputKey.RANDOM_HELICITY in lib.supported_inputs:
                inputs["random_helicity"] = random_hel
        if OutputKey.COLOR_INDEX in lib.supported_outputs:
            outputs.append("color_index")
            if InputKey.RANDOM_COLOR in lib.supported_inputs:
                inputs["random_color"] = random_col
        return lib.evaluate(np.ascontiguousarray(momenta), outputs=tuple(outputs), **inputs)

    def _parton_luminosity(self, incoming: tuple[int, int], x: Array, scale: Array) -> Array:
        """f_a(x1, Q) f_b(x2, Q) (1 without PDFs)."""
        if self.pdf is None:
            return np.ones(x.shape[0])
        fa = np.asarray(self.pdf.xfxQ(incoming[0], x[:, 0], scale)) / x[:, 0]
        fb = np.asarray(self.pdf.xfxQ(incoming[1], x[:, 1], scale)) / x[:, 1]
        return fa * fb

    def freeze(self) -> None:
        for slot in self.slots:
            slot.grid.freeze()

    @property
    def frozen(self) -> bool:
        return all(slot.grid.frozen for slot in self.slots)
