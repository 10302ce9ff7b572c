"""Invertible phase-space mappings written once against the Python array API.

The same code runs on NumPy, CuPy, JAX (jit, grad) and PyTorch: every function
takes its namespace from its array arguments. Every mapping offers
``forward(r) -> (x, w)`` and ``inverse(x) -> (r, w_inv)`` with ``w`` the exact
Jacobian and ``w_inv = 1 / w`` computed from ``x`` alone; full 2 -> n mappings
include the (2 pi) factors, so their mean weight is the phase-space volume.

User guide: docs/phase_space.md (RAMBO family, FastRambo, Chili, random numbers)
and docs/phase_space_blocks.md (invariants, luminosity, two- and three-body
blocks, topologies and channel mappings).
"""

from .channels import ChannelMapping, HadronicChannelMapping
from .chili import Chili, chili_massless_volume
from .errors import (
    BelowThresholdError,
    InputDtypeError,
    JaxPrecisionError,
    LuminosityError,
    MomentumShapeError,
    PhaseSpaceError,
    RandomRangeError,
    RandomShapeError,
    TopologyError,
    UnsupportedRandomSourceError,
)
from .fast_rambo import FastRambo
from .invariants import BreitWignerInvariant, FlatInvariant, PowerLawInvariant, propagator_mapping
from .luminosity import Luminosity, boost_to_cm, boost_to_lab
from .protocols import InvariantMapping, PhaseSpaceMapping
from .rambo import Rambo, RamboOnDiet, massless_volume
from .rational_quadratic import RQF_PARAMETERS, fit_rqf_parameter
from .rng import RandomSource, random_source, uniform
from .three_body import ThreeBodyDecay, three_body_volume
from .topology import Decay, Propagator, TChannel, Topology, default_t_order
from .two_body import DoubleInvariantBlock, TwoBodyDecay, TwoToTwoScattering, two_body_volume

__all__ = [  # noqa: RUF022 -- grouped by kind, as the comments say
    # full 2 -> n mappings
    "Rambo", "RamboOnDiet", "FastRambo", "Chili", "ChannelMapping", "HadronicChannelMapping",
    # building blocks
    "FlatInvariant", "PowerLawInvariant", "BreitWignerInvariant", "propagator_mapping",
    "Luminosity", "boost_to_lab", "boost_to_cm",
    "TwoBodyDecay", "TwoToTwoScattering", "DoubleInvariantBlock", "ThreeBodyDecay",
    # the interfaces they implement
    "PhaseSpaceMapping", "InvariantMapping",
    # diagram descriptions
    "Topology", "TChannel", "Decay", "Propagator", "default_t_order",
    # analytic volumes
    "massless_volume", "two_body_volume", "three_body_volume", "chili_massless_volume",
    # FastRambo's rational-quadratic parameters c_k (Table 1) and their fit (Eq. 66)
    "RQF_PARAMETERS", "fit_rqf_parameter",
    # random numbers
    "RandomSource", "random_source", "uniform",
    # errors (phase_space.errors)
    "PhaseSpaceError", "BelowThresholdError", "RandomShapeError", "RandomRangeError",
    "MomentumShapeError", "InputDtypeError", "LuminosityError", "TopologyError",
    "UnsupportedRandomSourceError", "JaxPrecisionError",
]  # fmt: skip
