"""Design-based survival curves (R's ``svykm``).

For right-censored times ``t_i`` with event indicators ``d_i`` and weights ``w_i``, at each
distinct event time ``tau`` the weighted number at risk is ``Y(tau) = sum w_i 1[t_i >= tau]``
and of events ``D(tau) = sum w_i d_i 1[t_i = tau]``.

* ``se=True`` (R's ``svykm(..., se=TRUE)``): the survival is ``exp(-H)`` with the
  Nelson-Aalen cumulative hazard ``H(tau) = sum_{s <= tau} D(s)/Y(s)``; the variance of
  ``log S = -H`` is that of the linearised ``H`` (the delta method on the totals ``D`` and
  ``Y``, as R's ``km.stderr``), from the design's variance engine (any design: strata,
  clusters, PPS, calibration; replicate designs refit ``H`` with every replicate's weights).
  ``se`` is ``S sqrt(var log S)`` and the interval ``exp(log S -/+ z sqrt(var log S))``
  with the upper limit at most 1 (R's ``confint.svykm``, normal quantile).
* ``se=False`` (R's default): the weighted product-limit estimate ``prod (1 - D/Y)``.

Groups of ``by`` are domains of the design (R's ``subset``). One row per group and distinct
event time, the survival just after it (R's value at that time).

>>> import pandas as pd
>>> from trustsurvey.design import SurveyDesign
>>> df = pd.DataFrame({"psu": [1, 1, 2, 2, 3, 3], "t": [2, 3, 3, 5, 6, 8],
...                    "event": [1, 0, 1, 1, 0, 1], "w": [1.0, 2, 1, 1, 2, 1]})
>>> km = kaplan_meier(SurveyDesign(df, ids="psu", weights="w"), "t", "event", se=False)
>>> km[["time", "survival"]].round(4).values.tolist()
[[2.0, 0.875], [3.0, 0.75], [5.0, 0.5625], [8.0, 0.0]]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from trustsurvey.design.domains import as_list, check_columns, make_domains
from trustsurvey.design.estimators import numeric_column
from trustsurvey.design.metadata import annotate
from trustsurvey.design.rows import row_ref
from trustsurvey.errors import DesignError

if TYPE_CHECKING:
    from trustsurvey.design.base import Design

#: influence values computed at a time (the curve's event times are taken in blocks)
BLOCK_ELEMENTS = 2**22

COLUMNS = ["time", "survival", "se", "se_log", "ci_low", "ci_high", "n_risk", "n_event"]


def _status(data: pd.DataFrame, col: str) -> np.ndarray:
    s = numeric_column(data, col)
    bad = ~np.isnan(s) & (s != 0) & (s != 1)
    if bad.any():
        raise DesignError(
            f"event indicator {col!r} must be 0 (censored) or 1 (event)",
            item=col,
            row=row_ref(data.index, bad),
            hint="code the event as 1 and censoring as 0",
        )
    return s


def _hazard(
    t: np.ndarray, d: np.ndarray, w: np.ndarray, taus: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(Y(tau), D(tau))`` of weights ``w`` at the event times ``taus``."""
    pos = np.searchsorted(taus, t)  # first event time >= t_i
    at = (pos < len(taus)) & (taus[np.minimum(pos, len(taus) - 1)] == t)
    events = np.bincount(pos[at], weights=(w * d)[at], minlength=len(taus))
    # at risk at tau_l: rows with t_i >= tau_l, i.e. the index of the last tau <= t_i >= l
    last = np.searchsorted(taus, t, side="right")  # number of event times <= t_i
    risk = np.bincount(last, weights=w, minlength=len(taus) + 1)[::-1].cumsum()[::-1][1:]
    return risk, events


def _curve(
    design: Design, t: np.ndarray, d: np.ndarray, used: np.ndarray, se: bool, level: float
) -> pd.DataFrame:
    w_all = design.full_weights
    tu, du, wu = t[used], d[used], w_all[used]
    taus = np.unique(tu[du == 1])
    if not len(taus):
        return pd.DataFrame({c: pd.Series(dtype=float) for c in COLUMNS})
    risk, events = _hazard(tu, du, wu, taus)
    n_risk, n_event = _hazard(tu, du, np.ones(len(tu)), taus)
    out = {"time": taus, "n_risk": n_risk.astype(np.int64), "n_event": n_event.astype(np.int64)}
    if not se:
        surv = np.maximum(0.0, np.cumprod(1 - events / risk))
        nan = np.full(len(taus), np.nan)
        out |= {"survival": surv, "se": nan, "se_log": nan, "ci_low": nan, "ci_high": nan}
        return pd.DataFrame(out)[COLUMNS]
    h = np.cumsum(events / risk)

    g = np.concatenate([[0.0], np.cumsum(events / risk**2)])
    last = np.searchsorted(taus, tu, side="right")  # event times <= t_i
    own = np.where(du == 1, 1.0 / risk[np.maximum(last - 1, 0)], 0.0)
    var_log = np.empty(len(taus))
    # the curve's times in blocks, so that at most BLOCK_ELEMENTS influence values exist
    step = max(1, BLOCK_ELEMENTS // max(len(used), 1))
    for j0 in range(0, len(taus), step):
        cols = np.arange(j0 + 1, min(len(taus), j0 + step) + 1)

        def influence(cols: np.ndarray = cols) -> np.ndarray:
            z = np.zeros((len(used), len(cols)))
            z[used] = wu[:, None] * (
                own[:, None] * (last[:, None] <= cols[None, :])
                - g[np.minimum(last[:, None], cols[None, :])]
            )
            return z

        def refit(w: np.ndarray, cols: np.ndarray = cols) -> np.ndarray:
            r, e = _hazard(tu, du, np.asarray(w, dtype=float), taus)
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.cumsum(np.where(e > 0, e / r, 0.0))[cols - 1]

        cov = design.model_covariance(h[cols - 1], used, influence=influence, refit=refit)
        var_log[cols - 1] = np.diag(cov)
    var_log = np.clip(var_log, 0, None)
    surv = np.exp(-h)
    z = stats.norm.ppf(1 - (1 - level) / 2)
    sd = np.sqrt(var_log)
    out |= {
        "survival": surv,
        "se": surv * sd,
        "se_log": sd,
        "ci_low": np.exp(-h - z * sd),
        "ci_high": np.minimum(np.exp(-h + z * sd), 1.0),
    }
    return pd.DataFrame(out)[COLUMNS]


def kaplan_meier(
    design: Design,
    time: str,
    status: str,
    by: str | list[str] | None = None,
    *,
    se: bool = True,
    level: float = 0.95,
    by_missing: str = "drop",
) -> pd.DataFrame:
    """Survival curves of ``time`` (event indicator ``status``: 1 event, 0 censored) per
    group of ``by``, with design-based SEs and intervals (R's ``svykm``; see the module).

    Rows with a missing time, status or group are left out (R's ``na.omit``); a negative or
    infinite time is an error.
    """
    data = design.data
    check_columns(data, [time, status], "variable")
    t = numeric_column(data, time)
    bad = ~np.isnan(t) & (~np.isfinite(t) | (t < 0))
    if bad.any():
        raise DesignError(
            f"time {time!r} has negative or infinite values",
            item=time,
            row=row_ref(data.index, bad),
            hint="give the time to the event or to censoring, zero or more",
        )
    d = _status(data, status)
    valid = ~np.isnan(t) & ~np.isnan(d)
    doms = make_domains(data, as_list(by), by_missing)
    parts = []
    for g in range(doms.size):
        used = design.restrict(valid & (doms.codes == g))
        part = _curve(design, t, np.nan_to_num(d), used, se, level)
        if doms.keys is not None:
            key = doms.keys[g] if isinstance(doms.keys[g], tuple) else (doms.keys[g],)
            for name, value in zip(doms.names, key, strict=True):
                part.insert(len(part.columns) - len(COLUMNS), name, value)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    return annotate(out, level=level, statistic="survival", by=doms.names)
