"""Behaviour of the reference UMAMI libraries (ref_me) through the raw C ABI.

Covers metadata, capability queries, error statuses, the param card and
set/get_parameter, stride/offset with canaries, count 0, NaN momenta, instance
independence, DIAGRAM_AMP2 and the selected indices, and analytic cross-checks:
e+ e- -> mu+ mu- (photon + Z) and g g -> t t~ (on-shell tops, WT = 0) against
their closed-form LO |M|^2 built from the sm couplings.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import cffi
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ref_me
from pyumami.abi import InputKey, MetaKey, OutputKey, Status, VendorOutputKey, ffi

CANARY = -12345.678
INT_CANARY = -777
EXPECTED_META = {  # process: (particles, diagrams, helicities, colours, masses)
    "ee_mumu": (4, 2, 16, 1, [0.0, 0.0, 0.0, 0.0]),
    "gg_ttx": (4, 3, 16, 2, [0.0, 0.0, 173.0, 173.0]),
}
INT_OUTPUTS = {OutputKey.COLOR_INDEX, OutputKey.HELICITY_INDEX, OutputKey.DIAGRAM_INDEX}
INT_INPUTS = {InputKey.FLAVOR_INDEX}

_ext_ffi = cffi.FFI()
_ext_ffi.cdef("const char* refme_last_error(void);")


class RawLibrary:
    """Thin wrapper over one library for these tests: returns statuses, never raises."""

    def __init__(self, path: Path):
        self.path = path
        self.lib = ffi.dlopen(str(path))
        self._ext = _ext_ffi.dlopen(str(path))
        self._handles: list = []

    def meta_int(self, key: int) -> tuple[int, int]:
        out = ffi.new("int*", -1)
        return self.lib.umami_get_meta(key, out), out[0]

    def masses(self) -> tuple[int, np.ndarray]:
        out = np.full(self.meta_int(MetaKey.PARTICLE_COUNT)[1], np.nan)
        return self.lib.umami_get_meta(MetaKey.MASSES, ffi.from_buffer("double[]", out)), out

    def last_error(self) -> str:
        return ffi.string(self._ext.refme_last_error()).decode()

    def initialize(self, card: str | Path | None = None):
        """(status, handle); handle is None when the status is not SUCCESS."""
        handle = ffi.new("UmamiHandle*", ffi.cast("void*", 1))  # non-NULL: must be reset
        path = ffi.NULL if card is None else str(card).encode()
        status = self.lib.umami_initialize(handle, path)
        if status != Status.SUCCESS:
            assert handle[0] == ffi.NULL, "a failed initialize must leave the handle NULL"
            return status, None
        self._handles.append(handle[0])
        return status, handle[0]

    def close(self) -> None:
        for h in self._handles:
            assert self.lib.umami_free(h) == Status.SUCCESS
        self._handles.clear()

    def set(self, handle, name: str, value: float, imag: float = 0.0) -> int:
        return self.lib.umami_set_parameter(handle, name.encode(), value, imag)

    def get(self, handle, name: str, imag: bool = True) -> tuple[int, float]:
        re = ffi.new("double*", np.nan)
        im = ffi.new("double*", np.nan) if imag else ffi.NULL
        status = self.lib.umami_get_parameter(handle, name.encode(), re, im)
        if imag and status == Status.SUCCESS:
            assert im[0] == 0.0
        return status, re[0]

    def call(self, handle, count, stride, offset, inputs: dict, outputs: dict) -> int:
        """Raw umami_matrix_element with caller-prepared buffers (values may be None -> NULL)."""

        def pointer(array):
            return ffi.NULL if array is None else ffi.cast("void*", ffi.from_buffer(array))

        in_keys = list(inputs)
        out_keys = list(outputs)
        return self.lib.umami_matrix_element(
            handle,
            count,
            stride,
            offset,
            len(in_keys),
            ffi.new("UmamiInputKey[]", [int(k) for k in in_keys]),
            ffi.new("void*[]", [pointer(inputs[k]) for k in in_keys]),
            len(out_keys),
            ffi.new("UmamiOutputKey[]", [int(k) for k in out_keys]),
            ffi.new("void*[]", [pointer(outputs[k]) for k in out_keys]),
        )

    def evaluate(
        self,
        handle,
        momenta: np.ndarray,
        inputs: dict | None = None,
        outputs=(OutputKey.MATRIX_ELEMENT,),
    ) -> dict:
        """Contiguous batch (stride = n, offset 0); outputs event-first."""
        n = momenta.shape[0]
        ndiag = self.meta_int(MetaKey.DIAGRAM_COUNT)[1]
        ins = {InputKey.MOMENTA: umami_layout(momenta, n, 0)}
        for key, value in (inputs or {}).items():
            dtype = np.int32 if key in INT_INPUTS else np.float64
            ins[key] = np.ascontiguousarray(np.broadcast_to(value, (n,)), dtype=dtype)
        outs = {key: new_output(key, n, ndiag) for key in outputs}
        status = self.call(handle, n, n, 0, ins, outs)
        assert status == Status.SUCCESS, f"status {status}: {self.last_error()}"
        return {
            key: (value.T if key == OutputKey.DIAGRAM_AMP2 else value)
            for key, value in outs.items()
        }


def umami_layout(momenta: np.ndarray, stride: int, offset: int) -> np.ndarray:
    """(n, npar, 4) GeV -> UMAMI column-major buffer [component][particle][stride], canary-filled."""
    n, npar, _ = momenta.shape
    buf = np.full((4, npar, stride), CANARY)
    buf[:, :, offset : offset + n] = momenta.transpose(2, 1, 0)
    return buf


def new_output(key: int, stride: int, ndiag: int) -> np.ndarray:
    if key == OutputKey.DIAGRAM_AMP2:
        return np.full((ndiag, stride), CANARY)
    if key in INT_OUTPUTS:
        return np.full(stride, INT_CANARY, dtype=np.int32)
    return np.full(stride, CANARY)


def two_to_two(sqrt_s, m3, m4, cos_theta, phi) -> np.ndarray:
    """Massless beams along +-z, final state (m3, m4) at angle (theta, phi); (n, 4, 4) GeV."""
    sqrt_s, cos_theta, phi = np.broadcast_arrays(
        np.asarray(sqrt_s, float), np.asarray(cos_theta, float), np.asarray(phi, float)
    )
    s = sqrt_s**2
    e_beam = sqrt_s / 2
    k = np.sqrt((s - (m3 + m4) ** 2) * (s - (m3 - m4) ** 2)) / (2 * sqrt_s)
    sin_theta = np.sqrt(1 - cos_theta**2)
    kvec = np.stack([k * sin_theta * np.cos(phi), k * sin_theta * np.sin(phi), k * cos_theta], -1)
    p = np.zeros(sqrt_s.shape + (4, 4))
    p[..., 0, :] = np.stack([e_beam, 0 * e_beam, 0 * e_beam, e_beam], -1)
    p[..., 1, :] = np.stack([e_beam, 0 * e_beam, 0 * e_beam, -e_beam], -1)
    p[..., 2, 0] = np.sqrt(k**2 + m3**2)
    p[..., 2, 1:] = kvec
    p[..., 3, 0] = np.sqrt(k**2 + m4**2)
    p[..., 3, 1:] = -kvec
    return p.reshape(-1, 4, 4)


def sm_derived(aewm1=132.507, gf=1.16639e-5, mz=91.188) -> dict:
    """MadGraph sm-model derived parameters (Python twin of the C++ formulas)."""
    aew = 1 / aewm1
    mw = math.sqrt(mz**2 / 2 + math.sqrt(mz**4 / 4 - aew * math.pi * mz**2 / (gf * math.sqrt(2))))
    ee = 2 * math.sqrt(aew) * math.sqrt(math.pi)
    sw2 = 1 - mw**2 / mz**2
    return {"MW": mw, "ee": ee, "sw2": sw2, "sw": math.sqrt(sw2), "cw": math.sqrt(1 - sw2)}


@pytest.fixture(scope="module", params=sorted(EXPECTED_META))
def process(request) -> str:
    return request.param


@pytest.fixture
def library(process):
    try:
        lib = RawLibrary(ref_me.library_path(process))
    except FileNotFoundError as exc:
        pytest.fail(str(exc))
    yield lib
    lib.close()


@pytest.fixture(scope="module")
def gg_ttx():
    lib = RawLibrary(ref_me.library_path("gg_ttx"))
    yield lib
    lib.close()


@pytest.fixture(scope="module")
def ee_mumu():
    lib = RawLibrary(ref_me.library_path("ee_mumu"))
    yield lib
    lib.close()


def generic_momenta(process: str, n: int = 5, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mass = 173.0 if process == "gg_ttx" else 0.0
    return two_to_two(
        rng.uniform(400, 2000, n),
        mass,
        mass,
        rng.uniform(-0.95, 0.95, n),
        rng.uniform(0, 2 * np.pi, n),
    )


# --- metadata and capabilities ---------------------------------------------------


def test_metadata_before_initialize(library, process):
    particles, diagrams, helicities, colours, masses = EXPECTED_META[process]
    assert library.meta_int(MetaKey.DEVICE) == (Status.SUCCESS, 0)
    assert library.meta_int(MetaKey.PARTICLE_COUNT) == (Status.SUCCESS, particles)
    assert library.meta_int(MetaKey.DIAGRAM_COUNT) == (Status.SUCCESS, diagrams)
    assert library.meta_int(MetaKey.HELICITY_COUNT) == (Status.SUCCESS, helicities)
    assert library.meta_int(MetaKey.COLOR_COUNT) == (Status.SUCCESS, colours)


_MASSES_SCRIPT = """
import json, sys, numpy as np
from pyumami.abi import MetaKey, ffi
lib = ffi.dlopen(sys.argv[1])
def masses():
    out = np.full(4, np.nan)
    status = lib.umami_get_meta(MetaKey.MASSES, ffi.from_buffer("double[]", out))
    return [int(status), *out.tolist()]
handle = ffi.new("UmamiHandle*")
rows = [masses()]
lib.umami_initialize(handle, ffi.NULL)
rows.append(masses())
lib.umami_initialize(handle, sys.argv[2].encode())
rows.append(masses())
lib.umami_set_parameter(handle[0], b"MT", 180.0, 0.0)
rows.append(masses())
print(json.dumps(rows))
"""


def test_masses_describe_the_last_card_read(process, tmp_path):
    # A fresh process: MASSES is library-wide state that other tests here have set.
    card = tmp_path / "mt175.dat"
    card.write_text(
        ref_me.default_param_card().read_text().replace("1.730000e+02 # MT", "1.750000e+02 # MT")
    )
    result = subprocess.run(
        [sys.executable, "-c", _MASSES_SCRIPT, str(ref_me.library_path(process)), str(card)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
    )
    before, default, mt175, mt180 = json.loads(result.stdout)
    assert before[0] == Status.ERROR_UNINITIALIZED_META
    assert all(math.isnan(m) for m in before[1:]), "nothing written before a card is read"
    top = process == "gg_ttx"
    for row, mt in ((default, 173.0), (mt175, 175.0), (mt180, 180.0)):
        assert row[0] == Status.SUCCESS
        assert row[1:] == [0.0, 0.0, mt if top else 0.0, mt if top else 0.0]


# 1000 and 1001 are pyumami's vendor keys (gradients): tests/test_gradients_native.py
@pytest.mark.parametrize("key", [6, 42, 999, 1_000_000])
def test_unknown_meta_key(library, key):
    assert library.meta_int(key)[0] == Status.ERROR_UNSUPPORTED_META


def _flags(fn) -> list[bool]:
    flags = ffi.new("const bool**")
    count = ffi.new("int*")
    assert fn(flags, count) == Status.SUCCESS
    return [bool(flags[0][i]) for i in range(count[0])]


def test_capability_queries(library):
    supported = _flags(library.lib.umami_supported_inputs)
    assert len(supported) == len(InputKey)
    assert {InputKey(i) for i, ok in enumerate(supported) if ok} == {
        InputKey.MOMENTA,
        InputKey.ALPHA_S,
        InputKey.FLAVOR_INDEX,
        InputKey.RANDOM_COLOR,
        InputKey.RANDOM_HELICITY,
        InputKey.RANDOM_DIAGRAM,
    }
    required = _flags(library.lib.umami_required_inputs)
    assert [InputKey(i) for i, ok in enumerate(required) if ok] == [InputKey.MOMENTA]
    outputs = _flags(library.lib.umami_supported_outputs)
    # the standard keys, then pyumami's vendor range up to its last key (gradients:
    # one derivative key per gradient parameter after PARAMETER_DERIVATIVE)
    derivatives = {VendorOutputKey.PARAMETER_DERIVATIVE + k for k in range(5)}
    assert len(outputs) == VendorOutputKey.PARAMETER_DERIVATIVE + 5
    assert {i for i, ok in enumerate(outputs) if ok} == {
        OutputKey.MATRIX_ELEMENT,
        OutputKey.DIAGRAM_AMP2,
        OutputKey.COLOR_INDEX,
        OutputKey.HELICITY_INDEX,
        OutputKey.DIAGRAM_INDEX,
        VendorOutputKey.MOMENTUM_GRADIENT,
        VendorOutputKey.PARAMETER_GRADIENT,
    } | derivatives


def test_capabilities_agree_with_calls(library, process):
    """Every advertised input/output is accepted, every other one refused."""
    _, handle = library.initialize()
    p = generic_momenta(process, 3)
    supported_in = _flags(library.lib.umami_supported_inputs)
    supported_out = _flags(library.lib.umami_supported_outputs)
    for key, ok in zip(InputKey, supported_in, strict=True):
        if key == InputKey.MOMENTA:
            continue
        dtype = (
            np.int32
            if key
            in (
                InputKey.FLAVOR_INDEX,
                InputKey.HELICITY_INDEX,
                InputKey.DIAGRAM_INDEX,
                InputKey.CHANNEL_INDEX,
            )
            else float
        )
        value = np.zeros(3, dtype=dtype) + (0 if dtype is np.int32 else 0.25)
        status = library.call(
            handle,
            3,
            3,
            0,
            {InputKey.MOMENTA: umami_layout(p, 3, 0), key: value},
            {OutputKey.MATRIX_ELEMENT: np.zeros(3)},
        )
        assert status == (Status.SUCCESS if ok else Status.ERROR_UNSUPPORTED_INPUT), key
    # the flags run on over pyumami's vendor keys (gradients, from 1000): standard ones here
    for key, ok in zip(OutputKey, supported_out, strict=False):
        status = library.call(
            handle, 3, 3, 0, {InputKey.MOMENTA: umami_layout(p, 3, 0)}, {key: new_output(key, 3, 3)}
        )
        assert status == (Status.SUCCESS if ok else Status.ERROR_UNSUPPORTED_OUTPUT), key


# --- errors ----------------------------------------------------------------------


def test_missing_momenta(library, process):
    _, handle = library.initialize()
    me = np.full(2, CANARY)
    status = library.call(
        handle, 2, 2, 0, {InputKey.ALPHA_S: np.full(2, 0.1)}, {OutputKey.MATRIX_ELEMENT: me}
    )
    assert status == Status.ERROR_MISSING_INPUT
    assert "MOMENTA" in library.last_error()
    assert np.all(me == CANARY)


@pytest.mark.parametrize("key", [InputKey.HELICITY_INDEX, InputKey.CHANNEL_INDEX, 9, 1000])
def test_unsupported_input_key(library, process, key):
    _, handle = library.initialize()
    p = generic_momenta(process, 2)
    status = library.call(
        handle,
        2,
        2,
        0,
        {InputKey.MOMENTA: umami_layout(p, 2, 0), key: np.zeros(2, np.int32)},
        {OutputKey.MATRIX_ELEMENT: np.zeros(2)},
    )
    assert status == Status.ERROR_UNSUPPORTED_INPUT


@pytest.mark.parametrize("key", [OutputKey.GPU_STREAM, 6, 99])
def test_unsupported_output_key(library, process, key):
    _, handle = library.initialize()
    p = generic_momenta(process, 2)
    status = library.call(
        handle,
        2,
        2,
        0,
        {InputKey.MOMENTA: umami_layout(p, 2, 0)},
        {OutputKey.MATRIX_ELEMENT: np.zeros(2), key: np.zeros(2)},
    )
    assert status == Status.ERROR_UNSUPPORTED_OUTPUT


def test_flavor_index_only_zero(library, process):
    _, handle = library.initialize()
    p = generic_momenta(process, 4)
    ok = library.evaluate(handle, p, {InputKey.FLAVOR_INDEX: 0})
    plain = library.evaluate(handle, p)
    np.testing.assert_array_equal(ok[OutputKey.MATRIX_ELEMENT], plain[OutputKey.MATRIX_ELEMENT])
    me = np.full(4, CANARY)
    status = library.call(
        handle,
        4,
        4,
        0,
        {
            InputKey.MOMENTA: umami_layout(p, 4, 0),
            InputKey.FLAVOR_INDEX: np.array([0, 0, 1, 0], np.int32),
        },
        {OutputKey.MATRIX_ELEMENT: me},
    )
    assert status == Status.ERROR
    assert "FLAVOR_INDEX" in library.last_error()
    assert np.all(me == CANARY), "a refused call must not write outputs"


def test_bad_param_cards(library, tmp_path):
    status, _ = library.initialize(tmp_path / "does_not_exist.dat")
    assert status == Status.ERROR
    assert "cannot open" in library.last_error()

    card = ref_me.default_param_card().read_text()
    malformed = tmp_path / "malformed.dat"
    malformed.write_text(card.replace("1.730000e+02 # MT", "one-seventy-three # MT"))
    status, _ = library.initialize(malformed)
    assert status == Status.ERROR
    assert "line" in library.last_error() and "mass" in library.last_error()

    lacking = tmp_path / "lacking.dat"
    lacking.write_text("\n".join(line for line in card.splitlines() if "# MZ" not in line))
    status, _ = library.initialize(lacking)
    assert status == Status.ERROR
    assert "MZ" in library.last_error()

    garbage = tmp_path / "garbage.dat"
    garbage.write_bytes(bytes(range(256)) * 4)
    assert library.initialize(garbage)[0] == Status.ERROR


def test_default_card_equals_null_path(library, process):
    p = generic_momenta(process, 6)
    _, from_null = library.initialize()
    _, from_card = library.initialize(ref_me.default_param_card())
    a = library.evaluate(from_null, p)[OutputKey.MATRIX_ELEMENT]
    b = library.evaluate(from_card, p)[OutputKey.MATRIX_ELEMENT]
    np.testing.assert_array_equal(a, b)


def test_card_values_are_used(gg_ttx, tmp_path):
    card = ref_me.default_param_card().read_text()
    changed = tmp_path / "mt180.dat"
    changed.write_text(card.replace("1.730000e+02 # MT", "1.800000e+02 # MT"))
    status, handle = gg_ttx.initialize(changed)
    assert status == Status.SUCCESS
    assert gg_ttx.get(handle, "MT") == (Status.SUCCESS, 180.0)


# --- parameters ------------------------------------------------------------------


def test_get_parameters_of_default_card(library):
    _, handle = library.initialize()
    expected = {
        "MT": 173.0,
        "WT": 1.4915,
        "MZ": 91.188,
        "WZ": 2.441404,
        "MH": 125.0,
        "WH": 6.382339e-3,
        "aS": 0.118,
        "aEWM1": 132.507,
        "Gf": 1.16639e-5,
    }
    for name, value in expected.items():
        for spelling in (name, name.lower(), name.upper(), "mdl_" + name):
            assert library.get(handle, spelling) == (Status.SUCCESS, value), spelling
    derived = sm_derived()
    for name in ("MW", "ee", "sw2", "cw"):
        status, value = library.get(handle, name, imag=False)
        assert status == Status.SUCCESS
        assert value == pytest.approx(derived[name], rel=1e-15)
    assert library.get(handle, "G")[1] == 1.2177157847767195


def test_unknown_and_read_only_parameters(library):
    _, handle = library.initialize()
    assert library.set(handle, "MXYZ", 1.0) == Status.ERROR
    assert "unknown parameter" in library.last_error()
    assert library.get(handle, "MXYZ")[0] == Status.ERROR
    assert library.set(handle, "MW", 80.0) == Status.ERROR
    assert "derived" in library.last_error()
    assert library.set(handle, "MT", 170.0, imag=1.0) == Status.ERROR
    assert library.set(handle, "MT", float("nan")) == Status.ERROR
    assert library.set(handle, "MZ", -1.0) == Status.ERROR
    assert library.lib.umami_set_parameter(handle, ffi.NULL, 1.0, 0.0) == Status.ERROR
    assert library.get(handle, "MT")[1] == 173.0, "a refused set must not change anything"


def test_electroweak_inputs_recompute_derived_parameters(library):
    _, handle = library.initialize()
    assert library.set(handle, "mz", 91.0) == Status.SUCCESS
    assert library.set(handle, "aewm1", 128.0) == Status.SUCCESS
    expected = sm_derived(aewm1=128.0, mz=91.0)
    for name in ("MW", "ee", "sw2"):
        assert library.get(handle, name)[1] == pytest.approx(expected[name], rel=1e-15)


def test_top_mass_change_changes_gg_ttx(gg_ttx):
    p = generic_momenta("gg_ttx", 8)
    _, handle = gg_ttx.initialize()
    before = gg_ttx.evaluate(handle, p)[OutputKey.MATRIX_ELEMENT]
    assert gg_ttx.set(handle, "MT", 175.0) == Status.SUCCESS
    assert gg_ttx.get(handle, "mt")[1] == 175.0
    after = gg_ttx.evaluate(handle, p)[OutputKey.MATRIX_ELEMENT]
    assert np.all(np.abs(after / before - 1) > 1e-6)
    # Back to 173 restores the numbers bit for bit (nothing else drifted).
    assert gg_ttx.set(handle, "MT", 173.0) == Status.SUCCESS
    np.testing.assert_array_equal(gg_ttx.evaluate(handle, p)[OutputKey.MATRIX_ELEMENT], before)


def test_alpha_s_parameter_sets_the_default_coupling(gg_ttx, ee_mumu):
    for lib, power in ((gg_ttx, 2), (ee_mumu, 0)):
        p = generic_momenta("gg_ttx" if lib is gg_ttx else "ee_mumu", 4)
        _, handle = lib.initialize()
        before = lib.evaluate(handle, p)[OutputKey.MATRIX_ELEMENT]
        assert lib.set(handle, "aS", 0.1) == Status.SUCCESS
        after = lib.evaluate(handle, p)[OutputKey.MATRIX_ELEMENT]
        np.testing.assert_allclose(after, before * (0.1 / 0.118) ** power, rtol=1e-13)
        # A per-event ALPHA_S input overrides the parameter.
        given_as = lib.evaluate(handle, p, {InputKey.ALPHA_S: 0.118})[OutputKey.MATRIX_ELEMENT]
        np.testing.assert_allclose(given_as, before, rtol=1e-15)


def test_z_width_enters_ee_mumu(ee_mumu):
    p = two_to_two([91.188, 91.188], 0, 0, [0.3, -0.5], [0.1, 2.0])  # on the Z pole
    _, handle = ee_mumu.initialize()
    before = ee_mumu.evaluate(handle, p)[OutputKey.MATRIX_ELEMENT]
    assert ee_mumu.set(handle, "WZ", 2 * 2.441404) == Status.SUCCESS
    after = ee_mumu.evaluate(handle, p)[OutputKey.MATRIX_ELEMENT]
    # Z-dominated at the pole: |M|^2 ~ 1/WZ^2.
    np.testing.assert_allclose(after / before, 0.25, rtol=0.02)


# --- memory layout ---------------------------------------------------------------

ALL_OUTPUTS = (
    OutputKey.MATRIX_ELEMENT,
    OutputKey.DIAGRAM_AMP2,
    OutputKey.COLOR_INDEX,
    OutputKey.HELICITY_INDEX,
    OutputKey.DIAGRAM_INDEX,
)


@pytest.mark.parametrize("offset, pad", [(0, 0), (3, 5), (17, 0), (1, 31)])
def test_stride_and_offset_with_canaries(library, process, offset, pad):
    n = 11
    stride = offset + n + pad
    p = generic_momenta(process, n, seed=7)
    rng = np.random.default_rng(3)
    randoms = {
        key: rng.uniform(size=n)
        for key in (InputKey.RANDOM_HELICITY, InputKey.RANDOM_COLOR, InputKey.RANDOM_DIAGRAM)
    }
    alpha_s = rng.uniform(0.1, 0.13, n)
    _, handle = library.initialize()
    reference = library.evaluate(handle, p, {**randoms, InputKey.ALPHA_S: alpha_s}, ALL_OUTPUTS)

    ndiag = library.meta_int(MetaKey.DIAGRAM_COUNT)[1]
    inputs = {InputKey.MOMENTA: umami_layout(p, stride, offset)}
    for key, value in {**randoms, InputKey.ALPHA_S: alpha_s}.items():
        buf = np.full(stride, CANARY)
        buf[offset : offset + n] = value
        inputs[key] = buf
    outputs = {key: new_output(key, stride, ndiag) for key in ALL_OUTPUTS}
    assert library.call(handle, n, stride, offset, inputs, outputs) == Status.SUCCESS
    inside = slice(offset, offset + n)
    for key, buf in outputs.items():
        canary = INT_CANARY if key in INT_OUTPUTS else CANARY
        outside = np.ones(buf.shape[-1], bool)
        outside[inside] = False
        assert np.all(buf[..., outside] == canary), f"{key.name} written outside the slice"
        got = buf[..., inside]
        want = reference[key].T if key == OutputKey.DIAGRAM_AMP2 else reference[key]
        np.testing.assert_array_equal(got, want, err_msg=key.name)


def test_offset_plus_count_beyond_stride_is_refused(library, process):
    _, handle = library.initialize()
    p = generic_momenta(process, 4)
    me = np.full(4, CANARY)
    status = library.call(
        handle, 4, 4, 1, {InputKey.MOMENTA: umami_layout(p, 4, 0)}, {OutputKey.MATRIX_ELEMENT: me}
    )
    assert status == Status.ERROR
    assert np.all(me == CANARY)


def test_count_zero(library, process):
    _, handle = library.initialize()
    p = generic_momenta(process, 3)
    me = np.full(3, CANARY)
    amp2 = np.full((3, 3), CANARY)
    status = library.call(
        handle,
        0,
        3,
        1,
        {InputKey.MOMENTA: umami_layout(p, 3, 0)},
        {OutputKey.MATRIX_ELEMENT: me, OutputKey.DIAGRAM_AMP2: amp2},
    )
    assert status == Status.SUCCESS
    assert np.all(me == CANARY) and np.all(amp2 == CANARY)
    # NULL data pointers are fine when there is nothing to do.
    assert (
        library.call(handle, 0, 0, 0, {InputKey.MOMENTA: None}, {OutputKey.MATRIX_ELEMENT: None})
        == Status.SUCCESS
    )


def test_nan_momenta_do_not_crash(library, process):
    p = generic_momenta(process, 6)
    p[2, 2, 1] = np.nan
    p[4] = np.nan
    p[5] = 0.0  # all-zero event: degenerate, must not crash either
    _, handle = library.initialize()
    out = library.evaluate(handle, p, outputs=ALL_OUTPUTS)
    me = out[OutputKey.MATRIX_ELEMENT]
    assert np.all(np.isfinite(me[[0, 1, 3]]))
    assert np.isnan(me[2]) and np.isnan(me[4])
    particles, diagrams, helicities, colours, _ = EXPECTED_META[process]
    assert np.all(
        (out[OutputKey.HELICITY_INDEX] >= 0) & (out[OutputKey.HELICITY_INDEX] < helicities)
    )
    assert np.all((out[OutputKey.COLOR_INDEX] >= 0) & (out[OutputKey.COLOR_INDEX] < colours))
    assert np.all((out[OutputKey.DIAGRAM_INDEX] >= 0) & (out[OutputKey.DIAGRAM_INDEX] < diagrams))
    # The finite events are those of a clean call.
    clean = library.evaluate(handle, p[[0, 1, 3]])[OutputKey.MATRIX_ELEMENT]
    np.testing.assert_array_equal(me[[0, 1, 3]], clean)


# --- instances -------------------------------------------------------------------


def test_instances_are_independent(gg_ttx):
    p = generic_momenta("gg_ttx", 5)
    _, first = gg_ttx.initialize()
    _, second = gg_ttx.initialize()
    reference = gg_ttx.evaluate(first, p)[OutputKey.MATRIX_ELEMENT]
    assert gg_ttx.set(second, "MT", 160.0) == Status.SUCCESS
    assert gg_ttx.set(second, "WT", 0.0) == Status.SUCCESS
    changed = gg_ttx.evaluate(second, p)[OutputKey.MATRIX_ELEMENT]
    np.testing.assert_array_equal(gg_ttx.evaluate(first, p)[OutputKey.MATRIX_ELEMENT], reference)
    assert gg_ttx.get(first, "MT")[1] == 173.0 and gg_ttx.get(first, "WT")[1] == 1.4915
    assert np.all(changed != reference)
    # Freeing one instance leaves the other working.
    assert gg_ttx.lib.umami_free(second) == Status.SUCCESS
    gg_ttx._handles.remove(second)
    np.testing.assert_array_equal(gg_ttx.evaluate(first, p)[OutputKey.MATRIX_ELEMENT], reference)


def test_concurrent_instances_give_serial_results(library, process):
    """One instance per thread on disjoint slices of shared arrays (cffi releases the
    GIL during the call): identical to one serial call."""
    from concurrent.futures import ThreadPoolExecutor

    n, threads = 4000, 4
    p = generic_momenta(process, n, seed=21)
    handles = [library.initialize()[1] for _ in range(threads)]
    serial = library.evaluate(handles[0], p)[OutputKey.MATRIX_ELEMENT]
    momenta = umami_layout(p, n, 0)
    me = np.full(n, CANARY)
    bounds = np.linspace(0, n, threads + 1).astype(int)

    def work(t):
        lo, hi = bounds[t], bounds[t + 1]
        return library.call(
            handles[t], hi - lo, n, lo, {InputKey.MOMENTA: momenta}, {OutputKey.MATRIX_ELEMENT: me}
        )

    with ThreadPoolExecutor(threads) as pool:
        statuses = list(pool.map(work, range(threads)))
    assert statuses == [Status.SUCCESS] * threads
    np.testing.assert_array_equal(me, serial)


def test_free_null_handle_is_harmless(library):
    assert library.lib.umami_free(ffi.NULL) == Status.SUCCESS


# --- DIAGRAM_AMP2 and selected indices ----------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    sqrt_s=st.floats(400, 5000),
    cos_theta=st.floats(-0.99, 0.99),
    phi=st.floats(0, 6.28),
    r_hel=st.floats(0, 0.999999),
    r_col=st.floats(0, 0.999999),
    r_diag=st.floats(0, 0.999999),
)
def test_amp2_and_selected_indices(gg_ttx, ee_mumu, sqrt_s, cos_theta, phi, r_hel, r_col, r_diag):
    for lib, process in ((gg_ttx, "gg_ttx"), (ee_mumu, "ee_mumu")):
        particles, diagrams, helicities, colours, masses = EXPECTED_META[process]
        p = two_to_two([sqrt_s], masses[2], masses[3], [cos_theta], [phi])
        _, handle = lib.initialize()
        out = lib.evaluate(
            handle,
            p,
            {
                InputKey.RANDOM_HELICITY: r_hel,
                InputKey.RANDOM_COLOR: r_col,
                InputKey.RANDOM_DIAGRAM: r_diag,
            },
            ALL_OUTPUTS,
        )
        amp2 = out[OutputKey.DIAGRAM_AMP2][0]
        assert amp2.shape == (diagrams,)
        assert np.all(amp2 >= 0)
        assert amp2.sum() == pytest.approx(1.0, rel=1e-14)
        # Diagram: first whose cumulative AMP2 share exceeds the random number.
        expected = int(np.argmax(r_diag < np.cumsum(amp2) / amp2.sum()))
        assert out[OutputKey.DIAGRAM_INDEX][0] == expected
        assert 0 <= out[OutputKey.COLOR_INDEX][0] < colours
        row = int(out[OutputKey.HELICITY_INDEX][0])
        assert 0 <= row < helicities
        if process == "ee_mumu":
            # Massless leptons: only opposite helicities of e+e- and of mu+mu- couple.
            first = np.array([-1, 1, 1, -1])
            hel = first * np.where([(row >> (3 - i)) & 1 for i in range(4)], -1, 1)
            assert hel[0] == -hel[1] and hel[2] == -hel[3]


def test_selection_is_monotonic_in_the_random_number(gg_ttx):
    p = generic_momenta("gg_ttx", 1, seed=11)
    _, handle = gg_ttx.initialize()
    r = np.linspace(0, 0.999999, 400)
    batch = np.repeat(p, len(r), axis=0)
    out = gg_ttx.evaluate(
        handle,
        batch,
        {InputKey.RANDOM_HELICITY: r, InputKey.RANDOM_COLOR: r, InputKey.RANDOM_DIAGRAM: r},
        (OutputKey.HELICITY_INDEX, OutputKey.COLOR_INDEX, OutputKey.DIAGRAM_INDEX),
    )
    for key in (OutputKey.HELICITY_INDEX, OutputKey.COLOR_INDEX, OutputKey.DIAGRAM_INDEX):
        assert np.all(np.diff(out[key]) >= 0), key.name
    # With massive tops no helicity vanishes: a sweep of the random number visits
    # many rows (the smallest shares may fall between grid points), and both flows.
    assert len(np.unique(out[OutputKey.HELICITY_INDEX])) >= 8
    assert set(np.unique(out[OutputKey.COLOR_INDEX])) == {0, 1}
    # Absent random numbers mean 0.5.
    default = gg_ttx.evaluate(handle, p, outputs=(OutputKey.HELICITY_INDEX,))
    half = gg_ttx.evaluate(handle, p, {InputKey.RANDOM_HELICITY: 0.5}, (OutputKey.HELICITY_INDEX,))
    assert default[OutputKey.HELICITY_INDEX][0] == half[OutputKey.HELICITY_INDEX][0]


# --- analytic cross-checks ---------------------------------------------------------


def ee_mumu_analytic(p: np.ndarray, mz=91.188, wz=2.441404) -> np.ndarray:
    """Spin-averaged |M|^2 of e+ e- -> mu+ mu- (photon + Z, massless leptons).

    Helicity amplitudes squared: s^2 |A_ij|^2 (1 +- cos)^2 with
    A_ij = ee^2 [Q^2/s + g_i g_j / (s - MZ^2 + i MZ WZ)], g_L = (T3 - Q sw2)/(sw cw),
    g_R = -Q sw2/(sw cw), Q = -1, T3 = -1/2; theta between e- (1) and mu- (3).
    """
    c = sm_derived()
    s = (p[:, 0, 0] + p[:, 1, 0]) ** 2 - np.sum((p[:, 0, 1:] + p[:, 1, 1:]) ** 2, axis=1)
    e_minus, mu_minus = p[:, 1, 1:], p[:, 3, 1:]
    cos = np.sum(e_minus * mu_minus, axis=1) / (
        np.linalg.norm(e_minus, axis=1) * np.linalg.norm(mu_minus, axis=1)
    )
    gl = (-0.5 + c["sw2"]) / (c["sw"] * c["cw"])
    gr = c["sw2"] / (c["sw"] * c["cw"])
    prop = 1 / (s - mz**2 + 1j * mz * wz)
    a = {
        ij: c["ee"] ** 2 * (1 / s + gi * gj * prop)
        for ij, (gi, gj) in {"LL": (gl, gl), "RR": (gr, gr), "LR": (gl, gr), "RL": (gr, gl)}.items()
    }
    same = np.abs(a["LL"]) ** 2 + np.abs(a["RR"]) ** 2
    opposite = np.abs(a["LR"]) ** 2 + np.abs(a["RL"]) ** 2
    return s**2 / 4 * (same * (1 + cos) ** 2 + opposite * (1 - cos) ** 2)


def gg_ttx_analytic(p: np.ndarray, mt=173.0, g_s=1.2177157847767195) -> np.ndarray:
    """Spin- and colour-averaged |M|^2 of g g -> Q Qbar (on-shell, LO):
    g^4 (1/(6 t1 t2) - 3/8) (t1^2 + t2^2 + rho - rho^2/(4 t1 t2)),
    t1,2 = 2 p_{1,2}.p_Q / s, rho = 4 m^2 / s (Combridge; Ellis-Stirling-Webber Tab. 10.2)."""

    def dot(a, b):
        return a[:, 0] * b[:, 0] - np.sum(a[:, 1:] * b[:, 1:], axis=1)

    s = 2 * dot(p[:, 0], p[:, 1])
    t1 = 2 * dot(p[:, 0], p[:, 2]) / s
    t2 = 2 * dot(p[:, 1], p[:, 2]) / s
    rho = 4 * mt**2 / s
    return g_s**4 * (1 / (6 * t1 * t2) - 3 / 8) * (t1**2 + t2**2 + rho - rho**2 / (4 * t1 * t2))


@settings(max_examples=20, deadline=None)
@given(sqrt_s=st.floats(10, 3000), cos_theta=st.floats(-0.999, 0.999), phi=st.floats(0, 6.28))
def test_ee_mumu_against_analytic_formula(ee_mumu, sqrt_s, cos_theta, phi):
    p = two_to_two([sqrt_s], 0, 0, [cos_theta], [phi])
    _, handle = ee_mumu.initialize()
    me = ee_mumu.evaluate(handle, p)[OutputKey.MATRIX_ELEMENT]
    np.testing.assert_allclose(me, ee_mumu_analytic(p), rtol=1e-12, atol=0)


def test_ee_mumu_analytic_at_fixed_angles(ee_mumu):
    cos = np.array([-0.9, -0.5, 0.0, 0.3, 0.8])
    p = two_to_two(np.full(5, 1500.0), 0, 0, cos, np.full(5, 0.4))
    _, handle = ee_mumu.initialize()
    me = ee_mumu.evaluate(handle, p)[OutputKey.MATRIX_ELEMENT]
    np.testing.assert_allclose(me, ee_mumu_analytic(p), rtol=1e-12, atol=0)
    # Forward-backward asymmetry from Z interference: forward is larger at 1.5 TeV.
    back = ee_mumu.evaluate(handle, two_to_two([1500.0], 0, 0, [-0.8], [0.4]))
    assert me[-1] > back[OutputKey.MATRIX_ELEMENT][0]


@settings(max_examples=20, deadline=None)
@given(
    sqrt_s=st.floats(350, 5000),
    cos_theta=st.floats(-0.999, 0.999),
    phi=st.floats(0, 6.28),
    alpha_s=st.floats(0.08, 0.14),
)
def test_gg_ttx_against_analytic_formula(gg_ttx, sqrt_s, cos_theta, phi, alpha_s):
    p = two_to_two([sqrt_s], 173.0, 173.0, [cos_theta], [phi])
    _, handle = gg_ttx.initialize()
    assert gg_ttx.set(handle, "WT", 0.0) == Status.SUCCESS  # the formula has no top width
    me = gg_ttx.evaluate(handle, p, {InputKey.ALPHA_S: alpha_s})[OutputKey.MATRIX_ELEMENT]
    expected = gg_ttx_analytic(p, g_s=2 * math.sqrt(alpha_s) * math.sqrt(math.pi))
    np.testing.assert_allclose(me, expected, rtol=1e-12, atol=0)


def test_gg_ttx_analytic_other_top_mass(gg_ttx):
    p = two_to_two(
        np.full(4, 800.0), 150.0, 150.0, np.array([-0.7, 0.0, 0.2, 0.9]), np.full(4, 1.0)
    )
    _, handle = gg_ttx.initialize()
    assert gg_ttx.set(handle, "WT", 0.0) == Status.SUCCESS
    assert gg_ttx.set(handle, "MT", 150.0) == Status.SUCCESS
    me = gg_ttx.evaluate(handle, p)[OutputKey.MATRIX_ELEMENT]
    np.testing.assert_allclose(me, gg_ttx_analytic(p, mt=150.0), rtol=1e-12, atol=0)


def test_gg_ttx_massless_quarks_against_analytic_formula(gg_ttx):
    """MT = 0 through set_parameter: massless spinor branches, helicity filter
    recomputed (chirality zeros dropped), still the analytic result."""
    p = two_to_two(
        np.full(5, 1000.0), 0.0, 0.0, np.array([-0.9, -0.3, 0.1, 0.5, 0.95]), np.full(5, 2.5)
    )
    _, handle = gg_ttx.initialize()
    assert gg_ttx.set(handle, "MT", 0.0) == Status.SUCCESS
    assert gg_ttx.set(handle, "WT", 0.0) == Status.SUCCESS
    out = gg_ttx.evaluate(handle, p, outputs=(OutputKey.MATRIX_ELEMENT, OutputKey.HELICITY_INDEX))
    np.testing.assert_allclose(
        out[OutputKey.MATRIX_ELEMENT], gg_ttx_analytic(p, mt=0.0), rtol=1e-12, atol=0
    )
    # Massless quarks: t and t~ have opposite helicities (first row (-1,-1,-1,+1)).
    rows = out[OutputKey.HELICITY_INDEX]
    hel_t = -np.where((rows >> 1) & 1, -1, 1)
    hel_tb = np.where(rows & 1, -1, 1)
    assert np.all(hel_t == -hel_tb)
