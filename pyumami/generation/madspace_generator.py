"""MadSpace's own event generator on the same libraries, PDF grid and scale as ours.

A reference for the validation tests and ``bench/generation.py``: MadSpace (PyPI
``madspace``, an optional test dependency) loads our UMAMI libraries through its own
client, reads the same LHAPDF grid with its own interpolator, and runs its own
VEGAS survey and unweighting (one flat channel per subprocess, MadSpace's default
"flat" phase space). Only hadronic runs at a fixed scale are set up.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import SettingsError
from .process import Process

__all__ = ["MadSpaceRun", "run_madspace"]


@dataclass(frozen=True)
class MadSpaceRun:
    """What one MadSpace generation measured.

    Attributes:
        cross_section_pb, error_pb: MadSpace's summed estimate over the subprocesses.
        n_weighted: weighted events generated in the generation phase.
        n_unweighted: unweighted events it produced.
        survey_seconds, generate_seconds: wall times of the two phases.
        generate_cpu_seconds: CPU time of this process (all threads) while generating.
    """

    cross_section_pb: float
    error_pb: float
    n_weighted: int
    n_unweighted: float
    survey_seconds: float
    generate_seconds: float
    generate_cpu_seconds: float = 0.0

    @property
    def efficiency(self) -> float:
        return self.n_unweighted / self.n_weighted if self.n_weighted else 0.0


def run_madspace(
    process: Process,
    sqrt_s: float,
    pdf_path: str | Path,
    scale: float,
    n_events: int,
    *,
    threads: int = 2,
    seed: int = 1,
    param_card: str | Path | None = None,
    vegas_bins: int = 64,
) -> MadSpaceRun:
    """Survey and generate ``n_events`` unweighted events of ``process`` with MadSpace.

    Args:
        process: our subprocesses (their library paths, PDG ids and FLAVOR_INDEX).
        sqrt_s: hadronic collider energy in GeV.
        pdf_path: directory of an LHAPDF set (NAME/NAME.info and NAME_0000.dat).
        scale: fixed renormalisation = factorisation scale in GeV.
        threads: MadSpace's CPU thread pool.
    """
    import madspace as ms

    import ref_me

    pdf_dir = Path(pdf_path)
    name = pdf_dir.name
    card = str(param_card or ref_me.default_param_card())
    ctx = ms.Context(threads)
    grid = ms.PdfGrid(str(pdf_dir / f"{name}_0000.dat"))
    grid.initialize_globals(ctx)
    alphas = ms.AlphaSGrid(str(pdf_dir / f"{name}.info"))
    alphas.initialize_globals(ctx)
    coupling = ms.RunningCoupling(alphas)
    n_particles = process.particle_count
    energy_scale = ms.EnergyScale(n_particles, float(scale))
    config = ms.GeneratorConfig()
    config.target_count = int(n_events)
    config.verbosity = ms.Verbosity.silent
    apis: dict[str, object] = {}
    run_dir = Path(tempfile.mkdtemp(prefix="madspace_run_"))
    channels = []
    for i, sub in enumerate(process.subprocesses):
        path = sub.library.path
        if path not in apis:
            apis[path] = ctx.load_matrix_element(path, card)
        element = ms.MatrixElement(
            apis[path],
            ms.Integrand.matrix_element_inputs,
            ms.Integrand.matrix_element_outputs,
            True,
        )
        diff_xs = ms.DifferentialCrossSection(
            matrix_element=element,
            cm_energy=float(sqrt_s),
            running_coupling=None,
            energy_scale=ms.CachedScale(),
            pid_options=[],
            pdf1=ms.CachedPdf(),
            pdf2=ms.CachedPdf(),
            input_momentum_fraction=True,
        )
        mapping = ms.PhaseSpaceMapping(list(sub.masses), float(sqrt_s))
        vegas = ms.VegasMapping(mapping.random_dim(), vegas_bins, f"sub{i}.vegas")
        vegas.initialize_globals(ctx)
        diagrams = sub.library.diagram_count or 1
        integrand = ms.Integrand(
            mapping,
            [diff_xs],
            adaptive_map=vegas,
            pid_options=[list(sub.incoming)],
            pdf_grid=grid,
            running_coupling=coupling,
            energy_scale=energy_scale,
            first_chan_weight_remap=[list(range(diagrams))],
            first_remapped_chan_count=1,
            channel_indices=[0],
            active_flavors=[],
            flavor_remap=[sub.flavor or 0],
            flavor_factors=[1.0],
            flavor_mirror=[False],
        )
        channels.append(
            ms.ChannelEventGenerator(
                [ctx],
                integrand,
                str(run_dir / f"events.{i}.npy"),
                str(run_dir / f"weights.{i}.npy"),
                config,
                i,
                sub.name,
                None,
            )
        )
    generator = ms.EventGenerator([ctx], channels, int(seed), None, config)
    start = time.perf_counter()
    generator.survey()
    survey = time.perf_counter() - start
    counted_before = sum(s.count for s in generator.channel_status())
    start, cpu = time.perf_counter(), time.process_time()
    generator.generate()
    generate = time.perf_counter() - start
    generate_cpu = time.process_time() - cpu
    status = generator.channel_status()
    if not status:
        raise SettingsError("MadSpace returned no channel status")
    mean = sum(s.mean for s in status)
    error = sum(s.error**2 for s in status) ** 0.5
    counted = sum(s.count for s in status) - counted_before
    unweighted = sum(s.count_unweighted for s in status)
    return MadSpaceRun(mean, error, counted, unweighted, survey, generate, generate_cpu)
