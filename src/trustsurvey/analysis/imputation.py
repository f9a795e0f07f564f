"""Multiple imputation of item non-response within a survey design.

:func:`impute` fills the missing answers of some items ("difficult to answer", refused, no
answer: every NaN of the analysis view) by chained equations (fully conditional
specification; van Buuren 2018, §4.5) with predictive mean matching, and returns ``m``
completed designs with the structure of the original (:class:`ImputedDesigns`).
:meth:`ImputedDesigns.analyse` runs any design estimator on each and combines the results
with Rubin's rules and the Barnard-Rubin df (:func:`trustsurvey.analysis.rubin.mi_combine`).

Each item with missing answers is, in turn, regressed on the other items (their current
completed values), the ``predictors`` given, and the design: indicators of the strata, the
log of the weight, and the cluster (first-stage unit) mean of the item over the other
members of the cluster (``cluster="means"``; ``"indicators"`` for cluster fixed effects,
``None`` for neither). Including the design variables keeps the imputation model congenial
with the design-based analysis (Reiter, Raghunathan & Kinney 2006). A replicate design has
no strata or clusters to read: its log weight is used, and its strata or cluster columns
can be given as ``predictors``. The predictive mean
matching step is ``mice.impute.pmm`` (van Buuren & Groothuis-Oudshoorn 2011; type-1
matching): draw ``σ*² = RSS/χ²(n_obs - p)`` and ``β* ~ N(β̂, σ*² (X'X + κ diag X'X)⁻¹)``
(ridge ``κ = 1e-5``), predict the observed rows with ``β̂`` and the missing ones with ``β*``,
and give each missing row the observed answer of one of its ``donors`` nearest observed
rows, at random. Imputed values are therefore always answers someone gave. Each of the
``m`` chains runs ``iterations`` cycles from random draws of the observed answers, with its
own random stream spawned from ``seed`` (same seed, same imputations).

>>> import numpy as np, pandas as pd
>>> from trustsurvey.design import SurveyDesign
>>> rng = np.random.default_rng(1)
>>> df = pd.DataFrame({"psu": np.repeat(np.arange(20), 10), "w": rng.uniform(1, 3, 200),
...                    "x": rng.normal(size=200)})
>>> df["y"] = np.round(3 + df["x"] + rng.normal(size=200)).where(rng.random(200) > 0.2)
>>> imp = impute(SurveyDesign(df, ids="psu", weights="w"), ["y", "x"], m=5, seed=3)
>>> res = imp.analyse(lambda d: d.mean("y"))
>>> list(res.columns)[:5], int(res["m"].iloc[0])
(['estimate', 'se', 'df', 'ci_low', 'ci_high'], 5)
>>> bool(np.isin(imp.completed(0)["y"], df["y"].dropna()).all())
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from trustsurvey.analysis.rubin import mi_combine
from trustsurvey.design.base import Design
from trustsurvey.errors import AnalysisError

CLUSTER_TERMS = ("means", "indicators", None)
_RIDGE = 1e-5


@dataclass(frozen=True)
class ImputedDesigns:
    """``m`` completed copies of a design (same structure, weights and domain), and which
    answers were imputed."""

    designs: tuple[Design, ...]
    items: tuple[str, ...]
    #: one boolean column per item: the rows whose answer was imputed
    imputed: pd.DataFrame = field(repr=False)
    seed: int | None = None

    @property
    def m(self) -> int:
        """The number of completed designs."""
        return len(self.designs)

    def completed(self, i: int) -> pd.DataFrame:
        """The data of the ``i``-th completed design (0-based)."""
        return self.designs[i].data

    def analyse(
        self,
        estimator: Callable[[Design], pd.DataFrame],
        *,
        df_complete: float | Sequence[float] | None = None,
        level: float = 0.95,
        rule: str = "barnard-rubin",
    ) -> pd.DataFrame:
        """``estimator`` (e.g. ``lambda d: d.mean("y")``, ``d.proportion``, ``d.glm``) run on
        every completed design and combined by :func:`~trustsurvey.analysis.rubin.mi_combine`;
        the complete-data df defaults to the result's ``df`` column (the design df)."""
        return mi_analyse(self, estimator, df_complete=df_complete, level=level, rule=rule)


def mi_analyse(
    imputed: ImputedDesigns,
    estimator: Callable[[Design], pd.DataFrame],
    *,
    df_complete: float | Sequence[float] | None = None,
    level: float = 0.95,
    rule: str = "barnard-rubin",
) -> pd.DataFrame:
    """Rubin's rules over ``estimator`` applied to each completed design of ``imputed``
    (as R's ``MIcombine(with(imputed_design, svymean(...)))``); see
    :meth:`ImputedDesigns.analyse`."""
    results = [estimator(d) for d in imputed.designs]
    if df_complete is None and not all("df" in r.columns for r in results):
        df_complete = float(imputed.designs[0].degf)
    return mi_combine(results, df_complete=df_complete, level=level, rule=rule)


def impute(
    design: Design,
    items: str | Sequence[str],
    *,
    m: int = 5,
    predictors: Sequence[str] = (),
    keep_missing: Mapping[str, Sequence[Any]] | None = None,
    cluster: str | None = "means",
    iterations: int = 10,
    donors: int = 5,
    seed: int | None = 0,
) -> ImputedDesigns:
    """``m`` completed designs with the missing answers of ``items`` imputed (module doc).

    ``items`` are numeric columns (answer codes or scores); each is imputed from the others,
    the complete ``predictors`` (numeric, or categorical: indicator-coded) and the design.
    ``keep_missing`` names, per item, raw missing codes (from ``<item>__missing`` of the
    analysis frame) left missing, e.g. the ``not_applicable`` codes: those rows are neither
    imputed nor used as donors. The rows outside a subset design's domain are imputed too
    (the domain is kept).

    >>> import pandas as pd
    >>> from trustsurvey.design import SurveyDesign
    >>> df = pd.DataFrame({"y": [1.0, 2, None, 4, 5, None], "w": [1.0, 2, 1, 2, 1, 2]})
    >>> imp = impute(SurveyDesign(df, weights="w"), "y", m=2, seed=1)
    >>> imp.m, int(imp.imputed["y"].sum()), bool(imp.completed(1)["y"].notna().all())
    (2, 2, True)
    """
    names = [items] if isinstance(items, str) else list(items)
    data = design.data
    _check_args(data, names, predictors, m, iterations, donors, cluster)
    values = pd.DataFrame(
        {c: pd.to_numeric(data[c], errors="coerce").astype(float) for c in names}
    ).to_numpy()
    kept = _kept_missing(data, names, keep_missing)
    todo = np.isnan(values) & ~kept
    fixed = _fixed_terms(design, predictors, cluster)
    cluster_code = _cluster_code(design) if cluster == "means" else None
    streams = np.random.SeedSequence(seed).spawn(m)
    designs = []
    for stream in streams:
        rng = np.random.default_rng(stream)
        done = _chain(values, todo, kept, fixed, cluster_code, iterations, donors, rng)
        new = {c: pd.Series(done[:, j], index=data.index) for j, c in enumerate(names)}
        designs.append(design.with_columns(**new))
    flags = pd.DataFrame(todo, index=data.index, columns=names)
    return ImputedDesigns(tuple(designs), tuple(names), flags, seed)


def _check_args(
    data: pd.DataFrame,
    names: list[str],
    predictors: Sequence[str],
    m: int,
    iterations: int,
    donors: int,
    cluster: str | None,
) -> None:
    from trustsurvey.analysis._checks import require_columns

    if not names:
        raise AnalysisError("no items to impute", item="items", hint="name the item columns")
    require_columns(data, [*names, *predictors], what="design data")
    if m < 2 or iterations < 1 or donors < 1:
        raise AnalysisError(
            f"m={m}, iterations={iterations}, donors={donors}",
            item="m",
            hint="impute m >= 2 data sets with iterations >= 1 and donors >= 1",
        )
    if cluster not in CLUSTER_TERMS:
        raise AnalysisError(
            f"unknown cluster term {cluster!r}",
            item="cluster",
            hint="cluster='means', 'indicators' or None",
        )
    for c in names:
        if not pd.api.types.is_numeric_dtype(data[c]):
            raise AnalysisError(
                "item to impute is not numeric",
                item=c,
                hint="impute answer codes or scores; recode text answers to numbers first",
            )
        if data[c].notna().sum() < 2:
            raise AnalysisError(
                f"item has {int(data[c].notna().sum())} answers: nothing to impute from",
                item=c,
                hint="impute items that some respondents answered, or report the item as "
                "missing (its bounds: trustsurvey.analysis.nonresponse_bounds)",
            )
    overlap = set(names) & set(predictors)
    if overlap:
        raise AnalysisError(
            "a column is both an item and a predictor",
            item=sorted(overlap),
            hint="items are already predictors of each other; list it once",
        )
    for c in predictors:
        if data[c].isna().any():
            rows = np.flatnonzero(data[c].isna().to_numpy())[:10] + 1
            raise AnalysisError(
                f"predictor has missing values (rows {rows.tolist()})",
                item=c,
                hint="impute it too: list it among the items",
            )


def _kept_missing(
    data: pd.DataFrame, names: list[str], keep: Mapping[str, Sequence[Any]] | None
) -> np.ndarray:
    out = np.zeros((len(data), len(names)), dtype=bool)
    for j, c in enumerate(names):
        codes = list((keep or {}).get(c, ()))
        beside = f"{c}__missing"  # the analysis frame's raw missing codes
        if codes and beside in data.columns:
            out[:, j] = data[beside].isin(codes).to_numpy()
    return out


def _cluster_code(design: Design) -> np.ndarray | None:
    structure = getattr(design, "structure", None)
    if structure is None or structure.stages[0].unit_is_row:
        return None
    return np.asarray(structure.stages[0].unit)


def _fixed_terms(design: Design, predictors: Sequence[str], cluster: str | None) -> np.ndarray:
    """Intercept, predictors (indicator-coded when categorical), strata, log weight and
    (``cluster="indicators"``) cluster indicators; constant columns dropped."""
    data = design.data
    n = len(data)
    cols: list[np.ndarray] = [np.ones((n, 1))]
    for c in predictors:
        s = data[c]
        if pd.api.types.is_numeric_dtype(s) and not isinstance(s.dtype, pd.CategoricalDtype):
            cols.append(s.to_numpy(dtype=float)[:, None])
        else:
            cols.append(pd.get_dummies(s, drop_first=True).to_numpy(dtype=float))
    structure = getattr(design, "structure", None)
    if structure is not None and structure.has_strata:
        cols.append(_indicators(np.asarray(structure.stratum_of_row)))
    if cluster == "indicators":
        code = _cluster_code(design)
        if code is not None:
            cols.append(_indicators(code))
    w = np.asarray(design.full_weights, dtype=float)
    cols.append(np.log(np.where(w > 0, w, np.nan))[:, None])
    x = np.nan_to_num(np.hstack(cols), nan=0.0)
    varying = np.r_[True, x[:, 1:].std(axis=0) > 0]
    return x[:, varying]


def _indicators(code: np.ndarray) -> np.ndarray:
    levels, inverse = np.unique(code, return_inverse=True)
    out = np.zeros((len(code), len(levels)))
    out[np.arange(len(code)), inverse] = 1.0
    return out[:, 1:]


def _loo_cluster_mean(y: np.ndarray, code: np.ndarray) -> np.ndarray:
    """Mean of ``y`` over the other rows of each row's cluster (the overall mean for a
    cluster of one)."""
    total = np.bincount(code, weights=y)
    count = np.bincount(code).astype(float)
    others = count[code] - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        loo = (total[code] - y) / others
    return np.where(others > 0, loo, y.mean())


def _chain(
    values: np.ndarray,
    todo: np.ndarray,
    kept: np.ndarray,
    fixed: np.ndarray,
    cluster_code: np.ndarray | None,
    iterations: int,
    donors: int,
    rng: np.random.Generator,
) -> np.ndarray:
    cur = values.copy()
    k = cur.shape[1]
    observed = ~np.isnan(values)
    for j in range(k):  # start from random observed answers (as mice)
        pool = values[observed[:, j], j]
        cur[todo[:, j], j] = rng.choice(pool, size=int(todo[:, j].sum()))
    active = [j for j in range(k) if todo[:, j].any()]
    for _ in range(iterations if active else 0):
        for j in active:
            others = [i for i in range(k) if i != j]
            filled = np.where(kept[:, others], 0.0, cur[:, others])
            extra = [filled]
            if others:  # an item that does not apply counts as its own answer
                extra.append(kept[:, others].astype(float))
            if cluster_code is not None:
                base = np.where(kept[:, j], np.nanmean(values[:, j]), cur[:, j])
                extra.append(_loo_cluster_mean(base, cluster_code)[:, None])
            x = np.hstack([fixed, *extra])
            x = x[:, np.r_[True, x[:, 1:].std(axis=0) > 0]]
            cur[todo[:, j], j] = _pmm(
                cur[observed[:, j], j], x[observed[:, j]], x[todo[:, j]], donors, rng
            )
    return cur


def _pmm(
    y: np.ndarray,
    x_obs: np.ndarray,
    x_mis: np.ndarray,
    donors: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Predictive mean matching of ``mice.impute.pmm`` (``.norm.draw``, type-1 matching)."""
    n, p = x_obs.shape
    xtx = x_obs.T @ x_obs
    v = np.linalg.inv(xtx + np.diag(_RIDGE * np.diag(xtx)))
    v = (v + v.T) / 2
    beta = v @ (x_obs.T @ y)
    resid = y - x_obs @ beta
    sigma = np.sqrt(resid @ resid / rng.chisquare(max(n - p, 1)))
    beta_star = beta + np.linalg.cholesky(v) @ rng.standard_normal(p) * sigma
    yhat_obs = x_obs @ beta
    yhat_mis = x_mis @ beta_star
    order = np.argsort(yhat_obs, kind="stable")
    sorted_hat = yhat_obs[order]
    d = min(donors, n)
    pos = np.searchsorted(sorted_hat, yhat_mis)
    lo = np.clip(pos - d, 0, n - d)
    window = lo[:, None] + np.arange(min(2 * d, n))[None, :]
    window = np.minimum(window, n - 1)
    dist = np.abs(sorted_hat[window] - yhat_mis[:, None])
    nearest = np.argsort(dist, axis=1, kind="stable")[:, :d]
    pick = nearest[np.arange(len(yhat_mis)), rng.integers(0, d, size=len(yhat_mis))]
    return y[order[window[np.arange(len(yhat_mis)), pick]]]
