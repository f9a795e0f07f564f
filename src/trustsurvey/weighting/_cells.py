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
        return np.bincount(self.row_cell, weights=weights, minlength=self.ncells)

    def margin_codes(self, m: int) -> np.ndarray:
        """Category of every row in margin ``m``."""
        return self.margin_maps[m][self.row_cell]


def build_cells(columns: Sequence[str], factors: Mapping[str, Factor]) -> Cells:
    """Group rows by all ``columns`` at once (a dense grid, or hashed when it is large)."""
    fs = [factors[c] for c in columns]
    dims = tuple(f.nlevels for f in fs)
    size = 1
    for d in dims:
        size *= d
    if size <= _DENSE_LIMIT:
        code = fs[0].codes.astype(np.intp)
        for f in fs[1:]:
            code *= f.nlevels
            code += f.codes
        counts = np.bincount(code, minlength=size)
        coords = tuple(np.unravel_index(np.arange(size), dims))
        return Cells(code, size, counts, np.flatnonzero(counts), list(columns), coords)
    frame = pd.DataFrame({c: f.codes for c, f in zip(columns, fs, strict=True)})
    row_cell = frame.groupby(list(columns), sort=False).ngroup().to_numpy(dtype=np.intp)
    ncells = int(row_cell.max()) + 1 if row_cell.size else 0
    first = np.full(ncells, -1, dtype=np.intp)
    first[row_cell[::-1]] = np.arange(row_cell.size - 1, -1, -1)
    coords = tuple(f.codes[first].astype(np.intp) for f in fs)
    counts = np.bincount(row_cell, minlength=ncells)
    return Cells(row_cell, ncells, counts, np.arange(ncells), list(columns), coords)
