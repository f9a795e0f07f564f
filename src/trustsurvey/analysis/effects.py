"""Effect sizes on a survey design: standardised mean difference with a design-based CI.

For groups ``g`` = 1 (pilot) and 0 (control) within a cell, let ``m_g`` and ``q_g`` be the
weighted means of ``y`` and ``y^2`` (estimates of population quantities), ``s_g^2 = q_g -
m_g^2`` the population variance of the group, and the pooled SD ``s = sqrt((s_1^2 +
s_0^2) / 2)`` (the average-variance standardiser, Bonett 2008, which needs no sample sizes
and is well defined under weighting). Then

    d = (m_1 - m_0) / s.

Its SE is by the delta method on the joint linearised covariance ``V`` of ``(m_1, q_1, m_0,
q_0)`` (one ``svyby(~y + I(y^2), ~group, covmat=TRUE)``): with gradient

    dd/dm_g = ±1/s + d m_g / (2 s^2),   dd/dq_g = -d / (4 s^2)   (+ for g = 1, - for g = 0)

``SE = sqrt(g' V g)`` and the interval is ``d ± t_{df} SE`` on the design df (Woodruff
1971 / Binder 1983 linearisation; Lumley 2010, 2.4). R: ``svycontrast(svyby(~y + I(y^2),
~pilot, d, svymean, covmat = TRUE), quote((y_1 - y_0) / sqrt(((I_1 - y_1^2) + (I_0 -
y_0^2)) / 2)))``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from trustsurvey.analysis.compare import _as_list
from trustsurvey.analysis.did import _data, _numeric, _require, treated_indicator
from trustsurvey.design.base import Design
from trustsurvey.design.metadata import vcov
from trustsurvey.design.results import t_quantile

__all__ = ["standardized_difference"]


def standardized_difference(
    design: Design,
    outcomes: str | Sequence[str],
    group: str = "pilot",
    by: str | Sequence[str] | None = "wave",
    *,
    level: float = 0.95,
) -> pd.DataFrame:
    """Standardised mean difference (pilot − control) / pooled SD with a design-based CI.

    Parameters
    ----------
    design : SurveyDesign
    outcomes : str or list of str
        Numeric outcomes.
    group : str
        0/1 arm column (1 = pilot).
    by : str or list of str, optional
        Cells (default per wave).

    Returns
    -------
    DataFrame
        ``by..., outcome, difference, sd_pooled, smd, se, ci_low, ci_high, df, p, reason``.

    Notes
    -----
    See the module docstring for the formula and its delta-method SE.

    Examples
    --------
    >>> import pandas as pd
    >>> from trustsurvey.design import SurveyDesign
    >>> df = pd.DataFrame({"psu": range(8), "pilot": [0] * 4 + [1] * 4, "wave": 1,
    ...                    "y": [1.0, 2, 3, 4, 2, 3, 4, 5], "w": 1.0})
    >>> r = standardized_difference(SurveyDesign(df, ids="psu", weights="w"), "y")
    >>> round(float(r.loc[0, "smd"]), 4)  # 1 / sqrt(1.25)
    0.8944
    """
    data = _data(design)
    outs = _as_list(outcomes)
    bys = _as_list(by)
    _require(data, [*outs, group, *bys])
    tr = treated_indicator(data, group)
    rows = []
    for out in outs:
        y = _numeric(data, out, "outcome")
        d = design.with_columns(_smd_y=y, _smd_q=y**2, _smd_g=tr)
        res = d.mean(["_smd_y", "_smd_q"], by=[*bys, "_smd_g"], covmat=True)
        V = np.nan_to_num(np.asarray(vcov(res), dtype=float))  # empty domains
        labels = list(res.index)
        names = list(res.index.names)
        gpos, vpos = names.index("_smd_g"), names.index("variable")
        bpos = [names.index(b) for b in bys]
        pos: dict[tuple, dict] = {}
        valid = (res["n"].to_numpy() > 0) & np.isfinite(res["estimate"].to_numpy(dtype=float))
        for i, lab in enumerate(labels):
            cell = pos.setdefault(tuple(lab[j] for j in bpos), {})
            if valid[i]:
                cell[(lab[gpos], lab[vpos])] = i
        dfree = float(res["df"].iloc[0])
        est = res["estimate"].to_numpy(dtype=float)
        for key, idx in pos.items():
            row: dict[str, Any] = dict(zip(bys, key, strict=True)) | {"outcome": out}
            need = [(g, v) for g in (1.0, 0.0) for v in ("_smd_y", "_smd_q")]
            if any(k not in idx for k in need):
                rows.append(row | {"reason": "an arm has no valid answers in this cell"})
                continue
            i_m1, i_q1, i_m0, i_q0 = (idx[k] for k in need)
            m1, q1, m0, q0 = est[[i_m1, i_q1, i_m0, i_q0]]
            s2 = ((q1 - m1**2) + (q0 - m0**2)) / 2
            if not s2 > 0:
                rows.append(row | {"reason": "no variation in the outcome (pooled SD is 0)"})
                continue
            s = np.sqrt(s2)
            smd = (m1 - m0) / s
            grad = np.zeros(len(est))
            grad[i_m1] = 1 / s + smd * m1 / (2 * s2)
            grad[i_m0] = -1 / s + smd * m0 / (2 * s2)
            grad[i_q1] = -smd / (4 * s2)
            grad[i_q0] = -smd / (4 * s2)
            se = float(np.sqrt(max(grad @ V @ grad, 0.0)))
            half = t_quantile(level, dfree) * se
            p = float(2 * stats.t.sf(abs(smd / se), dfree)) if se > 0 else np.nan
            rows.append(
                row
                | {
                    "difference": m1 - m0,
                    "sd_pooled": s,
                    "smd": smd,
                    "se": se,
                    "ci_low": smd - half,
                    "ci_high": smd + half,
                    "df": dfree,
                    "p": p,
                    "reason": "",
                }
            )
    cols = [*bys, "outcome", "difference", "sd_pooled", "smd", "se", "ci_low", "ci_high"]
    table = pd.DataFrame(rows).reindex(columns=[*cols, "df", "p", "reason"])
    return table.sort_values([*bys, "outcome"], kind="stable").reset_index(drop=True)
