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
from .parts import evaluate_parts, part_bounds
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
    for a PDG id (21 = gluon) or an array of them (broadcasting against x and Q, as do
    x and Q against each other), alpha_s(Q), and the grid's lower x limit."""

    x_min: float

    def xfxQ(self, pid: int | Array, x: Array, q: Array | float) -> Array: ...

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


@dataclass(frozen=True)
class _Call:
    """One subprocess of a prepared part: its rows ``seg``, which of them live (``mask``;
    ``everyone``: all, and the inputs are views), the library inputs of the live ones
    and the weight per unit |M|^2 (pb GeV^(2n-4)); inputs None without live events."""

    subprocess: int
    seg: slice
    mask: Array
    everyone: bool
    momenta: Array | None
    alpha_s: Array | None
    random_hel: Array | None
    random_col: Array | None
    channel: Array | None
    factor: Array | None


@dataclass(frozen=True)
class _Prepared:
    """A part of a batch up to its matrix elements (see :meth:`Integrand._prepare`)."""

    momenta: Array
    x: Array
    scale: Array
    alpha_s: Array
    pdg: Array
    sub_host: np.ndarray
    chan_host: np.ndarray
    calls: list[_Call]
    batch_index: int


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

        Events come slot by slot (so each subprocess's events are contiguous). The random
        numbers are drawn first, in one fixed order; the batch is then evaluated in
        contiguous parts, the library calls of one part beside the phase space of the
        next on :attr:`threads` >= 2 (:mod:`.parts`). Every step after the draw is per
        event, so the events do not depend on the number of threads."""
        if n < 1:
            raise SettingsError(f"a batch needs at least one event (got {n})")
        rng = batch_rng(seed, batch_index)
        fractions = self.fractions.training_values if training else self.fractions.values
        counts = self.fractions.split(n, rng, training)
        rs = tuple(
            self._to_namespace(rng.random((int(k), slot.map.dim)))
            for k, slot in zip(counts, self.slots, strict=True)
        )
        slot_of = np.repeat(np.arange(len(self.slots), dtype=np.int32), counts)
        random_hel = self._to_namespace(rng.random(n))
        random_col = self._to_namespace(rng.random(n))
        bounds = np.concatenate([[0], np.cumsum(counts)])

        def prepare(lo: int, hi: int) -> _Prepared:
            return self._phase_space(
                rs, bounds, fractions, lo, hi, slot_of, random_hel, random_col, batch_index
            )

        events = evaluate_parts(
            prepare, self._matrix_elements, self._finish, part_bounds(n, self.threads)
        )
        f_slot = tuple(
            events.weight[int(a) : int(b)] * float(fractions[k])
            for k, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True))
        )
        return WeightedSample(events, slot_of, rs, f_slot)

    @property
    def threads(self) -> int:
        """Threads a batch is evaluated on: the most of its CPU libraries' threads (so a
        Dask worker whose library runs on one thread evaluates in one piece); 1 off NumPy,
        where the array library parallelises."""
        if self.xp is not None:
            return 1
        return max(
            int(getattr(sub.library, "threads", 1)) if sub.library.device == Device.CPU else 1
            for sub in self.process.subprocesses
        )

    def _phase_space(
        self,
        rs: tuple[Array, ...],
        bounds: np.ndarray,
        fractions: np.ndarray,
        lo: int,
        hi: int,
        slot_of: np.ndarray,
        random_hel: Array,
        random_col: Array,
        batch_index: int,
    ) -> _Prepared:
        """Events [lo, hi) of a batch whose slot k holds events [bounds[k], bounds[k + 1])
        and drew the random numbers rs[k], up to their matrix elements."""
        momenta, x, w_ps = [], [], []
        for k, (slot, r) in enumerate(zip(self.slots, rs, strict=True)):
            a, b = max(lo, int(bounds[k])), min(hi, int(bounds[k + 1]))
            if a >= b:
                continue
            y, jac = slot.grid.forward(r[a - int(bounds[k]) : b - int(bounds[k]), ...])
            p, xk, w = slot.map.forward(y)
            momenta.append(p)
            x.append(xk)
            w_ps.append(w * jac / float(fractions[k]))
        xp = array_api_compat.array_namespace(*momenta)
        # Hadronic mappings return views of batch-contiguous (4, npar, n) arrays (UMAMI's
        # layout, see phase_space.boost_to_lab): joined in that layout, a CPU library reads
        # the batch without converting it.
        joined = xp.concat([xp.permute_dims(p, (2, 1, 0)) for p in momenta], axis=-1)
        return self._prepare(
            xp.permute_dims(joined, (2, 1, 0)), xp.concat(x, axis=0), xp.concat(w_ps, axis=0),
            slot_of[lo:hi], random_hel[lo:hi], random_col[lo:hi], batch_index,
        )  # fmt: skip

    def _prepare(
        self,
        momenta: Array,
        x: Array,
        w_ps: Array,
        slot_of: np.ndarray,
        random_hel: Array,
        random_col: Array,
        batch_index: int,
    ) -> _Prepared:
        """Everything of a (part of a) batch but its matrix elements: cuts, scales,
        alpha_s, PDFs and, per subprocess, the library inputs and the pb per |M|^2."""
        xp = array_api_compat.array_namespace(momenta)
        sub_host = np.asarray([s.subprocess for s in self.slots], dtype=np.int32)[slot_of]
        chan_host = np.asarray([s.channel for s in self.slots], dtype=np.int32)[slot_of]
        pdg = xp.asarray(np.stack(self._pdg)[sub_host])
        alive = xp.isfinite(w_ps) & (w_ps > 0.0)
        if self.hadronic and self.pdf is not None:
            # column by column: a reduction along the short axis of x costs ~10x more
            x1, x2 = x[:, 0], x[:, 1]
            x_min = self.pdf.x_min
            alive = alive & (x1 >= x_min) & (x2 >= x_min) & (x1 <= 1.0) & (x2 <= 1.0)
        if self.sqrt_s_hat_min is not None and self.hadronic:
            alive = alive & (x[:, 0] * x[:, 1] * self.sqrt_s**2 >= self.sqrt_s_hat_min**2)
        if self.cuts is not None:
            alive = alive & xp.astype(xp.asarray(self.cuts(momenta, pdg)), xp.bool)
        scale = self.scale(momenta)
        if self.scale.value is not None and scale.shape[0] > 1:
            # one scale, one alpha_s: looked up once, not per event
            alpha_s = xp.broadcast_to(self.coupling(scale[:1]), scale.shape)
        else:
            alpha_s = self.coupling(scale)
        calls = []
        for i, sub in enumerate(self.process.subprocesses):
            rows = np.nonzero(sub_host == i)[0]
            seg = slice(int(rows[0]), int(rows[-1]) + 1) if rows.size else slice(0, 0)
            size = seg.stop - seg.start
            mask = alive[seg]
            n_alive = int(xp.sum(xp.astype(mask, xp.int64))) if size else 0
            if not n_alive:
                calls.append(_Call(i, seg, mask, False, None, None, None, None, None, None))
                continue
            # where every event lives (no cuts, the usual case) slices are views:
            # no boolean gathers of the batch, no scatter of the results
            everyone = n_alive == size

            def pick(a: Array, seg: slice = seg, mask: Array = mask, every: bool = everyone):
                return a[seg, ...] if every else a[seg, ...][mask]

            xi = pick(x)
            s_hat = xi[:, 0] * xi[:, 1] * self.sqrt_s**2
            # a fixed scale goes as a number: the PDF folds its grid to it once
            mu_f = pick(scale) if self.scale.value is None else self.scale.value
            lumi = self._parton_luminosity(sub.incoming, xi, mu_f)
            calls.append(
                _Call(
                    i,
                    seg,
                    mask,
                    everyone,
                    pick(momenta),
                    pick(alpha_s),
                    pick(random_hel),
                    pick(random_col),
                    pick(xp.asarray(chan_host)),
                    GEV2_TO_PB * pick(w_ps) * lumi / (2.0 * s_hat),
                )
            )
        return _Prepared(momenta, x, scale, alpha_s, pdg, sub_host, chan_host, calls, batch_index)

    def _matrix_elements(self, part: _Prepared) -> list[dict[str, Array] | None]:
        """The library calls of a prepared part, one per subprocess with live events."""
        xp = array_api_compat.array_namespace(part.momenta)
        return [
            None
            if call.momenta is None
            else self._matrix_element(
                self.process.subprocesses[call.subprocess],
                call.subprocess,
                call.momenta,
                call.alpha_s,
                call.random_hel,
                call.random_col,
                xp,
            )
            for call in part.calls
        ]

    def _finish(self, part: _Prepared, outs: list[dict[str, Array] | None]) -> EventBatch:
        """The events of a prepared part from its matrix elements."""
        xp = array_api_compat.array_namespace(part.momenta)
        weights, helicities, colors = [], [], []
        for call, out in zip(part.calls, outs, strict=True):
            size = call.seg.stop - call.seg.start
            helicity = xp.full(size, -1, dtype=xp.int32)
            color = xp.full(size, -1, dtype=xp.int32)
            if out is None:
                weight = xp.zeros(size, dtype=xp.float64)
            else:
                me = out["matrix_element"]
                if "diagram_amp2" in out:
                    me = me * sde_weights(
                        out["diagram_amp2"], call.channel, self._diagrams[call.subprocess]
                    )
                value = call.factor * me
                if call.everyone:
                    weight = value
                else:
                    weight = xp.zeros(size, dtype=xp.float64)
                    weight[call.mask] = value
                for key, target in (("helicity_index", helicity), ("color_index", color)):
                    if key in out:
                        if call.everyone:
                            target[...] = xp.astype(out[key], xp.int32)
                        else:
                            target[call.mask] = xp.astype(out[key], xp.int32)
            weights.append(weight)
            helicities.append(helicity)
            colors.append(color)
        weight = xp.concat(weights)
        weight = xp.where(xp.isfinite(weight), weight, 0.0)
        outputs = {
            key for sub in self.process.subprocesses for key in sub.library.supported_outputs
        }
        return EventBatch(
            momenta=part.momenta,
            weight=weight,
            pdg=part.pdg,
            subprocess=xp.asarray(part.sub_host),
            channel=xp.asarray(part.chan_host),
            x1=part.x[:, 0],
            x2=part.x[:, 1],
            scale=part.scale,
            alpha_s=part.alpha_s,
            helicity=xp.concat(helicities) if OutputKey.HELICITY_INDEX in outputs else None,
            color=xp.concat(colors) if OutputKey.COLOR_INDEX in outputs else None,
            batch_index=int(part.batch_index),
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

    def _parton_luminosity(
        self, incoming: tuple[int, int], x: Array, scale: Array | float
    ) -> Array:
        """f_a(x1, Q) f_b(x2, Q) (1 without PDFs); ``scale`` Q in GeV, per event or fixed."""
        xp = array_api_compat.array_namespace(x)
        if self.pdf is None:
            return xp.ones(x.shape[0], dtype=xp.float64)
        # both beams in one call (one interpolation set-up for the pair): the PDG ids
        # broadcast against x (n, 2), a per-event scale against its rows
        pid = incoming[0] if incoming[0] == incoming[1] else xp.asarray(incoming, dtype=xp.int64)
        q = scale if isinstance(scale, float | int) else scale[:, None]
        xf = xp.asarray(self.pdf.xfxQ(pid, x, q))
        return xf[:, 0] * xf[:, 1] / (x[:, 0] * x[:, 1])

    def freeze(self) -> None:
        for slot in self.slots:
            slot.grid.freeze()

    @property
    def frozen(self) -> bool:
        return all(slot.grid.frozen for slot in self.slots)
