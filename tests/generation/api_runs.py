"""One small run through the generator's Python API, reduced to what must not depend on
where its batches are computed (in this process, on worker processes, on a cluster)."""

from __future__ import annotations

import numpy as np

from pyumami.generation.generator import Generator
from pyumami.generation.streaming import unweighted_batches
from pyumami.generation.unweighting import MaxWeight


def fingerprint(gen: Generator) -> tuple[tuple, int]:
    """(the run's results as bytes and numbers, batches recomputed whole) of ``gen``
    (a g g -> t t~ generator, seed and batch size fixed by the caller): training,
    integration, generate() and the CLI's stream of unweighted batches."""
    gen.train(2, 2000)
    max_weight = MaxWeight(1e-3)  # W of the stream, from the integration (as the CLI does)
    integration = gen.integrate(6000, on_batch=lambda b: max_weight.update(b.weight))
    result = gen.generate(1000)
    events = result.events.to_numpy()
    stream = list(unweighted_batches(gen, 1000, 1.0, max_weight))
    return (integration.cross_section_pb, integration.error_pb, result.cross_section_pb,
            result.max_weight_pb, np.asarray(events.momenta).tobytes(),
            np.asarray(events.weight).tobytes(), max_weight.value, gen.next_batch,
            np.concatenate([b.momenta for b in stream]).tobytes()), gen.recomputed  # fmt: skip
