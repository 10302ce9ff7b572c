"""The CPU paths of the reference libraries (scalar, AVX2, AVX-512) give the same numbers.

Each library carries a scalar event loop and SIMD loops chosen at umami_initialize
from the CPU's features; REFME_SIMD forces one. Every path available here must
reproduce the forced scalar path at every batch size and offset (the SIMD loops
handle full vectors, the remainder goes through the scalar loop), with events
that take the special branches of the wavefunctions (particles along -z) mixed
with generic ones in the same vector.
"""

from __future__ import annotations

import cffi
import numpy as np
import pytest

import ref_me
from phase_space import Rambo
from pyumami.abi import InputKey, MetaKey, OutputKey, Status, ffi

CANARY = -12345.678
INT_CANARY = -777
FLOAT_OUTPUTS = (OutputKey.MATRIX_ELEMENT, OutputKey.DIAGRAM_AMP2)
INT_OUTPUTS = (OutputKey.COLOR_INDEX, OutputKey.HELICITY_INDEX, OutputKey.DIAGRAM_INDEX)
SIZES = (1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33)
OFFSETS = (0, 1, 3, 6)

_ext = cffi.FFI()
_ext.cdef(
    "const char* refme_simd_path(void* handle); const char* refme_simd_paths(void);"
    "const char* refme_last_error(void);"
)


class Library:
    def __init__(self, process: str):
        path = str(ref_me.library_path(process))
        self.lib = ffi.dlopen(path)
        self.ext = _ext.dlopen(path)
        self.handles: list = []

    def paths(self) -> list[str]:
        return _ext.string(self.ext.refme_simd_paths()).decode().split()

    def initialize(self, path: str | None, monkeypatch) -> tuple[int, object]:
        if path is None:
            monkeypatch.delenv("REFME_SIMD", raising=False)
        else:
            monkeypatch.setenv("REFME_SIMD", path)
        handle = ffi.new("UmamiHandle*")
        status = self.lib.umami_initialize(handle, ffi.NULL)
        if status == Status.SUCCESS:
            self.handles.append(handle[0])
        return status, handle[0]

    def path_of(self, handle) -> str:
        return _ext.string(self.ext.refme_simd_path(handle)).decode()

    def last_error(self) -> str:
        return _ext.string(self.ext.refme_last_error()).decode()

    def meta(self, key: int) -> int:
        out = ffi.new("int*")
        assert self.lib.umami_get_meta(key, out) == Status.SUCCESS
        return out[0]

    def masses(self) -> np.ndarray:
        out = np.zeros(self.meta(MetaKey.PARTICLE_COUNT))
        status = self.lib.umami_get_meta(MetaKey.MASSES, ffi.from_buffer("double[]", out))
        assert status == Status.SUCCESS
        return out

    def evaluate(self, handle, momenta, offset, pad, random, alpha_s) -> dict:
        """All outputs for `momenta` (n, npar, 4) placed at `offset` in buffers of stride
        offset + n + pad, canaries elsewhere."""
        n, npar, _ = momenta.shape
        stride = offset + n + pad
        p = np.full((4, npar, stride), CANARY)
        p[:, :, offset : offset + n] = momenta.transpose(2, 1, 0)
        inputs = {InputKey.MOMENTA: p}
        for key, values in zip(
            (InputKey.RANDOM_HELICITY, InputKey.RANDOM_COLOR, InputKey.RANDOM_DIAGRAM), random
        ):
            inputs[key] = np.full(stride, 0.5)
            inputs[key][offset : offset + n] = values
        if alpha_s is not None:
            inputs[InputKey.ALPHA_S] = np.full(stride, 0.118)
            inputs[InputKey.ALPHA_S][offset : offset + n] = alpha_s
        outputs = {key: np.full(stride, INT_CANARY, dtype=np.int32) for key in INT_OUTPUTS}
        outputs[OutputKey.MATRIX_ELEMENT] = np.full(stride, CANARY)
        outputs[OutputKey.DIAGRAM_AMP2] = np.full(
            (self.meta(MetaKey.DIAGRAM_COUNT), stride), CANARY
        )
        status = self.lib.umami_matrix_element(
            handle, n, stride, offset,
            len(inputs), ffi.new("UmamiInputKey[]", [int(k) for k in inputs]),
            ffi.new("void*[]", [ffi.from_buffer(v) for v in inputs.values()]),
            len(outputs), ffi.new("UmamiOutputKey[]", [int(k) for k in outputs]),
            ffi.new("void*[]", [ffi.from_buffer(v) for v in outputs.values()]),
        )  # fmt: skip
        assert status == Status.SUCCESS, self.last_error()
        return outputs

    def close(self) -> None:
        for handle in self.handles:
            self.lib.umami_free(handle)


@pytest.fixture(params=sorted(ref_me.PROCESSES))
def library(request):
    lib = Library(request.param)
    yield lib
    lib.close()


def momenta(masses: np.ndarray, n: int, seed: int) -> np.ndarray:
    """(n, npar, 4) GeV at sqrt(s) = 1 TeV; every third event rotated so that its first
    final-state particle runs along -z (the special branch of the spinors)."""
    mapping = Rambo(masses[2:], 1000.0)
    p = np.asarray(mapping.forward(np.random.default_rng(seed).random((n, mapping.dim)))[0])
    for i in range(0, n, 3):
        k = p[i, 2, 1:] / np.linalg.norm(p[i, 2, 1:])
        target = np.array([0.0, 0.0, -1.0])
        axis = np.cross(k, target)
        s, c = np.linalg.norm(axis), float(k @ target)
        if s < 1e-12:
            continue
        a = axis / s
        cross = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
        rotation = np.eye(3) + s * cross + (1 - c) * cross @ cross
        p[i, 2:, 1:] = p[i, 2:, 1:] @ rotation.T
        p[i, 2, 1:2] = 0.0  # exactly on the axis: px = py = 0
        p[i, 2, 2:3] = 0.0
    return p


def test_paths_listed_and_chosen(library, monkeypatch):
    paths = library.paths()
    assert paths[0] == "scalar"
    assert set(paths) <= {"scalar", "avx2", "avx512"}
    status, handle = library.initialize(None, monkeypatch)
    assert status == Status.SUCCESS
    assert library.path_of(handle) == paths[-1], "the widest available path by default"
    for path in paths:
        status, handle = library.initialize(path, monkeypatch)
        assert status == Status.SUCCESS
        assert library.path_of(handle) == path


def test_unknown_or_unavailable_path_is_refused(library, monkeypatch):
    status, _ = library.initialize("sse9", monkeypatch)
    assert status == Status.ERROR
    assert "REFME_SIMD=sse9" in library.last_error()
    missing = [p for p in ("avx2", "avx512") if p not in library.paths()]
    for path in missing:
        status, _ = library.initialize(path, monkeypatch)
        assert status == Status.ERROR
        assert "no such path" in library.last_error()


@pytest.mark.parametrize("alpha_s", [False, True])
def test_every_path_equals_the_scalar_path(library, monkeypatch, alpha_s):
    paths = library.paths()
    handles = {}
    for path in paths:
        status, handles[path] = library.initialize(path, monkeypatch)
        assert status == Status.SUCCESS
    masses = library.masses()
    for n in SIZES:
        p = momenta(masses, n, seed=n)
        rng = np.random.default_rng(100 + n)
        random = rng.random((3, n))
        alphas = rng.uniform(0.1, 0.13, n) if alpha_s else None
        for offset in OFFSETS:
            pad = (offset * 5 + n) % 4
            results = {
                path: library.evaluate(handles[path], p, offset, pad, random, alphas)
                for path in paths
            }
            scalar = results["scalar"]
            inside = slice(offset, offset + n)
            me = scalar[OutputKey.MATRIX_ELEMENT][inside]
            assert np.all(np.isfinite(me)) and np.all(me > 0)
            for path in paths[1:]:
                got = results[path]
                where = f"{path}, n = {n}, offset = {offset}"
                for key in FLOAT_OUTPUTS:
                    np.testing.assert_allclose(
                        got[key], scalar[key], rtol=1e-14, atol=0, err_msg=where
                    )
                for key in INT_OUTPUTS:
                    np.testing.assert_array_equal(got[key], scalar[key], err_msg=where)
                # Canaries outside [offset, offset + n) are untouched on every path.
                assert np.all(got[OutputKey.MATRIX_ELEMENT][:offset] == CANARY), where
                assert np.all(got[OutputKey.MATRIX_ELEMENT][offset + n :] == CANARY), where
