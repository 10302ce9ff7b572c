"""Weighted histograms of observables, filled batch by batch, saved and plotted.

A :class:`HistogramSet` holds one ``hist.Hist`` (weight storage) per
:class:`HistogramSpec` (an observable expression of :mod:`.observables` with a
regular binning, written ``"pt(t):40:0:500"``). Every candidate of the
observable in an event (each top, say) is filled with the event weight.

Normalisation, in pb per bin: a *weighted* set (events straight from the
integrand, mean weight = cross section) divides its sums by the number of events
filled; an *unweighted* set (weights sigma/N) uses the sums as they are. Errors
follow the same rule (the variance of a mean for weighted sets).
:func:`chi2` compares two sets bin by bin, which is how a run checks that its
unweighted events reproduce the weighted distributions.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .events import EventBatch
from .observables import PARTICLE_CLASSES, Observable, parse_observable

__all__ = ["HistogramSet", "HistogramSpec", "chi2", "default_specs", "plot"]


@dataclass(frozen=True)
class HistogramSpec:
    """``expression`` (``pt(t)``, ``m(t,t~)``, ...) in ``bins`` bins on [low, high)."""

    expression: str
    bins: int
    low: float
    high: float

    @classmethod
    def parse(cls, text: str) -> HistogramSpec:
        """``"EXPR:BINS:LOW:HIGH"`` (CLI ``--hist``, run card ``histograms``)."""
        parts = text.rsplit(":", 3)
        if len(parts) != 4:
            raise ValueError(
                f"histogram {text!r}: expected EXPRESSION:BINS:LOW:HIGH, e.g. 'pt(t):40:0:500'"
            )
        expression, bins, low, high = parts
        try:
            spec = cls(expression.strip(), int(bins), float(low), float(high))
        except ValueError:
            raise ValueError(
                f"histogram {text!r}: BINS must be an integer and LOW, HIGH numbers"
            ) from None
        if spec.bins < 1 or not spec.high > spec.low:
            raise ValueError(f"histogram {text!r}: need BINS >= 1 and HIGH > LOW")
        parse_observable(spec.expression)  # report a bad expression before any work
        return spec

    def __str__(self) -> str:
        return f"{self.expression}:{self.bins}:{self.low:g}:{self.high:g}"

    @property
    def slug(self) -> str:
        """A file-name-safe form of the expression (``m(t,t~)`` -> ``m_t_tbar``)."""
        text = self.expression.replace("~", "bar").replace("+", "plus").replace("-", "minus")
        return "_".join(filter(None, "".join(c if c.isalnum() else " " for c in text).split()))


_UNITS = {"pt": "GeV", "e": "GeV", "px": "GeV", "py": "GeV", "pz": "GeV", "m": "GeV",
          "ht": "GeV", "sqrtshat": "GeV", "shat": "GeV^2", "phi": "rad", "dphi": "rad"}  # fmt: skip


def default_specs(
    final_pdg: Sequence[int], sqrt_s: float, fixed_energy: bool
) -> list[HistogramSpec]:
    """pT and rapidity of every distinct final-state particle (PDG ids known to the
    ``particle`` package), the invariant mass of a final-state pair, and sqrt(s-hat)
    when the partonic energy varies."""
    from particle import Particle

    pt_max = min(sqrt_s / 2, 1000.0)
    specs: list[HistogramSpec] = []
    names = []
    for pid in dict.fromkeys(int(p) for p in final_pdg):
        name = Particle.from_pdgid(pid).name
        if name.lower() in PARTICLE_CLASSES:  # "t" would select t~ too: name the id itself
            name = str(pid)
        names.append(name)
        specs += [
            HistogramSpec(f"pt({name})", 40, 0.0, pt_max),
            HistogramSpec(f"y({name})", 40, -4.0, 4.0),
        ]
    if len(final_pdg) == 2:
        pair = f"m({names[0]},{names[-1]})"
        specs.append(HistogramSpec(pair, 40, 0.0, sqrt_s if fixed_energy else min(sqrt_s, 2000.0)))
    if not fixed_energy:
        specs.append(HistogramSpec("sqrtshat", 40, 0.0, min(sqrt_s, 2000.0)))
    return specs


class HistogramSet:
    """One weighted ``hist.Hist`` per spec; ``weighted`` selects the normalisation."""

    def __init__(self, specs: Sequence[HistogramSpec], *, weighted: bool, n_incoming: int = 2):
        import hist

        self.specs = list(specs)
        self.weighted = weighted
        self.events = 0
        self.weight_sum = 0.0
        self._observables: list[Observable] = [
            parse_observable(s.expression, n_incoming) for s in self.specs
        ]
        self.histograms = [
            hist.Hist.new.Reg(s.bins, s.low, s.high, name="x", label=s.expression).Weight()
            for s in self.specs
        ]

    def fill(self, batch: EventBatch) -> None:
        """Add every event of ``batch`` with its weight (copied to the host once)."""
        batch = batch.to_numpy()
        weight = np.asarray(batch.weight, dtype=np.float64)
        self.events += len(batch)
        self.weight_sum += float(np.sum(weight))
        for observable, histogram in zip(self._observables, self.histograms, strict=True):
            values, valid = observable.values(batch.momenta, batch.pdg)
            weights = np.broadcast_to(weight[:, None], values.shape)
            histogram.fill(x=values[valid], weight=weights[valid])

    def values(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """(pb per bin, its standard error) of histogram ``index``."""
        view = self.histograms[index].view()
        total, squares = np.asarray(view.value), np.asarray(view.variance)
        if not self.weighted:
            return total, np.sqrt(squares)
        n = max(self.events, 1)
        mean = total / n
        variance = np.clip(squares / n - mean**2, 0.0, None) / max(n - 1, 1)
        return mean, np.sqrt(variance)

    def as_dict(self) -> dict[str, dict[str, list[float]]]:
        """JSON-ready data: per expression the bin edges, pb per bin and errors."""
        out = {}
        for i, spec in enumerate(self.specs):
            value, error = self.values(i)
            edges = self.histograms[i].axes[0].edges
            out[spec.expression] = {
                "edges": edges.tolist(),
                "pb": value.tolist(),
                "error_pb": error.tolist(),
            }
        return out

    def save(self, path: str | os.PathLike[str]) -> tuple[Path, Path]:
        """Write ``<path>.json`` and ``<path>.npz`` (keys ``<slug>_edges/_pb/_error_pb``)."""
        base = Path(path)
        data = self.as_dict()
        json_path, npz_path = base.with_suffix(".json"), base.with_suffix(".npz")
        json_path.write_text(
            json.dumps({"weighted": self.weighted, "events": self.events, "histograms": data})
        )
        arrays: dict[str, Any] = {}
        for spec in self.specs:
            for key, value in data[spec.expression].items():
                arrays[f"{spec.slug}_{key}"] = np.asarray(value)
        np.savez(npz_path, **arrays)
        return json_path, npz_path


def chi2(a: HistogramSet, b: HistogramSet, index: int) -> tuple[float, int]:
    """(chi^2, number of bins) between histogram ``index`` of ``a`` and of ``b``.

    A weighted set contributes its error; an unweighted set the Poisson variance of
    the count the other set predicts (unit weight x value, Pearson's chi^2), so an
    empty bin where events are expected counts. The sets are taken as independent;
    bins where both variances vanish are skipped.
    """
    va, ea = a.values(index)
    vb, eb = b.values(index)
    variance = _variance(a, va, vb, ea) + _variance(b, vb, va, eb)
    used = variance > 0
    return float(np.sum((va[used] - vb[used]) ** 2 / variance[used])), int(np.count_nonzero(used))


def _variance(h: HistogramSet, own: np.ndarray, other: np.ndarray, error: np.ndarray) -> np.ndarray:
    if h.weighted or h.events == 0:
        return error**2
    unit = h.weight_sum / h.events  # sigma / N: the weight of one unweighted event
    expected = np.where(other > 0, other, own)
    return unit * np.clip(expected, 0.0, None)


def plot(
    weighted: HistogramSet, unweighted: HistogramSet | None, directory: str | os.PathLike[str],
    title: str = "",
) -> list[Path]:  # fmt: skip
    """One PNG per histogram in ``directory``: d(sigma)/dx of the weighted events as a
    line, the unweighted events as points with errors, and chi^2/bins in the legend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import mplhep

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for i, spec in enumerate(weighted.specs):
        edges = weighted.histograms[i].axes[0].edges
        widths = np.diff(edges)
        figure, axis = plt.subplots(figsize=(6, 4.5))
        value, error = weighted.values(i)
        mplhep.histplot(
            value / widths, edges, yerr=error / widths, ax=axis, label="weighted events"
        )
        if unweighted is not None:
            u_value, u_error = unweighted.values(i)
            c2, bins = chi2(weighted, unweighted, i)
            mplhep.histplot(
                u_value / widths, edges, yerr=u_error / widths, ax=axis, histtype="errorbar",
                label=f"unweighted events (chi2/bins = {c2:.1f}/{bins})",
            )  # fmt: skip
        name = spec.expression.split("(")[0].lower()
        unit = _UNITS.get(name, "")
        axis.set_xlabel(f"{spec.expression}" + (f" [{unit}]" if unit else ""))
        axis.set_ylabel("d sigma / dx [pb" + (f"/{unit}" if unit else "") + "]")
        if title:
            axis.set_title(title, fontsize=10)
        axis.legend(fontsize=8)
        # fixed margins: tight_layout measured every label and took half the plotting time
        figure.subplots_adjust(left=0.14, right=0.97, bottom=0.12, top=0.92)
        path = directory / f"{spec.slug}.png"
        figure.savefig(path, dpi=100)
        plt.close(figure)
        written.append(path)
    return written
