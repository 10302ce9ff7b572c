"""Exact SU(3) colour algebra for one quark line and gluons (stdlib only).

A colour tensor is a sum of terms ``coefficient x product of factors``; a factor is
an open string ``(T^a1 ... T^an)_{i j}`` (i the quark end, j the antiquark end) or a
closed trace ``Tr(T^a1 ... T^an)``. Labels are external gluons (int) or internal
summed gluons (str). Contractions are done with the Fierz identity
``T^a_ij T^a_kl = 1/2 (d_il d_kj - 1/N d_ij d_kl)`` and ``Tr(1) = N``, in exact
rational arithmetic (N = 3), so the colour matrix and the decomposition of every
diagram on the colour-flow basis are exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from itertools import permutations

N_COLOURS = 3
HALF = Fraction(1, 2)


@dataclass(frozen=True)
class Complex:
    """A complex number with rational parts."""

    re: Fraction = Fraction(0)
    im: Fraction = Fraction(0)

    def __add__(self, other: Complex) -> Complex:
        return Complex(self.re + other.re, self.im + other.im)

    def __mul__(self, other: Complex) -> Complex:
        return Complex(
            self.re * other.re - self.im * other.im, self.re * other.im + self.im * other.re
        )

    def scale(self, s: Fraction) -> Complex:
        return Complex(self.re * s, self.im * s)

    def conj(self) -> Complex:
        return Complex(self.re, -self.im)

    def __bool__(self) -> bool:
        return self.re != 0 or self.im != 0


ONE = Complex(Fraction(1))


Word = tuple  # labels of a string of generators, left to right


@dataclass(frozen=True)
class Tensor:
    """Sum of terms (coefficient, open string or None, closed traces)."""

    terms: tuple[tuple[Complex, Word | None, tuple[Word, ...]], ...]

    def __mul__(self, other: Tensor) -> Tensor:
        out = []
        for c1, o1, t1 in self.terms:
            for c2, o2, t2 in other.terms:
                if o1 is not None and o2 is not None:
                    raise ValueError("a product of two open strings is not a one-quark-line tensor")
                out.append((c1 * c2, o1 if o1 is not None else o2, t1 + t2))
        return Tensor(tuple(out))

    def scale(self, c: Complex) -> Tensor:
        return Tensor(tuple((c * k, o, t) for k, o, t in self.terms))

    def __add__(self, other: Tensor) -> Tensor:
        return Tensor(self.terms + other.terms)


def string(word: Word) -> Tensor:
    """(T^w1 ... T^wn)_{i j}."""
    return Tensor(((ONE, tuple(word), ()),))


def f_abc(a, b, c) -> Tensor:
    """Structure constant f^{abc} = -2i (Tr(T^a T^b T^c) - Tr(T^b T^a T^c))."""
    minus_2i = Complex(Fraction(0), Fraction(-2))
    return Tensor(
        ((minus_2i, None, ((a, b, c),)), (minus_2i.scale(Fraction(-1)), None, ((b, a, c),)))
    )


def _rotate(trace: Word) -> Word:
    """Canonical rotation (cyclicity of the trace), for memoisation."""
    if not trace:
        return trace
    keys = [repr(x) for x in trace]
    k = min(range(len(trace)), key=lambda i: keys[i:] + keys[:i])
    return trace[k:] + trace[:k]


@cache
def _contract(traces: tuple[Word, ...]) -> Fraction:
    """Value of a product of traces in which every label appears exactly twice."""
    factor = Fraction(1)
    rest = []
    for t in traces:
        if len(t) == 0:
            factor *= N_COLOURS
        elif len(t) == 1:
            return Fraction(0)
        else:
            rest.append(t)
    if not rest:
        return factor
    first = rest[0]
    label = first[0]
    n = Fraction(N_COLOURS)
    j = first.index(label, 1) if label in first[1:] else -1
    if j > 0:  # Tr(a B a C) = 1/2 (Tr B Tr C - 1/N Tr(B C))
        b, c = first[1:j], first[j + 1 :]
        others = tuple(rest[1:])
        return factor * HALF * (_value(others + (b, c)) - _value(others + (b + c,)) / n)
    for k in range(1, len(rest)):
        other = rest[k]
        if label in other:  # Tr(a B) Tr(a C) = 1/2 (Tr(B C) - 1/N Tr B Tr C)
            m = other.index(label)
            b, c = first[1:], other[m + 1 :] + other[:m]
            others = tuple(rest[1:k] + rest[k + 1 :])
            return factor * HALF * (_value(others + (b + c,)) - _value(others + (b, c)) / n)
    raise ValueError(f"label {label!r} appears once in {traces}")


def _value(traces: tuple[Word, ...]) -> Fraction:
    """Value of a product of traces; summed labels are renamed by first appearance so
    that products differing only in the names of summed labels share the cache."""
    names: dict[str, str] = {}
    renamed = tuple(
        tuple(x if isinstance(x, int) else names.setdefault(x, f"_{len(names)}") for x in t)
        for t in traces
    )
    return _contract(tuple(sorted((_rotate(t) for t in renamed), key=repr)))


def _rename(word: Word, tag: str) -> Word:
    return tuple(x if isinstance(x, int) else f"{tag}{x}" for x in word)


def inner(a: Tensor, b: Tensor) -> Complex:
    """<a|b> = sum over all colours of conj(a) b."""
    total = Complex()
    for ca, oa, ta in a.terms:
        for cb, ob, tb in b.terms:
            traces = [_rename(tuple(reversed(t)), "L") for t in ta]
            traces += [_rename(t, "R") for t in tb]
            if (oa is None) != (ob is None):
                raise ValueError("cannot contract an open string with a closed tensor")
            if oa is not None and ob is not None:
                traces.append(_rename(tuple(reversed(oa)), "L") + _rename(ob, "R"))
            v = _value(tuple(traces))
            if v:
                total = total + (ca.conj() * cb).scale(v)
    return total


def flow_basis(gluons: tuple[int, ...]) -> list[Word]:
    """The colour flows of one quark line: (T^s1 ... T^sn)_{i j} for every permutation s
    of the gluons, in lexicographic order (MadGraph's order)."""
    return [tuple(p) for p in permutations(sorted(gluons))]


def colour_matrix(basis: list[Word]) -> list[list[Fraction]]:
    """Gram matrix <flow_i|flow_j> (real and symmetric)."""
    tensors = [string(w) for w in basis]
    out = []
    for ti in tensors:
        row = []
        for tj in tensors:
            v = inner(ti, tj)
            assert v.im == 0
            row.append(v.re)
        out.append(row)
    return out


@cache
def _inverse(matrix: tuple[tuple[Fraction, ...], ...]) -> tuple[tuple[Fraction, ...], ...]:
    """Exact inverse by Gauss-Jordan elimination (computed once per colour basis)."""
    n = len(matrix)
    m = [list(row) + [Fraction(int(i == j)) for j in range(n)] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = next(r for r in range(col, n) if m[r][col] != 0)
        m[col], m[pivot] = m[pivot], m[col]
        scale = m[col][col]
        m[col] = [x / scale for x in m[col]]
        for r in range(n):
            if r != col and m[r][col] != 0:
                f = m[r][col]
                m[r] = [x - f * y for x, y in zip(m[r], m[col], strict=True)]
    return tuple(tuple(row[n:]) for row in m)


def decompose(tensor: Tensor, basis: list[Word], gram: list[list[Fraction]]) -> list[Complex]:
    """Coefficients c with tensor = sum_k c_k flow_k, checked exactly: the norm of the
    tensor must equal c^dagger G c (the tensor lies in the span of the flows)."""
    overlaps = [inner(string(w), tensor) for w in basis]
    inverse = _inverse(tuple(tuple(row) for row in gram))
    coeffs = [
        Complex(
            sum((g * o.re for g, o in zip(row, overlaps, strict=True)), Fraction(0)),
            sum((g * o.im for g, o in zip(row, overlaps, strict=True)), Fraction(0)),
        )
        for row in inverse
    ]
    norm = inner(tensor, tensor)
    recon = Complex()
    for ci, gi in zip(coeffs, gram, strict=True):
        for cj, g in zip(coeffs, gi, strict=True):
            recon = recon + (ci.conj() * cj).scale(g)
    if recon != norm:
        raise ArithmeticError("colour tensor outside the span of the colour flows")
    return coeffs
