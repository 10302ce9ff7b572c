"""Imported by the checker's fork server before any fork (see
`pyumami.check.isolation.PRELOAD`): the array-API code behind the phase-space points
imports and initialises lazily on its first call, so making one tiny batch here
saves every probe's child that cost."""

import numpy as np

from pyumami.check.points import phase_space_points, random_lorentz_transform

_warm = phase_space_points(np.array([0.0, 0.0, 1.0, 1.0]), 10.0, 2, 0)
random_lorentz_transform(_warm, 0, along_beam=True)
random_lorentz_transform(_warm, 0, along_beam=False)
