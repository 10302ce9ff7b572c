"""Compact descriptions of the generated processes: particles and MadGraph's diagram order.

Each process is g g > t t~ + gluons in MadGraph's particle order (incoming gluons
0 and 1, top 2, antitop 3, outgoing gluons 4, 5, ...). ``diagrams`` lists every
Feynman diagram once, in MadGraph's numbering (MG5_aMC 3.7.1, sm model), in the
notation of ``diagrams.py``: the gluon trees attached to the top line from the top
to the antitop end, ``V(a,b)`` a three-gluon vertex, ``X(a,b,c)`` a four-gluon
vertex. The generator checks that the list is exactly the set of diagrams it
enumerates, so the numbering is the only thing this table adds.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Process:
    name: str  # library name, libref_<name>.so
    madgraph: str  # MadGraph process string
    traits: str  # C++ traits struct name
    gluons: tuple[int, ...]  # particle indices of the gluons (0 and 1 incoming)
    average: int  # initial spins x colours x final-state symmetry factor
    diagrams: tuple[str, ...]  # MadGraph's diagram order

    @property
    def particles(self) -> int:
        return len(self.gluons) + 2


GG_TTXG = Process(
    name="gg_ttxg",
    madgraph="g g > t t~ g",
    traits="GgTtxg",
    gluons=(0, 1, 4),
    average=256,  # (2 x 2 spins) x (8 x 8 colours)
    diagrams=(
        "V(4,V(0,1))",
        "4 V(0,1)",
        "V(0,1) 4",
        "0 4 1",
        "0 V(1,4)",
        "0 1 4",
        "1 4 0",
        "V(1,4) 0",
        "4 1 0",
        "1 V(0,4)",
        "V(0,4) 1",
        "V(1,V(0,4))",
        "1 0 4",
        "4 0 1",
        "V(0,V(1,4))",
        "X(0,1,4)",
    ),
)

GG_TTXGG = Process(
    name="gg_ttxgg",
    madgraph="g g > t t~ g g",
    traits="GgTtxgg",
    gluons=(0, 1, 4, 5),
    average=512,  # 256 x 2! for the two identical final-state gluons
    diagrams=(
        "X(4,5,V(0,1))",
        "V(5,V(4,V(0,1)))",
        "V(4,V(5,V(0,1)))",
        "V(V(0,1),V(4,5))",
        "4 5 V(0,1)",
        "4 V(5,V(0,1))",
        "4 V(0,1) 5",
        "5 4 V(0,1)",
        "5 V(4,V(0,1))",
        "5 V(0,1) 4",
        "V(0,1) 5 4",
        "V(5,V(0,1)) 4",
        "V(0,1) 4 5",
        "V(4,V(0,1)) 5",
        "V(0,1) V(4,5)",
        "V(4,5) V(0,1)",
        "0 4 5 1",
        "0 5 4 1",
        "0 V(4,5) 1",
        "0 V(5,V(1,4))",
        "0 5 V(1,4)",
        "0 V(1,4) 5",
        "0 V(4,V(1,5))",
        "0 4 V(1,5)",
        "0 V(1,5) 4",
        "0 1 5 4",
        "0 5 1 4",
        "0 1 4 5",
        "0 4 1 5",
        "0 1 V(4,5)",
        "0 V(1,V(4,5))",
        "0 X(1,4,5)",
        "1 5 4 0",
        "1 4 5 0",
        "1 V(4,5) 0",
        "V(5,V(1,4)) 0",
        "V(1,4) 5 0",
        "5 V(1,4) 0",
        "V(4,V(1,5)) 0",
        "V(1,5) 4 0",
        "4 V(1,5) 0",
        "4 5 1 0",
        "4 1 5 0",
        "5 4 1 0",
        "5 1 4 0",
        "V(4,5) 1 0",
        "V(1,V(4,5)) 0",
        "X(1,4,5) 0",
        "1 5 V(0,4)",
        "1 V(5,V(0,4))",
        "1 V(0,4) 5",
        "V(0,4) 5 1",
        "V(5,V(0,4)) 1",
        "5 V(0,4) 1",
        "V(0,4) V(1,5)",
        "V(1,5) V(0,4)",
        "V(V(0,4),V(1,5))",
        "X(1,5,V(0,4))",
        "V(5,V(1,V(0,4)))",
        "V(1,V(5,V(0,4)))",
        "5 V(1,V(0,4))",
        "5 1 V(0,4)",
        "V(1,V(0,4)) 5",
        "V(0,4) 1 5",
        "1 4 V(0,5)",
        "1 V(4,V(0,5))",
        "1 V(0,5) 4",
        "V(0,5) 4 1",
        "V(4,V(0,5)) 1",
        "4 V(0,5) 1",
        "V(0,5) V(1,4)",
        "V(1,4) V(0,5)",
        "V(V(0,5),V(1,4))",
        "X(1,4,V(0,5))",
        "V(4,V(1,V(0,5)))",
        "V(1,V(4,V(0,5)))",
        "4 V(1,V(0,5))",
        "4 1 V(0,5)",
        "V(1,V(0,5)) 4",
        "V(0,5) 1 4",
        "1 0 5 4",
        "1 5 0 4",
        "1 0 4 5",
        "1 4 0 5",
        "1 0 V(4,5)",
        "1 V(0,V(4,5))",
        "4 5 0 1",
        "4 0 5 1",
        "5 4 0 1",
        "5 0 4 1",
        "V(4,5) 0 1",
        "V(0,V(4,5)) 1",
        "X(0,5,V(1,4))",
        "V(5,V(0,V(1,4)))",
        "V(0,V(5,V(1,4)))",
        "5 V(0,V(1,4))",
        "5 0 V(1,4)",
        "V(0,V(1,4)) 5",
        "V(1,4) 0 5",
        "X(0,4,V(1,5))",
        "V(4,V(0,V(1,5)))",
        "V(0,V(4,V(1,5)))",
        "4 V(0,V(1,5))",
        "4 0 V(1,5)",
        "V(0,V(1,5)) 4",
        "V(1,5) 0 4",
        "X(0,1,V(4,5))",
        "V(0,V(1,V(4,5)))",
        "V(1,V(0,V(4,5)))",
        "4 0 1 5",
        "4 1 0 5",
        "5 0 1 4",
        "5 1 0 4",
        "V(5,X(0,1,4))",
        "5 X(0,1,4)",
        "X(0,1,4) 5",
        "V(4,X(0,1,5))",
        "4 X(0,1,5)",
        "X(0,1,5) 4",
        "1 X(0,4,5)",
        "X(0,4,5) 1",
        "V(1,X(0,4,5))",
        "V(0,X(1,4,5))",
    ),
)

PROCESSES = {p.name: p for p in (GG_TTXG, GG_TTXGG)}
