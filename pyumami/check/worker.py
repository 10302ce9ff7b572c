"""Worker entry point: ``python -m pyumami.check.worker`` runs one probe.

Reads a JSON request on stdin ({"probe", "path", "param_card", "sqrt_s", "seed",
"facts"}), runs the probe against the library, and writes a JSON verdict
({"outcome", "reason", "details", "facts"}) on its original stdout. Before loading
the library, file descriptor 1 is pointed at stderr, so whatever the library
prints cannot corrupt the verdict. If the library crashes or hangs the worker
dies or is killed, and the parent (`pyumami.check.isolation`) reports that.
"""
from __future__ import annotations

import faulthandler
import json
import os
import sys
import time
import traceback


def main() -> int:
    """Run the requested probe; the verdict goes to the original stdout."""
    verdict_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    # on SIGSEGV / SIGABRT / SIGBUS print the Python stack, so the parent can name
    # the entry point that crashed
    faulthandler.enable(file=sys.stderr, all_threads=True)
    request = json.loads(sys.stdin.read())
    if request.get("deadline"):
        # shortly before the parent kills a hung worker, print where it hangs
        faulthandler.dump_traceback_later(max(0.1, request["deadline"] - time.time() - 0.5))

    from pyumami.check.probes import ProbeContext, ProbeFailure, Verdict, probe_by_name
    from pyumami.check.report import Outcome

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
    except Exception as exc:  # a checker bug, or a library answer it did not foresee
        traceback.print_exc()
        verdict = Verdict(Outcome.FAIL, f"the probe itself raised {type(exc).__name__}: {exc} "
                          "(report this to pyumami if the library is not at fault)")
    payload = {
        "outcome": verdict.outcome.value,
        "reason": verdict.reason,
        "details": verdict.details,
        "facts": verdict.facts,
    }
    with os.fdopen(verdict_fd, "w") as out:
        json.dump(payload, out, default=_jsonable)
    return 0


def _jsonable(value: object) -> object:
    try:
        import numpy as np

        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.ndarray):
            return value.tolist()
    except ImportError:
        pass
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
