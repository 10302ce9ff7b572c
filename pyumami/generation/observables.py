"""Particle selections and kinematic observables of a batch of events.

A *selection* picks final-state particles by PDG id, by name (``t~``, ``e+``,
``mu-``, MadGraph names included) or by class (``j`` jets, ``l`` leptons, ...);
an *observable* is a function of the selected momenta, evaluated for a whole
batch at once on the array API (NumPy, CuPy, ...):

=================  ==============================================  ========
name               value                                           unit
=================  ==============================================  ========
``pt``             transverse momentum                             GeV
``e``              energy                                          GeV
``px py pz``       momentum components                             GeV
``eta``            pseudorapidity ``asinh(pz / pt)``                -
``abseta``         ``|eta|``                                       -
``y``              rapidity ``log((E + pz) / (E - pz)) / 2``       -
``absy``           ``|y|``                                         -
``phi``            azimuth in (-pi, pi]                            rad
``m``              invariant mass ``sqrt(max(E^2 - p^2, 0))``      GeV
``dr``             ``sqrt(deta^2 + dphi^2)`` (pseudorapidity)      -
``dphi``           ``|phi_a - phi_b|`` folded into [0, pi]         rad
``deta``, ``dy``   ``|eta_a - eta_b|``, ``|y_a - y_b|``            -
``shat``           ``(p_1 + p_2)^2`` of the incoming partons       GeV^2
``sqrtshat``       ``sqrt(shat)``                                  GeV
``ht``             scalar sum of the final-state pT                GeV
=================  ==============================================  ========

The one-particle observables (``pt`` ... ``m``) take one selection (``pt(j)``:
every selected particle) or two (``m(t,t~)``: the summed momentum of every pair of
distinct particles, one from each selection); ``dr``, ``dphi``, ``deta`` and
``dy`` take two; ``shat``, ``sqrtshat`` and ``ht`` none. An observable evaluates
to ``(values, valid)``, both ``(n, k)``: one column per candidate particle or
pair, ``valid`` False where the candidate is not selected in that event (the
particle content can differ between events: u u~ and g g subprocesses, say).

Names are case-insensitive (``dR`` = ``dr``). Expressions are parsed by
:func:`parse_observable`; cuts (``pt(j) > 20``) live in :mod:`.cuts`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import array_api_compat

from .errors import ProcessError
from .events import Array
from .process import pdg_id

__all__ = [
    "OBSERVABLES",
    "PARTICLE_CLASSES",
    "ExpressionError",
    "Observable",
    "Selection",
    "invariant_mass",
    "parse_observable",
    "parse_selection",
]

_LIGHT_QUARKS = (1, 2, 3, 4)
#: Particle classes: name -> PDG ids (both signs where charge-conjugates belong).
#: ``j`` follows MadGraph's 4-flavour multiparticle (g, d, u, s, c and antiquarks).
PARTICLE_CLASSES: dict[str, frozenset[int]] = {
    "j": frozenset((21, *_LIGHT_QUARKS, *(-q for q in _LIGHT_QUARKS))),
    "q": frozenset((*_LIGHT_QUARKS, *(-q for q in _LIGHT_QUARKS))),
    "b": frozenset((5, -5)),
    "t": frozenset((6, -6)),
    "l": frozenset((11, -11, 13, -13, 15, -15)),
    "l+": frozenset((-11, -13, -15)),
    "l-": frozenset((11, 13, 15)),
    "nu": frozenset((12, -12, 14, -14, 16, -16)),
    "a": frozenset((22,)),
    "w": frozenset((24, -24)),
    "z": frozenset((23,)),
    "h": frozenset((25,)),
}

_ONE_PARTICLE = ("pt", "e", "px", "py", "pz", "eta", "abseta", "y", "absy", "phi", "m")
_TWO_PARTICLE = ("dr", "dphi", "deta", "dy")
_EVENT = ("shat", "sqrtshat", "ht")
#: Observable name -> allowed numbers of selections.
OBSERVABLES: dict[str, tuple[int, ...]] = {
    **{name: (1, 2) for name in _ONE_PARTICLE},
    **{name: (2,) for name in _TWO_PARTICLE},
    **{name: (0,) for name in _EVENT},
}


class ExpressionError(ValueError):
    """An observable or cut expression that cannot be parsed.

    Attributes: ``text`` (the expression), ``position`` (0-based character
    index of the problem) and ``expected`` (what the parser wanted there).
    """

    def __init__(
        self, text: str, position: int, expected: str, found: str | None = None, reason: str = ""
    ) -> None:
        self.text = text
        self.position = position
        self.expected = expected
        got = f", found {found!r}" if found else ("" if position < len(text) else ", found the end")
        why = f" ({reason})" if reason else ""
        super().__init__(
            f"in {text!r} at position {position + 1}: expected {expected}{got}{why}\n"
            f"  {text}\n  {' ' * position}^"
        )


@dataclass(frozen=True)
class Selection:
    """Particles whose PDG id is in ``pdg_ids``."""

    name: str
    pdg_ids: frozenset[int]

    def mask(self, pdg: Array) -> Array:
        """(n, k) bool: True where ``pdg`` (n, k) is selected."""
        xp = array_api_compat.array_namespace(pdg)
        selected = xp.zeros(pdg.shape, dtype=xp.bool)
        for pid in sorted(self.pdg_ids):  # a few ids, never the events
            selected = selected | (pdg == pid)
        return selected


def parse_selection(name: str) -> Selection:
    """A class name (:data:`PARTICLE_CLASSES`), particle name or PDG id as a selection.

    Class names win over particle names (``t`` is t and t~, ``b`` b and b~); a
    single charge state is named with its sign or tilde (``t~``, ``6``, ``-6``).
    Raises :class:`~.errors.ProcessError` for an unknown name or PDG id.
    """
    key = name.lower()
    if key in PARTICLE_CLASSES:
        return Selection(name, PARTICLE_CLASSES[key])
    return Selection(name, frozenset((pdg_id(name),)))


def _pt(p: Array, xp) -> Array:
    return xp.sqrt(p[..., 1] ** 2 + p[..., 2] ** 2)


def _eta(p: Array, xp) -> Array:
    pt = _pt(p, xp)
    along_beam = xp.where(p[..., 3] >= 0, xp.full_like(pt, math.inf), -math.inf)
    return xp.where(pt > 0, xp.asinh(p[..., 3] / xp.where(pt > 0, pt, 1.0)), along_beam)


def _rapidity(p: Array, xp) -> Array:
    return 0.5 * xp.log((p[..., 0] + p[..., 3]) / (p[..., 0] - p[..., 3]))


def _phi(p: Array, xp) -> Array:
    return xp.atan2(p[..., 2], p[..., 1])


def _mass(p: Array, xp) -> Array:
    m2 = p[..., 0] ** 2 - p[..., 1] ** 2 - p[..., 2] ** 2 - p[..., 3] ** 2
    return xp.sqrt(xp.clip(m2, min=0.0))


def invariant_mass(p: Array) -> Array:
    """sqrt(max(E^2 - p^2, 0)) in GeV of momenta (..., 4) = (E, px, py, pz)."""
    return _mass(p, array_api_compat.array_namespace(p))


def _one_particle(name: str, p: Array, xp) -> Array:
    if name in ("e", "px", "py", "pz"):
        return p[..., ("e", "px", "py", "pz").index(name)]
    functions = {"pt": _pt, "eta": _eta, "y": _rapidity, "phi": _phi, "m": _mass}
    if name.startswith("abs"):
        return xp.abs(functions[name[3:]](p, xp))
    return functions[name](p, xp)


def _two_particle(name: str, pa: Array, pb: Array, xp) -> Array:
    if name == "dy":
        return xp.abs(_rapidity(pa, xp) - _rapidity(pb, xp))
    deta = xp.abs(_eta(pa, xp) - _eta(pb, xp))
    if name == "deta":
        return deta
    dphi = xp.abs(_phi(pa, xp) - _phi(pb, xp))
    dphi = xp.where(dphi > math.pi, 2.0 * math.pi - dphi, dphi)
    if name == "dphi":
        return dphi
    return xp.sqrt(deta**2 + dphi**2)


@dataclass(frozen=True)
class Observable:
    """``name`` applied to ``selections`` (see the module docstring).

    The first ``n_incoming`` particles of an event (the incoming partons) are
    never candidates; they enter only ``shat`` and ``sqrtshat``.
    """

    name: str
    selections: tuple[Selection, ...] = ()
    n_incoming: int = 2

    def __post_init__(self) -> None:
        if self.name not in OBSERVABLES:
            raise KeyError(f"unknown observable {self.name!r}; known: {', '.join(OBSERVABLES)}")
        if len(self.selections) not in OBSERVABLES[self.name]:
            raise ValueError(
                f"{self.name} takes {' or '.join(map(str, OBSERVABLES[self.name]))} "
                f"selections, not {len(self.selections)}"
            )

    def __str__(self) -> str:
        return f"{self.name}({','.join(s.name for s in self.selections)})"

    def values(self, momenta: Array, pdg: Array) -> tuple[Array, Array]:
        """``(values, valid)``, both (n, k), for momenta (n, npar, 4) GeV and pdg (n, npar)."""
        xp = array_api_compat.array_namespace(momenta)
        n = momenta.shape[0]
        if not self.selections:
            return self._event_value(momenta, xp)[:, None], xp.ones((n, 1), dtype=xp.bool)
        momenta, pdg = momenta[:, self.n_incoming :, :], pdg[:, self.n_incoming :]
        npar = momenta.shape[1]
        masks = [s.mask(pdg) for s in self.selections]
        if len(self.selections) == 1:
            return _one_particle(self.name, momenta, xp), masks[0]
        pa, pb = momenta[:, :, None, :], momenta[:, None, :, :]
        distinct = ~xp.eye(npar, dtype=xp.bool)
        valid = masks[0][:, :, None] & masks[1][:, None, :] & distinct[None, :, :]
        if self.name in _TWO_PARTICLE:
            value = _two_particle(self.name, pa, pb, xp)
        else:
            value = _one_particle(self.name, pa + pb, xp)
        value = xp.broadcast_to(value, (n, npar, npar))
        return xp.reshape(value, (n, npar * npar)), xp.reshape(valid, (n, npar * npar))

    def _event_value(self, momenta: Array, xp) -> Array:
        if self.name == "ht":
            return xp.sum(_pt(momenta[:, self.n_incoming :, :], xp), axis=1)
        incoming = xp.sum(momenta[:, : self.n_incoming, :], axis=1)
        shat = incoming[:, 0] ** 2 - xp.sum(incoming[:, 1:] ** 2, axis=1)
        return shat if self.name == "shat" else xp.sqrt(xp.clip(shat, min=0.0))


_TOKEN = re.compile(
    r"\s*(?:(?P<number>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?![A-Za-z_~]))"
    r"|(?P<op><=|>=|<|>|\(|\)|,)|(?P<name>[A-Za-z0-9_~+-]+))"
)


class ExpressionParser:
    """Recursive-descent reader of observable and cut expressions (one string)."""

    def __init__(self, text: str, n_incoming: int = 2) -> None:
        self.text = text
        self.n_incoming = n_incoming
        self.tokens: list[tuple[str, str, int]] = []
        position = 0
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None or match.end() == position:
                if text[position:].strip() == "":
                    break
                position += len(text[position:]) - len(text[position:].lstrip())
                raise ExpressionError(
                    text, position, "a name, a number, a comparison or a parenthesis",
                    text[position],
                )  # fmt: skip
            kind = match.lastgroup or ""
            start = match.start(kind)
            self.tokens.append((kind, match.group(kind), start))
            position = match.end()
        self.index = 0

    def peek(self) -> tuple[str, str, int]:
        if self.index < len(self.tokens):
            return self.tokens[self.index]
        return ("end", "", len(self.text))

    def fail(self, expected: str) -> ExpressionError:
        _, value, position = self.peek()
        return ExpressionError(self.text, position, expected, value or None)

    def take(self, kind: str, expected: str, value: str | None = None) -> str:
        token_kind, token_value, _ = self.peek()
        if token_kind != kind or (value is not None and token_value != value):
            raise self.fail(expected)
        self.index += 1
        return token_value

    def at(self, kind: str, value: str | None = None) -> bool:
        token_kind, token_value, _ = self.peek()
        return token_kind == kind and (value is None or token_value == value)

    def end(self) -> None:
        if self.index != len(self.tokens):
            raise self.fail("the end of the expression")

    def observable(self) -> Observable:
        """observable := NAME [ '(' selection {',' selection} ')' ]"""
        _, _, position = self.peek()
        name = self.take("name", f"an observable ({', '.join(OBSERVABLES)})").lower()
        if name not in OBSERVABLES:
            raise ExpressionError(
                self.text, position, f"an observable ({', '.join(OBSERVABLES)})", name
            )
        selections: list[Selection] = []
        if self.at("op", "("):
            self.index += 1
            while True:
                selections.append(self.selection())
                if not self.at("op", ","):
                    break
                self.index += 1
            self.take("op", "',' or ')'", ")")
        if len(selections) not in OBSERVABLES[name]:
            counts = " or ".join(map(str, OBSERVABLES[name]))
            raise ExpressionError(
                self.text, position, f"{name} with {counts} particle selections",
                f"{name} with {len(selections)}",
            )  # fmt: skip
        return Observable(name, tuple(selections), self.n_incoming)

    def selection(self) -> Selection:
        kind, value, position = self.peek()
        expected = (
            f"a particle: a class ({', '.join(PARTICLE_CLASSES)}), a name (t~, e+, mu-, ...) "
            "or a PDG id"
        )
        if kind not in ("name", "number"):
            raise self.fail(expected)
        self.index += 1
        try:
            return parse_selection(value)
        except ProcessError as exc:
            raise ExpressionError(self.text, position, expected, value, str(exc)) from None


def parse_observable(text: str, n_incoming: int = 2) -> Observable:
    """Parse ``pt(j)``, ``m(t,t~)``, ``dR(j,j)``, ``shat`` ... into an :class:`Observable`.

    Raises :class:`ExpressionError` with the position and what was expected.
    """
    parser = ExpressionParser(text, n_incoming)
    observable = parser.observable()
    parser.end()
    return observable
