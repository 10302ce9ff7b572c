"""pyumami.introspection: the layer the host and the checker share."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyumami import abi, introspection
from pyumami.introspection import CapabilitySource, StatusNumbering
from tests.conftest import fixture_library


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31), top=st.floats(0.0, 400.0), npar=st.integers(4, 6))
def test_trial_momenta_are_generic_physical_points(seed, top, npar):
    masses = [0.0, 0.0] + [top] * (npar - 2)
    p = introspection.trial_momenta(masses, npar, 32, seed)
    assert p.shape == (32, npar, 4) and p.dtype == np.float64
    total = p[:, :2].sum(axis=1) - p[:, 2:].sum(axis=1)
    scale = p[:, :, 0].sum(axis=1)
    np.testing.assert_allclose(total / scale[:, None], 0.0, atol=1e-12)  # conserved
    m2 = p[..., 0] ** 2 - (p[..., 1:] ** 2).sum(axis=-1)
    np.testing.assert_allclose(
        np.sqrt(np.maximum(m2, 0.0)), np.broadcast_to(masses, m2.shape), atol=1e-6 * scale.max()
    )  # on shell
    assert (p[..., 0] > 0).all()
    # no common axis: the beams point in 32 different directions, none along z
    beam = p[:, 0, 1:] / np.linalg.norm(p[:, 0, 1:], axis=1, keepdims=True)
    assert (np.abs(beam[:, 2]) < 1 - 1e-6).all()
    assert len({tuple(np.round(b, 6)) for b in beam}) == 32


@pytest.mark.parametrize(
    "meta, missing, expected",
    [
        (6, 7, StatusNumbering.CURRENT),
        (5, 6, StatusNumbering.OLD),
        (6, 6, StatusNumbering.MIXED),
        (1, 1, StatusNumbering.UNKNOWN),
    ],
)
def test_numbering_from_statuses(meta, missing, expected):
    assert introspection.numbering_from_statuses(meta, missing) is expected


def test_metadata_and_probed_capabilities_of_the_old_numbering_fixture():
    lib = abi.ffi.dlopen(str(fixture_library("old_numbering")))
    symbols = introspection.entry_points(lib)
    metadata = introspection.read_metadata(lib)
    assert (metadata.particle_count, metadata.diagram_count, metadata.masses) == (4, 3, None)
    handle = abi.ffi.new("UmamiHandle *")
    assert lib.umami_initialize(handle, abi.ffi.NULL) == abi.Status.SUCCESS
    metadata = introspection.reread_uninitialized(lib, metadata)
    assert introspection.infer_numbering(symbols, metadata) is StatusNumbering.OLD
    assert introspection.query_capabilities(lib) is None
    trial = introspection.TrialCaller(
        lib, handle[0], introspection.trial_momenta(None, 4), ndiag=metadata.diagram_count
    )
    found = introspection.probe_capabilities(trial, metadata.diagram_count)
    assert found.source is CapabilitySource.PROBED
    assert abi.InputKey.HELICITY_INDEX not in found.supported_inputs
    assert found.supported_outputs == {abi.OutputKey.MATRIX_ELEMENT, abi.OutputKey.DIAGRAM_AMP2}
    assert trial.damage == []
    lib.umami_free(handle[0])
