"""Proportions of every category of an item, with R's ``svyciprop`` interval methods.

Methods (Lumley 2010, 2.6; R's ``svyciprop``), each with Student's t on ``df`` (default the
full design's degrees of freedom):

* ``"wald"`` (alias ``"mean"``): ``p ± t se``;
* ``"logit"`` (alias ``"xlogit"``): ``expit(logit p ± t se / (p (1 - p)))`` — the Wald interval
  of the intercept of ``svyglm(y ~ 1, family=quasibinomial)``, identical to the delta method;
* ``"asin"``: ``sin(asin(sqrt p) ± t se / (2 sqrt(p (1 - p))))^2``;
* ``"beta"``: Korn & Graubard (1998) beta interval with effective sample size
  ``p (1 - p) / se^2 * (t_{n-1} / t_df)^2``;
* ``"likelihood"``: the profile-likelihood interval of ``svyglm(y ~ 1, quasibinomial)`` at a
  design-rescaled level (:mod:`trustsurvey.design.profile`; one small loop per domain and
  category).

>>> import pandas as pd
>>> from trustsurvey.design import SurveyDesign
>>> df = pd.DataFrame({"psu": [1, 1, 2, 2, 3, 3], "a": ["y", "n", "y", "y", "n", "y"]})
>>> d = SurveyDesign(df, ids="psu", weights=pd.Series(1.0, index=df.index))
>>> d.proportion("a", method="logit").index.tolist()
['n', 'y']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import special, stats

from trustsurvey.design.domains import Domains
from trustsurvey.design.estimators import _frame_from_stats, proportion_stats
from trustsurvey.design.metadata import annotate
from trustsurvey.errors import DesignError

if TYPE_CHECKING:
    from trustsurvey.design.base import Design

METHODS = ("wald", "mean", "logit", "xlogit", "asin", "beta", "likelihood")


def domain_degf(design: Design, doms: Domains, valid: np.ndarray) -> np.ndarray:
    """R's ``degf`` of each domain's subset design: PSUs minus strata with rows in it
    (linearisation designs only)."""
    from trustsurvey.design.core import SurveyDesign

    if not isinstance(design, SurveyDesign):
        raise DesignError(
            "df='domain' needs a linearisation design", item="df", hint="give a number"
        )
    st = design.structure.stages[0]
    ok = valid & (doms.codes >= 0)
    D = doms.size
    c = doms.codes[ok]
    psu_pairs = np.unique(st.unit[ok] * D + c)
    strata_pairs = np.unique(design.structure.stratum_of_row[ok] * D + c)
    return (
        np.bincount(psu_pairs % D, minlength=D) - np.bincount(strata_pairs % D, minlength=D)
    ).astype(float)


def proportion_intervals(
    p: np.ndarray,
    se: np.ndarray,
    df: np.ndarray,
    method: str,
    level: float,
    n_rows: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper limits for proportions ``p`` with standard errors ``se``."""
    a = (1 - level) / 2
    t = np.where(np.isfinite(df), stats.t.ppf(1 - a, np.where(np.isfinite(df), df, 1)), 0.0)
    t = np.where(np.isfinite(df), t, stats.norm.ppf(1 - a))
    with np.errstate(divide="ignore", invalid="ignore"):
        if method in ("wald", "mean"):
            return p - t * se, p + t * se
        if method in ("logit", "xlogit"):
            eta = special.logit(p)
            s = se / (p * (1 - p))
            return special.expit(eta - t * s), special.expit(eta + t * s)
        if method == "asin":
            eta = np.arcsin(np.sqrt(p))
            s = se / (2 * np.sqrt(p * (1 - p)))
            return np.sin(eta - t * s) ** 2, np.sin(eta + t * s) ** 2
        if method == "beta":
            if n_rows is None:
                raise DesignError("beta interval needs the number of rows", item="method")
            n_eff = p * (1 - p) / se**2
            n_eff = n_eff * (stats.t.ppf(a, n_rows - 1) / stats.t.ppf(a, df)) ** 2
            lo = stats.beta.ppf(a, n_eff * p, n_eff * (1 - p) + 1)
            hi = stats.beta.ppf(1 - a, n_eff * p + 1, n_eff * (1 - p))
            return lo, hi
    raise DesignError(
        f"unknown proportion interval method {method!r}",
        item="method",
        hint=f"use one of {', '.join(METHODS)}",
    )


def _likelihood_limits(
    design: Design,
    y: str,
    doms: Domains,
    cats: list[Any],
    frame: pd.DataFrame,
    dfs: np.ndarray,
    present: np.ndarray,
    level: float,
) -> tuple[np.ndarray, np.ndarray]:
    from trustsurvey.design.profile import likelihood_interval

    values = design.data[y].to_numpy()
    est = frame["estimate"].to_numpy()
    se = frame["se"].to_numpy()
    k = len(cats)
    lo = np.full(len(frame), np.nan)
    hi = np.full(len(frame), np.nan)
    for d in range(doms.size):
        rows = present & (doms.codes == d)
        w = design.full_weights[rows]
        for j, c in enumerate(cats):
            i = d * k + j
            ind = (values[rows] == c).astype(float)
            lo[i], hi[i] = likelihood_interval(ind, w, est[i], se[i], dfs[i], level)
    return lo, hi


def proportion(
    design: Design,
    y: str,
    *,
    by: str | list[str] | None = None,
    method: str = "wald",
    by_missing: str = "drop",
    covmat: bool = False,
    level: float = 0.95,
    cv: bool = False,
    moe: bool = False,
    df: float | str | None = None,
) -> pd.DataFrame:
    """Share of every category of ``y`` (NaN = missing, left out), per domain of ``by``."""
    if method not in METHODS:
        raise DesignError(
            f"unknown proportion interval method {method!r}",
            item="method",
            hint=f"use one of {', '.join(METHODS)}",
        )
    st, doms, cats = proportion_stats(design, y, by=by, by_missing=by_missing, covmat=covmat)
    frame = _frame_from_stats(
        design,
        st,
        doms,
        cats,
        y,
        covmat=covmat,
        level=level,
        cv=cv,
        moe=moe,
    )
    if doms.keys is None:
        frame.index.name = y
    else:
        frame.index = frame.index.set_names([*doms.names, y])
    k = len(cats)
    present = design.restrict(design.data[y].notna().to_numpy())
    if df == "domain":
        dfs = np.repeat(domain_degf(design, doms, present), k)
    elif df is None:
        dfs = np.full(len(frame), float(design.degf))
    else:
        dfs = np.full(len(frame), float(df))
    n_rows = np.repeat(st["n"][:, 0], k)
    if method == "likelihood":
        lo, hi = _likelihood_limits(design, y, doms, cats, frame, dfs, present, level)
    else:
        lo, hi = proportion_intervals(
            frame["estimate"].to_numpy(), frame["se"].to_numpy(), dfs, method, level, n_rows
        )
    frame["ci_low"] = lo
    frame["ci_high"] = hi
    frame["df"] = dfs
    if moe:
        frame["moe"] = (hi - lo) / 2
    return annotate(frame, method=method)
