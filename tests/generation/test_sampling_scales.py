"""Scale choices and alpha_s."""

from __future__ import annotations

import numpy as np
import pytest

from pyumami.generation.errors import SettingsError
from pyumami.generation.scales import CouplingChoice, ScaleChoice


def event() -> np.ndarray:
    """g g -> t t~ with pT = 300 GeV, m = 173, pz = +-100, boosted beams irrelevant."""
    m, pt, pz = 173.0, 300.0, 100.0
    e = np.sqrt(m * m + pt * pt + pz * pz)
    return np.array([[[e, 0, 0, e], [e, 0, 0, -e], [e, pt, 0, pz], [e, -pt, 0, -pz]]])


def test_dynamic_scales():
    p = event()
    mt = np.hypot(173.0, 300.0)
    assert ScaleChoice.parse("ht")(p)[0] == pytest.approx(2 * mt)
    assert ScaleChoice.parse("HT/2")(p)[0] == pytest.approx(mt)
    assert ScaleChoice.parse("mt")(p)[0] == pytest.approx(2 * mt)
    assert ScaleChoice.parse("sqrt_shat")(p)[0] == pytest.approx(2 * p[0, 0, 0])
    e, pabs = p[0, 2, 0], np.hypot(300.0, 100.0)
    assert ScaleChoice.parse("et")(p)[0] == pytest.approx(2 * e * 300.0 / pabs)


def test_fixed_scale():
    assert ScaleChoice.parse(91.188)(event())[0] == 91.188
    assert ScaleChoice.parse("173")(event())[0] == 173.0


@pytest.mark.parametrize("bad", ["banana", -1.0, 0])
def test_bad_scales_are_refused(bad):
    with pytest.raises(SettingsError):
        ScaleChoice.parse(bad)


class FlatAlphaS:
    def alphasQ(self, q):
        return 0.1 + 0.0 * q


def test_alpha_s_sources():
    q = np.array([10.0, 100.0])
    assert np.all(CouplingChoice()(q) == 0.118)
    assert np.all(CouplingChoice(0.2, FlatAlphaS())(q) == 0.2)
    assert np.all(CouplingChoice(None, FlatAlphaS())(q) == 0.1)
    with pytest.raises(SettingsError):
        CouplingChoice(1.5)
