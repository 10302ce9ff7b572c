"""Reference matrix elements against MadGraph's CUDACPP dumps (shared/ref).

For every event of ``<dir>/*.txt`` our library (no ALPHA_S input, i.e. alpha_s =
0.118 as in CUDACPP's test driver) must reproduce the ``ME`` column to a relative
deviation of 1e-12; for ``*.txt2`` (single-diagram enhancement of channel
``ChanId``), ``ME x DIAGRAM_AMP2[ChanId - 1]`` must reproduce the dumped ME.
The libraries are called through the raw ABI (``pyumami.abi.ffi``) so that these
checks do not depend on the Python host. The maximum deviation per file is printed
(run with ``-s``) and written to ``build/ref_me_validation.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import ref_me
from pyumami.abi import InputKey, OutputKey, Status, ffi

TOLERANCE = 1e-12
#: our process name -> (directory in shared/ref, dump file stem)
REFERENCES = {
    "ee_mumu": ("ee_mumu", "dump_CPUTest.Sigma_sm_epem_mupmum"),
    "gg_ttx": ("gg_tt", "dump_CPUTest.Sigma_sm_gg_ttx"),
}
RESULTS_FILE = Path(__file__).resolve().parents[1] / "build" / "ref_me_validation.json"


@dataclass
class Dump:
    """Events of one MadGraph dump file: momenta (n, npar, 4) GeV, ME, channel (1-based)."""

    momenta: np.ndarray
    me: np.ndarray
    channel: np.ndarray
    helicity: np.ndarray  # SelHel, 1-based row of MadGraph's helicity table


def read_dump(path: Path) -> Dump:
    """Parses the block format described in shared/ref/README.md."""
    events: list[list[list[float]]] = []
    me: list[float] = []
    channel: list[int] = []
    helicity: list[int] = []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        # Line kinds as in MadgraphTest.h; keys are matched at the line start.
        if "Event" in line:
            events.append([])
        elif line.startswith("ME"):
            me.append(float(line.split()[1]))
        elif line.startswith("ChanId"):
            channel.append(int(line.split()[1]))
        elif line.startswith("SelHel"):
            helicity.append(int(line.split()[1]))
        elif line.startswith("SelCol"):
            continue
        else:
            fields = line.split()
            events[-1].append([float(x) for x in fields[1:5]])
    momenta = np.array(events, dtype=np.float64)
    assert momenta.shape[0] == len(me) == len(channel), f"inconsistent blocks in {path}"
    return Dump(momenta, np.array(me), np.array(channel), np.array(helicity))


def call_library(
    path: Path,
    momenta: np.ndarray,
    alpha_s: np.ndarray | None = None,
    random_helicity: np.ndarray | None = None,
):
    """Evaluates ME and DIAGRAM_AMP2 (and HELICITY_INDEX when random_helicity is
    given) for (n, npar, 4) momenta in one raw UMAMI call."""
    lib = ffi.dlopen(str(path))
    n, npar, _ = momenta.shape
    ndiag = ffi.new("int*")
    assert lib.umami_get_meta(2, ndiag) == Status.SUCCESS  # DIAGRAM_COUNT
    layout = np.ascontiguousarray(momenta.transpose(2, 1, 0))  # [component][particle][event]
    me = np.full(n, np.nan)
    amp2 = np.full((ndiag[0], n), np.nan)
    handle = ffi.new("UmamiHandle*")
    assert lib.umami_initialize(handle, ffi.NULL) == Status.SUCCESS
    try:
        in_keys = [InputKey.MOMENTA]
        in_data = [ffi.from_buffer("double[]", layout)]
        if alpha_s is not None:
            in_keys.append(InputKey.ALPHA_S)
            in_data.append(ffi.from_buffer("double[]", alpha_s))
        out_keys = [OutputKey.MATRIX_ELEMENT, OutputKey.DIAGRAM_AMP2]
        out_data = [ffi.from_buffer("double[]", me), ffi.from_buffer("double[]", amp2)]
        helicity = np.full(n, -1, dtype=np.int32)
        if random_helicity is not None:
            in_keys.append(InputKey.RANDOM_HELICITY)
            in_data.append(ffi.from_buffer("double[]", random_helicity))
            out_keys.append(OutputKey.HELICITY_INDEX)
            out_data.append(ffi.from_buffer("int[]", helicity))
        status = lib.umami_matrix_element(
            handle[0],
            n,
            n,
            0,
            len(in_keys),
            ffi.new("UmamiInputKey[]", in_keys),
            ffi.new("void*[]", [ffi.cast("void*", p) for p in in_data]),
            len(out_keys),
            ffi.new("UmamiOutputKey[]", out_keys),
            ffi.new("void*[]", [ffi.cast("void*", p) for p in out_data]),
        )
        assert status == Status.SUCCESS, f"umami_matrix_element returned {status}"
    finally:
        lib.umami_free(handle[0])
    if random_helicity is not None:
        return me, amp2.T, helicity
    return me, amp2.T


def record(process: str, kind: str, deviation: float) -> None:
    """Prints and stores the maximum relative deviation for the closing report."""
    print(f"\n{process} {kind}: max relative deviation {deviation:.3e}")
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(RESULTS_FILE.read_text()) if RESULTS_FILE.is_file() else {}
    data.setdefault(process, {})[kind] = deviation
    RESULTS_FILE.write_text(json.dumps(data, indent=2, sort_keys=True))


@pytest.fixture(scope="module", params=sorted(REFERENCES))
def process(request) -> str:
    try:
        ref_me.library_path(request.param)
    except FileNotFoundError as exc:
        pytest.fail(f"{exc}")
    return request.param


def dump_path(ref_dir: Path, process: str, suffix: str) -> Path:
    directory, stem = REFERENCES[process]
    return ref_dir / directory / f"{stem}{suffix}"


def test_plain_matrix_element_matches_madgraph(ref_dir, process):
    dump = read_dump(dump_path(ref_dir, process, ".txt"))
    assert len(dump.me) == 256
    me, _ = call_library(ref_me.library_path(process), dump.momenta)
    deviation = np.abs(me / dump.me - 1.0)
    record(process, ".txt", float(deviation.max()))
    assert deviation.max() <= TOLERANCE, f"worst event {int(deviation.argmax())}"


def test_single_diagram_enhanced_matrix_element_matches_madgraph(ref_dir, process):
    plain = read_dump(dump_path(ref_dir, process, ".txt"))
    dump = read_dump(dump_path(ref_dir, process, ".txt2"))
    np.testing.assert_array_equal(plain.momenta, dump.momenta)
    me, amp2 = call_library(ref_me.library_path(process), dump.momenta)
    channel = dump.channel - 1
    assert channel.min() >= 0 and channel.max() < amp2.shape[1]
    sde = me * amp2[np.arange(len(me)), channel]
    deviation = np.abs(sde / dump.me - 1.0)
    record(process, ".txt2", float(deviation.max()))
    assert deviation.max() <= TOLERANCE, f"worst event {int(deviation.argmax())}"
    # The enhancement factor is a share: the .txt2 ME never exceeds the plain ME.
    assert np.all(dump.me <= plain.me * (1 + TOLERANCE))


@pytest.mark.parametrize("process_name, power", [("gg_ttx", 2), ("ee_mumu", 0)])
def test_alpha_s_input_scales_as_the_coupling_power(ref_dir, process_name, power):
    dump = read_dump(dump_path(ref_dir, process_name, ".txt"))
    path = ref_me.library_path(process_name)
    alpha_s = np.full(len(dump.me), 0.13)
    me, _ = call_library(path, dump.momenta, alpha_s=alpha_s)
    expected = dump.me * (0.13 / 0.118) ** power
    np.testing.assert_allclose(me, expected, rtol=1e-12, atol=0)
    # alpha_s = 0.118 given explicitly is the default.
    me_default, _ = call_library(path, dump.momenta, alpha_s=np.full(len(dump.me), 0.118))
    np.testing.assert_allclose(me_default, dump.me, rtol=TOLERANCE, atol=0)


def test_helicity_table_matches_madgraph(ref_dir):
    """ee_mumu has 4 non-vanishing helicity rows; every row MadGraph selected
    (SelHel - 1) must be one our library can select, i.e. the tables agree."""
    dump = read_dump(dump_path(ref_dir, "ee_mumu", ".txt"))
    grid = np.linspace(0, 0.999, 50)
    momenta = np.repeat(dump.momenta, len(grid), axis=0)
    _, _, rows = call_library(
        ref_me.library_path("ee_mumu"), momenta, random_helicity=np.tile(grid, len(dump.me))
    )
    selectable = set(np.unique(rows).tolist())
    assert len(selectable) == 4
    assert set((dump.helicity - 1).tolist()) <= selectable
