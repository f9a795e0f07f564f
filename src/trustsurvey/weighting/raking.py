"""Raking (iterative proportional fitting) on cell totals.

Deming and Stephan (1940); R ``survey::rake`` (Lumley 2010, sec. 7.3). Each sweep scales the
weights so that each margin in turn matches its population counts; because the factors depend
only on a respondent's cross-classified cell, the sweeps run on cell totals and the weights
are expanded back to the rows once. Converged when the largest relative margin error
``|achieved − target| / target`` is at most ``tol``.

Examples
--------
>>> import numpy as np, pandas as pd
>>> frame = pd.DataFrame({"sex": [1, 1, 2, 2], "age": [1, 2, 1, 2]})
>>> res = rake_arrays(frame, np.ones(4), {"sex": {1: 50, 2: 50}, "age": {1: 30, 2: 70}})
>>> res.weights.round(6).tolist()
[15.0, 35.0, 15.0, 35.0]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from trustsurvey.errors import WeightingError
from trustsurvey.weighting._cells import Cells
from trustsurvey.weighting.margins import PreparedMargin, prepare_margins


@dataclass
class RakeResult:
    """Raked weights with what the diagnostics and the variance adjustment need."""

    weights: np.ndarray
    iterations: int
    max_rel_error: float
    margins: list[PreparedMargin]
    cells: Cells
    achieved: list[np.ndarray] = field(default_factory=list)


def margin_errors(
    margins: list[PreparedMargin], cells: Cells, cell_w: np.ndarray
) -> tuple[list[np.ndarray], float]:
    """Achieved margin totals from cell totals and the largest relative error."""
    achieved = []
    worst = 0.0
    for m, cmap in zip(margins, cells.margin_maps, strict=True):
        act = cells.active
        got = np.bincount(cmap[act], weights=cell_w[act], minlength=len(m.targets))
        achieved.append(got)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.abs(got - m.targets) / np.where(m.targets > 0, m.targets, 1.0)
        if rel.size:
            worst = max(worst, float(rel.max()))
    return achieved, worst


def discrepancy_text(margins: list[PreparedMargin], achieved: list[np.ndarray], limit=8) -> str:
    rows = []
    for m, got in zip(margins, achieved, strict=True):
        for i, (g, t) in enumerate(zip(got, m.targets, strict=True)):
            rel = abs(g - t) / t if t > 0 else abs(g - t)
            rows.append((rel, f"{m.label} = {m.level_label(i)}: {g:.8g} vs target {t:.8g}"))
    rows.sort(key=lambda r: -r[0])
    return "; ".join(f"{text} (rel. error {rel:.2e})" for rel, text in rows[:limit])


def ipf_cells(
    cells: Cells,
    margins: list[PreparedMargin],
    cell_w: np.ndarray,
    *,
    tol: float,
    max_iter: int,
) -> tuple[np.ndarray, int, float, list[np.ndarray]]:
    """Raking factors per cell (full-length array, 1 outside the active cells)."""
    act = cells.active
    w = cell_w[act]
    maps = [cmap[act] for cmap in cells.margin_maps]
    targets = [m.targets for m in margins]
    scales = [np.where(t > 0, t, 1.0) for t in targets]
    safe = [t > 0 for t in targets]

    def errors(cw: np.ndarray) -> tuple[list[np.ndarray], float]:
        got = [
            np.bincount(cmap, weights=cw, minlength=t.size)
            for cmap, t in zip(maps, targets, strict=True)
        ]
        worst = max(
            (
                float(np.max(np.abs(g - t) / s))
                for g, t, s in zip(got, targets, scales, strict=True)
            ),
            default=0.0,
        )
        return got, worst

    f = np.ones(act.size)
    achieved, worst = errors(w)
    it = 0
    while worst > tol and it < max_iter:
        it += 1
        for cmap, tgt, ok in zip(maps, targets, safe, strict=True):
            got = np.bincount(cmap, weights=w * f, minlength=tgt.size)
            ratio = np.ones(tgt.size)
            pos = ok & (got > 0)
            ratio[pos] = tgt[pos] / got[pos]
            f *= ratio[cmap]
        achieved, worst = errors(w * f)
    full = np.ones(cells.ncells)
    full[act] = f
    return full, it, worst, achieved


def rake_arrays(
    data: pd.DataFrame,
    weights: np.ndarray,
    margins: Mapping[object, object],
    *,
    total: float | None = None,
    tol: float = 1e-10,
    max_iter: int = 1000,
) -> RakeResult:
    """Rake ``weights`` (row order of ``data``) to ``margins``; see the module docstring."""
    if not (tol > 0):
        raise WeightingError(f"tol={tol!r} must be positive", item="tol")
    if max_iter < 1:
        raise WeightingError(f"max_iter={max_iter!r} must be at least 1", item="max_iter")
    prepared, cells = prepare_margins(data, margins, total=total)
    cell_w = cells.cell_sums(weights)
    full, it, worst, achieved = ipf_cells(cells, prepared, cell_w, tol=tol, max_iter=max_iter)
    if worst > tol:
        raise WeightingError(
            f"raking did not converge within max_iter={max_iter} sweeps: largest relative "
            f"margin error {worst:.3g} > tol={tol:g}; remaining discrepancies: "
            + discrepancy_text(prepared, achieved),
            item=[m.label for m in prepared],
            hint="raise max_iter, loosen tol, or collapse sparse categories (margins that "
            "cannot all be met at once, e.g. because of empty cells, never converge)",
        )
    new_w = weights * full[cells.row_cell]
    return RakeResult(new_w, it, worst, prepared, cells, achieved)
