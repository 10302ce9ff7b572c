"""Worker entry point of `pyumami check`, in two modes.

``python -m pyumami.check.worker`` runs one probe: it reads a JSON request on
stdin ({"probe", "path", "param_card", "sqrt_s", "seed", "facts", "deadline"}),
runs the probe, and writes the JSON verdict ({"outcome", "reason", "details",
"facts"}) on its original stdout; file descriptor 1 is pointed at stderr first,
so whatever the library prints cannot corrupt the verdict.

``python -m pyumami.check.worker --serve`` is a fork server: it imports NumPy,
cffi and the probes once, never loads the library itself, and for each request
line on stdin forks a child that runs that one probe (loading the library afresh)
and dies with it. The server waits for the child up to the request's timeout,
kills it when the time is up, and answers one JSON line per request:
{"returncode" (negative: killed by that signal), "stdout" (the verdict),
"stderr", "timed_out"}. Each probe therefore still runs in a process of its own,
without paying interpreter and NumPy start-up per probe.
"""
from __future__ import annotations

import faulthandler
import json
import os
import select
import signal
import sys
import tempfile
import time
import traceback
from typing import Any


def run_probe(request: dict[str, Any]) -> dict[str, Any]:
    """Run the probe `request` names in this process; the verdict as a dict."""
    from pyumami.check.probes import ProbeBlocked, ProbeContext, ProbeFailure, Verdict, probe_by_name
    from pyumami.check.report import Outcome

    if request.get("deadline"):
        # shortly before the parent kills a hung worker, print where it hangs
        faulthandler.dump_traceback_later(max(0.1, request["deadline"] - time.time() - 0.5))
    ctx = ProbeContext(
        path=request["path"],
        param_card=request.get("param_card"),
        sqrt_s=request.get("sqrt_s"),
        seed=int(request.get("seed", 20261125)),
        facts=request.get("facts", {}),
    )
    try:
        verdict = probe_by_name(request["probe"]).func(ctx)
    except ProbeFailure as exc:
        verdict = Verdict(Outcome.FAIL, str(exc))
    except ProbeBlocked as exc:
        verdict = Verdict(Outcome.SKIP, str(exc), blocked=True)
    except Exception as exc:  # a checker bug, or a library answer it did not foresee
        traceback.print_exc()
        verdict = Verdict(Outcome.FAIL, f"the probe itself raised {type(exc).__name__}: {exc} "
                          "(report this to pyumami if the library is not at fault)")
    return {"outcome": verdict.outcome.value, "reason": verdict.reason, "blocked": verdict.blocked,
            "details": verdict.details, "facts": verdict.facts}


def _jsonable(value: object) -> object:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def main() -> int:
    """One probe, request on stdin, verdict on the original stdout."""
    verdict_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    # on SIGSEGV / SIGABRT / SIGBUS print the Python stack, so the parent can name
    # the entry point that crashed
    faulthandler.enable(file=sys.stderr, all_threads=True)
    payload = run_probe(json.loads(sys.stdin.read()))
    with os.fdopen(verdict_fd, "w") as out:
        json.dump(payload, out, default=_jsonable)
    return 0


def _run_forked(request: dict[str, Any]) -> dict[str, Any]:
    """Fork a child that runs one probe; wait for it at most until the request's
    deadline; return what the single-probe mode's parent would see."""
    read_fd, write_fd = os.pipe()
    with tempfile.TemporaryFile() as stderr_file:
        pid = os.fork()
        if pid == 0:  # the child: run the probe, never return
            try:
                os.close(read_fd)
                os.dup2(stderr_file.fileno(), 1)
                os.dup2(stderr_file.fileno(), 2)
                faulthandler.enable(file=sys.stderr, all_threads=True)
                payload = json.dumps(run_probe(request), default=_jsonable).encode()
                view = memoryview(payload)
                while view:
                    view = view[os.write(write_fd, view):]
            finally:
                os._exit(0)
        os.close(write_fd)
        chunks, timed_out = [], False
        while True:
            remaining = request["deadline"] - time.time()
            if remaining <= 0:
                timed_out = True
                os.kill(pid, signal.SIGKILL)
                break
            ready, _, _ = select.select([read_fd], [], [], remaining)
            if ready:
                data = os.read(read_fd, 1 << 16)
                if not data:
                    break
                chunks.append(data)
        os.close(read_fd)
        _, status = os.waitpid(pid, 0)
        stderr_file.seek(0)
        stderr = stderr_file.read().decode(errors="replace")
    returncode = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
    if timed_out:
        returncode = -signal.SIGKILL
    return {"returncode": returncode, "stdout": b"".join(chunks).decode(errors="replace"),
            "stderr": stderr, "timed_out": timed_out}


def serve() -> int:
    """Fork-server loop: one request line in, one reply line out, until EOF."""
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    # import everything a probe needs once, before any fork
    import numpy  # noqa: F401

    import phase_space.kinematics  # noqa: F401
    import phase_space.rambo  # noqa: F401
    import pyumami.check.probes  # noqa: F401
    from pyumami.check.points import phase_space_points, random_lorentz_transform

    # the first call of the array-API code imports lazily; pay that once here
    warm = phase_space_points(numpy.array([0.0, 0.0, 1.0, 1.0]), 10.0, 2, 0)
    random_lorentz_transform(warm, 0, along_beam=True)
    random_lorentz_transform(warm, 0, along_beam=False)

    replies.write(json.dumps({"ready": True}) + "\n")
    replies.flush()
    while True:
        line = sys.stdin.readline()
        if not line:
            break
        if not line.strip():
            continue
        reply = _run_forked(json.loads(line))
        replies.write(json.dumps(reply) + "\n")
        replies.flush()
    return 0


if __name__ == "__main__":
    sys.exit(serve() if "--serve" in sys.argv[1:] else main())
