"""HonestDiD-style bounds: identified sets by hand, FLCI properties, the event-study helper."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from trustsurvey.analysis.honest import (
    flci_sd,
    folded_normal_quantile,
    honest_bounds,
    honest_event_study,
    identified_set,
)
from trustsurvey.analysis.honest_rm import rm_conditional_interval
from trustsurvey.analysis.staggered import staggered_effects
from trustsurvey.design import SurveyDesign
from trustsurvey.errors import AnalysisError


def test_folded_normal_quantile():
    assert folded_normal_quantile(0.95, 0.0) == pytest.approx(stats.norm.ppf(0.975), rel=1e-10)
    c = folded_normal_quantile(0.9, 1.3)
    assert stats.norm.cdf(c - 1.3) - stats.norm.cdf(-c - 1.3) == pytest.approx(0.9, abs=1e-12)


def test_relative_magnitudes_by_hand():
    # pre: -0.02 (e=-3), 0.04 (e=-2), 0 (ref); largest pre change 0.06; post 0.3, 0.5
    beta = np.array([-0.02, 0.04, 0.3, 0.5])
    lo, hi = identified_set(beta, 2, "rm", 2.0, [0.0, 1.0])  # the effect at e = 1
    # delta_1 <= 0.12, delta_2 - delta_1 <= 0.12: the bias of e = 1 is at most 0.24
    assert (lo, hi) == pytest.approx((0.26, 0.74))
    assert identified_set(beta, 2, "rm", 0.0, None) == pytest.approx((0.4, 0.4))


def test_smoothness_zero_extrapolates_the_linear_pre_trend():
    beta = np.array([-0.2, -0.1, 0.5, 0.7])  # pre-trend slope 0.1 through the reference
    lo, hi = identified_set(beta, 2, "sd", 0.0, [1.0, 0.0])
    assert lo == pytest.approx(0.4) and hi == pytest.approx(0.4)
    lo, hi = identified_set(beta, 2, "sd", 0.05, [1.0, 0.0])
    assert lo == pytest.approx(0.35) and hi == pytest.approx(0.45)


def test_flci_with_m_zero_is_the_trend_adjusted_estimate():
    beta = np.array([-0.2, -0.1, 0.5, 0.7])
    sigma = np.diag([0.01, 0.01, 0.02, 0.02])
    f = flci_sd(beta, sigma, 2, 0.0, [1.0, 0.0])
    v = f["v"]
    assert v[2:] == pytest.approx([1.0, 0.0])
    assert v[:2] @ np.array([-2.0, -1.0]) + 1.0 == pytest.approx(0.0, abs=1e-9)  # no trend
    sd = np.sqrt(v @ sigma @ v)
    assert f["half_length"] == pytest.approx(stats.norm.ppf(0.975) * sd, rel=1e-6)
    assert f["estimate"] == pytest.approx(0.4, abs=1e-9)
    wider = flci_sd(beta, sigma, 2, 0.1, [1.0, 0.0])
    assert wider["half_length"] > f["half_length"]


def test_bounds_widen_with_m_and_contain_identified_sets():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(5, 5))
    sigma = a @ a.T / 200 + np.eye(5) * 1e-3
    beta = np.array([0.01, -0.02, 0.03, 0.2, 0.25])
    for restriction, ms in (("rm", [0, 0.5, 1, 2]), ("sd", [0.1, 0.2, 0.4])):
        res = honest_bounds(
            beta, sigma, num_pre=3, restriction=restriction, m=ms, method="projection"
        )
        assert (res["ci_low"] <= res["id_low"]).all() and (res["id_high"] <= res["ci_high"]).all()
        assert res["ci_high"].is_monotonic_increasing and res["ci_low"].is_monotonic_decreasing
        assert set(res["method"]) == {"projection" if restriction == "rm" else "FLCI"}


def test_conditional_lf_interval_is_default_and_narrower_than_projection():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(5, 5))
    sigma = a @ a.T / 200 + np.eye(5) * 1e-3
    beta = np.array([0.01, -0.02, 0.03, 0.2, 0.25])
    clf = honest_bounds(beta, sigma, num_pre=3, m=[1], grid_points=101)
    proj = honest_bounds(beta, sigma, num_pre=3, m=[1], method="projection")
    assert list(clf["method"]) == ["C-LF"]
    assert (clf["ci_low"] <= clf["id_low"]).all() and (clf["id_high"] <= clf["ci_high"]).all()
    assert ((clf["ci_high"] - clf["ci_low"]) < (proj["ci_high"] - proj["ci_low"])).all()
    # endpoints are grid points of +/- 20 sd(l' beta_post)
    sd = np.sqrt(np.full(2, 0.5) @ sigma[3:, 3:] @ np.full(2, 0.5))
    grid = np.linspace(-20 * sd, 20 * sd, 101)
    for v in (clf["ci_low"].iloc[0], clf["ci_high"].iloc[0]):
        assert np.min(np.abs(grid - v)) < 1e-12
    with pytest.raises(AnalysisError, match="unknown method"):
        honest_bounds(beta, sigma, num_pre=3, m=[1], method="arp")


def test_conditional_lf_with_one_post_period_covers_the_estimate():
    beta = np.array([0.01, -0.02, 0.3])
    sigma = np.diag([0.02, 0.02, 0.03]) ** 2
    res = honest_bounds(beta, sigma, num_pre=2, m=[0, 1], l_vec=[1.0], grid_points=201)
    assert (res["ci_low"] < 0.3).all() and (res["ci_high"] > 0.3).all()
    assert (res["ci_low"] <= res["id_low"]).all() and (res["id_high"] <= res["ci_high"]).all()
    assert res["ci_high"].iloc[1] > res["ci_high"].iloc[0]


def test_event_study_helper_needs_universal_base():
    rng = np.random.default_rng(2)
    com = np.repeat(np.arange(24), 40)
    wave = np.tile(np.repeat([1, 2, 3, 4], 10), 24)
    first = np.array([0, 3, 4, 0, 3, 4] * 4)[com]
    y = rng.normal(size=com.size) + 0.4 * ((first > 0) & (wave >= first))
    df = pd.DataFrame({"com": com, "wave": wave, "first": first, "y": y, "w": 1.0})
    d = SurveyDesign(df, ids="com", weights="w")
    res = staggered_effects(d, "y", cohort="first", wave="wave", base_period="universal")
    out = honest_event_study(res, restriction="rm", m=[0], grid_points=51)
    assert out["method"].iloc[0] == "C-LF"
    table, _ = res.event_covariance()
    keep = table["event_time"] != -1
    post = table.loc[keep & (table["event_time"] >= 0), "estimate"]
    assert out["estimate"].iloc[0] == pytest.approx(post.mean())
    assert out["id_low"].iloc[0] == pytest.approx(post.mean())
    one = honest_event_study(res, restriction="sd", m=[0.5], target=0)
    assert one["estimate"].iloc[0] == pytest.approx(post.iloc[0])
    varying = staggered_effects(d, "y", cohort="first", wave="wave")
    with pytest.raises(AnalysisError, match="reference period"):
        honest_event_study(varying)


def test_docstring_examples():
    module = importlib.import_module("trustsurvey.analysis.honest")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
    module = importlib.import_module("trustsurvey.analysis.honest_rm")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_conditional_lf_warns_when_the_set_reaches_the_grid_end():
    beta = np.array([0.02, -0.01, 0.30, 0.35])
    sigma = np.diag([0.01, 0.01, 0.012, 0.015]) ** 2 * 100
    lv = np.array([0.5, 0.5])
    with pytest.warns(UserWarning, match="end of the grid"):
        lo, hi = rm_conditional_interval(
            beta, sigma, 2, 1.0, lv, grid_points=11, grid_lb=0.3, grid_ub=0.35
        )
    assert (lo, hi) == pytest.approx((0.3, 0.35))
    # a grid far from the estimate accepts nothing: NaN, not a made-up interval
    lo, hi = rm_conditional_interval(beta, sigma, 2, 0.0, lv, grid_points=11, grid_lb=5, grid_ub=6)
    assert np.isnan(lo) and np.isnan(hi)
