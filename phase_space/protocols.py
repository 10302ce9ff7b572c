"""The two interfaces of the package's mappings, as `typing.Protocol` classes.

- `PhaseSpaceMapping`: a full mapping of random numbers onto momenta (RAMBO family,
  Chili, channel mappings), forward(r) -> (p, w) and inverse(p) -> (r, 1 / w).
- `InvariantMapping`: a one-dimensional mapping of one random number onto an
  invariant between per-event limits (flat, power law, Breit-Wigner).

`dim` is a plain attribute everywhere (an instance attribute set in `__init__`, or a
class attribute where it is fixed): it is known once the mapping is built and never
changes, so nothing needs a property.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeAlias, runtime_checkable

#: An array of any array-API namespace (NumPy, CuPy, JAX, PyTorch, array_api_strict).
Array: TypeAlias = Any


@runtime_checkable
class PhaseSpaceMapping(Protocol):
    """A bijection (or, for classic RAMBO, a surjection) of [0, 1)^dim onto 2 -> n momenta.

    forward(r) takes r of shape (batch, dim) and returns the momenta (batch, 2 + n, 4)
    in GeV (incoming pa, pb, then the final state) and the weight (batch,), the
    Jacobian in GeV^(2n - 4) including (2 pi)^(4 - 3n), so its mean over uniform r is
    the phase-space volume. inverse(p) returns (r, 1 / weight) from the momenta alone.
    """

    #: random numbers per event
    dim: int

    def forward(self, r: Array) -> tuple[Array, Array]: ...

    def inverse(self, p: Array) -> tuple[Array, Array]: ...


@runtime_checkable
class InvariantMapping(Protocol):
    """One random number r in [0, 1) <-> an invariant x in [x_min, x_max] (GeV^2).

    forward(r, x_min, x_max) -> (x, dx/dr); inverse(x, x_min, x_max) -> (r, dr/dx);
    density(x, x_min, x_max) -> dr/dx. Arguments broadcast against each other.
    """

    #: random numbers consumed per event
    dim: int

    def forward(self, r: Array, x_min: Array, x_max: Array) -> tuple[Array, Array]: ...

    def inverse(self, x: Array, x_min: Array, x_max: Array) -> tuple[Array, Array]: ...

    def density(self, x: Array, x_min: Array, x_max: Array) -> Array: ...
