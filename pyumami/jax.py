"""JAX wrappers of UMAMI matrix elements: ``jax.jit``, ``jax.vmap`` and ``jax.grad``.

The matrix element runs in the compiled library through ``jax.pure_callback``;
its derivative comes from the library's gradient outputs (exact: adjoints or dual
numbers in our reference libraries) through ``jax.custom_vjp``, so JAX
never traces the physics: there is no compile step beyond the C++ build.

    >>> import jax, pyumami, pyumami.jax, ref_me        # doctest: +SKIP
    >>> jax.config.update("jax_enable_x64", True)
    >>> lib = pyumami.load(ref_me.library_path("gg_ttx"))
    >>> me = pyumami.jax.wrap(lib, parameters=("MT",))
    >>> jax.grad(lambda p, mt: me(p, mt).sum(), argnums=(0, 1))(momenta, jnp.array([173.0]))

Needs 64-bit JAX (``jax.config.update("jax_enable_x64", True)``): the UMAMI
ABI is double precision.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np

from .errors import DtypeError
from .gradients import GradientRequest, ParameterizedMatrixElement

if TYPE_CHECKING:
    from .library import MatrixElementLibrary

__all__ = ["wrap", "matrix_element"]


def _require_x64() -> None:
    if not jax.config.read("jax_enable_x64"):
        raise DtypeError(
            "pyumami.jax needs 64-bit JAX (UMAMI matrix elements are double precision); call "
            'jax.config.update("jax_enable_x64", True) before creating arrays'
        )


def wrap(
    library: MatrixElementLibrary,
    *,
    parameters: Sequence[str] = (),
    alpha_s: float | None = None,
    finite_differences: bool = False,
) -> Callable[..., jax.Array]:
    """A JAX function ``f(momenta, theta=None) -> |M|^2`` of a UMAMI library.

    Args:
        library: a loaded library offering the gradient outputs (or any
            library with ``finite_differences=True``, approximate).
        parameters: model parameters (param-card names, e.g. ("MT", "WT")) that
            ``theta`` sets, in this order.
        alpha_s: strong coupling for every event (None: the library's default).

    The returned ``f`` takes momenta of shape (..., npar, 4) float64 in GeV and
    ``theta`` of shape (len(parameters),), and returns |M|^2 of shape (...).
    It works under ``jax.jit``, ``jax.vmap`` (over momenta) and reverse-mode
    ``jax.grad``/``jax.vjp`` with respect to both arguments.
    """
    _require_x64()
    names = tuple(parameters)
    GradientRequest.parse(("momenta", *names))  # refuses duplicates early
    evaluator = ParameterizedMatrixElement(library, names, alpha_s, finite_differences)

    def _value(momenta: jax.Array, theta: jax.Array) -> jax.Array:
        shape = jax.ShapeDtypeStruct(momenta.shape[:-2], jnp.float64)
        return jax.pure_callback(evaluator.value, shape, momenta, theta, vmap_method="expand_dims")

    @jax.custom_vjp
    def f(momenta: jax.Array, theta: jax.Array) -> jax.Array:
        return _value(momenta, theta)

    def f_fwd(momenta: jax.Array, theta: jax.Array) -> tuple[jax.Array, Any]:
        shapes = (
            jax.ShapeDtypeStruct(momenta.shape[:-2], jnp.float64),
            jax.ShapeDtypeStruct(momenta.shape, jnp.float64),
            jax.ShapeDtypeStruct((*momenta.shape[:-2], len(names)), jnp.float64),
        )
        me, d_p, d_theta = jax.pure_callback(
            evaluator.value_and_grads, shapes, momenta, theta, vmap_method="expand_dims"
        )
        return me, (d_p, d_theta)

    def f_bwd(residuals: Any, cotangent: jax.Array) -> tuple[jax.Array, jax.Array]:
        d_p, d_theta = residuals
        batch_axes = tuple(range(cotangent.ndim))
        return (
            cotangent[..., None, None] * d_p,
            jnp.sum(cotangent[..., None] * d_theta, axis=batch_axes),
        )

    f.defvjp(f_fwd, f_bwd)

    def me(momenta: Any, theta: Any = None) -> jax.Array:
        p = jnp.asarray(momenta)
        if p.dtype != jnp.float64:
            raise DtypeError(f"momenta must be float64, got {p.dtype}; enable jax_enable_x64")
        t = jnp.zeros((0,), jnp.float64) if theta is None else jnp.asarray(theta, jnp.float64)
        if t.shape != (len(names),):
            raise ValueError(
                f"theta must have shape ({len(names)},) for parameters {names}, got {t.shape}"
            )
        return f(p, t)

    return me


def matrix_element(
    library: MatrixElementLibrary,
    sqrt_s: float,
    parameters: Sequence[str] = (),
    *,
    alpha_s: float | None = None,
    mass_parameters: dict[str, Sequence[int]] | None = None,
    finite_differences: bool = False,
) -> Callable[[dict[str, Any], Any], tuple[jax.Array, dict[str, jax.Array]]]:
    """MadJax's entry point: ``f(params, hypercube_coords) -> (value, grads)``.

    The phase-space point comes from ``phase_space.RamboOnDiet`` (exactly
    invertible and differentiable in JAX) at centre-of-mass energy ``sqrt_s``
    (GeV) with the final-state masses of the library; a parameter listed in
    ``mass_parameters`` (name -> particle indices, e.g. {"MT": (2, 3)}) also sets
    those particles' masses, so its gradient is the total derivative through
    the phase-space point as well.

    Returns f with ``params`` a dict {name: value} over ``parameters`` and
    ``hypercube_coords`` of shape (dim,) or (n, dim) in [0, 1); ``value`` is
    |M|^2 (GeV^(4-2k)), ``grads`` has d value / d name for each parameter and
    "coords": d value / d coords, of the shapes of value and coords.
    """
    from phase_space import RamboOnDiet

    names = tuple(parameters)
    me = wrap(library, parameters=names, alpha_s=alpha_s, finite_differences=finite_differences)
    masses = np.asarray(library.masses, dtype=np.float64)
    links = {name: tuple(idx) for name, idx in (mass_parameters or {}).items()}
    for name, indices in links.items():
        if name not in names:
            raise ValueError(f"mass parameter {name!r} is not among parameters {names}")
        if any(i < 2 or i >= masses.shape[0] for i in indices):
            raise ValueError(f"mass parameter {name!r}: particle indices must be final-state (2..)")

    def final_masses(params: dict[str, Any]) -> Any:
        if not links:
            return masses[2:]
        m = jnp.asarray(masses[2:])
        for name, indices in links.items():
            m = m.at[jnp.asarray(indices) - 2].set(params[name])
        return m

    def value(params: dict[str, Any], coords: jax.Array) -> jax.Array:
        """|M|^2 of one point: coords of shape (dim,)."""
        momenta, _ = RamboOnDiet(final_masses(params), sqrt_s).forward(coords[None, :])
        theta = jnp.stack([jnp.asarray(params[n], jnp.float64) for n in names]) if names else None
        return me(momenta, theta)[0]

    value_and_grad = jax.value_and_grad(value, argnums=(0, 1))
    batched = jax.jit(jax.vmap(value_and_grad, in_axes=(None, 0)))
    value_and_grad = jax.jit(value_and_grad)

    def f(params: dict[str, Any], coords: Any) -> tuple[jax.Array, dict[str, jax.Array]]:
        missing = [name for name in names if name not in params]
        if missing:
            raise KeyError(f"params lacks {missing}; give a value for each of {names}")
        c = jnp.asarray(coords, jnp.float64)
        if c.ndim not in (1, 2):
            raise ValueError(f"hypercube_coords must have shape (dim,) or (n, dim), got {c.shape}")
        val, (d_params, d_coords) = (value_and_grad if c.ndim == 1 else batched)(
            {name: params[name] for name in names}, c
        )
        return val, {**{name: d_params[name] for name in names}, "coords": d_coords}

    return f
