"""The LHAPDF set format on disk: the ``.info`` header and ``lhagrid1`` member files.

A set is a directory ``NAME/`` holding ``NAME.info`` (``Key: value`` lines, a YAML
subset) and one ``NAME_XXXX.dat`` per member. A member file is a short header, then
``---``-separated blocks (subgrids), one per range in Q (usually one per number of
active flavours). Each block is three lines of knots -- x, Q in GeV, PDG ids -- and then
one line per (x, Q) knot pair, x outer and Q inner, holding x*f for every id.
Neighbouring blocks share their boundary Q (a flavour threshold).

Only the standard library and NumPy are used; the ``.info`` parser knows the value
forms LHAPDF sets use: numbers, quoted or bare strings and one- or multi-line
``[...]`` lists of those.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import PDFFormatError

__all__ = ["Subgrid", "parse_info", "format_info", "read_member", "write_member"]

InfoValue = Any  # int | float | str | bool | list of those


@dataclass(frozen=True)
class Subgrid:
    """One block of a member file.

    Attributes:
        x: (nx,) increasing momentum fractions.
        q: (nq,) increasing scales in GeV.
        pids: (nflav,) PDG ids of the columns (21 = gluon).
        xf: (nq, nx, nflav) x*f at the knots (note: Q first, unlike the file).
    """

    x: np.ndarray
    q: np.ndarray
    pids: np.ndarray
    xf: np.ndarray


def _scalar(text: str) -> InfoValue:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _split_list(body: str) -> list[str]:
    """Split the inside of ``[...]`` at commas that are not inside quotes."""
    items, current, quote = [], [], ""
    for char in body:
        if quote:
            current.append(char)
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
            current.append(char)
        elif char == ",":
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return [item for item in items if item.strip()]


def parse_info(text: str, source: str = "<info>") -> dict[str, InfoValue]:
    """The key/value pairs of an LHAPDF ``.info`` text."""
    info: dict[str, InfoValue] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, sep, value = stripped.partition(":")
        if not sep or not key.strip():
            raise PDFFormatError(f"{source}: line {i} is not 'Key: value': {line!r}")
        value = value.strip()
        if value.startswith("["):
            # A list may run over several lines until its closing bracket.
            while "]" not in value and i < len(lines):
                value += " " + lines[i].strip()
                i += 1
            if not value.endswith("]"):
                raise PDFFormatError(f"{source}: unterminated list for key {key.strip()!r}")
            info[key.strip()] = [_scalar(item) for item in _split_list(value[1:-1])]
        else:
            info[key.strip()] = _scalar(value)
    return info


def _format_value(value: InfoValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, np.ndarray)):
        return "[" + ", ".join(_format_value(v) for v in value) + "]"
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, str) and (value == "" or re.search(r"[:#\[\],]|^\s|\s$", value)):
        return '"' + value.replace('"', "'") + '"'
    return str(value)


def format_info(info: Mapping[str, InfoValue]) -> str:
    """An ``.info`` text for ``info`` (floats written exactly, strings quoted where needed)."""
    return "".join(f"{key}: {_format_value(value)}\n" for key, value in info.items())


def _numbers(line: str, what: str, source: str, dtype: type = float) -> np.ndarray:
    try:
        return np.array([dtype(v) for v in line.split()])
    except ValueError as exc:
        raise PDFFormatError(f"{source}: the {what} line is not numeric: {line[:80]!r}") from exc


def read_member(path: Path) -> tuple[dict[str, InfoValue], list[Subgrid]]:
    """The header and the subgrids of one ``lhagrid1`` member file."""
    source = str(path)
    text = path.read_text()
    chunks = re.split(r"^---[ \t]*$\n?", text, flags=re.MULTILINE)
    header = parse_info(chunks[0], source)
    if header.get("Format", "lhagrid1") != "lhagrid1":
        raise PDFFormatError(
            f"{source}: Format is {header['Format']!r}; only lhagrid1 grids can be read"
        )
    subgrids = []
    for n_block, chunk in enumerate(chunks[1:], start=1):
        lines = [line for line in chunk.splitlines() if line.strip()]
        if not lines:
            continue
        if len(lines) < 3:
            raise PDFFormatError(f"{source}: block {n_block} lacks its x, Q and flavour lines")
        x = _numbers(lines[0], "x-knot", source)
        q = _numbers(lines[1], "Q-knot", source)
        pids = _numbers(lines[2], "flavour", source, int)
        try:
            data = np.array([[float(v) for v in line.split()] for line in lines[3:]])
        except ValueError as exc:
            raise PDFFormatError(f"{source}: block {n_block} holds a non-numeric value") from exc
        if data.shape != (x.size * q.size, pids.size):
            raise PDFFormatError(
                f"{source}: block {n_block} should hold {x.size} x {q.size} lines of "
                f"{pids.size} values (x outer, Q inner), found shape {data.shape}"
            )
        if not np.all(np.isfinite(data)):
            raise PDFFormatError(f"{source}: block {n_block} holds NaN or infinite values")
        if np.any(np.diff(x) <= 0) or np.any(np.diff(q) <= 0) or x[0] <= 0 or q[0] <= 0:
            raise PDFFormatError(f"{source}: block {n_block} knots are not positive, increasing")
        xf = data.reshape(x.size, q.size, pids.size).transpose(1, 0, 2)
        subgrids.append(Subgrid(x=x, q=q, pids=pids, xf=np.ascontiguousarray(xf)))
    if not subgrids:
        raise PDFFormatError(f"{source}: no data block (blocks follow a line '---')")
    return header, subgrids


def write_member(
    path: Path, subgrids: Sequence[Subgrid], header: Mapping[str, InfoValue] | None = None
) -> None:
    """Write ``subgrids`` as an ``lhagrid1`` member file.

    Knots are written as Python's shortest round-trip repr, so they read back bit for bit (a
    threshold or Q0 such as sqrt(2) stays exactly what the evolution used); values with
    12, well below the accuracy of any interpolation of them.
    """
    head = {"PdfType": "central", "Format": "lhagrid1", **(header or {})}
    out = [format_info(head), "---\n"]
    for grid in subgrids:
        out.append(" ".join(repr(float(v)) for v in grid.x) + "\n")
        out.append(" ".join(repr(float(v)) for v in grid.q) + "\n")
        out.append(" ".join(str(int(p)) for p in grid.pids) + "\n")
        rows = np.asarray(grid.xf).transpose(1, 0, 2).reshape(-1, len(grid.pids))
        out.extend(" ".join(f"{v:.12g}" for v in row) + "\n" for row in rows)
        out.append("---\n")
    path.write_text("".join(out))
