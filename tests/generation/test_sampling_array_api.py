"""The chain written once against the array API: under array_api_strict (which refuses
anything NumPy-only, the way CuPy support is proven without a GPU) the integrand gives
bit-identical events to NumPy; on a GPU machine the same run with CuPy and the CUDA
library stays on the device."""

from __future__ import annotations

import array_api_strict as xps
import numpy as np
import pytest

import ref_me
from pyumami.generation.generator import Generator
from pyumami.generation.unweighting import host_array


def library(name: str, device: str = "cpu"):
    try:
        return ref_me.library_path(name, device)
    except (KeyError, FileNotFoundError):
        pytest.skip(f"{name} ({device}) not built")


def forward_muon(momenta, pdg):
    return momenta[:, 2, 3] > -0.5 * momenta[:, 2, 0]


@pytest.mark.parametrize(
    "spec, lib, sqrt_s", [("g g > t t~", "gg_ttx", 1000.0), ("e+ e- > mu+ mu-", "ee_mumu", 91.188)]
)
def test_array_api_strict_chain_equals_numpy(spec, lib, sqrt_s):
    library(lib)
    runs = []
    for xp in (None, xps):
        gen = Generator(spec, sqrt_s, libraries=lib, seed=3, threads=2, xp=xp, cuts=forward_muon)
        gen.train(2, 1000)
        events = gen.sample(800).events
        unweighted = gen.generate(50, batch_size=800).events
        runs.append((events, unweighted))
    (a, ua), (b, ub) = runs
    assert isinstance(b.weight, type(xps.asarray(0.0)))
    for field in ("momenta", "weight", "x1", "scale", "alpha_s", "pdg", "channel"):
        np.testing.assert_array_equal(host_array(getattr(b, field)), getattr(a, field))
    np.testing.assert_array_equal(host_array(ub.momenta), ua.momenta)


@pytest.mark.gpu
def test_cupy_chain_with_the_cuda_library():
    cupy = pytest.importorskip("cupy", reason="CuPy is needed for the GPU chain")
    try:
        cupy.cuda.runtime.getDeviceCount()
    except Exception:  # noqa: BLE001 - any CUDA failure means no usable device
        pytest.skip("no CUDA device")
    path = library("gg_ttx", "cuda")
    gen = Generator("g g > t t~", 1000.0, libraries=str(path), seed=3, xp=cupy)
    gen.train(2, 2000)
    events = gen.sample(1000).events
    assert isinstance(events.weight, cupy.ndarray) and isinstance(events.momenta, cupy.ndarray)
    cpu = Generator("g g > t t~", 1000.0, libraries="gg_ttx", seed=3)
    cpu.train(2, 2000)
    np.testing.assert_allclose(events.weight.get(), cpu.sample(1000).events.weight, rtol=1e-10)
