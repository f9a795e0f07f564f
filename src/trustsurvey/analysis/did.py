"""Difference-in-differences on a survey design: ``did`` and ``event_study``.

The DiD is the ``treated x post`` coefficient of a design-based regression (R's ``svyglm``,
Binder 1983; Lumley 2010 ch. 5), with ``post`` the period recoded to 0 at baseline and 1 at
follow-up, so the coefficient is the DiD whatever the wave codes (1/2 or 2019/2021). Without
covariates the model is saturated and the coefficient equals the difference of the four
weighted cell means, ``(P1 - P0) - (C1 - C0)``; its SE is the design-based SE of that contrast.

Clustering across waves
-----------------------
The variance comes from the design as declared. When settlements (PSUs) are revisited in
both waves, their answers are correlated across waves and the design must say so: declare the
PSU crossing waves, e.g. ``SurveyDesign(df, ids="settlement_id", strata="raion",
weights="pw", nest=True)`` (strata = raion, not wave x raion). A design with strata = wave x
raion treats the two visits of a settlement as different PSUs in independent strata, which is
right only for independent cross-sections (the trust reference file's design).

References: Lumley (2010) *Complex Surveys*, ch. 5; Angrist & Pischke (2009) ch. 5;
Ai & Norton (2003) "Interaction terms in logit and probit models", *Economics Letters* 80.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from trustsurvey.design.base import Design
from trustsurvey.design.metadata import annotate, relabel, result_info, take
from trustsurvey.errors import AnalysisError, DesignError

__all__ = ["did", "did_table", "event_study"]

_Y, _T, _P = "_did_y", "_did_treated", "_did_post"


# --------------------------------------------------------------------------- helpers
def _data(design: Design) -> pd.DataFrame:
    data = getattr(design, "data", None)
    if not isinstance(data, pd.DataFrame):
        raise AnalysisError(
            f"expected a SurveyDesign, got {type(design).__name__}",
            item="design",
            hint="build one with trustsurvey.design.SurveyDesign(df, ids=..., weights=...)",
        )
    return data


def _require(data: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise AnalysisError(
            "column(s) not in the design's data",
            item=missing,
            hint=f"available columns: {', '.join(map(str, list(data.columns)[:30]))}",
        )


def _numeric(data: pd.DataFrame, column: str, role: str) -> pd.Series:
    s = data[column]
    if pd.api.types.is_bool_dtype(s):
        return s.astype("float64")
    if not pd.api.types.is_numeric_dtype(s):
        raise AnalysisError(
            f"{role} {column!r} is not numeric",
            item=column,
            hint="recode it to numbers (missing codes as NaN, e.g. read_survey(...).analysis())",
        )
    return s.astype("float64")


def treated_indicator(data: pd.DataFrame, treated: str) -> pd.Series:
    """The treated column as 0/1 floats (NaN kept); an error for any other code."""
    t = _numeric(data, treated, "treatment indicator")
    bad = t.notna() & ~t.isin([0.0, 1.0])
    if bad.any():
        raise AnalysisError(
            f"treatment indicator {treated!r} must be 0/1, found {sorted(t[bad].unique())[:5]}",
            item=treated,
            row=list(data.index[bad.to_numpy()][:10]),
            hint="code pilot communities 1 and control communities 0",
        )
    return t


def in_domain(design: Design, data: pd.DataFrame) -> pd.Series:
    """Rows inside the design's domain (all rows of a full design)."""
    dom = design.domain
    return pd.Series(True, index=data.index) if dom is None else dom.astype(bool)


def period_codes(data: pd.DataFrame, period: str, inside: pd.Series | None = None) -> list:
    """Sorted distinct non-missing period codes (among ``inside`` rows)."""
    col = data[period] if inside is None else data.loc[inside.to_numpy(), period]
    values = col.dropna().unique()
    try:
        return sorted(values.tolist())
    except TypeError:  # mixed types
        return sorted(values.tolist(), key=str)


def covariate_terms(
    data: pd.DataFrame, covariates: Sequence[str] | None, categorical: Sequence[str] | None
) -> tuple[list[str], list[str]]:
    """Formula terms and the columns they use.

    A covariate written ``C(x)`` or named in ``categorical`` or not numeric enters as
    treatment-coded dummies against its first level; a numeric one enters linearly.
    """
    terms: list[str] = []
    columns: list[str] = []
    cat = set(categorical or ())
    for cov in covariates or ():
        name = cov[2:-1] if cov.startswith("C(") and cov.endswith(")") else cov
        _require(data, [name])
        quoted = name if name.isidentifier() else f"`{name}`"
        is_cat = cov != name or name in cat or not pd.api.types.is_numeric_dtype(data[name])
        terms.append(f"C({quoted})" if is_cat else quoted)
        columns.append(name)
    return terms, columns


def _cell_label(treated: str, t: float, period: str, p: Any) -> str:
    return f"{treated}={int(t)}, {period}={p}"


def _check_cells(
    data: pd.DataFrame,
    used: pd.Series,
    tr: pd.Series,
    per: pd.Series,
    treated: str,
    period: str,
    outcome: str,
    periods: Sequence,
    inside: pd.Series,
) -> None:
    """AnalysisError naming the first empty cell of the treated x period table."""
    for p in periods:
        for t in (0.0, 1.0):
            in_cell = (tr == t) & (per == p) & inside
            label = _cell_label(treated, t, period, p)
            if not in_cell.any():
                raise AnalysisError(
                    f"no respondents in cell {label}: a DiD needs both arms in every period",
                    item=[treated, period],
                    hint="check the treated and period codes, or analyse the periods where "
                    "both arms were surveyed",
                )
            if not (in_cell & used).any():
                raise AnalysisError(
                    f"outcome {outcome!r} has no valid answers in cell {label}",
                    item=outcome,
                    hint="the item was probably not asked there (or all answers are missing "
                    "codes); choose another outcome or drop that period",
                )


def _cells(
    design: Design, used: np.ndarray, level: float, treated: str, period: str, base: Any
) -> pd.DataFrame:
    sub = design.subset(used)
    m = sub.mean(_Y, by=[_T, "_did_period"], level=level)
    m = m.reset_index()
    out = pd.DataFrame(
        {
            treated: m[_T].astype(int),
            period: m["_did_period"],
            "post": (m["_did_period"] != base).astype(int),
            "estimate": m["estimate"],
            "se": m["se"],
            "ci_low": m["ci_low"],
            "ci_high": m["ci_high"],
            "n": m["n"].astype(int),
        }
    )
    return out.sort_values([treated, period], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- did
def did(
    design: Design,
    outcome: str,
    treated: str = "pilot",
    period: str = "wave",
    covariates: Sequence[str] | None = None,
    family: str = "gaussian",
    *,
    baseline: Any = None,
    followup: Any = None,
    categorical: Sequence[str] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Design-based difference-in-differences of ``outcome`` between treated and control.

    Parameters
    ----------
    design : SurveyDesign
        The full design (arms and waves are domains; never subset before).
    outcome : str
        Numeric outcome: an item, an index or a 0/1 indicator (linear probability).
    treated : str
        0/1 column, 1 = pilot community.
    period : str
        Wave column; recoded to ``post`` = 0 at ``baseline`` (default the lowest code) and 1
        at ``followup`` (default the highest). With three or more waves only those two enter
        the DiD; the event study of all waves is ``result_info(res)["event_study"]``.
    covariates : list of str, optional
        Adjustment terms: ``"C(sex)"``, names in ``categorical`` and text columns enter as
        treatment-coded dummies, numeric columns linearly.
    family : {"gaussian", "binomial"}
        ``"binomial"`` fits a design-based logit; its interaction is the log of a **ratio of
        odds ratios**, not a DiD of probabilities (Ai and Norton 2003).
    level : float
        Confidence level.

    Returns
    -------
    DataFrame
        One row per term, the DiD first (``term="did"``), with ``estimate, se, ci_low,
        ci_high, df, p, n, measure``. For ``family="binomial"`` the first row is the log ratio
        of odds ratios with ``ratio, ratio_ci_low, ratio_ci_high`` (its exponent) and a
        second row ``did_cells``, the DiD of the weighted cell shares. Metadata
        (:func:`trustsurvey.design.result_info`): ``cells``, the 2 x 2 table (``treated,
        period, post, estimate, se, ci_low, ci_high, n``) of weighted means of the rows used;
        ``model``, the full coefficient table (its covariance: ``vcov(model)``);
        ``covariates``, how each covariate entered (``"C(sex)"`` = dummies, ``"age"`` =
        linear: integer-coded categories need ``C(x)`` or ``categorical=[...]``).

    Notes
    -----
    Model ``y ~ treated * post (+ covariates)``; DiD = coefficient of ``treated:post``.
    Rows with a missing outcome, treatment, period or covariate are out of the domain (zero
    influence; the design stays whole), as R's ``svyglm`` with ``na.action=na.omit``.
    ``df`` is the model's residual df (design df of the rows used + 1 - coefficients).
    Equivalent R: ``svyglm(y ~ pilot * post, design)``; see the module docstring for
    clustering of settlements revisited across waves.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from trustsurvey.design import SurveyDesign
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"psu": np.repeat(np.arange(40), 5),
    ...                    "pilot": np.repeat(np.arange(40) % 2, 5),
    ...                    "wave": np.tile([2019, 2021], 100), "w": 1.0})
    >>> df["y"] = 3 + 0.5 * df.pilot * (df.wave == 2021) + rng.normal(0, 1, 200)
    >>> res = did(SurveyDesign(df, ids="psu", weights="w"), "y")
    >>> res.loc[0, "term"], round(float(res.loc[0, "estimate"]), 3)
    ('did', 0.626)
    >>> from trustsurvey.design import result_info
    >>> result_info(res)["cells"][["pilot", "wave", "post", "n"]].values.tolist()
    [[0, 2019, 0, 60], [0, 2021, 1, 40], [1, 2019, 0, 40], [1, 2021, 1, 60]]
    """
    if family not in ("gaussian", "binomial"):
        raise AnalysisError(
            f"unknown family {family!r}",
            item="family",
            hint="use 'gaussian' (means, shares) or 'binomial' (ratio of odds ratios)",
        )
    data = _data(design)
    _require(data, [outcome, treated, period])
    y = _numeric(data, outcome, "outcome")
    tr = treated_indicator(data, treated)
    per = data[period]
    inside = in_domain(design, data)
    periods = period_codes(data, period, inside)
    if len(periods) < 2:
        raise AnalysisError(
            f"period {period!r} has {len(periods)} distinct value(s); a DiD needs two",
            item=period,
            hint="stack the baseline and follow-up waves in one design",
        )
    base = periods[0] if baseline is None else baseline
    follow = periods[-1] if followup is None else followup
    for name, code in (("baseline", base), ("followup", follow)):
        if code not in periods:
            raise AnalysisError(
                f"{name} {code!r} is not a value of {period!r}",
                item=period,
                hint=f"values are {periods}",
            )
    if base == follow:
        raise AnalysisError(
            "baseline and follow-up are the same period", item=period, hint="give two periods"
        )
    if family == "binomial":
        bad = y.notna() & ~y.isin([0.0, 1.0])
        if bad.any():
            raise AnalysisError(
                f"family='binomial' needs a 0/1 outcome; {outcome!r} has other values",
                item=outcome,
                row=list(data.index[bad.to_numpy()][:10]),
                hint="recode to 0/1 (e.g. trust = answers 4-5) or use family='gaussian'",
            )
    terms, cov_cols = covariate_terms(data, covariates, categorical)
    in_periods = per.isin([base, follow])
    post = (per == follow).astype("float64").where(in_periods)
    used = y.notna() & tr.notna() & post.notna() & inside
    for c in cov_cols:
        used &= data[c].notna()
    _check_cells(data, used, tr, per, treated, period, outcome, [base, follow], inside)

    d = design.with_columns(**{_Y: y, _T: tr, _P: post, "_did_period": per.where(in_periods)})
    formula = f"{_Y} ~ {_T} * {_P}" + "".join(f" + {t}" for t in terms)
    sub = d.subset(used.to_numpy())
    try:
        model = sub.glm(formula, family=family, level=level)
    except DesignError as exc:
        raise AnalysisError(
            f"the DiD model for {outcome!r} cannot be fitted: {exc.message}",
            item=outcome,
            hint=exc.hint if getattr(exc, "hint", None) else "check the covariates",
        ) from exc
    model = relabel(model, model.rename(index=lambda s: s.replace(_T, treated).replace(_P, "post")))
    inter = f"{treated}:post"
    row = model.loc[inter]
    n_used = int(used.sum())
    cells = _cells(d, used.to_numpy(), level, treated, period, base)
    measure = (
        "difference of weighted means (linear model)"
        if family == "gaussian"
        else "log ratio of odds ratios (logit interaction; not a DiD of probabilities)"
    )
    rows = [
        {
            "term": "did",
            "outcome": outcome,
            "estimate": row["estimate"],
            "se": row["se"],
            "ci_low": row["ci_low"],
            "ci_high": row["ci_high"],
            "df": row["df"],
            "p": row["p"],
            "n": n_used,
            "measure": measure,
        }
    ]
    out = pd.DataFrame(rows)
    if family == "binomial":
        out["ratio"] = np.exp(out["estimate"])
        out["ratio_ci_low"] = np.exp(out["ci_low"])
        out["ratio_ci_high"] = np.exp(out["ci_high"])
        cm = d.subset(used.to_numpy()).mean(_Y, by=[_T, "_did_period"], covmat=True, level=level)
        cm = take(cm, cm.index.argsort())
        labels = list(cm.index)
        wts = {lab: (1 if lab[0] == 1 else -1) * (1 if lab[1] == follow else -1) for lab in labels}
        con = d.contrast(cm, wts, level=level, df=row["df"])
        extra = {
            "term": "did_cells",
            "outcome": outcome,
            "estimate": con["estimate"].iloc[0],
            "se": con["se"].iloc[0],
            "ci_low": con["ci_low"].iloc[0],
            "ci_high": con["ci_high"].iloc[0],
            "df": row["df"],
            "p": con["p"].iloc[0],
            "n": n_used,
            "measure": "DiD of weighted cell shares (unadjusted)",
        }
        out = pd.concat([out, pd.DataFrame([extra])], ignore_index=True)
    annotate(
        out,
        cells=cells,
        model=model,
        formula=formula,
        covariates=dict(zip(cov_cols, terms, strict=True)),  # how each entered
        baseline=base,
        followup=follow,
    )
    if len(periods) > 2:
        es = event_study(
            design,
            outcome,
            treated,
            period,
            covariates=covariates,
            categorical=categorical,
            first_post=follow,
            level=level,
        )
        annotate(out, event_study=es)
    return out


# --------------------------------------------------------------------------- event study
def event_study(
    design: Design,
    outcome: str,
    treated: str = "pilot",
    period: str = "wave",
    covariates: Sequence[str] | None = None,
    *,
    reference: Any = None,
    first_post: Any = None,
    categorical: Sequence[str] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Event-study table: ``treated x wave`` coefficients against a reference wave.

    Parameters
    ----------
    design, outcome, treated, period, covariates, categorical, level
        As in :func:`did`.
    first_post : optional
        The first wave after the programme started (default the last wave).
    reference : optional
        The reference wave (default the last wave before ``first_post``).

    Returns
    -------
    DataFrame
        One row per wave: ``wave, relative, estimate, se, ci_low, ci_high, df, p`` (the
        reference row has estimate 0 and NaN SE). ``result_info(es)["pretrend"]``: the joint
        Wald test (R's ``regTermTest``) that the coefficients of the pre-programme waves other than
        the reference are all zero; NaN with a ``reason`` when there is no such wave.

    Notes
    -----
    Model ``y ~ treated + sum_k wave_k + sum_k treated:wave_k`` with dummies for every wave
    but the reference (Freyaldenhoven et al. 2021 for the pre-trend test). R:
    ``svyglm(y ~ pilot * relevel(factor(wave), ref), design)`` then ``regTermTest``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from trustsurvey.design import SurveyDesign
    >>> rng = np.random.default_rng(2)
    >>> df = pd.DataFrame({"psu": np.repeat(np.arange(60), 6),
    ...                    "pilot": np.repeat(np.arange(60) % 2, 6),
    ...                    "wave": np.tile([1, 2, 3], 120), "w": 1.0})
    >>> df["y"] = 3 + 0.8 * df.pilot * (df.wave == 3) + rng.normal(0, 1, 360)
    >>> es = event_study(SurveyDesign(df, ids="psu", weights="w"), "y")
    >>> from trustsurvey.design import result_info
    >>> es["wave"].tolist(), result_info(es)["pretrend"]["waves"]
    ([1, 2, 3], '1')
    """
    data = _data(design)
    _require(data, [outcome, treated, period])
    y = _numeric(data, outcome, "outcome")
    tr = treated_indicator(data, treated)
    per = data[period]
    inside = in_domain(design, data)
    periods = period_codes(data, period, inside)
    if len(periods) < 2:
        raise AnalysisError(
            f"period {period!r} has fewer than two values", item=period, hint="stack the waves"
        )
    first = periods[-1] if first_post is None else first_post
    pre = [p for p in periods if p < first]
    if not pre:
        raise AnalysisError(
            f"no wave before first_post={first!r}",
            item=period,
            hint="an event study needs at least one pre-programme wave",
        )
    ref = pre[-1] if reference is None else reference
    if ref not in periods:
        raise AnalysisError(
            f"reference {ref!r} is not a value of {period!r}", item=period, hint=f"{periods}"
        )
    terms, cov_cols = covariate_terms(data, covariates, categorical)
    used = y.notna() & tr.notna() & per.notna() & inside
    for c in cov_cols:
        used &= data[c].notna()
    _check_cells(data, used, tr, per, treated, period, outcome, periods, inside)
    others = [p for p in periods if p != ref]
    cols: dict[str, Any] = {_Y: y, _T: tr}
    names = []
    for i, p in enumerate(others):
        wk = (per == p).astype("float64")
        cols[f"_es_w{i}"] = wk
        cols[f"_es_tw{i}"] = wk * tr
        names.append(f"_es_tw{i}")
    d = design.with_columns(**cols)
    rhs = " + ".join([_T, *[f"_es_w{i}" for i in range(len(others))], *names, *terms])
    try:
        model = d.subset(used.to_numpy()).glm(f"{_Y} ~ {rhs}", level=level)
    except DesignError as exc:
        raise AnalysisError(
            f"the event-study model for {outcome!r} cannot be fitted: {exc.message}",
            item=outcome,
            hint="check the covariates and that both arms are in every wave",
        ) from exc
    rows = []
    position = {p: i for i, p in enumerate(periods)}
    for p in periods:
        base = {"wave": p, "relative": position[p] - position[first]}
        if p == ref:
            rows.append(base | {"estimate": 0.0, "se": np.nan, "ci_low": np.nan})
            rows[-1] |= {"ci_high": np.nan, "df": np.nan, "p": np.nan, "reference": True}
            continue
        r = model.loc[f"_es_tw{others.index(p)}"]
        rows.append(
            base
            | {k: float(r[k]) for k in ("estimate", "se", "ci_low", "ci_high", "df", "p")}
            | {"reference": False}
        )
    out = pd.DataFrame(rows)
    out.insert(0, "outcome", outcome)
    test_waves = [p for p in pre if p != ref]
    if test_waves:
        keys = [f"_es_tw{others.index(p)}" for p in test_waves]
        wt = d.wald_test(model, keys)
        pretrend = {
            "F": float(wt["F"].iloc[0]),
            "ndf": float(wt["ndf"].iloc[0]),
            "ddf": float(wt["ddf"].iloc[0]),
            "p": float(wt["p"].iloc[0]),
            "waves": ", ".join(map(str, test_waves)),
            "reason": "",
        }
    else:
        pretrend = {
            "F": np.nan,
            "ndf": 0.0,
            "ddf": np.nan,
            "p": np.nan,
            "waves": "",
            "reason": "only one pre-programme wave (the reference): no pre-trend to test",
        }
    return annotate(out, pretrend=pretrend, model=model, reference=ref)


# --------------------------------------------------------------------------- many outcomes
def did_table(
    design: Design,
    outcomes: Sequence[str],
    treated: str = "pilot",
    period: str = "wave",
    covariates: Sequence[str] | None = None,
    family: str = "gaussian",
    *,
    adjust: bool = True,
    **kwargs: Any,
) -> pd.DataFrame:
    """The DiD of several outcomes, one row each, with Holm and BH adjusted p-values.

    An outcome whose DiD cannot be estimated (no valid answers in a cell, a missing column,
    a model that cannot be fitted) gets NA numbers and the error's text in ``reason``;
    nothing is dropped. Other arguments as :func:`did`. The 2 x 2 tables of all outcomes
    are ``result_info(table)["cells"]`` (with an ``outcome`` column).

    Returns
    -------
    DataFrame
        ``outcome, estimate, se, ci_low, ci_high, df, p, n, measure, reason`` and, with
        ``adjust``, ``p_holm, p_bh`` (over the outcomes estimated; see
        :func:`trustsurvey.analysis.multiplicity.adjust_pvalues`).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from trustsurvey.design import SurveyDesign
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"psu": np.repeat(np.arange(40), 4),
    ...                    "pilot": np.repeat(np.arange(40) % 2, 4),
    ...                    "wave": np.tile([1, 2], 80), "w": 1.0})
    >>> df["a"] = rng.normal(size=160)
    >>> df["b"] = np.where(df.wave == 2, np.nan, 1.0)  # not asked at follow-up
    >>> t = did_table(SurveyDesign(df, ids="psu", weights="w"), ["a", "b"])
    >>> t["outcome"].tolist(), bool(np.isnan(t.loc[1, "estimate"]))
    (['a', 'b'], True)
    >>> "no valid answers" in t.loc[1, "reason"]
    True
    """
    from trustsurvey.analysis.multiplicity import adjust_pvalues

    rows, cells = [], []
    for out in outcomes:
        try:
            res = did(design, out, treated, period, covariates, family, **kwargs)
        except AnalysisError as exc:
            rows.append({"outcome": out, "reason": str(exc)})
            continue
        first = res.iloc[0]
        rows.append({k: first[k] for k in res.columns if k != "term"} | {"reason": ""})
        c = result_info(res)["cells"].copy()
        cells.append(c.assign(outcome=out))
    cols = ["outcome", "estimate", "se", "ci_low", "ci_high", "df", "p", "n", "measure"]
    table = pd.DataFrame(rows)
    extra = [c for c in table.columns if c not in cols and c != "reason"]
    table = table.reindex(columns=[*cols, *extra, "reason"])
    if adjust:
        table = adjust_pvalues(table)
    cells_all = pd.concat(cells, ignore_index=True) if cells else pd.DataFrame()
    return annotate(table, cells=cells_all)
