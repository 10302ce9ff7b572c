"""RandomSource: seeds and backend generators give (batch, dim) float64 uniforms in [0, 1)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from phase_space.errors import UnsupportedRandomSourceError
from phase_space.fast_rambo import FastRambo
from phase_space.rng import RandomSource, random_source, uniform


def check_uniform(values, batch, dim):
    values = np.asarray(values)
    assert values.shape == (batch, dim)
    assert values.dtype == np.float64
    assert np.all((values >= 0.0) & (values < 1.0))
    if values.size >= 10000:
        assert abs(values.mean() - 0.5) < 0.01
        assert abs(values.var() - 1 / 12) < 0.005


def test_seed_is_reproducible_and_streams_advance():
    a, b = RandomSource(42), RandomSource(42)
    first = a.uniform(100, 5)
    np.testing.assert_array_equal(first, b.uniform(100, 5))
    assert not np.array_equal(first, a.uniform(100, 5))
    check_uniform(RandomSource(1).uniform(10000, 3), 10000, 3)
    np.testing.assert_array_equal(uniform(7, 4, 2), uniform(7, 4, 2))


def test_numpy_generator_is_used_as_given():
    generator = np.random.default_rng(3)
    expected = np.random.default_rng(3).random((50, 4))
    np.testing.assert_array_equal(RandomSource(generator).uniform(50, 4), expected)
    np.testing.assert_array_equal(uniform(np.int64(3), 50, 4), expected)


def test_other_namespace_by_conversion():
    xp = pytest.importorskip("array_api_strict")
    values = RandomSource(5, xp=xp).uniform(20, 3)
    assert type(values).__module__.startswith("array_api_strict")
    assert values.dtype == xp.float64
    mapping = FastRambo([0.0] * 3, 100.0)
    p, _ = mapping.forward(RandomSource(5, xp=xp).uniform(20, mapping.dim))
    assert p.shape == (20, 5, 4)


def test_jax_key(jax_numpy):
    import jax

    source = RandomSource(jax.random.key(0))
    first, second = source.uniform(10000, 3), source.uniform(10000, 3)
    assert isinstance(first, jax.Array) and first.dtype == jax_numpy.float64
    check_uniform(first, 10000, 3)
    assert not np.array_equal(np.asarray(first), np.asarray(second))
    np.testing.assert_array_equal(
        np.asarray(RandomSource(jax.random.key(0)).uniform(10000, 3)), np.asarray(first)
    )
    legacy = RandomSource(jax.random.PRNGKey(1)).uniform(5, 2)
    check_uniform(legacy, 5, 2)
    seeded = RandomSource(9, xp=jax_numpy).uniform(4, 2)
    assert isinstance(seeded, jax.Array)


def test_jax_without_x64_is_refused():
    """In a fresh interpreter (JAX defaults to 32 bit) a key is refused with a clear message."""
    pytest.importorskip("jax")
    code = (
        "import jax\n"
        "from phase_space.errors import JaxPrecisionError\nfrom phase_space.rng import RandomSource\n"
        "try:\n"
        "    RandomSource(jax.random.key(0))\n"
        "except JaxPrecisionError as error:\n"
        "    assert 'jax_enable_x64' in str(error)\n"
        "    print('refused')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.stdout.strip() == "refused", result.stderr


def test_torch_generator():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed here")
    generator = torch.Generator().manual_seed(0)
    values = RandomSource(generator).uniform(1000, 4)
    assert values.dtype == torch.float64
    check_uniform(values.numpy(), 1000, 4)


def test_cupy_generator():
    cupy = pytest.importorskip("cupy", reason="CuPy is not installed (needs a CUDA GPU)")
    values = RandomSource(cupy.random.default_rng(0)).uniform(1000, 4)
    assert values.dtype == cupy.float64
    check_uniform(cupy.asnumpy(values), 1000, 4)


def test_random_source_passes_through():
    source = RandomSource(1)
    assert random_source(source) is source


@pytest.mark.parametrize("bad", ["seed", 1.5, [1, 2], True])
def test_unsupported_sources(bad):
    with pytest.raises(UnsupportedRandomSourceError, match="int seed"):
        RandomSource(bad)


def test_generators_are_matched_by_class_not_by_module_name():
    """An object of a generator's module that is not a generator is refused."""
    import numpy as np

    with pytest.raises(UnsupportedRandomSourceError):
        RandomSource(np.random.SeedSequence(1))  # a numpy.random object, not a Generator
    with pytest.raises(UnsupportedRandomSourceError):
        RandomSource(np.random.RandomState(1))  # legacy NumPy state: pass default_rng instead
