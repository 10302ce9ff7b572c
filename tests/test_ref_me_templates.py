"""The templated C++ core instantiates with dual numbers (refme/dual.h).

Compiles tests/cpp/dual_gradient.cc, which evaluates g g -> t t~ with
F = Dual<double, 16> and compares d|M|^2/dp (all 16 momentum components) with
fourth-order central finite differences of the double instantiation at one generic
point (relative agreement 1e-6 or better; the value itself to 1e-15).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_dual_number_gradient_matches_finite_differences(tmp_path):
    cxx = os.environ.get("CXX", "g++")
    if shutil.which(cxx) is None:
        pytest.skip(f"no C++ compiler ({cxx}) to build the dual-number check")
    exe = tmp_path / "dual_gradient"
    subprocess.run(
        [cxx, "-O0", "-std=c++17", f"-I{ROOT / 'umami_abi/include'}",
         f"-I{ROOT / 'ref_me/include'}", "-o", str(exe), str(ROOT / "tests/cpp/dual_gradient.cc")],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    result = subprocess.run([str(exe)], check=False, capture_output=True, text=True)
    lines = result.stdout.splitlines()
    assert len(lines) == 17, result.stdout + result.stderr
    assert result.returncode == 0, "dual and finite-difference gradients differ:\n" + result.stdout
