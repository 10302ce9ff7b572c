"""FFI declarations, enums and the key table of the UMAMI ABI, derived from ``umami.h``.

``ffi`` is a cffi ABI-mode FFI whose declarations are the header's CDEF block;
the IntEnums below are built from the enum values cffi parsed out of that same
block, so a value changed in the header changes here too.

``INPUTS`` and ``OUTPUTS`` are the one table of the per-event keys: for each key
its Python name (the keyword of ``MatrixElementLibrary.evaluate`` and the output
name), its element type and its shape. Type, shape and the [0, 1) range are read
from the doc comment the header writes above each constant ("double in [0, 1):
...", "double, (diagram count) per event: ..."); only the Python names are ours.
``OldStatus`` is the numbering of the first published header, derived from the
current one by leaving out UNINITIALIZED_META (the header says so).
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

import cffi
import numpy as np

import umami_abi

__all__ = [
    "CAPABILITY_SYMBOLS",
    "ENTRY_POINTS",
    "INPUTS",
    "INPUT_BY_NAME",
    "MANDATORY_SYMBOLS",
    "MISSING_INPUT_STATUSES",
    "OPTIONAL_SYMBOLS",
    "OUTPUTS",
    "OUTPUT_BY_NAME",
    "UNSUPPORTED_META_STATUSES",
    "VENDOR_OUTPUTS",
    "VendorMetaKey",
    "VendorOutputKey",
    "Device",
    "InputKey",
    "KeySpec",
    "MetaKey",
    "OldStatus",
    "OutputKey",
    "Shape",
    "Status",
    "describe_status",
    "ffi",
]

ffi = cffi.FFI()
ffi.cdef(umami_abi.cdef_source())


def _enum_from_header(c_type: str, prefix: str, name: str) -> type[enum.IntEnum]:
    members = {
        key[len(prefix) :]: value
        for key, value in sorted(ffi.typeof(c_type).relements.items(), key=lambda kv: kv[1])
    }
    return enum.IntEnum(name, members, module=__name__)  # type: ignore[return-value]


if TYPE_CHECKING:
    # The members exist only at run time, read from the header: a static type
    # checker sees the enums as Any rather than a second, hand-kept copy.
    Status: TypeAlias = Any
    OldStatus: TypeAlias = Any
    Device: TypeAlias = Any
    MetaKey: TypeAlias = Any
    InputKey: TypeAlias = Any
    OutputKey: TypeAlias = Any
    VendorMetaKey: TypeAlias = Any
    VendorOutputKey: TypeAlias = Any
else:
    Status = _enum_from_header("UmamiStatus", "UMAMI_", "Status")
    Device = _enum_from_header("UmamiDevice", "UMAMI_DEVICE_", "Device")
    MetaKey = _enum_from_header("UmamiMetaKey", "UMAMI_META_", "MetaKey")
    InputKey = _enum_from_header("UmamiInputKey", "UMAMI_IN_", "InputKey")
    OutputKey = _enum_from_header("UmamiOutputKey", "UMAMI_OUT_", "OutputKey")
    #: pyumami's vendor extension keys (from 1000 up; umami.h): gradients.
    VendorMetaKey = _enum_from_header("PyumamiMetaKey", "PYUMAMI_META_", "VendorMetaKey")
    VendorOutputKey = _enum_from_header("PyumamiOutputKey", "PYUMAMI_OUT_", "VendorOutputKey")
    #: The first published header's numbering: the same constants without
    #: UNINITIALIZED_META, counted from 0 (MadGraph's CUDACPP libraries use it).
    OldStatus = enum.IntEnum(
        "OldStatus",
        {
            s.name: i
            for i, s in enumerate(s for s in Status if s.name != "ERROR_UNINITIALIZED_META")
        },
        module=__name__,
    )

#: "A required input was not given" under the current and the old numbering.
MISSING_INPUT_STATUSES: tuple[int, ...] = (
    int(Status.ERROR_MISSING_INPUT),
    int(OldStatus.ERROR_MISSING_INPUT),
)
#: "Metadata key not supported" under the current and the old numbering.
UNSUPPORTED_META_STATUSES: tuple[int, ...] = (
    int(Status.ERROR_UNSUPPORTED_META),
    int(OldStatus.ERROR_UNSUPPORTED_META),
)


class Shape(enum.Enum):
    """What one key's array holds for a batch of ``stride`` events (UMAMI layout)."""

    #: one element per event: (stride,)
    PER_EVENT = "per event"
    #: (4, particles, stride): the momenta
    MOMENTA = "(particles, 4) per event"
    #: (diagram count, stride): DIAGRAM_AMP2
    PER_DIAGRAM = "(diagram count) per event"
    #: (gradient parameter count, stride): PARAMETER_GRADIENT (vendor key)
    PER_GRADIENT_PARAMETER = "(gradient parameter count) per event"
    #: a handle passed in place of an array (GPU_STREAM)
    HANDLE = "not a per-event array"


@dataclasses.dataclass(frozen=True)
class KeySpec:
    """One input or output key of ``umami_matrix_element``.

    Attributes:
        key: the InputKey / OutputKey.
        name: its Python name (``evaluate`` keyword or output name).
        dtype: NumPy type of one element, None for a handle (GPU_STREAM).
        shape: what the array holds per batch (:class:`Shape`).
        unit_interval: the values are uniform random numbers in [0, 1).
        doc: the header's comment on the constant.
    """

    key: enum.IntEnum
    name: str
    dtype: np.dtype | None
    shape: Shape
    unit_interval: bool
    doc: str

    def layout(
        self, npar: int, ndiag: int | None, stride: int, nparam: int | None = None
    ) -> tuple[int, ...]:
        """Shape of this key's array in UMAMI layout for a batch of ``stride`` events;
        ValueError for DIAGRAM_AMP2 without a diagram count (likewise the parameter
        gradient without the count of gradient parameters)."""
        if self.shape is Shape.MOMENTA:
            return (4, npar, stride)
        if self.shape is Shape.PER_GRADIENT_PARAMETER:
            if nparam is None:
                raise ValueError(f"{self.key.name} needs the library's gradient parameter count")
            return (nparam, stride)
        if self.shape is Shape.PER_DIAGRAM:
            if not ndiag:
                raise ValueError(
                    f"{self.key.name} needs the library's DIAGRAM_COUNT to size the array"
                )
            return (ndiag, stride)
        return (stride,)


# The header writes each constant's type first in its comment.
_C_TYPES: dict[str, np.dtype] = {
    "unsigned int": np.dtype(np.uint32),
    "int": np.dtype(np.int32),
    "double": np.dtype(np.float64),
}
_C_TYPE_PATTERN = re.compile(r"(unsigned int|int|double)\b")

#: Python names of the keys: the one part of the table the header cannot state.
_INPUT_NAMES = {
    "MOMENTA": "momenta",
    "ALPHA_S": "alpha_s",
    "FLAVOR_INDEX": "flavor",
    "RANDOM_COLOR": "random_color",
    "RANDOM_HELICITY": "random_helicity",
    "RANDOM_DIAGRAM": "random_diagram",
    "HELICITY_INDEX": "helicity",
    "DIAGRAM_INDEX": "diagram",
    "CHANNEL_INDEX": "channel",
}
_OUTPUT_NAMES = {
    "MATRIX_ELEMENT": "matrix_element",
    "DIAGRAM_AMP2": "diagram_amp2",
    "COLOR_INDEX": "color_index",
    "HELICITY_INDEX": "helicity_index",
    "DIAGRAM_INDEX": "diagram_index",
    "GPU_STREAM": "gpu_stream",
}
_VENDOR_OUTPUT_NAMES = {
    "MOMENTUM_GRADIENT": "momentum_gradient",
    "PARAMETER_GRADIENT": "parameter_gradient",
    "PARAMETER_DERIVATIVE": "parameter_derivative",
}


def _constant_docs(c_type: str) -> dict[str, str]:
    """{constant: its doc comment} of the typedef enum ``c_type`` in the CDEF block."""
    source = umami_abi.cdef_source()
    body = re.search(r"typedef enum \{([^}]*)\}\s*" + c_type + ";", source, re.DOTALL)
    if body is None:  # pragma: no cover - the header is ours
        raise RuntimeError(f"umami.h declares no enum {c_type}")
    docs = {}
    for comment, constant in re.findall(
        r"/\*((?:(?!\*/).)*)\*/\s*((?:PY)?UMAMI_\w+)", body.group(1), re.DOTALL
    ):
        docs[constant] = " ".join(comment.split())
    return docs


def _spec(key: enum.IntEnum, name: str, doc: str) -> KeySpec:
    if "not a per-event array" in doc:
        return KeySpec(key, name, None, Shape.HANDLE, False, doc)
    match = _C_TYPE_PATTERN.match(doc)
    if match is None:  # pragma: no cover - the header is ours
        raise RuntimeError(f"umami.h does not state the type of {key.name}: {doc!r}")
    shape = Shape.PER_EVENT
    for candidate in (Shape.MOMENTA, Shape.PER_DIAGRAM, Shape.PER_GRADIENT_PARAMETER):
        if candidate.value in doc:
            shape = candidate
    return KeySpec(key, name, _C_TYPES[match.group(1)], shape, "in [0, 1)" in doc, doc)


def _table(c_type: str, prefix: str, keys: type[enum.IntEnum], names: Mapping[str, str]) -> dict:
    docs = _constant_docs(c_type)
    return {key: _spec(key, names[key.name], docs[prefix + key.name]) for key in keys}


#: Every input key of the header: {InputKey: KeySpec}.
INPUTS: Mapping[InputKey, KeySpec] = _table("UmamiInputKey", "UMAMI_IN_", InputKey, _INPUT_NAMES)
#: Every output key of the header: {OutputKey: KeySpec}.
OUTPUTS: Mapping[OutputKey, KeySpec] = _table(
    "UmamiOutputKey", "UMAMI_OUT_", OutputKey, _OUTPUT_NAMES
)
#: pyumami's vendor output keys (gradients): {VendorOutputKey: KeySpec}. Kept apart
#: from OUTPUTS, which holds the standard keys every UMAMI host and checker knows.
VENDOR_OUTPUTS: Mapping[VendorOutputKey, KeySpec] = _table(
    "PyumamiOutputKey", "PYUMAMI_OUT_", VendorOutputKey, _VENDOR_OUTPUT_NAMES
)
#: The same tables by Python name.
INPUT_BY_NAME: Mapping[str, KeySpec] = {spec.name: spec for spec in INPUTS.values()}
OUTPUT_BY_NAME: Mapping[str, KeySpec] = {spec.name: spec for spec in OUTPUTS.values()}

#: Entry points every library must export (MadSpace needs exactly these).
MANDATORY_SYMBOLS = ("umami_get_meta", "umami_initialize", "umami_matrix_element", "umami_free")
#: The capability queries of the current header.
CAPABILITY_SYMBOLS = ("umami_supported_inputs", "umami_required_inputs", "umami_supported_outputs")
#: Entry points a library may leave out.
OPTIONAL_SYMBOLS = ("umami_set_parameter", "umami_get_parameter", *CAPABILITY_SYMBOLS)
ENTRY_POINTS = MANDATORY_SYMBOLS + OPTIONAL_SYMBOLS


def describe_status(code: int) -> str:
    """Human-readable name of a status code, giving both readings where the
    older and newer headers disagree (codes 5 and 6)."""
    try:
        name = Status(code).name
    except ValueError:
        return f"unknown status {code} (treated as an error)"
    old = OldStatus(code).name if code in OldStatus._value2member_map_ else None
    if old is not None and old != name:
        return f"{name} (status {code}; {old} under the older header numbering)"
    return f"{name} (status {code})"
