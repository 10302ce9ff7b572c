"""Device handling: a CUDA library refuses host memory and a CPU library refuses
device memory before any call; the real GPU path runs only where a GPU exists."""
from __future__ import annotations

import numpy as np
import pytest

import pyumami
from pyumami.arrays import MemoryKind, memory_kind
from tests.conftest import fixture_library
from tests.test_host_evaluate import two_to_two


class FakeCudaArray:
    """Claims (through DLPack's device query) to live in CUDA memory."""

    shape = (4, 4, 4)
    dtype = np.dtype(np.float64)

    def __dlpack_device__(self):
        return (2, 0)  # kDLCUDA, device 0

    def __dlpack__(self, **kwargs):  # pragma: no cover - must never be consumed
        raise AssertionError("a CPU library must not try to read device memory")


def test_memory_kind():
    assert memory_kind(np.zeros(3)) is MemoryKind.HOST
    assert memory_kind(FakeCudaArray()) is MemoryKind.CUDA
    assert memory_kind([1.0, 2.0]) is MemoryKind.HOST


def test_host_memory_to_cuda_library_is_refused():
    with pyumami.load(fixture_library("fake_cuda")) as lib:
        assert lib.device == pyumami.Device.CUDA
        with pytest.raises(pyumami.DeviceMismatchError, match="CUDA.*host memory") as info:
            lib(two_to_two(8))
        assert isinstance(info.value, ValueError)


def test_device_memory_to_cpu_library_is_refused():
    with pyumami.load(fixture_library("minimal")) as lib:
        with pytest.raises(pyumami.DeviceMismatchError, match="cuda device memory"):
            lib(FakeCudaArray())


def _cuda_available() -> bool:
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


@pytest.mark.gpu
@pytest.mark.skipif(not _cuda_available(), reason="needs CuPy and a CUDA GPU (none on this machine)")
def test_cuda_library_with_cupy_arrays_matches_cpu():  # pragma: no cover - GPU only
    import cupy
    import ref_me

    try:
        gpu_path = ref_me.library_path("gg_ttx", "cuda")
        cpu_path = ref_me.library_path("gg_ttx")
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    from phase_space.rambo import Rambo

    with pyumami.load(cpu_path, ref_me.default_param_card()) as cpu, \
         pyumami.load(gpu_path, ref_me.default_param_card()) as gpu:
        masses = np.asarray(cpu.masses)
        mapping = Rambo(masses[2:], 1500.0)
        p, _ = mapping.forward(np.random.default_rng(1).random((1000, mapping.dim)))
        me_gpu = gpu(cupy.asarray(p))
        assert isinstance(me_gpu, cupy.ndarray)
        np.testing.assert_allclose(cupy.asnumpy(me_gpu), cpu(p), rtol=1e-12)
