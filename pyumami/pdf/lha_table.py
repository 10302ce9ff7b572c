"""The published LO benchmark table of the Les Houches PDF evolution benchmark.

W. Giele et al., "The QCD/SM working group: Summary report", hep-ph/0204316 (Les Houches
2001), Sec. 1.3: the toy PDFs evolved at LO in the ZM-VFNS, at mu_F^2 = mu_R^2 = 1e4 GeV^2.
The numbers are those of eko's transcription of the paper's LO table
(``ekomark/benchmark/external/LHA.yaml``, ``table2``, ``part3``, in eko 0.15.7), five
significant digits; L+ is 2(ubar + dbar) (the paper's header has a typo, as eko notes).
The default set is checked against it (tests/test_pdf_default_set.py, ``make pdf-set``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["Q2", "X", "TABLE", "COMBINATIONS", "combination", "deviations"]

Q2 = 1.0e4
"""mu_F^2 of the table, GeV^2."""

X = (1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 0.3, 0.5, 0.7, 0.9)

# x times: u_v, d_v, L- = dbar - ubar, L+ = 2(ubar + dbar), s+ = s + sbar, c+, b+, g.
# fmt: off
TABLE = {
    "u_v": (5.8771e-5, 3.3933e-4, 1.9006e-3, 1.0186e-2, 5.0893e-2, 2.2080e-1, 5.7166e-1, 3.7597e-1, 1.3284e-1, 2.2643e-2, 4.2047e-4),
    "d_v": (3.4963e-5, 2.0129e-4, 1.1229e-3, 5.9819e-3, 2.9576e-2, 1.2497e-1, 2.8334e-1, 1.4044e-1, 3.4802e-2, 3.5134e-3, 2.1529e-5),
    "L-": (7.8233e-7, 5.1142e-6, 3.2249e-5, 1.9345e-4, 1.0730e-3, 4.9985e-3, 1.0428e-2, 3.2629e-3, 4.2031e-4, 1.5468e-5, 1.0635e-8),
    "L+": (1.0181e+2, 5.1182e+1, 2.4693e+1, 1.1406e+1, 5.0424e+0, 2.0381e+0, 4.0496e-1, 3.9592e-2, 2.8066e-3, 6.7201e-5, 3.4998e-8),
    "s+": (4.9815e+1, 2.4725e+1, 1.1659e+1, 5.1583e+0, 2.0973e+0, 7.2625e-1, 1.1596e-1, 1.0363e-2, 7.1707e-4, 1.7278e-5, 9.8394e-9),
    "c+": (4.9088e+1, 2.4148e+1, 1.1201e+1, 4.7953e+0, 1.8147e+0, 5.3107e-1, 5.8288e-2, 4.0740e-3, 2.5958e-4, 6.3958e-6, 4.7330e-9),
    "b+": (4.6070e+1, 2.2239e+1, 1.0037e+1, 4.1222e+0, 1.4582e+0, 3.8106e-1, 3.5056e-2, 2.2039e-3, 1.3522e-4, 3.3996e-6, 2.8903e-9),
    "g": (1.3272e+3, 6.0117e+2, 2.5282e+2, 9.6048e+1, 3.1333e+1, 7.7728e+0, 8.4358e-1, 7.8026e-2, 7.4719e-3, 3.5241e-4, 1.0307e-6),
}
# fmt: on

COMBINATIONS: dict[str, dict[int, float]] = {  # table column -> {PDG id: weight}
    "u_v": {2: 1.0, -2: -1.0},
    "d_v": {1: 1.0, -1: -1.0},
    "L-": {-1: 1.0, -2: -1.0},
    "L+": {-1: 2.0, -2: 2.0},
    "s+": {3: 1.0, -3: 1.0},
    "c+": {4: 1.0, -4: 1.0},
    "b+": {5: 1.0, -5: 1.0},
    "g": {21: 1.0},
}


def combination(pdf: Any, name: str, x: np.ndarray, q2: float = Q2) -> np.ndarray:
    """The table's column ``name`` computed from ``pdf`` (a PDFSet) at x and Q^2."""
    return sum(weight * pdf.xfxQ2(pid, x, q2) for pid, weight in COMBINATIONS[name].items())


def deviations(pdf: Any) -> dict[str, np.ndarray]:
    """|pdf / table - 1| per column, at every x of the table."""
    x = np.array(X)
    return {name: np.abs(combination(pdf, name, x) / np.array(v) - 1) for name, v in TABLE.items()}
