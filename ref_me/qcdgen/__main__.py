"""``python -m ref_me.qcdgen NAME -o FILE``: write the C++ source of a generated process."""

from __future__ import annotations

import argparse
from pathlib import Path

from .emit import generate
from .processes import PROCESSES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("process", choices=sorted(PROCESSES))
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    source = generate(PROCESSES[args.process])
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(source)


if __name__ == "__main__":
    main()
