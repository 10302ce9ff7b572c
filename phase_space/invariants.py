"""One-dimensional invariant mappings (paper Sec. 2.2.1, Eqs. 14-20).

Each mapping turns a uniform random number r in [0, 1) into an invariant x in
[x_min, x_max] (GeV^2, e.g. a squared mass s or a momentum transfer |t|) with
limits that may differ per event:

    forward(r, x_min, x_max) -> (x, w)        w = dx/dr      (GeV^2)
    inverse(x, x_min, x_max) -> (r, w_inv)    w_inv = dr/dx = 1/w  (GeV^-2)
    density(x, x_min, x_max) -> dr/dx

r, x, x_min and x_max broadcast against each other; Python floats are fine for
the limits. Everything is array-API only and free of value-dependent Python
control flow (jit-able).
"""

from __future__ import annotations

from typing import Any

from .kinematics import namespace
from .protocols import Array, InvariantMapping

#: default exponent of the power-law mapping (the paper's choice, Sec. 2.2.1)
DEFAULT_NU = 0.8
#: default auxiliary pole shift a (GeV^2) that keeps the power-law and logarithmic
#: mappings finite when the pole sits on the lower boundary (massless propagators).
#: Small against any physical cut, yet large enough that an invariant rebuilt from
#: momenta (absolute error ~1e-16 s) keeps w * w_inv = 1 to 1e-9 up to s ~ 1e8 GeV^2.
DEFAULT_AUX_MASS_SQ = 1.0
#: |1 - nu| below which the logarithmic limit (Eq. 19) replaces Eq. 18
_LOG_LIMIT = 1e-9


def _arrays(*values: Array) -> tuple[Any, list[Array]]:
    """Namespace of the array arguments, and every argument as a float64 array."""
    arrays = [v for v in values if not isinstance(v, (int, float))]
    xp = namespace(*arrays)
    return xp, [
        xp.asarray(v, dtype=xp.float64) if isinstance(v, (int, float)) else v for v in values
    ]


class FlatInvariant:
    """Uniform sampling x = x_min + (x_max - x_min) r (Eq. 20, nu = 0)."""

    dim = 1  # random numbers per event

    def forward(self, r: Array, x_min: Array, x_max: Array) -> tuple[Array, Array]:
        """x (GeV^2) and w = x_max - x_min (GeV^2)."""
        xp, (r, x_min, x_max) = _arrays(r, x_min, x_max)
        width = x_max - x_min
        return x_min + width * r, width + xp.zeros_like(r)

    def inverse(self, x: Array, x_min: Array, x_max: Array) -> tuple[Array, Array]:
        """r and dr/dx = 1 / (x_max - x_min) (GeV^-2)."""
        xp, (x, x_min, x_max) = _arrays(x, x_min, x_max)
        width = x_max - x_min
        return (x - x_min) / width, 1.0 / width + xp.zeros_like(x)

    def density(self, x: Array, x_min: Array, x_max: Array) -> Array:
        """dr/dx (GeV^-2)."""
        return self.inverse(x, x_min, x_max)[1]


class PowerLawInvariant:
    """Power-law mapping with density proportional to (x - m^2)^-nu (Eqs. 18-19).

    Parameters
    ----------
    pole:
        Position m^2 of the pole in x (GeV^2). For an s-channel propagator of
        mass m this is m^2; for the |t| of a t-channel propagator of mass m it
        is -m^2.
    nu:
        Exponent (dimensionless); nu = 0 is flat, nu = 1 the logarithmic limit
        of Eq. 19 (used whenever |nu - 1| < 1e-9).
    aux_mass_sq:
        Auxiliary shift a > 0 (GeV^2). The pole used by the mapping is
        min(pole, x_min - a), so that a massless pole on the lower boundary
        (x_min = m^2 = 0) becomes -a, as the paper prescribes, and a pole inside
        the range never produces NaN. The physical integrand is unchanged.
    """

    dim = 1  # random numbers per event

    def __init__(
        self, pole: float = 0.0, nu: float = DEFAULT_NU, aux_mass_sq: float = DEFAULT_AUX_MASS_SQ
    ) -> None:
        if aux_mass_sq <= 0.0:
            raise ValueError(
                f"aux_mass_sq must be > 0 GeV^2 (got {aux_mass_sq}); it keeps the mapping "
                "finite at massless poles, pass e.g. 1e-3"
            )
        self.pole = float(pole)
        self.nu = float(nu)
        self.aux_mass_sq = float(aux_mass_sq)
        self.logarithmic = abs(self.nu - 1.0) < _LOG_LIMIT

    def _pole(self, xp: Any, x_min: Array) -> Array:
        return xp.minimum(xp.asarray(self.pole, dtype=xp.float64), x_min - self.aux_mass_sq)

    def _span(self, xp: Any, x_min: Array, x_max: Array) -> tuple[Array, Array, Array]:
        """Shifted lower end d = x_min - pole and the mapped length L of the range.

        L = log((x_max - pole) / d) (log case) or ((x_max - pole)^e - d^e) / d^e
        (e = 1 - nu); working relative to the lower end via log1p / expm1 keeps
        r accurate even for ranges much shorter than x_min.
        """
        pole = self._pole(xp, x_min)
        d = x_min - pole
        log_ratio = xp.log1p((x_max - x_min) / d)
        if self.logarithmic:
            return pole, d, log_ratio
        return pole, d, xp.expm1((1.0 - self.nu) * log_ratio)

    def forward(self, r: Array, x_min: Array, x_max: Array) -> tuple[Array, Array]:
        """x (GeV^2) and w = dx/dr (GeV^2)."""
        xp, (r, x_min, x_max) = _arrays(r, x_min, x_max)
        _, d, length = self._span(xp, x_min, x_max)
        if self.logarithmic:
            delta = d * xp.expm1(length * r)
            return x_min + delta, (delta + d) * length
        e = 1.0 - self.nu
        v = length * r
        delta = d * xp.expm1(xp.log1p(v) / e)
        # dx/dr = (x - pole) * L / (e (1 + v)) with (1 + v) = ((x - pole)/d)^e
        return x_min + delta, (delta + d) * length / (e * (1.0 + v))

    def inverse(self, x: Array, x_min: Array, x_max: Array) -> tuple[Array, Array]:
        """r and dr/dx (GeV^-2)."""
        xp, (x, x_min, x_max) = _arrays(x, x_min, x_max)
        pole, d, length = self._span(xp, x_min, x_max)
        log_ratio = xp.log1p((x - x_min) / d)
        y = x - pole
        if self.logarithmic:
            return log_ratio / length, 1.0 / (y * length)
        e = 1.0 - self.nu
        v = xp.expm1(e * log_ratio)
        return v / length, e * (1.0 + v) / (y * length)

    def density(self, x: Array, x_min: Array, x_max: Array) -> Array:
        """dr/dx (GeV^-2)."""
        return self.inverse(x, x_min, x_max)[1]


class BreitWignerInvariant:
    """Breit-Wigner mapping for a resonance of mass m and width Gamma (Eqs. 16-17).

    Parameters: mass m (GeV) and width Gamma > 0 (GeV).
    """

    dim = 1  # random numbers per event

    def __init__(self, mass: float, width: float) -> None:
        if not width > 0.0:
            raise ValueError(
                f"BreitWignerInvariant needs a width > 0 GeV (got {width}); use "
                "PowerLawInvariant or FlatInvariant for stable propagators"
            )
        self.mass = float(mass)
        self.width = float(width)
        self._m2 = self.mass**2
        self._mg = self.mass * self.width

    def _ends(self, xp: Any, x_min: Array, x_max: Array) -> tuple[Array, Array]:
        return xp.atan((x_min - self._m2) / self._mg), xp.atan((x_max - self._m2) / self._mg)

    def forward(self, r: Array, x_min: Array, x_max: Array) -> tuple[Array, Array]:
        """x (GeV^2) and w = dx/dr (GeV^2)."""
        xp, (r, x_min, x_max) = _arrays(r, x_min, x_max)
        u1, u2 = self._ends(xp, x_min, x_max)
        x = self._mg * xp.tan(u1 + (u2 - u1) * r) + self._m2
        return x, (u2 - u1) * ((x - self._m2) ** 2 + self._mg**2) / self._mg

    def inverse(self, x: Array, x_min: Array, x_max: Array) -> tuple[Array, Array]:
        """r and dr/dx (GeV^-2)."""
        xp, (x, x_min, x_max) = _arrays(x, x_min, x_max)
        u1, u2 = self._ends(xp, x_min, x_max)
        u = xp.atan((x - self._m2) / self._mg)
        return (u - u1) / (u2 - u1), self._mg / ((u2 - u1) * ((x - self._m2) ** 2 + self._mg**2))

    def density(self, x: Array, x_min: Array, x_max: Array) -> Array:
        """dr/dx (GeV^-2)."""
        return self.inverse(x, x_min, x_max)[1]


def propagator_mapping(
    mass: float = 0.0,
    width: float = 0.0,
    nu: float = DEFAULT_NU,
    space_like: bool = False,
    aux_mass_sq: float = DEFAULT_AUX_MASS_SQ,
) -> InvariantMapping:
    """The mapping the paper uses for an invariant carried by a propagator.

    width > 0 and time-like: Breit-Wigner. Otherwise a power law with its pole at
    the propagator pole: m^2 for s (time-like), -m^2 for |t| (space_like=True).
    A stable massive time-like propagator (width 0, mass > 0) has its pole inside
    the range, which the power law cannot sample; it gets the flat mapping.
    """
    if not space_like and width > 0.0:
        return BreitWignerInvariant(mass, width)
    if space_like:
        return PowerLawInvariant(-(mass**2), nu, aux_mass_sq)
    if mass > 0.0:
        return FlatInvariant()
    return PowerLawInvariant(0.0, nu, aux_mass_sq)
