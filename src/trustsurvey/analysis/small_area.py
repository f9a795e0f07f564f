"""Small-area estimates: a figure for every community, borrowing strength from the others.

:func:`small_area` puts each area's design-based direct estimate (domain estimation on the
whole design, as :meth:`~trustsurvey.design.SurveyDesign.mean` with ``by=``) beside a
model-based one:

- ``method="fay_herriot"``: the area-level Fay-Herriot EBLUP (Fay & Herriot 1979) on the
  direct estimates and their design-based variances with the area-level covariates, REML
  (default) or ML variance of the area effect, MSE of Prasad & Rao (1990) / Datta & Lahiri
  (2000); Rao & Molina (2015), ch. 6. See :mod:`trustsurvey.analysis._fay_herriot`.
- ``method="bhf"``: the unit-level nested-error EBLUP of Battese, Harter & Fuller (1988) on
  the respondents' covariates, with the areas' population means of those covariates from
  ``covariates``; Rao & Molina (2015), ch. 7. See :mod:`trustsurvey.analysis._bhf`.

Optional benchmarking (``benchmark=`` a column of larger domains, e.g. arm or raion, or
``True`` for the whole population) shifts the model estimates of a domain's areas so that
their population-weighted mean equals the domain's direct estimate: the difference
("raking") benchmark ``theta_i + (t_D - sum_k phi_k theta_k)``, the benchmarked Bayes
estimator of Datta, Ghosh, Steorts & Maples (2011, TEST 20:574-588) with loss weights
``xi_k = phi_k``, whose MSE grows by ``(t_D - sum_k phi_k theta_k)^2``; ``phi_k`` are the
areas' shares of the domain's population (``population=`` column of ``covariates``, else the
weighted respondent counts).

>>> import numpy as np, pandas as pd
>>> from trustsurvey.design import SurveyDesign
>>> rng = np.random.default_rng(7)
>>> area = np.repeat([f"c{i}" for i in range(12)], 25)
>>> x = pd.DataFrame({"hromada": [f"c{i}" for i in range(12)], "calls": rng.normal(size=12)})
>>> y = 3 + 0.5 * x["calls"].to_numpy().repeat(25) + rng.normal(size=300)
>>> d = SurveyDesign(pd.DataFrame({"hromada": area, "y": y, "w": rng.uniform(1, 3, 300)}),
...                  weights="w")
>>> res = small_area(d, "y", area="hromada", covariates=x)
>>> list(res.columns[:6])
['hromada', 'n', 'direct', 'direct_se', 'estimate', 'mse']
>>> bool((res["rmse"] < res["direct_se"]).all())
True
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from trustsurvey.analysis import _bhf, _fay_herriot
from trustsurvey.analysis._checks import require_columns
from trustsurvey.design.base import Design
from trustsurvey.design.metadata import annotate
from trustsurvey.errors import AnalysisError

#: the model-based methods
METHODS = ("fay_herriot", "bhf")

#: columns of the result after the area column
COLUMNS = (
    "n",
    "direct",
    "direct_se",
    "estimate",
    "mse",
    "rmse",
    "ci_low",
    "ci_high",
    "gamma",
    "synthetic",
    "method",
    "source",
)


def _covariate_frame(
    covariates: pd.DataFrame, area: str, population: str | None
) -> tuple[pd.DataFrame, list[str]]:
    if not isinstance(covariates, pd.DataFrame):
        raise AnalysisError(
            "covariates must be a DataFrame with one row per area",
            hint=f"give a frame with a column {area!r} and numeric covariate columns",
        )
    require_columns(covariates, [area, *([population] if population else [])], what="covariates")
    repeated = covariates[area].duplicated().to_numpy()
    dup = covariates[area][repeated]
    if len(dup):
        raise AnalysisError(
            "an area has more than one row of covariates",
            item=area,
            row=[int(i) + 1 for i in np.flatnonzero(repeated)],
            hint=f"keep one row per area (repeated: {', '.join(map(str, dup.unique()[:5]))})",
        )
    names = [c for c in covariates.columns if c not in (area, population)]
    for col in names:
        values = covariates[col]
        if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
            raise AnalysisError(
                "area covariate is not numeric", item=col, hint="give numbers for every area"
            )
        bad = np.flatnonzero(~np.isfinite(values.to_numpy(dtype=float)))
        if bad.size:
            raise AnalysisError(
                "area covariate is missing or not finite",
                item=col,
                row=[int(i) + 1 for i in bad],
                hint="give a value for every area (or drop the area's row)",
            )
    frame = covariates.set_index(covariates[area].map(_key).astype(str))
    return frame, names


def _direct(design: Design, outcome: str, area: str) -> pd.DataFrame:
    require_columns(design.data, [outcome, area], what="design's data")
    if not pd.api.types.is_numeric_dtype(design.data[outcome]):
        raise AnalysisError(
            "outcome is not numeric", item=outcome, hint="recode it to numbers (or 0/1)"
        )
    keyed = design.with_columns(**{area: design.data[area].map(_key)})
    est = keyed.mean(outcome, by=area)
    est.index = est.index.astype(str)
    return pd.DataFrame(
        {"n": est["n"].astype(int), "direct": est["estimate"], "direct_se": est["se"]}
    )


def _key(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return value
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _fay_herriot_rows(
    direct: pd.DataFrame, cov: pd.DataFrame, names: list[str], fit_method: str
) -> tuple[pd.DataFrame, dict[str, Any]]:
    areas = direct.index.union(cov.index, sort=False)
    out = direct.reindex(areas)
    var = out["direct_se"].to_numpy(dtype=float) ** 2
    has_cov = areas.isin(cov.index)
    usable = has_cov & np.isfinite(var) & (var > 0) & np.isfinite(out["direct"].to_numpy(float))

    def design_matrix(idx: pd.Index) -> np.ndarray:
        x = cov.loc[idx, names].to_numpy(dtype=float)
        return np.column_stack([np.ones(len(idx)), x])

    fitted = areas[usable]
    X = design_matrix(fitted)
    y = out.loc[fitted, "direct"].to_numpy(float)
    fit = _fay_herriot.fit_fay_herriot(y, var[usable], X, method=fit_method)
    parts = {k: np.full(len(areas), np.nan) for k in ("estimate", "synthetic", "gamma", "mse")}
    pred = _fay_herriot.fay_herriot_predict(fit, y, var[usable], X)
    synth_rows = has_cov & ~usable
    syn = _fay_herriot.fay_herriot_synthetic(fit, design_matrix(areas[synth_rows]))
    for k in parts:
        parts[k][usable] = pred[k]
        parts[k][synth_rows] = syn[k]
    for k, v in parts.items():
        out[k] = v
    out["source"] = np.where(has_cov, "model", "direct")
    info = {"A": fit.A, "beta": dict(zip(["(intercept)", *names], fit.beta, strict=True))}
    info.update(fit_method=fit.method, iterations=fit.iterations, converged=fit.converged)
    return out, info


def _bhf_rows(
    design: Design,
    outcome: str,
    area: str,
    direct: pd.DataFrame,
    cov: pd.DataFrame,
    names: list[str],
    fit_method: str,
    population: str | None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    require_columns(design.data, names, what="design's data (unit-level covariates)")
    data = design.data.loc[design.restrict(np.ones(len(design.data), bool))]
    keys = data[area].map(_key)
    units = pd.DataFrame({"y": data[outcome].astype(float), "area": keys})
    for col in names:
        units[col] = pd.to_numeric(data[col], errors="coerce")
    units = units.dropna()
    units = units[units["area"].isin(cov.index)]
    X = np.column_stack([np.ones(len(units)), units[names].to_numpy(float)])
    fit = _bhf.fit_bhf(units["y"].to_numpy(), X, units["area"].to_numpy(), method=fit_method)
    areas = direct.index.union(cov.index, sort=False)
    out = direct.reindex(areas)
    parts = {k: np.full(len(areas), np.nan) for k in ("estimate", "synthetic", "gamma", "mse")}
    sampled = pd.Index(fit.areas.astype(str))
    xbar = np.column_stack([np.ones(len(sampled)), cov.loc[sampled, names].to_numpy(float)])
    pop = cov.loc[sampled, population].to_numpy(float) if population else None
    pred = _bhf.bhf_predict(fit, xbar, population=pop)
    rest = cov.index.difference(sampled)
    xr = np.column_stack([np.ones(len(rest)), cov.loc[rest, names].to_numpy(float)])
    syn = _bhf.bhf_synthetic(fit, xr)
    pos_s, pos_r = areas.get_indexer(sampled), areas.get_indexer(rest)
    for k in parts:
        parts[k][pos_s] = pred[k]
        parts[k][pos_r] = syn[k]
        out[k] = parts[k]
    out["source"] = np.where(areas.isin(cov.index), "model", "direct")
    info = {"s2u": fit.s2u, "s2e": fit.s2e, "fit_method": fit.method}
    info["beta"] = dict(zip(["(intercept)", *names], fit.beta, strict=True))
    return out, info


def _benchmark(
    out: pd.DataFrame,
    design: Design,
    outcome: str,
    area: str,
    benchmark: str | bool,
    shares: pd.Series,
) -> pd.DataFrame:
    data = design.data
    if benchmark is True:
        domains = pd.Series("all", index=out.index)
        keyed = design.with_columns(_bench_all="all")
        targets = keyed.mean(outcome, by="_bench_all")["estimate"]
    else:
        require_columns(data, [str(benchmark)], what="design's data (benchmark domains)")
        pairs = pd.DataFrame({"a": data[area].map(_key), "d": data[benchmark]}).dropna()
        per_area = pairs.drop_duplicates()
        split = per_area["a"][per_area["a"].duplicated()]
        if len(split):
            raise AnalysisError(
                "an area lies in more than one benchmark domain",
                item=[str(benchmark), area],
                hint=f"areas {', '.join(map(str, split.unique()[:5]))} are split; benchmark to "
                "a coarser domain that contains whole areas",
            )
        domains = per_area.set_index("a")["d"].reindex(out.index)
        targets = design.mean(outcome, by=str(benchmark))["estimate"]
    out = out.copy()
    out["benchmark_shift"] = 0.0
    for dom, target in targets.items():
        rows = (domains == dom).to_numpy() & out["source"].eq("model").to_numpy()
        phi = shares.reindex(out.index[rows]).to_numpy(float)
        ok = np.isfinite(phi) & (phi > 0)
        if not ok.any():
            continue
        idx = out.index[rows][ok]
        phi = phi[ok] / phi[ok].sum()
        shift = float(target) - float(phi @ out.loc[idx, "estimate"].to_numpy(float))
        out.loc[idx, "estimate"] += shift
        out.loc[idx, "mse"] += shift**2
        out.loc[idx, "benchmark_shift"] = shift
    return out


def small_area(
    design: Design,
    outcome: str,
    *,
    area: str,
    covariates: pd.DataFrame,
    method: str = "fay_herriot",
    fit: str = "REML",
    benchmark: str | bool | None = None,
    population: str | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Direct and model-based (EBLUP) estimates of the mean of ``outcome`` in every area.

    Parameters
    ----------
    design
        A :class:`~trustsurvey.design.SurveyDesign` or replicate design; the direct estimates
        and their variances are its domain means by ``area``.
    outcome
        Numeric column (a 0/1 indicator gives a proportion).
    area
        Column of the areas (communities) in the design's data and in ``covariates``.
    covariates
        One row per area: the ``area`` column and numeric area-level covariates (for
        ``method="bhf"``: the areas' population means of unit-level columns of the same names
        in the design's data). Areas here without respondents get the synthetic estimate.
    method
        ``"fay_herriot"`` (area level) or ``"bhf"`` (unit level, Battese-Harter-Fuller).
    fit
        ``"REML"`` or ``"ML"``: how the variance components are estimated.
    benchmark
        A column of larger domains containing whole areas (e.g. the arm), or ``True`` for
        the whole population: shift the model estimates so that they add up to the domain's
        direct estimate (see the module docstring).
    population
        Optional column of ``covariates`` with the areas' population sizes (sampling fractions
        of the BHF EBLUP; benchmarking shares).
    level
        Confidence level of the interval ``estimate +- z * rmse`` (normal approximation).

    Returns
    -------
    One row per area: the area, ``n`` (respondents with an answer), ``direct``,
    ``direct_se``, ``estimate`` (EBLUP, or the synthetic estimate for an area without a usable
    direct estimate: none, one respondent or no spread), ``mse``, ``rmse``, ``ci_low``,
    ``ci_high``, ``gamma`` (weight of the direct estimate), ``synthetic`` (the regression
    part), ``method`` and ``source`` (``"model"``; ``"direct"`` for an area without a row in
    ``covariates``, whose estimate is the direct one). The fitted model (variance components,
    coefficients) is in :func:`trustsurvey.design.result_info`.
    """
    if method not in METHODS:
        raise AnalysisError(
            f"unknown small-area method {method!r}", hint=f"use one of {', '.join(METHODS)}"
        )
    cov, names = _covariate_frame(covariates, area, population)
    direct = _direct(design, outcome, area)
    if method == "fay_herriot":
        out, info = _fay_herriot_rows(direct, cov, names, fit.upper())
    else:
        out, info = _bhf_rows(design, outcome, area, direct, cov, names, fit.upper(), population)
    if not info.get("converged", True):
        warnings.warn(
            f"small_area: the Fay-Herriot fit of {outcome!r} did not converge in "
            f"{info['iterations']} Fisher-scoring steps; its variance is the last iterate",
            RuntimeWarning,
            stacklevel=2,
        )
    plain = out["source"].eq("direct").to_numpy()
    out.loc[plain, "estimate"] = out.loc[plain, "direct"]
    out.loc[plain, "mse"] = out.loc[plain, "direct_se"] ** 2
    out.loc[plain, "gamma"] = 1.0
    if benchmark is not None and benchmark is not False:
        if population:
            shares = cov[population].astype(float)
        else:
            keyed = design.with_columns(**{area: design.data[area].map(_key)})
            counted = keyed.data.loc[keyed.data[outcome].notna(), area]
            w = keyed.weights.loc[counted.index]
            shares = w.groupby(counted.astype(str)).sum()
        out = _benchmark(out, design, outcome, area, benchmark, shares)
        info["benchmark"] = benchmark
    z = float(stats.norm.ppf(0.5 + level / 2))
    out["n"] = out["n"].fillna(0).astype(int)
    out["rmse"] = np.sqrt(out["mse"])
    out["ci_low"] = out["estimate"] - z * out["rmse"]
    out["ci_high"] = out["estimate"] + z * out["rmse"]
    out["method"] = method
    out.index.name = area
    extra = ["benchmark_shift"] if "benchmark_shift" in out.columns else []
    result = out.reset_index()[[area, *COLUMNS, *extra]]
    return annotate(result, level=level, model=info)
