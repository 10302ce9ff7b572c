"""The command line's first contact with a library, in a child process.

Loading a library, its first ``umami_initialize`` and the capability probing run
code the user did not write; a library that aborts or crashes there (MadGraph's
CUDACPP libraries ``abort()`` in ``umami_initialize`` without a param card) would
take the command down with no message. ``describe_in_child`` does that first
contact in a fresh interpreter and returns ``MatrixElementLibrary.describe()``;
a crash becomes a :class:`~pyumami.errors.FirstContactError` naming the entry
point (from the child's faulthandler traceback) and the likely cause.

Run as ``python -m pyumami.first_contact '<json arguments>'`` (the child side).
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

from .errors import FirstContactError, UmamiError

__all__ = ["describe_in_child"]

#: innermost pyumami function of a crash -> the entry point it was calling
_ENTRY_OF_FUNCTION = {
    "open_library": "dlopen (the library's static constructors)",
    "read_meta_int": "umami_get_meta",
    "read_masses": "umami_get_meta",
    "_instance": "umami_initialize",
    "query_flags": "a capability query",
    "call_matrix_element": "umami_matrix_element (capability probing)",
    "has_parameters": "umami_get_parameter",
}
_FRAME = re.compile(r'File "[^"]*", line \d+ in (\w+)')
_STAGES = "loading, first umami_initialize, capability probing"


def describe_in_child(
    path: str,
    param_card: str | None = None,
    masses: Sequence[float] | None = None,
    timeout: float = 300.0,
) -> dict[str, Any]:
    """``describe()`` of the library at ``path``, computed in a child process.

    Raises the child's pyumami error (as FirstContactError with its message) or a
    FirstContactError for a crash, a hang past ``timeout`` seconds or any other
    failure of the child.
    """
    arguments = json.dumps(
        {"path": path, "param_card": param_card, "masses": None if masses is None else list(masses)}
    )
    try:
        done = subprocess.run(
            [sys.executable, "-X", "faulthandler", "-m", __name__, arguments],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise FirstContactError(
            f"{path} did not finish its first contact ({_STAGES}) within {timeout:g} s; the "
            f"library hangs (run `pyumami check {path} --timeout 30` to see where)"
        ) from None
    if done.returncode == 0:
        return json.loads(done.stdout)
    if done.returncode == 1 and done.stdout.strip():
        raise FirstContactError(json.loads(done.stdout)["message"])
    raise FirstContactError(_crash_message(path, param_card, done.returncode, done.stderr))


def _crash_message(path: str, param_card: str | None, returncode: int, stderr: str) -> str:
    if returncode < 0:
        try:
            how = f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            how = f"was killed by signal {-returncode}"
    else:
        how = f"exited with status {returncode}"
    entry = _crash_site(stderr)
    where = f" in {entry}" if entry else ""
    printed = _last_line(stderr)
    said = f"; the library printed: {printed!r}" if printed else ""
    if entry == "umami_initialize" and param_card is None:
        cause = (
            "the library was given no param card (NULL) and some libraries, MadGraph's CUDACPP "
            "ones among them, abort then: pass --param-card CARD"
        )
    elif entry == "umami_initialize":
        cause = f"the library could not initialise with the param card {param_card}; check the card"
    else:
        cause = f"a defect of the library; `pyumami check {path}` shows which call fails"
    return (
        f"{path}: the process {how}{where} during the first contact ({_STAGES}){said}; likely "
        f"cause: {cause}"
    )


def _crash_site(stderr: str) -> str:
    """The entry point of the innermost pyumami frame of a faulthandler traceback."""
    start = stderr.find("Current thread")
    for line in stderr[max(start, 0) :].splitlines():
        match = _FRAME.search(line)
        if match and match.group(1) in _ENTRY_OF_FUNCTION:
            return _ENTRY_OF_FUNCTION[match.group(1)]
    return ""


def _last_line(stderr: str) -> str:
    """The last line written before Python's fault report (the library's own)."""
    text = stderr.split("Fatal Python error", 1)[0]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""


def _child(arguments: str) -> int:
    from .library import load

    options = json.loads(arguments)
    try:
        with load(
            options["path"], options["param_card"], threads=1, masses=options["masses"]
        ) as lib:
            description = lib.describe()
    except (UmamiError, OSError, ValueError) as exc:
        print(json.dumps({"message": str(exc)}))
        return 1
    print(json.dumps(description))
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1]))
