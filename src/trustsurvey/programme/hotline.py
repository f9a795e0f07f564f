"""Hotline appeals: rates per month and per 1,000 residents, share resolved, and time to
resolution by Kaplan-Meier so pending appeals count as censored, not dropped.

Time to resolution ``T = date_resolved - date_received`` (days) for resolved appeals; a
pending appeal is right-censored at the data cut-off (the latest date in the log), an appeal
closed unresolved (``no``) at its closing date, or at the cut-off when it has none. The
Kaplan-Meier estimate and its pointwise Greenwood CIs (scipy's default ``linear`` method)
come from :func:`scipy.stats.ecdf` on :class:`scipy.stats.CensoredData`
(Kaplan & Meier 1958; Greenwood 1926). The q-quantile of T is the first time ``t`` with
``S(t) <= 1 - q``; it is NA when the curve never falls that far (too many censored).

>>> import pandas as pd
>>> t = km_quantiles(pd.Series([1, 2, 3, 4, 5, 6.0]), pd.Series([1, 1, 1, 0, 1, 0]))
>>> float(t["median_days"]), float(t["p90_days"])
(3.0, nan)
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats


def _censored(time: np.ndarray, event: np.ndarray) -> stats.CensoredData:
    return stats.CensoredData(uncensored=time[event == 1], right=time[event == 0])


def _band(sf: object, level: float) -> object:
    """Greenwood band; undefined where S(t) is 0 or 1 (NaN there, scipy warns: silenced)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The confidence interval is undefined", RuntimeWarning)
        return sf.confidence_interval(level)


def _quantile(times: np.ndarray, surv: np.ndarray, q: float) -> float:
    hit = np.flatnonzero(surv <= 1 - q + 1e-12)
    return float(times[hit[0]]) if len(hit) else float("nan")


def km_quantiles(time: pd.Series, event: pd.Series, level: float = 0.95) -> pd.Series:
    """Median and 90th percentile of time (KM), with CIs from the Greenwood band."""
    t, e = np.asarray(time, float), np.asarray(event, int)
    out = {"n": len(t), "events": int(e.sum()), "censored": int((e == 0).sum())}
    if e.sum() == 0:
        return pd.Series(out | {"median_days": np.nan, "p90_days": np.nan})
    res = stats.ecdf(_censored(t, e)).sf
    times, surv = res.quantiles, res.probabilities
    ci = _band(res, level)
    out["median_days"] = _quantile(times, surv, 0.5)
    out["median_ci_low"] = _quantile(times, ci.low.probabilities, 0.5)
    out["median_ci_high"] = _quantile(times, ci.high.probabilities, 0.5)
    out["p90_days"] = _quantile(times, surv, 0.9)
    return pd.Series(out)


def resolution_times(hotline: pd.DataFrame) -> pd.DataFrame:
    """``days`` and ``event`` (1 resolved, 0 censored) per appeal, with the cut-off used."""
    dates = pd.concat([hotline["date_received"], hotline["date_resolved"]])
    cutoff = dates.max()
    end = hotline["date_resolved"].where(hotline["resolved"] != "pending")
    end = end.fillna(cutoff)
    event = ((hotline["resolved"] == "yes") & hotline["date_resolved"].notna()).astype(int)
    days = (end - hotline["date_received"]).dt.days.astype(float)
    keep = ~((hotline["resolved"] == "yes") & hotline["date_resolved"].isna())
    return hotline.assign(days=days, event=event)[keep]


def resolution_summary(hotline: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Share resolved and KM median / 90th percentile of days to resolution, by group."""
    timed = resolution_times(hotline)
    rows = []
    for key, part in hotline.groupby(by, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        tpart = timed.loc[timed.index.intersection(part.index)]
        km = km_quantiles(tpart["days"], tpart["event"])
        rows.append(
            dict(zip(by, key, strict=True))
            | {
                "n": len(part),
                "resolved": int((part["resolved"] == "yes").sum()),
                "pending": int((part["resolved"] == "pending").sum()),
                "share_resolved": float((part["resolved"] == "yes").mean()),
            }
            | km.drop(["n"]).to_dict()
        )
    return pd.DataFrame(rows)


def resolution_curve(hotline: pd.DataFrame, by: str = "arm", level: float = 0.95) -> pd.DataFrame:
    """The KM curve of the share still unresolved after ``days``, with Greenwood CIs, by group."""
    timed = resolution_times(hotline)
    frames = []
    for group, part in timed.groupby(by, sort=True):
        e = part["event"].to_numpy()
        if e.sum() == 0:
            continue
        sf = stats.ecdf(_censored(part["days"].to_numpy(float), e)).sf
        ci = _band(sf, level)
        frames.append(
            pd.DataFrame(
                {
                    by: group,
                    "days": sf.quantiles,
                    "unresolved": sf.probabilities,
                    "ci_low": ci.low.probabilities,
                    "ci_high": ci.high.probabilities,
                    "n": len(part),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def appeal_rates(hotline: pd.DataFrame, communities: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Appeals (``n``, unweighted, for small-cell suppression) by ``by`` with per-1,000 rates.

    ``by`` may include ``month`` (``YYYY-MM``), ``community``, ``category``, ``period``, ``arm``.
    Rates per 1,000 residents need ``community`` in ``by`` (population of that community) or
    use the arm's/total population otherwise.
    """
    frame = hotline.assign(month=hotline["date_received"].dt.strftime("%Y-%m"))
    n = frame.groupby(by, sort=True).size().rename("n").reset_index()
    if "community" in by:
        n = n.merge(communities[["community", "population"]], on="community", how="left")
    elif "arm" in by:
        pop = communities.groupby("arm")["population"].sum().reset_index()
        n = n.merge(pop, on="arm", how="left")
    else:
        n["population"] = communities["population"].sum()
    n["per_1000"] = 1000 * n["n"] / n["population"]
    return n


def hotline_change(
    hotline: pd.DataFrame, communities: pd.DataFrame, periods: tuple[str, str]
) -> pd.DataFrame:
    """Per community and category: appeals per month per 1,000 residents in two periods and
    the change (second minus first). Months of a period = months with the hotline open in it
    (from the first to the last month with any appeal in that period)."""
    rows = []
    months = {}
    for p in periods:
        part = hotline[hotline["period"] == p]["date_received"]
        months[p] = len(pd.period_range(part.min(), part.max(), freq="M")) if len(part) else 0
    counts = (
        hotline[hotline["period"].isin(periods)].groupby(["community", "category", "period"]).size()
    )
    pop = communities.set_index("community")["population"]
    cats = sorted(hotline["category"].dropna().unique())
    for c in communities["community"]:
        for cat in cats:
            row = {"community": c, "category": cat}
            for i, p in enumerate(periods, 1):
                k = int(counts.get((c, cat, p), 0))
                rate = k / months[p] * 1000 / pop.get(c, np.nan) if months[p] else np.nan
                row |= {f"n_{i}": k, f"months_{i}": months[p], f"per_1000_month_{i}": rate}
            row["change"] = row["per_1000_month_2"] - row["per_1000_month_1"]
            rows.append(row)
    out = pd.DataFrame(rows)
    out.insert(2, "period_1", periods[0])
    out.insert(3, "period_2", periods[1])
    return out
