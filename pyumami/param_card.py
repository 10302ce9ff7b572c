"""SLHA param cards as MadGraph writes them, read from Python.

The libraries read their cards with their own reader (ours: ref_me/include/refme/slha.h,
compiled into each library); a foreign library's reader is not reachable from Python.
This module is the Python side's one reader, for tools that need to know what a card
says (parameter names, masses and widths) or to write a modified copy.

Format: ``Block NAME`` starts a block; a data line is ``key... value # comment``, the
comment's first word naming the parameter (``6 1.73e2 # MT``) unless it documents a
dependent value (``21 0.0 # g : 0.0``); ``DECAY pdg width # name`` gives a width, and
the branching-ratio lines under it belong to that decay table.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

__all__ = [
    "CardEntry",
    "parameter_names",
    "parse_param_card",
    "read_param_card",
    "scaled_param_card",
]


@dataclasses.dataclass(frozen=True)
class CardEntry:
    """One numeric entry of a card."""

    #: upper-case block name; "DECAY" for the width on a DECAY line, "DECAY <pdg>"
    #: for the branching ratios below it
    block: str
    #: the integer keys before the value (the PDG code on a DECAY line)
    key: tuple[int, ...]
    #: the value (GeV for masses and widths)
    value: float
    #: the parameter name from the comment ("MT"), None for dependent or unnamed entries
    name: str | None
    #: zero-based index of the card line holding the entry
    line: int


def _entry(block: str, words: list[str], comment: str, line: int) -> CardEntry | None:
    # a branching-ratio line is "BR NDA ID1 ID2 ...": the value comes first
    value_first = block.startswith("DECAY ")
    values, keys = (words[:1], words[1:]) if value_first else (words[-1:], words[:-1])
    try:
        key, value = tuple(int(w) for w in keys), float(values[0])
    except ValueError:
        return None
    named = comment.split()
    # "21 0.0 # g : 0.0" documents a particle's mass as a dependent value, not a parameter
    name = named[0] if named and named[1:2] != [":"] and not block.startswith("DECAY ") else None
    return CardEntry(block, key, value, name, line)


def parse_param_card(text: str) -> list[CardEntry]:
    """Every numeric entry of the card `text`, in card order."""
    entries: list[CardEntry] = []
    block = ""
    for index, raw in enumerate(text.splitlines()):
        data, _, comment = raw.partition("#")
        words = data.split()
        if not words:
            continue
        head = words[0].upper()
        if head == "BLOCK":
            block = words[1].upper() if len(words) > 1 else ""
        elif head == "DECAY":
            entry = _entry("DECAY", words[1:], comment, index)
            if entry is not None:
                entries.append(entry)
                block = f"DECAY {entry.key[0]}" if entry.key else ""
        elif block:
            entry = _entry(block, words, comment, index)
            if entry is not None:
                entries.append(entry)
    return entries


def read_param_card(path: str | os.PathLike[str]) -> list[CardEntry]:
    """`parse_param_card` of the file at `path` (OSError if it cannot be read)."""
    return parse_param_card(Path(path).read_text())


def parameter_names(entries: list[CardEntry]) -> list[str]:
    """The parameter names of `entries`, each once, in card order."""
    return list(dict.fromkeys(e.name for e in entries if e.name is not None))


def scaled_param_card(text: str, factor: float, blocks: tuple[str, ...] = ("MASS", "DECAY")) -> str:
    """The card `text` with the value of every entry in `blocks` multiplied by `factor`
    (default: every mass and every width); everything else, comments included, kept.
    `blocks` are blocks whose lines end with the value (not the decay tables)."""
    lines = text.splitlines(keepends=True)
    for entry in parse_param_card(text):
        if entry.block not in blocks:
            continue
        raw = lines[entry.line]
        data, hash_, comment = raw.partition("#")
        token = data.split()[-1]
        at = data.rindex(token)
        data = data[:at] + f"{entry.value * factor:.10e}" + data[at + len(token) :]
        lines[entry.line] = data + hash_ + comment
    return "".join(lines)
