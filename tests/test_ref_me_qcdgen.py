"""The process generator ref_me.qcdgen: exact colour algebra, the diagram enumeration
and MadGraph's diagram list (the generated libraries themselves are validated against
MadGraph's dumps in tests/test_ref_me_generated.py)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ref_me.qcdgen import colour
from ref_me.qcdgen.diagrams import (
    contact_count,
    enumerate_diagrams,
    has_contact,
    parse,
    propagators,
    signature,
)
from ref_me.qcdgen.emit import check_diagram_list, generate
from ref_me.qcdgen.processes import PROCESSES

# MadGraph's colour matrices (cf / denominator) for the same flow order (color_sum.cc of
# madgraph4gpu's gg_tt, gg_ttg and the first row of gg_ttgg), MG5_aMC 3.7.1.
MG_GG_TTX = ([[16, -2], [-2, 16]], 3)
MG_GG_TTXG = (
    [
        [64, -8, -8, 1, 1, 10],
        [-8, 64, 1, 10, -8, 1],
        [-8, 1, 64, -8, 10, 1],
        [1, 10, -8, 64, 1, -8],
        [1, -8, 10, 1, 64, -8],
        [10, 1, 1, -8, -8, 64],
    ],
    9,
)
MG_GG_TTXGG_ROW0 = (
    [
        512,
        -64,
        -64,
        8,
        8,
        80,
        -64,
        8,
        8,
        -1,
        -1,
        -10,
        8,
        -1,
        80,
        -10,
        71,
        62,
        -1,
        -10,
        -10,
        62,
        62,
        -28,
    ],
    54,
)


def scaled(matrix, denominator):
    return [[Fraction(x, denominator) for x in row] for row in matrix]


def test_colour_matrices_equal_madgraph():
    assert colour.colour_matrix(colour.flow_basis((0, 1))) == scaled(*MG_GG_TTX)
    assert colour.colour_matrix(colour.flow_basis((0, 1, 4))) == scaled(*MG_GG_TTXG)
    gram = colour.colour_matrix(colour.flow_basis((0, 1, 4, 5)))
    assert gram[0] == scaled([MG_GG_TTXGG_ROW0[0]], MG_GG_TTXGG_ROW0[1])[0]


@pytest.mark.parametrize("gluons", [(0, 1), (0, 1, 4), (0, 1, 4, 5)])
def test_colour_matrix_is_symmetric_positive_definite(gluons):
    gram = colour.colour_matrix(colour.flow_basis(gluons))
    n = len(gram)
    assert all(gram[i][j] == gram[j][i] for i in range(n) for j in range(n))
    # exact Cholesky: every pivot > 0 (the flows are linearly independent for N = 3)
    a = [row[:] for row in gram]
    for k in range(n):
        assert a[k][k] > 0
        for i in range(k + 1, n):
            f = a[i][k] / a[k][k]
            a[i] = [x - f * y for x, y in zip(a[i], a[k], strict=True)]
    # diagonal: C_F^n N with C_F = 4/3 (each flow is a product of n generators)
    assert all(gram[i][i] == Fraction(4, 3) ** len(gluons) * 3 for i in range(n))


def test_fierz_and_casimirs():
    n = colour.N_COLOURS
    # external labels are ints, summed ones str: Tr(T^a T^a) = C_F N = 4
    assert colour.inner(colour.string((7,)), colour.string((7,))) == colour.Complex(Fraction(4))
    tr = colour.Tensor(((colour.ONE, None, (("a", "b", "a", "b"),)),))
    one = colour.Tensor(((colour.ONE, None, ()),))
    assert colour.inner(one, tr) == colour.Complex(Fraction(-2, 3))  # (N^2 - 1)(-1/(4N))
    # f^{acd} f^{bcd} = N delta^{ab}: <f^{acd}|f^{acd}> = N (N^2 - 1)
    f = colour.f_abc(1, 2, 3)
    assert colour.inner(f, f) == colour.Complex(Fraction(n * (n * n - 1)))


@settings(max_examples=20, deadline=None)
@given(st.permutations([0, 1, 4]))
def test_structure_constants_act_as_commutators(order):
    # f^{a b e} T^e = -i [T^a, T^b] on the top line, for any labels
    a, b, c = order
    basis = colour.flow_basis((0, 1, 4))
    gram = colour.colour_matrix(basis)
    lhs = colour.f_abc(a, b, "e") * colour.string(("e", c))
    coeffs = colour.decompose(lhs, basis, gram)
    expected = {
        (a, b, c): colour.Complex(Fraction(0), Fraction(-1)),
        (b, a, c): colour.Complex(Fraction(0), Fraction(1)),
    }
    for flow, coeff in zip(basis, coeffs, strict=True):
        assert coeff == expected.get(flow, colour.Complex())


def test_jacobi_identity():
    # f^{abe} f^{ecd} + f^{bce} f^{ead} + f^{cae} f^{ebd} = 0 (norm of the sum vanishes)
    total = (
        colour.f_abc(1, 2, "e") * colour.f_abc("e", 3, 4)
        + colour.f_abc(2, 3, "e") * colour.f_abc("e", 1, 4)
        + colour.f_abc(3, 1, "e") * colour.f_abc("e", 2, 4)
    )
    assert colour.inner(total, total) == colour.Complex()


@pytest.mark.parametrize("gluons, count", [((0, 1), 3), ((0, 1, 4), 16), ((0, 1, 4, 5), 123)])
def test_diagram_counts_match_madgraph(gluons, count):
    diagrams = enumerate_diagrams(gluons)
    assert len(diagrams) == count
    assert len({signature(d) for d in diagrams}) == count


@pytest.mark.parametrize("name", sorted(PROCESSES))
def test_madgraph_diagram_lists_are_the_enumeration(name):
    process = PROCESSES[name]
    diagrams = check_diagram_list(process)
    assert len(diagrams) == len(process.diagrams)
    assert [signature(parse(text)) for text in process.diagrams] == [signature(d) for d in diagrams]


def test_a_wrong_diagram_list_is_refused():
    process = PROCESSES["gg_ttxg"]
    broken = type(process)(**{**process.__dict__, "diagrams": process.diagrams[:-1] + ("0 1 4",)})
    with pytest.raises(ValueError, match="differs from the enumeration"):
        check_diagram_list(broken)
    with pytest.raises(ValueError):
        parse("V(0,1")


def test_contact_diagrams():
    ttg = [parse(t) for t in PROCESSES["gg_ttxg"].diagrams]
    assert [i + 1 for i, d in enumerate(ttg) if has_contact(d)] == [16]
    ttgg = [parse(t) for t in PROCESSES["gg_ttxgg"].diagrams]
    assert sum(has_contact(d) for d in ttgg) == 18


def test_generated_source_is_deterministic():
    process = PROCESSES["gg_ttxg"]
    source = generate(process)
    assert source == generate(process)
    assert "REFME_EXPORT_UMAMI(GgTtxg)" in source
    assigned = [line for line in source.splitlines() if line.strip().startswith("amp[")]
    # every diagram once in amplitudes() and once in amplitudes_at() (helicity recycling)
    expected = [f"amp[{d}]" for d in range(len(process.diagrams))] * 2
    assert [line.split("=")[0].strip() for line in assigned] == expected


@pytest.mark.parametrize("name", sorted(PROCESSES))
def test_propagators_are_the_phase_space_channels(name):
    process = PROCESSES[name]
    n = process.particles
    for text in process.diagrams:
        diagram = parse(text)
        lines = propagators(diagram, n)
        # a tree with n external legs has n - 3 internal lines, one less per 4-gluon vertex
        assert len(lines) == n - 3 - contact_count(diagram)
        for side, pdg in lines:
            assert 0 not in side and 1 < len(side) < n - 1 and pdg in (6, 21)
            # a top line separates the top from the antitop
            assert pdg == 21 or ((2 in side) != (3 in side))
    # diagram 1 of g g > t t~ g: s-channel gluons (t t~ g) and (t t~)
    first = propagators(parse(PROCESSES["gg_ttxg"].diagrams[0]), 5)
    assert sorted((sorted(s), k) for s, k in first) == [([2, 3], 21), ([2, 3, 4], 21)]
