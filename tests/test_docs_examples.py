"""Every ```python and ```bash block of README.md and docs/*.md runs as written, from
the repository root, in the order of its document (a later block may use a file an
earlier one wrote). Blocks that are not meant to run are marked ```text or ```console."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

_BLOCK = re.compile(r"^```(python|bash)[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
#: README.md and every docs/*.md with at least one runnable block
DOCUMENTS = [
    doc
    for doc in (REPO / "README.md", *sorted((REPO / "docs").glob("*.md")))
    if _BLOCK.search(doc.read_text())
]
#: seconds one block may take (the examples are meant to take seconds)
BLOCK_TIMEOUT_S = 120


def runnable_blocks(text: str) -> list[tuple[int, str, str]]:
    """(line number, language, code) of every ```python and ```bash block of `text`."""
    return [
        (text.count("\n", 0, m.start()) + 1, m.group(1), m.group(2)) for m in _BLOCK.finditer(text)
    ]


def _venv_bin() -> Path:
    # a checkout without its own .venv (a git worktree sharing another checkout's
    # environment) runs the examples with the interpreter running the tests
    own = REPO / ".venv" / "bin"
    return own if own.is_dir() else Path(sys.executable).parent


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{_venv_bin()}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["MPLBACKEND"] = "Agg"
    return env


def _run(language: str, code: str) -> subprocess.CompletedProcess[str]:
    if language == "bash":
        if not (REPO / ".venv").is_dir():
            code = code.replace(".venv/bin/", f"{_venv_bin()}/")
        command = ["bash", "-euo", "pipefail", "-c", code]
    else:
        command = [sys.executable, "-c", code]
    return subprocess.run(
        command,
        cwd=REPO,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=BLOCK_TIMEOUT_S,
        check=False,
    )


def test_the_block_pattern_finds_only_runnable_languages():
    text = "```python\nx = 1\n```\n```text\nnot run\n```\n```bash\necho hi\n```\n```pycon\n>>> 1\n```\n"
    assert [(line, lang) for line, lang, _ in runnable_blocks(text)] == [(1, "python"), (7, "bash")]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_code_block_runs(document: Path) -> None:
    blocks = runnable_blocks(document.read_text())
    before = set(REPO.iterdir())
    try:
        for line, language, code in blocks:
            result = _run(language, code)
            assert result.returncode == 0, (
                f"{document.name}:{line}: the ```{language} block failed (exit {result.returncode}); "
                f"mark it ```text if it is not meant to run\n--- stdout\n{result.stdout[-3000:]}"
                f"\n--- stderr\n{result.stderr[-3000:]}"
            )
    finally:
        # what the examples wrote into the checkout (p.npy, me.npy, ...) goes again
        for created in set(REPO.iterdir()) - before:
            if created.is_file():
                created.unlink()
