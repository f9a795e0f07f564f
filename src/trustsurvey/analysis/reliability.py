"""Scale scores and reliability: Cronbach's alpha, McDonald's omega, item analysis.

Every function takes a DataFrame of item columns (missing answers already NaN, e.g.
``trustsurvey.io.read_survey(path).analysis()``) and returns a tidy DataFrame. Weighted
versions use the weighted covariance matrix

    C_w = sum_i w_i (x_i - xbar_w)(x_i - xbar_w)' / (sum w - sum w^2 / sum w),

which equals the ordinary sample covariance when all weights are equal, so the weighted
statistics reduce to the unweighted ones.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from trustsurvey.analysis._checks import numeric_items, require_columns, weights_of
from trustsurvey.errors import AnalysisError

__all__ = [
    "cronbach_alpha",
    "factor_loadings_by_group",
    "item_analysis",
    "omega_total",
    "scale_reliability",
    "scale_score",
]


# --------------------------------------------------------------------------- scores
def scale_score(
    data: pd.DataFrame,
    items: Sequence[str],
    *,
    reversed: Sequence[str] = (),
    low: float = 1,
    high: float = 5,
    min_valid: int = 1,
    method: str = "mean",
) -> pd.Series:
    """Index score per respondent: mean (or sum) of the valid items, reverse-keyed ones flipped.

    Parameters
    ----------
    data : DataFrame
        One row per respondent; missing answers NaN.
    items : list of str
        Item columns of the scale.
    reversed : list of str
        Items scored ``low + high - x`` (e.g. ``6 - x`` on a 1-5 scale).
    low, high : float
        The ends of the answer scale, used to reverse items.
    min_valid : int
        A respondent gets a score only with at least this many valid items.
    method : {"mean", "sum"}
        ``"sum"`` is the mean times the number of items (prorated sum).

    Returns
    -------
    Series
        The score (float, NaN below ``min_valid``), named ``"score"``.

    Notes
    -----
    The "mean of available items" rule (ESS and ISSP practice): missing codes never enter
    a score. R: ``rowMeans(x, na.rm = TRUE)`` with ``rowSums(!is.na(x)) >= min_valid``.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1, 5, np.nan], "b": [2, 4, np.nan], "c": [5, np.nan, 3]})
    >>> scale_score(df, ["a", "b", "c"], reversed=["c"], min_valid=2).tolist()
    [1.3333333333333333, 4.5, nan]
    """
    x = numeric_items(data, items, min_items=1)
    rev = [c for c in reversed if c not in x.columns]
    if rev:
        raise AnalysisError(
            "reverse-keyed item is not one of the scale's items", item=rev, hint="check 'reversed'"
        )
    for col in reversed:
        x[col] = low + high - x[col]
    if method not in ("mean", "sum"):
        raise AnalysisError(f"unknown method {method!r}", item="method", hint="use mean or sum")
    n_valid = x.notna().sum(axis=1)
    score = x.mean(axis=1, skipna=True)
    if method == "sum":
        score = score * len(x.columns)
    return score.where(n_valid >= min_valid).rename("score")


# --------------------------------------------------------------------------- helpers
def _prepare(
    data: pd.DataFrame, items: Sequence[str], weights: str | None, nan_policy: str
) -> tuple[pd.DataFrame, np.ndarray]:
    if nan_policy not in ("listwise", "pairwise"):
        raise AnalysisError(
            f"unknown nan_policy {nan_policy!r}", item="nan_policy", hint="use listwise or pairwise"
        )
    x = numeric_items(data, items)
    w = weights_of(data, weights)
    if nan_policy == "listwise":
        keep = x.notna().all(axis=1).to_numpy() & (w > 0)
        x, w = x.loc[keep], w[keep]
        if len(x) < 2:
            raise AnalysisError(
                f"only {len(x)} respondent(s) answered every item",
                item=list(items),
                hint="use nan_policy='pairwise' or check the missing codes",
            )
    return x, w


def _wcov(x: np.ndarray, w: np.ndarray) -> float:
    """Weighted covariance of the two columns of ``x`` (rows complete), unbiased form."""
    sw = w.sum()
    denom = sw - (w**2).sum() / sw
    if denom <= 0:
        return np.nan
    m = (w[:, None] * x).sum(axis=0) / sw
    d = x - m
    return float((w * d[:, 0] * d[:, 1]).sum() / denom)


def weighted_cov(x: pd.DataFrame, w: np.ndarray) -> pd.DataFrame:
    """Weighted covariance matrix (pairwise complete observations where NaN remain).

    >>> x = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 1, 4, 3]})
    >>> bool(np.allclose(weighted_cov(x, np.ones(4)), x.cov()))
    True
    """
    cols = list(x.columns)
    arr = x.to_numpy(dtype="float64")
    k = len(cols)
    out = np.full((k, k), np.nan)
    if not np.isnan(arr).any():
        sw = w.sum()
        m = (w[:, None] * arr).sum(axis=0) / sw
        d = arr - m
        out = (d * w[:, None]).T @ d / (sw - (w**2).sum() / sw)
    else:
        for i in range(k):
            for j in range(i, k):
                ok = ~np.isnan(arr[:, i]) & ~np.isnan(arr[:, j])
                out[i, j] = out[j, i] = _wcov(arr[ok][:, [i, j]], w[ok])
    return pd.DataFrame(out, index=cols, columns=cols)


def _alpha_from_cov(c: np.ndarray) -> float:
    k = c.shape[0]
    return float(k / (k - 1) * (1 - np.trace(c) / c.sum()))


def _n_effective(w: np.ndarray) -> float:
    return float(w.sum() ** 2 / (w**2).sum())


def _feldt_ci(alpha: float, n: float, k: int, ci: float) -> tuple[float, float]:
    a = 1 - ci
    df1 = n - 1
    df2 = df1 * (k - 1)
    lower = 1 - (1 - alpha) * stats.f.isf(a / 2, df1, df2)
    upper = 1 - (1 - alpha) * stats.f.isf(1 - a / 2, df1, df2)
    return float(lower), float(upper)


# --------------------------------------------------------------------------- alpha
def cronbach_alpha(
    data: pd.DataFrame,
    items: Sequence[str],
    *,
    weights: str | None = None,
    nan_policy: str = "listwise",
    ci: float = 0.95,
) -> pd.DataFrame:
    """Cronbach's alpha with Feldt's confidence interval, optionally weighted.

    Parameters
    ----------
    data : DataFrame
        Respondents in rows; items numeric with missing answers NaN (reverse-keyed items
        already reversed).
    items : list of str
        At least two item columns.
    weights : str, optional
        Column of survey weights; the covariance matrix is then weighted and the CI uses
        Kish's effective sample size.
    nan_policy : {"listwise", "pairwise"}
        ``"listwise"`` keeps complete cases (pingouin ``nan_policy="listwise"``, R
        ``psych::alpha(x, use = "complete.obs")``); ``"pairwise"`` uses every pair of answers.
    ci : float
        Confidence level.

    Returns
    -------
    DataFrame, one row:
        ``alpha`` — the estimate; ``ci_low``, ``ci_high`` — Feldt interval; ``n`` — respondents
        used (complete cases for listwise, rows with any answer for pairwise); ``n_eff`` —
        Kish effective n ``(sum w)^2 / sum w^2`` (equal to ``n`` unweighted); ``k`` — items;
        ``weighted`` — whether weights were used.

    Notes
    -----
    ``alpha = k / (k - 1) * (1 - tr(C) / sum(C))`` with C the (weighted) item covariance
    matrix (Cronbach 1951). Feldt's interval: ``1 - (1 - alpha) F_{1-a/2}, 1 - (1 - alpha)
    F_{a/2}`` with F quantiles on ``(n - 1, (n - 1)(k - 1))`` degrees of freedom (Feldt,
    Woodruff and Salih 1987), as pingouin; weighted, ``n_eff`` replaces ``n`` (an
    approximation: the interval ignores clustering). With missing answers, ``n`` here is the
    number of complete cases, while pingouin 0.7 puts all rows (complete or not) into the
    degrees of freedom; the point estimates agree, the intervals only without missing data.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    Psychometrika 16, 297-334. Feldt, L. S., Woodruff, D. J. and Salih, F. A. (1987).
    Statistical inference for coefficient alpha. Applied Psychological Measurement 11, 93-103.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5, 2], "b": [2, 2, 3, 5, 4, 1],
    ...                    "c": [1, 3, 3, 4, 5, 2]})
    >>> res = cronbach_alpha(df, ["a", "b", "c"])
    >>> round(float(res["alpha"].iloc[0]), 4)
    0.9434
    """
    x, w = _prepare(data, items, weights, nan_policy)
    c = weighted_cov(x, w).to_numpy()
    if not np.isfinite(c).all():
        raise AnalysisError(
            "some pairs of items have fewer than two joint answers",
            item=list(items),
            hint="use nan_policy='listwise' or drop sparse items",
        )
    a = _alpha_from_cov(c)
    answered = x.notna().any(axis=1).to_numpy()
    n = int(answered.sum())
    n_eff = _n_effective(w[answered])
    lo, hi = _feldt_ci(a, n_eff, len(x.columns), ci)
    return pd.DataFrame(
        {
            "alpha": [a],
            "ci_low": [lo],
            "ci_high": [hi],
            "n": [n],
            "n_eff": [n_eff],
            "k": [len(x.columns)],
            "weighted": [weights is not None],
        }
    )


def item_analysis(
    data: pd.DataFrame,
    items: Sequence[str],
    *,
    weights: str | None = None,
    nan_policy: str = "listwise",
) -> pd.DataFrame:
    """Item-rest correlations and alpha if the item is deleted.

    Parameters
    ----------
    data, items, weights, nan_policy
        As :func:`cronbach_alpha`.

    Returns
    -------
    DataFrame, one row per item:
        ``item``; ``mean``, ``sd`` — (weighted) item mean and standard deviation;
        ``item_rest_r`` — correlation of the item with the sum of the other items;
        ``alpha_if_deleted`` — alpha of the remaining items; ``n`` — respondents used.

    Notes
    -----
    From the covariance matrix C: ``cov(x_i, R_i) = sum_{j != i} C_ij`` and
    ``var(R_i) = sum_{j,l != i} C_jl``, so ``r_i = cov / sqrt(C_ii var(R_i))`` (the corrected
    item-total correlation). R: ``psych::alpha(x)$item.stats$r.drop`` and
    ``$alpha.drop$raw_alpha``.

    References
    ----------
    Nunnally, J. C. and Bernstein, I. H. (1994). Psychometric Theory, 3rd ed., ch. 8.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5, 2], "b": [2, 2, 3, 5, 4, 1],
    ...                    "c": [1, 3, 3, 4, 5, 2]})
    >>> item_analysis(df, ["a", "b", "c"])["item"].tolist()
    ['a', 'b', 'c']
    """
    x, w = _prepare(data, items, weights, nan_policy)
    cov = weighted_cov(x, w)
    c = cov.to_numpy()
    k = c.shape[0]
    rows = []
    for i, item in enumerate(x.columns):
        rest = [j for j in range(k) if j != i]
        cov_ir = c[i, rest].sum()
        var_r = c[np.ix_(rest, rest)].sum()
        r = cov_ir / np.sqrt(c[i, i] * var_r)
        a_del = _alpha_from_cov(c[np.ix_(rest, rest)]) if k > 2 else np.nan
        ok = x[item].notna().to_numpy()
        mean = float(np.average(x[item].to_numpy()[ok], weights=w[ok]))
        rows.append(
            {
                "item": item,
                "mean": mean,
                "sd": float(np.sqrt(c[i, i])),
                "item_rest_r": float(r),
                "alpha_if_deleted": a_del,
                "n": int(ok.sum()),
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- omega
def _one_factor(corr: np.ndarray, method: str) -> np.ndarray:
    """Standardised loadings of a one-factor model fitted by factor_analyzer."""
    from factor_analyzer import FactorAnalyzer

    if method not in ("ml", "minres", "uls"):
        raise AnalysisError(
            f"unknown factor method {method!r}", item="method", hint="use ml, minres or uls"
        )
    fa = FactorAnalyzer(n_factors=1, rotation=None, method=method, is_corr_matrix=True)
    try:
        fa.fit(corr)
        loadings = np.asarray(fa.loadings_)[:, 0]
    except TypeError as err:
        # factor_analyzer 0.5.1's ``fit`` passes ``force_all_finite`` to scikit-learn's
        # ``check_array``, which scikit-learn >= 1.8 no longer accepts. The same fit, minus
        # that input check, is the library's own ``_fit_factor_analysis`` on the matrix.
        if "force_all_finite" not in str(err):
            raise
        fa._arg_checker()
        loadings = np.asarray(fa._fit_factor_analysis(np.array(corr, dtype="float64")))[:, 0]
    if loadings.sum() < 0:  # the sign of a factor is arbitrary; point it along the items
        loadings = -loadings
    return loadings


def _corr(x: pd.DataFrame, w: np.ndarray) -> np.ndarray:
    c = weighted_cov(x, w).to_numpy()
    d = np.sqrt(np.diag(c))
    return c / np.outer(d, d)


def omega_total(
    data: pd.DataFrame,
    items: Sequence[str],
    *,
    weights: str | None = None,
    nan_policy: str = "listwise",
    method: str = "ml",
) -> pd.DataFrame:
    """McDonald's omega total from a one-factor model, with the loadings.

    Parameters
    ----------
    data, items, weights, nan_policy
        As :func:`cronbach_alpha`.
    method : {"ml", "minres", "uls"}
        Factor extraction method of ``factor_analyzer.FactorAnalyzer``.

    Returns
    -------
    DataFrame, one row:
        ``omega_total``; ``n`` — respondents used; ``k`` — items; ``method``;
        ``weighted``; ``loadings`` and ``uniquenesses`` are in :func:`factor_loadings_by_group`.

    Notes
    -----
    A one-factor model on the (weighted) correlation matrix, fitted by factor_analyzer, gives
    standardised loadings l_i and uniquenesses u_i = 1 - l_i^2; omega total is
    ``(sum l)^2 / ((sum l)^2 + sum u)`` (McDonald 1999, eq. 6.20b) — the reliability of the
    sum of standardised items. R: ``l <- factanal(x, factors = 1)$loadings;
    sum(l)^2 / (sum(l)^2 + sum(1 - l^2))`` (the tests agree with R to 1e-5), or
    ``psych::omega(x, nfactors = 1, fm = "ml")$omega.tot``.

    References
    ----------
    McDonald, R. P. (1999). Test Theory: A Unified Treatment. Mahwah: Erlbaum.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=300)
    >>> df = pd.DataFrame({f"x{i}": f + rng.normal(size=300) for i in range(4)})
    >>> 0.7 < float(omega_total(df, list(df.columns))["omega_total"].iloc[0]) < 0.9
    True
    """
    x, w = _prepare(data, items, weights, nan_policy)
    lam = _one_factor(_corr(x, w), method)
    s = lam.sum()
    u = 1 - lam**2
    omega = float(s**2 / (s**2 + u.sum()))
    return pd.DataFrame(
        {
            "omega_total": [omega],
            "n": [int(x.notna().any(axis=1).sum())],
            "k": [len(x.columns)],
            "method": [method],
            "weighted": [weights is not None],
        }
    )


def scale_reliability(
    data: pd.DataFrame,
    items: Sequence[str],
    *,
    weights: str | None = None,
    by: Sequence[str] | str | None = None,
    ci: float = 0.95,
) -> pd.DataFrame:
    """Alpha (with CI) and omega total of one scale, overall or per group, in one table.

    Parameters
    ----------
    data, items, weights, ci
        As :func:`cronbach_alpha` (listwise deletion).
    by : str or list of str, optional
        Grouping columns (e.g. ``["pilot", "wave"]``); one row per group.

    Returns
    -------
    DataFrame: grouping columns, then ``alpha, ci_low, ci_high`` (weighted if ``weights``),
    ``alpha_unweighted_pingouin`` (``pingouin.cronbach_alpha(nan_policy="listwise")``, the
    unweighted cross-check), ``omega_total, n, n_eff, k, weighted``.

    Notes
    -----
    See :func:`cronbach_alpha` and :func:`omega_total`. Without weights ``alpha`` and the
    pingouin column agree to rounding error; with weights their gap shows what weighting
    changes.

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> f = rng.normal(size=200)
    >>> df = pd.DataFrame({f"x{i}": f + rng.normal(size=200) for i in range(3)})
    >>> df["arm"] = np.repeat(["pilot", "control"], 100)
    >>> scale_reliability(df, ["x0", "x1", "x2"], by="arm")["arm"].tolist()
    ['control', 'pilot']
    """
    by_cols = [by] if isinstance(by, str) else list(by or [])
    require_columns(data, by_cols)
    groups = data.groupby(by_cols, sort=True, dropna=False) if by_cols else [((), data)]
    rows = []
    for key, sub in groups:
        key = key if isinstance(key, tuple) else (key,)
        a = cronbach_alpha(sub, items, weights=weights, ci=ci)
        o = omega_total(sub, items, weights=weights)
        row = dict(zip(by_cols, key, strict=True))
        row.update(a.iloc[0].to_dict())
        row["omega_total"] = float(o["omega_total"].iloc[0])
        row["alpha_unweighted_pingouin"] = _pingouin_alpha(sub, items)
        rows.append(row)
    cols = [*by_cols, "alpha", "ci_low", "ci_high", "alpha_unweighted_pingouin", "omega_total",
            "n", "n_eff", "k", "weighted"]  # fmt: skip
    return pd.DataFrame(rows)[cols]


def _pingouin_alpha(data: pd.DataFrame, items: Sequence[str]) -> float:
    import pingouin

    x = numeric_items(data, items)
    value, _ = pingouin.cronbach_alpha(data=x, nan_policy="listwise")
    return float(value)


def factor_loadings_by_group(
    data: pd.DataFrame,
    items: Sequence[str],
    by: Sequence[str] | str,
    *,
    weights: str | None = None,
    method: str = "ml",
    wide: bool = True,
) -> pd.DataFrame:
    """One-factor model per group (e.g. arm x wave) with the loadings side by side.

    Parameters
    ----------
    data, items, weights, method
        As :func:`omega_total` (listwise deletion within each group).
    by : str or list of str
        Grouping columns, e.g. ``["pilot", "wave"]``.
    wide : bool
        True: one row per item and one loading column per group, labelled
        ``"pilot=1, wave=2"``. False: tidy long table.

    Returns
    -------
    DataFrame
        Long: grouping columns, ``item``, ``loading`` (standardised), ``uniqueness``
        (1 - loading^2), ``n`` (complete cases in the group). Wide: ``item`` and one column of
        loadings per group.

    Notes
    -----
    A quick look at configural similarity, not a test of measurement invariance (that needs
    a multi-group CFA, e.g. R ``lavaan::cfa(..., group = "arm")``). Per group R:
    ``factanal(x, factors = 1)$loadings``.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> f = rng.normal(size=400)
    >>> df = pd.DataFrame({f"x{i}": f + rng.normal(size=400) for i in range(3)})
    >>> df["wave"] = np.repeat([1, 2], 200)
    >>> list(factor_loadings_by_group(df, ["x0", "x1", "x2"], by="wave").columns)
    ['item', 'wave=1', 'wave=2']
    """
    by_cols = [by] if isinstance(by, str) else list(by)
    require_columns(data, by_cols)
    rows = []
    for key, sub in data.groupby(by_cols, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        x, w = _prepare(sub, items, weights, "listwise")
        lam = _one_factor(_corr(x, w), method)
        for item, value in zip(x.columns, lam, strict=True):
            row = dict(zip(by_cols, key, strict=True))
            row.update(item=item, loading=float(value), uniqueness=float(1 - value**2), n=len(x))
            rows.append(row)
    long = pd.DataFrame(rows)
    if not wide:
        return long

    def label(r: pd.Series) -> str:
        return ", ".join(f"{c}={_plain(r[c])}" for c in by_cols)

    long["group"] = long.apply(label, axis=1)
    out = long.pivot(index="item", columns="group", values="loading")
    out = out.reindex(index=list(items), columns=list(dict.fromkeys(long["group"])))
    out.columns.name = None
    return out.reset_index()


def _plain(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
