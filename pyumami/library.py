"""Open any UMAMI library and evaluate matrix elements on batches of events.

``load(path)`` dlopens a shared object through the cffi declarations derived
from ``umami.h`` (``pyumami.abi.ffi``), checks the mandatory entry points
eagerly, reads the metadata and creates the first instance; what the library
accepts is learnt through ``pyumami.introspection`` (capability queries, or
trial calls made only when an answer is needed). Evaluation converts the momenta
once into the UMAMI layout in a reusable buffer, splits the batch over threads
with stride/offset (one UMAMI instance per thread; cffi releases the GIL during
the call), and returns the outputs in the user's (event-first) layout.
"""

from __future__ import annotations

import math
import numbers
import os
import threading
import warnings
import weakref
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Self

import numpy as np

from . import abi, event_checks, introspection, loader
from .abi import (
    INPUTS,
    OUTPUTS,
    VENDOR_OUTPUTS,
    Device,
    InputKey,
    KeySpec,
    MetaKey,
    OutputKey,
    Shape,
    Status,
    VendorOutputKey,
    ffi,
)
from .arrays import (
    MemoryKind,
    MomentaBuffer,
    check_momenta,
    check_readable,
    host_array,
    memory_kind,
    non_finite_error,
    per_event_input,
)
from .errors import (
    DeviceMismatchError,
    InitializationError,
    InputLengthError,
    InputValueError,
    LibraryClosedError,
    LibraryLoadError,
    MissingInputError,
    MissingSymbolError,
    NonFiniteMomentaError,
    ParameterNotSupportedError,
    StatusError,
    UnsupportedInputError,
    UnsupportedOutputError,
)
from .introspection import Capabilities, CapabilitySource, StatusNumbering
from .warnings import DependencyConflictWarning

__all__ = [
    "INPUT_NAMES",
    "MIN_EVENTS_PER_THREAD",
    "OUTPUT_NAMES",
    "MatrixElementLibrary",
    "load",
]

#: Keyword of ``evaluate`` for each per-event input, with its ABI element type.
INPUT_NAMES: Mapping[str, tuple[InputKey, np.dtype]] = {
    spec.name: (key, np.dtype(spec.dtype))
    for key, spec in INPUTS.items()
    if key != InputKey.MOMENTA
}
# The standard outputs and pyumami's vendor outputs (gradients) together.
_ALL_OUTPUTS = {**OUTPUTS, **VENDOR_OUTPUTS}
#: Output names accepted by ``evaluate(outputs=...)``, with their element types.
OUTPUT_NAMES: Mapping[str, tuple[OutputKey, np.dtype]] = {
    spec.name: (key, np.dtype(spec.dtype))
    for key, spec in _ALL_OUTPUTS.items()
    if spec.dtype is not None
}


#: Output name of d|M|^2/d(parameter) alone: this prefix and the parameter's name.
PARAMETER_DERIVATIVE_PREFIX = "parameter_derivative:"


def _output_spec(key: int) -> KeySpec:
    """The KeySpec of an output key; the keys after PARAMETER_DERIVATIVE (one per
    gradient parameter, umami.h) share its spec."""
    spec = _ALL_OUTPUTS.get(key)
    return spec if spec is not None else VENDOR_OUTPUTS[VendorOutputKey.PARAMETER_DERIVATIVE]


def _user_layout(array: Any, shape: Shape, permute: Any) -> Any:
    """An output array from the UMAMI layout into the user's (event first) layout."""
    if shape is Shape.MOMENTA:
        return permute(array, (2, 1, 0))
    if shape in (Shape.PER_DIAGRAM, Shape.PER_GRADIENT_PARAMETER):
        return permute(array, (1, 0))
    return array


#: Below this many events per thread, fewer threads are used (the call overhead
#: would dominate); results do not depend on the split.
MIN_EVENTS_PER_THREAD = 64

# statuses after which a library without capability queries is probed, so that
# the error names the input or output concerned
_CAPABILITY_STATUSES = frozenset(
    {int(Status.ERROR_UNSUPPORTED_INPUT), int(Status.ERROR_UNSUPPORTED_OUTPUT)}
    | set(abi.MISSING_INPUT_STATUSES)
)


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

    Attributes:
        path: the shared object.
        device: :class:`pyumami.abi.Device` where the library's pointers live.
        particle_count, diagram_count, helicity_count, color_count: ints, or
            None where the library answers that the key is unsupported.
        masses: external masses in GeV (tuple, incoming first), or None.
        supported_inputs, required_inputs: frozensets of InputKey.
        supported_outputs: frozenset of OutputKey.
        capabilities_source: :class:`~pyumami.introspection.CapabilitySource`.
        numbering: :class:`~pyumami.introspection.StatusNumbering` the library
            appears to use; words the errors.
        has_parameters: whether set/get_parameter are implemented.
        optional_symbols: {symbol: present} for the optional entry points.
        threads: number of threads (and instances) a CPU batch is split over.
    """

    device: Device
    particle_count: int
    _metadata: introspection.Metadata

    def __init__(
        self,
        path: str | os.PathLike[str],
        param_card: str | os.PathLike[str] | None = None,
        *,
        threads: int | None = None,
        masses: Sequence[float] | None = None,
        isolate: bool = False,
        check_kinematics: bool = False,
    ) -> None:
        self.path = str(Path(path))
        if threads is not None and (
            isinstance(threads, bool) or not isinstance(threads, numbers.Integral) or threads < 1
        ):
            raise ValueError(f"threads must be a whole number >= 1, got {threads!r}")
        self.threads = int(threads) if threads is not None else (os.cpu_count() or 1)
        self.check_kinematics = bool(check_kinematics)
        self.isolated = bool(isolate)
        self.param_card = None if param_card is None else str(Path(param_card))
        if self.param_card is not None and not Path(self.param_card).is_file():
            raise FileNotFoundError(
                f"param card {self.param_card} does not exist; pass the path of an SLHA param card "
                f"or None for the library's default"
            )
        # The char* must outlive every umami_initialize call (instances are lazy).
        self._card_c = (
            ffi.NULL if self.param_card is None else ffi.new("char[]", os.fsencode(self.param_card))
        )
        opened = self._open(self.isolated)
        lib = opened.lib
        self._last_error = opened.last_error
        symbols = introspection.entry_points(lib)
        for symbol in abi.MANDATORY_SYMBOLS:
            if not symbols[symbol]:
                raise MissingSymbolError(self.path, symbol)
        self.optional_symbols = {symbol: symbols[symbol] for symbol in abi.OPTIONAL_SYMBOLS}
        self._lib = lib
        self._resources = _Resources(lib)
        self._finalizer = weakref.finalize(self, self._resources.release)
        self._call_lock = self._resources.call_lock
        self._instance_lock = threading.Lock()
        self._parameters: dict[str, tuple[float, float]] = {}
        self.numbering = StatusNumbering.UNKNOWN
        self._capabilities: Capabilities | None = None
        self._vendor_outputs: frozenset | None = None
        self._gradient_parameters: tuple[str, ...] | None = None
        self._parameter_derivatives: tuple[str, ...] | None = None
        self._has_parameters: bool | None = None
        self._given_masses: tuple[float, ...] | None = None
        try:
            self._check_metadata(introspection.read_metadata(lib))
            self._momenta_buffer = MomentaBuffer(self.particle_count)
            self._instance(0)
            self._metadata = introspection.reread_uninitialized(lib, self._metadata)
            self._given_masses = None if masses is None else self._check_masses(masses)
            self.numbering = introspection.infer_numbering(symbols, self._metadata)
            self._capabilities = introspection.query_capabilities(lib)
            if self._capabilities is None and self.device != Device.CPU:
                # trial calls on a device library need device memory: assume the
                # ABI's minimum and let the library's status speak
                self._capabilities = introspection.ASSUMED
        except BaseException:
            self._finalizer()
            raise

    def _open(self, isolate: bool) -> loader.OpenedLibrary:
        if not isolate:
            for conflict in loader.dependency_conflicts(self.path):
                warnings.warn(
                    f"{self.path} needs {conflict.name}, found at {conflict.wanted}, but a "
                    f"{conflict.name} is already loaded from {conflict.loaded}: the dynamic "
                    f"loader binds to the loaded one (a dependency without SONAME is matched by "
                    f"file name), so both libraries would share its code and globals; load with "
                    f"isolate=True to give this library its own copy",
                    DependencyConflictWarning,
                    stacklevel=4,
                )
        return loader.open_library(self.path, isolate=isolate)

    # ------------------------------------------------------------------ metadata
    def _check_metadata(self, metadata: introspection.Metadata) -> None:
        self._metadata = metadata
        if metadata.device is None:
            raise StatusError(
                "umami_get_meta(DEVICE)",
                metadata.statuses[MetaKey.DEVICE],
                path=self.path,
                hint="a library must say which device it runs on",
            )
        try:
            self.device = Device(metadata.device)
        except ValueError:
            raise LibraryLoadError(
                f"{self.path} answers DEVICE = {metadata.device}, which this pyumami (UMAMI "
                f"{', '.join(d.name for d in Device)}) does not know; update pyumami"
            ) from None
        if metadata.particle_count is None or metadata.particle_count < 1:
            status = metadata.statuses[MetaKey.PARTICLE_COUNT]
            raise StatusError(
                "umami_get_meta(PARTICLE_COUNT)",
                status if status else Status.ERROR,
                path=self.path,
                hint="a library must report its number of external particles",
            )
        self.particle_count = metadata.particle_count

    @property
    def diagram_count(self) -> int | None:
        return self._metadata.diagram_count

    @property
    def helicity_count(self) -> int | None:
        return self._metadata.helicity_count

    @property
    def color_count(self) -> int | None:
        return self._metadata.color_count

    def _check_masses(self, masses: Sequence[float]) -> tuple[float, ...]:
        given = tuple(float(m) for m in masses)
        if len(given) != self.particle_count or not all(math.isfinite(m) and m >= 0 for m in given):
            raise ValueError(
                f"masses must be {self.particle_count} finite values >= 0 in GeV (one per external "
                f"particle, incoming first), got {masses!r}"
            )
        answered = self._metadata.masses
        if answered is not None and not np.allclose(answered, given, rtol=1e-12, atol=0.0):
            warnings.warn(
                f"masses={list(given)} differ from the library's MASSES {list(answered)}; "
                f"using masses=",
                UserWarning,
                stacklevel=4,
            )
        return given

    @property
    def masses(self) -> tuple[float, ...] | None:
        """External masses in GeV, incoming first: those given to :func:`load`, else
        the library's MASSES asked now (so they follow the last card read and
        ``set_parameter`` where the library's answer does), else None."""
        if self._given_masses is not None:
            return self._given_masses
        answer = introspection.read_masses(self._lib, self.particle_count)
        return answer.value if answer.ok else None

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
                        "umami_initialize",
                        status,
                        numbering=self.numbering,
                        path=self.path,
                        detail=self._last_error(),
                        hint=f"param card {card}; check that the card exists and is valid SLHA, "
                        f"or pass param_card= explicitly",
                    )
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
                f"{self.path} was closed; load it again with pyumami.load() to evaluate"
            )

    # ----------------------------------------------------------- capabilities
    @property
    def capabilities(self) -> Capabilities:
        """What the library accepts and produces; learnt by trial calls on first
        use for a CPU library without capability queries."""
        if self._capabilities is None:
            self._check_open()
            with self._call_lock:
                if self._capabilities is None:
                    trial = introspection.TrialCaller(
                        self._lib,
                        self._instance(0),
                        introspection.trial_momenta(self.masses, self.particle_count),
                        ndiag=self.diagram_count,
                    )
                    self._capabilities = introspection.probe_capabilities(trial, self.diagram_count)
        return self._capabilities

    @property
    def supported_inputs(self) -> frozenset[InputKey]:
        return self.capabilities.supported_inputs

    @property
    def required_inputs(self) -> frozenset[InputKey]:
        return self.capabilities.required_inputs

    @property
    def supported_outputs(self) -> frozenset[OutputKey]:
        return self.capabilities.supported_outputs

    @property
    def vendor_outputs(self) -> frozenset:
        """pyumami's vendor outputs (gradients, umami.h) the library advertises."""
        if self._vendor_outputs is None:
            self._vendor_outputs = introspection.vendor_outputs(self._lib)
        return self._vendor_outputs

    @property
    def offers_momentum_gradient(self) -> bool:
        """Whether the library computes d|M|^2/dp itself (output "momentum_gradient")."""
        return abi.VendorOutputKey.MOMENTUM_GRADIENT in self.vendor_outputs

    @property
    def gradient_parameters(self) -> tuple[str, ...]:
        """Model parameters (param-card names) of the library's "parameter_gradient"
        output, in its column order; () when the library differentiates none."""
        if abi.VendorOutputKey.PARAMETER_GRADIENT not in self.vendor_outputs:
            return ()
        if self._gradient_parameters is None:
            self._gradient_parameters = introspection.read_gradient_parameters(self._lib)
        return self._gradient_parameters

    @property
    def parameter_derivatives(self) -> tuple[str, ...]:
        """Gradient parameters whose derivative the library computes on its own
        (output ``"parameter_derivative:<name>"``, one dual direction per parameter
        asked instead of all of them), in the library's order."""
        if self._parameter_derivatives is None:
            self._parameter_derivatives = introspection.parameter_derivatives(
                self._lib, self.gradient_parameters
            )
        return self._parameter_derivatives

    def _layout(self, key: Any, n: int) -> tuple[int, ...]:
        return _output_spec(key).layout(
            self.particle_count, self.diagram_count, n, nparam=len(self.gradient_parameters)
        )

    def gradient(
        self, momenta: Any, wrt: str | Sequence[str] = ("momenta",), **inputs: Any
    ) -> dict[str, Any]:
        """|M|^2 and its gradients: see :func:`pyumami.gradients.gradient`.

        ``wrt`` names "momenta" and/or model parameters (e.g. "MT"); returns
        {"matrix_element": (n,), "momenta": (n, npar, 4), name: (n,) per parameter}.
        """
        from .gradients import gradient

        return gradient(self, momenta, wrt, **inputs)

    @property
    def capabilities_source(self) -> CapabilitySource:
        return self.capabilities.source

    # ------------------------------------------------------------------ calls
    def _call(
        self,
        handle: Any,
        count: int,
        stride: int,
        offset: int,
        in_keys: Sequence[InputKey],
        in_arrays: Sequence[Any],
        out_keys: Sequence[OutputKey],
        out_arrays: Sequence[Any],
        pointer: Any = None,
    ) -> int:
        """One umami_matrix_element call; arrays must stay alive until it returns."""
        address = pointer or (lambda a: a.ctypes.data)
        return introspection.call_matrix_element(
            self._lib,
            handle,
            count,
            stride,
            offset,
            {k: address(a) for k, a in zip(in_keys, in_arrays, strict=True)},
            {k: address(a) for k, a in zip(out_keys, out_arrays, strict=True)},
        )

    def _executor(self) -> ThreadPoolExecutor:
        resources = self._resources
        if resources.executor is None:
            resources.executor = ThreadPoolExecutor(
                max_workers=max(self.threads - 1, 1), thread_name_prefix="pyumami"
            )
        return resources.executor

    def _resolve_outputs(
        self, outputs: str | Sequence[str]
    ) -> list[tuple[str, OutputKey, np.dtype]]:
        names = (outputs,) if isinstance(outputs, str) else tuple(outputs)
        if not names:
            raise UnsupportedOutputError("no outputs requested; ask for at least 'matrix_element'")
        resolved = []
        for name in names:
            if name.startswith(PARAMETER_DERIVATIVE_PREFIX):
                resolved.append(self._resolve_derivative(name))
                continue
            if name not in OUTPUT_NAMES:
                raise UnsupportedOutputError(
                    f"unknown output {name!r}; the host knows {', '.join(OUTPUT_NAMES)}"
                )
            key, dtype = OUTPUT_NAMES[name]
            if key == OutputKey.DIAGRAM_AMP2 and not self.diagram_count:
                raise UnsupportedOutputError(
                    f"{self.path} does not report DIAGRAM_COUNT, so the shape of 'diagram_amp2' is "
                    f"unknown"
                )
            resolved.append((name, key, dtype))
        if len({name for name, _, _ in resolved}) != len(resolved):
            raise UnsupportedOutputError(f"outputs {names} name an output twice; list each once")
        if self._capabilities is not None:
            self._check_outputs(resolved)
        return resolved

    def _resolve_derivative(self, name: str) -> tuple[str, Any, np.dtype]:
        parameter = name[len(PARAMETER_DERIVATIVE_PREFIX) :]
        if parameter not in self.parameter_derivatives:
            raise UnsupportedOutputError(
                f"{self.path} does not produce output {name!r}: it differentiates "
                f"{', '.join(self.parameter_derivatives) or 'no parameter'} one at a time"
            )
        key = int(VendorOutputKey.PARAMETER_DERIVATIVE) + self.gradient_parameters.index(parameter)
        return name, key, np.dtype(np.float64)

    def _check_outputs(self, resolved: Sequence[tuple[str, OutputKey, np.dtype]]) -> None:
        for name, key, _ in resolved:
            if name.startswith(PARAMETER_DERIVATIVE_PREFIX):
                continue  # checked against the advertised keys when resolved
            if key not in self.supported_outputs and key not in self.vendor_outputs:
                available = ", ".join(
                    [OUTPUTS[k].name for k in sorted(self.supported_outputs) if k in OUTPUTS]
                    + [VENDOR_OUTPUTS[k].name for k in sorted(self.vendor_outputs)]
                )
                raise UnsupportedOutputError(
                    f"{self.path} does not produce output {name!r}; it supports: {available}"
                )

    def _resolve_inputs(self, given: Mapping[str, Any]) -> list[tuple[str, InputKey, np.dtype]]:
        resolved = [
            (name, *INPUT_NAMES[name]) for name, value in given.items() if value is not None
        ]
        if self._capabilities is not None:
            self._check_inputs(resolved)
        return resolved

    def _check_inputs(self, resolved: Sequence[tuple[str, InputKey, np.dtype]]) -> None:
        for name, key, _ in resolved:
            if key not in self.supported_inputs:
                accepted = ", ".join(INPUTS[k].name for k in sorted(self.supported_inputs))
                raise UnsupportedInputError(
                    f"{self.path} does not accept input {name!r} ({key.name}); it accepts: "
                    f"{accepted}; leave {name}=None"
                )
        given_keys = {key for _, key, _ in resolved} | {InputKey.MOMENTA}
        missing = sorted(self.required_inputs - given_keys)
        if missing:
            names = ", ".join(f"{INPUTS[k].name}= ({k.name})" for k in missing)
            raise MissingInputError(
                f"{self.path} requires input(s) {names}; pass them to evaluate()"
            )

    def evaluate(
        self,
        momenta: Any,
        *,
        alpha_s: Any = None,
        random_helicity: Any = None,
        random_color: Any = None,
        random_diagram: Any = None,
        flavor: Any = None,
        helicity: Any = None,
        diagram: Any = None,
        channel: Any = None,
        outputs: str | Sequence[str] = ("matrix_element",),
    ) -> dict[str, Any]:
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
        given = {
            "alpha_s": alpha_s,
            "flavor": flavor,
            "random_color": random_color,
            "random_helicity": random_helicity,
            "random_diagram": random_diagram,
            "helicity": helicity,
            "diagram": diagram,
            "channel": channel,
        }
        inputs = self._resolve_inputs(given)
        if self.device == Device.CPU:
            results = self._evaluate_host(momenta, inputs, given, requested)
            event_checks.check_outputs(results)
            return results
        expected = MemoryKind.CUDA if self.device == Device.CUDA else MemoryKind.ROCM
        kind = memory_kind(momenta)
        if kind is not expected:
            raise DeviceMismatchError(
                f"{self.path} runs on {self.device.name} and needs momenta in {expected.value} "
                f"device memory, got {kind.value} memory ({type(momenta).__name__}); move them to "
                f"the device (e.g. cupy.asarray(momenta) or torch.as_tensor(momenta, "
                f"device='cuda')) or load the CPU build of the library"
            )
        results = self._evaluate_device(momenta, inputs, given, requested)
        event_checks.check_outputs(results)
        return results

    def __call__(self, momenta: Any, **inputs: Any) -> Any:
        """|M|^2 of each event (GeV^(4-2n)); keyword inputs as in :meth:`evaluate`."""
        return self.evaluate(momenta, **inputs)["matrix_element"]

    def _evaluate_host(self, momenta: Any, inputs, given, requested) -> dict[str, np.ndarray]:
        # Plain Python numbers carry no precision to lose: converted; arrays of
        # another dtype are refused by check_momenta.
        m = (
            np.asarray(momenta, dtype=np.float64)
            if isinstance(momenta, (list, tuple))
            else host_array(momenta, "momenta")
        )
        check_momenta(m, self.particle_count, source=momenta)
        if self.check_kinematics:
            event_checks.check_kinematics(m, self.masses)
        n = m.shape[0]
        in_arrays = [
            self._per_event(given[name], n, dtype, name, key) for name, key, dtype in inputs
        ]
        out_arrays = [np.empty(self._layout(key, n), dtype=dtype) for _, key, dtype in requested]
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
                status, where, detail = self._run_split(
                    m,
                    buffer,
                    in_keys,
                    [buffer] + in_arrays,
                    out_keys,
                    out_arrays,
                    convert=not in_place,
                )
            if status != Status.SUCCESS:
                self._raise_call_status(status, where, inputs, requested, detail)
        return {
            name: np.ascontiguousarray(_user_layout(array, _output_spec(key).shape, np.transpose))
            for (name, key, _), array in zip(requested, out_arrays, strict=True)
        }

    @staticmethod
    def _per_event(value: Any, n: int, dtype: np.dtype, name: str, key: InputKey) -> np.ndarray:
        return per_event_input(
            value,
            n,
            dtype,
            name,
            unit_interval=INPUTS[key].unit_interval,
            non_negative=key == InputKey.ALPHA_S,
        )

    def _run_split(
        self,
        momenta: np.ndarray,
        buffer: np.ndarray,
        in_keys,
        in_arrays,
        out_keys,
        out_arrays,
        convert: bool = True,
    ) -> tuple[int, str, str | None]:
        """Evaluate the batch in slices, one per thread and instance. Each thread
        converts its own slice of momenta into the UMAMI layout first (so the
        conversion runs in parallel too) and calls the library only when that
        slice is finite: non-finite momenta never reach a library. Returns the
        first non-zero status, the events it concerns and the library's message on the
        cause (SUCCESS, "", None otherwise)."""
        n = momenta.shape[0]
        jobs = max(1, min(self.threads, n // MIN_EVENTS_PER_THREAD))
        chunk = -(-n // jobs)
        slices = [(k * chunk, min(chunk, n - k * chunk)) for k in range(jobs) if k * chunk < n]
        handles = [self._instance(k) for k in range(len(slices))]

        def run(k: int) -> tuple[int, str | None] | None:
            offset, count = slices[k]
            if convert:
                finite = self._momenta_buffer.fill_slice(buffer, momenta, offset, offset + count)
            else:
                finite = bool(np.isfinite(buffer[:, :, offset : offset + count]).all())
            if not finite:
                return None
            status = self._call(
                handles[k], count, n, offset, in_keys, in_arrays, out_keys, out_arrays
            )
            # the library's message is per thread: read it on the thread that failed
            return status, (None if status == Status.SUCCESS else self._last_error())

        if len(slices) == 1:
            statuses = [run(0)]
        else:
            futures = [self._executor().submit(run, k) for k in range(1, len(slices))]
            statuses = [run(0)] + [f.result() for f in futures]
        if any(status is None for status in statuses):
            raise non_finite_error(momenta)
        for (offset, count), result in zip(slices, statuses, strict=True):
            assert result is not None
            if result[0] != Status.SUCCESS:
                return result[0], f"events [{offset}, {offset + count})", result[1]
        return int(Status.SUCCESS), "", None

    def _raise_call_status(
        self, status: int, where: str, inputs=(), requested=(), detail: str | None = None
    ) -> None:
        if status in _CAPABILITY_STATUSES and self.capabilities.source is CapabilitySource.PROBED:
            # the library was called before its capabilities were needed; now they
            # are, and they name the input or output concerned
            self._check_inputs(inputs)
            self._check_outputs(requested)
        hints = {
            int(Status.ERROR_UNSUPPORTED_INPUT): "an input is not accepted by this library",
            int(Status.ERROR_UNSUPPORTED_OUTPUT): "an output is not produced by this library",
        }
        hint = hints.get(int(status), "")
        if status in abi.MISSING_INPUT_STATUSES:
            hint = "if the library means MISSING_INPUT, pass its required inputs"
        raise StatusError(
            "umami_matrix_element",
            status,
            numbering=self.numbering,
            path=self.path,
            hint=(f"{where}; {hint}" if hint else where),
            detail=detail,
        )

    def _evaluate_device(self, momenta: Any, inputs, given, requested) -> dict[str, Any]:
        # Device arrays stay on the device: the layout conversion runs in the
        # array's own library, and only device addresses reach the ABI.
        import array_api_compat

        from . import gpu

        check_readable(momenta, "momenta")
        xp = array_api_compat.array_namespace(momenta)
        check_momenta(momenta, self.particle_count)
        n = int(momenta.shape[0])
        device = array_api_compat.device(momenta)
        if not bool(xp.all(xp.isfinite(momenta))):
            raise NonFiniteMomentaError(
                "momenta contain NaN or infinite components; remove or repair those events"
            )
        if self.check_kinematics:
            event_checks.check_kinematics(momenta, self.masses)
        layout = gpu.contiguous(xp, xp.permute_dims(momenta, (2, 1, 0)))
        in_arrays = [layout]
        for name, key, dtype in inputs:
            value = given[name]
            if memory_kind(value) is MemoryKind.HOST:
                value = self._per_event(value, n, dtype, name, key)
            else:
                value = xp.reshape(value, (-1,))
                if value.shape[0] != n:
                    raise InputLengthError(
                        f"{name} must have shape ({n},), got {tuple(value.shape)}"
                    )
            in_arrays.append(
                gpu.contiguous(
                    xp, xp.astype(xp.asarray(value, device=device), getattr(xp, dtype.name))
                )
            )
        out_arrays = [
            xp.empty(
                self._layout(key, n),
                dtype=getattr(xp, dtype.name),
                device=device,
            )
            for _, key, dtype in requested
        ]
        if n > 0:
            plan = gpu.plan_stream(momenta, OutputKey.GPU_STREAM in self.supported_outputs)
            out_keys = [key for _, key, _ in requested]
            stream_slot: list[Any] = []
            if plan.handle is not None:
                # GPU_STREAM is passed in the outputs array as the handle itself
                out_keys.append(OutputKey.GPU_STREAM)
                stream_slot.append(gpu.StreamHandle(plan.handle))
            with self._call_lock:
                self._check_open()
                plan.before()
                status = self._call(
                    self._instance(0),
                    n,
                    n,
                    0,
                    [InputKey.MOMENTA] + [key for _, key, _ in inputs],
                    in_arrays,
                    out_keys,
                    out_arrays + stream_slot,
                    pointer=gpu.device_pointer,
                )
                detail = None if status == Status.SUCCESS else self._last_error()
                plan.after()
            if status != Status.SUCCESS:
                self._raise_call_status(status, f"events [0, {n})", inputs, requested, detail)
        return {
            name: _user_layout(array, _output_spec(key).shape, xp.permute_dims)
            for (name, key, _), array in zip(requested, out_arrays, strict=True)
        }

    # ------------------------------------------------------------ parameters
    def _set_on(self, handle: Any, name: str, re: float, im: float) -> None:
        status = self._lib.umami_set_parameter(handle, name.encode(), re, im)
        if status == Status.ERROR_NOT_IMPLEMENTED:
            raise ParameterNotSupportedError(
                f"{self.path} does not implement run-time parameters (umami_set_parameter answers "
                f"NOT_IMPLEMENTED, as MadGraph's CUDACPP libraries do); edit the param card and "
                f"load again"
            )
        if status != Status.SUCCESS:
            detail = self._last_error()
            probe = ffi.new("double *")
            known = (
                self.optional_symbols["umami_get_parameter"]
                and self._lib.umami_get_parameter(handle, name.encode(), probe, ffi.NULL)
                == Status.SUCCESS
            )
            hint = (
                f"the name {name!r} is known (get_parameter reads {probe[0]!r}): the value "
                f"{complex(re, im) if im else re!r} was refused"
                if known
                else f"parameter {name!r}; check the name against the param card"
            )
            raise StatusError(
                "umami_set_parameter",
                status,
                numbering=self.numbering,
                path=self.path,
                hint=hint,
                detail=detail,
            )

    def _require_parameters(self, symbol: str) -> None:
        if not self.optional_symbols[symbol]:
            raise ParameterNotSupportedError(
                f"{self.path} does not export {symbol}, so model parameters cannot be changed at "
                f"run time; edit the param card and load again"
            )

    @property
    def has_parameters(self) -> bool:
        """Whether set/get_parameter are exported and implemented: an unknown name
        gives an error status from a library that implements parameters,
        NOT_IMPLEMENTED from one that does not."""
        if self._has_parameters is None:
            if not (
                self.optional_symbols["umami_set_parameter"]
                and self.optional_symbols["umami_get_parameter"]
            ):
                self._has_parameters = False
            else:
                self._check_open()
                re, im = ffi.new("double *"), ffi.new("double *")
                status = self._lib.umami_get_parameter(
                    self._instance(0), b"__pyumami_probe__", re, im
                )
                self._has_parameters = status != Status.ERROR_NOT_IMPLEMENTED
        return self._has_parameters

    def set_parameter(self, name: str, value: complex) -> None:
        """Set model parameter ``name`` (param-card name, e.g. "MT" in GeV) on every
        instance, present and future. Complex values set the imaginary part."""
        self._check_open()
        self._require_parameters("umami_set_parameter")
        value = complex(value)
        if not (math.isfinite(value.real) and math.isfinite(value.imag)):
            raise InputValueError(
                f"set_parameter({name!r}, {value!r}): the value must be finite; the name is not "
                f"the problem"
            )
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
            detail = None if status == Status.SUCCESS else self._last_error()
        if status == Status.ERROR_NOT_IMPLEMENTED:
            raise ParameterNotSupportedError(
                f"{self.path} does not implement run-time parameters (umami_get_parameter answers "
                f"NOT_IMPLEMENTED); read the param card instead"
            )
        if status != Status.SUCCESS:
            raise StatusError(
                "umami_get_parameter",
                status,
                numbering=self.numbering,
                path=self.path,
                hint=f"parameter {name!r}; check the name against the param card",
                detail=detail,
            )
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

    def __enter__(self) -> Self:
        self._check_open()
        return self

    def __exit__(self, *exc_info: object) -> None:
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
            "capabilities_source": str(self.capabilities_source),
            "numbering": str(self.numbering),
            "has_parameters": self.has_parameters,
            "optional_symbols": dict(self.optional_symbols),
            "param_card": self.param_card,
            "isolated": self.isolated,
            "threads": self.threads,
            "closed": self.closed,
        }

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{self.device.name}, {self.particle_count} particles"
        return f"<MatrixElementLibrary {self.path} ({state})>"


def load(
    path: str | os.PathLike[str],
    param_card: str | os.PathLike[str] | None = None,
    *,
    threads: int | None = None,
    masses: Sequence[float] | None = None,
    isolate: bool = False,
    check_kinematics: bool = False,
) -> MatrixElementLibrary:
    """Open the UMAMI library at ``path``.

    Args:
        path: shared object exporting the UMAMI entry points.
        param_card: SLHA param card passed to every ``umami_initialize``; None
            passes NULL (the library's default, where it has one).
        threads: CPU threads (and instances) a batch is split over; default
            ``os.cpu_count()``.
        masses: external masses in GeV, incoming first, for a library that does not
            answer MASSES (MadGraph's CUDACPP); they then are ``lib.masses``.
        isolate: open the library in a link-map namespace of its own (glibc
            ``dlmopen``), with its own copies of its dependencies and globals.
        check_kinematics: check every batch for all-zero momenta, negative
            energies and momentum non-conservation (KinematicsError) and for
            momenta off ``masses`` (KinematicsWarning).

    Raises:
        LibraryLoadError / MissingSymbolError: not a loadable UMAMI library.
        StatusError / InitializationError: metadata or initialisation failed.
    """
    return MatrixElementLibrary(
        path,
        param_card,
        threads=threads,
        masses=masses,
        isolate=isolate,
        check_kinematics=check_kinematics,
    )
