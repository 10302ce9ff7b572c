"""Device handling: a CUDA library refuses host memory and a CPU library refuses
device memory before any call; the real GPU path runs only where a GPU exists."""

from __future__ import annotations

import numpy as np
import pytest

import pyumami
from pyumami.arrays import MemoryKind, memory_kind
from tests._helpers import two_to_two
from tests.conftest import fixture_library


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
@pytest.mark.skipif(
    not _cuda_available(), reason="needs CuPy and a CUDA GPU (none on this machine)"
)
def test_cuda_library_with_cupy_arrays_matches_cpu():  # pragma: no cover - GPU only
    import cupy

    import ref_me

    try:
        gpu_path = ref_me.library_path("gg_ttx", "cuda")
        cpu_path = ref_me.library_path("gg_ttx")
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    from phase_space.rambo import Rambo

    with (
        pyumami.load(cpu_path, ref_me.default_param_card()) as cpu,
        pyumami.load(gpu_path, ref_me.default_param_card()) as gpu,
    ):
        masses = np.asarray(cpu.masses)
        mapping = Rambo(masses[2:], 1500.0)
        p, _ = mapping.forward(np.random.default_rng(1).random((1000, mapping.dim)))
        me_gpu = gpu(cupy.asarray(p))
        assert isinstance(me_gpu, cupy.ndarray)
        np.testing.assert_allclose(cupy.asnumpy(me_gpu), cpu(p), rtol=1e-12)


# --- streams: the logic runs here with stand-ins for CuPy (no GPU needed) ----


class _FakeCupyStream:
    def __init__(self, log):
        self.ptr, self.log = 0xC0FFEE, log

    def synchronize(self):
        self.log.append("stream")


def _fake_cupy(monkeypatch, log):
    import types

    class ndarray:  # array-api-compat recognises CuPy arrays by this class
        device = types.SimpleNamespace(id=0)

    stream = _FakeCupyStream(log)
    cuda = types.SimpleNamespace(
        get_current_stream=lambda: stream,
        Device=lambda index: types.SimpleNamespace(synchronize=lambda: log.append("device")),
    )
    monkeypatch.setitem(
        __import__("sys").modules, "cupy", types.SimpleNamespace(ndarray=ndarray, cuda=cuda)
    )
    return ndarray()


def test_stream_passed_and_synchronised_when_the_library_takes_it(monkeypatch):
    from pyumami import gpu

    log: list[str] = []
    plan = gpu.plan_stream(_fake_cupy(monkeypatch, log), library_takes_stream=True)
    assert plan.handle == 0xC0FFEE
    plan.before()
    plan.after()
    assert log == ["stream"]  # the caller's stream only, never the whole device


def test_without_stream_support_the_device_is_synchronised(monkeypatch):
    from pyumami import gpu

    log: list[str] = []
    plan = gpu.plan_stream(_fake_cupy(monkeypatch, log), library_takes_stream=False)
    assert plan.handle is None
    plan.before()  # the inputs were converted on the caller's stream
    plan.after()  # the library ran on its own
    assert log == ["stream", "device"]
    assert gpu.plan_stream(np.zeros(3), library_takes_stream=True).handle is None


def test_device_call_passes_the_callers_stream_as_gpu_stream(monkeypatch):
    # fake_cuda advertises GPU_STREAM and answers ERROR without reading any pointer;
    # array_api_strict stands in for the device array library
    xp = pytest.importorskip("array_api_strict")
    from pyumami import gpu, introspection, library

    log: list[str] = []
    seen = {}
    monkeypatch.setattr(library, "memory_kind", lambda x: MemoryKind.CUDA)
    monkeypatch.setattr(gpu, "device_pointer", lambda x: int(x) if isinstance(x, int) else 0x1000)
    monkeypatch.setattr(
        gpu,
        "plan_stream",
        lambda x, takes: gpu.StreamPlan(
            0xC0FFEE if takes else None, lambda: log.append("before"), lambda: log.append("after")
        ),
    )
    real = introspection.call_matrix_element

    def spy(lib, handle, count, stride, offset, inputs, outputs):
        seen.update(outputs)
        return real(lib, handle, count, stride, offset, inputs, outputs)

    monkeypatch.setattr(introspection, "call_matrix_element", spy)
    with pyumami.load(fixture_library("fake_cuda")) as lib:
        assert pyumami.OutputKey.GPU_STREAM in lib.supported_outputs
        with pytest.raises(pyumami.StatusError, match="ERROR"):
            lib(xp.asarray(two_to_two(8)))
    assert seen[pyumami.OutputKey.GPU_STREAM] == 0xC0FFEE
    assert log == ["before", "after"]
