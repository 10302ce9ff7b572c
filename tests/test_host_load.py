"""pyumami.load: symbols, metadata, capabilities (queried or probed), status
numbering, parameters, lifecycle."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import pyumami
from pyumami import InputKey, OutputKey
from tests.conftest import REPO, fixture_library


@pytest.fixture
def minimal():
    with pyumami.load(fixture_library("minimal"), threads=2) as lib:
        yield lib


@pytest.fixture
def old():
    with pyumami.load(fixture_library("old_numbering"), threads=2) as lib:
        yield lib


def test_minimal_metadata(minimal):
    assert minimal.device == pyumami.Device.CPU
    assert minimal.particle_count == 4
    assert minimal.diagram_count == 1
    assert minimal.helicity_count is None
    assert minimal.color_count is None
    assert minimal.masses is None
    assert minimal.has_parameters is False


def test_minimal_capabilities_are_probed(minimal):
    assert minimal.capabilities_source == "probed"
    assert minimal.supported_inputs == frozenset({InputKey.MOMENTA})
    assert minimal.required_inputs == frozenset({InputKey.MOMENTA})
    assert minimal.supported_outputs == frozenset({OutputKey.MATRIX_ELEMENT})
    # it answers 6 for unsupported metadata: current numbering, not the old one
    assert minimal.numbering == "current"


def test_old_numbering_library_is_recognised_and_probed(old):
    assert old.numbering == "old"
    assert old.capabilities_source == "probed"
    assert old.supported_inputs == frozenset(
        {
            InputKey.MOMENTA,
            InputKey.ALPHA_S,
            InputKey.FLAVOR_INDEX,
            InputKey.RANDOM_COLOR,
            InputKey.RANDOM_HELICITY,
            InputKey.RANDOM_DIAGRAM,
            InputKey.DIAGRAM_INDEX,
        }
    )
    assert InputKey.HELICITY_INDEX not in old.supported_inputs
    assert old.required_inputs == frozenset({InputKey.MOMENTA})
    assert old.supported_outputs == frozenset({OutputKey.MATRIX_ELEMENT, OutputKey.DIAGRAM_AMP2})
    assert old.diagram_count == 3 and old.helicity_count == 16
    assert old.color_count is None and old.masses is None


def test_capability_queries_are_used_when_present():
    with pyumami.load(fixture_library("fake_cuda")) as lib:
        assert lib.capabilities_source == "queries"
        assert lib.device == pyumami.Device.CUDA
        assert lib.supported_inputs == frozenset({InputKey.MOMENTA, InputKey.ALPHA_S})
        assert lib.supported_outputs == frozenset({OutputKey.MATRIX_ELEMENT, OutputKey.GPU_STREAM})


def test_describe_is_json_serialisable(old):
    import json

    info = json.loads(json.dumps(old.describe()))
    assert info["particle_count"] == 4
    assert info["numbering"] == "old"
    assert "DIAGRAM_AMP2" in info["supported_outputs"]
    assert info["optional_symbols"]["umami_set_parameter"] is True
    assert info["optional_symbols"]["umami_supported_inputs"] is False


def test_parameters_not_implemented(old):
    with pytest.raises(pyumami.ParameterNotSupportedError, match="NOT_IMPLEMENTED"):
        old.set_parameter("MT", 172.5)
    with pytest.raises(pyumami.ParameterNotSupportedError):
        old.get_parameter("MT")
    assert isinstance(pyumami.ParameterNotSupportedError("x"), NotImplementedError)


def test_parameters_absent(minimal):
    with pytest.raises(pyumami.ParameterNotSupportedError, match="umami_set_parameter"):
        minimal.set_parameter("MT", 172.5)


def minimal_variant(tmp_path, define: str):
    """Build tests/fixtures/minimal.c with ``-D<define>`` into tmp_path."""
    if shutil.which("cc") is None:
        pytest.skip("needs a C compiler to build the fixture variant")
    target = tmp_path / f"lib{define.lower()}.so"
    subprocess.run(
        [
            "cc",
            "-std=c99",
            "-fPIC",
            "-shared",
            f"-D{define}",
            "-I",
            str(REPO / "umami_abi" / "include"),
            "-o",
            str(target),
            str(REPO / "tests" / "fixtures" / "minimal.c"),
        ],
        check=True,
    )
    return target


def test_masses_known_only_after_initialize_are_asked_again(tmp_path):
    with pyumami.load(minimal_variant(tmp_path, "MINIMAL_LATE_MASSES")) as lib:
        assert lib.masses == (0.0, 0.0, 0.0, 0.0)
        assert lib.numbering == "current"


def test_missing_mandatory_symbol_is_named(tmp_path):
    target = minimal_variant(tmp_path, "MINIMAL_OMIT_FREE")
    with pytest.raises(pyumami.MissingSymbolError, match="umami_free") as info:
        pyumami.load(target)
    assert info.value.symbol == "umami_free"
    assert isinstance(info.value, pyumami.UmamiError) and isinstance(info.value, OSError)


def test_not_a_library(tmp_path):
    bogus = tmp_path / "libbogus.so"
    bogus.write_text("not an ELF file")
    with pytest.raises(pyumami.LibraryLoadError, match="cannot open"):
        pyumami.load(bogus)


def test_missing_param_card_is_reported_before_loading(tmp_path):
    with pytest.raises(FileNotFoundError, match="param card"):
        pyumami.load(fixture_library("minimal"), tmp_path / "nope.dat")


def test_close_and_context_manager():
    lib = pyumami.load(fixture_library("minimal"))
    with lib as same:
        assert same is lib and not lib.closed
    assert lib.closed
    lib.close()  # idempotent
    with pytest.raises(pyumami.LibraryClosedError, match="closed"):
        lib.evaluate([[[1.0, 0, 0, 1], [1, 0, 0, -1], [1, 1, 0, 0], [1, -1, 0, 0]]])
    assert "closed" in repr(lib)


def test_finalisation_at_interpreter_exit_is_safe():
    # Libraries left open (and garbage) at exit are released by weakref.finalize
    # without touching a closed library; the process must exit cleanly.
    code = textwrap.dedent(f"""
        import numpy as np, pyumami
        keep = pyumami.load({str(fixture_library("old_numbering"))!r}, threads=3)
        p = np.zeros((500, 4, 4)); p[:, :, 0] = 500.0
        p[:, 0, 3] = 500.0; p[:, 1, 3] = -500.0; p[:, 2, 1] = 500.0; p[:, 3, 1] = -500.0
        keep(p)
        closed = pyumami.load({str(fixture_library("minimal"))!r}); closed.close()
        dropped = pyumami.load({str(fixture_library("minimal"))!r}); del dropped
        print("ok")
    """)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_close_waits_for_a_call_in_flight():
    import threading

    import numpy as np

    lib = pyumami.load(fixture_library("old_numbering"), threads=2)
    p = np.zeros((200_000, 4, 4))
    p[:, :, 0] = 500.0
    p[:, 0, 3], p[:, 1, 3], p[:, 2, 1], p[:, 3, 1] = 500.0, -500.0, 500.0, -500.0
    results, errors = [], []

    def evaluate():
        try:
            results.append(lib(p))
        except pyumami.LibraryClosedError as exc:  # close() got the lock first
            errors.append(exc)

    worker = threading.Thread(target=evaluate)
    worker.start()
    lib.close()
    worker.join()
    assert len(results) + len(errors) == 1
    if results:
        assert np.all(np.isfinite(results[0]))
    assert lib.closed and lib._resources.handles == []


def test_python_lists_of_ints_are_converted():
    with pyumami.load(fixture_library("minimal")) as lib:
        ints = [[[500, 0, 0, 500], [500, 0, 0, -500], [500, 500, 0, 0], [500, -500, 0, 0]]]
        np_value = lib(np.asarray(ints, dtype=np.float64))
        assert lib(ints).tolist() == np_value.tolist()
