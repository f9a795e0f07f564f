"""Calibration to population totals: linear (GREG), raking and logit distance functions.

Deville and Särndal (1992), "Calibration estimators in survey sampling", JASA 87: weights
``w = d·g`` with ``g = 1 + F⁻¹(x'λ)`` chosen so that ``Σ w x = T``; solved by Newton's method
exactly as R's ``survey:::grake`` (``calibrate(..., calfun=)``). Bounds ``(L, U)`` apply to
``g`` = new weight / design weight: ``linear`` truncates, ``logit`` is Deville and Särndal's
bounded method (needs ``L < 1 < U``), ``raking`` is ``g = exp(x'λ)`` (multiplicative; with
categorical totals only it equals iterative raking).

``totals`` maps a categorical column to ``{code: population count}`` (a tuple of columns to a
crossed margin keyed by tuples), a numeric column to its population total, and optionally
``"(Intercept)"`` to the population size.

Examples
--------
>>> import numpy as np, pandas as pd
>>> frame = pd.DataFrame({"g": ["a", "a", "b"], "x": [1.0, 2.0, 3.0]})
>>> res = calibrate_arrays(frame, np.ones(3), {"g": {"a": 4, "b": 2}, "x": 10.0})
>>> round(float(res.weights @ frame["x"]), 9)
10.0
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.linalg

from trustsurvey.errors import WeightingError
from trustsurvey.weighting.margins import PreparedMargin, prepare_margins

METHODS = ("linear", "raking", "logit")
INTERCEPT = "(Intercept)"


@dataclass
class CalibrationResult:
    """Calibrated weights, g-weights, the model basis for the variance, and diagnostics."""

    weights: np.ndarray
    g: np.ndarray
    basis: np.ndarray
    iterations: int
    max_rel_error: float
    labels: list[str]
    targets: np.ndarray
    achieved: np.ndarray
    margins: list[PreparedMargin]


def _bounds(method: str, bounds: object) -> tuple[float, float]:
    if bounds is None:
        lo, hi = -np.inf, np.inf
    else:
        try:
            lo, hi = (float(b) for b in bounds)  # type: ignore[attr-defined]
        except (TypeError, ValueError) as err:
            raise WeightingError(
                f"bounds={bounds!r} must be a pair (lower, upper)",
                item="bounds",
                hint="e.g. bounds=(0.5, 2): new weights between half and twice the design weights",
            ) from err
    if not lo < 1 < hi:
        raise WeightingError(
            f"bounds ({lo:g}, {hi:g}) on g = new / design weight must satisfy lower < 1 < upper",
            item="bounds",
            hint="e.g. bounds=(0.5, 2)",
        )
    if method == "logit" and not (np.isfinite(lo) and np.isfinite(hi)):
        raise WeightingError(
            "logit calibration needs finite bounds",
            item="bounds",
            hint="pass bounds=(lower, upper), e.g. (0.5, 2)",
        )
    return lo, hi


def _calfun(method: str, lo: float, hi: float):
    """``F⁻¹(u) − 1`` and its derivative, as R's ``cal.linear`` / ``cal.raking`` / ``cal.logit``."""
    if method == "linear":

        def fm1(u):
            return np.clip(u + 1, lo, hi) - 1

        def df(u):
            return ((u < hi - 1) & (u > lo - 1)).astype(float)

    elif method == "raking":

        def fm1(u):
            with np.errstate(over="ignore"):
                return np.clip(np.exp(u), lo, hi) - 1

        def df(u):
            with np.errstate(over="ignore"):
                return np.where((u < hi - 1) & (u > lo - 1), np.exp(u), 0.0)

    else:
        a = (hi - lo) / ((hi - 1) * (1 - lo))

        def fm1(u):
            with np.errstate(over="ignore", invalid="ignore"):
                e = np.exp(a * u)
                return (lo * (hi - 1) + hi * (1 - lo) * e) / (hi - 1 + (1 - lo) * e) - 1

        def df(u):
            with np.errstate(over="ignore", invalid="ignore"):
                e = np.exp(a * u)
                den = hi - 1 + (1 - lo) * e
                return (
                    hi * (1 - lo) * e * a / den
                    - ((lo * (hi - 1) + hi * (1 - lo) * e) * ((1 - lo) * e * a)) / den**2
                )

    return fm1, df


def model_matrix(
    data: pd.DataFrame, totals: Mapping[object, object]
) -> tuple[np.ndarray, np.ndarray, list[str], list[PreparedMargin]]:
    """Columns of the calibration model, their population totals and labels."""
    if not isinstance(totals, Mapping) or not totals:
        raise WeightingError(
            "no calibration totals given",
            hint='pass e.g. {"stype": {"E": 4421, "H": 755, "M": 1018}, "api99": 3914069}',
        )
    categorical = {
        k: v for k, v in totals.items() if k != INTERCEPT and not np.isscalar(v) and v is not None
    }
    numeric = {k: v for k, v in totals.items() if k == INTERCEPT or np.isscalar(v)}
    n = len(data)
    cols: list[np.ndarray] = []
    targets: list[float] = []
    labels: list[str] = []
    prepared: list[PreparedMargin] = []
    if categorical:
        prepared, cells = prepare_margins(data, categorical)
        for k, m in enumerate(prepared):
            codes = cells.margin_codes(k)
            for i, t in enumerate(m.targets):
                cols.append((codes == i).astype(float))
                targets.append(float(t))
                labels.append(f"{m.label} = {m.level_label(i)}")
    for key, value in numeric.items():
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            raise WeightingError(
                f"total {value!r} is not a number",
                item=str(key),
                hint="give a numeric column's population total, or a mapping for a category",
            )
        if key == INTERCEPT:
            cols.append(np.ones(n))
        else:
            if not isinstance(key, str) or key not in data.columns:
                raise WeightingError(
                    "calibration total names a column that is not in the data",
                    item=str(key),
                    hint="check the spelling of the column",
                )
            x = pd.to_numeric(data[key], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            bad = ~np.isfinite(x)
            if bad.any():
                raise WeightingError(
                    f"calibration variable has {int(bad.sum())} missing or non-numeric value(s)",
                    item=key,
                    row=[int(i) + 1 for i in np.flatnonzero(bad)],
                    hint="impute them or calibrate on complete cases explicitly",
                )
            cols.append(x)
        targets.append(float(value))
        labels.append(str(key))
    return np.column_stack(cols), np.array(targets), labels, prepared


def _independent_columns(xw: np.ndarray) -> np.ndarray:
    """Indices of a maximal set of linearly independent columns (pivoted QR)."""
    _, r, piv = scipy.linalg.qr(xw, mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    if diag.size == 0 or diag[0] == 0:
        return np.zeros(0, dtype=int)
    rank = int((diag > diag[0] * max(xw.shape) * np.finfo(float).eps * 16).sum())
    return np.sort(piv[:rank])


def calibrate_arrays(
    data: pd.DataFrame,
    weights: np.ndarray,
    totals: Mapping[object, object],
    *,
    method: str = "linear",
    bounds: object = None,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> CalibrationResult:
    """Calibrate ``weights`` (rows of ``data``) to ``totals``; see the module docstring."""
    if method not in METHODS:
        raise WeightingError(
            f"unknown calibration method {method!r}",
            item="method",
            hint=f"use one of {', '.join(METHODS)}",
        )
    if not (tol > 0):
        raise WeightingError(f"tol={tol!r} must be positive", item="tol")
    lo, hi = _bounds(method, bounds)
    x_full, pop_full, labels, prepared = model_matrix(data, totals)
    d = np.asarray(weights, dtype=float)
    whalf = np.sqrt(d)
    keep = _independent_columns(x_full * whalf[:, None])
    x, pop = x_full[:, keep], pop_full[keep]
    fm1, df = _calfun(method, lo, hi)
    sample_total = d @ x
    eta = np.zeros(x.shape[1])
    u = x @ eta
    g = 1 + fm1(u)
    deriv = df(u)
    it = 1
    scale_pop = np.where(pop_full != 0, np.abs(pop_full), 1.0)
    while True:
        tmat = (x * (d * deriv)[:, None]).T @ x
        misfit = pop - sample_total - (d * fm1(u)) @ x
        deta = np.linalg.pinv(tmat, rcond=256 * np.finfo(float).eps, hermitian=True) @ misfit
        eta = eta + deta
        u = x @ eta
        g = 1 + fm1(u)
        deriv = df(u)
        while it < max_iter and not (np.isfinite(g).all() and np.isfinite(deriv).all()):
            it += 1
            deta = deta / 2
            eta = eta - deta
            u = x @ eta
            g = 1 + fm1(u)
            deriv = df(u)
        achieved = (d * g) @ x_full
        worst = float(np.max(np.abs(achieved - pop_full) / scale_pop))
        if worst <= tol and np.isfinite(g).all():
            break
        it += 1
        if it > max_iter:
            order = np.argsort(-np.abs(achieved - pop_full) / scale_pop)[:8]
            detail = "; ".join(
                f"{labels[i]}: {achieved[i]:.8g} vs target {pop_full[i]:.8g}" for i in order
            )
            raise WeightingError(
                f"{method} calibration did not converge within max_iter={max_iter} iterations "
                f"(largest relative error {worst:.3g} > tol={tol:g}); remaining "
                f"discrepancies: {detail}",
                item=labels,
                hint="widen the bounds, raise max_iter, or drop or collapse totals that the "
                "sample cannot reach",
            )
    new_w = d * g
    basis, _ = np.linalg.qr(x * whalf[:, None])
    return CalibrationResult(new_w, g, basis, it, worst, labels, pop_full, achieved, prepared)
