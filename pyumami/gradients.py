"""Gradients of matrix elements: d|M|^2/dp and d|M|^2/d(model parameter).

A library that offers the gradient extension outputs of umami.h
(``momentum_gradient``, ``parameter_gradient``; our reference libraries
compute them through the same C++ core as the matrix element, in reverse mode or
with forward-mode dual numbers: docs/gradients.md) is differentiated exactly. Any other library can be
differentiated approximately by central finite differences, on request only
(``finite_differences=True``): shifted momenta and shifted parameters
(through ``umami_set_parameter``), documented as approximate.

Every gradient is the partial derivative of the function the library computes,
|M|^2(p_0, ..., p_{n-1}; theta): momenta components are independent variables
(no on-shell or conservation constraint is imposed), parameters are held at
their current values otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import GradientNotSupportedError

if TYPE_CHECKING:
    from .library import MatrixElementLibrary

__all__ = [
    "GradientRequest",
    "ParameterizedMatrixElement",
    "gradient",
    "finite_difference_gradient",
]

#: Name under which ``gradient`` returns d|M|^2/dp.
MOMENTA = "momenta"


@dataclass(frozen=True)
class GradientRequest:
    """What to differentiate: the momenta and/or named model parameters."""

    momenta: bool
    parameters: tuple[str, ...]

    @classmethod
    def parse(cls, wrt: str | Sequence[str]) -> GradientRequest:
        names = (wrt,) if isinstance(wrt, str) else tuple(wrt)
        if not names:
            raise ValueError("wrt is empty: name 'momenta' and/or model parameters such as 'MT'")
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ValueError(f"wrt names {sorted(duplicates)} more than once; name each once")
        return cls(MOMENTA in names, tuple(n for n in names if n != MOMENTA))


def gradient(
    library: MatrixElementLibrary,
    momenta: Any,
    wrt: str | Sequence[str] = (MOMENTA,),
    *,
    alpha_s: Any = None,
    finite_differences: bool = False,
    **inputs: Any,
) -> dict[str, np.ndarray]:
    """|M|^2 and its gradients for a batch of events.

    Args:
        library: a loaded UMAMI library.
        momenta: (n, npar, 4) float64 GeV, as for ``library.evaluate``.
        wrt: "momenta" and/or model-parameter names (param-card names, e.g. "MT").
        alpha_s: strong coupling, scalar or per event (None: the library's default).
        finite_differences: allow central finite differences for what the
            library cannot differentiate itself (approximate; see
            :func:`finite_difference_gradient`).
        inputs: further per-event inputs of ``library.evaluate`` (e.g. flavor=).

    Returns:
        {"matrix_element": (n,) GeV^(4-2k),
         "momenta": (n, npar, 4) d|M|^2/dp^mu in GeV^(3-2k) (if asked),
         name: (n,) d|M|^2/d(name) per parameter asked}.

    Raises:
        GradientNotSupportedError: the library offers no gradient for something
            asked and ``finite_differences`` is False.
    """
    request = GradientRequest.parse(wrt)
    native = set(library.gradient_parameters)
    unknown = [name for name in request.parameters if name not in native]
    momenta_native = library.offers_momentum_gradient
    if not finite_differences and (unknown or (request.momenta and not momenta_native)):
        missing = (["momenta"] if request.momenta and not momenta_native else []) + unknown
        offered = (["momenta"] if momenta_native else []) + sorted(native)
        raise GradientNotSupportedError(
            f"{library.path} offers no gradient with respect to {', '.join(missing)} "
            f"(it offers: {', '.join(offered) or 'none'}); pass finite_differences=True for "
            f"central finite differences (approximate), or use a library with the gradient outputs"
        )
    result: dict[str, np.ndarray] = {}
    outputs = ["matrix_element"]
    if request.momenta and momenta_native:
        outputs.append("momentum_gradient")
    native_asked = [name for name in request.parameters if name in native]
    # One output per parameter where the library offers it: it then differentiates
    # only those asked (one dual direction for one parameter).
    one_by_one = set(native_asked) <= set(library.parameter_derivatives)
    if native_asked:
        outputs += (
            [f"parameter_derivative:{name}" for name in native_asked]
            if one_by_one
            else ["parameter_gradient"]
        )
    out = library.evaluate(momenta, alpha_s=alpha_s, outputs=tuple(outputs), **inputs)
    result["matrix_element"] = out["matrix_element"]
    if "momentum_gradient" in out:
        result[MOMENTA] = out["momentum_gradient"]
    for name in native_asked:
        result[name] = (
            out[f"parameter_derivative:{name}"]
            if one_by_one
            else out["parameter_gradient"][:, library.gradient_parameters.index(name)]
        )
    fd_request = GradientRequest(
        request.momenta and not momenta_native,
        tuple(n for n in request.parameters if n not in native),
    )
    if fd_request.momenta or fd_request.parameters:
        result.update(
            finite_difference_gradient(library, momenta, fd_request, alpha_s=alpha_s, **inputs)
        )
    return result


def finite_difference_gradient(
    library: MatrixElementLibrary,
    momenta: Any,
    request: GradientRequest,
    *,
    alpha_s: Any = None,
    relative_step: float = 1e-5,
    **inputs: Any,
) -> dict[str, np.ndarray]:
    """Central finite differences of |M|^2 (approximate: truncation error
    O(step^2), rounding error O(eps/step); about 1e-8 relative at the default
    step for smooth matrix elements).

    Momentum components are shifted by ``relative_step`` times the event's
    largest energy, all 8 npar shifted copies of the batch in one library call;
    parameters by ``relative_step`` times their value (absolute for a zero value)
    through ``set_parameter``, restored afterwards even if a call fails.
    """
    p = np.asarray(momenta, dtype=np.float64)
    n, npar, _ = p.shape
    per_event = {k: v for k, v in inputs.items() if v is not None}
    result: dict[str, np.ndarray] = {}
    if request.momenta:
        h = relative_step * np.max(p[:, :, 0], axis=1)  # (n,) GeV
        directions = np.eye(npar * 4).reshape(npar * 4, 1, npar, 4)
        shifted = np.concatenate(
            [
                p[None] + directions * h[None, :, None, None],
                p[None] - directions * h[None, :, None, None],
            ]
        ).reshape(-1, npar, 4)
        tiled = {k: _tile(v, n, 2 * npar * 4) for k, v in per_event.items()}
        me = library(shifted, alpha_s=_tile(alpha_s, n, 2 * npar * 4), **tiled)
        me = me.reshape(2, npar * 4, n)
        result[MOMENTA] = ((me[0] - me[1]) / (2.0 * h)).T.reshape(n, npar, 4)
    for name in request.parameters:
        value = library.get_parameter(name)
        if isinstance(value, complex):
            raise GradientNotSupportedError(
                f"parameter {name!r} is complex ({value}); finite differences need a real parameter"
            )
        step = relative_step * abs(value) if value != 0.0 else relative_step
        try:
            library.set_parameter(name, value + step)
            up = library(p, alpha_s=alpha_s, **per_event)
            library.set_parameter(name, value - step)
            down = library(p, alpha_s=alpha_s, **per_event)
        finally:
            library.set_parameter(name, value)
        result[name] = (up - down) / (2.0 * step)
    return result


def _tile(value: Any, n: int, copies: int) -> Any:
    """A per-event input repeated for each shifted copy of the batch (scalars stay)."""
    if value is None or np.ndim(value) == 0:
        return value
    return np.tile(np.asarray(value), copies)


class ParameterizedMatrixElement:
    """|M|^2 as a function of momenta and of a vector of model parameters: the
    host side of the JAX and PyTorch wrappers (sets the parameters, evaluates,
    differentiates). Momenta may carry any leading batch shape (..., npar, 4).

    Parameter values arrive as one (k,) array shared by the whole batch, since
    a library holds one value per instance; a vmap over different parameter
    values is refused with a clear error rather than evaluated wrongly.
    """

    def __init__(
        self,
        library: MatrixElementLibrary,
        parameters: tuple[str, ...],
        alpha_s: float | None,
        finite_differences: bool,
    ) -> None:
        self.library = library
        self.parameters = parameters
        self.alpha_s = alpha_s
        self.finite_differences = finite_differences

    def _set(self, theta: np.ndarray) -> None:
        rows = np.asarray(theta, dtype=np.float64).reshape(-1, len(self.parameters))
        if rows.shape[0] > 1 and not np.all(rows == rows[:1]):
            raise ValueError(
                "one call received several values of the model parameters (a vmap over "
                "parameters): a library holds one value at a time; vmap over momenta only"
            )
        for name, value in zip(self.parameters, rows[0], strict=True):
            self.library.set_parameter(name, float(value))

    def value(self, momenta: np.ndarray, theta: np.ndarray) -> np.ndarray:
        if self.parameters:
            self._set(theta)
        p = np.asarray(momenta, dtype=np.float64)
        flat = p.reshape(-1, *p.shape[-2:])
        return np.asarray(self.library(flat, alpha_s=self.alpha_s)).reshape(p.shape[:-2])

    def value_and_grads(
        self, momenta: np.ndarray, theta: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.parameters:
            self._set(theta)
        p = np.asarray(momenta, dtype=np.float64)
        flat = p.reshape(-1, *p.shape[-2:])
        out = gradient(
            self.library,
            flat,
            ("momenta", *self.parameters),
            alpha_s=self.alpha_s,
            finite_differences=self.finite_differences,
        )
        batch = p.shape[:-2]
        d_theta = (
            np.stack([out[name] for name in self.parameters], axis=-1)
            if self.parameters
            else np.zeros((flat.shape[0], 0))
        )
        return (
            out["matrix_element"].reshape(batch),
            out["momenta"].reshape(p.shape),
            d_theta.reshape(*batch, len(self.parameters)),
        )
