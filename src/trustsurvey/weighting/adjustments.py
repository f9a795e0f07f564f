"""Calibration adjustments of influence values (R ``svyrecvar``'s ``postStrata`` handling).

A post-stratified, raked or calibrated design estimates variances from the residuals of the
weighted influence values on the calibration model, not from the values themselves (Lumley
2010, sec. 7.4; Särndal, Swensson and Wretman 1992, sec. 6.6). Each class below is one such
step; the design's variance routine calls ``adjust(scores)`` on an ``n × k`` array of weighted
influence values (rows in data order, zero outside a domain) before the stage-wise
aggregation, in the order the adjustments were made, exactly as R's ``svyrecvar`` walks
``design$postStrata``.

Each class stores the weights of the moment it was made (as R stores them in its
``postStrata`` attributes), so a later trimming does not change the residuals, as in R.

Examples
--------
>>> import numpy as np
>>> adj = PostStratAdjustment(np.array([0, 0, 1]), np.array([2.0, 2.0, 3.0]),
...                           np.array([1.0, 1.0, 1.0]))
>>> adj.adjust(np.array([[1.0], [3.0], [5.0]])).ravel().tolist()
[-1.0, 1.0, 0.0]
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from trustsurvey.design.variance import InfluenceAdjustment


def _as_matrix(scores: np.ndarray) -> tuple[np.ndarray, bool]:
    arr = np.asarray(scores, dtype=float)
    if arr.ndim == 1:
        return arr[:, None], True
    return arr, False


def _group_sums(codes: np.ndarray, ngroups: int, values: np.ndarray) -> np.ndarray:
    """Column-wise sums of ``values`` (n × k) within groups ``codes`` (k small)."""
    out = np.empty((ngroups, values.shape[1]))
    for j in range(values.shape[1]):
        out[:, j] = np.bincount(codes, weights=values[:, j], minlength=ngroups)
    return out


@dataclass(frozen=True, eq=False)
class PostStratAdjustment:
    """Remove post-stratum means: R ``svyrecvar`` for a ``postStratify`` index.

    ``x ← x − psw · Σ_h(x·oldw/psw) / Σ_h oldw`` within each post-stratum ``h``, where
    ``psw`` are the post-stratified and ``oldw`` the previous weights.
    """

    codes: np.ndarray
    weights: np.ndarray
    old_weights: np.ndarray
    name: str = "post-stratification"

    @cached_property
    def _parts(self) -> tuple[np.ndarray, sp.csr_matrix, np.ndarray]:
        psw = self.weights.copy()
        oldw = self.old_weights
        psw[(psw == 0) & (oldw == 0)] = 1.0
        n = psw.size
        ng = int(self.codes.max()) + 1 if self.codes.size else 0
        matrix = sp.csr_matrix((oldw / psw, (self.codes, np.arange(n))), shape=(ng, n))
        den = np.bincount(self.codes, weights=oldw, minlength=ng)
        return psw, matrix, den

    def adjust(self, scores: np.ndarray) -> np.ndarray:
        x, flat = _as_matrix(scores)
        psw, matrix, den = self._parts
        num = np.asarray(matrix @ x)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(den[:, None] != 0, num / den[:, None], 0.0)
        out = means[self.codes]
        out *= psw[:, None]
        np.subtract(x, out, out=out)
        return out[:, 0] if flat else out


@dataclass(frozen=True, eq=False)
class RakingAdjustment:
    """Raking residuals by backfitting: R ``svyrecvar`` for a ``"raking"`` element.

    Ten sweeps over the margins of ``x ← x − w · ave(x / w, margin)`` (``ave`` the unweighted
    mean within each margin category), as R does, so the SEs equal R's.
    """

    row_cell: np.ndarray
    margin_maps: tuple[np.ndarray, ...]
    weights: np.ndarray
    sweeps: int = 10
    name: str = "raking"

    @classmethod
    def from_codes(cls, codes: tuple[np.ndarray, ...], weights: np.ndarray) -> RakingAdjustment:
        """From each margin's category per row (rather than per cell)."""
        rows = np.arange(weights.size)
        return cls(rows, tuple(codes), weights)

    def margin_codes(self) -> list[np.ndarray]:
        """Category of every row in each margin."""
        return [cmap[self.row_cell] for cmap in self.margin_maps]

    @cached_property
    def _cells(self) -> tuple[np.ndarray, np.ndarray, sp.csr_matrix, list[np.ndarray]]:
        """Active cells, each row's active cell, the cell-by-row matrix of ``1 / w``, maps."""
        n = self.weights.size
        cell_counts = np.bincount(self.row_cell, minlength=self.margin_maps[0].size)
        act = np.flatnonzero(cell_counts)
        pos = np.zeros(cell_counts.size, dtype=np.intp)
        pos[act] = np.arange(act.size)
        row_act = pos[self.row_cell]
        safe_w = np.where(self.weights == 0, 1.0, self.weights)
        matrix = sp.csr_matrix((1.0 / safe_w, (row_act, np.arange(n))), shape=(act.size, n))
        maps = [cmap[act] for cmap in self.margin_maps]
        return cell_counts[act].astype(float), row_act, matrix, maps

    def adjust(self, scores: np.ndarray) -> np.ndarray:
        """R's ten backfitting sweeps, run on cell totals rather than on the rows.

        Every sweep subtracts ``w`` times a function of one margin's category, so after the
        sweeps ``x = x₀ − w · Σ_m b_m[category_m]``, a function of the cell. The coefficients
        ``b_m`` follow from the cell sums of ``x₀ / w`` and the cell counts, so the rows are
        read once and written once, whatever the number of sweeps.
        """
        x, flat = _as_matrix(scores)
        nact, row_act, matrix, maps = self._cells
        sizes = [int(mp.max()) + 1 if mp.size else 0 for mp in maps]
        cell_sums = np.asarray(matrix @ x)  # Σ x / w per active cell
        counts = [
            np.bincount(mp, weights=nact, minlength=s) for mp, s in zip(maps, sizes, strict=True)
        ]
        safe_counts = [np.where(c > 0, c, 1.0) for c in counts]
        sums = [_group_sums(mp, s, cell_sums) for mp, s in zip(maps, sizes, strict=True)]
        cross = {
            (a, b): np.bincount(
                maps[a] * sizes[b] + maps[b], weights=nact, minlength=sizes[a] * sizes[b]
            ).reshape(sizes[a], sizes[b])
            for a in range(len(maps))
            for b in range(len(maps))
            if a != b
        }
        coef = [np.zeros((s, x.shape[1])) for s in sizes]
        for _ in range(self.sweeps):
            for m in range(len(maps)):
                total = sums[m] - counts[m][:, None] * coef[m]
                for o in range(len(maps)):
                    if o != m:
                        total = total - cross[(m, o)] @ coef[o]
                coef[m] = coef[m] + total / safe_counts[m][:, None]
        per_cell = sum(b[mp] for b, mp in zip(coef, maps, strict=True))
        w = np.where(self.weights == 0, 1.0, self.weights)
        out = per_cell[row_act]
        out *= w[:, None]
        np.subtract(x, out, out=out)
        return out[:, 0] if flat else out


@dataclass(frozen=True, eq=False)
class GregAdjustment:
    """GREG residuals: R ``svyrecvar`` for a ``greg_calibration`` at stage 0.

    ``x ← qr.resid(qr(X·√d), x / w) · w`` with ``X`` the calibration model matrix, ``d`` the
    weights before calibration and ``w = g·√d`` (Deville and Särndal 1992; Lumley 2010, 7.4).
    ``q`` holds an orthonormal basis of the column space of ``X·√d``.
    """

    q: np.ndarray
    w: np.ndarray
    name: str = "calibration"

    def adjust(self, scores: np.ndarray) -> np.ndarray:
        x, flat = _as_matrix(scores)
        w = self.w
        safe_w = np.where(w == 0, 1.0, w)
        y = x / safe_w[:, None]
        resid = y - self.q @ (self.q.T @ y)
        out = resid * w[:, None]
        return out[:, 0] if flat else out


@dataclass(frozen=True, eq=False)
class RowSubsetAdjustment:
    """Apply ``inner`` to the rows ``rows`` only (weighting done within one group)."""

    inner: InfluenceAdjustment
    rows: np.ndarray
    name: str = "within-group"

    def adjust(self, scores: np.ndarray) -> np.ndarray:
        x, flat = _as_matrix(scores)
        out = x.copy()
        out[self.rows] = self.inner.adjust(x[self.rows])
        return out[:, 0] if flat else out


@dataclass(frozen=True, eq=False)
class CompositeAdjustment:
    """Several adjustments applied in order (e.g. one per weighting group)."""

    parts: tuple[object, ...]
    name: str = "composite"

    def adjust(self, scores: np.ndarray) -> np.ndarray:
        out = np.asarray(scores, dtype=float)
        for part in self.parts:
            out = part.adjust(out)  # type: ignore[attr-defined]
        return out
