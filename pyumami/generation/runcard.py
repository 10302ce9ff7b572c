"""The run card: every setting of ``pyumami generate`` / ``integrate`` in one TOML file.

``pyumami generate run.toml`` reads a card; options given on the command line
override its values; the effective card is written to the output directory as
``run_card.toml`` (and into the LHE header), so every run can be repeated with
``pyumami generate OUT/run_card.toml``. Keys are the long CLI option names with
``_`` for ``-`` (``sqrt_s`` for ``--sqrt-s``); see :class:`RunCard` for units
and defaults. A key that is not a setting is an error, never ignored.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

__all__ = ["RunCard", "RunCardError", "load_run_card"]


class RunCardError(ValueError):
    """A run card that cannot be read or holds an unknown key or a value of the wrong type."""


@dataclass
class RunCard:
    """Settings of one run (units: GeV, pb).

    Attributes:
        library: UMAMI shared object, or a reference process name (``gg_ttx``);
            several separated by commas for several subprocess libraries.
        process: ``"g g > t t~"``, ``"p p > t t~"``; None: the reference
            library's own process.
        sqrt_s: collider centre-of-mass energy.
        events: number of unweighted events to write (``generate``).
        out: output directory.
        pdf: ``"none"`` (partons collide at exactly ``sqrt_s``), an LHAPDF set
            name on ``LHAPDF_DATA_PATH``, or ``"default"`` (the set shipped with pyumami).
        alpha_s: fixed strong coupling; None: from the PDF set at the scale.
        scale: a fixed scale in GeV (``"91.188"``) or a dynamic one: ``"ht/2"``,
            ``"ht"`` (= ``"mt"``, the total transverse mass), ``"sqrt_shat"``, ``"et"``
            (see :mod:`pyumami.generation.scales`); None: H_T/2 with a PDF, else sqrt_s.
        cuts: cut expressions (:mod:`pyumami.generation.cuts`).
        histograms: ``"EXPR:BINS:LOW:HIGH"`` specs; empty: a default set.
        seed: random seed of the run.
        threads: CPU threads for the matrix elements; None: all cores.
        processes: worker processes computing the frozen batches, the threads shared
            among them (:mod:`pyumami.generation.worker_processes`; results do not depend
            on it); None: one per thread where processes can be forked; 1: this process.
        cluster: run the frozen batches on Dask: ``"local:N"`` (N worker processes
            here) or a scheduler address ``"tcp://HOST:PORT"``; None: this process
            (:mod:`pyumami.generation.cluster`; results do not depend on it).
        single_channel: one plain phase-space mapping instead of multi-channel.
        param_card: SLHA card passed to the library; None: the library's default.
        overweight_fraction: share of the cross section that events above the
            unweighting maximum may carry.
        iterations: training iterations (VEGAS grids and channel weights).
        train_batch: weighted events per training iteration.
        integration_events: weighted events of the cross-section estimate (frozen grids).
        batch_size: weighted events per batch (outputs are complete after each batch).
        json: print a JSON summary as the last line.
    """

    library: str = ""
    process: str | None = None
    sqrt_s: float = 13000.0
    events: int = 10000
    out: str = "pyumami_run"
    pdf: str = "default"
    alpha_s: float | None = None
    scale: str | None = None
    cuts: list[str] = field(default_factory=list)
    histograms: list[str] = field(default_factory=list)
    seed: int = 1
    threads: int | None = None
    processes: int | None = None
    cluster: str | None = None
    single_channel: bool = False
    param_card: str | None = None
    overweight_fraction: float = 0.001
    iterations: int = 10
    train_batch: int = 10000
    integration_events: int = 100000
    batch_size: int = 40000
    json: bool = False

    @classmethod
    def keys(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def updated(self, values: Mapping[str, Any], source: str) -> RunCard:
        """A copy with ``values`` set (None values are skipped); checks names and types."""
        known = {f.name: f for f in fields(self)}
        changes = {}
        for key, value in values.items():
            if key not in known:
                raise RunCardError(
                    f"{source}: unknown setting {key!r}; the settings are {', '.join(known)}"
                )
            if value is None:
                continue
            changes[key] = _checked(key, value, known[key].type, source)
        return dataclasses.replace(self, **changes)

    def to_toml(self) -> str:
        """The card as TOML (settings left at None are written as comments)."""
        lines = ["# pyumami run card (pyumami generate RUN_CARD.toml)"]
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                lines.append(f"# {f.name} = (default)")
            else:
                lines.append(f"{f.name} = {_toml_value(value)}")
        return "\n".join(lines) + "\n"

    def write(self, directory: str | os.PathLike[str]) -> Path:
        """Write ``run_card.toml`` into ``directory``; returns its path."""
        path = Path(directory) / "run_card.toml"
        path.write_text(self.to_toml())
        return path


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        # a TOML basic string: JSON's escapes, but no surrogate pairs and no raw DEL
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    return "[" + ", ".join(_toml_value(v) for v in value) + "]"


_TYPES = {"str": str, "int": int, "float": float, "bool": bool, "list[str]": list}


def _checked(key: str, value: Any, annotation: Any, source: str) -> Any:
    wanted = str(annotation).replace(" | None", "")
    kind = _TYPES[wanted]
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value, ok = float(value), True
    if kind is list:
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    if not ok:
        raise RunCardError(
            f"{source}: {key} must be {'a list of strings' if kind is list else kind.__name__}, "
            f"got {value!r}"
        )
    return value


def load_run_card(path: str | os.PathLike[str], base: RunCard | None = None) -> RunCard:
    """Read a TOML run card; raises :class:`RunCardError` naming the file and the problem."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise RunCardError(f"run card {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise RunCardError(f"run card {path} is not valid TOML: {exc}") from None
    return (base or RunCard()).updated(data, f"run card {path}")
