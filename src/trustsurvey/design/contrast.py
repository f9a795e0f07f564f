"""Linear and non-linear contrasts of estimates and joint Wald tests.

* :func:`contrast` is R's ``svycontrast``: for linear combinations ``L b`` with covariance
  ``L V L'``, ``V`` the result's covariance (:func:`~trustsurvey.design.metadata.vcov`, from
  ``covmat=True`` or a model fit); for expressions (``"a / b"``, ``"exp(x)"``, a dict of
  named expressions, as R's ``svycontrast(est, quote(a/b))``) the delta method ``f(b)`` with
  covariance ``G V G'``, ``G`` the exact gradient (:mod:`trustsurvey.design.expression`; the
  expression is parsed against a whitelist, never evaluated by Python).
* :func:`wald_test` is R's ``regTermTest`` (method "Wald"): ``X^2 = (L b - c)' (L V L')^-1
  (L b - c)``; ``F = X^2 / q`` on ``(q, df)`` degrees of freedom, ``df`` the model's residual df
  (or the design df), and the chi-square p-value on ``q`` df (Lumley 2010, 5.2).

>>> import pandas as pd
>>> from trustsurvey.design.metadata import annotate
>>> res = pd.DataFrame({"estimate": [2.0, 1.0]}, index=pd.Index(["a", "b"], name="g"))
>>> res = annotate(res, covmat=[[1.0, 0.5], [0.5, 2.0]])
>>> contrast(res, {"a": 1, "b": -1}, df=10)["se"].round(6).tolist()
[1.414214]
>>> contrast(res, "a / b", df=10)[["estimate", "se"]].round(6).values.tolist()
[[2.0, 2.645751]]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from trustsurvey.design.metadata import result_info, vcov
from trustsurvey.design.results import wald_frame
from trustsurvey.errors import DesignError


def _label_position(labels: list, key: Any) -> int:
    if key in labels:
        return labels.index(key)
    text = [":".join(map(str, lab)) if isinstance(lab, tuple) else str(lab) for lab in labels]
    k = ":".join(map(str, key)) if isinstance(key, tuple) else str(key)
    if k in text:
        return text.index(k)
    raise DesignError(
        f"contrast names {key!r}, which is not a row of the result",
        item=str(key),
        hint=f"rows are: {', '.join(text[:20])}",
    )


def _one_vector(spec: Any, labels: list) -> np.ndarray:
    k = len(labels)
    if isinstance(spec, Mapping):
        vec = np.zeros(k)
        for key, coef in spec.items():
            vec[_label_position(labels, key)] += float(coef)
        return vec
    arr = np.asarray(spec, dtype=float).ravel()
    if arr.size != k:
        raise DesignError(
            f"contrast has {arr.size} coefficients for {k} rows",
            item="weights",
            hint="give one coefficient per row, or a dict row label -> coefficient",
        )
    return arr


def contrast_matrix(weights: Any, labels: list) -> tuple[np.ndarray, list[str]]:
    """Rows of ``L`` and their names from a dict, list/array, or dict of named contrasts."""
    if (
        isinstance(weights, Mapping)
        and weights
        and all(
            isinstance(v, Mapping | Sequence | np.ndarray) and not isinstance(v, str)
            for v in weights.values()
        )
    ):
        names = [str(n) for n in weights]
        return np.vstack([_one_vector(v, labels) for v in weights.values()]), names
    if isinstance(weights, np.ndarray) and weights.ndim == 2:
        return np.vstack([_one_vector(r, labels) for r in weights]), [
            f"contrast{i + 1}" for i in range(len(weights))
        ]
    return _one_vector(weights, labels)[None, :], ["contrast"]


def _covmat(result: pd.DataFrame) -> np.ndarray:
    return np.asarray(vcov(result), dtype=float)


def _is_expression(weights: Any) -> bool:
    return isinstance(weights, str) or (
        isinstance(weights, Mapping)
        and bool(weights)
        and all(isinstance(v, str) for v in weights.values())
    )


def _labels(result: pd.DataFrame) -> list:
    """Row labels of a result: its index, or its ``term`` column (``olr``)."""
    if "term" in result.columns and isinstance(result.index, pd.RangeIndex):
        return result["term"].tolist()
    return list(result.index)


def expression_rows(
    weights: str | Mapping[str, str], labels: list, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Values, gradients (one row per expression) and names of expressions of the estimates
    ``b`` whose rows are ``labels``."""
    from trustsurvey.design.expression import evaluate, parse

    items = {"contrast": weights} if isinstance(weights, str) else dict(weights)
    values, grads = [], []
    for text in items.values():
        expr = parse(text)
        order = [str(n) for n in expr.names]
        at = [_label_position(labels, n) for n in expr.names]
        v, g = evaluate(expr, {n: float(b[i]) for n, i in zip(order, at, strict=True)}, order)
        full = np.zeros(len(labels))
        np.add.at(full, at, g)
        values.append(v)
        grads.append(full)
    return np.asarray(values), np.vstack(grads), [str(n) for n in items]


def contrast(
    result: pd.DataFrame, weights: Any, *, level: float = 0.95, df: float | None = None
) -> pd.DataFrame:
    """Linear combinations of ``result``'s estimates, or expressions of them (a string or a
    dict name -> string, e.g. ``{"ratio": "a / b"}``), with design-based SEs."""
    labels = _labels(result)
    V = _covmat(result)
    b = result["estimate"].to_numpy(dtype=float)
    if _is_expression(weights):
        est, L, names = expression_rows(weights, labels, b)
    else:
        L, names = contrast_matrix(weights, labels)
        est = L @ b
    if df is None:
        df = float(result["df"].iloc[0]) if "df" in result else np.inf
    return wald_frame(est, L @ V @ L.T, df=df, index=pd.Index(names, name="contrast"), level=level)


def wald_test(
    result: pd.DataFrame,
    contrasts: Any = None,
    *,
    terms: str | Sequence[str] | None = None,
    null: Any = None,
    df: float | None = None,
    default_df: float = np.inf,
) -> pd.DataFrame:
    """Joint Wald test that ``L b = null`` (see module docstring)."""
    labels = list(result.index)
    V = _covmat(result)
    if terms is not None:
        tl = [terms] if isinstance(terms, str) else list(terms)
        term_map: dict[str, list[str]] = result_info(result).get("terms", {})
        cols: list = []
        for t in tl:
            if t in term_map:
                cols += term_map[t]
            else:
                cols.append(t)
        idx = [_label_position(labels, c) for c in cols]
        L = np.zeros((len(idx), len(labels)))
        L[np.arange(len(idx)), idx] = 1.0
        name = " + ".join(tl)
    elif contrasts is None:
        raise DesignError(
            "name the terms or give contrasts to test",
            item="contrasts",
            hint="e.g. wald_test(fit, terms=['C(sex)']) or a dict of named contrasts",
        )
    elif isinstance(contrasts, Sequence) and all(isinstance(c, str | tuple) for c in contrasts):
        idx = [_label_position(labels, c) for c in contrasts]
        L = np.zeros((len(idx), len(labels)))
        L[np.arange(len(idx)), idx] = 1.0
        name = " + ".join(map(str, contrasts))
    else:
        L, names = contrast_matrix(contrasts, labels)
        name = " + ".join(names)
    b = result["estimate"].to_numpy(dtype=float)
    lb = L @ b
    if null is not None:
        lb = lb - np.broadcast_to(np.asarray(null, dtype=float), lb.shape)
    q = L.shape[0]
    x2 = float(lb @ np.linalg.solve(L @ V @ L.T, lb))
    if df is None:
        df = float(result_info(result).get("df_residual", default_df))
    f = x2 / q
    p_f = float(stats.f.sf(f, q, df)) if np.isfinite(df) else float(stats.chi2.sf(x2, q))
    return pd.DataFrame(
        {
            "F": [f],
            "ndf": [float(q)],
            "ddf": [float(df)],
            "p": [p_f],
            "chisq": [x2],
            "p_chisq": [float(stats.chi2.sf(x2, q))],
        },
        index=pd.Index([name], name="test"),
    )
