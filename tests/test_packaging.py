"""`pip install .` ships the CPU libraries and the header (slow: builds an sdist and,
from it alone, a wheel, so a file missing from the sdist breaks the test)."""
import subprocess
import sys
import zipfile

import pytest

import ref_me
from tests.conftest import REPO


@pytest.mark.slow
def test_wheel_built_from_the_sdist_ships_libraries_and_header(tmp_path):
    pytest.importorskip("build", reason="the `build` package is a test extra")
    subprocess.run([sys.executable, "-m", "build", "--sdist", "-o", str(tmp_path), str(REPO)],
                   check=True, capture_output=True)
    (sdist,) = tmp_path.glob("pyumami-*.tar.gz")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(sdist)],
        check=True,
    )
    (wheel,) = tmp_path.glob("pyumami-*.whl")
    assert "py3-none-any" not in wheel.name  # it holds compiled code: platform-specific
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "umami_abi/include/umami.h" in names
    assert "ref_me/cards/param_card.dat" in names
    for process in ref_me.PROCESSES:
        assert f"ref_me/lib/libref_{process}.so" in names
    assert not any(name.endswith("_cuda.so") for name in names)
