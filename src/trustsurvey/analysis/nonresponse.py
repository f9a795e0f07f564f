"""What item non-response could hide: worst-case bounds and a delta-adjusted band.

A mean over the answerers assumes that those who said "difficult to answer", refused or
gave no answer are like the rest. With ``p`` the (weighted) share answering and
``A = mean(r·y)`` (``r`` = answered, ``y`` = 0 where not), the mean of everybody is
``A + (1 - p)·μ₀`` for the unknown mean ``μ₀`` of the non-answerers.

- :func:`nonresponse_bounds`: ``μ₀`` anywhere on the scale ``[low, high]`` gives the
  worst-case (identification) bounds ``[A + (1-p)·low, A + (1-p)·high]`` (Manski 1989;
  Manski 2003, ch. 1), with design-based SEs of each bound, and the Imbens & Manski (2004)
  interval for the identified set: ``[L - C·σ_L, U + C·σ_U]`` where ``C`` solves
  ``Φ(C + (U - L)/max(σ_L, σ_U)) - Φ(-C) = level`` (the design's Student ``t_ν`` in place
  of ``Φ``, as its other intervals).
- :func:`delta_band`: the pattern-mixture model ``μ₀ = μ₁ + δ`` (non-answerers differ from
  answerers by ``δ`` on the scale; Little & Rubin 2019, ch. 15; National Research Council
  2010, ch. 5), for a range of ``δ``: ``θ(δ) = μ₁ + (1 - p)·δ`` with ``μ₁ = A/p``, ``μ₀``
  kept on the scale when it is given.

Every SE is the linearisation (or replicate) SE of the smooth function of the design means
``(A, p)`` (delta method; Wolter 2007, ch. 6), computed in the design's domain, so the
strata, clusters and weights count. Rows whose ``y`` is missing but who are not
non-answerers (``nonresponse`` False: e.g. the question did not apply) are outside the
population and the domain.

>>> import pandas as pd
>>> from trustsurvey.design import SurveyDesign
>>> df = pd.DataFrame({"y": [1.0, 2, None, 4, 5, None], "psu": [1, 1, 2, 2, 3, 3],
...                    "w": 1.0})
>>> b = nonresponse_bounds(SurveyDesign(df, ids="psu", weights="w"), "y", low=1, high=5)
>>> b[["answered", "lower", "upper", "share_missing"]].round(3).to_numpy().tolist()
[[3.0, 2.333, 3.667, 0.333]]
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

from trustsurvey.design.base import Design
from trustsurvey.design.metadata import vcov
from trustsurvey.errors import AnalysisError

_R, _RY = "__answered", "__answered_y"


def nonresponse_bounds(
    design: Design,
    y: str,
    *,
    low: float | None,
    high: float | None,
    by: str | Sequence[str] | None = None,
    nonresponse: pd.Series | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Worst-case bounds on the mean of ``y`` when the non-answerers could have given any
    answer on the scale ``[low, high]`` (module doc; for a share, ``y`` 0/1 and ``[0, 1]``).

    ``nonresponse`` (boolean, aligned on the data) marks the non-answerers; by default every
    row where ``y`` is missing. One row per ``by`` cell (all rows without ``by``): ``n``,
    ``n_answered``, ``share_missing`` (weighted), ``answered`` (mean of the answerers) and
    ``answered_se``, ``lower``, ``lower_se``, ``upper``, ``upper_se``, the Imbens-Manski
    interval ``ci_low``, ``ci_high``, and ``df``.

    >>> import pandas as pd
    >>> from trustsurvey.design import SurveyDesign
    >>> df = pd.DataFrame({"y": [0, 1, None, 1, 1, None, 0, 1], "g": list("aabbaabb"),
    ...                    "w": [1.0, 2, 1, 2, 1, 2, 1, 2]})
    >>> b = nonresponse_bounds(SurveyDesign(df, weights="w"), "y", low=0, high=1, by="g")
    >>> b[["g", "lower", "upper"]].round(3).to_numpy().tolist()
    [['a', 0.5, 0.833], ['b', 0.667, 0.833]]
    """
    low, high = _scale(y, low, high)
    rows = []
    for key, d, n, n_ans in _cells(design, y, by, nonresponse, low, high):
        a, p, cov, df = _moments(d)
        lower, lower_se = _filled(a, p, cov, low)
        upper, upper_se = _filled(a, p, cov, high)
        answered, answered_se = _delta(a, p, cov, 0.0, None, None)
        ci_low, ci_high = imbens_manski(lower, upper, lower_se, upper_se, level=level, df=df)
        rows.append(
            {
                **key,
                "n": n,
                "n_answered": n_ans,
                "share_missing": 1 - p,
                "answered": answered,
                "answered_se": answered_se,
                "lower": lower,
                "lower_se": lower_se,
                "upper": upper,
                "upper_se": upper_se,
                "ci_low": ci_low,
                "ci_high": ci_high,
                "df": df,
            }
        )
    return pd.DataFrame(rows)


def delta_band(
    design: Design,
    y: str,
    deltas: Sequence[float],
    *,
    low: float | None = None,
    high: float | None = None,
    by: str | Sequence[str] | None = None,
    nonresponse: pd.Series | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """The mean of ``y`` if the non-answerers' mean were the answerers' mean plus ``δ``, for
    each ``δ`` of ``deltas`` (pattern-mixture sensitivity analysis; module doc).

    With a scale ``[low, high]`` the non-answerers' mean is kept on it (``clipped`` says
    when); its ends then give the worst-case bounds. One row per ``by`` cell and ``δ``:
    ``delta, estimate, se, ci_low, ci_high, df, nonanswer_mean, clipped, share_missing``.

    >>> import pandas as pd
    >>> from trustsurvey.design import SurveyDesign
    >>> df = pd.DataFrame({"y": [1.0, 2, None, 4, 5, None], "psu": [1, 1, 2, 2, 3, 3],
    ...                    "w": 1.0})
    >>> d = SurveyDesign(df, ids="psu", weights="w")
    >>> band = delta_band(d, "y", [-1, 0, 1], low=1, high=5)
    >>> band[["delta", "estimate"]].round(3).to_numpy().tolist()
    [[-1.0, 2.667], [0.0, 3.0], [1.0, 3.333]]
    """
    values = np.asarray(list(deltas), dtype=float)
    if values.size == 0 or not np.isfinite(values).all():
        raise AnalysisError(
            f"deltas must be finite numbers, got {list(deltas)}",
            item="deltas",
            hint="give shifts on the item's scale, e.g. [-1, -0.5, 0, 0.5, 1]",
        )
    if low is not None or high is not None:
        low, high = _scale(y, low, high)
    rows = []
    for key, d, n, _ in _cells(design, y, by, nonresponse, low, high):
        a, p, cov, df = _moments(d)
        crit = stats.t.isf((1 - level) / 2, df)
        for delta in values:
            est, se = _delta(a, p, cov, float(delta), low, high)
            mu0 = float(
                np.clip(
                    a / p + delta, -np.inf if low is None else low, np.inf if high is None else high
                )
            )
            rows.append(
                {
                    **key,
                    "delta": float(delta),
                    "estimate": est,
                    "se": se,
                    "ci_low": est - crit * se,
                    "ci_high": est + crit * se,
                    "df": df,
                    "nonanswer_mean": mu0,
                    "clipped": bool(mu0 != a / p + delta),
                    "share_missing": 1 - p,
                    "n": n,
                }
            )
    return pd.DataFrame(rows)


def imbens_manski(
    lower: float,
    upper: float,
    lower_se: float,
    upper_se: float,
    *,
    level: float = 0.95,
    df: float = np.inf,
) -> tuple[float, float]:
    """Imbens & Manski (2004) interval covering the true value with probability
    ``level`` whatever its place in the identified set ``[lower, upper]``.

    >>> lo, hi = imbens_manski(0.4, 0.6, 0.02, 0.02)
    >>> round(lo, 4), round(hi, 4)
    (0.3671, 0.6329)
    """
    if not 0 < level < 1:
        raise AnalysisError(f"level must lie in (0, 1), got {level}", item="level")
    if not np.isfinite([lower, upper, lower_se, upper_se]).all():
        return float("nan"), float("nan")
    width = max(upper - lower, 0.0)
    scale = max(lower_se, upper_se)
    dist = stats.t(df) if np.isfinite(df) else stats.norm()
    if scale <= 0:
        return lower, upper
    if width == 0:
        c = float(dist.isf((1 - level) / 2))
    else:
        lo, hi = float(dist.isf(1 - level)), float(dist.isf((1 - level) / 2))
        c = optimize.brentq(
            lambda x: dist.cdf(x + width / scale) - dist.cdf(-x) - level, lo - 1e-9, hi + 1e-9
        )
    return lower - c * lower_se, upper + c * upper_se


# ---------------------------------------------------------------------------- internals
def _scale(y: str, low: float | None, high: float | None) -> tuple[float, float]:
    if low is None or high is None:
        raise AnalysisError(
            "bounds need the ends of the answer scale (low and high)",
            item=y,
            hint="give low= and high= (e.g. the smallest and largest answer code, 1 and 5; "
            "0 and 1 for a share)",
        )
    lo, hi = float(low), float(high)
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo >= hi:
        raise AnalysisError(
            f"the scale [{low}, {high}] is not an interval",
            item=y,
            hint="low must be a number below high",
        )
    return lo, hi


def _cells(
    design: Design,
    y: str,
    by: str | Sequence[str] | None,
    nonresponse: pd.Series | None,
    low: float | None,
    high: float | None,
) -> Iterator[tuple[dict[str, object], Design, int, int]]:
    """(by values, domain design with the answered columns, n, n answered) per cell."""
    data = design.data
    if y not in data.columns:
        raise AnalysisError(
            "column not in the design data",
            item=y,
            hint=f"available columns: {', '.join(map(str, data.columns[:30]))}",
        )
    if not pd.api.types.is_numeric_dtype(data[y]):
        raise AnalysisError("item is not numeric", item=y, hint="recode answers to numbers")
    values = data[y].astype(float)
    answered = values.notna()
    if nonresponse is None:
        missing = ~answered
    else:
        missing = pd.Series(nonresponse, index=data.index).reindex(data.index)
        if missing.isna().any():
            raise AnalysisError(
                "nonresponse has missing values", item=y, hint="give True/False for every row"
            )
        missing = missing.astype(bool) & ~answered
    outside = answered & (
        (values < (-np.inf if low is None else low)) | (values > (np.inf if high is None else high))
    )
    if outside.any():
        bad = np.flatnonzero(outside.to_numpy())[:10] + 1
        raise AnalysisError(
            f"answers outside the scale [{low}, {high}] in rows {bad.tolist()}",
            item=y,
            hint="declare the missing codes in the questionnaire (they must be NaN here), or "
            "give the scale's real ends",
        )
    population = answered | missing
    d = design.with_columns(**{_R: answered.astype(float), _RY: values.where(answered, 0.0)})
    by_cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
    if by_cols:
        cells = data.loc[population, by_cols].drop_duplicates().sort_values(by_cols)
        keys = [dict(zip(by_cols, row, strict=True)) for row in cells.itertuples(index=False)]
    else:
        keys = [{}]
    base_domain = design.domain_mask
    for key in keys:
        mask = population.to_numpy().copy()
        for col, val in key.items():
            mask &= (data[col] == val).to_numpy()
        if base_domain is not None:
            mask &= base_domain
        where = f" in {key}" if key else ""
        if not mask.any():
            continue
        if not (mask & answered.to_numpy()).any():
            raise AnalysisError(
                f"nobody answered{where}: every answer is missing",
                item=y,
                hint="the bounds would be the whole scale; report the item as not asked or "
                "leave the cell out",
            )
        yield (
            key,
            d.subset(mask, name=f"{y} answered or not{where}"),
            int(mask.sum()),
            int((mask & answered.to_numpy()).sum()),
        )


def _moments(d: Design) -> tuple[float, float, np.ndarray, float]:
    """``A = mean(r·y)``, ``p = mean(r)``, their covariance and the design df."""
    res = d.mean([_RY, _R], covmat=True)
    cov = vcov(res).loc[[_RY, _R], [_RY, _R]].to_numpy()
    est = res["estimate"]
    df = float(res["df"].iloc[0]) if "df" in res.columns else float(d.degf)
    return float(est[_RY]), float(est[_R]), cov, df


def _se(gradient: np.ndarray, cov: np.ndarray) -> float:
    return float(np.sqrt(max(gradient @ cov @ gradient, 0.0)))


def _filled(a: float, p: float, cov: np.ndarray, value: float) -> tuple[float, float]:
    """``A + (1 - p)·value`` and its SE (gradient ``(1, -value)``)."""
    return a + (1 - p) * value, _se(np.array([1.0, -value]), cov)


def _delta(
    a: float, p: float, cov: np.ndarray, delta: float, low: float | None, high: float | None
) -> tuple[float, float]:
    """``μ₁ + (1 - p)·δ`` (gradient ``(1/p, -A/p² - δ)``), or the filled mean when the
    non-answerers' mean ``μ₁ + δ`` leaves the scale."""
    mu0 = a / p + delta
    if low is not None and mu0 < low:
        return _filled(a, p, cov, low)
    if high is not None and mu0 > high:
        return _filled(a, p, cov, high)
    return a / p + (1 - p) * delta, _se(np.array([1 / p, -a / p**2 - delta]), cov)
