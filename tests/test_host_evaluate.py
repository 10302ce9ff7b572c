"""pyumami evaluation: physics of the fixtures through the host, per-event
inputs, array intake (NumPy, DLPack/JAX, array interface), layout, buffer reuse,
threads (bit-identical to one thread)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pyumami
from tests._helpers import mandelstam, two_to_two
from tests.conftest import fixture_library

DEFAULT_GS = 1.2177157847767195


@pytest.fixture(scope="module")
def minimal():
    with pyumami.load(fixture_library("minimal"), threads=3) as lib:
        yield lib


@pytest.fixture(scope="module")
def old():
    with pyumami.load(fixture_library("old_numbering"), threads=3) as lib:
        yield lib


def test_minimal_matches_formula(minimal):
    p = two_to_two(1000, seed=1)
    s, t, u = mandelstam(p)
    np.testing.assert_allclose(minimal(p), (t**2 + u**2) / s**2, rtol=1e-13)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), rapidity=st.floats(-3, 3), n=st.integers(1, 300))
def test_lorentz_invariance_through_host(minimal, seed, rapidity, n):
    p = two_to_two(n, seed=seed)
    np.testing.assert_allclose(
        minimal(two_to_two(n, seed=seed, boost=rapidity)), minimal(p), rtol=1e-9
    )


def test_old_numbering_scales_as_alpha_s_squared(old):
    p = two_to_two(400, seed=2)
    alpha = np.linspace(0.08, 0.3, 400)
    me = old(p, alpha_s=alpha)
    me_ref = old(p, alpha_s=0.118)
    np.testing.assert_allclose(me / me_ref, (alpha / 0.118) ** 2, rtol=1e-13)
    # without ALPHA_S: CUDACPP's default g_s
    np.testing.assert_allclose(
        old(p), me_ref * (DEFAULT_GS**2 / (4 * np.pi * 0.118)) ** 2, rtol=1e-13
    )


def test_diagram_amp2_layout_and_normalisation(old):
    p = two_to_two(300, seed=3)
    out = old.evaluate(p, outputs=("matrix_element", "diagram_amp2"))
    amp2 = out["diagram_amp2"]
    assert amp2.shape == (300, 3) and amp2.flags.c_contiguous
    np.testing.assert_allclose(amp2.sum(axis=1), 1.0, rtol=1e-14)
    s, t, u = mandelstam(p)
    w = np.stack([1 / s**2, 1 / t**2, 1 / u**2], axis=1)
    np.testing.assert_allclose(amp2, w / w.sum(axis=1, keepdims=True), rtol=1e-12)
    assert out["matrix_element"].shape == (300,)


def test_scalar_inputs_broadcast_like_arrays(old):
    p = two_to_two(200, seed=4)
    scalar = old.evaluate(p, alpha_s=0.13, random_helicity=0.25, flavor=0, diagram=1)
    arrays = old.evaluate(
        p,
        alpha_s=np.full(200, 0.13),
        random_helicity=np.full(200, 0.25),
        flavor=np.zeros(200, dtype=np.int64),
        diagram=np.ones(200, dtype=np.uint8),
    )
    np.testing.assert_array_equal(scalar["matrix_element"], arrays["matrix_element"])


def test_single_and_empty_batches(minimal):
    p = two_to_two(5, seed=5)
    np.testing.assert_array_equal(minimal(p[:1]), minimal(p)[:1])
    empty = minimal.evaluate(p[:0])
    assert empty["matrix_element"].shape == (0,)


def test_non_contiguous_and_python_sequences(minimal):
    p = two_to_two(64, seed=6)
    reference = minimal(p)
    np.testing.assert_array_equal(minimal(p[::2]), reference[::2])
    np.testing.assert_array_equal(minimal(np.asfortranarray(p)), reference)
    np.testing.assert_array_equal(minimal(p[:3].tolist()), reference[:3])


class ArrayInterfaceOnly:
    """An exporter with only the NumPy array interface."""

    def __init__(self, array: np.ndarray) -> None:
        self._array = array
        self.__array_interface__ = array.__array_interface__


def test_array_interface_intake_is_zero_copy(minimal):
    from pyumami.arrays import host_array

    p = two_to_two(32, seed=7)
    wrapped = ArrayInterfaceOnly(p)
    assert np.shares_memory(host_array(wrapped, "momenta"), p)
    np.testing.assert_array_equal(minimal(wrapped), minimal(p))


def test_dlpack_intake_is_zero_copy(minimal):
    from pyumami.arrays import host_array

    class DLPackOnly:
        def __init__(self, array):
            self._array = array

        def __dlpack__(self, **kwargs):
            return self._array.__dlpack__(**kwargs)

        def __dlpack_device__(self):
            return self._array.__dlpack_device__()

    p = two_to_two(32, seed=8)
    assert np.shares_memory(host_array(DLPackOnly(p), "momenta"), p)
    np.testing.assert_array_equal(minimal(DLPackOnly(p)), minimal(p))


def test_jax_cpu_arrays_via_dlpack(old):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    p = two_to_two(128, seed=9)
    pj = jnp.asarray(p)
    assert pj.dtype == jnp.float64
    alpha = jnp.linspace(0.1, 0.2, 128)
    out = old.evaluate(pj, alpha_s=alpha, outputs=("matrix_element", "diagram_amp2"))
    ref = old.evaluate(p, alpha_s=np.asarray(alpha), outputs=("matrix_element", "diagram_amp2"))
    np.testing.assert_array_equal(out["matrix_element"], ref["matrix_element"])
    np.testing.assert_array_equal(out["diagram_amp2"], ref["diagram_amp2"])


def test_momenta_buffer_is_reused(minimal):
    p = two_to_two(500, seed=10)
    minimal(p)
    storage = minimal._momenta_buffer._storage
    minimal(p[:200])
    minimal(p)
    assert minimal._momenta_buffer._storage is storage


def test_layout_conversion_matches_umami_h():
    from pyumami.arrays import MomentaBuffer

    n, npar = 7, 3
    p = np.arange(n * npar * 4, dtype=np.float64).reshape(n, npar, 4)
    flat = MomentaBuffer(npar).fill(p).ravel()
    i, par, mu = np.meshgrid(np.arange(n), np.arange(npar), np.arange(4), indexing="ij")
    # umami.h: in[offset + i + stride * (particle + npar * component)], stride = n
    np.testing.assert_array_equal(flat[i + n * (par + npar * mu)], p)


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 2000), threads=st.integers(2, 9), seed=st.integers(0, 1000))
def test_threads_bit_identical_to_one_thread(n, threads, seed):
    p = two_to_two(n, seed=seed)
    alpha = np.random.default_rng(seed).uniform(0.1, 0.2, n)
    outputs = ("matrix_element", "diagram_amp2")
    with (
        pyumami.load(fixture_library("old_numbering"), threads=1) as one,
        pyumami.load(fixture_library("old_numbering"), threads=threads) as many,
    ):
        a = one.evaluate(p, alpha_s=alpha, outputs=outputs)
        b = many.evaluate(p, alpha_s=alpha, outputs=outputs)
        for name in outputs:
            assert a[name].tobytes() == b[name].tobytes()
        expected = min(threads, max(1, n // pyumami.library.MIN_EVENTS_PER_THREAD))
        assert len(many._resources.handles) == expected


def test_split_uses_one_instance_per_thread():
    with pyumami.load(fixture_library("minimal"), threads=4) as lib:
        lib(two_to_two(4000, seed=11))
        handles = lib._resources.handles
        assert len(handles) == 4
        assert len({int(pyumami.abi.ffi.cast("uintptr_t", h)) for h in handles}) == 4
        lib(two_to_two(4000, seed=12))
        assert lib._resources.handles == handles  # kept, not re-created


def test_momenta_already_in_umami_layout_are_not_copied():
    p = two_to_two(1000, seed=13)
    umami_layout = np.ascontiguousarray(p.transpose(2, 1, 0))  # (4, npar, n), C order
    with pyumami.load(fixture_library("old_numbering"), threads=3) as lib:
        size_after_load = lib._momenta_buffer._storage.size  # the 2-event trial calls
        me = lib(umami_layout.transpose(2, 1, 0))
        assert lib._momenta_buffer._storage.size == size_after_load  # buffer never used
        assert me.tobytes() == lib(p).tobytes()
        bad = umami_layout.copy()
        bad[0, 1, 999] = np.nan
        with pytest.raises(pyumami.NonFiniteMomentaError, match="index 999"):
            lib(bad.T)
