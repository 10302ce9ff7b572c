"""The host on the reference libraries (built by `make cpu-libs`; a missing one fails):
capability queries, run-time parameters on every instance, thread splits of
the sampled outputs."""

from __future__ import annotations

import numpy as np
import pytest

import pyumami
import ref_me
from tests._helpers import two_body_events
from tests.conftest import reference_library


@pytest.fixture(scope="module")
def gg_ttx_path():
    return reference_library("gg_ttx")


def test_capabilities_come_from_the_queries(gg_ttx_path):
    with pyumami.load(gg_ttx_path, ref_me.default_param_card()) as lib:
        assert lib.capabilities_source == "queries"
        assert lib.numbering == "current"
        assert pyumami.InputKey.MOMENTA in lib.required_inputs
        assert {
            pyumami.OutputKey.MATRIX_ELEMENT,
            pyumami.OutputKey.DIAGRAM_AMP2,
        } <= lib.supported_outputs
        assert lib.masses is not None and len(lib.masses) == lib.particle_count
        assert lib.has_parameters


def test_set_parameter_reaches_every_instance(gg_ttx_path):
    card = ref_me.default_param_card()
    with pyumami.load(gg_ttx_path, card, threads=3) as lib:
        p = two_body_events(lib.masses, 3000, sqrt_s=1000.0, seed=3)
        before = lib(p)
        assert len(lib._resources.handles) == 3
        mt = lib.get_parameter("MT")
        lib.set_parameter("MT", mt)  # same value: nothing changes
        np.testing.assert_array_equal(lib(p), before)
        width = lib.get_parameter("WT")
        lib.set_parameter("WT", 20 * width)
        assert lib.get_parameter("WT") == pytest.approx(20 * width, rel=1e-15)
        changed_threaded = lib(p)
        assert not np.array_equal(
            changed_threaded, before
        )  # the width enters the t-channel propagator
        with pyumami.load(gg_ttx_path, card, threads=1) as single:
            single.set_parameter("WT", lib.get_parameter("WT"))
            # all three instances (and the one-thread reference) see the new width
            assert changed_threaded.tobytes() == single(p).tobytes()
        with pytest.raises(pyumami.StatusError, match="umami_set_parameter.*NO_SUCH"):
            lib.set_parameter("NO_SUCH", 1.0)


def test_parameters_apply_to_instances_created_later(gg_ttx_path):
    card = ref_me.default_param_card()
    with pyumami.load(gg_ttx_path, card, threads=4) as lib:
        lib.set_parameter("aS", 0.2)  # only instance 0 exists yet
        assert len(lib._resources.handles) == 1
        p = two_body_events(lib.masses, 4000, sqrt_s=800.0, seed=4)
        threaded = lib(p)
        assert len(lib._resources.handles) == 4
        with pyumami.load(gg_ttx_path, card, threads=1) as single:
            single.set_parameter("aS", 0.2)
            assert threaded.tobytes() == single(p).tobytes()


@pytest.mark.parametrize("process", ["ee_mumu", "gg_ttx"])
def test_sampled_outputs_do_not_depend_on_the_split(process):
    path = reference_library(process)
    card = ref_me.default_param_card()
    outputs = ("matrix_element", "diagram_amp2", "helicity_index", "color_index", "diagram_index")
    rng = np.random.default_rng(7)
    with pyumami.load(path, card, threads=1) as one, pyumami.load(path, card, threads=3) as three:
        p = two_body_events(one.masses, 1500, sqrt_s=1000.0, seed=8)
        randoms = dict(
            random_helicity=rng.random(1500),
            random_color=rng.random(1500),
            random_diagram=rng.random(1500),
            alpha_s=0.118,
        )
        a = one.evaluate(p, outputs=outputs, **randoms)
        b = three.evaluate(p, outputs=outputs, **randoms)
    for name in outputs:
        assert a[name].tobytes() == b[name].tobytes(), name
    assert a["helicity_index"].dtype == np.int32
    assert np.all((a["helicity_index"] >= 0) & (a["helicity_index"] < one.helicity_count))
    assert np.all((a["diagram_index"] >= 0) & (a["diagram_index"] < one.diagram_count))
