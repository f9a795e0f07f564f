"""Dose-response: change in weighted trust per community against programme intensity.

Per community *i*: ``y_i`` = weighted mean trust at the last wave minus the first, from one
:class:`~trustsurvey.design.SurveyDesign` on the whole sample with ``by=[community, wave]``
and ``covmat=True`` (domain estimation, Lumley 2010 §2.3), and a contrast per community with
its design-based SE ``s_i`` (R ``svyby(..., covmat = TRUE)`` + ``svycontrast``).

Meta-regression ``y_i = b0 + b1 x_i + u_i + e_i`` (``x_i`` intensity, ``e_i ~ N(0, s_i^2)``,
``u_i ~ N(0, tau^2)``) with the DerSimonian-Laird moment estimator of ``tau^2`` generalised to
regression (DerSimonian & Laird 1986; Raudenbush 2009, eq. 16.43): with ``W = diag(1/s_i^2)``,
``P = W - W X (X'WX)^-1 X'W`` and ``Q_E = y'Py``,
``tau^2 = max(0, (Q_E - (k - p)) / tr(P))``; then weighted least squares with weights
``1/(s_i^2 + tau^2)``, ``Var(b) = (X' W* X)^-1`` (no residual scale; as ``metafor::rma(method =
"DL")`` with ``test = "z"``). This is **observational**: communities chose or were chosen for
the programme, so the slope is an association, not an effect.

>>> import pandas as pd
>>> d = pd.DataFrame({"y": [0.1, 0.3, 0.5, 0.2], "se": [0.1, 0.1, 0.2, 0.1],
...                   "x": [0.0, 1.0, 2.0, 0.5]})
>>> fit = meta_regression(d, "y", "se", "x")
>>> round(float(fit.loc[fit["term"] == "slope", "estimate"].iloc[0]), 4)
0.2
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from trustsurvey.design.metadata import annotate, vcov
from trustsurvey.errors import AnalysisError

NOTE = {
    "en": "Observational association across communities, not a causal effect: communities "
    "with more programme activity may differ in other ways.",
    "uk": "Спостережний зв'язок між громадами, а не причинний ефект: громади з більшою "
    "активністю програми можуть відрізнятися й за іншими ознаками.",
}


def trust_change(
    frame: pd.DataFrame,
    design_kwargs: dict,
    variable: str,
    community: str = "community",
    waves: tuple[int, int] | None = None,
) -> pd.DataFrame:
    """Per community: change of the weighted mean of ``variable`` between two waves, with SE.

    Columns ``community, wave_1, wave_2, mean_1, mean_2, change, se, ci_low, ci_high, n_1, n_2``.
    """
    from trustsurvey.design import SurveyDesign

    frame = frame.assign(**{community: frame[community].astype("str")})
    design = SurveyDesign(frame, **design_kwargs)
    res = design.mean(variable, by=[community, "wave"], covmat=True)
    flat = res.reset_index()
    wave_values = sorted(pd.to_numeric(flat["wave"]).unique())
    first, last = waves or (wave_values[0], wave_values[-1])
    rows = []
    for c, part in flat.groupby(community, sort=True):
        w = pd.to_numeric(part["wave"])
        if not ((w == first).any() and (w == last).any()):
            continue
        a = part[w == first].iloc[0]
        b = part[w == last].iloc[0]
        key_a = (c, a["wave"])
        key_b = (c, b["wave"])
        con = design.contrast(res, {key_b: 1, key_a: -1})
        rows.append(
            {
                "community": c,
                "wave_1": int(first),
                "wave_2": int(last),
                "mean_1": float(a["estimate"]),
                "mean_2": float(b["estimate"]),
                "change": float(con["estimate"].iloc[0]),
                "se": float(con["se"].iloc[0]),
                "ci_low": float(con["ci_low"].iloc[0]),
                "ci_high": float(con["ci_high"].iloc[0]),
                "n_1": int(a["n"]),
                "n_2": int(b["n"]),
            }
        )
    return pd.DataFrame(rows)


def meta_regression(
    data: pd.DataFrame, y: str, se: str, x: str, level: float = 0.95
) -> pd.DataFrame:
    """Random-effects (DerSimonian-Laird) meta-regression of ``y`` on ``x``; tidy terms.

    Columns ``term, estimate, se, z, p_value, ci_low, ci_high, tau2, k, q_e``.
    """
    d = data[[y, se, x]].dropna()
    k = len(d)
    if k < 3:
        raise AnalysisError(
            f"meta-regression needs at least 3 communities with estimates, got {k}",
            item=x,
            hint="check that communities have respondents in both waves and a population",
        )
    if (d[se] <= 0).any():
        raise AnalysisError("a community has a zero SE", item=se, hint="check its estimates")
    if d[x].nunique() < 2:
        raise AnalysisError(
            f"every community has the same {x}: there is no dose to relate the change to",
            item=x,
            hint="the dose-response needs communities with different programme intensity",
        )
    yv = d[y].to_numpy(float)
    X = np.column_stack([np.ones(k), d[x].to_numpy(float)])
    w = 1 / d[se].to_numpy(float) ** 2
    W = np.diag(w)
    XtWX_inv = np.linalg.inv(X.T @ W @ X)
    P = W - W @ X @ XtWX_inv @ X.T @ W
    q_e = float(yv @ P @ yv)
    tau2 = max(0.0, (q_e - (k - X.shape[1])) / float(np.trace(P)))
    ws = 1 / (d[se].to_numpy(float) ** 2 + tau2)
    Ws = np.diag(ws)
    cov = np.linalg.inv(X.T @ Ws @ X)
    beta = cov @ X.T @ Ws @ yv
    ses = np.sqrt(np.diag(cov))
    zq = stats.norm.ppf(0.5 + level / 2)
    z = beta / ses
    fit = pd.DataFrame(
        {
            "term": ["intercept", "slope"],
            "estimate": beta,
            "se": ses,
            "z": z,
            "p_value": 2 * stats.norm.sf(np.abs(z)),
            "ci_low": beta - zq * ses,
            "ci_high": beta + zq * ses,
            "tau2": tau2,
            "k": k,
            "q_e": q_e,
        }
    )
    return annotate(fit, covmat=cov)


def dose_response(
    change: pd.DataFrame,
    intensity: pd.DataFrame,
    x: str = "activities_per_1000",
    *,
    min_n: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Join trust change and intensity per community; fit the meta-regression.

    Returns the per-community table (with the fitted line and its 95% CI, ``x' V x``) and the
    fit. ``n`` is the smaller of the community's two unweighted wave counts (``n_1``,
    ``n_2``); with ``min_n`` (the study's ``publish.min_cell``) a community with ``n < min_n``
    is flagged ``small_cell`` and left out of the meta-regression (``in_fit`` False), so
    neither its change nor the published fit can reveal it (the publish step blanks its
    change; the fit's ``k`` counts the communities used).

    >>> change = pd.DataFrame({"community": list("abcd"), "change": [0.1, 0.3, 0.5, 0.9],
    ...                        "se": [0.1, 0.1, 0.2, 0.4], "n_1": [80, 90, 70, 12],
    ...                        "n_2": [85, 60, 75, 40]})
    >>> inten = pd.DataFrame({"community": list("abcd"), "arm": "pilot",
    ...                       "activities_per_1000": [0.0, 1.0, 2.0, 3.0]})
    >>> table, fit = dose_response(change, inten, min_n=30)
    >>> table[["community", "n", "small_cell", "in_fit"]].values.tolist()[-1]
    ['d', 12, True, False]
    >>> int(fit["k"].iloc[0])
    3
    """
    table = change.merge(intensity[["community", "arm", x]], on="community", how="inner")
    if {"n_1", "n_2"} <= set(table.columns):
        table["n"] = table[["n_1", "n_2"]].min(axis=1)
    if min_n is not None and "n" not in table.columns:
        raise AnalysisError(
            "the trust change per community has no unweighted counts (n_1, n_2)",
            item="dose_response",
            hint="compute it with trust_change(), which reports n_1 and n_2",
        )
    table["small_cell"] = (table["n"] < min_n) if min_n is not None else False
    table["in_fit"] = ~table["small_cell"] & table[["change", "se", x]].notna().all(axis=1)
    used = table[table["in_fit"]]
    if len(used) < 3 and table["small_cell"].any():
        raise AnalysisError(
            f"meta-regression needs at least 3 communities with {min_n} or more respondents "
            f"in both waves, got {len(used)}",
            item=", ".join(map(str, table.loc[table["small_cell"], "community"])),
            hint="lower publish.min_cell in study.yaml only if disclosure rules allow it; "
            "otherwise the dose-response cannot be published for this study",
        )
    fit = meta_regression(used, "change", "se", x)
    b0, b1 = fit["estimate"].to_numpy()
    table["fitted"] = b0 + b1 * table[x]
    X = np.column_stack([np.ones(len(table)), table[x].to_numpy(float)])
    se_fit = np.sqrt(np.einsum("ij,jk,ik->i", X, vcov(fit).to_numpy(), X))
    zq = stats.norm.ppf(0.975)
    table["fitted_ci_low"] = table["fitted"] - zq * se_fit
    table["fitted_ci_high"] = table["fitted"] + zq * se_fit
    table["note_en"], table["note_uk"] = NOTE["en"], NOTE["uk"]
    return table, fit
