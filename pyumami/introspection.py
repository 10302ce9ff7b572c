"""What a UMAMI library is and accepts, learnt by asking it: shared by the host
(``pyumami.library``) and the checker (``pyumami.check``).

Every function here takes the library as a *cffi library object*: anything with
the ``umami_*`` entry points as attributes (``ffi.dlopen(path)``, the checker's
``RawLibrary.lib``, or the namespace-isolated wrapper of ``pyumami.isolation``),
and returns raw statuses or typed results; nothing here raises for a faulty
library, so the checker can judge what the host relies on.

API (units: masses and momenta in GeV):

Entry points
    ``entry_points(lib) -> dict[str, bool]``: which of ``abi.ENTRY_POINTS`` exist.

Metadata
    ``MetaAnswer(status, value)``; ``read_meta_int(lib, key)``;
    ``read_masses(lib, npar)`` (``value`` a tuple, ``overrun`` when the library
    wrote past ``npar`` doubles); ``Metadata`` and ``read_metadata(lib)``, then
    ``reread_uninitialized(lib, metadata)`` once an instance exists (keys that
    answered UNINITIALIZED_META before the first ``umami_initialize``).

Status numbering
    ``StatusNumbering`` (CURRENT, OLD, MIXED, UNKNOWN);
    ``infer_numbering(symbols, metadata)`` from what a host sees without trial
    calls; ``numbering_from_statuses(unknown_meta_status, missing_input_status)``
    from the checker's deliberate probes.

Capabilities
    ``CapabilitySource`` (QUERIES, PROBED, ASSUMED); ``Capabilities``;
    ``query_flags(lib, symbol)``; ``query_capabilities(lib, symbols)`` (None
    without the queries); ``probe_capabilities(trial, diagram_count)`` by trial
    calls; ``ASSUMED`` (the ABI's minimum, for device libraries without queries).

Guarded arrays and trial calls
    ``GuardedArray`` (UMAMI-layout array fenced by canary bit patterns, with
    ``damage``); ``guarded_inputs`` / ``guarded_outputs`` / ``guard_damage``;
    ``call_matrix_element(lib, handle, count, stride, offset, inputs, outputs)`` (one raw
    ``umami_matrix_element``); ``trial_momenta(masses, n, seed)`` (generic
    physical points); ``sample_input(key, n, rng)``; ``TrialCaller`` (raw status
    of a call with any key set on guarded arrays).
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from .abi import (
    CAPABILITY_SYMBOLS,
    ENTRY_POINTS,
    INPUTS,
    MISSING_INPUT_STATUSES,
    OUTPUTS,
    InputKey,
    MetaKey,
    OldStatus,
    OutputKey,
    Shape,
    Status,
    VendorMetaKey,
    VendorOutputKey,
    ffi,
)

__all__ = [
    "ASSUMED",
    "GUARD",
    "TRIAL_EVENTS",
    "Capabilities",
    "CapabilitySource",
    "GuardedArray",
    "MetaAnswer",
    "Metadata",
    "StatusNumbering",
    "TrialCaller",
    "call_matrix_element",
    "entry_points",
    "guard_damage",
    "guarded_inputs",
    "guarded_outputs",
    "infer_numbering",
    "numbering_from_statuses",
    "probe_capabilities",
    "query_capabilities",
    "query_flags",
    "read_masses",
    "read_meta_int",
    "read_metadata",
    "reread_uninitialized",
    "sample_input",
    "trial_momenta",
]


def entry_points(lib: Any) -> dict[str, bool]:
    """{entry point: exported} for every UMAMI entry point."""
    present = {}
    for name in ENTRY_POINTS:
        try:
            getattr(lib, name)
            present[name] = True
        except AttributeError:
            present[name] = False
    return present


# ---------------------------------------------------------------- metadata


@dataclasses.dataclass(frozen=True)
class MetaAnswer:
    """One ``umami_get_meta`` answer: the raw status and the value (None unless SUCCESS)."""

    status: int
    value: Any = None
    #: MASSES only: the library wrote beyond the particle count
    overrun: bool = False

    @property
    def ok(self) -> bool:
        return self.status == Status.SUCCESS


# The C types of the queries, parsed once at import (before any worker process forks):
# cffi parses a type string the first time each process meets it (milliseconds each).
_INT4 = ffi.typeof("int[4]")
_STRINGS_OUT = ffi.typeof("char ***")
_FLAGS_OUT = ffi.typeof("const bool **")
_INT_OUT = ffi.typeof("int *")


def read_meta_int(lib: Any, key: int) -> MetaAnswer:
    """An int-valued metadata key (DEVICE, the counts)."""
    out = ffi.new(_INT4, [0x5EADBEEF] * 4)
    status = int(lib.umami_get_meta(int(key), out))
    return MetaAnswer(status, int(out[0]) if status == Status.SUCCESS else None)


def read_gradient_parameters(lib: Any) -> tuple[str, ...]:
    """Names of the model parameters the library differentiates (pyumami's vendor
    meta keys of umami.h); () for a library without them."""
    count = read_meta_int(lib, VendorMetaKey.GRADIENT_PARAMETER_COUNT)
    if not count.ok or not count.value or count.value < 0:
        return ()
    names = ffi.new(_STRINGS_OUT)
    if (
        int(lib.umami_get_meta(int(VendorMetaKey.GRADIENT_PARAMETER_NAMES), names))
        != Status.SUCCESS
    ):
        return ()
    if names[0] == ffi.NULL:
        return ()
    return tuple(ffi.string(names[0][k]).decode() for k in range(count.value))


def vendor_outputs(lib: Any) -> frozenset:
    """The vendor output keys (gradients) that the library's umami_supported_outputs
    advertises; empty without the query."""
    flags = query_flags(lib, "umami_supported_outputs")
    if flags is None or flags[0] != Status.SUCCESS:
        return frozenset()
    return frozenset(
        VendorOutputKey(k) for k in flags[1] if k in VendorOutputKey._value2member_map_
    )


def parameter_derivatives(lib: Any, names: Sequence[str]) -> tuple[str, ...]:
    """The gradient parameters (``names``, in the library's order) whose own
    derivative output (PARAMETER_DERIVATIVE + position, umami.h) the library's
    umami_supported_outputs advertises; () without the query."""
    flags = query_flags(lib, "umami_supported_outputs")
    if flags is None or flags[0] != Status.SUCCESS:
        return ()
    first = int(VendorOutputKey.PARAMETER_DERIVATIVE)
    return tuple(name for k, name in enumerate(names) if first + k in flags[1])


def read_masses(lib: Any, npar: int) -> MetaAnswer:
    """MASSES (GeV, tuple of ``npar``), read into a guarded buffer."""
    guarded = GuardedArray((npar,), np.dtype(np.float64), output=True)
    status = int(lib.umami_get_meta(int(MetaKey.MASSES), guarded.pointer))
    overrun = bool(guarded.damage(0, npar))
    value = tuple(float(m) for m in guarded.array) if status == Status.SUCCESS else None
    return MetaAnswer(status, value, overrun)


_COUNT_KEYS = {
    MetaKey.DIAGRAM_COUNT: "diagram_count",
    MetaKey.HELICITY_COUNT: "helicity_count",
    MetaKey.COLOR_COUNT: "color_count",
}


@dataclasses.dataclass(frozen=True)
class Metadata:
    """What ``umami_get_meta`` answered; a value is None where the key was not
    answered, ``statuses`` holds the last raw status of every key asked."""

    device: int | None
    particle_count: int | None
    diagram_count: int | None
    helicity_count: int | None
    color_count: int | None
    masses: tuple[float, ...] | None
    statuses: Mapping[MetaKey, int]


def read_metadata(lib: Any) -> Metadata:
    """Every metadata key, as answered now (before any ``umami_initialize``, the
    first time a library is opened)."""
    answers = {key: read_meta_int(lib, key) for key in (MetaKey.DEVICE, MetaKey.PARTICLE_COUNT)}
    answers.update({key: read_meta_int(lib, key) for key in _COUNT_KEYS})
    npar = answers[MetaKey.PARTICLE_COUNT].value
    if npar is not None and npar >= 1:
        answers[MetaKey.MASSES] = read_masses(lib, npar)
    return _metadata(answers)


def _metadata(answers: Mapping[MetaKey, MetaAnswer]) -> Metadata:
    masses = answers.get(MetaKey.MASSES)
    return Metadata(
        device=answers[MetaKey.DEVICE].value,
        particle_count=answers[MetaKey.PARTICLE_COUNT].value,
        masses=None if masses is None else masses.value,
        statuses={key: answer.status for key, answer in answers.items()},
        **{name: answers[key].value for key, name in _COUNT_KEYS.items()},
    )


def reread_uninitialized(lib: Any, metadata: Metadata) -> Metadata:
    """Ask again every key that answered 5 (UNINITIALIZED_META under the current
    numbering; under the old one 5 is UNSUPPORTED_META and the answer stays)."""
    retry = {k for k, s in metadata.statuses.items() if s == Status.ERROR_UNINITIALIZED_META}
    if not retry:
        return metadata
    answers = {
        key: MetaAnswer(status, getattr(metadata, _field(key)))
        for key, status in metadata.statuses.items()
    }
    for key in retry:
        if key == MetaKey.MASSES:
            answers[key] = read_masses(lib, int(metadata.particle_count or 0))
        else:
            answers[key] = read_meta_int(lib, key)
    return _metadata(answers)


def _field(key: MetaKey) -> str:
    return key.name.lower()


# ---------------------------------------------------------- status numbering


class StatusNumbering(enum.StrEnum):
    """Which header's status numbering a library's codes 5, 6, 7 follow."""

    #: UMAMI 1.0: 5 UNINITIALIZED_META, 6 UNSUPPORTED_META, 7 MISSING_INPUT
    CURRENT = "current"
    #: the first published header: 5 UNSUPPORTED_META, 6 MISSING_INPUT
    OLD = "old"
    #: evidence for both
    MIXED = "mixed"
    #: no evidence either way
    UNKNOWN = "unknown"


def infer_numbering(symbols: Mapping[str, bool], metadata: Metadata) -> StatusNumbering:
    """The numbering a host can tell without trial calls.

    Capability queries and a MASSES answer exist only in the current header. A
    metadata query answering 6 is UNSUPPORTED_META under the current numbering
    (under the old one 6 is MISSING_INPUT, which get_meta cannot mean); a 5 still
    answered after initialisation (``metadata`` holds the last answers) is
    UNSUPPORTED_META under the old one.
    """
    if any(symbols.get(name) for name in CAPABILITY_SYMBOLS) or metadata.masses is not None:
        return StatusNumbering.CURRENT
    statuses = set(metadata.statuses.values())
    if Status.ERROR_UNSUPPORTED_META in statuses:
        return StatusNumbering.CURRENT
    if Status.ERROR_UNINITIALIZED_META in statuses:
        return StatusNumbering.OLD
    return StatusNumbering.UNKNOWN


def numbering_from_statuses(
    unknown_meta_status: int | None, missing_input_status: int | None
) -> StatusNumbering:
    """The numbering shown by the answers to an unknown metadata key and to a call
    without any input (the checker asks both on purpose)."""
    current = unknown_meta_status == Status.ERROR_UNSUPPORTED_META or (
        missing_input_status == Status.ERROR_MISSING_INPUT
    )
    old = unknown_meta_status == OldStatus.ERROR_UNSUPPORTED_META or (
        missing_input_status == OldStatus.ERROR_MISSING_INPUT
    )
    if current and old:
        return StatusNumbering.MIXED
    if current:
        return StatusNumbering.CURRENT
    if old:
        return StatusNumbering.OLD
    return StatusNumbering.UNKNOWN


# ------------------------------------------------------------- capabilities


class CapabilitySource(enum.StrEnum):
    """How a host learnt what a library accepts."""

    #: the library's capability queries
    QUERIES = "queries"
    #: trial calls
    PROBED = "probed"
    #: neither possible: MOMENTA in, MATRIX_ELEMENT out
    ASSUMED = "assumed"


@dataclasses.dataclass(frozen=True)
class Capabilities:
    """The inputs a library accepts and requires and the outputs it produces."""

    supported_inputs: frozenset[InputKey]
    required_inputs: frozenset[InputKey]
    supported_outputs: frozenset[OutputKey]
    source: CapabilitySource


#: The ABI's minimum, assumed where neither queries nor trial calls are possible
#: (a device library without queries: trial calls would need device memory).
ASSUMED = Capabilities(
    frozenset({InputKey.MOMENTA}),
    frozenset({InputKey.MOMENTA}),
    frozenset({OutputKey.MATRIX_ELEMENT}),
    CapabilitySource.ASSUMED,
)


def query_flags(lib: Any, symbol: str) -> tuple[int, frozenset[int]] | None:
    """(status, keys flagged true, known or not) from capability query ``symbol``;
    None when the library does not export it. A SUCCESS with a NULL array or a
    negative count is answered as (ERROR, empty)."""
    try:
        query = getattr(lib, symbol)
    except AttributeError:
        return None
    flags = ffi.new(_FLAGS_OUT)
    count = ffi.new(_INT_OUT, -1)
    status = int(query(flags, count))
    if status != Status.SUCCESS:
        return status, frozenset()
    if count[0] < 0 or flags[0] == ffi.NULL:
        return int(Status.ERROR), frozenset()
    return status, frozenset(k for k in range(count[0]) if flags[0][k])


def _known(flags: tuple[int, frozenset[int]] | None, keys: type[enum.IntEnum]) -> frozenset | None:
    if flags is None or flags[0] != Status.SUCCESS:
        return None
    # keys appended by a newer minor version are unknown here: ignored
    return frozenset(keys(k) for k in flags[1] if k in keys._value2member_map_)


def query_capabilities(lib: Any) -> Capabilities | None:
    """Capabilities from the library's queries; None unless both the supported
    inputs and outputs are answered (required inputs default to MOMENTA)."""
    supported = _known(query_flags(lib, "umami_supported_inputs"), InputKey)
    required = _known(query_flags(lib, "umami_required_inputs"), InputKey)
    outputs = _known(query_flags(lib, "umami_supported_outputs"), OutputKey)
    if supported is None or outputs is None:
        return None
    if required is None:
        required = frozenset({InputKey.MOMENTA})
    return Capabilities(supported | required, required, outputs, CapabilitySource.QUERIES)


#: raw status of one trial call with the given input and output keys
Trial = Callable[[Iterable[int], Iterable[int]], int]


def probe_capabilities(trial: Trial, diagram_count: int | None) -> Capabilities:
    """Capabilities found by trial calls (libraries without queries):

    an input is supported when MOMENTA + it does not answer UNSUPPORTED_INPUT (a
    missing-input answer under either numbering counts as supported); with every
    supported input given, one is required when leaving it out answers a
    missing-input status (MOMENTA is always required and never left out: a
    careless library could dereference the missing pointer); an output is
    supported when asking for it with the required inputs (or, if that fails,
    every supported input) succeeds. MATRIX_ELEMENT is always assumed, GPU_STREAM
    never probed, DIAGRAM_AMP2 only with a known diagram count.
    """
    me = [int(OutputKey.MATRIX_ELEMENT)]
    momenta = int(InputKey.MOMENTA)
    supported = {InputKey.MOMENTA}
    for key in InputKey:
        if key != InputKey.MOMENTA:
            status = trial([momenta, int(key)], me)
            if status == Status.SUCCESS or status in MISSING_INPUT_STATUSES:
                supported.add(key)
    required = {InputKey.MOMENTA}
    everything = sorted(supported)
    if trial(everything, me) == Status.SUCCESS:
        for key in everything[1:]:  # MOMENTA (key 0) first: never left out
            if trial([k for k in everything if k != key], me) in MISSING_INPUT_STATUSES:
                required.add(key)
    outputs = {OutputKey.MATRIX_ELEMENT}
    base = sorted(required)
    if trial(base, me) != Status.SUCCESS:
        base = everything
    for key in OutputKey:
        if key in (OutputKey.MATRIX_ELEMENT, OutputKey.GPU_STREAM):
            continue
        if key == OutputKey.DIAGRAM_AMP2 and not diagram_count:
            continue
        if trial(base, [int(key)]) == Status.SUCCESS:
            outputs.add(key)
    return Capabilities(
        frozenset(supported), frozenset(required), frozenset(outputs), CapabilitySource.PROBED
    )


# ---------------------------------------------------------- guarded arrays

# Canary bit patterns: a signalling NaN with a payload no arithmetic produces, an
# int32 no index takes. Input canaries are quiet NaNs so that a library reading
# outside its slice computes NaN instead of plausible numbers.
_OUTPUT_CANARY: dict[int, np.unsignedinteger] = {
    8: np.uint64(0x7FF4C0DEC0DEC0DE),
    4: np.uint32(0x5EADBEEF),
}
_INPUT_CANARY: dict[int, np.unsignedinteger] = {8: np.uint64(0x7FF8DEADBEEF0001), 4: np.uint32(0)}
#: elements of canary before and after every array, beyond [0, stride)
GUARD = 16


class GuardedArray:
    """An array in UMAMI layout whose every element outside the slice
    [offset, offset + count) of the batch axis, and GUARD elements before and after
    the whole allocation, hold a canary bit pattern.

    ``array`` is the (..., stride) view handed to the library; ``damage()`` lists
    what changed outside the slice since ``seal()`` (or construction).
    """

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype, *, output: bool):
        self.dtype = np.dtype(dtype)
        size = int(np.prod(shape))
        canary = (_OUTPUT_CANARY if output else _INPUT_CANARY)[self.dtype.itemsize]
        self._storage = np.full(size + 2 * GUARD, canary, dtype=canary.dtype)
        self.array = self._storage[GUARD : GUARD + size].view(self.dtype).reshape(shape)
        self._sealed = self._storage.copy()

    @property
    def pointer(self) -> Any:
        """cffi ``void*`` to element 0 of ``array``."""
        return ffi.cast("void *", self.array.ctypes.data)

    def seal(self) -> None:
        """Take the current contents as the baseline for ``damage()``."""
        self._sealed = self._storage.copy()

    def damage(self, offset: int, count: int) -> list[str]:
        """Descriptions of changes outside [offset, offset + count) of the batch axis
        (and in the guard zones) since the last ``seal()``; empty when untouched."""
        changed = self._storage != self._sealed
        problems = []
        if changed[:GUARD].any():
            problems.append(
                f"{int(changed[:GUARD].sum())} element(s) before the start of the array"
            )
        if changed[-GUARD:].any():
            problems.append(f"{int(changed[-GUARD:].sum())} element(s) past the end of the array")
        outside = changed[GUARD:-GUARD].reshape(self.array.shape).copy()
        outside[..., offset : offset + count] = False
        if outside.any():
            events = np.unique(np.nonzero(outside)[-1])
            shown = ", ".join(str(int(e)) for e in events[:6]) + (" ..." if events.size > 6 else "")
            problems.append(
                f"{int(outside.sum())} element(s) at batch index {shown} outside the slice "
                f"[{offset}, {offset + count}) (stride {self.array.shape[-1]})"
            )
        return problems

    def changed_anywhere(self) -> bool:
        """True when any byte (slice included) changed since ``seal()``."""
        return bool((self._storage != self._sealed).any())


def guarded_inputs(
    values: Mapping[int, np.ndarray], npar: int, stride: int, offset: int = 0
) -> dict[int, GuardedArray]:
    """Guarded input arrays of batch length ``stride`` holding ``values`` (user
    layout: momenta (n, npar, 4), others (n,)) at [offset, offset + n), sealed.
    A key unknown to this header gets a float64 per-event array."""
    guarded = {}
    for key, value in values.items():
        spec = INPUTS.get(key)
        dtype = np.dtype(np.float64) if spec is None or spec.dtype is None else spec.dtype
        if spec is not None and spec.shape is Shape.MOMENTA:
            array = GuardedArray(spec.layout(npar, None, stride), dtype, output=False)
            data = np.transpose(value, (2, 1, 0))
        else:
            array = GuardedArray((stride,), dtype, output=False)
            data = value
        array.array[..., offset : offset + value.shape[0]] = data
        array.seal()
        guarded[key] = array
    return guarded


def guarded_outputs(keys: Iterable[int], ndiag: int | None, stride: int) -> dict[int, GuardedArray]:
    """Guarded output arrays of batch length ``stride``; a key unknown to this
    header gets a float64 per-event array."""
    guarded = {}
    for key in keys:
        spec = OUTPUTS.get(key)
        if spec is None or spec.dtype is None:
            guarded[key] = GuardedArray((stride,), np.dtype(np.float64), output=True)
        else:
            guarded[key] = GuardedArray(spec.layout(0, ndiag, stride), spec.dtype, output=True)
    return guarded


def guard_damage(
    inputs: Mapping[int, GuardedArray], outputs: Mapping[int, GuardedArray], offset: int, count: int
) -> list[str]:
    """Outputs changed outside [offset, offset + count), inputs changed anywhere."""
    damage = []
    for key, array in outputs.items():
        damage += [f"output {_key_name(OutputKey, key)}: {d}" for d in array.damage(offset, count)]
    for key, array in inputs.items():
        if array.changed_anywhere():
            damage.append(f"input {_key_name(InputKey, key)} was modified (inputs are const)")
    return damage


def _key_name(keys: type[enum.IntEnum], key: int) -> str:
    return keys(key).name if key in keys._value2member_map_ else str(key)


# The C types of a call, parsed once at import (as above; ~20 ms for these).
_INPUT_KEYS = ffi.typeof("UmamiInputKey[]")
_OUTPUT_KEYS = ffi.typeof("UmamiOutputKey[]")
_INPUT_POINTERS = ffi.typeof("void const *[]")
_OUTPUT_POINTERS = ffi.typeof("void *[]")
_VOID_POINTER = ffi.typeof("void *")


def call_matrix_element(
    lib: Any,
    handle: Any,
    count: int,
    stride: int,
    offset: int,
    inputs: Mapping[int, Any],
    outputs: Mapping[int, Any],
) -> int:
    """One ``umami_matrix_element`` call; ``inputs``/``outputs`` map keys to
    pointers (anything ``ffi.cast("void *", ...)`` accepts); returns the raw status.
    The pointed-to memory must stay alive until it returns."""
    in_keys = ffi.new(_INPUT_KEYS, [int(k) for k in inputs] or [0])
    in_ptrs = ffi.new(
        _INPUT_POINTERS, [ffi.cast(_VOID_POINTER, p) for p in inputs.values()] or [ffi.NULL]
    )
    out_keys = ffi.new(_OUTPUT_KEYS, [int(k) for k in outputs] or [0])
    out_ptrs = ffi.new(
        _OUTPUT_POINTERS, [ffi.cast(_VOID_POINTER, p) for p in outputs.values()] or [ffi.NULL]
    )
    return int(
        lib.umami_matrix_element(
            handle,
            count,
            stride,
            offset,
            len(inputs),
            in_keys,
            in_ptrs,
            len(outputs),
            out_keys,
            out_ptrs,
        )
    )


# -------------------------------------------------------------- trial calls

#: events of one trial call: enough that no single configuration dominates a
#: library that decides something (e.g. a helicity filter) from its first batch
TRIAL_EVENTS = 32
_RANDOM_INPUTS = frozenset(key for key, spec in INPUTS.items() if spec.unit_interval)


def trial_momenta(
    masses: Iterable[float] | None, npar: int, n: int = TRIAL_EVENTS, seed: int = 0
) -> np.ndarray:
    """Generic physical points (n, npar, 4) in GeV for trial calls: RAMBO at
    sqrt(s) = max(1000 GeV, 2 x the sum of the masses), on-shell with ``masses``
    (massless where None), then one random boost (|beta| <= 0.3) and rotation per
    event, so that no axis or plane is shared by the events or singled out."""
    from phase_space import kinematics
    from phase_space.rambo import Rambo

    m = np.zeros(npar) if masses is None else np.asarray(tuple(masses), dtype=np.float64)
    rng = np.random.default_rng(seed)
    sqrt_s = max(1000.0, 2.0 * float(m.sum()))
    if npar - 2 >= 2:
        rambo = Rambo([float(x) for x in m[2:]], sqrt_s)
        p, _ = rambo.forward(rng.uniform(0.02, 0.98, size=(n, rambo.dim)))
        p = np.array(p, dtype=np.float64)
    else:  # 2 -> 1: the final particle at rest in the centre-of-mass frame
        sqrt_s = max(float(m[-1]), 1.0)
        p = np.zeros((n, npar, 4))
        p[:, -1, 0] = sqrt_s
    # beams of the given masses along z, carrying the same total four-momentum
    s = sqrt_s**2
    e1 = (s + m[0] ** 2 - m[1] ** 2) / (2.0 * sqrt_s)
    pz = math.sqrt(max(e1**2 - m[0] ** 2, 0.0))
    p[:, 0] = (e1, 0.0, 0.0, pz)
    p[:, 1] = (sqrt_s - e1, 0.0, 0.0, -pz)
    beta = rng.uniform(0.05, 0.3, size=n)
    direction = rng.normal(size=(n, 3))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    gamma = 1.0 / np.sqrt(1.0 - beta**2)
    frame = np.concatenate([gamma[:, None], (gamma * beta)[:, None] * direction], axis=1)
    boosted = kinematics.boost_from_rest(p, frame[:, None, :])
    cos_theta = rng.uniform(-1.0, 1.0, size=(n, 1))
    phi = rng.uniform(0.0, 2.0 * math.pi, size=(n, 1))
    return np.ascontiguousarray(kinematics.rotate_from_z(boosted, cos_theta, phi), dtype=np.float64)


def sample_input(key: InputKey, n: int, rng: np.random.Generator) -> np.ndarray:
    """Valid per-event values for input ``key``: alpha_s in [0.10, 0.13], random
    numbers in [0, 1), index inputs 0."""
    if key == InputKey.ALPHA_S:
        return rng.uniform(0.10, 0.13, size=n)
    if key in _RANDOM_INPUTS:
        return rng.uniform(0.0, 1.0, size=n)
    if key == InputKey.MOMENTA:
        raise ValueError("momenta come from trial_momenta")
    return np.zeros(n, dtype=np.int64)


class TrialCaller:
    """Calls ``umami_matrix_element`` on ``momenta`` (n, npar, 4) with any set of
    keys (known or not) on guarded arrays and returns the raw status; valid values
    for every known input (``sample_input``), zeros for unknown keys. ``damage``
    collects every canary violation seen."""

    def __init__(
        self, lib: Any, handle: Any, momenta: np.ndarray, *, ndiag: int | None, seed: int = 0
    ) -> None:
        self.lib, self.handle, self.momenta = lib, handle, momenta
        self.n, self.npar = int(momenta.shape[0]), int(momenta.shape[1])
        # 64 rows when DIAGRAM_COUNT is unknown: room for any plausible library
        self.ndiag = ndiag or 64
        self.rng = np.random.default_rng(seed)
        self.damage: list[str] = []

    def __call__(self, inputs: Iterable[int], outputs: Iterable[int]) -> int:
        n = self.n
        values: dict[int, np.ndarray] = {}
        for key in sorted(set(inputs)):
            if key == InputKey.MOMENTA:
                values[key] = self.momenta
            elif key in InputKey._value2member_map_:
                values[key] = sample_input(InputKey(key), n, self.rng)
            else:
                values[key] = np.zeros(n)
        fenced_in = guarded_inputs(values, self.npar, n)
        fenced_out = guarded_outputs(sorted(set(outputs)), self.ndiag, n)
        status = call_matrix_element(
            self.lib,
            self.handle,
            n,
            n,
            0,
            {k: a.pointer for k, a in fenced_in.items()},
            {k: a.pointer for k, a in fenced_out.items()},
        )
        self.damage += guard_damage(fenced_in, fenced_out, 0, n)
        return status
