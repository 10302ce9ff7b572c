"""`pip install .` ships every package, the CPU libraries and the header (slow: builds
an sdist and, from it alone, a wheel, so a file missing from the sdist breaks the
test; then installs that wheel in a fresh virtual environment and runs the CLI)."""

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

import ref_me
from tests.conftest import REPO

#: every directory of the source tree holding an __init__.py under these names is a
#: package the wheel must ship
TOP_LEVEL = ("pyumami", "phase_space", "ref_me", "umami_abi")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("build", reason="the `build` package is a test extra")
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "-o", str(out), str(REPO)],
        check=True,
        capture_output=True,
    )
    (sdist,) = out.glob("pyumami-*.tar.gz")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(sdist)],
        check=True,
    )
    (built,) = out.glob("pyumami-*.whl")
    return built


def _source_packages() -> set[str]:
    packages = set()
    for top in TOP_LEVEL:
        for init in (REPO / top).rglob("__init__.py"):
            packages.add(str(init.parent.relative_to(REPO)).replace(os.sep, "/"))
    return packages


@pytest.mark.slow
def test_wheel_built_from_the_sdist_ships_libraries_and_header(wheel):
    assert "py3-none-any" not in wheel.name  # it holds compiled code: platform-specific
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "umami_abi/include/umami.h" in names
    assert "ref_me/cards/param_card.dat" in names
    for process in ref_me.PROCESSES:
        assert f"ref_me/lib/libref_{process}.so" in names
    assert not any(name.endswith("_cuda.so") for name in names)


@pytest.mark.slow
def test_wheel_ships_every_package_of_the_source_tree(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = _source_packages()
    assert {"pyumami/check", "pyumami/generation", "phase_space"} <= packages
    missing = sorted(p for p in packages if f"{p}/__init__.py" not in names)
    assert not missing, f"packages missing from the wheel: {missing}"
    assert not any(name.startswith("tests/") for name in names)


@pytest.mark.slow
def test_installed_wheel_runs_info_eval_and_check(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    cli = str(env_dir / "bin" / "pyumami")
    # outside the checkout and without PYTHONPATH: nothing may come from the source tree
    # (pip would even take the checkout's pyumami.egg-info for an installed pyumami)
    run_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    work = tmp_path / "work"
    work.mkdir()
    # dependencies come from the package index, as for any user
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(wheel)], check=True, cwd=work, env=run_env
    )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args, check=False, cwd=work, env=run_env, capture_output=True, text=True, timeout=300
        )

    located = run(
        str(python),
        "-c",
        "import ref_me, pyumami.check; print(ref_me.library_path('ee_mumu')); "
        "print(pyumami.check.__file__)",
    )
    assert located.returncode == 0, located.stderr
    library, checker = located.stdout.split()
    assert str(env_dir) in library and str(env_dir) in checker

    info = run(cli, "info", library)
    assert info.returncode == 0, info.stderr
    assert "particles" in info.stdout.lower(), info.stdout

    made = run(
        str(python),
        "-c",
        "import numpy as np; from phase_space import Rambo; r = Rambo([0.0, 0.0], 500.0); "
        "p, _ = r.forward(np.random.default_rng(1).random((8, r.dim))); np.save('p.npy', np.asarray(p))",
    )
    assert made.returncode == 0, made.stderr
    evaluated = run(cli, "eval", library, "p.npy", "-o", "me.npy")
    assert evaluated.returncode == 0, evaluated.stderr
    assert (work / "me.npy").is_file()

    checked = run(cli, "check", library)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "PASSED" in checked.stdout
