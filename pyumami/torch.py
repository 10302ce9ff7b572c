"""PyTorch wrapper of UMAMI matrix elements: a ``torch.autograd.Function``.

    >>> import torch, pyumami, pyumami.torch, ref_me          # doctest: +SKIP
    >>> lib = pyumami.load(ref_me.library_path("gg_ttx"))
    >>> me = pyumami.torch.wrap(lib, parameters=("MT",))
    >>> p = momenta_tensor.requires_grad_()
    >>> mt = torch.tensor([173.0], dtype=torch.float64, requires_grad=True)
    >>> me(p, mt).sum().backward()         # p.grad: d|M|^2/dp, mt.grad: d|M|^2/dMT

The matrix element and its gradient come from the library (its gradient
outputs, or central finite differences with ``finite_differences=True``);
results come back as float64 tensors on the input's device. A flow trained in
PyTorch can use the ME and its gradient in its loss (force matching).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from .errors import DtypeError
from .gradients import GradientRequest, ParameterizedMatrixElement

if TYPE_CHECKING:
    from .library import MatrixElementLibrary

__all__ = ["wrap"]


def _to_host(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().to("cpu").numpy()


class _MatrixElement(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any, momenta: torch.Tensor, theta: torch.Tensor, source: ParameterizedMatrixElement
    ) -> torch.Tensor:
        p, t = _to_host(momenta), _to_host(theta)
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            me, d_p, d_theta = source.value_and_grads(p, t)
            ctx.save_for_backward(
                torch.as_tensor(d_p, device=momenta.device),
                torch.as_tensor(d_theta, device=momenta.device),
            )
        else:
            me = source.value(p, t)
        return torch.as_tensor(me, device=momenta.device)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> tuple[Any, ...]:
        d_p, d_theta = ctx.saved_tensors
        grad_p = grad_output[..., None, None] * d_p
        grad_theta = (grad_output[..., None] * d_theta).reshape(-1, d_theta.shape[-1]).sum(dim=0)
        return grad_p, grad_theta, None


def wrap(
    library: MatrixElementLibrary,
    *,
    parameters: Sequence[str] = (),
    alpha_s: float | None = None,
    finite_differences: bool = False,
) -> Callable[..., torch.Tensor]:
    """A differentiable ``f(momenta, theta=None) -> |M|^2`` on torch tensors.

    Args:
        library: a loaded library offering the gradient outputs (or any
            library with ``finite_differences=True``, approximate).
        parameters: model parameters (param-card names) that ``theta`` sets.
        alpha_s: strong coupling for every event (None: the library's default).

    ``momenta``: float64 tensor (..., npar, 4) in GeV; ``theta``: float64 tensor
    of shape (len(parameters),). Returns |M|^2 of shape (...), on the momenta's
    device; ``backward`` fills the gradients of both.
    """
    names = tuple(parameters)
    GradientRequest.parse(("momenta", *names))
    source = ParameterizedMatrixElement(library, names, alpha_s, finite_differences)

    def me(momenta: torch.Tensor, theta: torch.Tensor | None = None) -> torch.Tensor:
        if momenta.dtype != torch.float64:
            raise DtypeError(
                f"momenta must be a float64 tensor, got {momenta.dtype}; use "
                f"momenta.to(torch.float64) (UMAMI matrix elements are double precision)"
            )
        t = (
            torch.zeros(0, dtype=torch.float64, device=momenta.device)
            if theta is None
            else theta.to(torch.float64)
        )
        if tuple(t.shape) != (len(names),):
            raise ValueError(
                f"theta must have shape ({len(names)},) for parameters {names}, "
                f"got {tuple(t.shape)}"
            )
        return _MatrixElement.apply(momenta, t, source)

    return me
