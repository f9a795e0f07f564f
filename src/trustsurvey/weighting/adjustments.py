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

import numpy as np


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

    def adjust(self, scores: np.ndarray) -> np.ndarray:
        x, flat = _as_matrix(scores)
        psw = self.weights.copy()
        oldw = self.old_weights
        psw[(psw == 0) & (oldw == 0)] = 1.0
        ng = int(self.codes.max()) + 1 if self.codes.size else 0
        num = _group_sums(self.codes, ng, x * (oldw / psw)[:, None])
        den = np.bincount(self.codes, weights=oldw, minlength=ng)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(den[:, None] != 0, num / den[:, None], 0.0)
        out = x - means[self.codes] * psw[:, None]
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

    def adjust(self, scores: np.ndarray) -> np.ndarray:
        x, flat = _as_matrix(scores)
        x = x.copy()
        w = self.weights
        safe_w = np.where(w == 0, 1.0, w)
        all_codes = self.margin_codes()
        for _ in range(self.sweeps):
            for codes in all_codes:
                ng = int(codes.max()) + 1 if codes.size else 0
                counts = np.bincount(codes, minlength=ng).astype(float)
                counts[counts == 0] = 1.0
                means = _group_sums(codes, ng, x / safe_w[:, None]) / counts[:, None]
                x -= safe_w[:, None] * means[codes]
        return x[:, 0] if flat else x


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

    inner: PostStratAdjustment | RakingAdjustment | GregAdjustment
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
