"""Cross-classified cells of the weighting variables.

Raking and post-stratification factors depend only on a respondent's cell in the
cross-classification of the margin variables, so the iterations run on cell totals (a few
hundred numbers) and the result is expanded back to the rows once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from trustsurvey.weighting._codes import Factor

_DENSE_LIMIT = 1 << 20


@dataclass
class Cells:
    """Rows grouped into cells of the variables ``columns``.

    ``row_cell`` indexes cells for every row; ``counts`` are respondents per cell; ``active``
    lists the cells with respondents; ``coords[k][c]`` is cell ``c``'s level of
    ``columns[k]``; ``margin_maps[m][c]`` is cell ``c``'s category in margin ``m`` (set by
    :func:`~trustsurvey.weighting.margins.prepare_margins`).
    """

    row_cell: np.ndarray
    ncells: int
    counts: np.ndarray
    active: np.ndarray
    columns: list[str]
    coords: tuple[np.ndarray, ...]
    margin_maps: tuple[np.ndarray, ...] = ()

    def cell_sums(self, weights: np.ndarray) -> np.ndarray:
        """Total weight per cell (counts times the weight when all weights are equal)."""
        if weights.size and weights[0] == weights.max() == weights.min():
            return self.counts * float(weights[0])
        return np.bincount(self.row_cell, weights=weights, minlength=self.ncells)

    def margin_codes(self, m: int) -> np.ndarray:
        """Category of every row in margin ``m``."""
        return self.margin_maps[m][self.row_cell]


def _codes(f: Factor) -> np.ndarray:
    if f.codes is None:
        raise ValueError(f"column {f.column!r} was not coded")  # a bug, not bad input
    return f.codes


def build_cells(columns: Sequence[str], factors: Mapping[str, Factor]) -> Cells:
    """Group rows by all ``columns`` at once (a dense grid, or hashed when it is large)."""
    fs = [factors[c] for c in columns]
    codes = [_codes(f) for f in fs]
    dims = tuple(f.nlevels for f in fs)
    size = 1
    for d in dims:
        size *= d
    if size <= _DENSE_LIMIT:
        code = codes[0].astype(np.intp)
        for f, fc in zip(fs[1:], codes[1:], strict=True):
            code *= f.nlevels
            code += fc
        counts = np.bincount(code, minlength=size)
        coords = tuple(np.unravel_index(np.arange(size), dims))
        return Cells(code, size, counts, np.flatnonzero(counts), list(columns), coords)
    frame = pd.DataFrame(dict(zip(columns, codes, strict=True)))
    row_cell = frame.groupby(list(columns), sort=False).ngroup().to_numpy(dtype=np.intp)
    ncells = int(row_cell.max()) + 1 if row_cell.size else 0
    first = np.full(ncells, -1, dtype=np.intp)
    first[row_cell[::-1]] = np.arange(row_cell.size - 1, -1, -1)
    coords = tuple(fc[first].astype(np.intp) for fc in codes)
    counts = np.bincount(row_cell, minlength=ncells)
    return Cells(row_cell, ncells, counts, np.arange(ncells), list(columns), coords)


def _plain_numeric(series: pd.Series) -> np.ndarray | None:
    if isinstance(series.dtype, pd.api.extensions.ExtensionDtype) or series.dtype.kind not in "fiu":
        return None
    return series.to_numpy()


def fast_cells(
    data: pd.DataFrame, columns: Sequence[str]
) -> tuple[Cells, dict[str, Factor]] | None:
    """Cells straight from integer-valued numeric columns, without coding each column first.

    The cell of a row is ``Σ_k (v_k − lo_k) · stride_k`` computed in floating point (exact for
    integers below 2**53), after checking that every float column holds whole numbers.
    Returns ``None`` when a column is not plain numeric, holds missing or non-integer values,
    or the grid would be too large (the general path then handles it and reports problems).
    """
    arrays, los, dims = [], [], []
    buf: np.ndarray | None = None
    for c in columns:
        v = _plain_numeric(data[c])
        if v is None or v.size == 0:
            return None
        lo, hi = v.min(), v.max()
        if not (np.isfinite(lo) and np.isfinite(hi)) or lo != int(lo) or hi != int(hi):
            return None
        if v.dtype.kind == "f":
            if buf is None:
                buf = np.empty(v.size)
            np.trunc(v, out=buf)
            if not np.array_equal(buf, v):
                return None
        arrays.append(v)
        los.append(int(lo))
        dims.append(int(hi) - int(lo) + 1)
    size = 1
    for d in dims:
        size *= d
    if size > _DENSE_LIMIT:
        return None
    strides = [1] * len(dims)
    for k in range(len(dims) - 2, -1, -1):
        strides[k] = strides[k + 1] * dims[k + 1]
    if buf is None:
        buf = np.empty(arrays[0].size)
    acc = np.multiply(arrays[0], float(strides[0]), dtype=float)
    for v, s in zip(arrays[1:], strides[1:], strict=True):
        if s == 1:
            np.add(acc, v, out=acc, casting="unsafe")
        else:
            np.multiply(v, float(s), out=buf, casting="unsafe")
            np.add(acc, buf, out=acc)
    offset = float(sum(lo * s for lo, s in zip(los, strides, strict=True)))
    if offset:
        np.subtract(acc, offset, out=acc)
    code = buf.view(np.intp)  # reuse the scratch buffer for the cell codes
    np.copyto(code, acc, casting="unsafe")
    del acc, buf
    counts = np.bincount(code, minlength=size)
    if counts.size != size:
        return None
    coords = tuple(np.unravel_index(np.arange(size), dims))
    active = np.flatnonzero(counts)
    factors: dict[str, Factor] = {}
    new_coords = []
    for c, lo, d, cd in zip(columns, los, dims, coords, strict=True):
        per_level = np.bincount(cd[active], weights=counts[active], minlength=d)
        present = np.flatnonzero(per_level)
        remap = np.zeros(d, dtype=np.intp)  # gap levels (no respondents) map anywhere
        remap[present] = np.arange(present.size)
        factors[c] = Factor(c, None, [float(p + lo) for p in present], True)
        new_coords.append(remap[cd])
    return Cells(code, size, counts, active, list(columns), tuple(new_coords)), factors
