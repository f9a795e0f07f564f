"""Quantiles with Woodruff confidence intervals, as R's ``svyquantile`` (survey >= 4.0).

Defaults of R 4.x / survey 4.1: ``qrule="math"`` and ``interval.type="mean"``:

* estimate (``qrule_math``): sort the domain's values, ``C_j`` the cumulative weights (summed
  in extended precision as R does), ``pos`` the last ``j`` with ``C_j <= p W`` (the first if
  none); the quantile is ``x_pos`` if ``C_pos / W == p`` exactly, else ``x_{pos+1}``;
* interval (Woodruff 1952): the design-based mean ``m`` of ``1[x <= qhat]`` with its SE gives
  ``m ± t_df se``; its limits are mapped back through the same quantile rule (NaN when a limit
  leaves [0, 1]); the SE is ``(upper - lower) / (2 t_df)``.

``df`` defaults to the full design's degrees of freedom; ``df="domain"`` uses each domain's
own (R's ``degf`` of the subset design, what ``svyquantile(subset(...))`` and ``svyby`` use).
The quantile rule itself loops over domains (sorting is per domain); everything else is
vectorised.

>>> import pandas as pd
>>> from trustsurvey.design import SurveyDesign
>>> df = pd.DataFrame({"psu": [1, 1, 2, 2, 3, 3], "y": [1.0, 2, 3, 4, 5, 6]})
>>> d = SurveyDesign(df, ids="psu", weights=pd.Series([1.0] * 6))
>>> d.quantile("y", q=[0.5])["estimate"].tolist()
[3.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from trustsurvey.design.domains import Domains, as_list, make_domains
from trustsurvey.design.estimators import numeric_column
from trustsurvey.design.metadata import annotate
from trustsurvey.design.results import group_index, t_quantile
from trustsurvey.errors import DesignError

if TYPE_CHECKING:
    from trustsurvey.design.base import Design


def _cumulative(ws: np.ndarray) -> tuple[np.ndarray, float]:
    cum = np.cumsum(ws, dtype=np.longdouble)
    return cum.astype(float), float(cum[-1]) if len(cum) else 0.0


def qrule_math(xs: np.ndarray, cumw: np.ndarray, total: float, p: float) -> float:
    """R's ``qrule_math`` on sorted values ``xs`` with cumulative weights ``cumw``."""
    n = len(xs)
    if n == 0 or not np.isfinite(p):
        return np.nan
    pos = int(np.searchsorted(cumw, p * total, side="right")) - 1
    if pos < 0:
        pos = 0
    wlow = p - cumw[pos] / total
    if wlow == 0:
        return float(xs[pos])
    return float(xs[min(pos + 1, n - 1)])


def _degf_per_domain(design: Design, doms: Domains, valid: np.ndarray) -> np.ndarray:
    from trustsurvey.design.proportion import domain_degf

    return domain_degf(design, doms, valid)


def quantile(
    design: Design,
    y: str,
    q: float | Sequence[float] = (0.5,),
    *,
    by: str | list[str] | None = None,
    by_missing: str = "drop",
    level: float = 0.95,
    cv: bool = False,
    moe: bool = False,
    df: float | str | None = None,
) -> pd.DataFrame:
    """Quantiles of ``y`` per domain; one row per probability (see module docstring)."""
    data = design.data
    x = numeric_column(data, y)
    qs = [float(v) for v in np.atleast_1d(np.asarray(q, dtype=float))]
    bad = [v for v in qs if not 0 <= v <= 1]
    if bad:
        raise DesignError(
            f"quantile probabilities must lie in [0, 1], got {bad}",
            item="q",
            hint="e.g. q=(0.25, 0.5, 0.75)",
        )
    doms = make_domains(data, as_list(by), by_missing)
    valid = design.restrict(~np.isnan(x) & (doms.codes >= 0))
    D, Q = doms.size, len(qs)
    w = design.full_weights
    idx = np.flatnonzero(valid)
    order = idx[np.lexsort((x[idx], doms.codes[idx]))]
    seg = np.searchsorted(doms.codes[order], np.arange(D + 1))
    sorted_x = x[order]
    sorted_w = w[order]
    cums: list[tuple[np.ndarray, np.ndarray, float]] = []
    qhat = np.full((D, Q), np.nan)
    for d in range(D):
        xs = sorted_x[seg[d] : seg[d + 1]]
        cw, tot = _cumulative(sorted_w[seg[d] : seg[d + 1]])
        cums.append((xs, cw, tot))
        for j, p in enumerate(qs):
            qhat[d, j] = qrule_math(xs, cw, tot, p)
    # Woodruff: the mean of 1[x <= qhat] in each domain, with its SE
    thr = np.where(doms.codes[:, None] >= 0, qhat[np.maximum(doms.codes, 0)], np.nan)
    ind = (np.nan_to_num(x)[:, None] <= thr).astype(float)
    st = design.linear_stats(ind, np.repeat(valid[:, None], Q, axis=1), doms, "mean")
    m, se_m = st["estimate"], np.sqrt(st["var"])
    if df == "domain":
        dfs = _degf_per_domain(design, doms, valid)
    elif df is None:
        dfs = np.full(D, float(design.degf))
    else:
        dfs = np.full(D, float(df))
    lower = np.full((D, Q), np.nan)
    upper = np.full((D, Q), np.nan)
    tcrit = np.array([t_quantile(level, v) for v in dfs])
    for d in range(D):
        xs, cw, tot = cums[d]
        for j in range(Q):
            lo_p = m[d, j] - tcrit[d] * se_m[d, j]
            hi_p = m[d, j] + tcrit[d] * se_m[d, j]
            if np.isfinite(lo_p) and lo_p >= 0:
                lower[d, j] = qrule_math(xs, cw, tot, lo_p)
            if np.isfinite(hi_p) and hi_p <= 1:
                upper[d, j] = qrule_math(xs, cw, tot, hi_p)
    se = (upper - lower) / (2 * tcrit[:, None])
    n = np.repeat(st["n"][:, :1], Q, axis=1)
    index = group_index(doms.keys, qs, "q")
    est = qhat.ravel()
    frame = pd.DataFrame(
        {
            "estimate": est,
            "se": se.ravel(),
            "ci_low": lower.ravel(),
            "ci_high": upper.ravel(),
            "df": np.repeat(dfs, Q),
            "deff": np.nan,
            "n": n.ravel().astype(np.int64),
        },
        index=index,
    )
    if cv:
        with np.errstate(divide="ignore", invalid="ignore"):
            frame["cv"] = frame["se"] / frame["estimate"].abs()
    if moe:
        frame["moe"] = (frame["ci_high"] - frame["ci_low"]) / 2
    return annotate(frame, level=level, n_missing_by=doms.n_missing_by, by=doms.names, variable=y)
