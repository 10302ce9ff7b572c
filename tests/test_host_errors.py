"""Each mistake a user can make gets its own exception class, deriving from
UmamiError and from the builtin exception that describes it, with a message
naming the cause."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pyumami
import ref_me
from pyumami.errors import StatusError, status_readings
from tests._helpers import two_to_two
from tests.conftest import fixture_library


@pytest.fixture(scope="module")
def old():
    with pyumami.load(fixture_library("old_numbering"), threads=2) as lib:
        yield lib


@pytest.fixture(scope="module")
def minimal():
    with pyumami.load(fixture_library("minimal"), threads=2) as lib:
        yield lib


def test_every_error_derives_from_umami_error():
    names = [n for n in pyumami.errors.__all__ if n[0].isupper()]
    assert len(names) >= 15
    for name in names:
        assert issubclass(getattr(pyumami.errors, name), pyumami.UmamiError), name


def test_wrong_ndim(minimal):
    with pytest.raises(pyumami.MomentaNdimError, match="3 dimensions") as info:
        minimal(np.zeros((4, 4)))
    assert isinstance(info.value, ValueError)


def test_wrong_shape(minimal):
    with pytest.raises(pyumami.MomentaShapeError, match=r"\(n_events, 4, 4\)"):
        minimal(np.zeros((3, 5, 4)))
    # the hint for swapped axes, on a 3-particle shape check
    with pytest.raises(pyumami.MomentaShapeError, match="swapped"):
        pyumami.arrays.check_momenta(np.zeros((2, 4, 3)), 3)


def test_wrong_dtype(minimal):
    with pytest.raises(pyumami.DtypeError, match="float64") as info:
        minimal(two_to_two(3).astype(np.float32))
    assert isinstance(info.value, TypeError)


def test_non_finite_momenta(minimal):
    p = two_to_two(10)
    p[7, 2, 1] = np.nan
    p[8, 0, 0] = np.inf
    with pytest.raises(pyumami.NonFiniteMomentaError, match="2 event.*index 7"):
        minimal(p)


def test_per_event_input_of_wrong_length(old):
    with pytest.raises(pyumami.InputLengthError, match=r"shape \(10,\)") as info:
        old(two_to_two(10), alpha_s=np.full(9, 0.118))
    assert isinstance(info.value, ValueError)


def test_index_input_must_be_integer(old):
    with pytest.raises(pyumami.DtypeError, match="integer"):
        old(two_to_two(4), flavor=np.zeros(4))
    with pytest.raises(pyumami.InputValueError, match=">= 0"):
        old(two_to_two(4), diagram=-1)


def test_unsupported_input(minimal, old):
    with pytest.raises(pyumami.UnsupportedInputError, match="alpha_s") as info:
        minimal(two_to_two(4), alpha_s=0.118)
    assert isinstance(info.value, ValueError)
    with pytest.raises(pyumami.UnsupportedInputError, match="helicity"):
        old(two_to_two(4), helicity=0)


def test_unsupported_and_unknown_outputs(minimal):
    with pytest.raises(pyumami.UnsupportedOutputError, match="diagram_amp2"):
        minimal.evaluate(two_to_two(4), outputs=("matrix_element", "diagram_amp2"))
    with pytest.raises(pyumami.UnsupportedOutputError, match="unknown output"):
        minimal.evaluate(two_to_two(4), outputs="weights")
    with pytest.raises(pyumami.UnsupportedOutputError, match="at least"):
        minimal.evaluate(two_to_two(4), outputs=())


def test_missing_required_input(minimal):
    # A library can require more than MOMENTA (capability queries say so); the
    # host refuses before calling.
    probed = minimal.capabilities
    minimal._capabilities = dataclasses.replace(
        probed,
        required_inputs=probed.required_inputs | {pyumami.InputKey.ALPHA_S},
        supported_inputs=probed.supported_inputs | {pyumami.InputKey.ALPHA_S},
    )
    try:
        with pytest.raises(pyumami.MissingInputError, match="alpha_s") as info:
            minimal(two_to_two(4))
        assert isinstance(info.value, ValueError)
    finally:
        minimal._capabilities = probed


def test_non_zero_status_carries_both_readings(old):
    # Force a call the library refuses (the host's own checks bypassed): the
    # status becomes a StatusError naming the entry point and both readings.
    probed = old.capabilities
    old._capabilities = dataclasses.replace(
        probed, supported_inputs=probed.supported_inputs | {pyumami.InputKey.HELICITY_INDEX}
    )
    try:
        with pytest.raises(StatusError, match="ERROR_UNSUPPORTED_INPUT") as info:
            old(two_to_two(300), helicity=0)
        assert info.value.status == 3
        assert info.value.entry_point == "umami_matrix_element"
        assert isinstance(info.value, RuntimeError)
    finally:
        old._capabilities = probed


@pytest.mark.parametrize(
    "code,words",
    [
        (5, ["ERROR_UNINITIALIZED_META", "ERROR_UNSUPPORTED_META", "older"]),
        (6, ["ERROR_UNSUPPORTED_META", "ERROR_MISSING_INPUT", "older"]),
        (7, ["ERROR_MISSING_INPUT"]),
        (42, ["unknown status 42"]),
    ],
)
def test_status_error_messages(code, words):
    error = StatusError("umami_matrix_element", code, numbering="old", path="lib.so")
    for word in words:
        assert word in str(error)
    assert error.status == code
    assert "older numbering" in status_readings(6, "old")


def test_missing_symbol_is_a_load_error():
    error = pyumami.MissingSymbolError("lib.so", "umami_initialize")
    assert "umami_initialize" in str(error) and "nm -D" in str(error)
    assert isinstance(error, pyumami.LibraryLoadError)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 50), length=st.integers(0, 50), value=st.floats(0, 1))
def test_per_event_input_property(n, length, value):
    from pyumami.arrays import per_event_input

    broadcast = per_event_input(value, n, np.dtype(np.float64), "alpha_s")
    assert broadcast.shape == (n,) and np.all(broadcast == value)
    array = np.full(length, value)
    if length == n:
        np.testing.assert_array_equal(
            per_event_input(array, n, np.dtype(np.float64), "alpha_s"), array
        )
    else:
        with pytest.raises(pyumami.InputLengthError):
            per_event_input(array, n, np.dtype(np.float64), "alpha_s")


def test_non_finite_momenta_in_a_threaded_batch():
    with pyumami.load(fixture_library("old_numbering"), threads=3) as lib:
        p = two_to_two(3000, seed=12)
        p[2500, 3, 0] = -np.inf
        with pytest.raises(pyumami.NonFiniteMomentaError, match="1 event.*index 2500"):
            lib(p)
        p[2500, 3, 0] = 500.0
        assert np.all(np.isfinite(lib(p)))  # the buffer is usable again afterwards


@pytest.mark.parametrize(
    "inputs, message",
    [
        ({"alpha_s": np.nan}, "alpha_s has 1 NaN or infinite"),
        ({"alpha_s": np.array([0.1, np.inf, 0.1, 0.1])}, "alpha_s has 1 NaN or infinite"),
        ({"random_helicity": 1.5}, r"random_helicity must lie in \[0, 1\)"),
        ({"random_color": -0.1}, r"random_color must lie in \[0, 1\)"),
        ({"random_diagram": 1.0}, r"random_diagram must lie in \[0, 1\)"),
    ],
)
def test_bad_per_event_values_are_refused(inputs, message):
    with pyumami.load(ref_me.library_path("gg_ttx")) as lib:
        with pytest.raises(pyumami.InputValueError, match=message):
            lib.evaluate(two_to_two_massive(4), **inputs)


def test_boolean_alpha_s_is_refused():
    with pyumami.load(ref_me.library_path("gg_ttx")) as lib:
        with pytest.raises(pyumami.DtypeError, match="alpha_s must be a real number"):
            lib.evaluate(two_to_two_massive(4), alpha_s=True)


def two_to_two_massive(n):
    from phase_space import Rambo

    mapping = Rambo([173.0, 173.0], 1000.0)
    momenta, _ = mapping.forward(np.random.default_rng(5).random((n, mapping.dim)))
    return np.asarray(momenta)
