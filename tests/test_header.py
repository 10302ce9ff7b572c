"""umami.h against the ABI facts of shared/UMAMI-ABI.md.

The expected values here are typed from the specification on purpose: this is
the one place that checks the header itself rather than deriving from it.
"""

import shutil
import subprocess

import pytest

import umami_abi
from pyumami import abi

SPEC = {
    "UmamiStatus": [
        "UMAMI_SUCCESS",
        "UMAMI_ERROR",
        "UMAMI_ERROR_NOT_IMPLEMENTED",
        "UMAMI_ERROR_UNSUPPORTED_INPUT",
        "UMAMI_ERROR_UNSUPPORTED_OUTPUT",
        "UMAMI_ERROR_UNINITIALIZED_META",
        "UMAMI_ERROR_UNSUPPORTED_META",
        "UMAMI_ERROR_MISSING_INPUT",
    ],
    "UmamiDevice": ["UMAMI_DEVICE_CPU", "UMAMI_DEVICE_CUDA", "UMAMI_DEVICE_HIP"],
    "UmamiMetaKey": [
        "UMAMI_META_DEVICE",
        "UMAMI_META_PARTICLE_COUNT",
        "UMAMI_META_DIAGRAM_COUNT",
        "UMAMI_META_HELICITY_COUNT",
        "UMAMI_META_COLOR_COUNT",
        "UMAMI_META_MASSES",
    ],
    "UmamiInputKey": [
        "UMAMI_IN_MOMENTA",
        "UMAMI_IN_ALPHA_S",
        "UMAMI_IN_FLAVOR_INDEX",
        "UMAMI_IN_RANDOM_COLOR",
        "UMAMI_IN_RANDOM_HELICITY",
        "UMAMI_IN_RANDOM_DIAGRAM",
        "UMAMI_IN_HELICITY_INDEX",
        "UMAMI_IN_DIAGRAM_INDEX",
        "UMAMI_IN_CHANNEL_INDEX",
    ],
    "UmamiOutputKey": [
        "UMAMI_OUT_MATRIX_ELEMENT",
        "UMAMI_OUT_DIAGRAM_AMP2",
        "UMAMI_OUT_COLOR_INDEX",
        "UMAMI_OUT_HELICITY_INDEX",
        "UMAMI_OUT_DIAGRAM_INDEX",
        "UMAMI_OUT_GPU_STREAM",
    ],
}


@pytest.mark.parametrize("c_type", sorted(SPEC))
def test_enum_values_match_spec(c_type):
    parsed = abi.ffi.typeof(c_type).relements
    expected = {name: value for value, name in enumerate(SPEC[c_type])}
    assert parsed == expected


SIGNATURE_CHECK = r"""
#include "umami.h"
/* Each assignment fails to compile (-Werror) if a signature drifts from the spec. */
UmamiStatus (*get_meta)(UmamiMetaKey, void*) = umami_get_meta;
UmamiStatus (*init)(UmamiHandle*, const char*) = umami_initialize;
UmamiStatus (*set_par)(UmamiHandle, const char*, double, double) = umami_set_parameter;
UmamiStatus (*get_par)(UmamiHandle, const char*, double*, double*) = umami_get_parameter;
UmamiStatus (*me)(UmamiHandle, size_t, size_t, size_t, size_t, const UmamiInputKey*,
                  const void* const*, size_t, const UmamiOutputKey*, void* const*)
    = umami_matrix_element;
UmamiStatus (*fr)(UmamiHandle) = umami_free;
UmamiStatus (*sup_in)(const bool**, int*) = umami_supported_inputs;
UmamiStatus (*req_in)(const bool**, int*) = umami_required_inputs;
UmamiStatus (*sup_out)(const bool**, int*) = umami_supported_outputs;
int enum_is_int[sizeof(UmamiStatus) == sizeof(int) ? 1 : -1];
int handle_is_pointer[sizeof(UmamiHandle) == sizeof(void*) ? 1 : -1];
"""


@pytest.mark.parametrize(
    "compiler, flags", [("gcc", ["-x", "c", "-std=c99"]), ("g++", ["-x", "c++", "-std=c++17"])]
)
def test_entry_point_signatures(tmp_path, compiler, flags):
    if shutil.which(compiler) is None:
        pytest.skip(f"{compiler} not found")
    src = tmp_path / "sig.c"
    src.write_text(SIGNATURE_CHECK)
    cmd = [
        compiler,
        *flags,
        "-Wall",
        "-Wextra",
        "-pedantic",
        "-Werror",
        "-c",
        f"-I{umami_abi.include_dir()}",
        str(src),
        "-o",
        str(tmp_path / "sig.o"),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_cdef_declares_every_entry_point():
    source = umami_abi.cdef_source()
    for name in abi.ENTRY_POINTS:
        assert f"UmamiStatus {name}(" in source, name
    assert "#" not in source  # cffi cannot parse preprocessor lines


def test_python_enums_follow_header():
    assert abi.Status.ERROR_MISSING_INPUT == 7
    assert abi.MetaKey.MASSES == 5
    assert abi.InputKey.CHANNEL_INDEX == 8
    assert abi.OutputKey.GPU_STREAM == 5


def test_status_description_gives_both_readings_for_drifted_codes():
    assert "ERROR_UNSUPPORTED_META under the older" in abi.describe_status(5)
    assert "ERROR_MISSING_INPUT under the older" in abi.describe_status(6)
    assert "unknown status 42" in abi.describe_status(42)
    assert "older" not in abi.describe_status(3)


@pytest.mark.parametrize(
    "compiler, flags",
    [("gcc", ["-x", "c", "-std=c99"]), ("g++", ["-x", "c++", "-std=c++17"])],
)
def test_header_compiles_pedantic(tmp_path, compiler, flags):
    if shutil.which(compiler) is None:
        pytest.skip(f"{compiler} not found")
    src = tmp_path / "main.c"
    src.write_text('#include "umami.h"\nint main(void) { return UMAMI_MAJOR_VERSION - 1; }\n')
    cmd = [
        compiler,
        *flags,
        "-Wall",
        "-Wextra",
        "-pedantic",
        "-Werror",
        f"-I{umami_abi.include_dir()}",
        str(src),
        "-o",
        str(tmp_path / "a.out"),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert subprocess.run([str(tmp_path / "a.out")]).returncode == 0


# The key table of pyumami.abi is read from the header's comments; the expected
# element types and shapes are typed from the specification.
KEY_TABLE_SPEC = {
    "MOMENTA": ("float64", "MOMENTA"),
    "ALPHA_S": ("float64", "PER_EVENT"),
    "FLAVOR_INDEX": ("int32", "PER_EVENT"),
    "RANDOM_COLOR": ("float64", "PER_EVENT"),
    "RANDOM_HELICITY": ("float64", "PER_EVENT"),
    "RANDOM_DIAGRAM": ("float64", "PER_EVENT"),
    "HELICITY_INDEX": ("int32", "PER_EVENT"),
    "DIAGRAM_INDEX": ("uint32", "PER_EVENT"),
    "CHANNEL_INDEX": ("uint32", "PER_EVENT"),
}
OUTPUT_TABLE_SPEC = {
    "MATRIX_ELEMENT": ("float64", "PER_EVENT"),
    "DIAGRAM_AMP2": ("float64", "PER_DIAGRAM"),
    "COLOR_INDEX": ("int32", "PER_EVENT"),
    "HELICITY_INDEX": ("int32", "PER_EVENT"),
    "DIAGRAM_INDEX": ("int32", "PER_EVENT"),
    "GPU_STREAM": (None, "HANDLE"),
}


def test_key_table_follows_the_header_comments():
    got_in = {k.name: (s.dtype and s.dtype.name, s.shape.name) for k, s in abi.INPUTS.items()}
    got_out = {k.name: (s.dtype and s.dtype.name, s.shape.name) for k, s in abi.OUTPUTS.items()}
    assert got_in == KEY_TABLE_SPEC and got_out == OUTPUT_TABLE_SPEC
    assert {k.name for k, s in abi.INPUTS.items() if s.unit_interval} == {
        "RANDOM_COLOR",
        "RANDOM_HELICITY",
        "RANDOM_DIAGRAM",
    }
    assert abi.INPUTS[abi.InputKey.MOMENTA].layout(5, None, 7) == (4, 5, 7)
    assert abi.OUTPUTS[abi.OutputKey.DIAGRAM_AMP2].layout(5, 3, 7) == (3, 7)


def test_old_numbering_is_the_current_one_without_uninitialized_meta():
    assert abi.OldStatus.ERROR_UNSUPPORTED_META == 5 and abi.OldStatus.ERROR_MISSING_INPUT == 6
    assert abi.MISSING_INPUT_STATUSES == (7, 6) and abi.UNSUPPORTED_META_STATUSES == (6, 5)
