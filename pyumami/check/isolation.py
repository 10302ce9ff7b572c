"""Run each probe in a child process of its own, so that a library which segfaults,
aborts, corrupts its heap or hangs fails that probe, with the signal or the timeout
named, instead of taking the checker down.

The children come from multiprocessing's ``forkserver`` context, whose server has
imported NumPy, cffi, phase_space and the probes once (``set_forkserver_preload``)
and never loads the library: each probe's child forks from it, loads the library
afresh and dies with it, without paying interpreter and NumPy start-up per probe.
Where forkserver is unavailable, or with ``fork_server=False``, the ``spawn``
context starts a fresh interpreter per probe instead.
"""

from __future__ import annotations

import multiprocessing
import re
import signal
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from pyumami.check.probes import Verdict
from pyumami.check.probes.context import INITIALIZE
from pyumami.check.report import Outcome
from pyumami.check.worker import STARTED, ProbeRequest, run_in_child

__all__ = ["ChildStartError", "ProbeRunner", "interpret_death"]

#: modules the fork server imports once, before any fork
PRELOAD = ["numpy", "cffi", "pyumami.check.worker", "pyumami.check.forkserver_warmup"]
#: seconds a child may take beyond its timeout to hand over a verdict it already sent
GRACE_S = 5.0

#: innermost RawLibrary method in a faulthandler traceback -> the entry point it calls
_ENTRY_OF_METHOD = {
    "call_raw": "umami_matrix_element",
    "call_matrix_element": "umami_matrix_element",
    "read_meta_int": "umami_get_meta",
    "read_masses": "umami_get_meta",
    "query_flags": "a capability query",
    "initialize": INITIALIZE,
    "free": "umami_free",
    "get_meta_int": "umami_get_meta",
    "get_masses": "umami_get_meta",
    "capability": "a capability query",
    "probe_parameters": "umami_set_parameter / umami_get_parameter",
}
_FRAME = re.compile(r'File "[^"]*", line \d+ in (\w+)')
#: longest library message kept in a reason; assertion messages are kept whole
_MESSAGE_CHARS = 300


def _describe_death(exitcode: int) -> str:
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"killed by {name}"
    return f"exited with status {exitcode}"


def _crash_site(stderr: str) -> str | None:
    """The entry point the child died in, from its faulthandler traceback."""
    # the crashing thread's stack follows "Current thread ..."; innermost frame first
    start = stderr.find("Current thread")
    for line in stderr[max(start, 0) :].splitlines():
        match = _FRAME.search(line)
        if match:
            return _ENTRY_OF_METHOD.get(match.group(1))
    return None


def _last_message(stderr: str) -> str:
    """The last line the library (or libc) printed before any Python fault report;
    a failed assertion whole, anything else cut to _MESSAGE_CHARS."""
    text = stderr.split("Fatal Python error", 1)[0]
    lines = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.startswith(("Traceback", "  File"))
    ]
    if not lines:
        return ""
    last = lines[-1]
    return last if "Assertion" in last else last[:_MESSAGE_CHARS]


def interpret_death(
    exitcode: int, stderr: str, timed_out: bool, timeout: float, verdict: Verdict | None = None
) -> Verdict:
    """The verdict of a child that hung (`timed_out`) or ended with `exitcode`
    without (or after) sending `verdict`, from what it printed."""
    if timed_out:
        dump = stderr[stderr.find("Timeout (") :] if "Timeout (" in stderr else ""
        site = _crash_site(dump.replace("Thread 0x", "Current thread 0x", 1)) if dump else None
        return Verdict(
            Outcome.FAIL,
            f"timed out after {timeout:g} s"
            + (f" in {site}" if site else "")
            + " (child killed); the library hangs",
            entry_point=site,
            timed_out=True,
        )
    site = _crash_site(stderr)
    message = _last_message(stderr)
    details: dict[str, Any] = {"returncode": exitcode}
    if verdict is not None:
        details["verdict_before_death"] = {
            "outcome": verdict.outcome.value,
            "reason": verdict.reason,
        }
    # a library message (an assertion, say) may name the entry point itself: name it once
    where = f" in {site}" if site and site not in message else ""
    return Verdict(
        Outcome.FAIL,
        f"worker {_describe_death(exitcode)}{where}"
        + (f" [stderr: {message}]" if message else "")
        + (" after the verdict" if verdict is not None else ""),
        details,
        entry_point=site,
        crashed=True,
    )


class ChildStartError(RuntimeError):
    """A probe's child process could not start (the caller's fault, not the library's)."""


def _receive(receiver: Connection, deadline: float) -> Any:
    """The child's next message; None when it closed the pipe (died) or the deadline
    passed first."""
    if not receiver.poll(max(0.0, deadline - time.time())):
        return None
    try:
        return receiver.recv()
    except EOFError:
        return None


class ProbeRunner:
    """Runs probes in child processes (see the module doc)."""

    def __init__(self, use_fork_server: bool = True):
        method = (
            "forkserver"
            if use_fork_server and "forkserver" in multiprocessing.get_all_start_methods()
            else "spawn"
        )
        self._context: Any = multiprocessing.get_context(method)
        if method == "forkserver":
            # takes effect when this process starts its fork server (the first probe)
            self._context.set_forkserver_preload(PRELOAD)

    def run(self, request: ProbeRequest, timeout: float) -> Verdict:
        """Run one probe with a wall-clock `timeout` (seconds); never raises for a
        library fault."""
        t0 = time.perf_counter()
        receiver, sender = self._context.Pipe(duplex=False)
        with tempfile.NamedTemporaryFile(prefix="pyumami-check-", suffix=".log") as output:
            child = self._context.Process(
                target=run_in_child,
                args=(request, output.name, sender),
                name=f"pyumami-check-{request.probe}",
                daemon=True,
            )
            child.start()
            sender.close()
            first = _receive(receiver, request.deadline)
            if first is None:
                # the pipe closed (the child is ending) or the deadline passed (it hangs)
                child.join(max(0.0, request.deadline - time.time()))
            if first is None and not child.is_alive():
                receiver.close()
                raise ChildStartError(
                    f"the child process of probe {request.probe!r} ended (exit code {child.exitcode}) "
                    "before it could run the probe, so the library was never loaded. When check() "
                    "is called from a script, multiprocessing runs that script again in every "
                    'child: put the script\'s top level under `if __name__ == "__main__":`'
                )
            verdict = _receive(receiver, request.deadline) if first == STARTED else None
            child.join(GRACE_S if verdict is not None else max(0.0, request.deadline - time.time()))
            timed_out = child.is_alive() and verdict is None
            if child.is_alive():
                child.kill()
                child.join()
            receiver.close()
            stderr = Path(output.name).read_text(errors="replace")
        if verdict is None or child.exitcode != 0:
            verdict = interpret_death(child.exitcode or 0, stderr, timed_out, timeout, verdict)
        verdict.duration_s = time.perf_counter() - t0
        return verdict
