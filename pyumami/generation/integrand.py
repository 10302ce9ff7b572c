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

import array_api_compat
import numpy as np

from ..abi import Device, InputKey, OutputKey
from .errors import NoPhaseSpaceError, SettingsError
from .events import Array, Cut, EventBatch
from .multichannel import ChannelMap, SamplingFractions, sde_weights
from .process import Channel, Process
from .scales import CouplingChoice, ScaleChoice
from .unweighting import host_array
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
        xp: array namespace of the chain (None: NumPy). Random numbers are drawn on the
            host from the batch's seed and converted once; with CuPy and a CUDA library
            nothing else leaves the device until a writer needs it.
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
        xp: Any = None,
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
        self.xp = None if xp is None or array_api_compat.is_numpy_namespace(xp) else xp
        self.single_channel = bool(single_channel)
        self._check_threshold(sqrt_s_hat_min)
        self._check_pdf_flavours()
        self.slots: list[Slot] = []
        for i in range(len(process.subprocesses)):
            sub = process.subprocesses[i]
            for c, channel in enumerate(self.channels(i)):
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
            [ch.diagrams for ch in self.channels(i)] for i in range(len(process.subprocesses))
        ]
        self._pdg = [np.asarray(sub.pdg, dtype=np.int32) for sub in process.subprocesses]
        self._check_cuts()

    def channels(self, subprocess: int) -> tuple[Channel, ...]:
        """The channels sampled for a subprocess (events' ``channel`` indexes them): all of
        its channels, or the first with ``single_channel``."""
        channels = self.process.subprocesses[subprocess].channels
        return channels[:1] if self.single_channel else channels

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

    def _check_pdf_flavours(self) -> None:
        """Refuse incoming particles the PDF set has no density for (e.g. leptons)."""
        flavours = getattr(self.pdf, "flavors", None)
        if self.pdf is None or flavours is None:
            return
        known = set(flavours) | ({21} if 0 in flavours else set())
        for sub in self.process.subprocesses:
            missing = [p for p in sub.incoming if p not in known]
            if missing:
                raise SettingsError(
                    f"the PDF set {getattr(self.pdf, 'name', '')} has no density for PDG id(s) "
                    f"{missing} of {sub.name}; use pdf=None for colliding leptons or partons "
                    "at a fixed energy"
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
            r = self._to_namespace(rng.random((PILOT_POINTS, slot.map.dim)))
            p, _, w = slot.map.forward(r)
            xp = array_api_compat.array_namespace(p)
            pdg = xp.broadcast_to(
                xp.asarray(self._pdg[slot.subprocess]), (PILOT_POINTS, p.shape[1])
            )
            if bool(xp.any(xp.asarray(self.cuts(p, pdg)) & (w > 0.0))):
                return
        raise NoPhaseSpaceError(
            f"the cuts remove all of {PILOT_POINTS} phase-space points in every channel of "
            f"{self.process.spec or 'the process'} at sqrt_s = {self.sqrt_s} GeV; loosen them"
        )

    def _to_namespace(self, values: np.ndarray) -> Array:
        """Host random numbers in the chain's namespace (a host-to-device copy for CuPy)."""
        return values if self.xp is None else self.xp.asarray(values)

    # ----------------------------------------------------------------- sampling
    def sample(self, seed: int, batch_index: int, n: int, training: bool = False) -> WeightedSample:
        """Weighted events of batch ``batch_index`` (n of them, split over the slots by the
        sampling fractions, or by their training split with ``training``).

        Events come slot by slot (so each subprocess's events are contiguous)."""
        if n < 1:
            raise SettingsError(f"a batch needs at least one event (got {n})")
        rng = batch_rng(seed, batch_index)
        fractions = self.fractions.training_values if training else self.fractions.values
        counts = self.fractions.split(n, rng, training)
        rs = tuple(
            self._to_namespace(rng.random((int(k), slot.map.dim)))
            for k, slot in zip(counts, self.slots, strict=True)
        )
        momenta, x, w_ps = [], [], []
        for k, (slot, r) in enumerate(zip(self.slots, rs, strict=True)):
            y, jac = slot.grid.forward(r)
            p, xk, w = slot.map.forward(y)
            momenta.append(p)
            x.append(xk)
            w_ps.append(w * jac / float(fractions[k]))
        xp = array_api_compat.array_namespace(*momenta)
        slot_of = np.repeat(np.arange(len(self.slots), dtype=np.int32), counts)
        random_hel = self._to_namespace(rng.random(n))
        random_col = self._to_namespace(rng.random(n))
        events = self._weigh(
            xp.concat(momenta, axis=0), xp.concat(x, axis=0), xp.concat(w_ps, axis=0),
            slot_of, random_hel, random_col, batch_index,
        )  # fmt: skip
        bounds = np.concatenate([[0], np.cumsum(counts)])
        f_slot = tuple(
            events.weight[int(a) : int(b)] * float(fractions[k])
            for k, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True))
        )
        return WeightedSample(events, slot_of, rs, f_slot)

    def _weigh(
        self,
        momenta: Array,
        x: Array,
        w_ps: Array,
        slot_of: np.ndarray,
        random_hel: Array,
        random_col: Array,
        batch_index: int,
    ) -> EventBatch:
        xp = array_api_compat.array_namespace(momenta)
        sub_host = np.asarray([s.subprocess for s in self.slots], dtype=np.int32)[slot_of]
        chan_host = np.asarray([s.channel for s in self.slots], dtype=np.int32)[slot_of]
        pdg = xp.asarray(np.stack(self._pdg)[sub_host])
        alive = xp.isfinite(w_ps) & (w_ps > 0.0)
        if self.hadronic and self.pdf is not None:
            alive = alive & xp.all(x >= self.pdf.x_min, axis=1) & xp.all(x <= 1.0, axis=1)
        if self.sqrt_s_hat_min is not None and self.hadronic:
            alive = alive & (x[:, 0] * x[:, 1] * self.sqrt_s**2 >= self.sqrt_s_hat_min**2)
        if self.cuts is not None:
            alive = alive & xp.astype(xp.asarray(self.cuts(momenta, pdg)), xp.bool)
        scale = self.scale(momenta)
        alpha_s = self.coupling(scale)
        weights, helicities, colors = [], [], []
        for i, sub in enumerate(self.process.subprocesses):
            rows = np.nonzero(sub_host == i)[0]
            seg = slice(int(rows[0]), int(rows[-1]) + 1) if rows.size else slice(0, 0)
            size = seg.stop - seg.start
            weight = xp.zeros(size, dtype=xp.float64)
            helicity = xp.full(size, -1, dtype=xp.int32)
            color = xp.full(size, -1, dtype=xp.int32)
            mask = alive[seg]
            n_alive = int(xp.sum(xp.astype(mask, xp.int64))) if size else 0
            if n_alive:
                # where every event lives (no cuts, the usual case) slices are views:
                # no boolean gathers of the batch, no scatter of the results
                everyone = n_alive == size

                def pick(a: Array, seg: slice = seg, mask: Array = mask, every: bool = everyone):
                    return a[seg, ...] if every else a[seg, ...][mask]

                channel = pick(xp.asarray(chan_host))
                out = self._matrix_element(
                    sub, i, pick(momenta), pick(alpha_s), pick(random_hel), pick(random_col), xp
                )
                me = out["matrix_element"]
                if "diagram_amp2" in out:
                    me = me * sde_weights(out["diagram_amp2"], channel, self._diagrams[i])
                xi = pick(x)
                s_hat = xi[:, 0] * xi[:, 1] * self.sqrt_s**2
                lumi = self._parton_luminosity(sub.incoming, xi, pick(scale))
                value = GEV2_TO_PB * pick(w_ps) * lumi * me / (2.0 * s_hat)
                if everyone:
                    weight = value
                else:
                    weight[mask] = value
                for key, target in (("helicity_index", helicity), ("color_index", color)):
                    if key in out:
                        if everyone:
                            target[...] = xp.astype(out[key], xp.int32)
                        else:
                            target[mask] = xp.astype(out[key], xp.int32)
            weights.append(weight)
            helicities.append(helicity)
            colors.append(color)
        weight = xp.concat(weights)
        weight = xp.where(xp.isfinite(weight), weight, 0.0)
        outputs = {
            key for sub in self.process.subprocesses for key in sub.library.supported_outputs
        }
        return EventBatch(
            momenta=momenta,
            weight=weight,
            pdg=pdg,
            subprocess=xp.asarray(sub_host),
            channel=xp.asarray(chan_host),
            x1=x[:, 0],
            x2=x[:, 1],
            scale=scale,
            alpha_s=alpha_s,
            helicity=xp.concat(helicities) if OutputKey.HELICITY_INDEX in outputs else None,
            color=xp.concat(colors) if OutputKey.COLOR_INDEX in outputs else None,
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
        xp: Any,
    ) -> dict[str, Array]:
        """One library call; arrays cross to the host only for a CPU library fed from
        another namespace (a CUDA library takes CuPy arrays as they are)."""
        lib = sub.library
        host = lib.device == Device.CPU and not array_api_compat.is_numpy_namespace(xp)

        def give(a: Array) -> Array:
            return host_array(a) if host else a

        outputs = ["matrix_element"]
        if not self.single_channel and len(self._diagrams[index]) > 1:
            outputs.append("diagram_amp2")
        inputs: dict[str, Any] = {}
        if InputKey.ALPHA_S in lib.supported_inputs:
            inputs["alpha_s"] = give(alpha_s)
        if sub.flavor is not None:
            inputs["flavor"] = sub.flavor
        if OutputKey.HELICITY_INDEX in lib.supported_outputs:
            outputs.append("helicity_index")
            if InputKey.RANDOM_HELICITY in lib.supported_inputs:
                inputs["random_helicity"] = give(random_hel)
        if OutputKey.COLOR_INDEX in lib.supported_outputs:
            outputs.append("color_index")
            if InputKey.RANDOM_COLOR in lib.supported_inputs:
                inputs["random_color"] = give(random_col)
        out = lib.evaluate(give(momenta), outputs=tuple(outputs), **inputs)
        return {key: xp.asarray(value) for key, value in out.items()} if host else out

    def _parton_luminosity(self, incoming: tuple[int, int], x: Array, scale: Array) -> Array:
        """f_a(x1, Q) f_b(x2, Q) (1 without PDFs)."""
        xp = array_api_compat.array_namespace(x)
        if self.pdf is None:
            return xp.ones(x.shape[0], dtype=xp.float64)
        fa = xp.asarray(self.pdf.xfxQ(incoming[0], x[:, 0], scale)) / x[:, 0]
        fb = xp.asarray(self.pdf.xfxQ(incoming[1], x[:, 1], scale)) / x[:, 1]
        return fa * fb

    def freeze(self) -> None:
        for slot in self.slots:
            slot.grid.freeze()

    @property
    def frozen(self) -> bool:
        return all(slot.grid.frozen for slot in self.slots)
