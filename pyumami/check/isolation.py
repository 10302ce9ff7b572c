"""Run one probe in its own subprocess (``python -m pyumami.check.worker``), so
that a library which segfaults, aborts, corrupts its heap or hangs fails that
probe, with the signal or the timeout named, instead of taking the checker down."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from typing import Any

from pyumami.check.report import Outcome

__all__ = ["run_isolated", "IsolatedVerdict"]


class IsolatedVerdict(dict):
    """The worker's JSON verdict ({"outcome", "reason", "details", "facts"}), plus
    "duration_s" and "timed_out"."""


def _describe_death(returncode: int) -> str:
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"killed by {name}"
    return f"exited with status {returncode}"


#: innermost RawLibrary method in a faulthandler traceback -> the entry point it calls
_ENTRY_OF_METHOD = {
    "call_raw": "umami_matrix_element",
    "initialize": "umami_initialize",
    "free": "umami_free",
    "get_meta_int": "umami_get_meta",
    "get_masses": "umami_get_meta",
    "capability": "a capability query",
    "probe_parameters": "umami_set_parameter / umami_get_parameter",
}
_FRAME = re.compile(r'File "[^"]*", line \d+ in (\w+)')


def _crash_site(stderr: str) -> str:
    """" in umami_xxx" from the worker's faulthandler traceback, or ""."""
    # the crashing thread's stack follows "Current thread ..."; innermost frame first
    start = stderr.find("Current thread")
    for line in stderr[max(start, 0):].splitlines():
        match = _FRAME.search(line)
        if match:
            entry = _ENTRY_OF_METHOD.get(match.group(1))
            return f" in {entry}" if entry else ""
    return ""


def _last_line(stderr: str) -> str:
    """The last line the library (or libc) printed before any Python fault report."""
    text = stderr.split("Fatal Python error", 1)[0]
    lines = [l.strip() for l in text.splitlines() if l.strip() and not l.startswith(("Traceback", "  File"))]
    return lines[-1][:200] if lines else ""


def run_isolated(request: dict[str, Any], timeout: float) -> IsolatedVerdict:
    """Run the probe described by `request` (see `pyumami.check.worker`) in a fresh
    interpreter with a wall-clock `timeout` (seconds); never raises for a library
    fault."""
    request = {**request, "deadline": time.time() + timeout}
    env = dict(os.environ)
    # glibc writes heap-corruption messages to the terminal unless told otherwise
    env["LIBC_FATAL_STDERR_"] = "1"
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pyumami.check.worker"],
            input=json.dumps(request).encode(),
            capture_output=True,
            timeout=timeout,
            env=env,
        )
    except subprocess.TimeoutExpired as exc:
        stderr = (exc.stderr or b"").decode(errors="replace")
        dump = stderr[stderr.find("Timeout ("):] if "Timeout (" in stderr else ""
        site = _crash_site(dump.replace("Thread 0x", "Current thread 0x", 1)) if dump else ""
        return IsolatedVerdict(
            outcome=Outcome.FAIL.value,
            reason=f"timed out after {timeout:g} s{site} (worker killed); the library hangs",
            details={}, facts={}, duration_s=time.perf_counter() - t0, timed_out=True,
        )
    duration = time.perf_counter() - t0
    verdict = None
    if proc.stdout:
        try:
            verdict = json.loads(proc.stdout)
        except json.JSONDecodeError:
            verdict = None
    if proc.returncode != 0 or verdict is None:
        stderr = proc.stderr.decode(errors="replace")
        tail = _last_line(stderr)
        return IsolatedVerdict(
            outcome=Outcome.FAIL.value,
            reason=f"worker {_describe_death(proc.returncode)}{_crash_site(stderr)}"
            + (f" [stderr: {tail}]" if tail else "")
            + (" after the verdict" if verdict is not None else ""),
            details={"returncode": proc.returncode, **({"verdict_before_death": verdict} if verdict else {})},
            facts={}, duration_s=duration, timed_out=False,
        )
    return IsolatedVerdict(**verdict, duration_s=duration, timed_out=False)
