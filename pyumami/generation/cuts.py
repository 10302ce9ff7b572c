"""Cuts written as text (``--cut "pt(j) > 20"``), parsed into batched selections.

Grammar (names case-insensitive; observables and particles as in :mod:`.observables`)::

    cut        := quantified | comparison
    quantified := ('all' | 'each' | 'any') '(' comparison ')'
    comparison := [NUMBER CMP] value CMP NUMBER          CMP: < <= > >=
    value      := ('min' | 'max') '(' observable ')' | observable

Meaning, per event, over the candidates of the observable (the selected
particles, or the pairs of distinct selected particles):

- ``pt(j) > 20``, ``all(pt(j) > 20)``, ``each(pt(j) > 20)``: every candidate
  passes (an event without candidates passes, as MadGraph's cuts do);
- ``any(pt(j) > 20)``: at least one candidate passes;
- ``max(pt(j)) > 50`` / ``min(dR(j,j)) > 0.4``: the largest / smallest value
  passes (an event without candidates fails);
- ``20 < m(t,t~) < 500``: a window, both bounds on the same candidate.

Several cuts are combined with AND (:class:`Cuts`). Every cut implements the
:class:`~pyumami.generation.events.Cut` protocol: ``cut(momenta, pdg)`` -> (n,)
bool on the namespace of ``momenta``, without a loop over events.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import array_api_compat

from .events import Array
from .observables import ExpressionError, ExpressionParser, Observable

__all__ = ["Cuts", "ExpressionError", "ObservableCut", "parse_cut", "parse_cuts"]

_COMPARE: dict[str, Callable[[Array, float], Array]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}  # fmt: skip
_MIRROR = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}
_QUANTIFIERS = ("all", "each", "any")
_REDUCTIONS = ("min", "max")


@dataclass(frozen=True)
class ObservableCut:
    """``observable`` compared with bounds, quantified over its candidates.

    ``bounds`` are (operator, value) pairs with the observable on the left
    (``("<", 500.0)`` reads ``observable < 500``); ``mode`` is ``all``, ``any``,
    ``min`` or ``max`` (``each`` is read as ``all``; see the module docstring);
    ``text`` is the source.
    """

    observable: Observable
    bounds: tuple[tuple[str, float], ...]
    mode: str = "all"
    text: str = ""

    def __str__(self) -> str:
        return self.text or f"{self.mode}({self.observable} {self.bounds})"

    def _passes(self, value: Array) -> Array:
        result = None
        for op, bound in self.bounds:
            passed = _COMPARE[op](value, bound)
            result = passed if result is None else result & passed
        return result

    def __call__(self, momenta: Array, pdg: Array) -> Array:
        """(n,) bool: True where the event passes; momenta (n, npar, 4) GeV, pdg (n, npar)."""
        xp = array_api_compat.array_namespace(momenta)
        values, valid = self.observable.values(momenta, pdg)
        if self.mode in _REDUCTIONS:
            fill = math.inf if self.mode == "min" else -math.inf
            masked = xp.where(valid, values, fill)
            reduced = xp.min(masked, axis=1) if self.mode == "min" else xp.max(masked, axis=1)
            return self._passes(reduced) & xp.any(valid, axis=1)
        passed = self._passes(values)
        if self.mode == "any":
            return xp.any(passed & valid, axis=1)
        return xp.all(passed | ~valid, axis=1)


@dataclass(frozen=True)
class Cuts:
    """All of ``cuts`` (logical AND); no cuts pass every event."""

    cuts: tuple[ObservableCut, ...] = ()

    def __call__(self, momenta: Array, pdg: Array) -> Array:
        xp = array_api_compat.array_namespace(momenta)
        passed = xp.ones((momenta.shape[0],), dtype=xp.bool)
        for cut in self.cuts:
            passed = passed & cut(momenta, pdg)
        return passed

    def __len__(self) -> int:
        return len(self.cuts)

    def __str__(self) -> str:
        return " and ".join(str(c) for c in self.cuts) or "none"


def _number(parser: ExpressionParser) -> float:
    return float(parser.take("number", "a number"))


def _comparison(parser: ExpressionParser, quantified: bool) -> tuple[Observable, list, str]:
    bounds: list[tuple[str, float]] = []
    if parser.at("number"):
        lower = _number(parser)
        kind, op, _ = parser.peek()
        if kind != "op" or op not in _COMPARE:
            raise parser.fail("a comparison (<, <=, >, >=)")
        parser.index += 1
        bounds.append((_MIRROR[op], lower))
    mode = "all"
    if not quantified and parser.at("name") and parser.peek()[1].lower() in _REDUCTIONS:
        mode = parser.take("name", "min or max").lower()
        parser.take("op", "'('", "(")
        observable = parser.observable()
        parser.take("op", "')'", ")")
    else:
        observable = parser.observable()
    kind, op, _ = parser.peek()
    if kind != "op" or op not in _COMPARE:
        raise parser.fail("a comparison (<, <=, >, >=)")
    parser.index += 1
    bounds.append((op, _number(parser)))
    return observable, bounds, mode


def parse_cut(text: str, n_incoming: int = 2) -> ObservableCut:
    """Parse one cut (``"pt(j) > 20"``, ``"any(abseta(l) < 2.5)"``, ``"min(dR(j,j)) > 0.4"``).

    Raises :class:`ExpressionError` (a ``ValueError``) naming the position and
    what was expected there; unknown particles and PDG ids are reported the same way.
    """
    parser = ExpressionParser(text, n_incoming)
    if not parser.tokens:
        raise ExpressionError(text, 0, "a cut such as 'pt(j) > 20'")
    mode = "all"
    kind, value, _ = parser.peek()
    quantified = (
        kind == "name"
        and value.lower() in _QUANTIFIERS
        and (parser.index + 1 < len(parser.tokens) and parser.tokens[parser.index + 1][1] == "(")
    )
    if quantified:
        mode = parser.take("name", "all, each or any").lower().replace("each", "all")
        parser.take("op", "'('", "(")
    observable, bounds, value_mode = _comparison(parser, quantified)
    if quantified:
        parser.take("op", "')'", ")")
    else:
        mode = value_mode
    parser.end()
    return ObservableCut(observable, tuple(bounds), mode, text.strip())


def parse_cuts(texts: Iterable[str] | None, n_incoming: int = 2) -> Cuts:
    """Parse every cut of ``texts`` (CLI ``--cut`` values, run-card ``cuts``) into one :class:`Cuts`."""
    return Cuts(tuple(parse_cut(t, n_incoming) for t in (texts or ())))
