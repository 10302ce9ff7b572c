"""C++ source of a generated process: the traits struct that refme/umami_glue.h expects.

Amplitudes are built HELAS-style: gluon currents from the three- and four-gluon
vertices, the top line from the top end with off-shell top propagators, and the
last vertex as an FFV amplitude, so every diagram (and every colour structure of
a four-gluon vertex) is one complex number. Wavefunctions shared by several
diagrams are computed once. Each colour-flow amplitude (jamp) is the exact sum of
the diagrams' colour coefficients times their amplitudes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import partial
from math import lcm

from . import colour
from .diagrams import (
    CONTACT_STRUCTURES,
    contact_count,
    enumerate_diagrams,
    has_contact,
    parse,
    signature,
)
from .processes import Process

IDENTITY = colour.Tensor(((colour.ONE, None, ()),))


# Four-gluon structures as two pairings of the legs (1 2 3 4): VVVVn = pairing A - pairing B.
_PAIRINGS = {
    1: ({0: 3, 3: 0, 1: 2, 2: 1}, {0: 2, 2: 0, 1: 3, 3: 1}),  # g14 g23 - g13 g24
    3: ({0: 3, 3: 0, 1: 2, 2: 1}, {0: 1, 1: 0, 2: 3, 3: 2}),  # g14 g23 - g12 g34
    4: ({0: 2, 2: 0, 1: 3, 3: 1}, {0: 1, 1: 0, 2: 3, 3: 2}),
}  # g13 g24 - g12 g34


@dataclass
class _Vertex:
    kind: str  # "Q" (t-t-g: legs top side, antitop side, gluon), "V" (legs e, x, y), "X"
    legs: list[int]  # edge ids; V carries colour f^{e x y}, X the structure `structure`
    structure: int = 0


@dataclass
class _Graph:
    """One diagram (one four-gluon structure per contact vertex) as vertices and edges."""

    n_particles: int
    vertices: list[_Vertex] = field(default_factory=list)
    line: list[int] = field(default_factory=list)  # gluon edges on the top line, top first
    edges: int = 0

    def edge(self) -> int:
        self.edges += 1
        return self.edges - 1

    def label(self, edge: int):
        """Colour label of an edge: the particle index for external gluons."""
        return edge if edge < self.n_particles else f"e{edge}"

    def colour(self) -> colour.Tensor:
        """Colour tensor from the vertices: f^{legs} for V, MadGraph's structure on
        (e, x, y, z) for X, and the string of generators along the top line."""
        tensor = colour.string(tuple(self.label(e) for e in self.line))
        for vert in self.vertices:
            labels = [self.label(e) for e in vert.legs]
            if vert.kind == "V":
                tensor = tensor * colour.f_abc(*labels)
            elif vert.kind == "X":
                e, x, y, z = labels
                s = f"s{vert.legs[0]}"  # f(-1,1,a) f(b,c,-1) with -1 the summed label s
                first, second = {1: ((e, x), (y, z)), 3: ((e, y), (x, z)), 4: ((e, z), (x, y))}[
                    vert.structure
                ]
                tensor = tensor * colour.f_abc(s, *first) * colour.f_abc(*second, s)
        return tensor


def _build_graph(diagram, variant: tuple[int, ...], n_particles: int) -> _Graph:
    g = _Graph(n_particles, edges=n_particles)

    def tree_edge(tree, rest):
        if isinstance(tree, int):
            return tree, rest
        kids = []
        for kid in tree[1:]:
            e, rest = tree_edge(kid, rest)
            kids.append(e)
        out = g.edge()
        if tree[0] == "V":
            g.vertices.append(_Vertex("V", [out, *kids]))
        else:
            g.vertices.append(_Vertex("X", [out, *kids], rest[0]))
            rest = rest[1:]
        return out, rest

    rest = variant
    for tree in diagram:
        e, rest = tree_edge(tree, rest)
        g.line.append(e)
    top = 2  # the top line from the top (particle 2) to the antitop (particle 3)
    for k, e in enumerate(g.line):
        nxt = 3 if k == len(g.line) - 1 else g.edge()
        g.vertices.append(_Vertex("Q", [top, nxt, e]))
        top = nxt
    return g


def _external_particles(g: _Graph, n_particles: int) -> dict[tuple[int, int], frozenset]:
    """Particles behind each (vertex, leg) as seen from the vertex."""
    ends: dict[int, list[int]] = {}
    for v, vert in enumerate(g.vertices):
        for e in vert.legs:
            ends.setdefault(e, []).append(v)
    memo: dict[tuple[int, int], frozenset] = {}

    def behind(v: int, e: int) -> frozenset:
        if (v, e) not in memo:
            if e < n_particles:
                memo[(v, e)] = frozenset((e,))
            else:
                other = next(u for u in ends[e] if u != v)
                memo[(v, e)] = frozenset().union(
                    *(behind(other, f) for f in g.vertices[other].legs if f != e)
                )
        return memo[(v, e)]

    return {(v, e): behind(v, e) for v, vert in enumerate(g.vertices) for e in vert.legs}


class _Emitter:
    """Wavefunction statements shared by all diagrams, memoised by their call."""

    def __init__(self, n_particles: int) -> None:
        self.lines: list[str] = []
        self.names: dict[str, str] = {}
        self.calls: dict[str, str] = {}  # current name -> its call
        # external particles each wavefunction depends on (its helicity depends on theirs)
        self.legs: dict[str, tuple[int, ...]] = {f"w{i}": (i,) for i in range(n_particles)}

    def wavefunction(self, call: str) -> str:
        """An internal current (refme Wf): v0, v1, ..."""
        return self._memo(call, "v", "Wf<F>")

    def open_leg(self, call: str) -> str:
        """An amplitude with one leg open (refme OpenLeg): o0, o1, ..."""
        return self._memo(call, "o", "OpenLeg<F>")

    def _memo(self, call: str, prefix: str, kind: str) -> str:
        """Name of the statement `call`, emitted on first use, with the external
        particles it depends on."""
        if call not in self.names:
            name = f"{prefix}{sum(n.startswith(prefix) for n in self.names.values())}"
            self.names[call] = name
            self.calls[name] = call
            used = re.findall(r"\b[wv][0-9]+\b", call)
            self.legs[name] = tuple(sorted(set().union(*(self.legs[u] for u in used))))
            self.lines.append(f"const {kind} {name} = {call};")
        return self.names[call]

    def evaluate(self, g: _Graph, n_particles: int) -> str:
        """Peels the diagram as MadGraph orders its HELAS calls: in each round every
        vertex with all but one leg known becomes an off-shell wavefunction; the last
        vertex is the amplitude. When the last two vertices are both ready, the one
        whose off-shell line carries particle 0 is computed first. Returns the C++
        expression of the amplitude."""
        known: dict[int, str] = {i: f"w{i}" for i in range(n_particles)}
        made_in: dict[int, int] = {i: 0 for i in range(n_particles)}  # round of each line
        behind = _external_particles(g, n_particles)
        pending = set(range(len(g.vertices)))
        rnd = 0
        while len(pending) > 1:
            rnd += 1
            ready = {
                v: next(e for e in g.vertices[v].legs if e not in known)
                for v in pending
                if sum(e not in known for e in g.vertices[v].legs) == 1
            }
            if len(ready) == len(pending):  # two vertices left: compute one, keep the other
                v = next(
                    v
                    for v, out in ready.items()
                    if 0
                    in frozenset().union(*(behind[(v, e)] for e in g.vertices[v].legs if e != out))
                )
                ready = {v: ready[v]}
            for v, out in ready.items():
                known[out] = self.wavefunction(self._offshell(g.vertices[v], out, known))
                made_in[out] = rnd
                pending.discard(v)
        v_last = pending.pop()
        last = g.vertices[v_last]
        if last.kind == "V":
            # MadGraph's argument order (rounding only; f and VVV1 permute together):
            # lines by their lowest particle, those made after the first round last.
            last.legs.sort(key=lambda e: (made_in[e] >= 2, min(behind[(v_last, e)])))
        return self._amplitude(last, known)

    @staticmethod
    def _offshell(vert: _Vertex, out: int, w: dict[int, str]) -> str:
        legs = vert.legs
        if vert.kind == "Q":
            top, tbar, glu = legs
            if out == tbar:
                return f"ffv_offshell_fo({w[top]}, {w[glu]}, gtt, c.mt, c.wt)"
            if out == top:
                return f"ffv_offshell_fi({w[tbar]}, {w[glu]}, gtt, c.mt, c.wt)"
            return f"ffv_offshell_vector({w[tbar]}, {w[top]}, gtt, 0.0, 0.0)"
        k = legs.index(out)
        if vert.kind == "V":  # off-shell leg k from the next two in cyclic order of f^{e x y}
            return (
                f"vvv1_offshell({w[legs[(k + 1) % 3]]}, {w[legs[(k + 2) % 3]]}, c.gc_10, 0.0, 0.0)"
            )
        x, y, z = _contact_arguments(vert.structure, k)
        return f"vvvv_offshell({w[legs[x]]}, {w[legs[y]]}, {w[legs[z]]}, c.gc_12)"

    def _amplitude(self, vert: _Vertex, w: dict[int, str]) -> str:
        """The last vertex as `contract(open, leg)`: the leg behind which most external
        particles lie stays open, so the open part (memoised like the currents) depends
        on as few helicities as possible (see _recycled_functions)."""
        legs = vert.legs
        k = max(range(len(legs)), key=lambda j: len(self.legs[w[legs[j]]]))
        if vert.kind == "Q":
            top, tbar, glu = (w[e] for e in legs)
            call = {
                0: f"ffv_open_fo({tbar}, {glu}, gtt)",
                1: f"ffv_open_fi({top}, {glu}, gtt)",
                2: f"ffv_open_vector({tbar}, {top}, gtt)",
            }[k]
        elif vert.kind == "V":  # cyclic: leg k open, the next two in f^{e x y} order
            call = f"vvv1_open({w[legs[(k + 1) % 3]]}, {w[legs[(k + 2) % 3]]}, c.gc_10)"
        else:
            x, y, z = _contact_arguments(vert.structure, k)
            call = f"vvvv_open({w[legs[x]]}, {w[legs[y]]}, {w[legs[z]]}, c.gc_12)"
        return f"contract({self.open_leg(call)}, {w[legs[k]]})"


def _contact_arguments(structure: int, open_leg: int) -> tuple[int, int, int]:
    """Leg positions (x, y, z) for vvvv_offshell/vvvv_amplitude with `open_leg` as the
    off-shell (or first) leg: y its partner in pairing B, z its partner in pairing A."""
    a, b = _PAIRINGS[structure]
    y, z = b[open_leg], a[open_leg]
    x = next(leg for leg in range(4) if leg not in (open_leg, y, z))
    return x, y, z


def _variants(diagram) -> list[tuple[int, ...]]:
    """One tuple of four-gluon structures (1, 3 or 4) per way of choosing one for each
    contact vertex of the diagram."""
    out: list[tuple[int, ...]] = [()]
    for _ in range(contact_count(diagram)):
        out = [v + (s,) for v in out for s in CONTACT_STRUCTURES]
    return out


def _coefficient_term(c: colour.Complex, amp: str) -> str:
    """`+ amp`, `- times_i(amp)`, ... for a colour coefficient."""
    if c.im == 0:
        value, expr = c.re, amp
    elif c.re == 0:
        value, expr = c.im, f"times_i({amp})"
    else:
        raise ValueError(f"complex colour coefficient {c} is not expected at tree level")
    if value == 1:
        return f"+ {expr}"
    if value == -1:
        return f"- {expr}"
    sign = "+" if value > 0 else "-"
    return f"{sign} {float(abs(value))!r} * {expr}"


def check_diagram_list(process: Process) -> list:
    diagrams = [parse(text) for text in process.diagrams]
    listed = [signature(d) for d in diagrams]
    expected = {signature(d) for d in enumerate_diagrams(process.gluons[:2] + process.gluons[2:])}
    if len(set(listed)) != len(listed) or set(listed) != expected:
        missing = sorted(expected - set(listed))
        extra = sorted(set(listed) - expected)
        raise ValueError(
            f"{process.name}: diagram list differs from the enumeration "
            f"(missing {missing}, unexpected {extra}, or duplicates)"
        )
    return diagrams


def generate(process: Process) -> str:
    diagrams = check_diagram_list(process)
    basis = colour.flow_basis(process.gluons)
    gram = colour.colour_matrix(basis)
    em = _Emitter(process.particles)
    amp_lines: list[str] = []
    jamp_terms: list[list[str]] = [[] for _ in basis]
    n = process.particles
    for d, diagram in enumerate(diagrams):
        amp_lines.append(f"// diagram {d + 1}: {signature(diagram)}")
        subs = []
        for variant in _variants(diagram):
            g = _build_graph(diagram, variant, n)
            a = f"a{d + 1}" + ("_" + "".join(map(str, variant)) if variant else "")
            expression = em.evaluate(g, n)
            em.lines.append(f"const Cx<F> {a} = {expression};")
            subs.append(a)
            # after evaluate: the colour follows the leg order the amplitude was built with
            for k, c in enumerate(colour.decompose(g.colour(), basis, gram)):
                if c:
                    jamp_terms[k].append(_coefficient_term(c, a))
        if len(subs) == 1 and not has_contact(diagram):
            amp_lines.append(f"amp[{d}] = {subs[0]};")
        else:
            # Four-gluon-vertex diagrams have no propagator structure of their own:
            # MadGraph gives them no channel and leaves them out of the channel weights.
            amp_lines.append(f"amp[{d}] = cx_of<F>(0.0);  // contact: no channel")
    denominator = lcm(*(x.denominator for row in gram for x in row))
    matrix = [[int(x * denominator) for x in row] for row in gram]
    recycled = _recycled_functions(em, n)
    return _render(process, em.lines, amp_lines, jamp_terms, basis, matrix, denominator, recycled)


def _bits(source: str, width: int, positions: list[int]) -> str:
    """C++ index whose bits (most significant first) are the bits `positions` of
    `source`, an integer `width` bits wide with bit width - 1 - j for position j."""
    terms = []
    for k, j in enumerate(positions):
        shift, up = width - 1 - j, len(positions) - 1 - k
        bit = f"(({source} >> {shift}) & 1)" if shift else f"({source} & 1)"
        terms.append(f"{bit} << {up}" if up else bit)
    return " | ".join(terms) if terms else "0"


def _recycled_functions(em: _Emitter, n_particles: int) -> tuple[list[str], list[str], list[str]]:
    """Helicity recycling: a current depends only on the helicities of the external
    particles behind it, so `currents` computes each one once per combination of those
    (2^k instead of one per helicity row) into the table Currents<F>, and
    `amplitudes_at` reads a row's currents from it. Returns the struct's members, the
    body of `currents` and the table reads of `amplitudes_at`."""
    members: list[str] = []
    loops: list[str] = []
    reads: list[str] = []

    def argument(legs: tuple[int, ...], match: re.Match[str]) -> str:
        name = match.group(0)
        own = em.legs[name]
        index = _bits("h", len(legs), [legs.index(leg) for leg in own])
        return f"ext[{own[0]}][{index}]" if name.startswith("w") else f"k.{name}[{index}]"

    for name, call in em.calls.items():
        legs = em.legs[name]
        size = 2 ** len(legs)
        kind = "Wf<F>" if name.startswith("v") else "OpenLeg<F>"
        members.append(f"{kind} {name}[{size}];  // particles {', '.join(map(str, legs))}")
        body = re.sub(r"\b[wv][0-9]+\b", partial(argument, legs), call)
        loops.append(f"for (int h = 0; h < {size}; ++h) k.{name}[h] = {body};")
        index = _bits("row", n_particles, list(legs))
        reads.append(f"const {kind}& {name} = k.{name}[{index}];")
    return members, loops, reads


def _render(process, wf_lines, amp_lines, jamp_terms, basis, matrix, denominator, recycled) -> str:
    p = process
    n = p.particles
    first = ", ".join(["-1", "-1", "-1", "1"] + ["-1"] * (n - 4))
    flows = "\n".join(
        f"//   {k}: (" + " ".join(f"T^{g}" for g in w) + ")_{t t~}" for k, w in enumerate(basis)
    )
    body = "\n".join("        " + line for line in wf_lines + amp_lines)
    members, loops, reads = recycled
    amplitude_lines = [line for line in wf_lines if line.startswith("const Cx<F>")]
    used = set(re.findall(r"\b[wvo][0-9]+\b", " ".join(amplitude_lines)))
    reads = [f"const Wf<F>& w{i} = ext[{i}][{_bits('row', n, [i])}];" for i in range(n)] + reads
    reads = [line for line in reads if line.split()[2] in used]
    ext = "ext" if any(name.startswith("w") for name in used) else ""  # else unused
    body_at = "\n".join("        " + line for line in reads + amplitude_lines + amp_lines)
    members = "\n".join("        " + line for line in members)
    loops = "\n".join("        " + line for line in loops)
    jamps = "\n".join(f"        jamp[{k}] = {_sum(terms)};" for k, terms in enumerate(jamp_terms))
    rows = ",\n".join("            {" + ", ".join(str(x) for x in row) + "}" for row in matrix)
    denoms = ", ".join(str(denominator) for _ in basis)
    return f"""// Generated by ref_me/qcdgen from its description of {p.name}; do not edit.
// {p.madgraph} at tree level, sm model (QCD vertices ttg, ggg, gggg).
// Particle order (MadGraph): {", ".join(_names(p))}.
// {len(p.diagrams)} diagrams in MadGraph's numbering, {2**n} helicity combinations,
// {len(basis)} colour flows, flow k = (T^a T^b ...)_{{t t~}} with the gluons in
// lexicographic permutation order (MadGraph's colour basis):
{flows}
#include "refme/qcd_vertices.h"
#include "refme/umami_glue.h"

namespace {{

using namespace refme;

struct {p.traits} {{
    static constexpr int kParticles = {n};
    static constexpr int kDiagrams = {len(p.diagrams)};
    static constexpr int kColors = {len(basis)};
    static constexpr int kHelicities = {2**n};
    static constexpr double kAverage = {float(p.average)!r};

    static REFME_HD int first_helicity(int i) {{
        constexpr int first[kParticles] = {{{first}}};
        return first[i];
    }}

    template <class F>
    struct Couplings {{
        Cx<F> gc_10;  // triple gluon
        Cx<F> gc_11;  // t-t-g
        Cx<F> gc_12;  // four gluon
        F mt, wt;
    }};

    template <class F, class R>
    static REFME_HD Couplings<F> couplings(const SmParametersT<R>& s, const F& g_s) {{
        return Couplings<F>{{refme::gc_10(g_s), refme::gc_11(g_s), refme::gc_12(g_s), s.in.MT,
                            s.in.WT}};
    }}

    static REFME_HD void masses(const SmInputs& in, double* out) {{
        for (int i = 0; i < kParticles; ++i) out[i] = 0.0;
        out[2] = in.MT;
        out[3] = in.MT;
    }}

    template <class F>
    static REFME_HD Wf<F> external(int i, const Momentum<F> (&p)[4], int hel, const Couplings<F>& c) {{
        switch (i) {{
            case 2: return oxxxxx<F>(p, c.mt, hel, +1);  // outgoing t
            case 3: return ixxxxx<F>(p, c.mt, hel, -1);  // outgoing t~
            case 0:
            case 1: return vxxxxx<F>(p, 0.0, hel, -1);   // incoming gluons
            default: return vxxxxx<F>(p, 0.0, hel, +1);  // outgoing gluons
        }}
    }}

    template <class F>
    static REFME_HD void amplitudes(const Wf<F>* const (&w)[kParticles], const Couplings<F>& c,
                                    Cx<F> (&amp)[kDiagrams], Cx<F> (&jamp)[kColors]) {{
{chr(10).join(f"        const Wf<F>& w{i} = *w[{i}];" for i in range(n))}
        const Chiral<F> gtt = vector_coupling(c.gc_11);
{body}
{jamps}
    }}

    // Helicity recycling (process.h): every current once per helicity combination of
    // the particles it depends on, then the amplitudes of one row from that table.
    template <class F>
    struct Currents {{
{members}
    }};

    template <class F>
    static REFME_HD void currents(const Wf<F> (&ext)[kParticles][2], const Couplings<F>& c,
                                  Currents<F>& k) {{
        const Chiral<F> gtt = vector_coupling(c.gc_11);
{loops}
    }}

    template <class F>
    static REFME_HD void amplitudes_at(const Wf<F> (&{ext})[kParticles][2], const Currents<F>& k,
                                       int row, const Couplings<F>&, Cx<F> (&amp)[kDiagrams],
                                       Cx<F> (&jamp)[kColors]) {{
{body_at}
{jamps}
    }}

    template <class F>
    static REFME_HD F colour_sum(const Cx<F> (&jamp)[kColors]) {{
        // Exact colour matrix <flow_i|flow_j> (N = 3, Tr(T^a T^b) = delta^ab / 2) x {denominator}.
        constexpr double cf[kColors][kColors] = {{
{rows}}};
        constexpr double denom[kColors] = {{{denoms}}};
        return refme::colour_sum<kColors>(cf, denom, jamp);
    }}
}};

}}  // namespace

REFME_EXPORT_UMAMI({p.traits})
"""


def _sum(terms: list[str]) -> str:
    """C++ sum of signed terms ("+ a1", "- times_i(a2)", ...)."""
    if not terms:
        return "cx_of<F>(0.0)"
    first = terms[0][2:] if terms[0].startswith("+ ") else f"-({terms[0][2:]})"
    return " ".join([first, *terms[1:]])


def _names(p: Process) -> list[str]:
    names = {2: "t", 3: "t~"}
    return [f"{i} {names.get(i, 'g')}" for i in range(p.particles)]
