"""Renormalisation/factorisation scales (MadSpace Sec. 3.2.6) and the strong coupling.

A :class:`ScaleChoice` is a fixed value in GeV or one of the dynamic choices of
MadGraph / MadSpace, computed per event from the final-state momenta:

============  =======================================================  =====================
name          definition                                               MadGraph choice
============  =======================================================  =====================
``ht``        H_T = sum_i sqrt(m_i^2 + pT_i^2), the total transverse    2 (Eq. 80)
              mass (alias ``mt``)
``ht/2``      H_T / 2                                                   3
``sqrt_shat`` sqrt(s-hat) of the incoming partons                       4
``et``        total transverse energy sum_i E_i pT_i / |p_i|            1 (Eq. 79)
============  =======================================================  =====================

:class:`CouplingChoice` gives alpha_s per event: a fixed value, or the PDF set's
alpha_s at the renormalisation scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import array_api_compat

from .errors import SettingsError
from .events import Array

__all__ = ["DEFAULT_ALPHA_S", "DYNAMIC_SCALES", "AlphaSSource", "CouplingChoice", "ScaleChoice"]

#: alpha_s without a PDF set and without an explicit value.
DEFAULT_ALPHA_S = 0.118
#: Names of the dynamic scales (aliases map onto them).
DYNAMIC_SCALES = ("ht", "ht/2", "sqrt_shat", "et")
_ALIASES = {
    "mt": "ht",
    "h_t": "ht",
    "h_t/2": "ht/2",
    "sqrt(s-hat)": "sqrt_shat",
    "sqrt_s_hat": "sqrt_shat",
    "shat": "sqrt_shat",
    "e_t": "et",
}


class AlphaSSource(Protocol):
    """What a PDF set offers for the running coupling: alphasQ(Q in GeV) batched."""

    def alphasQ(self, q: Array) -> Array: ...


@dataclass(frozen=True)
class ScaleChoice:
    """A fixed scale (``value`` in GeV) or a dynamic one (``name`` in DYNAMIC_SCALES)."""

    name: str = "fixed"
    value: float | None = None

    @classmethod
    def parse(cls, spec: float | str | ScaleChoice) -> ScaleChoice:
        """``91.188`` or ``"91.188"`` (fixed, GeV), or a dynamic name (``"ht/2"``, ...)."""
        if isinstance(spec, ScaleChoice):
            return spec
        if isinstance(spec, (int, float)) and not isinstance(spec, bool):
            value = float(spec)
        else:
            text = str(spec).strip().lower().replace(" ", "")
            text = _ALIASES.get(text, text)
            if text in DYNAMIC_SCALES:
                return cls(text)
            try:
                value = float(text)
            except ValueError:
                raise SettingsError(
                    f"unknown scale {spec!r}; give a value in GeV or one of "
                    f"{', '.join(DYNAMIC_SCALES)}"
                ) from None
        if not value > 0.0:
            raise SettingsError(f"a fixed scale must be > 0 GeV (got {value})")
        return cls("fixed", value)

    def __call__(self, momenta: Array) -> Array:
        """Scale (n,) in GeV for lab-frame momenta (n, npar, 4), incoming first."""
        xp = array_api_compat.array_namespace(momenta)
        n = momenta.shape[0]
        if self.value is not None:
            return xp.full((n,), self.value, dtype=xp.float64)
        if self.name == "sqrt_shat":
            total = momenta[:, 0, :] + momenta[:, 1, :]
            m2 = total[:, 0] ** 2 - xp.sum(total[:, 1:] ** 2, axis=-1)
            return xp.sqrt(xp.clip(m2, 0.0, None))
        final = momenta[:, 2:, :]
        pt2 = final[..., 1] ** 2 + final[..., 2] ** 2
        if self.name == "et":
            p_abs = xp.sqrt(pt2 + final[..., 3] ** 2)
            safe = xp.where(p_abs > 0.0, p_abs, 1.0)
            return xp.sum(final[..., 0] * xp.sqrt(pt2) / safe, axis=-1)
        m2 = final[..., 0] ** 2 - pt2 - final[..., 3] ** 2
        ht = xp.sum(xp.sqrt(xp.clip(m2 + pt2, 0.0, None)), axis=-1)
        return ht / 2.0 if self.name == "ht/2" else ht

    def describe(self) -> str:
        return f"fixed {self.value} GeV" if self.name == "fixed" else self.name


@dataclass(frozen=True)
class CouplingChoice:
    """alpha_s per event: ``value`` if set, else the PDF set's alpha_s(mu_R), else 0.118."""

    value: float | None = None
    pdf: AlphaSSource | None = None

    def __post_init__(self) -> None:
        if self.value is not None and not 0.0 < self.value < 1.0:
            raise SettingsError(f"alpha_s must lie in (0, 1) (got {self.value})")

    def __call__(self, scale: Array) -> Array:
        xp = array_api_compat.array_namespace(scale)
        if self.value is not None:
            return xp.full(scale.shape, self.value, dtype=xp.float64)
        if self.pdf is not None:
            return xp.asarray(self.pdf.alphasQ(scale), dtype=xp.float64)
        return xp.full(scale.shape, DEFAULT_ALPHA_S, dtype=xp.float64)

    def describe(self) -> str:
        if self.value is not None:
            return f"fixed {self.value}"
        return "PDF set alpha_s(mu_R)" if self.pdf is not None else f"fixed {DEFAULT_ALPHA_S}"
