"""Programme analysis: periods, intensity, Kaplan-Meier, training effects, meta-regression."""

from __future__ import annotations

import datetime as dt
import doctest
import importlib
import pkgutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import trustsurvey.programme
from trustsurvey.errors import AnalysisError
from trustsurvey.programme import (
    km_quantiles,
    meta_regression,
    programme_tables,
    resolution_summary,
    training_effects,
    validate_programme,
)
from trustsurvey.programme.periods import assign_period
from trustsurvey.study import load_study


@pytest.fixture(scope="module")
def tables(fixtures_dir: Path) -> dict[str, pd.DataFrame]:
    study = load_study(fixtures_dir / "programme" / "study")
    return programme_tables(study, validate_programme(study))[0]


def _km_by_hand(time: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Product-limit estimator written out (Kaplan & Meier 1958)."""
    times = np.unique(time[event == 1])
    surv, s = [], 1.0
    for t in times:
        at_risk = np.sum(time >= t)
        deaths = np.sum((time == t) & (event == 1))
        s *= 1 - deaths / at_risk
        surv.append(s)
    return times, np.array(surv)


def test_periods_follow_the_fieldwork_starts():
    starts = [dt.date(2019, 3, 1), dt.date(2020, 3, 1)]
    dates = pd.Series(pd.to_datetime(["2019-02-28", "2019-03-01", "2020-02-29", "2020-03-01"]))
    assert assign_period(dates, starts).tolist() == [
        "before_wave_1",
        "between_waves_1_2",
        "between_waves_1_2",
        "after_wave_2",
    ]


def test_activity_counts_and_intensity_per_1000(tables):
    by_community = tables["activities_by_community"]
    alpha = by_community[
        (by_community["community"] == "alpha") & (by_community["period"] == "between_waves_1_2")
    ].iloc[0]
    assert (alpha["activities"], alpha["participants"], alpha["female"]) == (2, 34, 16)
    intensity = tables["intensity"].set_index("community")
    # every community of the study is listed, with zero when it had nothing
    assert set(intensity.index) == {"alpha", "beta", "gamma"}
    assert intensity.loc["alpha", "activities_per_1000"] == pytest.approx(1000 * 2 / 2000)
    assert intensity.loc["beta", "participants_per_1000"] == pytest.approx(1000 * 3 / 1000)
    assert intensity.loc["gamma", "activities"] == 1


def test_appeal_tables_carry_unweighted_counts(tables):
    cells = tables["appeals_by_community_category"]
    assert cells["n"].sum() == 7
    row = cells[(cells["community"] == "alpha") & (cells["category"] == "rudeness")].iloc[0]
    assert row["n"] == 1 and row["per_1000"] == pytest.approx(0.5)
    change = tables["hotline_change"]
    assert {"n_1", "n_2", "per_1000_month_1", "per_1000_month_2", "change"} <= set(change)


def test_kaplan_meier_matches_the_product_limit_formula():
    rng = np.random.default_rng(3)
    time = rng.integers(1, 40, size=60).astype(float)
    event = (rng.random(60) < 0.7).astype(int)
    got = km_quantiles(pd.Series(time), pd.Series(event))
    times, surv = _km_by_hand(time, event)
    expected_median = times[np.flatnonzero(surv <= 0.5)[0]]
    assert got["median_days"] == expected_median
    assert got["censored"] == int((event == 0).sum())
    assert got["median_ci_low"] <= got["median_days"] <= got["median_ci_high"]


def test_pending_appeals_are_censored_not_dropped():
    hot = pd.DataFrame(
        {
            "arm": ["pilot"] * 5,
            "date_received": pd.to_datetime(["2020-01-01"] * 5),
            "date_resolved": pd.to_datetime(["2020-01-03", "2020-01-04", None, None, "2020-01-21"]),
            "resolved": ["yes", "yes", "pending", "pending", "yes"],
        }
    )
    out = resolution_summary(hot, ["arm"]).iloc[0]
    assert (out["n"], out["pending"], out["events"], out["censored"]) == (5, 2, 3, 2)
    # pending censored at the cut-off (day 20): S = 4/5, 3/5, then 3/5 * 1/3 at day 20
    assert out["median_days"] == 20.0
    assert out["share_resolved"] == pytest.approx(0.6)
    # dropping the pending appeals instead would give a far shorter median
    assert np.median([2, 3, 20]) == 3.0


def test_training_effects_match_scipy_paired_t(tables, fixtures_dir):
    effects = tables["training_effects"]
    police = effects[
        (effects["type"] == "training_police") & (effects["comparison"] == "post-pre")
    ].iloc[0]
    pre, post = np.array([50, 40, 70, 55.0]), np.array([62, 41, 68, 66.0])
    ref = stats.ttest_rel(post, pre)
    ci = ref.confidence_interval(0.95)
    assert police["n"] == 4
    assert police["mean_change"] == pytest.approx((post - pre).mean())
    assert police["p_value"] == pytest.approx(ref.pvalue)
    assert (police["ci_low"], police["ci_high"]) == pytest.approx((ci.low, ci.high))
    assert police["share_improved"] == 0.5 + 0.25


def test_training_without_pairs_is_not_estimated():
    t = pd.DataFrame(
        {
            "training_id": ["T"] * 2,
            "participant": ["a", "b"],
            "phase": ["pre", "pre"],
            "score": [1.0, 2.0],
        }
    )
    acts = pd.DataFrame({"activity_id": ["T"], "type": ["training_police"]})
    assert training_effects(t, acts).empty


def test_meta_regression_matches_statsmodels_wls_with_dl_weights():
    import statsmodels.api as sm

    rng = np.random.default_rng(11)
    k = 12
    x = rng.uniform(0, 5, k)
    se = rng.uniform(0.08, 0.25, k)
    y = 0.05 + 0.06 * x + rng.normal(0, np.sqrt(se**2 + 0.01))
    data = pd.DataFrame({"y": y, "se": se, "x": x})
    fit = meta_regression(data, "y", "se", "x")
    tau2 = fit["tau2"].iloc[0]
    X = sm.add_constant(x)
    ref = sm.WLS(y, X, weights=1 / (se**2 + tau2)).fit(cov_type="fixed scale")
    assert fit["estimate"].to_numpy() == pytest.approx(ref.params)
    assert fit["se"].to_numpy() == pytest.approx(ref.bse)
    # tau^2 from the residual heterogeneity Q_E of the fixed-effect fit
    w = 1 / se**2
    fe = sm.WLS(y, X, weights=w).fit()
    q_e = float(np.sum(w * fe.resid**2))
    assert fit["q_e"].iloc[0] == pytest.approx(q_e)


def test_meta_regression_tau2_is_the_dersimonian_laird_moment_estimator():
    """tau^2 = (Q_E - (k - p)) / (sum w - tr((X'WX)^-1 X'W^2 X)) (Raudenbush 2009, 16.43)."""
    y = np.array([0.1, 0.5, 0.2, 0.9, 0.3, -0.2])
    se = np.array([0.1, 0.15, 0.1, 0.2, 0.12, 0.1])
    x = np.array([0.0, 1.0, 2.0, 3.0, 1.5, 0.5])
    w = 1 / se**2
    X = np.column_stack([np.ones(6), x])
    xtwx = X.T @ (w[:, None] * X)
    beta = np.linalg.solve(xtwx, X.T @ (w * y))
    q_e = np.sum(w * (y - X @ beta) ** 2)
    trace = w.sum() - np.trace(np.linalg.solve(xtwx, X.T @ ((w**2)[:, None] * X)))
    expected = max(0.0, (q_e - 4) / trace)
    fit = meta_regression(pd.DataFrame({"y": y, "se": se, "x": x}), "y", "se", "x")
    assert expected > 0
    assert fit["tau2"].iloc[0] == pytest.approx(expected)


def test_meta_regression_on_an_exact_line_has_no_heterogeneity():
    x = np.array([0.0, 1.0, 2.0, 4.0])
    data = pd.DataFrame({"y": 0.1 + 0.2 * x, "se": [0.1, 0.2, 0.1, 0.3], "x": x})
    fit = meta_regression(data, "y", "se", "x")
    assert fit["tau2"].iloc[0] == 0.0
    assert fit["estimate"].to_numpy() == pytest.approx([0.1, 0.2])


def test_meta_regression_needs_three_communities():
    data = pd.DataFrame({"y": [0.1, 0.2], "se": [0.1, 0.1], "x": [0.0, 1.0]})
    with pytest.raises(AnalysisError) as err:
        meta_regression(data, "y", "se", "x")
    assert err.value.hint


def _modules() -> list[str]:
    package = trustsurvey.programme
    return [package.__name__] + [
        info.name for info in pkgutil.iter_modules(package.__path__, package.__name__ + ".")
    ]


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"
