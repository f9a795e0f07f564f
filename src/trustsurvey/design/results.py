"""Tidy result frames: ``estimate, se, ci_low, ci_high, df, deff, n`` (+ ``cv``, ``moe``).

Intervals use Student's t with the design degrees of freedom (PSUs minus strata of the full
design, R's ``degf(design)``), as Stata's ``subpop`` and R's ``confint(x, df=degf(design))``;
R's default ``confint`` is normal.

>>> import numpy as np
>>> frame = result_frame(np.array([1.0]), np.array([0.25]), df=10, n=np.array([5]),
...                      index=pd.Index(["y"], name="variable"))
>>> list(frame.columns)
['estimate', 'se', 'ci_low', 'ci_high', 'df', 'deff', 'n']
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from trustsurvey.design.metadata import annotate

COLUMNS = ["estimate", "se", "ci_low", "ci_high", "df", "deff", "n"]


def t_quantile(level: float, df: float) -> float:
    """Two-sided critical value of Student's t (normal for infinite df)."""
    a = 1 - (1 - level) / 2
    return float(stats.norm.ppf(a) if not np.isfinite(df) else stats.t.ppf(a, df))


def result_frame(
    estimate: np.ndarray,
    variance: np.ndarray,
    *,
    df: float,
    n: np.ndarray,
    index: pd.Index,
    deff: np.ndarray | None = None,
    level: float = 0.95,
    cv: bool = False,
    moe: bool = False,
    ci: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Assemble a result frame; ``variance`` are the estimates' variances."""
    est = np.asarray(estimate, dtype=float)
    se = np.sqrt(np.clip(np.asarray(variance, dtype=float), 0, None))
    half = t_quantile(level, df) * se
    lo, hi = (est - half, est + half) if ci is None else ci
    out = pd.DataFrame(
        {
            "estimate": est,
            "se": se,
            "ci_low": lo,
            "ci_high": hi,
            "df": np.full(len(est), df, dtype=float),
            "deff": np.full(len(est), np.nan) if deff is None else np.asarray(deff, float),
            "n": np.asarray(n, dtype=np.int64),
        },
        index=index,
    )
    if cv:
        with np.errstate(divide="ignore", invalid="ignore"):
            out["cv"] = se / np.abs(est)
    if moe:
        out["moe"] = half
    return annotate(out, level=level)


def wald_frame(
    estimate: np.ndarray,
    cov: np.ndarray,
    *,
    df: float,
    index: pd.Index,
    level: float = 0.95,
    columns: dict[str, list] | None = None,
    **info: object,
) -> pd.DataFrame:
    """Estimates with covariance ``cov``: ``estimate, se, ci_low, ci_high, df, t, p``.

    Student's t with ``df`` degrees of freedom (normal for infinite ``df``); no interval or
    p-value where ``df`` is not positive (R's ``svycontrast``/``svypredmeans`` with
    ``df=degf(design)``).

    >>> frame = wald_frame(np.array([2.0]), np.array([[1.0]]), df=np.inf,
    ...                    index=pd.Index(["a"], name="contrast"))
    >>> round(float(frame["ci_high"].iloc[0]), 4), round(float(frame["p"].iloc[0]), 4)
    (3.96, 0.0455)
    """
    est = np.asarray(estimate, dtype=float)
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = est / se
    if df > 0:
        half = t_quantile(level, df) * se
        p = 2 * (stats.t.sf(np.abs(t), df) if np.isfinite(df) else stats.norm.sf(np.abs(t)))
    else:
        half = p = np.full(len(se), np.nan)
    out = pd.DataFrame(
        {
            **(columns or {}),
            "estimate": est,
            "se": se,
            "ci_low": est - half,
            "ci_high": est + half,
            "df": float(df),
            "t": t,
            "p": p,
        },
        index=index,
    )
    return annotate(out, covmat=cov, level=level, **info)


def group_index(keys: pd.Index | None, labels: list, label_name: str) -> pd.Index:
    """Index (by..., label) in group-major order; without groups just the labels."""
    if keys is None:
        return pd.Index(labels, name=label_name)
    if len(labels) == 1 and label_name == "variable":
        return keys
    key_tuples = [k if isinstance(k, tuple) else (k,) for k in keys]
    names = [*keys.names, label_name]
    tuples = [(*k, lab) for k in key_tuples for lab in labels]
    return pd.MultiIndex.from_tuples(tuples, names=names)


def attach_covmat(frame: pd.DataFrame, cov: np.ndarray) -> None:
    """Record the covariance of the rows, labelled like the rows (read with
    :func:`~trustsurvey.design.metadata.vcov`)."""
    annotate(frame, covmat=cov)
