"""Open any UMAMI library and evaluate matrix elements on batches of events.

``load(path)`` dlopens a shared object through the cffi declarations derived
from ``umami.h`` (``pyumami.abi.ffi``), checks the mandatory entry points
eagerly, reads the metadata and learns what the library accepts (from the
capability queries, or by trial calls on a tiny batch for older libraries).
Evaluation converts the momenta once into the UMAMI layout in a reusable
buffer, splits the batch over threads with stride/offset (one UMAMI instance
per thread; cffi releases the GIL during the call), and returns the outputs in
the user's (event-first) layout.
"""
from __future__ import annotations

import math
import os
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from . import abi
from .abi import Device, InputKey, MetaKey, OutputKey, Status, ffi
from .arrays import (
    MemoryKind,
    MomentaBuffer,
    check_momenta,
    device_pointer,
    host_array,
    memory_kind,
    non_finite_error,
    per_event_input,
)
from .errors import (
    DeviceMismatchError,
    InitializationError,
    LibraryClosedError,
    LibraryLoadError,
    MissingInputError,
    MissingSymbolError,
    ParameterNotSupportedError,
    StatusError,
    UnsupportedInputError,
    UnsupportedOutputError,
)

__all__ = [
    "MatrixElementLibrary",
    "load",
    "INPUT_NAMES",
    "OUTPUT_NAMES",
    "MIN_EVENTS_PER_THREAD",
]

#: Keyword of ``evaluate`` for each per-event input, with its ABI element type.
INPUT_NAMES: Mapping[str, tuple[InputKey, np.dtype]] = {
    "alpha_s": (InputKey.ALPHA_S, np.dtype(np.float64)),
    "flavor": (InputKey.FLAVOR_INDEX, np.dtype(np.int32)),
    "random_color": (InputKey.RANDOM_COLOR, np.dtype(np.float64)),
    "random_helicity": (InputKey.RANDOM_HELICITY, np.dtype(np.float64)),
    "random_diagram": (InputKey.RANDOM_DIAGRAM, np.dtype(np.float64)),
    "helicity": (InputKey.HELICITY_INDEX, np.dtype(np.int32)),
    "diagram": (InputKey.DIAGRAM_INDEX, np.dtype(np.uint32)),
    "channel": (InputKey.CHANNEL_INDEX, np.dtype(np.uint32)),
}
_INPUT_NAME_OF = {key: name for name, (key, _) in INPUT_NAMES.items()}
#: The inputs that are uniform random numbers: the ABI defines them on [0, 1).
_UNIT_INTERVAL_INPUTS = frozenset({"random_color", "random_helicity", "random_diagram"})
_INPUT_NAME_OF[InputKey.MOMENTA] = "momenta"

#: Output names accepted by ``evaluate(outputs=...)``, with their element types.
OUTPUT_NAMES: Mapping[str, tuple[OutputKey, np.dtype]] = {
    "matrix_element": (OutputKey.MATRIX_ELEMENT, np.dtype(np.float64)),
    "diagram_amp2": (OutputKey.DIAGRAM_AMP2, np.dtype(np.float64)),
    "color_index": (OutputKey.COLOR_INDEX, np.dtype(np.int32)),
    "helicity_index": (OutputKey.HELICITY_INDEX, np.dtype(np.int32)),
    "diagram_index": (OutputKey.DIAGRAM_INDEX, np.dtype(np.int32)),
}
_OUTPUT_NAME_OF = {key: name for name, (key, _) in OUTPUT_NAMES.items()}

#: Below this many events per thread, fewer threads are used (the call overhead
#: would dominate); results do not depend on the split.
MIN_EVENTS_PER_THREAD = 64

# Status codes meaning "a required input is missing" under the current (7) and
# the older (6) numbering; trial calls accept either.
_MISSING_INPUT_CODES = (int(Status.ERROR_MISSING_INPUT), 6)
_PROBE_EVENTS = 2


def _status_name(code: int) -> str:
    try:
        return Status(code).name
    except ValueError:
        return f"status {code}"


class _Resources:
    """What must be released when a library is closed or collected: the
    instances (umami_free) and the worker threads. Kept apart from the library
    object so that weakref.finalize can hold it without keeping the library alive."""

    def __init__(self, lib: Any) -> None:
        self.lib = lib
        self.handles: list[Any] = []
        self.executor: ThreadPoolExecutor | None = None
        self.closed = False
        self.lock = threading.Lock()
        # held by every evaluation: release waits for a call in flight instead
        # of freeing the instances under it
        self.call_lock = threading.Lock()

    def release(self) -> None:
        with self.call_lock, self.lock:
            if self.closed:
                return
            self.closed = True
            if self.executor is not None:
                self.executor.shutdown(wait=True)
                self.executor = None
            for handle in self.handles:
                self.lib.umami_free(handle)
            self.handles.clear()


class MatrixElementLibrary:
    """A UMAMI shared library opened for evaluation (see :func:`load`).

    Attributes (read at load):
        path: the shared object.
        device: :class:`pyumami.abi.Device` where the library's pointers live.
        particle_count, diagram_count, helicity_count, color_count: ints, or
            None where the library answers that the key is unsupported.
        masses: external masses in GeV (tuple, incoming first), or None.
        supported_inputs, required_inputs: frozensets of InputKey.
        supported_outputs: frozenset of OutputKey.
        capabilities_source: "queries" (the library's capability queries),
            "probed" (trial calls) or "assumed" (neither possible: MOMENTA and
            MATRIX_ELEMENT only).
        numbering: status numbering the library appears to use: "current",
            "old" (the first published header) or "unknown"; used to word errors.
        has_parameters: whether set/get_parameter are implemented.
        optional_symbols: {symbol: present} for the optional entry points.
        threads: number of threads (and instances) a CPU batch is split over.
    """

    def __init__(self, path: str | os.PathLike[str], param_card: str | os.PathLike[str] | None = None,
                 *, threads: int | None = None) -> None:
        self.path = str(Path(path))
        if threads is not None and int(threads) < 1:
            raise ValueError(f"threads must be >= 1, got {threads}")
        self.threads = int(threads) if threads is not None else (os.cpu_count() or 1)
        self.param_card = None if param_card is None else str(Path(param_card))
        if self.param_card is not None and not Path(self.param_card).is_file():
            raise FileNotFoundError(
                f"param card {self.param_card} does not exist; pass the path of an SLHA param card "
                f"or None for the library's default"
            )
        # The char* must outlive every umami_initialize call (instances are lazy).
        self._card_c = ffi.NULL if self.param_card is None else ffi.new("char[]", os.fsencode(self.param_card))
        try:
            lib = ffi.dlopen(self.path)
        except OSError as exc:
            raise LibraryLoadError(
                f"cannot open {self.path} as a shared library: {exc}; check the path and that it was "
                f"built for this machine (`file {self.path}`)"
            ) from exc
        for symbol in abi.MANDATORY_SYMBOLS:
            try:
                getattr(lib, symbol)
            except AttributeError:
                ffi.dlclose(lib)
                raise MissingSymbolError(self.path, symbol) from None
        self.optional_symbols = {}
        for symbol in abi.OPTIONAL_SYMBOLS:
            try:
                getattr(lib, symbol)
                self.optional_symbols[symbol] = True
            except AttributeError:
                self.optional_symbols[symbol] = False
        self._lib = lib
        self._resources = _Resources(lib)
        self._finalizer = weakref.finalize(self, self._resources.release)
        self._call_lock = self._resources.call_lock
        self._instance_lock = threading.Lock()
        self._parameters: dict[str, tuple[float, float]] = {}
        self._meta_statuses: dict[MetaKey, int] = {}
        self.numbering = "unknown"
        try:
            self._read_metadata()
            self._momenta_buffer = MomentaBuffer(self.particle_count)
            self._instance(0)
            self._retry_uninitialized_metadata()
            self.numbering = self._infer_numbering()
            self._read_capabilities()
            self.has_parameters = self._probe_parameters()
        except BaseException:
            self._finalizer()
            raise

    # ------------------------------------------------------------------ metadata
    def _get_meta_int(self, key: MetaKey) -> int | None:
        result = ffi.new("int *")
        status = self._lib.umami_get_meta(int(key), result)
        self._meta_statuses[key] = int(status)
        return int(result[0]) if status == Status.SUCCESS else None

    def _meta_masses(self) -> tuple[float, ...] | None:
        result = ffi.new("double[]", self.particle_count)
        status = self._lib.umami_get_meta(int(MetaKey.MASSES), result)
        self._meta_statuses[MetaKey.MASSES] = int(status)
        if status != Status.SUCCESS:
            return None
        return tuple(float(result[i]) for i in range(self.particle_count))

    def _read_metadata(self) -> None:
        device = self._get_meta_int(MetaKey.DEVICE)
        if device is None:
            raise StatusError("umami_get_meta(DEVICE)", self._meta_statuses[MetaKey.DEVICE], path=self.path,
                              hint="a library must say which device it runs on")
        try:
            self.device = Device(device)
        except ValueError:
            raise LibraryLoadError(
                f"{self.path} answers DEVICE = {device}, which this pyumami (UMAMI "
                f"{', '.join(d.name for d in Device)}) does not know; update pyumami"
            ) from None
        particle_count = self._get_meta_int(MetaKey.PARTICLE_COUNT)
        if particle_count is None or particle_count < 1:
            status = self._meta_statuses[MetaKey.PARTICLE_COUNT]
            raise StatusError("umami_get_meta(PARTICLE_COUNT)", status if status else 1, path=self.path,
                              hint="a library must report its number of external particles")
        self.particle_count = particle_count
        self.diagram_count = self._get_meta_int(MetaKey.DIAGRAM_COUNT)
        self.helicity_count = self._get_meta_int(MetaKey.HELICITY_COUNT)
        self.color_count = self._get_meta_int(MetaKey.COLOR_COUNT)
        self.masses = self._meta_masses()
        # Gradient extension outputs (umami.h vendor range): none until the
        # library advertises them.
        self.offers_momentum_gradient = False
        self.gradient_parameters: tuple[str, ...] = ()

    def _retry_uninitialized_metadata(self) -> None:
        """Ask again, now that an instance exists, every key that answered 5
        (UNINITIALIZED_META under the current numbering; under the old one it
        is UNSUPPORTED_META and the second answer is the same)."""
        uninitialized = int(Status.ERROR_UNINITIALIZED_META)
        for key, attribute in ((MetaKey.DIAGRAM_COUNT, "diagram_count"),
                               (MetaKey.HELICITY_COUNT, "helicity_count"),
                               (MetaKey.COLOR_COUNT, "color_count")):
            if self._meta_statuses.get(key) == uninitialized:
                setattr(self, attribute, self._get_meta_int(key))
        if self._meta_statuses.get(MetaKey.MASSES) == uninitialized:
            self.masses = self._meta_masses()

    def _infer_numbering(self) -> str:
        """Which header's status numbering the library likely uses.

        Capability queries and a MASSES answer exist only in the current header.
        A metadata query answering 6 is UNSUPPORTED_META under the current
        numbering (under the old one 6 is MISSING_INPUT, which get_meta cannot
        mean); a 5 still answered after initialisation (the statuses recorded
        are the last answers) is UNSUPPORTED_META under the old one.
        Otherwise a library without queries and MASSES is presumably old.
        """
        if any(self.optional_symbols[s] for s in
               ("umami_supported_inputs", "umami_required_inputs", "umami_supported_outputs")):
            return "current"
        if self.masses is not None:
            return "current"
        statuses = self._meta_statuses.values()
        if 6 in statuses:
            return "current"
        if 5 in statuses:
            return "old"
        return "unknown"

    # -------------------------------------------------------------- instances
    def _instance(self, index: int) -> Any:
        """The UMAMI instance of worker ``index``, created on first use."""
        handles = self._resources.handles
        if index < len(handles):
            return handles[index]
        with self._instance_lock:
            while len(handles) <= index:
                self._check_open()
                out = ffi.new("UmamiHandle *")
                status = self._lib.umami_initialize(out, self._card_c)
                if status != Status.SUCCESS:
                    card = self.param_card or "NULL (the library's default card)"
                    raise InitializationError(
                        "umami_initialize", status, numbering=self.numbering, path=self.path,
                        hint=f"param card {card}; check that the card exists and is valid SLHA, "
                             f"or pass param_card= explicitly")
                handle = out[0]
                try:
                    for name, (re, im) in self._parameters.items():
                        self._set_on(handle, name, re, im)
                except BaseException:
                    self._lib.umami_free(handle)
                    raise
                handles.append(handle)
        return handles[index]

    def _check_open(self) -> None:
        if self._resources.closed:
            raise LibraryClosedError(
                f"{self.path} was closed; load it again with pyumami.load() to evaluate")

    # ----------------------------------------------------------- capabilities
    def _read_capabilities(self) -> None:
        queried = self._query_capabilities()
        if queried is not None:
            self.supported_inputs, self.required_inputs, self.supported_outputs = queried
            self.capabilities_source = "queries"
        elif self.device == Device.CPU:
            self._probe_capabilities()
            self.capabilities_source = "probed"
        else:
            # Trial calls on a device library need device memory; without it we
            # assume the ABI's minimum and let the library's status speak.
            self.supported_inputs = frozenset({InputKey.MOMENTA})
            self.required_inputs = frozenset({InputKey.MOMENTA})
            self.supported_outputs = frozenset({OutputKey.MATRIX_ELEMENT})
            self.capabilities_source = "assumed"

    def _query_flags(self, symbol: str, enum_type: type) -> frozenset | None:
        if not self.optional_symbols[symbol]:
            return None
        flags = ffi.new("bool **")
        count = ffi.new("int *")
        status = getattr(self._lib, symbol)(flags, count)
        if status != Status.SUCCESS or flags[0] == ffi.NULL or count[0] < 0:
            return None
        known = {int(k) for k in enum_type}
        # Keys appended by a newer minor version are unknown here: ignored.
        return frozenset(enum_type(i) for i in range(count[0]) if flags[0][i] and i in known)

    def _query_capabilities(self) -> tuple[frozenset, frozenset, frozenset] | None:
        supported = self._query_flags("umami_supported_inputs", InputKey)
        required = self._query_flags("umami_required_inputs", InputKey)
        outputs = self._query_flags("umami_supported_outputs", OutputKey)
        if supported is None or outputs is None:
            return None
        if required is None:
            required = frozenset({InputKey.MOMENTA})
        return supported | required, required, outputs

    def _probe_momenta(self) -> np.ndarray:
        """Finite, momentum-conserving, on-shell momenta for trial calls: two
        beams along z, the final state spread evenly in the transverse plane."""
        npar = self.particle_count
        masses = np.zeros(npar) if self.masses is None else np.asarray(self.masses, dtype=np.float64)
        n_in = min(2, npar)
        n_out = npar - n_in
        sqrt_s = 1000.0 + 2.0 * float(masses.sum())
        p = np.zeros((npar, 4))
        for i in range(n_in):
            energy = sqrt_s / n_in
            pz = math.sqrt(max(energy**2 - masses[i] ** 2, 0.0))
            p[i] = (energy, 0.0, 0.0, pz if i == 0 else -pz)
        for k in range(n_out):
            energy = sqrt_s / n_out
            q = math.sqrt(max(energy**2 - masses[n_in + k] ** 2, 0.0))
            phi = 2.0 * math.pi * k / n_out
            # a single final-state particle takes the whole (zero) momentum sum
            q = q if n_out > 1 else 0.0
            p[n_in + k] = (energy, q * math.cos(phi), q * math.sin(phi), 0.0)
        return np.broadcast_to(p, (_PROBE_EVENTS, npar, 4)).copy()

    def _trial_status(self, inputs: Iterable[InputKey], outputs: Iterable[OutputKey]) -> int:
        n = _PROBE_EVENTS
        values = {InputKey.MOMENTA: self._momenta_buffer.fill(self._probe_momenta())}
        for name, (key, dtype) in INPUT_NAMES.items():
            fill = 0.118 if key == InputKey.ALPHA_S else (0.5 if dtype.kind == "f" else 0)
            values[key] = np.full(n, fill, dtype=dtype)
        in_keys = list(inputs)
        out_keys = list(outputs)
        out_arrays = [np.zeros((max(self.diagram_count or 1, 1), n)) if k == OutputKey.DIAGRAM_AMP2
                      else np.zeros(n, dtype=np.float64) for k in out_keys]
        return self._call(self._instance(0), n, n, 0, in_keys, [values[k] for k in in_keys],
                          out_keys, out_arrays)

    def _probe_capabilities(self) -> None:
        me = [OutputKey.MATRIX_ELEMENT]
        supported = {InputKey.MOMENTA}
        for key in InputKey:
            if key == InputKey.MOMENTA:
                continue
            status = self._trial_status([InputKey.MOMENTA, key], me)
            if status == Status.SUCCESS or status in _MISSING_INPUT_CODES:
                supported.add(key)
        # MOMENTA is required by the ABI and never left out: a sloppy library
        # could dereference the missing pointer.
        required = {InputKey.MOMENTA}
        everything = sorted(supported)
        if self._trial_status(everything, me) == Status.SUCCESS:
            for key in everything:
                if key == InputKey.MOMENTA:
                    continue
                status = self._trial_status([k for k in everything if k != key], me)
                if status in _MISSING_INPUT_CODES:
                    required.add(key)
        # Outputs are probed with the smallest input set that works; if none
        # does, MATRIX_ELEMENT (the ABI's minimum) is assumed and the library's
        # status will speak at evaluation.
        outputs = {OutputKey.MATRIX_ELEMENT}
        base_inputs = sorted(required)
        if self._trial_status(base_inputs, me) != Status.SUCCESS:
            base_inputs = everything
        for key in OutputKey:
            if key in (OutputKey.MATRIX_ELEMENT, OutputKey.GPU_STREAM):
                continue
            if key == OutputKey.DIAGRAM_AMP2 and not self.diagram_count:
                continue
            if self._trial_status(base_inputs, [key]) == Status.SUCCESS:
                outputs.add(key)
        self.supported_inputs = frozenset(supported)
        self.required_inputs = frozenset(required)
        self.supported_outputs = frozenset(outputs)

    # ------------------------------------------------------------------ calls
    def _call(self, handle: Any, count: int, stride: int, offset: int,
              in_keys: Sequence[InputKey], in_arrays: Sequence[Any],
              out_keys: Sequence[OutputKey], out_arrays: Sequence[Any],
              pointer=None) -> int:
        """One umami_matrix_element call; arrays must stay alive until it returns."""
        address = pointer or (lambda a: a.ctypes.data)
        c_in_keys = ffi.new("UmamiInputKey[]", [int(k) for k in in_keys])
        c_inputs = ffi.new("void *[]", [ffi.cast("void *", address(a)) for a in in_arrays])
        c_out_keys = ffi.new("UmamiOutputKey[]", [int(k) for k in out_keys])
        c_outputs = ffi.new("void *[]", [ffi.cast("void *", address(a)) for a in out_arrays])
        return int(self._lib.umami_matrix_element(
            handle, count, stride, offset, len(in_keys), c_in_keys, c_inputs,
            len(out_keys), c_out_keys, c_outputs))

    def _probe_parameters(self) -> bool:
        if not (self.optional_symbols["umami_set_parameter"] and self.optional_symbols["umami_get_parameter"]):
            return False
        re, im = ffi.new("double *"), ffi.new("double *")
        # An unknown name gives an error status from a library that implements
        # parameters, NOT_IMPLEMENTED from one that does not.
        status = self._lib.umami_get_parameter(self._instance(0), b"__pyumami_probe__", re, im)
        return status != Status.ERROR_NOT_IMPLEMENTED

    def _executor(self) -> ThreadPoolExecutor:
        resources = self._resources
        if resources.executor is None:
            resources.executor = ThreadPoolExecutor(max_workers=max(self.threads - 1, 1),
                                                    thread_name_prefix="pyumami")
        return resources.executor

    def _resolve_outputs(self, outputs: str | Sequence[str]) -> list[tuple[str, OutputKey, np.dtype]]:
        names = (outputs,) if isinstance(outputs, str) else tuple(outputs)
        if not names:
            raise UnsupportedOutputError("no outputs requested; ask for at least 'matrix_element'")
        resolved = []
        for name in names:
            if name not in OUTPUT_NAMES:
                raise UnsupportedOutputError(
                    f"unknown output {name!r}; the host knows {', '.join(OUTPUT_NAMES)}")
            key, dtype = OUTPUT_NAMES[name]
            if key not in self.supported_outputs:
                available = ", ".join(_OUTPUT_NAME_OF[k] for k in sorted(self.supported_outputs)
                                      if k in _OUTPUT_NAME_OF)
                raise UnsupportedOutputError(
                    f"{self.path} does not produce output {name!r}; it supports: {available}")
            if key == OutputKey.DIAGRAM_AMP2 and not self.diagram_count:
                raise UnsupportedOutputError(
                    f"{self.path} does not report DIAGRAM_COUNT, so the shape of 'diagram_amp2' is unknown")
            resolved.append((name, key, dtype))
        if len({name for name, _, _ in resolved}) != len(resolved):
            raise UnsupportedOutputError(f"outputs {names} name an output twice; list each once")
        return resolved

    def _check_inputs(self, given: Mapping[str, Any]) -> list[tuple[str, InputKey, np.dtype]]:
        resolved = []
        for name, value in given.items():
            if value is None:
                continue
            key, dtype = INPUT_NAMES[name]
            if key not in self.supported_inputs:
                accepted = ", ".join(_INPUT_NAME_OF[k] for k in sorted(self.supported_inputs))
                raise UnsupportedInputError(
                    f"{self.path} does not accept input {name!r} ({key.name}); it accepts: {accepted}; "
                    f"leave {name}=None")
            resolved.append((name, key, dtype))
        given_keys = {key for _, key, _ in resolved} | {InputKey.MOMENTA}
        missing = sorted(self.required_inputs - given_keys)
        if missing:
            names = ", ".join(f"{_INPUT_NAME_OF[k]}= ({k.name})" for k in missing)
            raise MissingInputError(f"{self.path} requires input(s) {names}; pass them to evaluate()")
        return resolved

    def evaluate(self, momenta: Any, *, alpha_s: Any = None, random_helicity: Any = None,
                 random_color: Any = None, random_diagram: Any = None, flavor: Any = None,
                 helicity: Any = None, diagram: Any = None, channel: Any = None,
                 outputs: str | Sequence[str] = ("matrix_element",)) -> dict[str, Any]:
        """Evaluate a batch of events.

        Args:
            momenta: (n_events, particle_count, 4) float64, (E, px, py, pz) in GeV,
                particles in the library's order (incoming first). NumPy, or
                anything exporting ``__dlpack__`` / ``__array_interface__``; GPU
                arrays (CuPy, PyTorch CUDA) for a CUDA library.
            alpha_s: strong coupling (dimensionless), scalar or per event.
            random_helicity, random_color, random_diagram: numbers in [0, 1) for
                the library's helicity / colour / diagram choice, scalar or per event.
            flavor, helicity, diagram, channel: zero-based indices (flavour
                combination, fixed helicity, fixed diagram, integration channel).
            outputs: names among "matrix_element" (|M|^2, GeV^(4-2n) for 2 -> n),
                "diagram_amp2" (n_events, diagram_count), "helicity_index",
                "color_index", "diagram_index" (int32, zero-based).

        Returns:
            {output name: array in the user layout}; host arrays are NumPy, device
            arrays are of the momenta's array library.
        """
        self._check_open()
        requested = self._resolve_outputs(outputs)
        given = {"alpha_s": alpha_s, "flavor": flavor, "random_color": random_color,
                 "random_helicity": random_helicity, "random_diagram": random_diagram,
                 "helicity": helicity, "diagram": diagram, "channel": channel}
        inputs = self._check_inputs(given)
        kind = memory_kind(momenta)
        if self.device == Device.CPU:
            return self._evaluate_host(momenta, inputs, given, requested)
        expected = MemoryKind.CUDA if self.device == Device.CUDA else MemoryKind.ROCM
        if kind is not expected:
            raise DeviceMismatchError(
                f"{self.path} runs on {self.device.name} and needs momenta in {expected.value} device "
                f"memory, got {kind.value} memory ({type(momenta).__name__}); move them to the device "
                f"(e.g. cupy.asarray(momenta) or torch.as_tensor(momenta, device='cuda')) or load the "
                f"CPU build of the library")
        return self._evaluate_device(momenta, inputs, given, requested)

    def __call__(self, momenta: Any, **inputs: Any) -> Any:
        """|M|^2 of each event (GeV^(4-2n)); keyword inputs as in :meth:`evaluate`."""
        return self.evaluate(momenta, **inputs)["matrix_element"]

    def _evaluate_host(self, momenta: Any, inputs, given, requested) -> dict[str, np.ndarray]:
        # Plain Python numbers carry no precision to lose: converted; arrays of
        # another dtype are refused by check_momenta.
        m = np.asarray(momenta, dtype=np.float64) if isinstance(momenta, (list, tuple)) \
            else host_array(momenta, "momenta")
        check_momenta(m, self.particle_count)
        n = m.shape[0]
        in_arrays = [per_event_input(given[name], n, dtype, name, unit_interval=name in _UNIT_INTERVAL_INPUTS)
                     for name, _, dtype in inputs]
        out_arrays = [np.empty((self.diagram_count, n)) if key == OutputKey.DIAGRAM_AMP2
                      else np.empty(n, dtype=dtype) for _, key, dtype in requested]
        if n > 0:
            with self._call_lock:
                self._check_open()  # a close() may have won the race for the lock
                umami_view = m.transpose(2, 1, 0)
                # Momenta that already are (the transposed view of) a C-ordered
                # UMAMI-layout array are passed as they are: no copy at all.
                in_place = umami_view.flags.c_contiguous
                buffer = umami_view if in_place else self._momenta_buffer.view(n)
                in_keys = [InputKey.MOMENTA] + [key for _, key, _ in inputs]
                out_keys = [key for _, key, _ in requested]
                self._run_split(m, buffer, in_keys, [buffer] + in_arrays, out_keys, out_arrays,
                                convert=not in_place)
        return {name: (np.ascontiguousarray(array.T) if key == OutputKey.DIAGRAM_AMP2 else array)
                for (name, key, _), array in zip(requested, out_arrays)}

    def _run_split(self, momenta: np.ndarray, buffer: np.ndarray, in_keys, in_arrays,
                   out_keys, out_arrays, convert: bool = True) -> None:
        """Evaluate the batch in slices, one per thread and instance. Each thread
        converts its own slice of momenta into the UMAMI layout first (so the
        conversion runs in parallel too) and calls the library only when that
        slice is finite: non-finite momenta never reach a library."""
        n = momenta.shape[0]
        jobs = max(1, min(self.threads, n // MIN_EVENTS_PER_THREAD))
        chunk = -(-n // jobs)
        slices = [(k * chunk, min(chunk, n - k * chunk)) for k in range(jobs) if k * chunk < n]
        handles = [self._instance(k) for k in range(len(slices))]

        def run(k: int) -> int | None:
            offset, count = slices[k]
            if convert:
                finite = self._momenta_buffer.fill_slice(buffer, momenta, offset, offset + count)
            else:
                finite = bool(np.isfinite(buffer[:, :, offset:offset + count]).all())
            if not finite:
                return None
            return self._call(handles[k], count, n, offset, in_keys, in_arrays, out_keys, out_arrays)

        if len(slices) == 1:
            statuses = [run(0)]
        else:
            futures = [self._executor().submit(run, k) for k in range(1, len(slices))]
            statuses = [run(0)] + [f.result() for f in futures]
        if any(status is None for status in statuses):
            raise non_finite_error(momenta)
        for (offset, count), status in zip(slices, statuses):
            if status != Status.SUCCESS:
                self._raise_call_status(status, f"events [{offset}, {offset + count})")

    def _raise_call_status(self, status: int, where: str) -> None:
        hints = {
            int(Status.ERROR_UNSUPPORTED_INPUT): "an input is not accepted by this library",
            int(Status.ERROR_UNSUPPORTED_OUTPUT): "an output is not produced by this library",
        }
        hint = hints.get(int(status), "")
        if status in _MISSING_INPUT_CODES:
            hint = "if the library means MISSING_INPUT, pass its required inputs"
        raise StatusError("umami_matrix_element", status, numbering=self.numbering, path=self.path,
                          hint=(f"{where}; {hint}" if hint else where))

    def _evaluate_device(self, momenta: Any, inputs, given, requested) -> dict[str, Any]:
        # Device arrays stay on the device: the layout conversion runs in the
        # array's own library, and only device addresses reach the ABI.
        import array_api_compat

        xp = array_api_compat.array_namespace(momenta)
        check_momenta(momenta, self.particle_count)
        n = int(momenta.shape[0])
        device = array_api_compat.device(momenta)
        if not bool(xp.all(xp.isfinite(momenta))):
            from .errors import NonFiniteMomentaError
            raise NonFiniteMomentaError(
                "momenta contain NaN or infinite components; remove or repair those events")
        layout = _contiguous(xp, xp.permute_dims(momenta, (2, 1, 0)))
        in_arrays = [layout]
        for name, key, dtype in inputs:
            value = given[name]
            if memory_kind(value) is MemoryKind.HOST:
                value = per_event_input(value, n, dtype, name, unit_interval=name in _UNIT_INTERVAL_INPUTS)
            else:
                value = xp.reshape(value, (-1,))
                if value.shape[0] != n:
                    from .errors import InputLengthError
                    raise InputLengthError(f"{name} must have shape ({n},), got {tuple(value.shape)}")
            in_arrays.append(_contiguous(xp, xp.astype(xp.asarray(value, device=device),
                                                       getattr(xp, dtype.name))))
        out_arrays = [xp.empty((self.diagram_count, n), dtype=xp.float64, device=device)
                      if key == OutputKey.DIAGRAM_AMP2
                      else xp.empty((n,), dtype=getattr(xp, dtype.name), device=device)
                      for _, key, dtype in requested]
        if n > 0:
            with self._call_lock:
                self._check_open()
                status = self._call(self._instance(0), n, n, 0,
                                    [InputKey.MOMENTA] + [key for _, key, _ in inputs], in_arrays,
                                    [key for _, key, _ in requested], out_arrays, pointer=device_pointer)
                _synchronize(momenta)
            if status != Status.SUCCESS:
                self._raise_call_status(status, f"events [0, {n})")
        return {name: (xp.permute_dims(array, (1, 0)) if key == OutputKey.DIAGRAM_AMP2 else array)
                for (name, key, _), array in zip(requested, out_arrays)}

    # ------------------------------------------------------------ parameters
    def _set_on(self, handle: Any, name: str, re: float, im: float) -> None:
        status = self._lib.umami_set_parameter(handle, name.encode(), re, im)
        if status == Status.ERROR_NOT_IMPLEMENTED:
            raise ParameterNotSupportedError(
                f"{self.path} does not implement run-time parameters (umami_set_parameter answers "
                f"NOT_IMPLEMENTED, as MadGraph's CUDACPP libraries do); edit the param card and load again")
        if status != Status.SUCCESS:
            raise StatusError("umami_set_parameter", status, numbering=self.numbering, path=self.path,
                              hint=f"parameter {name!r}; check the name against the param card")

    def _require_parameters(self, symbol: str) -> None:
        if not self.optional_symbols[symbol]:
            raise ParameterNotSupportedError(
                f"{self.path} does not export {symbol}, so model parameters cannot be changed at run "
                f"time; edit the param card and load again")

    def set_parameter(self, name: str, value: complex | float) -> None:
        """Set model parameter ``name`` (param-card name, e.g. "MT" in GeV) on every
        instance, present and future. Complex values set the imaginary part."""
        self._check_open()
        self._require_parameters("umami_set_parameter")
        value = complex(value)
        with self._call_lock, self._instance_lock:
            self._check_open()
            for handle in self._resources.handles:
                self._set_on(handle, name, value.real, value.imag)
            self._parameters[name] = (value.real, value.imag)

    def get_parameter(self, name: str) -> float | complex:
        """Current value of model parameter ``name``: a float, or a complex when
        its imaginary part is non-zero."""
        self._check_open()
        self._require_parameters("umami_get_parameter")
        re, im = ffi.new("double *", 0.0), ffi.new("double *", 0.0)
        with self._call_lock:
            self._check_open()
            status = self._lib.umami_get_parameter(self._instance(0), name.encode(), re, im)
        if status == Status.ERROR_NOT_IMPLEMENTED:
            raise ParameterNotSupportedError(
                f"{self.path} does not implement run-time parameters (umami_get_parameter answers "
                f"NOT_IMPLEMENTED); read the param card instead")
        if status != Status.SUCCESS:
            raise StatusError("umami_get_parameter", status, numbering=self.numbering, path=self.path,
                              hint=f"parameter {name!r}; check the name against the param card")
        return complex(re[0], im[0]) if im[0] != 0.0 else float(re[0])

    # ------------------------------------------------------------- lifecycle
    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran (or the library was collected)."""
        return self._resources.closed

    def close(self) -> None:
        """Free every instance and stop the worker threads. Idempotent; any later
        call raises LibraryClosedError. The shared object stays mapped (another
        object may use it, and unloading C++ libraries is not reliably safe)."""
        self._finalizer()

    def __enter__(self) -> "MatrixElementLibrary":
        self._check_open()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def describe(self) -> dict[str, Any]:
        """A JSON-serialisable summary of what the library is and accepts."""
        return {
            "path": self.path,
            "device": self.device.name,
            "particle_count": self.particle_count,
            "diagram_count": self.diagram_count,
            "helicity_count": self.helicity_count,
            "color_count": self.color_count,
            "masses": None if self.masses is None else list(self.masses),
            "supported_inputs": [k.name for k in sorted(self.supported_inputs)],
            "required_inputs": [k.name for k in sorted(self.required_inputs)],
            "supported_outputs": [k.name for k in sorted(self.supported_outputs)],
            "capabilities_source": self.capabilities_source,
            "numbering": self.numbering,
            "has_parameters": self.has_parameters,
            "optional_symbols": dict(self.optional_symbols),
            "param_card": self.param_card,
            "threads": self.threads,
            "closed": self.closed,
        }

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{self.device.name}, {self.particle_count} particles"
        return f"<MatrixElementLibrary {self.path} ({state})>"


def _contiguous(xp: Any, x: Any) -> Any:
    if hasattr(x, "contiguous"):  # PyTorch
        return x.contiguous()
    module = getattr(xp, "ascontiguousarray", None)
    if module is not None:  # CuPy, NumPy
        return module(x)
    return xp.asarray(x, copy=True)


def _synchronize(x: Any) -> None:
    # The library may run asynchronously on the current stream; results are
    # handed back only once they are there.
    module = type(x).__module__.split(".")[0]
    if module == "cupy":
        import cupy

        cupy.cuda.get_current_stream().synchronize()
    elif module == "torch":
        import torch

        torch.cuda.synchronize()


def load(path: str | os.PathLike[str], param_card: str | os.PathLike[str] | None = None,
         *, threads: int | None = None) -> MatrixElementLibrary:
    """Open the UMAMI library at ``path``.

    Args:
        path: shared object exporting the UMAMI entry points.
        param_card: SLHA param card passed to every ``umami_initialize``; None
            passes NULL (the library's default, where it has one).
        threads: CPU threads (and instances) a batch is split over; default
            ``os.cpu_count()``.

    Raises:
        LibraryLoadError / MissingSymbolError: not a loadable UMAMI library.
        StatusError / InitializationError: metadata or initialisation failed.
    """
    return MatrixElementLibrary(path, param_card, threads=threads)
