"""Build hook: compile the reference UMAMI libraries into the wheel.

`pip install .` runs `make cpu-libs` and ships build/lib/libref_*.so inside the
`ref_me` package (ref_me/lib/), next to the header shipped in `umami_abi`.
Editable installs skip this: there `ref_me.library_path` finds build/lib in the
source tree, which `make libs` fills.
"""

import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

ROOT = Path(__file__).resolve().parent


class BuildWithLibraries(build_py):
    def run(self):
        super().run()
        if self.editable_mode:
            return
        subprocess.run(["make", "-C", str(ROOT), "cpu-libs"], check=True)
        target = Path(self.build_lib) / "ref_me" / "lib"
        target.mkdir(parents=True, exist_ok=True)
        for lib in sorted((ROOT / "build" / "lib").glob("libref_*.so")):
            if not lib.name.endswith("_cuda.so"):
                shutil.copy2(lib, target / lib.name)


class BinaryDistribution(Distribution):
    """The wheel holds compiled libraries, so it is platform-specific."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildWithLibraries}, distclass=BinaryDistribution)
