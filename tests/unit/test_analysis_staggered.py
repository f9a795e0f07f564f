"""did_staggered: the result contract, hand-computed cells, influence functions, errors."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pandas as pd
import pytest

from trustsurvey.analysis import _drdid
from trustsurvey.analysis.staggered import COLUMNS, did_staggered, fit_staggered
from trustsurvey.design import SurveyDesign
from trustsurvey.errors import AnalysisError


def panel(seed: int = 0, n_com: int = 36, per: int = 10, never: bool = True) -> pd.DataFrame:
    """Repeated cross-sections of communities in strata with unequal weights."""
    rng = np.random.default_rng(seed)
    com = np.repeat(np.arange(n_com), 4 * per)
    wave = np.tile(np.repeat([2019, 2020, 2021, 2022], per), n_com)
    codes = np.array([0, 2020, 2021, 2022] if never else [2020, 2021, 2022])
    first = codes[np.arange(n_com) % len(codes)][com]
    x = rng.normal(size=com.size)
    effect = np.where((first > 0) & (wave >= first), 0.3 + 0.1 * (wave - first), 0.0)
    y = 0.5 * x + 0.2 * (wave - 2019) + rng.normal(0, 0.4, n_com)[com] + effect
    y = y + rng.normal(size=com.size)
    return pd.DataFrame(
        {
            "com": com,
            "stratum": com % 3,
            "wave": wave,
            "first": first.astype(float),
            "x": x,
            "y": y,
            "w": rng.uniform(0.5, 3.0, com.size),
        }
    )


def design(df: pd.DataFrame) -> SurveyDesign:
    return SurveyDesign(df, ids="com", strata="stratum", weights="w", nest=True)


def test_contract_columns_and_types():
    res = did_staggered(design(panel()), "y", cohort="first", wave="wave", community="com")
    assert list(res.columns[: len(COLUMNS)]) == COLUMNS
    assert set(res["type"]) == {"group_time", "overall", "cohort", "event"}
    gt = res[res.type == "group_time"]
    assert len(gt) == 3 * 3  # three cohorts x waves 2..4
    assert res.loc[res.type == "overall", ["cohort", "wave", "event_time"]].isna().all().all()
    ev = res[res.type == "event"]
    assert ev["event_time"].tolist() == [-2.0, -1.0, 0.0, 1.0, 2.0]
    assert (ev["band_low"] <= ev["ci_low"]).all() and (ev["band_high"] >= ev["ci_high"]).all()
    assert res.loc[res.type != "event", "band_low"].isna().all()
    assert (res["se"] > 0).all() and (res["df"] == 36 - 3).all()


def wmean(df: pd.DataFrame, mask: pd.Series) -> float:
    return float(np.average(df.loc[mask, "y"], weights=df.loc[mask, "w"]))


@pytest.mark.parametrize("control", ["never", "notyet"])
def test_group_time_is_the_did_of_weighted_cell_means(control):
    df = panel(1)
    res = did_staggered(design(df), "y", cohort="first", wave="wave", control=control)
    for _, r in res[res.type == "group_time"].iterrows():
        g, t, b = r["cohort"], r["wave"], r["base_wave"]
        ctrl = df["first"] == 0
        if control == "notyet":
            ctrl |= (df["first"] > t) & (df["first"] != g)
        tr = df["first"] == g
        want = (wmean(df, tr & (df.wave == t)) - wmean(df, tr & (df.wave == b))) - (
            wmean(df, ctrl & (df.wave == t)) - wmean(df, ctrl & (df.wave == b))
        )
        assert r["estimate"] == pytest.approx(want, rel=1e-10)
        assert b == (t - 1 if t < g else g - 1)


def test_overall_is_the_cohort_share_weighted_mean_of_post_cells():
    df = panel(2)
    res = did_staggered(design(df), "y", cohort="first", wave="wave")
    gt = res[(res.type == "group_time") & (res.event_time >= 0)]
    share = {g: df.loc[df["first"] == g, "w"].sum() for g in gt["cohort"].unique()}
    wts = gt["cohort"].map(share)
    want = float((gt["estimate"] * wts).sum() / wts.sum())
    assert res.loc[res.type == "overall", "estimate"].iloc[0] == pytest.approx(want, rel=1e-12)
    e1 = gt[gt.event_time == 1]
    w1 = e1["cohort"].map(share)
    got = res.loc[(res.type == "event") & (res.event_time == 1), "estimate"].iloc[0]
    assert got == pytest.approx(float((e1["estimate"] * w1).sum() / w1.sum()), rel=1e-12)
    c = gt[gt.cohort == 2020]["estimate"].mean()
    got = res.loc[(res.type == "cohort") & (res.cohort == 2020), "estimate"].iloc[0]
    assert got == pytest.approx(c, rel=1e-12)


@pytest.mark.parametrize("method", ["dr", "reg", "ipw"])
def test_influence_values_are_the_derivative_in_each_weight(method):
    """Each respondent's influence value is d estimate / d log(weight) (the empirical
    influence), for the cells and for the aggregates (cohort shares included)."""
    df = panel(3, n_com=12, per=6)
    d = design(df)
    fit = fit_staggered(d, "y", cohort="first", wave="wave", covariates=["x"], method=method)
    assert fit.scores is not None
    rng = np.random.default_rng(0)
    eps = 1e-6
    w = df["w"].to_numpy()
    for i in rng.choice(len(df), 12, replace=False):
        w2 = w.copy()
        w2[i] *= 1 + eps
        f2 = fit_staggered(
            d,
            "y",
            cohort="first",
            wave="wave",
            covariates=["x"],
            method=method,
            weights=w2,
            scores=False,
        )
        num = (f2.estimates - fit.estimates) / eps
        np.testing.assert_allclose(num, fit.scores[i], rtol=1e-4, atol=1e-7)


def test_linearised_variance_is_the_design_variance_of_the_scores():
    df = panel(4)
    d = design(df)
    res = did_staggered(d, "y", cohort="first", wave="wave")
    fit = fit_staggered(d, "y", cohort="first", wave="wave")
    z = pd.DataFrame(fit.scores).groupby([df["stratum"], df["com"]]).sum()
    var = 0.0
    for _, block in z.groupby(level=0):
        nh = len(block)
        var += nh / (nh - 1) * ((block - block.mean()) ** 2).sum()
    np.testing.assert_allclose(res["se"].to_numpy(), np.sqrt(var.to_numpy()), rtol=1e-10)


def test_replicate_design_recomputes_every_estimate():
    df = panel(5, n_com=18, per=6)
    lin = did_staggered(design(df), "y", cohort="first", wave="wave")
    rep = design(df).replicate("JKn")
    res = did_staggered(rep, "y", cohort="first", wave="wave")
    np.testing.assert_allclose(res["estimate"], lin["estimate"], rtol=1e-12)
    ratio = res["se"] / lin["se"]
    assert ratio.between(0.8, 1.25).all()  # jackknife vs linearisation of smooth estimators


def test_subset_design_is_a_domain():
    df = panel(6)
    keep = df["stratum"] != 2
    sub = did_staggered(design(df).subset(keep), "y", cohort="first", wave="wave")
    alone = did_staggered(
        SurveyDesign(df[keep], ids="com", strata="stratum", weights="w", nest=True),
        "y",
        cohort="first",
        wave="wave",
    )
    np.testing.assert_allclose(sub["estimate"], alone["estimate"], rtol=1e-12)
    np.testing.assert_allclose(sub["se"], alone["se"], rtol=1e-10)


def test_missing_outcome_is_zero_influence_not_dropped_design():
    df = panel(7)
    df.loc[df.index[::17], "y"] = np.nan
    res = did_staggered(design(df), "y", cohort="first", wave="wave")
    assert np.isfinite(res["estimate"]).all()
    assert res.loc[res.type == "overall", "n"].iloc[0] < len(df)


def test_errors():
    df = panel(8, never=False)
    with pytest.raises(AnalysisError, match="no never-treated"):
        did_staggered(design(df), "y", cohort="first", wave="wave")
    res = did_staggered(design(df), "y", cohort="first", wave="wave", control="notyet")
    assert 2022 not in res["wave"].tolist()  # the last cohort is the control group
    df = panel(8)
    early = df.assign(first=df["first"].replace(2020.0, 2019.0))
    with pytest.raises(AnalysisError, match="first wave"):
        did_staggered(design(early), "y", cohort="first", wave="wave")
    few = df[df.com < 2]  # one never-treated and one treated community: 1 df
    with pytest.raises(AnalysisError, match="too few PSUs"):
        did_staggered(SurveyDesign(few, ids="com", weights="w"), "y", cohort="first", wave="wave")
    bad = df.copy()
    bad.loc[bad.index[0], "first"] = 2021.0
    with pytest.raises(AnalysisError, match="differs within community"):
        did_staggered(design(bad), "y", cohort="first", wave="wave", community="com")
    with pytest.raises(AnalysisError, match="not a wave"):
        did_staggered(
            design(df.assign(first=df["first"].replace(2021.0, 2020.5))),
            "y",
            cohort="first",
            wave="wave",
        )
    with pytest.raises(AnalysisError, match="is not numeric"):
        did_staggered(
            design(df.assign(wave=df["wave"].astype(str))), "y", cohort="first", wave="wave"
        )
    with pytest.raises(AnalysisError, match="unknown control"):
        did_staggered(design(df), "y", cohort="first", wave="wave", control="all")


def test_drdid_without_covariates_is_the_cell_did():
    rng = np.random.default_rng(9)
    n = 200
    d = rng.binomial(1, 0.4, n).astype(float)
    post = rng.binomial(1, 0.5, n).astype(float)
    y = rng.normal(size=n)
    w = rng.uniform(1, 2, n)
    cells = [
        np.average(y[(d == a) & (post == b)], weights=w[(d == a) & (post == b)])
        for a in (0, 1)
        for b in (0, 1)
    ]
    want = (cells[3] - cells[2]) - (cells[1] - cells[0])
    for m in ("dr", "reg", "ipw"):
        att, _ = _drdid.att_rc(y, post, d, np.ones((n, 1)), w, m)
        assert att == pytest.approx(want, rel=1e-10)


@pytest.mark.parametrize("name", ["staggered", "_drdid"])
def test_docstring_examples(name):
    module = importlib.import_module(f"trustsurvey.analysis.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_universal_base_period_has_a_reference_wave():
    df = panel(10)
    res = did_staggered(design(df), "y", cohort="first", wave="wave", base_period="universal")
    gt = res[res.type == "group_time"]
    assert len(gt) == 3 * 4  # every wave, the first included
    assert (gt["base_wave"] == gt["cohort"] - 1).all()
    ref = gt[gt["wave"] == gt["cohort"] - 1]
    assert (ref["estimate"] == 0).all() and ref["se"].isna().all()
    ev = res[res.type == "event"].set_index("event_time")
    assert ev.loc[-1.0, "estimate"] == 0 and np.isnan(ev.loc[-1.0, "se"])
    assert ev.index.tolist() == [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0]
    assert np.isfinite(ev.drop(index=-1.0)["band_low"]).all()
    varying = did_staggered(design(df), "y", cohort="first", wave="wave")
    post = varying[(varying.type == "group_time") & (varying.event_time >= 0)]
    np.testing.assert_allclose(gt[gt.event_time >= 0]["estimate"], post["estimate"], rtol=1e-12)


def test_calibrated_design_uses_the_calibration_residuals():
    df = panel(11)
    d = design(df)
    totals = df.groupby("wave")["w"].sum() * np.array([1.1, 0.9, 1.2, 1.0])
    cal = d.poststratify({"wave": totals.to_dict()})
    res = did_staggered(cal, "y", cohort="first", wave="wave")
    fit = fit_staggered(cal, "y", cohort="first", wave="wave")
    from trustsurvey.design.variance import design_covariance

    raw = np.sqrt(np.diag(design_covariance(cal.structure, fit.scores)))
    adj = np.sqrt(np.diag(design_covariance(cal.structure, fit.scores, cal.calibration)))
    np.testing.assert_allclose(res["se"], adj, rtol=1e-12)
    assert not np.allclose(raw, adj)
