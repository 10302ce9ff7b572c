"""Build checks of the reference libraries: exported symbols (CPU and CUDA) and the
CUDA library's metadata, which needs no GPU.

The CUDA libraries are built with ``make cuda-libs`` where nvcc exists (skipped with
the reason otherwise). A GPU is only needed by ``test_cuda_matches_cpu``, skipped
where the CUDA runtime finds no device.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import ref_me
from pyumami.abi import ENTRY_POINTS, Device, MetaKey, OutputKey, Status, VendorOutputKey, ffi

REPO = Path(__file__).resolve().parents[1]
NINE = sorted(ENTRY_POINTS)
NVCC = shutil.which(os.environ.get("NVCC", "nvcc"))


def exported_umami_symbols(path: Path) -> list[str]:
    """Names of the defined dynamic symbols starting with umami_ (nm -D --defined-only)."""
    if shutil.which("nm") is None:
        pytest.skip("nm (binutils) is not installed")
    out = subprocess.run(
        ["nm", "-D", "--defined-only", str(path)], check=True, capture_output=True, text=True
    ).stdout
    names = [line.split()[-1] for line in out.splitlines() if line.strip()]
    return sorted(n for n in names if n.startswith("umami_"))


@pytest.mark.parametrize("process", sorted(ref_me.PROCESSES))
def test_cpu_library_exports_the_nine_entry_points(process):
    try:
        path = ref_me.library_path(process, "cpu")
    except FileNotFoundError as exc:
        pytest.fail(str(exc))
    assert exported_umami_symbols(path) == NINE


@pytest.fixture(scope="module")
def cuda_libraries() -> dict[str, Path]:
    if NVCC is None:
        pytest.skip("nvcc not found: the CUDA libraries are not built on this machine")
    # Incremental: a no-op when `make libs` has already built them.
    build = subprocess.run(["make", "-C", str(REPO), "cuda-libs"], capture_output=True, text=True)
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-4000:]
    return {p: ref_me.library_path(p, "cuda") for p in sorted(ref_me.PROCESSES)}


@pytest.mark.parametrize("process", sorted(ref_me.PROCESSES))
def test_cuda_library_exports_the_nine_entry_points(cuda_libraries, process):
    assert exported_umami_symbols(cuda_libraries[process]) == NINE


@pytest.mark.parametrize("process", sorted(ref_me.PROCESSES))
def test_cuda_library_metadata_without_gpu(cuda_libraries, process):
    """get_meta, the capability queries and initialize never touch the GPU."""
    cpu = ffi.dlopen(str(ref_me.library_path(process, "cpu")))
    lib = ffi.dlopen(str(cuda_libraries[process]))
    value = ffi.new("int*")
    assert lib.umami_get_meta(MetaKey.DEVICE, value) == Status.SUCCESS
    assert value[0] == Device.CUDA
    for key in (
        MetaKey.PARTICLE_COUNT,
        MetaKey.DIAGRAM_COUNT,
        MetaKey.HELICITY_COUNT,
        MetaKey.COLOR_COUNT,
    ):
        expected = ffi.new("int*")
        assert cpu.umami_get_meta(key, expected) == Status.SUCCESS
        assert lib.umami_get_meta(key, value) == Status.SUCCESS
        assert value[0] == expected[0], key.name
    flags = ffi.new("const bool**")
    count = ffi.new("int*")
    assert lib.umami_supported_outputs(flags, count) == Status.SUCCESS
    # the flags run on over pyumami's vendor range (gradients), which the CUDA build
    # does not offer
    assert count[0] > VendorOutputKey.PARAMETER_DERIVATIVE and flags[0][OutputKey.GPU_STREAM]
    assert not any(flags[0][key] for key in range(min(VendorOutputKey), count[0]))
    handle = ffi.new("UmamiHandle*")
    assert lib.umami_initialize(handle, ffi.NULL) == Status.SUCCESS
    re = ffi.new("double*")
    assert lib.umami_get_parameter(handle[0], b"MT", re, ffi.NULL) == Status.SUCCESS
    assert re[0] == 173.0
    assert lib.umami_free(handle[0]) == Status.SUCCESS


def test_cuda_library_refuses_host_memory(cuda_libraries):
    """Host pointers given to the CUDA build give an error status, never a crash
    (run in a subprocess so that a crash could not take the test session down)."""
    script = textwrap.dedent(f"""
        import numpy as np
        from pyumami.abi import ffi
        lib = ffi.dlopen({str(cuda_libraries["gg_ttx"])!r})
        h = ffi.new("UmamiHandle*")
        assert lib.umami_initialize(h, ffi.NULL) == 0
        mom = np.zeros(4 * 4 * 2); me = np.zeros(2)
        status = lib.umami_matrix_element(
            h[0], 2, 2, 0, 1, ffi.new("UmamiInputKey[]", [0]),
            ffi.new("void*[]", [ffi.cast("void*", ffi.from_buffer(mom))]),
            1, ffi.new("UmamiOutputKey[]", [0]),
            ffi.new("void*[]", [ffi.cast("void*", ffi.from_buffer(me))]))
        print(status)
    """)
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert int(run.stdout.split()[-1]) == Status.ERROR


def _cudart():
    """The CUDA runtime with at least one device, or a skip with the reason."""
    for name in (
        "libcudart.so",
        "libcudart.so.13",
        "libcudart.so.12",
        "/usr/local/cuda/lib64/libcudart.so",
    ):
        try:
            rt = ctypes.CDLL(name)
            break
        except OSError:
            continue
    else:
        pytest.skip("CUDA runtime library not found")
    count = ctypes.c_int(0)
    if rt.cudaGetDeviceCount(ctypes.byref(count)) != 0 or count.value == 0:
        pytest.skip("no CUDA GPU on this machine")
    return rt


@pytest.mark.gpu
@pytest.mark.parametrize("process", sorted(ref_me.PROCESSES))
def test_cuda_matches_cpu(cuda_libraries, process):
    """Device evaluation (device pointers, own stream) equals the CPU library."""
    if process in ("gg_ttxg", "gg_ttxgg"):
        pytest.skip("2 -> 3 and 2 -> 4: compared in tests/test_ref_me_generated.py")
    rt = _cudart()
    rt.cudaMalloc.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_size_t]
    rt.cudaMemcpy.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    rt.cudaStreamCreate.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
    rt.cudaStreamSynchronize.argtypes = [ctypes.c_void_p]
    rt.cudaFree.argtypes = [ctypes.c_void_p]
    n, stride, offset = 1000, 1100, 37
    rng = np.random.default_rng(5)
    mass = 173.0 if process == "gg_ttx" else 0.0
    sqrt_s = rng.uniform(400, 3000, n)
    cos, phi = rng.uniform(-1, 1, n), rng.uniform(0, 2 * np.pi, n)
    k = np.sqrt(sqrt_s**2 / 4 - mass**2)
    sin = np.sqrt(1 - cos**2)
    p = np.zeros((n, 4, 4))
    p[:, 0] = np.stack([sqrt_s / 2, 0 * k, 0 * k, sqrt_s / 2], -1)
    p[:, 1] = np.stack([sqrt_s / 2, 0 * k, 0 * k, -sqrt_s / 2], -1)
    kv = np.stack([k * sin * np.cos(phi), k * sin * np.sin(phi), k * cos], -1)
    p[:, 2, 0] = p[:, 3, 0] = sqrt_s / 2
    p[:, 2, 1:], p[:, 3, 1:] = kv, -kv
    host_in = np.zeros((4, 4, stride))
    host_in[:, :, offset : offset + n] = p.transpose(2, 1, 0)
    canary = -1.0
    host_me = np.full(stride, canary)

    def device_copy(array):
        ptr = ctypes.c_void_p()
        assert rt.cudaMalloc(ctypes.byref(ptr), array.nbytes) == 0
        assert rt.cudaMemcpy(ptr, array.ctypes.data, array.nbytes, 1) == 0  # H2D
        return ptr

    d_in, d_me = device_copy(host_in), device_copy(host_me)
    stream = ctypes.c_void_p()
    assert rt.cudaStreamCreate(ctypes.byref(stream)) == 0
    lib = ffi.dlopen(str(cuda_libraries[process]))
    handle = ffi.new("UmamiHandle*")
    assert lib.umami_initialize(handle, ffi.NULL) == Status.SUCCESS
    status = lib.umami_matrix_element(
        handle[0],
        n,
        stride,
        offset,
        1,
        ffi.new("UmamiInputKey[]", [0]),
        ffi.new("void*[]", [ffi.cast("void*", d_in.value)]),
        2,
        ffi.new("UmamiOutputKey[]", [OutputKey.MATRIX_ELEMENT, OutputKey.GPU_STREAM]),
        ffi.new("void*[]", [ffi.cast("void*", d_me.value), ffi.cast("void*", stream.value)]),
    )
    assert status == Status.SUCCESS
    assert rt.cudaStreamSynchronize(stream) == 0
    assert rt.cudaMemcpy(host_me.ctypes.data, d_me, host_me.nbytes, 2) == 0  # D2H
    lib.umami_free(handle[0])
    rt.cudaFree(d_in)
    rt.cudaFree(d_me)

    cpu = ffi.dlopen(str(ref_me.library_path(process, "cpu")))
    cpu_handle = ffi.new("UmamiHandle*")
    assert cpu.umami_initialize(cpu_handle, ffi.NULL) == Status.SUCCESS
    cpu_me = np.full(stride, canary)
    assert (
        cpu.umami_matrix_element(
            cpu_handle[0],
            n,
            stride,
            offset,
            1,
            ffi.new("UmamiInputKey[]", [0]),
            ffi.new("void*[]", [ffi.cast("void*", ffi.from_buffer(host_in))]),
            1,
            ffi.new("UmamiOutputKey[]", [0]),
            ffi.new("void*[]", [ffi.cast("void*", ffi.from_buffer(cpu_me))]),
        )
        == Status.SUCCESS
    )
    cpu.umami_free(cpu_handle[0])
    np.testing.assert_allclose(
        host_me[offset : offset + n], cpu_me[offset : offset + n], rtol=1e-12
    )
    assert np.all(host_me[:offset] == canary) and np.all(host_me[offset + n :] == canary)
