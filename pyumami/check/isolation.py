"""Run one probe in its own subprocess (``python -m pyumami.check.worker``), so
that a library which segfaults, aborts, corrupts its heap or hangs fails that
probe, with the signal or the timeout named, instead of taking the checker down."""
from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from typing import Any

from pyumami.check.report import Outcome

__all__ = ["run_isolated", "ProbeRunner", "IsolatedVerdict"]


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
    "call_matrix_element": "umami_matrix_element",
    "read_meta_int": "umami_get_meta",
    "read_masses": "umami_get_meta",
    "query_flags": "a capability query",
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


def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    # glibc writes heap-corruption messages to the terminal unless told otherwise
    env["LIBC_FATAL_STDERR_"] = "1"
    # a forked child must not inherit a BLAS thread pool it cannot use
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(name, "1")
    return env


def _interpret(returncode: int, stdout: str, stderr: str, timed_out: bool, timeout: float,
               duration: float) -> IsolatedVerdict:
    """Turn what a worker left behind into a verdict, naming a signal or timeout."""
    if timed_out:
        dump = stderr[stderr.find("Timeout ("):] if "Timeout (" in stderr else ""
        site = _crash_site(dump.replace("Thread 0x", "Current thread 0x", 1)) if dump else ""
        return IsolatedVerdict(
            outcome=Outcome.FAIL.value,
            reason=f"timed out after {timeout:g} s{site} (worker killed); the library hangs",
            details={}, facts={}, duration_s=duration, timed_out=True,
        )
    verdict = None
    if stdout:
        try:
            verdict = json.loads(stdout)
        except json.JSONDecodeError:
            verdict = None
    if returncode != 0 or verdict is None:
        tail = _last_line(stderr)
        return IsolatedVerdict(
            outcome=Outcome.FAIL.value,
            reason=f"worker {_describe_death(returncode)}{_crash_site(stderr)}"
            + (f" [stderr: {tail}]" if tail else "")
            + (" after the verdict" if verdict is not None else ""),
            details={"returncode": returncode, **({"verdict_before_death": verdict} if verdict else {})},
            facts={}, duration_s=duration, timed_out=False,
        )
    return IsolatedVerdict(**verdict, duration_s=duration, timed_out=False)


def run_isolated(request: dict[str, Any], timeout: float) -> IsolatedVerdict:
    """Run the probe described by `request` (see `pyumami.check.worker`) in a fresh
    interpreter with a wall-clock `timeout` (seconds); never raises for a library
    fault."""
    request = {**request, "deadline": time.time() + timeout}
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pyumami.check.worker"],
            input=json.dumps(request).encode(),
            capture_output=True,
            timeout=timeout,
            env=_worker_env(),
        )
    except subprocess.TimeoutExpired as exc:
        return _interpret(-signal.SIGKILL, "", (exc.stderr or b"").decode(errors="replace"), True, timeout,
                          time.perf_counter() - t0)
    return _interpret(proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace"),
                      False, timeout, time.perf_counter() - t0)


class ProbeRunner:
    """Runs probes in forked children of one fork server (``python -m
    pyumami.check.worker --serve``), which saves interpreter and NumPy start-up
    per probe; each probe still gets a process of its own that loads the library
    afresh. Falls back to `run_isolated` (one interpreter per probe) if the server
    cannot be started or stops answering. Use as a context manager.
    """

    #: seconds the server may take beyond a probe's timeout to answer
    GRACE_S = 10.0

    def __init__(self, use_fork_server: bool = True):
        self._server: subprocess.Popen[bytes] | None = None
        self._wanted = use_fork_server and hasattr(os, "fork")

    def __enter__(self) -> "ProbeRunner":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> bool:
        try:
            self._server = subprocess.Popen(
                [sys.executable, "-m", "pyumami.check.worker", "--serve"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_worker_env(),
            )
            hello = self._read_line(60.0)
            if hello is None or not json.loads(hello).get("ready"):
                raise RuntimeError("fork server did not start")
            return True
        except (OSError, RuntimeError, json.JSONDecodeError):
            self.close()
            self._wanted = False
            return False

    def _read_line(self, timeout: float) -> str | None:
        assert self._server is not None and self._server.stdout is not None
        stream = self._server.stdout
        ready, _, _ = select.select([stream], [], [], timeout)
        if not ready:
            return None
        line = stream.readline()
        return line.decode() if line else None

    def run(self, request: dict[str, Any], timeout: float) -> IsolatedVerdict:
        """Run one probe with a wall-clock `timeout` (seconds)."""
        if self._server is None and not (self._wanted and self._start()):
            return run_isolated(request, timeout)
        assert self._server is not None and self._server.stdin is not None
        request = {**request, "deadline": time.time() + timeout}
        t0 = time.perf_counter()
        try:
            self._server.stdin.write((json.dumps(request) + "\n").encode())
            self._server.stdin.flush()
            line = self._read_line(timeout + self.GRACE_S)
            reply = json.loads(line) if line else None
        except (OSError, json.JSONDecodeError):
            reply = None
        if reply is None:
            # the server itself misbehaved (it never loads the library): fall back
            self.close()
            self._wanted = False
            return run_isolated({k: v for k, v in request.items() if k != "deadline"}, timeout)
        return _interpret(reply["returncode"], reply["stdout"], reply["stderr"], reply["timed_out"], timeout,
                          time.perf_counter() - t0)

    def close(self) -> None:
        """Stop the fork server (idempotent)."""
        server, self._server = self._server, None
        if server is None:
            return
        try:
            if server.stdin:
                server.stdin.close()
            server.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            server.kill()
            server.wait()
        finally:
            if server.stdout:
                server.stdout.close()
