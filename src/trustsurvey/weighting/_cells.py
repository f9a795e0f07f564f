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
from trustsurvey.weighting.margins import PreparedMargin

_DENSE_LIMIT = 1 << 20


@dataclass(frozen=True)
class Cells:
    """Rows grouped into cells; ``margin_maps[m][c]`` is cell ``c``'s category in margin ``m``.

    ``row_cell`` indexes cells for every row; ``active`` lists the cells with respondents.
    """

    row_cell: np.ndarray
    ncells: int
    active: np.ndarray
    margin_maps: tuple[np.ndarray, ...]

    def cell_sums(self, weights: np.ndarray) -> np.ndarray:
        return np.bincount(self.row_cell, weights=weights, minlength=self.ncells)

    def margin_codes(self, m: int) -> np.ndarray:
        """Category of every row in margin ``m``."""
        return self.margin_maps[m][self.row_cell]


def build_cells(margins: Sequence[PreparedMargin], factors: Mapping[str, Factor]) -> Cells:
    """Group rows by all margin variables at once (dense grid, or hashed when it is large)."""
    columns: list[str] = []
    for m in margins:
        for c in m.columns:
            if c not in columns:
                columns.append(c)
    fs = [factors[c] for c in columns]
    dims = tuple(f.nlevels for f in fs)
    size = 1
    for d in dims:
        size *= d
    if size <= _DENSE_LIMIT:
        code = fs[0].codes.astype(np.int64, copy=True)
        for f in fs[1:]:
            code *= f.nlevels
            code += f.codes
        counts = np.bincount(code, minlength=size)
        active = np.flatnonzero(counts)
        coords = np.unravel_index(np.arange(size), dims)
        ncells = size
        row_cell = code
    else:
        frame = pd.DataFrame({c: f.codes for c, f in zip(columns, fs, strict=True)})
        row_cell = frame.groupby(columns, sort=False).ngroup().to_numpy(dtype=np.int64)
        ncells = int(row_cell.max()) + 1 if row_cell.size else 0
        first = np.full(ncells, -1, dtype=np.int64)
        first[row_cell[::-1]] = np.arange(row_cell.size - 1, -1, -1)
        coords = tuple(f.codes[first] for f in fs)
        active = np.arange(ncells)
    maps = []
    for m in margins:
        sub = [coords[columns.index(c)] for c in m.columns]
        grid = np.ravel_multi_index(tuple(sub), m.dims) if len(sub) > 1 else sub[0]
        maps.append(m.grid_codes[grid])
    return Cells(row_cell, ncells, active, tuple(maps))
