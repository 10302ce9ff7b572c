"""What runs inside the child process of one probe: open the library afresh, run
the probe, send the `Verdict` back through a pipe.

The child points its file descriptors 1 and 2 at a file the parent reads after the
child has ended, so whatever the library prints (glibc's heap-corruption and
assertion messages included) cannot get lost or mix with the checker's output, and
`faulthandler` writes the Python stack there when the library crashes or hangs:
that stack names the entry point. multiprocessing offers neither (it neither
captures a child's native output nor says where a child died), so this part stays
hand-written.
"""

from __future__ import annotations

import dataclasses
import faulthandler
import json
import os
import sys
import time
import traceback
from multiprocessing.connection import Connection

from pyumami.check.probes import (
    Probe,
    ProbeBlocked,
    ProbeContext,
    ProbeFailure,
    Verdict,
    probe_by_name,
)
from pyumami.check.probes.context import Facts
from pyumami.check.report import Outcome

__all__ = ["STARTED", "ProbeRequest", "run_in_child", "run_probe"]

#: the child's first message: it got as far as running the probe
STARTED = "started"


@dataclasses.dataclass(frozen=True)
class ProbeRequest:
    """Everything a child needs to run one probe."""

    probe: str
    path: str
    param_card: str | None
    sqrt_s: float | None
    seed: int
    masses: tuple[float, ...] | None
    facts: Facts
    #: time.time() by which the parent kills the child
    deadline: float


def run_probe(request: ProbeRequest) -> Verdict:
    """Run the probe `request` names in this process."""
    ctx = ProbeContext(
        path=request.path,
        param_card=request.param_card,
        sqrt_s=request.sqrt_s,
        seed=request.seed,
        masses_option=request.masses,
        facts=request.facts,
    )
    probe = probe_by_name(request.probe)
    assert isinstance(probe, Probe), f"{request.probe} is derived in the parent, not run"
    try:
        return probe.func(ctx)
    except ProbeFailure as exc:
        return Verdict(Outcome.FAIL, str(exc), entry_point=exc.entry_point)
    except ProbeBlocked as exc:
        return Verdict(Outcome.SKIP, str(exc), blocked=True)
    except Exception as exc:  # noqa: BLE001 - a checker bug, or a library answer it did not foresee
        traceback.print_exc()
        return Verdict(
            Outcome.FAIL,
            f"the probe itself raised {type(exc).__name__}: {exc} "
            "(report this to pyumami if the library is not at fault)",
        )


def _jsonable(value: object) -> object:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def run_in_child(request: ProbeRequest, output_path: str, verdicts: Connection) -> None:
    """Target of the probe's child process: sends STARTED, then the Verdict."""
    verdicts.send(STARTED)
    # glibc writes heap-corruption messages to the terminal unless told otherwise
    os.environ["LIBC_FATAL_STDERR_"] = "1"
    output = os.open(output_path, os.O_WRONLY | os.O_APPEND)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.close(output)
    # on SIGSEGV / SIGABRT / SIGBUS print the Python stack, so the parent can name
    # the entry point that crashed; shortly before the parent kills a hung child,
    # print where it hangs
    faulthandler.enable(file=sys.stderr, all_threads=True)
    faulthandler.dump_traceback_later(max(0.1, request.deadline - time.time() - 0.5))
    verdict = run_probe(request)
    faulthandler.cancel_dump_traceback_later()
    # the report is JSON: NumPy scalars and arrays become numbers and lists here
    verdict.details = json.loads(json.dumps(verdict.details, default=_jsonable))
    verdicts.send(verdict)
    verdicts.close()
    sys.stdout.flush()
    sys.stderr.flush()
