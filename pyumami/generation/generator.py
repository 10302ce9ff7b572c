"""The event generator a user drives: train, integrate, generate unweighted events.

    gen = Generator("g g > t t~", sqrt_s=1000.0, libraries="gg_ttx", seed=1)
    gen.train(iterations=8, batch_size=20_000)     # per-iteration estimates
    result = gen.integrate(200_000)                 # cross section (pb) and error
    events = gen.generate(10_000)                   # unweighted EventBatch + efficiency

Training adapts the VEGAS grid of every slot (subprocess x channel) and the
sampling fractions; :meth:`Generator.integrate` and :meth:`Generator.generate`
freeze both first, so every later batch depends only on (seed, batch index).
:func:`generate` and :func:`integrate` do it all in one call.
"""

from __future__ import annotations

import itertools
import os
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from collections.abc import Generator as GeneratorIterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import SettingsError
from .events import Cut, EventBatch
from .integrand import Integrand, PartonDensities, WeightedSample, batch_rng
from .process import Process
from .scales import ScaleChoice
from .unweighting import (
    DEFAULT_MAX_OVERWEIGHT,
    UNWEIGHTING_STREAM,
    MaxWeight,
    ReducedBatch,
    ReductionHint,
    Unweighter,
    host_array,
)
from .worker_processes import WorkerProcesses, default_processes
from .worker_processes import available as worker_processes_available

__all__ = [
    "GenerationResult",
    "Generator",
    "IntegrationResult",
    "IterationResult",
    "generate",
    "integrate",
]

#: Weighted events per batch unless given (see ``batch_size`` of :class:`Generator`).
DEFAULT_BATCH_SIZE = 40_000
#: Events expected from the batches consumed and in flight, over those asked for, up to
#: which worker processes compute batches ahead (a batch beyond the end of a run is
#: computed for nothing; one short of it makes the last batch run alone).
AHEAD_MARGIN = 1.03


def expects_more(done: int, consumed: int, ahead: int, n: int) -> bool:
    """Whether a consumer holding ``done`` of ``n`` events after ``consumed`` batches
    may still need a batch consumed after ``ahead`` others (those in flight expected to
    give as many events per batch as the consumed ones, AHEAD_MARGIN to spare)."""
    return consumed == 0 or done * (1.0 + ahead / consumed) < AHEAD_MARGIN * n


#: training iterations whose events estimate the slots' maximum weights
_POOLED_ITERATIONS = 3


@dataclass(frozen=True)
class IterationResult:
    """One training iteration: the estimate from its batch (pb) and the fractions used."""

    iteration: int
    cross_section_pb: float
    error_pb: float
    n_events: int
    fractions: tuple[float, ...]


@dataclass(frozen=True)
class IntegrationResult:
    """A cross section from frozen grids.

    Attributes:
        cross_section_pb, error_pb: mean weight and its Monte Carlo error (pb).
        n_events: weighted events used; n_nonzero: of them with weight > 0.
        subprocess_cross_sections_pb, subprocess_errors_pb: per subprocess.
        unweighting_efficiency: <w> / W for the default over-weight fraction, an
            estimate of the efficiency :meth:`Generator.generate` will reach.
    """

    cross_section_pb: float
    error_pb: float
    n_events: int
    n_nonzero: int
    subprocess_cross_sections_pb: tuple[float, ...]
    subprocess_errors_pb: tuple[float, ...]
    unweighting_efficiency: float

    @property
    def relative_error(self) -> float:
        return self.error_pb / self.cross_section_pb if self.cross_section_pb else float("inf")


@dataclass(frozen=True)
class GenerationResult:
    """Unweighted events and what their generation measured."""

    events: EventBatch
    cross_section_pb: float
    error_pb: float
    efficiency: float
    n_weighted: int
    max_weight_pb: float


class Generator:
    """Integrate a process and generate events from it, step by step.

    Args:
        process: a :class:`Process`, or a spec such as ``"p p > t t~"`` resolved with
            ``libraries`` (names of reference processes or library paths; default:
            every built reference library).
        sqrt_s: collider energy in GeV (partonic energy when ``pdf`` is None).
        pdf: a PDF set (``pyumami.pdf.load(...)``) or None (partons at exactly sqrt_s).
        scale, alpha_s, cuts, single_channel, sqrt_s_hat_min: see :class:`Integrand`.
        seed: run seed; batch k draws from (seed, k) only.
        threads: CPU threads of each library (only with a spec; a Process brings its
            libraries; default: all cores). With two or more, the frozen batches run on
            worker processes (``processes``), and a batch computed in this process (the
            training's) has its library calls beside its phase space (:mod:`.parts`);
            results depend on neither.
        batch_size: default events per batch (the default fills both stages of
            :mod:`.parts` on two threads with parts large enough to amortise the fixed cost
            of a part's array calls).
        max_overweight: share of the cross section events above the maximum weight may carry.
        progress: show tqdm progress bars.
        xp: array namespace of the chain (None: NumPy; e.g. CuPy with a CUDA library).
        workers: frozen batches computed concurrently in threads of this process, where
            there are no worker processes (results do not depend on it). Default 1:
            batches computed ahead in threads cost more CPU per event than they overlap
            (GIL hand-overs; ``bench/generation.py --workers 2`` measures it).
        processes: worker processes computing the frozen batches of integrate/generate
            (:mod:`.worker_processes`; training stays here, results do not depend on it),
            the libraries' threads shared among them. Default: one per library thread
            (at most the machine's cores) on a CPU chain where processes can be forked,
            else 1 (this process computes every batch).
        client: a ``dask.distributed.Client`` (see :func:`.cluster.connect`): the frozen
            batches of integrate/generate run on its cluster (training stays here);
            results do not depend on it.

    A generator with worker processes forks them at its first frozen batch and holds them
    until :meth:`close` (or the end of a ``with`` block, or garbage collection).
    """

    def __init__(
        self,
        process: Process | str,
        sqrt_s: float,
        *,
        libraries: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
        pdf: PartonDensities | None = None,
        scale: float | str | ScaleChoice | None = None,
        alpha_s: float | None = None,
        cuts: Cut | None = None,
        seed: int = 0,
        threads: int | None = None,
        single_channel: bool = False,
        sqrt_s_hat_min: float | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_overweight: float = DEFAULT_MAX_OVERWEIGHT,
        progress: bool = False,
        vegas_bins: int = 64,
        vegas_alpha: float = 1.5,
        xp: Any = None,
        workers: int = 1,
        processes: int | None = None,
        client: Any = None,
    ) -> None:
        if workers < 1:
            raise SettingsError(f"workers must be >= 1 (got {workers})")
        if processes is not None and processes < 1:
            raise SettingsError(f"processes must be >= 1 (got {processes})")
        if batch_size < 1:
            raise SettingsError(f"batch_size must be >= 1 (got {batch_size})")
        if not 0.0 <= max_overweight < 1.0:
            raise SettingsError(f"max_overweight must lie in [0, 1) (got {max_overweight})")
        if isinstance(process, str):
            process = Process.from_spec(process, libraries, threads=threads)
        self.process = process
        self.integrand = Integrand(
            process,
            sqrt_s,
            pdf=pdf,
            scale=scale,
            alpha_s=alpha_s,
            cuts=cuts,
            single_channel=single_channel,
            sqrt_s_hat_min=sqrt_s_hat_min,
            vegas_bins=vegas_bins,
            vegas_alpha=vegas_alpha,
            xp=xp,
        )
        self.seed = int(seed)
        self.batch_size = int(batch_size)
        self.workers = int(workers)
        self.client = client
        self._processes = processes
        self._pool: WorkerProcesses | None = None
        self._pool_finalizer: weakref.finalize | None = None
        self.max_overweight = float(max_overweight)
        self.progress = bool(progress)
        self.next_batch = 0
        self.recomputed = 0  # batches reduced on a cluster too tightly, recomputed here
        self.history: list[IterationResult] = []
        # per training iteration, per slot: F of its events (what the fractions learn from)
        self._recent: deque[list[np.ndarray]] = deque(maxlen=_POOLED_ITERATIONS)

    # ------------------------------------------------------------------ steps
    def sample(self, n: int | None = None, batch_index: int | None = None) -> WeightedSample:
        """One weighted batch (the next batch index unless given)."""
        if batch_index is None:
            batch_index, self.next_batch = self.next_batch, self.next_batch + 1
        return self.integrand.sample(self.seed, batch_index, n or self.batch_size)

    def train(self, iterations: int = 10, batch_size: int | None = None) -> list[IterationResult]:
        """Adapt the VEGAS grids and sampling fractions on ``iterations`` batches (each
        split by :attr:`SamplingFractions.training_values`, so that every slot is trained)."""
        if self.integrand.frozen:
            raise SettingsError(
                "the grids are frozen (integrate/generate ran); make a new Generator"
            )
        results = []
        for _ in self._bar(range(int(iterations)), "training"):
            fractions = tuple(float(f) for f in self.integrand.fractions.training_values)
            index, self.next_batch = self.next_batch, self.next_batch + 1
            sample = self.integrand.sample(
                self.seed, index, batch_size or self.batch_size, training=True
            )
            self._recent.append([host_array(f) for f in sample.channel_integrand])
            for slot, r, f in zip(
                self.integrand.slots, sample.r, sample.channel_integrand, strict=True
            ):
                slot.grid.accumulate(r, f)
                slot.grid.refine()
            # each slot's maximum weight for the run's over-weight fraction, from the pool of
            # the latest iterations (a single small batch underestimates a heavy tail)
            peaks = [_max_weight([it[k] for it in self._recent], self.max_overweight)
                     for k in range(len(self.integrand.slots))]  # fmt: skip
            self.integrand.fractions.update(np.array(peaks))
            mean, err = _mean_error(host_array(sample.events.weight))
            results.append(
                IterationResult(len(self.history), mean, err, len(sample.events), fractions)
            )
            self.history.append(results[-1])
        return results

    def _frozen_samples(
        self,
        sizes: Iterable[int],
        reduction: Callable[[int], ReductionHint] | None = None,
        wanted: Callable[[int], bool] | None = None,
    ) -> GeneratorIterator[tuple[int, WeightedSample | ReducedBatch], None, None]:
        """(batch index, sample) for consecutive batch indices with the grids frozen.

        On worker processes or a cluster with ``reduction``, a batch comes back reduced
        where it was computed (:func:`~.unweighting.reduce_batch`) against
        ``reduction(ahead)``, the consumer's hint for a batch consumed after ``ahead``
        others; :meth:`_whole` gives any batch whole. ``wanted(ahead)``: whether the
        consumer expects to need such a batch (worker processes compute no more ahead
        than that; see :meth:`.WorkerProcesses.samples`).

        With ``workers`` > 1 the next batches are computed ahead in a thread pool (NumPy
        and the library release the GIL), overlapping one batch's phase space and PDFs
        with another's matrix elements. Every batch is a function of (seed, index) and the
        frozen state only, so the results do not depend on ``workers``."""
        self.integrand.freeze()
        if self.client is not None:
            from .cluster import cluster_samples

            yield from self._counted(cluster_samples(
                self.client, self.integrand, self.seed, self.next_batch, sizes, self.progress,
                reduction,
            ))  # fmt: skip
            return
        if self.processes > 1:
            yield from self._counted(
                self._worker_pool().samples(self.seed, self.next_batch, sizes, reduction, wanted)
            )
            return
        if self.workers <= 1:
            for size in sizes:
                index, self.next_batch = self.next_batch, self.next_batch + 1
                yield index, self.integrand.sample(self.seed, index, size)
            return
        queue: deque[tuple[int, Future[WeightedSample]]] = deque()
        todo = iter(sizes)
        upcoming = self.next_batch
        with ThreadPoolExecutor(self.workers) as pool:

            def submit() -> None:
                nonlocal upcoming
                size = next(todo, None)
                if size is not None:
                    job = pool.submit(self.integrand.sample, self.seed, upcoming, size)
                    queue.append((upcoming, job))
                    upcoming += 1

            try:
                for _ in range(self.workers):
                    submit()
                while queue:
                    index, job = queue.popleft()
                    sample = job.result()
                    self.next_batch = index + 1
                    submit()
                    yield index, sample
            finally:
                for _, job in queue:
                    job.cancel()

    def _counted(
        self, stream: GeneratorIterator[tuple[int, WeightedSample | ReducedBatch], None, None]
    ) -> GeneratorIterator[tuple[int, WeightedSample | ReducedBatch], None, None]:
        """``stream``'s (batch index, sample), the batch counter kept after each; closing
        this closes ``stream`` (which cancels what it computes ahead)."""
        try:
            for index, sample in stream:
                self.next_batch = index + 1
                yield index, sample
        finally:
            stream.close()

    @property
    def processes(self) -> int:
        """Worker processes computing the frozen batches (1: this process computes them;
        a cluster client, when given, takes their place)."""
        if self.client is not None or self.integrand.xp is not None:
            return 1
        if self._processes is not None:
            return self._processes if worker_processes_available() else 1
        return default_processes(self.integrand.threads)

    def _worker_pool(self) -> WorkerProcesses:
        """The worker processes, forked at the first frozen batch (the grids are frozen
        for good then; the same workers serve every later integrate/generate)."""
        if self._pool is None:
            processes = self.processes
            threads = max(1, self.integrand.threads // processes)
            self._pool = WorkerProcesses(self.integrand, processes, threads)
            self._pool_finalizer = weakref.finalize(self, self._pool.close)
        return self._pool

    def close(self) -> None:
        """Stop the worker processes, if any (a later frozen batch forks new ones)."""
        if self._pool_finalizer is not None:
            self._pool_finalizer()
        self._pool = self._pool_finalizer = None

    def __enter__(self) -> Generator:
        return self

    def __exit__(self, *args: object) -> None:
        self.close()

    def _whole(self, index: int, sample: WeightedSample | ReducedBatch) -> WeightedSample:
        """Batch ``index`` whole: ``sample`` itself, or recomputed here when it came back
        reduced (the same batch: it depends on the seed and its index only)."""
        if isinstance(sample, WeightedSample):
            return sample
        self.recomputed += 1
        return self.integrand.sample(self.seed, index, sample.n)

    def weighted_batches(self, n: int, batch_size: int | None = None) -> Iterator[EventBatch]:
        """Weighted events from the frozen grids, ``n`` in all, batch by batch."""
        size = batch_size or self.batch_size
        sizes = [min(size, n - start) for start in range(0, n, size)]
        with self._counter(n, "integrating") as bar:
            for _, sample in self._frozen_samples(sizes):
                yield sample.events
                bar.update(len(sample.events))

    def integrate(
        self,
        n: int,
        batch_size: int | None = None,
        on_batch: Callable[[EventBatch], None] | None = None,
    ) -> IntegrationResult:
        """Cross section from ``n`` weighted events with the grids frozen; ``on_batch``
        sees every weighted batch (to fill histograms or a maximum-weight estimate)."""
        if n < 2:
            raise SettingsError(f"integrate needs at least 2 events (got {n})")
        n_sub = len(self.process.subprocesses)
        sums = np.zeros((n_sub, 2))
        total = np.zeros(2)
        count = nonzero = 0
        max_weight = MaxWeight(self.max_overweight)
        for events in self.weighted_batches(n, batch_size):
            if on_batch is not None:
                on_batch(events)
            w = host_array(events.weight)
            sub = host_array(events.subprocess)
            total += (w.sum(), (w * w).sum())
            for i in range(n_sub):
                wi = np.where(sub == i, w, 0.0)
                sums[i] += (wi.sum(), (wi * wi).sum())
            count += w.size
            nonzero += int(np.count_nonzero(w))
            max_weight.update(w)
        mean, err = _moments(total, count)
        per_sub = [_moments(s, count) for s in sums]
        efficiency = mean / max_weight.value if max_weight.value > 0.0 else 0.0
        return IntegrationResult(
            mean,
            err,
            count,
            nonzero,
            tuple(m for m, _ in per_sub),
            tuple(e for _, e in per_sub),
            efficiency,
        )

    def generate(
        self, n: int, batch_size: int | None = None, max_batches: int | None = None
    ) -> GenerationResult:
        """``n`` unweighted events (grids frozen), with the maximum weight found on the fly.

        Stops after ``max_batches`` weighted batches if given (then fewer events may
        come back)."""
        if n < 1:
            raise SettingsError(f"generate needs n >= 1 (got {n})")
        self.integrand.freeze()
        size = batch_size or self.batch_size
        unweighter = Unweighter(self.max_overweight)
        batches = have = 0
        kept_share = 1.0  # of the candidates, at the last exact count (for the progress bar)

        def wanted(ahead: int) -> bool:
            if max_batches is not None and batches + ahead >= max_batches:
                return False
            return expects_more(have, batches, ahead, n)

        with self._counter(n, "unweighting") as bar:
            shown = 0
            samples = self._frozen_samples(itertools.repeat(size), unweighter.hint, wanted)
            for index, sample in samples:
                if not isinstance(sample, ReducedBatch) or unweighter.add_reduced(sample) is None:
                    rng = batch_rng(self.seed, index, UNWEIGHTING_STREAM)
                    unweighter.add(self._whole(index, sample).events, rng)
                batches += 1
                # the exact count passes over every candidate: only once it can reach n
                candidates = unweighter.candidates
                if candidates >= n:
                    have = unweighter.expected()
                    kept_share = have / candidates
                else:
                    have = int(candidates * kept_share)
                bar.update(max(0, min(have, n) - shown))
                shown = max(shown, min(have, n))
                if have >= n or (max_batches is not None and batches >= max_batches):
                    break
            samples.close()  # cancels the batches still in flight
        mean, err = unweighter.cross_section
        events = unweighter.finish(n, mean)
        return GenerationResult(
            events,
            mean,
            err,
            unweighter.efficiency,
            unweighter.n_trials,
            unweighter.max_weight.value,
        )

    # --------------------------------------------------------------- progress
    def _bar(self, iterable, desc: str):
        if not self.progress:
            return iterable
        from tqdm.auto import tqdm

        return tqdm(iterable, desc=desc)

    def _counter(self, total: int, desc: str):
        if self.progress:
            from tqdm.auto import tqdm

            return tqdm(total=total, desc=desc)
        return _NoBar()


class _NoBar:
    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *args: object) -> None:
        return None

    def update(self, _: int) -> None:
        return None


def _max_weight(pool: list[np.ndarray], max_overweight: float) -> float:
    """The maximum weight of one slot's pooled integrand values; NaN without data."""
    values = np.concatenate(pool)
    return MaxWeight(max_overweight).update(values) if values.size else float("nan")


def _mean_error(w: np.ndarray) -> tuple[float, float]:
    return _moments(np.array([w.sum(), (w * w).sum()]), w.size)


def _moments(sums: np.ndarray, n: int) -> tuple[float, float]:
    mean = sums[0] / n
    var = max(sums[1] / n - mean * mean, 0.0)
    return float(mean), float(np.sqrt(var / max(n - 1, 1)))


def integrate(
    process: Process | str,
    sqrt_s: float,
    n: int = 100_000,
    *,
    iterations: int = 10,
    train_batch: int = 10_000,
    **options,
) -> IntegrationResult:
    """Train (``iterations`` batches of ``train_batch``) and integrate with ``n`` events;
    ``options`` as for :class:`Generator`."""
    with Generator(process, sqrt_s, **options) as gen:
        gen.train(iterations, train_batch)
        return gen.integrate(n)


def generate(
    process: Process | str,
    sqrt_s: float,
    n_events: int,
    *,
    iterations: int = 10,
    train_batch: int = 10_000,
    **options,
) -> GenerationResult:
    """Train and return ``n_events`` unweighted events; ``options`` as for :class:`Generator`."""
    with Generator(process, sqrt_s, **options) as gen:
        gen.train(iterations, train_batch)
        return gen.generate(n_events)
