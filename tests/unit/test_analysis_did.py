"""Unit tests of the DiD, comparisons, multiple choice, effect sizes, multiplicity, figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trustsurvey import did
from trustsurvey.analysis import (
    adjust_pvalues,
    compare_communities,
    compare_means,
    compare_proportions,
    compare_subgroups,
    did_table,
    event_study,
    forest_figure,
    likert_distribution,
    likert_figure,
    multiple_choice,
    multiple_choice_difference,
    problems_figure,
    proportional_odds,
    standardized_difference,
    trend_figure,
)
from trustsurvey.design import SurveyDesign
from trustsurvey.design.metadata import result_info
from trustsurvey.io import read_survey
from trustsurvey.questionnaire import instrument_path, load_questionnaire

DESIGN = {"ids": "psu", "strata": "stratum", "weights": "pw", "nest": True}


@pytest.fixture(scope="module")
def trust(fixtures_dir) -> pd.DataFrame:
    return read_survey(fixtures_dir / "trust" / "trust_two_waves.sav").analysis()


@pytest.fixture(scope="module")
def design(trust) -> SurveyDesign:
    return SurveyDesign(trust, **DESIGN)


def _panel(n_psu: int = 60, waves=(1, 2, 3), effect: float = 0.8, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = len(waves) * 5
    df = pd.DataFrame(
        {
            "psu": np.repeat(np.arange(n_psu), rows),
            "pilot": np.repeat(np.arange(n_psu) % 2, rows),
            "wave": np.tile(np.repeat(waves, 5), n_psu),
            "w": np.repeat(rng.uniform(1, 3, n_psu), rows),
        }
    )
    df["y"] = 3 + 0.8 * df["pilot"] * (df["wave"] == max(waves)) * effect / 0.8
    df["y"] += rng.normal(0, 1, len(df))
    return df


# ------------------------------------------------------------------ did
def test_did_equals_difference_of_cell_means(design):
    res = did(design, "trust_police")
    c = result_info(res)["cells"].set_index(["pilot", "post"])["estimate"]
    assert res.loc[0, "estimate"] == pytest.approx(
        (c[(1, 1)] - c[(1, 0)]) - (c[(0, 1)] - c[(0, 0)]), rel=1e-10
    )
    assert res.loc[0, "n"] == int(result_info(res)["cells"]["n"].sum())
    assert res.loc[0, "ci_low"] < res.loc[0, "estimate"] < res.loc[0, "ci_high"]


def test_did_binomial_is_labelled_ratio_of_odds_ratios(design):
    res = did(design, "aware_officer", family="binomial")
    assert list(res["term"]) == ["did", "did_cells"]
    assert "ratio of odds ratios" in res.loc[0, "measure"]
    assert res.loc[0, "ratio"] == pytest.approx(np.exp(res.loc[0, "estimate"]))
    lin = did(design, "aware_officer")
    # the second row is the DiD of shares, the same as the linear-probability DiD
    assert res.loc[1, "estimate"] == pytest.approx(lin.loc[0, "estimate"], rel=1e-10)


def test_did_clustering_across_waves_changes_se(trust):
    """PSU crossing waves (strata = raion) vs waves as independent strata (wave x raion)."""
    data = trust.assign(site=trust["psu"] % 10000)
    indep = SurveyDesign(data, ids="site", strata="stratum", weights="pw", nest=True)
    crossed = SurveyDesign(data, ids="site", strata="raion", weights="pw", nest=True)
    a, b = did(indep, "trust_police"), did(crossed, "trust_police")
    assert a.loc[0, "estimate"] == pytest.approx(b.loc[0, "estimate"], rel=1e-12)
    assert abs(a.loc[0, "se"] - b.loc[0, "se"]) > 1e-3


def test_did_baseline_argument_reverses_sign(design):
    a = did(design, "trust_police")
    b = did(design, "trust_police", baseline=2.0, followup=1.0)
    assert b.loc[0, "estimate"] == pytest.approx(-a.loc[0, "estimate"], rel=1e-10)
    assert b.loc[0, "se"] == pytest.approx(a.loc[0, "se"], rel=1e-10)


def test_event_study_three_waves_and_pretrend():
    df = _panel()
    d = SurveyDesign(df, ids="psu", weights="w")
    es = event_study(d, "y")
    assert es["wave"].tolist() == [1, 2, 3]
    assert es.loc[es["wave"] == 2, "reference"].item()
    assert es.loc[es["wave"] == 2, "estimate"].item() == 0.0
    # the last wave's coefficient is the DiD of wave 3 against wave 2
    d23 = did(d.subset((df["wave"] > 1).to_numpy()), "y", baseline=2, followup=3)
    assert es.loc[es["wave"] == 3, "estimate"].item() == pytest.approx(
        d23.loc[0, "estimate"], rel=1e-8
    )
    pt = result_info(es)["pretrend"]
    assert pt["waves"] == "1" and pt["ndf"] == 1.0 and 0 <= pt["p"] <= 1
    # did() with three waves: baseline vs last wave, event study attached
    res = did(d, "y")
    assert "event_study" in result_info(res) and result_info(res)["baseline"] == 1


def test_event_study_pretrend_detects_a_pre_trend():
    df = _panel(n_psu=80, waves=(1, 2, 3, 4), effect=0.0, seed=9)
    df.loc[(df["pilot"] == 1) & (df["wave"] == 1), "y"] -= 1.5
    es = event_study(SurveyDesign(df, ids="psu", weights="w"), "y")
    assert result_info(es)["pretrend"]["ndf"] == 2.0
    assert result_info(es)["pretrend"]["p"] < 0.001


def test_event_study_two_waves_has_no_pretrend_test():
    df = _panel(waves=(1, 2))
    es = event_study(SurveyDesign(df, ids="psu", weights="w"), "y")
    assert np.isnan(result_info(es)["pretrend"]["p"]) and result_info(es)["pretrend"]["reason"]


# ------------------------------------------------------------------ comparisons
def test_compare_means_difference_is_pilot_minus_control(design):
    res = compare_means(design, ["trust_police", "aware_officer"])
    assert len(res) == 4
    np.testing.assert_allclose(res["difference"], res["estimate_pilot"] - res["estimate_control"])
    # arms in different strata: SE of the difference from the two SEs
    np.testing.assert_allclose(res["se"], np.hypot(res["se_pilot"], res["se_control"]), rtol=1e-8)


def test_compare_proportions_matches_indicator_means(design, trust):
    res = compare_proportions(design, "trust_police", categories=[4.0, 5.0])
    ind = (trust["trust_police"] >= 4).astype(float).where(trust["trust_police"].notna())
    both = compare_means(design.with_columns(top2=ind), "top2")
    summed = res.groupby("wave")["difference"].sum().to_numpy()
    np.testing.assert_allclose(summed, both["difference"].to_numpy(), rtol=1e-10)


def test_compare_communities_against_control_arm():
    df = pd.DataFrame(
        {
            "psu": range(12),
            "pilot": [0] * 6 + [1] * 6,
            "wave": 1,
            "community": ["c1", "c2"] * 3 + ["a"] * 3 + ["b"] * 3,
            "y": [1.0, 2, 3, 1, 2, 3, 4, 4, 5, 1, 2, 2],
            "w": 1.0,
        }
    )
    res = compare_communities(SurveyDesign(df, ids="psu", weights="w"), "y")
    assert res["community"].tolist() == ["a", "b"]
    np.testing.assert_allclose(res["difference"], [13 / 3 - 2, 5 / 3 - 2])


def test_compare_subgroups_stacks_levels(design):
    res = compare_subgroups(design, "trust_police", subgroups=["sex", "nonexistent"])
    assert set(res["subgroup"]) == {"sex", "nonexistent"}
    assert res.loc[res["subgroup"] == "nonexistent", "reason"].str.contains("not in").all()
    assert len(res[res["subgroup"] == "sex"]) == 4


def test_likert_distribution_sums_to_one(fixtures_dir):
    data = read_survey(fixtures_dir / "trust" / "trust_two_waves.sav").analysis(
        keep={"trust_police": [8]}
    )
    dist = likert_distribution(SurveyDesign(data, **DESIGN), "trust_police")
    sums = dist.groupby(["pilot", "wave"])["estimate"].sum()
    np.testing.assert_allclose(sums, 1.0)
    assert set(dist.loc[dist["dont_know"], "category"]) == {8.0}


def test_standardized_difference_equal_weights_is_cohen_d_av():
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"psu": range(400), "pilot": np.arange(400) % 2, "wave": 1, "w": 1.0})
    df["y"] = rng.normal(0, 1, 400) + 0.5 * df["pilot"]
    res = standardized_difference(SurveyDesign(df, ids="psu", weights="w"), "y")
    g1, g0 = df.loc[df.pilot == 1, "y"], df.loc[df.pilot == 0, "y"]
    d_av = (g1.mean() - g0.mean()) / np.sqrt((g1.var(ddof=0) + g0.var(ddof=0)) / 2)
    assert res.loc[0, "smd"] == pytest.approx(d_av, rel=1e-10)
    # large-sample SE of d: sqrt(1/n1 + 1/n0 + d^2 / (4 n)) (Hedges & Olkin, roughly)
    approx = np.sqrt(2 / 200 + d_av**2 / (4 * 200))
    assert res.loc[0, "se"] == pytest.approx(approx, rel=0.15)


def test_standardized_difference_reports_no_variation():
    df = pd.DataFrame({"psu": range(6), "pilot": [0, 0, 0, 1, 1, 1], "wave": 1, "y": 2.0, "w": 1.0})
    res = standardized_difference(SurveyDesign(df, ids="psu", weights="w"), "y")
    assert np.isnan(res.loc[0, "smd"]) and "no variation" in res.loc[0, "reason"]


# ------------------------------------------------------------------ multiple choice
def _problems() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "psu": range(8),
            "w": [1.0, 1, 1, 1, 2, 2, 2, 2],
            "pilot": [0, 0, 0, 0, 1, 1, 1, 1],
            "wave": 1,
            "problems_drinking": [1, 1, 0, 0, 1, 0, 0, np.nan],
            "problems_theft": [1, 0, 0, 0, 0, 1, 0, np.nan],
            "problems_none": [0, 0, 1, 0, 1, 0, 1, np.nan],
        }
    )


def test_multiple_choice_rules_none_and_missing():
    df = _problems()
    res = multiple_choice(SurveyDesign(df, ids="psu", weights="w"), "problems", by="pilot")
    counts = result_info(res)["counts"]
    # row 3 (all zero) and row 7 (all missing) did not answer; row 4 ticked none + drinking
    assert counts == {"n_answered": 6, "n_unanswered": 2, "n_inconsistent": 1}
    t = res.set_index(["pilot", "option"])
    assert t.loc[(0, "drinking"), "estimate"] == pytest.approx(2 / 3)
    assert t.loc[(0, "none"), "estimate"] == pytest.approx(1 / 3)
    assert t.loc[(1, "none"), "estimate"] == pytest.approx(1 / 3)  # row 4's none not counted
    assert t.loc[(0, "drinking"), "rank"] == 1 and np.isnan(t.loc[(0, "none"), "rank"])


def test_multiple_choice_with_questionnaire_on_example(tmp_path):
    q = load_questionnaire(instrument_path("police_trust_core"))
    cols = q.columns_for("problems")
    rng = np.random.default_rng(1)
    df = pd.DataFrame(rng.integers(0, 2, (200, len(cols))).astype(float), columns=cols)
    df["problems_none"] = 0.0
    df = df.assign(psu=np.arange(200) // 4, pilot=(np.arange(200) // 4) % 2, wave=1, w=1.0)
    d = SurveyDesign(df, ids="psu", weights="w")
    res = multiple_choice(d, "problems", questionnaire=q, by=["pilot", "wave"])
    assert set(res["option"]) == set(q.items["problems"].options)
    diff = multiple_choice_difference(d, "problems", questionnaire=q)
    assert len(diff) == len(cols)
    assert diff["option"].tolist() == list(q.items["problems"].options)


# ------------------------------------------------------------------ multiplicity, figures
def test_adjust_pvalues_matches_definitions():
    t = pd.DataFrame({"p": [0.01, 0.02, 0.03, 0.5], "g": ["a", "a", "b", "b"]})
    out = adjust_pvalues(t)
    np.testing.assert_allclose(out["p_holm"], [0.04, 0.06, 0.06, 0.5])
    np.testing.assert_allclose(out["p_bh"], [0.04, 0.04, 0.04, 0.5])
    fam = adjust_pvalues(t, family="g")
    np.testing.assert_allclose(fam["p_holm"], [0.02, 0.02, 0.06, 0.5])


def test_figures_build_from_tables(design, trust):
    trend = design.mean("trust_police", by=["pilot", "wave"]).reset_index()
    fig = trend_figure(trend, group="pilot")
    assert len(fig.data) == 2
    dist = likert_distribution(design, "trust_police")
    lk = likert_figure(dist)
    assert len(lk.data) == 6  # 5 categories, the middle one split in two
    res = did_table(design, ["trust_police", "aware_officer"])
    fo = forest_figure(res)
    assert list(fo.data[0].y) == ["trust_police", "aware_officer"]
    mc = multiple_choice(SurveyDesign(_problems(), ids="psu", weights="w"), "problems", by="pilot")
    pf = problems_figure(mc[~mc["exclusive"]])
    assert len(pf.data) == 2
    assert "<html>" in fo.to_html(include_plotlyjs=False, full_html=True)


def test_replicate_designs_give_the_same_estimates_and_close_ses(design):
    rep = design.replicate("JKn")
    a, b = did(design, "trust_police"), did(rep, "trust_police")
    assert b.loc[0, "estimate"] == pytest.approx(a.loc[0, "estimate"], rel=1e-10)
    assert b.loc[0, "se"] == pytest.approx(a.loc[0, "se"], rel=0.1)
    oa = proportional_odds(design, "trust_police ~ pilot * wave")
    ob = proportional_odds(rep, "trust_police ~ pilot * wave")
    np.testing.assert_allclose(ob["estimate"], oa["estimate"], rtol=1e-8)
    np.testing.assert_allclose(ob["se"], oa["se"], rtol=0.1)
