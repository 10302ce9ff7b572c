"""Finding an LHAPDF set on disk and evaluating its central member on any array namespace."""

from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from array_api_compat import array_namespace, device, is_array_api_obj

from .alphas import AlphaSTables, alphas_q2, alphas_tables
from .errors import PDFFormatError, PDFRangeError, PDFSetNotFoundError
from .interpolation import (
    KnotTables,
    SliceTables,
    extrapolate,
    interpolate,
    interpolate_slice,
    knot_tables,
    slice_at,
)
from .lhagrid import InfoValue, parse_info, read_member

__all__ = ["PDFSet", "load", "DEFAULT_SET", "DATA_DIR", "search_path"]

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_SET = "pyumami_LHtoy_LO"
"""The set shipped with the package (see docs/pdf.md): Les Houches toy PDFs, LO DGLAP."""

Array = Any
T = TypeVar("T")
#: Fixed-Q^2 slices of the grid kept per set (a run with a fixed scale uses one).
_MAX_SLICES = 16


def search_path() -> list[Path]:
    """Where set names are looked up: ``LHAPDF_DATA_PATH``, then ``LHAPATH`` (each a
    colon-separated list of directories), then the package's own data directory."""
    dirs: list[Path] = []
    for variable in ("LHAPDF_DATA_PATH", "LHAPATH"):
        dirs += [Path(p) for p in os.environ.get(variable, "").split(os.pathsep) if p]
    return [*dirs, DATA_DIR]


def _set_directory(name_or_path: str | os.PathLike[str] | None) -> Path:
    if name_or_path is None:
        return DATA_DIR / DEFAULT_SET
    candidate = Path(name_or_path)
    if candidate.suffix == ".info" and candidate.is_file():
        return candidate.parent
    if candidate.is_dir() and (candidate / f"{candidate.name}.info").is_file():
        return candidate
    if isinstance(name_or_path, str) and os.sep not in name_or_path:
        for directory in search_path():
            if (directory / name_or_path / f"{name_or_path}.info").is_file():
                return directory / name_or_path
    searched = ", ".join(str(d) for d in search_path())
    raise PDFSetNotFoundError(
        f"no LHAPDF set {str(name_or_path)!r}: not a set directory (NAME/NAME.info) and not "
        f"found as NAME/NAME.info under {searched}; put the set's directory on "
        f"LHAPDF_DATA_PATH (colon-separated) or give its path"
    )


class PDFSet:
    """The central member of an LHAPDF grid set (``lhagrid1`` format).

    Evaluation follows the arrays it is given: NumPy in, NumPy out; CuPy in, CuPy out
    (the knot tables are copied to each namespace and device once and kept). Every
    method broadcasts its arguments and evaluates all points at once.

    Attributes:
        name: the set's name (its directory name).
        path: the set's directory.
        info: the ``.info`` keys and values.
        flavors: PDG ids present in the grid (21 = gluon).
        x_min, x_max: first and last x knot.
        q_min, q_max: first and last Q knot in GeV.
        order_qcd: ``OrderQCD`` of the set (0 = LO), or None when the set does not say.
    """

    def __init__(self, path: Path, member: int = 0) -> None:
        self.path = path
        self.name = path.name
        info_file = path / f"{self.name}.info"
        self.info: dict[str, InfoValue] = parse_info(info_file.read_text(), str(info_file))
        member_file = path / f"{self.name}_{member:04d}.dat"
        if not member_file.is_file():
            raise PDFSetNotFoundError(f"{member_file} does not exist (member {member} of the set)")
        _, subgrids = read_member(member_file)
        self._tables = knot_tables(subgrids, str(member_file))
        x = subgrids[0].x
        self.flavors: tuple[int, ...] = tuple(int(p) for p in subgrids[0].pids)
        self.x_min, self.x_max = float(x[0]), float(x[-1])
        self.q_min, self.q_max = float(subgrids[0].q[0]), float(subgrids[-1].q[-1])
        order = self.info.get("OrderQCD")
        self.order_qcd: int | None = int(order) if isinstance(order, (int, float)) else None
        self._alphas: AlphaSTables | None = None
        if "AlphaS_Qs" in self.info and "AlphaS_Vals" in self.info:
            qs, vals = self.info["AlphaS_Qs"], self.info["AlphaS_Vals"]
            if not isinstance(qs, list) or not isinstance(vals, list):
                raise PDFFormatError(f"{info_file}: AlphaS_Qs and AlphaS_Vals must be lists")
            self._alphas = alphas_tables(qs, vals, str(info_file))
        self._lookup = self._pid_lookup()
        self._on: dict[tuple[str, str], tuple[KnotTables, AlphaSTables | None, Array]] = {}
        self._slices: dict[tuple[str, str, float], SliceTables] = {}

    def __repr__(self) -> str:
        return (
            f"PDFSet({self.name!r}, flavors={list(self.flavors)}, x=[{self.x_min:g}, "
            f"{self.x_max:g}], Q=[{self.q_min:g}, {self.q_max:g}] GeV)"
        )

    def _pid_lookup(self) -> np.ndarray:
        """Column of each PDG id in [-span, span] (-1 where absent; 0 means the gluon)."""
        span = self._span = max(21, *(abs(p) for p in self.flavors))
        lookup = np.full(2 * span + 1, -1, dtype=np.int64)
        for column, pid in enumerate(self.flavors):
            lookup[pid + span] = column
        if 21 in self.flavors:
            lookup[span] = self.flavors.index(21)
        return lookup

    def _tables_for(self, xp: Any, where: Any) -> tuple[KnotTables, AlphaSTables | None, Array]:
        """The knot tables in namespace ``xp`` on device ``where``, copied there once."""
        key = (xp.__name__, str(where))
        if key not in self._on:
            self._on[key] = (
                _moved(self._tables, xp, where),
                None if self._alphas is None else _moved(self._alphas, xp, where),
                _as_array(xp, self._lookup, None, where),
            )
        return self._on[key]

    @staticmethod
    def _namespace(*args: Any) -> tuple[Any, Any]:
        arrays = [a for a in args if is_array_api_obj(a)]
        if not arrays:
            return array_namespace(np.asarray(0.0)), None
        return array_namespace(*arrays), device(arrays[0])

    def xfxQ2(self, pid: int | Array, x: float | Array, Q2: float | Array) -> Array:  # noqa: N802
        """x*f(x, Q^2) for PDG id ``pid`` (0 and 21 are the gluon; ids not in the set give 0).

        Args:
            pid: int or integer array.
            x: momentum fraction(s), 0 <= x <= x_max.
            Q2: factorisation scale(s) squared in GeV^2, > 0.

        Returns:
            An array of the broadcast shape of the arguments, in their namespace.

        Raises:
            PDFRangeError: some x outside [0, x_max] or Q^2 not positive and finite
                (checked on the host: one synchronisation per call on a GPU).
        """
        xp, where = self._namespace(pid, x, Q2)
        tables, _, lookup = self._tables_for(xp, where)
        pid_arr = _as_array(xp, pid, None, where)
        x_arr = _as_array(xp, x, xp.float64, where)
        if isinstance(Q2, int | float | np.integer | np.floating) and is_array_api_obj(x):
            fixed = self._at_fixed_q2(xp, where, pid_arr, x_arr, float(Q2))
            if fixed is not None:
                return fixed
        q2_arr = _as_array(xp, Q2, xp.float64, where)
        # The points (x, Q^2) get their interpolation weights once; the flavours
        # broadcast against them only in the final gathers.
        x_arr, q2_arr = xp.broadcast_arrays(x_arr, q2_arr)
        bad = ~((x_arr >= 0) & (x_arr <= self.x_max) & (q2_arr > 0) & (q2_arr < math.inf))
        if bool(xp.any(bad)):
            raise PDFRangeError(
                f"{self.name}: x must lie in [0, {self.x_max:g}] and Q^2 be positive and "
                f"finite; {int(xp.sum(xp.astype(bad, xp.int64)))} of {math.prod(bad.shape)} "
                f"points do not"
            )
        column, present = self._columns(xp, lookup, pid_arr)
        logx = xp.log(x_arr)
        logq2 = xp.log(q2_arr)
        inside = (logx >= tables.logx[0]) & (logq2 >= tables.logq2[0]) & (logq2 <= tables.logq2[-1])
        if bool(xp.all(inside)):
            values = interpolate(xp, tables, logx, logq2, column)
        else:
            values = extrapolate(xp, tables, logx, logq2, column)
        return xp.where(present, values, xp.zeros_like(values))

    def _columns(self, xp: Any, lookup: Array, pid_arr: Array) -> tuple[Array, Array]:
        """Column of each PDG id in the knot tables (0 where absent) and whether present."""
        span = self._span
        clipped = xp.clip(pid_arr, -span, span)
        column = xp.reshape(
            xp.take(lookup, xp.reshape(xp.astype(clipped + span, lookup.dtype), (-1,))),
            clipped.shape,
        )
        present = (column >= 0) & (clipped == pid_arr)
        return xp.where(present, column, xp.zeros_like(column)), present

    def _at_fixed_q2(
        self, xp: Any, where: Any, pid_arr: Array, x_arr: Array, q2: float
    ) -> Array | None:
        """x*f at one host Q^2 for an array of x, from the grid folded to that Q^2 once
        (kept for the next call); None where a point needs the general path (x below the
        grid, Q^2 outside it, or x out of range, which the general path reports)."""
        if not (0.0 < q2 < math.inf):
            return None
        logq2 = math.log(q2)
        if not (self._tables.logq2[0] <= logq2 <= self._tables.logq2[-1]):
            return None
        tables, _, lookup = self._tables_for(xp, where)
        if not bool(xp.all((x_arr >= self.x_min) & (x_arr <= self.x_max))):
            return None
        key = (xp.__name__, str(where), q2)
        sl = self._slices.get(key)
        if sl is None:
            if len(self._slices) >= _MAX_SLICES:
                self._slices.clear()
            sl = self._slices[key] = slice_at(xp, tables, logq2)
        column, present = self._columns(xp, lookup, pid_arr)
        values = interpolate_slice(xp, sl, xp.log(x_arr), column)
        return xp.where(present, values, xp.zeros_like(values))

    def xfxQ(self, pid: int | Array, x: float | Array, Q: float | Array) -> Array:  # noqa: N802
        """x*f(x, Q) with Q in GeV; see :meth:`xfxQ2`."""
        if isinstance(Q, int | float | np.integer | np.floating):
            return self.xfxQ2(pid, x, float(Q) ** 2)
        xp, where = self._namespace(pid, x, Q)
        q = _as_array(xp, Q, xp.float64, where)
        return self.xfxQ2(pid, x, q * q)

    def alphasQ2(self, Q2: float | Array) -> Array:  # noqa: N802
        """alpha_s(Q^2) from the set's tabulated grid (LHAPDF's ``ipol``), Q^2 in GeV^2.

        Raises:
            PDFFormatError: the set's ``.info`` has no ``AlphaS_Qs``/``AlphaS_Vals`` grid.
        """
        if self._alphas is None:
            raise PDFFormatError(
                f"{self.name}.info has no AlphaS_Qs/AlphaS_Vals grid; give alpha_s explicitly"
            )
        xp, where = self._namespace(Q2)
        _, tables, _ = self._tables_for(xp, where)
        assert tables is not None  # present whenever self._alphas is
        q2 = _as_array(xp, Q2, xp.float64, where)
        return alphas_q2(xp, tables, q2)

    def alphasQ(self, Q: float | Array) -> Array:  # noqa: N802
        """alpha_s(Q), Q in GeV; see :meth:`alphasQ2`."""
        xp, where = self._namespace(Q)
        q = _as_array(xp, Q, xp.float64, where)
        return self.alphasQ2(q * q)


def _as_array(xp: Any, value: Any, dtype: Any, where: Any) -> Array:
    """``value`` as an array of ``xp`` on device ``where`` (arrays of ``xp`` pass through)."""
    if is_array_api_obj(value) and not isinstance(value, np.ndarray | np.generic):
        return value
    if where is None:
        return xp.asarray(value, dtype=dtype)
    return xp.asarray(value, dtype=dtype, device=where)


def _moved(tables: T, xp: Any, where: Any) -> T:
    """A copy of a tables dataclass with every NumPy field as an array of ``xp`` on ``where``."""
    arrays = {
        field.name: _as_array(xp, getattr(tables, field.name), None, where)
        for field in dataclasses.fields(tables)  # type: ignore[arg-type]
        if isinstance(getattr(tables, field.name), np.ndarray)
    }
    return dataclasses.replace(tables, **arrays)  # type: ignore[type-var]


def load(name_or_path: str | os.PathLike[str] | None = None, member: int = 0) -> PDFSet:
    """Open an LHAPDF grid set.

    Args:
        name_or_path: None for the set shipped with pyumami (:data:`DEFAULT_SET`); a set
            name, looked up as NAME/NAME.info on :func:`search_path`; or the path of a set
            directory or of its ``.info`` file.
        member: which ``NAME_XXXX.dat`` to read (0, the central member, by default).

    Raises:
        PDFSetNotFoundError: no such set; the message lists the directories searched.
        PDFFormatError: the files are not a readable lhagrid1 set.
    """
    return PDFSet(_set_directory(name_or_path), member)
