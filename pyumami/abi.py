"""FFI declarations and enums of the UMAMI ABI, derived from ``umami.h``.

``ffi`` is a cffi ABI-mode FFI whose declarations are the header's CDEF block;
the IntEnums below are built from the enum values cffi parsed out of that same
block, so a value changed in the header changes here too.
"""
from __future__ import annotations

import enum

import cffi

import umami_abi

__all__ = [
    "ffi",
    "Status",
    "Device",
    "MetaKey",
    "InputKey",
    "OutputKey",
    "MANDATORY_SYMBOLS",
    "OPTIONAL_SYMBOLS",
    "ENTRY_POINTS",
    "describe_status",
]

ffi = cffi.FFI()
ffi.cdef(umami_abi.cdef_source())


def _enum_from_header(c_type: str, prefix: str, name: str) -> type[enum.IntEnum]:
    members = {
        key[len(prefix):]: value
        for key, value in sorted(ffi.typeof(c_type).relements.items(), key=lambda kv: kv[1])
    }
    return enum.IntEnum(name, members, module=__name__)


Status = _enum_from_header("UmamiStatus", "UMAMI_", "Status")
Device = _enum_from_header("UmamiDevice", "UMAMI_DEVICE_", "Device")
MetaKey = _enum_from_header("UmamiMetaKey", "UMAMI_META_", "MetaKey")
InputKey = _enum_from_header("UmamiInputKey", "UMAMI_IN_", "InputKey")
OutputKey = _enum_from_header("UmamiOutputKey", "UMAMI_OUT_", "OutputKey")

#: Entry points every library must export (MadSpace needs exactly these).
MANDATORY_SYMBOLS = ("umami_get_meta", "umami_initialize", "umami_matrix_element", "umami_free")
#: Entry points a library may leave out.
OPTIONAL_SYMBOLS = (
    "umami_set_parameter",
    "umami_get_parameter",
    "umami_supported_inputs",
    "umami_required_inputs",
    "umami_supported_outputs",
)
ENTRY_POINTS = MANDATORY_SYMBOLS + OPTIONAL_SYMBOLS

# The first published header lacked UNINITIALIZED_META, so there 5 meant
# UNSUPPORTED_META and 6 meant MISSING_INPUT.
_OLD_NUMBERING = {5: "ERROR_UNSUPPORTED_META", 6: "ERROR_MISSING_INPUT"}


def describe_status(code: int) -> str:
    """Human-readable name of a status code, giving both readings where the
    older and newer headers disagree (codes 5 and 6)."""
    try:
        name = Status(code).name
    except ValueError:
        return f"unknown status {code} (treated as an error)"
    if code in _OLD_NUMBERING:
        return f"{name} (status {code}; {_OLD_NUMBERING[code]} under the older header numbering)"
    return f"{name} (status {code})"
