"""Results of `pyumami check`: one `ProbeResult` per probe, gathered in a `CheckReport`
that renders as a text table or as JSON."""

from __future__ import annotations

import dataclasses
import enum
import json
from typing import Any

__all__ = ["CheckReport", "Outcome", "ProbeResult"]


class Outcome(enum.StrEnum):
    """What a probe concluded about the library."""

    PASS = "pass"
    #: passes, but something deserves the author's attention (e.g. old status numbering)
    WARN = "warn"
    FAIL = "fail"
    #: not run: not applicable (feature not offered), or blocked (see `ProbeResult.blocked`)
    SKIP = "skip"


@dataclasses.dataclass
class ProbeResult:
    """The verdict of one probe.

    ``reason`` is one line a library author can act on; ``details`` holds the
    numbers behind it (JSON-serialisable). ``blocked`` marks a skip that means "could
    not be checked here" (no GPU, an earlier probe crashed or hung) rather than "not
    applicable to this library".
    """

    name: str
    outcome: Outcome
    reason: str
    required: bool = True
    blocked: bool = False
    duration_s: float = 0.0
    details: dict[str, Any] = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary of this result."""
        data = dataclasses.asdict(self)
        data["outcome"] = self.outcome.value
        return data


@dataclasses.dataclass
class CheckReport:
    """All probe results for one library, in the order the probes ran."""

    path: str
    results: list[ProbeResult]
    #: wall-clock time of the whole check, seconds
    wall_s: float = 0.0
    options: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def failed(self) -> list[ProbeResult]:
        """Required probes that failed."""
        return [r for r in self.results if r.required and r.outcome is Outcome.FAIL]

    @property
    def blocked(self) -> list[ProbeResult]:
        """Required probes that could not run here (see `ProbeResult.blocked`)."""
        return [r for r in self.results if r.required and r.outcome is Outcome.SKIP and r.blocked]

    @property
    def passed(self) -> bool:
        """True when no required probe failed and none was blocked."""
        return not self.failed and not self.blocked

    @property
    def exit_code(self) -> int:
        """0: every required probe passed (or does not apply); 1: a required probe
        failed; 2: none failed, but some could not be run here."""
        if self.failed:
            return 1
        return 2 if self.blocked else 0

    def __getitem__(self, name: str) -> ProbeResult:
        for result in self.results:
            if result.name == name:
                return result
        raise KeyError(
            f"no probe named {name!r} in this report; probes: "
            f"{', '.join(r.name for r in self.results)}"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary of the whole report."""
        return {
            "library": self.path,
            "passed": self.passed,
            "exit_code": self.exit_code,
            "wall_s": self.wall_s,
            "options": self.options,
            "probes": [r.to_dict() for r in self.results],
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The report as a JSON document (see docs/check.md for the schema)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False, default=str)

    def to_table(self) -> str:
        """A plain-text table, one row per probe, then a summary line."""
        name_w = max([len("probe")] + [len(r.name) for r in self.results])
        lines = [f"pyumami check {self.path}", f"{'probe':<{name_w}}  result  reason"]
        lines.append("-" * name_w + "  ------  " + "-" * 40)
        for r in self.results:
            label = r.outcome.value if r.required else f"{r.outcome.value}*"
            lines.append(f"{r.name:<{name_w}}  {label:<6}  {r.reason}")
        counts = {o: sum(r.outcome is o for r in self.results) for o in Outcome}
        verdict = {0: "PASSED", 1: "FAILED", 2: "INCOMPLETE"}[self.exit_code]
        lines.append(
            f"{verdict}: {counts[Outcome.PASS]} pass, {counts[Outcome.WARN]} warn, "
            f"{counts[Outcome.FAIL]} fail, {counts[Outcome.SKIP]} skip "
            f"in {self.wall_s:.1f} s"
            + (
                "  (* informational, not required)"
                if any(not r.required for r in self.results)
                else ""
            )
        )
        return "\n".join(lines)
