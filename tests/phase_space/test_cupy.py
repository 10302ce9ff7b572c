"""CuPy (CUDA GPU): the RAMBO family and Chili on device arrays.

Skipped where CuPy or a CUDA device is missing; on such machines CuPy
compatibility is covered by the array_api_strict runs of the other tests. On a
GPU machine (CUDA 12):

    .venv/bin/pip install cupy-cuda12x && .venv/bin/python -m pytest -q tests/phase_space/test_cupy.py
"""

from __future__ import annotations

import numpy as np
import pytest

from phase_space.chili import Chili
from phase_space.fast_rambo import FastRambo
from phase_space.rambo import Rambo, RamboOnDiet, massless_volume
from phase_space.rng import RandomSource
from tests.phase_space.conftest import CUDA_UNAVAILABLE


def _cupy_or_skip():
    cupy = pytest.importorskip(
        "cupy", reason="CuPy is not installed (it needs a CUDA GPU and toolkit)"
    )
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            pytest.skip("no CUDA device visible to CuPy")
    except CUDA_UNAVAILABLE as error:  # CUDA driver missing or broken
        pytest.skip(f"CUDA is not usable: {error}")
    return cupy


pytestmark = pytest.mark.gpu


@pytest.mark.parametrize(
    "mapping",
    [
        FastRambo([0.0] * 5, 1000.0),
        FastRambo([173.0, 173.0, 0.0, 0.0], 1000.0),
        RamboOnDiet([173.0, 173.0, 0.0], 1000.0),
        Rambo([173.0, 173.0, 0.0], 1000.0),
        Chili([0.0] * 4, 1000.0, pt_scale=50.0),
    ],
    ids=["FastRambo-5", "FastRambo-ttgg", "RamboOnDiet-ttg", "Rambo-ttg", "Chili-4"],
)
def test_forward_inverse_on_device(mapping):
    cupy = _cupy_or_skip()
    r = RandomSource(cupy.random.default_rng(0)).uniform(100_000, mapping.dim)
    p, w = mapping.forward(r)
    assert isinstance(p, cupy.ndarray) and isinstance(w, cupy.ndarray)
    r_back, w_inv = mapping.inverse(p)
    keep = cupy.asnumpy(w) > 0
    p_host = cupy.asnumpy(p)
    # the same numbers on NumPy give the same momenta
    p_numpy, w_numpy = mapping.forward(cupy.asnumpy(r))
    np.testing.assert_allclose(p_host, p_numpy, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(cupy.asnumpy(w), w_numpy, rtol=1e-10)
    if not isinstance(mapping, Rambo):
        np.testing.assert_allclose(cupy.asnumpy(r_back)[keep], cupy.asnumpy(r)[keep], atol=1e-9)
    np.testing.assert_allclose(cupy.asnumpy(w)[keep] * cupy.asnumpy(w_inv)[keep], 1.0, rtol=1e-9)


def test_volume_on_device():
    cupy = _cupy_or_skip()
    mapping = FastRambo([0.0] * 4, 1000.0)
    r = RandomSource(cupy.random.default_rng(1)).uniform(1_000_000, mapping.dim)
    _, w = mapping.forward(r)
    mean, error = float(w.mean()), float(w.std()) / 1000.0
    assert abs(mean - massless_volume(4, 1000.0)) < 3 * error
