"""MadSpace (PyPI ``madspace`` 0.2.1) as a real external UMAMI client: it loads
our libraries itself (its own dlopen, its own threads and stride/offset split)
and its matrix elements must equal pyumami's on the same momenta to 1e-14
relative, with 1 and 2 MadSpace threads."""

from __future__ import annotations

import numpy as np
import pytest

import pyumami
import ref_me
from tests._helpers import two_body_events, two_to_two
from tests.conftest import fixture_library

ms = pytest.importorskip("madspace", reason="MadSpace (PyPI madspace) is a test dependency")

RTOL = 1e-14
N_EVENTS = 2000


def madspace_evaluate(path, param_card, momenta, threads: int, alpha_s=None, amp2: bool = False):
    """MEs (and DIAGRAM_AMP2) computed by MadSpace through its own UMAMI client."""
    context = ms.Context(threads)
    api = context.load_matrix_element(str(path), str(param_card))
    element = ms.MatrixElement
    inputs = [element.MatrixElementInput.momenta_in]
    args = [momenta]
    if alpha_s is not None:
        inputs.append(element.MatrixElementInput.alpha_s_in)
        args.append(alpha_s)
    outputs = [element.MatrixElementOutput.matrix_element_out]
    if amp2:
        outputs.append(element.MatrixElementOutput.diagram_amp2_out)
    runtime = ms.FunctionRuntime(element(api, inputs, outputs).function(), context)
    result = runtime(*args)
    result = list(result) if isinstance(result, (list, tuple)) else [result]
    return [np.asarray(r) for r in result]


def max_relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    scale = np.maximum(np.abs(a), np.abs(b))
    return float(np.max(np.where(scale > 0, np.abs(a - b) / np.where(scale > 0, scale, 1), 0.0)))


@pytest.mark.parametrize("threads", [1, 2])
def test_minimal_fixture_through_madspace(threads):
    path = fixture_library("minimal")
    p = two_to_two(N_EVENTS, seed=21)
    (me_ms,) = madspace_evaluate(path, ref_me.default_param_card(), p, threads)
    with pyumami.load(path, threads=2) as lib:
        me = lib(p)
    assert me_ms.shape == me.shape
    difference = max_relative_difference(me_ms, me)
    print(f"minimal fixture, MadSpace threads={threads}: max relative difference {difference:.3g}")
    assert difference <= RTOL


@pytest.mark.parametrize("threads", [1, 2])
def test_old_numbering_fixture_through_madspace(threads):
    # a CUDACPP-like library (older status numbering, no capability queries)
    path = fixture_library("old_numbering")
    p = two_to_two(N_EVENTS, seed=22)
    alpha_s = np.random.default_rng(6).uniform(0.1, 0.13, N_EVENTS)
    me_ms, amp2_ms = madspace_evaluate(
        path, ref_me.default_param_card(), p, threads, alpha_s=alpha_s, amp2=True
    )
    with pyumami.load(path, threads=2) as lib:
        ours = lib.evaluate(p, alpha_s=alpha_s, outputs=("matrix_element", "diagram_amp2"))
    assert amp2_ms.shape == ours["diagram_amp2"].shape == (N_EVENTS, 3)
    assert max_relative_difference(me_ms, ours["matrix_element"]) <= RTOL
    assert max_relative_difference(amp2_ms, ours["diagram_amp2"]) <= RTOL


def _reference_library(process: str):
    try:
        return ref_me.library_path(process)
    except FileNotFoundError as exc:
        pytest.skip(f"reference library not built ({exc})")


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("process", ["ee_mumu", "gg_ttx"])
def test_reference_library_madspace_equals_pyumami(process, threads):
    path = _reference_library(process)
    card = ref_me.default_param_card()
    with pyumami.load(path, card, threads=2) as lib:
        assert lib.particle_count == 4
        masses = lib.masses if lib.masses is not None else (0.0,) * 4
        p = two_body_events(masses, N_EVENTS, sqrt_s=1000.0, seed=len(process))
        alpha_s = np.random.default_rng(5).uniform(0.1, 0.13, N_EVENTS)
        use_alpha = pyumami.InputKey.ALPHA_S in lib.supported_inputs
        amp2 = pyumami.OutputKey.DIAGRAM_AMP2 in lib.supported_outputs
        outputs = ("matrix_element", "diagram_amp2") if amp2 else ("matrix_element",)
        ours = lib.evaluate(p, alpha_s=alpha_s if use_alpha else None, outputs=outputs)
        ours_default = lib(p)
    theirs = madspace_evaluate(
        path, card, p, threads, alpha_s=alpha_s if use_alpha else None, amp2=amp2
    )
    (theirs_default,) = madspace_evaluate(path, card, p, threads)
    differences = {
        "matrix_element": max_relative_difference(theirs[0], ours["matrix_element"]),
        "matrix_element (default alpha_s)": max_relative_difference(theirs_default, ours_default),
    }
    if amp2:
        assert theirs[1].shape == ours["diagram_amp2"].shape
        differences["diagram_amp2"] = max_relative_difference(theirs[1], ours["diagram_amp2"])
    print(
        f"{process}, MadSpace threads={threads}: max relative differences "
        + ", ".join(f"{k} {v:.3g}" for k, v in differences.items())
    )
    assert np.all(np.isfinite(ours["matrix_element"])) and np.all(ours["matrix_element"] > 0)
    if use_alpha and process == "gg_ttx":  # MadSpace really passed the per-event alpha_s
        assert not np.allclose(ours["matrix_element"], ours_default, rtol=1e-6)
    for name, difference in differences.items():
        assert difference <= RTOL, (name, difference)
