"""Events as ``.npy`` files, appended batch by batch and loadable after every batch.

:class:`NpyRecordWriter` writes, in one directory:

- ``events.npy``: the full record, a structured array with one row per event
  and the fields of :data:`record_dtype` (momenta (npar, 4) in GeV, weight in
  pb, PDG ids, subprocess, channel, x1, x2, scale in GeV, alpha_s, helicity and
  colour index (-1 when the library gave none));
- ``momenta.npy``: compact (n, npar, 4) float64 momenta in GeV;
- ``indices.npy``: compact (n, 3) int32 columns subprocess, helicity index,
  colour index (-1 when absent); the PDG ids of a subprocess are in the run's
  metadata (the run card and the LHE ``<init>``).

Each file is a standard ``.npy`` (format 1.0) whose header is rewritten in place
after the data of every batch, so ``np.load`` reads every completed batch even
if the run stops between two batches.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Self

import numpy as np

from .events import EventBatch

__all__ = ["NpyRecordWriter", "record_dtype"]


def record_dtype(npar: int) -> np.dtype:
    """Structured dtype of one event of ``events.npy`` for ``npar`` particles."""
    return np.dtype(
        [
            ("momenta", np.float64, (npar, 4)),
            ("weight", np.float64),
            ("pdg", np.int32, (npar,)),
            ("subprocess", np.int32),
            ("channel", np.int32),
            ("x1", np.float64),
            ("x2", np.float64),
            ("scale", np.float64),
            ("alpha_s", np.float64),
            ("helicity", np.int32),
            ("color", np.int32),
        ]
    )


class _GrowingNpy:
    """One ``.npy`` file whose leading dimension grows with every append."""

    def __init__(self, path: Path, dtype: np.dtype, row_shape: tuple[int, ...]) -> None:
        self.path = path
        self.dtype = dtype
        self.row_shape = row_shape
        self.rows = 0
        # a fixed header size, with room for the largest row count, so that
        # rewriting the count never moves the data
        widest = len(self._header_text(2**63 - 1)) + 11
        self._header_bytes = -(-widest // 64) * 64
        self._file: IO[bytes] = open(path, "w+b")  # noqa: SIM115 - held across batches
        self._write_header()

    def _header_text(self, rows: int) -> bytes:
        header = np.lib.format.header_data_from_array_1_0(
            np.empty((0, *self.row_shape), self.dtype)
        )
        header["shape"] = (rows, *self.row_shape)
        return repr(header).encode("latin1")

    def _write_header(self) -> None:
        text = self._header_text(self.rows)
        magic = np.lib.format.magic(1, 0)
        length = self._header_bytes - len(magic) - 2
        self._file.seek(0)
        self._file.write(magic + length.to_bytes(2, "little"))
        self._file.write(text + b" " * (length - len(text) - 1) + b"\n")
        self._file.flush()

    def append(self, rows: np.ndarray) -> None:
        rows = np.ascontiguousarray(rows, dtype=self.dtype)
        self._file.seek(0, os.SEEK_END)
        self._file.write(rows.tobytes())
        self._file.flush()
        self.rows += rows.shape[0]
        self._write_header()  # after the data: a stop in between leaves the old count

    def close(self) -> None:
        self._file.close()


class NpyRecordWriter:
    """Writes ``events.npy``, ``momenta.npy`` and ``indices.npy`` into ``directory``.

    The particle count is taken from the first batch; later batches must match.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._files: dict[str, _GrowingNpy] = {}
        self.npar: int | None = None

    @property
    def event_count(self) -> int:
        return next(iter(self._files.values())).rows if self._files else 0

    def _open(self, npar: int) -> None:
        self.npar = npar
        self._files = {
            "events": _GrowingNpy(self.directory / "events.npy", record_dtype(npar), ()),
            "momenta": _GrowingNpy(self.directory / "momenta.npy", np.dtype(np.float64), (npar, 4)),
            "indices": _GrowingNpy(self.directory / "indices.npy", np.dtype(np.int32), (3,)),
        }

    def write(self, batch: EventBatch) -> None:
        """Append ``batch`` (on any array namespace; copied to the host)."""
        batch = batch.to_numpy()
        momenta = np.asarray(batch.momenta, dtype=np.float64)
        n, npar = momenta.shape[:2]
        if self.npar is None:
            self._open(npar)
        elif npar != self.npar:
            raise ValueError(f"batch has {npar} particles, the files hold {self.npar}")
        missing = np.full(n, -1, dtype=np.int32)
        helicity = missing if batch.helicity is None else np.asarray(batch.helicity)
        color = missing if batch.color is None else np.asarray(batch.color)
        record = np.empty(n, dtype=record_dtype(npar))
        record["momenta"] = momenta
        for name in ("weight", "pdg", "subprocess", "channel", "x1", "x2", "scale", "alpha_s"):
            record[name] = np.asarray(getattr(batch, name))
        record["helicity"] = helicity
        record["color"] = color
        self._files["events"].append(record)
        self._files["momenta"].append(momenta)
        self._files["indices"].append(
            np.stack([record["subprocess"], record["helicity"], record["color"]], axis=1)
        )

    def close(self) -> None:
        for f in self._files.values():
            f.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
