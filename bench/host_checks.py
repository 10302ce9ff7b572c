"""Cost of the host's event checks per event, against the matrix element itself.

    .venv/bin/python bench/host_checks.py [--events 200000] [--repeats 5]

For each reference process: the time per event of ``check_kinematics`` (the
checks ``check_kinematics=True`` / the CLI's default add), of ``check_outputs``
(always on), and of one ``evaluate`` call (one thread, checks off), all measured
in the same run, best of ``--repeats``; the ratio is checks / evaluation.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import pyumami
import ref_me
from phase_space.rambo import Rambo
from pyumami import event_checks


def best_ns_per_event(function, n: int, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times) / n * 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(
        f"{'process':<8} {'kinematics ns/ev':>17} {'outputs ns/ev':>14} {'evaluate ns/ev':>15} "
        f"{'kinematics / evaluate':>22}"
    )
    for process in ref_me.PROCESSES:
        with pyumami.load(ref_me.library_path(process), threads=1) as lib:
            masses = lib.masses
            rambo = Rambo(masses[2:], 1000.0)
            p, _ = rambo.forward(np.random.default_rng(1).random((args.events, rambo.dim)))
            p = np.ascontiguousarray(p)
            me = lib(p)
            kin = best_ns_per_event(
                lambda p=p, masses=masses: event_checks.check_kinematics(p, masses),
                args.events,
                args.repeats,
            )
            out = best_ns_per_event(
                lambda me=me: event_checks.check_outputs({"me": me}), args.events, args.repeats
            )
            ev = best_ns_per_event(lambda lib=lib, p=p: lib(p), args.events, args.repeats)
        print(f"{process:<8} {kin:>17.0f} {out:>14.1f} {ev:>15.0f} {kin / ev:>22.2f}")


if __name__ == "__main__":
    main()
