"""Batches of real g g -> t t~ events for the output tests (no sampler needed).

Momenta come from RAMBO at fixed sqrt(s) (incoming gluons along the beam); the colour and helicity indices come from the reference library itself.
"""

from __future__ import annotations

import numpy as np

from pyumami.generation.events import EventBatch

SQRT_S = 1000.0


def gg_ttx_batch(lib, n: int, seed: int, batch_index: int = 0) -> EventBatch:
    """``n`` weighted g g -> t t~ events at sqrt(s) = SQRT_S GeV from the open library ``lib``."""
    from phase_space.rambo import Rambo

    rng = np.random.default_rng(seed)
    mapping = Rambo(np.asarray(lib.masses[2:]), SQRT_S)
    momenta, ps_weight = mapping.forward(rng.random((n, mapping.dim)))  # beams included
    momenta = np.asarray(momenta)
    out = lib.evaluate(
        momenta,
        alpha_s=0.118,
        random_helicity=rng.random(n),
        random_color=rng.random(n),
        outputs=("matrix_element", "helicity_index", "color_index"),
    )
    return EventBatch(
        momenta=momenta,
        weight=out["matrix_element"] * np.asarray(ps_weight),
        pdg=np.tile(np.array([21, 21, 6, -6], dtype=np.int32), (n, 1)),
        subprocess=np.zeros(n, dtype=np.int32),
        channel=np.zeros(n, dtype=np.int32),
        x1=np.ones(n),
        x2=np.ones(n),
        scale=np.full(n, 173.0),
        alpha_s=np.full(n, 0.118),
        helicity=out["helicity_index"],
        color=out["color_index"],
        batch_index=batch_index,
    )
