"""Channels of the reference libraries derived from their diagrams."""

from __future__ import annotations

import numpy as np
import pytest

from phase_space import ChannelMapping, Decay, TChannel
from pyumami.generation.topologies import GG_TTX_DIAGRAMS, REFERENCE_CHANNELS, top_line_topology

MT = 173.0


def test_gg_ttx_diagrams_are_s_t_and_u_channel():
    s, t, u = (top_line_topology(d, (MT, MT)) for d in GG_TTX_DIAGRAMS)
    assert isinstance(s.root, Decay) and s.root.children == (0, 1)
    assert isinstance(t.root, TChannel) and t.root.legs == (0, 1)
    assert isinstance(u.root, TChannel) and u.root.legs == (1, 0)
    assert t.root.propagators[0].mass == MT


@pytest.mark.parametrize("name, n_gluons, n_diagrams", [("gg_ttxg", 1, 16), ("gg_ttxgg", 2, 123)])
def test_every_generated_diagram_gives_a_working_channel(name, n_gluons, n_diagrams):
    if name not in REFERENCE_CHANNELS:
        pytest.skip(f"ref_me has no {name}")
    masses = (MT, MT) + (0.0,) * n_gluons
    channels = REFERENCE_CHANNELS[name](masses)
    assert [c.diagrams for c in channels] == [(i,) for i in range(n_diagrams)]
    rng = np.random.default_rng(1)
    for channel in channels:
        mapping = ChannelMapping(channel.topology, 1000.0)
        p, w = mapping.forward(rng.random((50, mapping.dim)))
        balance = p[:, 0] + p[:, 1] - p[:, 2:].sum(axis=1)
        assert np.max(np.abs(balance)) < 1e-8 * 1000.0, channel.name
        m2 = p[:, 2:, 0] ** 2 - np.sum(p[:, 2:, 1:] ** 2, axis=-1)
        np.testing.assert_allclose(np.sqrt(np.clip(m2, 0, None))[:, :2], MT, rtol=1e-6)
        assert np.all(w >= 0.0) and np.mean(w > 0.0) > 0.9, channel.name
