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
