"""Multiple imputation within the design: PMM donors, derandomisation, design kept, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trustsurvey.analysis import ImputedDesigns, impute, mi_analyse, mi_combine
from trustsurvey.design import SurveyDesign
from trustsurvey.errors import AnalysisError


def sample(seed: int = 7, n_psu: int = 12, size: int = 15, share: float = 0.2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n_psu * size
    psu = np.repeat(np.arange(n_psu), size)
    effect = rng.normal(0, 0.7, n_psu)[psu]
    x = rng.normal(0, 1, n)
    y = np.clip(np.round(3 + x + effect + rng.normal(0, 0.7, n)), 1, 5)
    z = np.round(x + rng.normal(0, 1, n), 2)
    return pd.DataFrame(
        {
            "stratum": psu % 2,
            "psu": psu,
            "w": rng.uniform(1, 4, n),
            "x": x,
            "y": np.where(rng.random(n) < share, np.nan, y),
            "z": np.where(rng.random(n) < share / 2, np.nan, z),
            "group": np.where(rng.random(n) < 0.5, "a", "b"),
        }
    )


def design(df: pd.DataFrame) -> SurveyDesign:
    return SurveyDesign(df, ids="psu", strata="stratum", weights="w")


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("cluster", ["means", "indicators", None])
def test_imputed_values_are_observed_answers_and_observed_ones_stay(seed, cluster):
    df = sample(seed)
    imp = impute(
        design(df),
        ["y", "z"],
        m=3,
        predictors=["x", "group"],
        cluster=cluster,
        seed=seed,
        iterations=3,
    )
    for i in range(imp.m):
        done = imp.completed(i)
        for item in ("y", "z"):
            assert done[item].notna().all()
            assert np.isin(done[item], df[item].dropna()).all()
            kept = df[item].notna()
            assert (done.loc[kept, item] == df.loc[kept, item]).all()
            assert (imp.imputed[item] == df[item].isna()).all()


def test_same_seed_same_imputations_other_seed_others():
    df = sample()
    a = impute(design(df), ["y", "z"], seed=11, iterations=3)
    b = impute(design(df), ["y", "z"], seed=11, iterations=3)
    c = impute(design(df), ["y", "z"], seed=12, iterations=3)
    for i in range(a.m):
        pd.testing.assert_frame_equal(a.completed(i), b.completed(i))
    assert any(not a.completed(i)["y"].equals(c.completed(i)["y"]) for i in range(a.m))
    # the m sets differ from each other (between-imputation variance)
    assert a.completed(0)["y"].ne(a.completed(1)["y"]).any()


def test_completed_designs_keep_the_design_and_its_domain():
    df = sample()
    d = design(df).subset(df["group"] == "a", name="group a")
    imp = impute(d, "y", m=2, seed=1, iterations=2)
    for done in imp.designs:
        assert done.degf == d.degf
        np.testing.assert_array_equal(done.full_weights, d.full_weights)
        np.testing.assert_array_equal(done.domain_mask, d.domain_mask)
        assert done.data.index.equals(d.data.index)


def test_keep_missing_codes_stay_missing_and_are_no_donors():
    df = sample()
    codes = np.where(df["y"].isna(), np.where(np.arange(len(df)) % 2 == 0, 7.0, 8.0), np.nan)
    df["y__missing"] = codes
    imp = impute(design(df), "y", m=2, keep_missing={"y": [7]}, seed=2, iterations=2)
    na = df["y__missing"] == 7
    for i in range(imp.m):
        assert imp.completed(i).loc[na, "y"].isna().all()
        assert imp.completed(i).loc[~na, "y"].notna().all()
    assert not imp.imputed.loc[na, "y"].any()


def test_pmm_uses_the_predictor_under_mar():
    """Answers missing more often where x is high (MAR): the complete-case mean is biased
    down, the imputed mean is closer to the full-sample mean (fixed seed)."""
    rng = np.random.default_rng(5)
    n_psu, size = 40, 20
    n = n_psu * size
    psu = np.repeat(np.arange(n_psu), size)
    x = rng.normal(0, 1, n)
    y = 3 + 1.2 * x + rng.normal(0, 0.5, n)
    drop = rng.random(n) < np.where(x > 0, 0.6, 0.05)
    df = pd.DataFrame({"psu": psu, "w": 1.0, "x": x, "y": np.where(drop, np.nan, y)})
    d = SurveyDesign(df, ids="psu", weights="w")
    full = float(np.mean(y))
    cc = float(d.mean("y")["estimate"].iloc[0])
    mi = float(
        impute(d, "y", predictors=["x"], seed=5).analyse(lambda e: e.mean("y"))["estimate"].iloc[0]
    )
    assert abs(mi - full) < 0.25 * abs(cc - full)


def test_analyse_combines_any_estimator_with_the_design_df():
    df = sample()
    imp = impute(design(df), ["y", "z"], predictors=["x"], seed=3, iterations=3)
    means = imp.analyse(lambda d: d.mean("y"))
    assert means.index.tolist() == ["y"]
    row = means.iloc[0]
    assert 0 < row["df"] <= design(df).degf + 1e-9
    assert row["ci_low"] < row["estimate"] < row["ci_high"]
    assert row["between"] > 0 and 0 < row["fmi"] < 1
    fit = mi_analyse(imp, lambda d: d.glm("y ~ x + z"))
    assert fit.index.tolist() == ["Intercept", "x", "z"]
    shares = imp.analyse(lambda d: d.proportion("y"))
    assert np.isclose(shares["estimate"].sum(), 1.0)


def test_mi_combine_equal_estimates_give_the_complete_data_answer():
    runs = [pd.DataFrame({"estimate": [2.0], "se": [0.5], "df": [10.0]}) for _ in range(4)]
    out = mi_combine(runs)
    assert out["estimate"].iloc[0] == 2.0 and out["se"].iloc[0] == 0.5
    assert out["riv"].iloc[0] == 0.0
    # no between variance: the df is (nearly) the observed-data df of Barnard-Rubin
    assert out["df"].iloc[0] == pytest.approx(11 / 13 * 10, rel=1e-3)


def test_mi_combine_rejects_bad_input():
    one = pd.DataFrame({"estimate": [1.0], "se": [0.1]}, index=["a"])
    other = pd.DataFrame({"estimate": [1.0], "se": [0.1]}, index=["b"])
    with pytest.raises(AnalysisError, match="at least 2"):
        mi_combine([one])
    with pytest.raises(AnalysisError, match="other rows"):
        mi_combine([one, other])
    with pytest.raises(AnalysisError, match="estimate and se"):
        mi_combine([one, one.rename(columns={"se": "sd"})])
    with pytest.raises(AnalysisError, match="unknown df rule"):
        mi_combine([one, one], rule="rubin")
    with pytest.raises(AnalysisError, match="positive"):
        mi_combine([one, one], df_complete=0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"items": "nope"}, "not in the design data"),
        ({"items": "group"}, "not numeric"),
        ({"items": "empty"}, "nothing to impute from"),
        ({"items": "y", "m": 1}, "m >= 2"),
        ({"items": "y", "cluster": "random"}, "unknown cluster"),
        ({"items": ["y", "x"], "predictors": ["x"]}, "both an item and a predictor"),
        ({"items": "y", "predictors": ["z"]}, "predictor has missing values"),
        ({"items": []}, "no items"),
    ],
)
def test_impute_bad_input_says_what_to_do(kwargs, match):
    df = sample().assign(empty=np.nan)
    with pytest.raises(AnalysisError, match=match) as err:
        impute(design(df), **kwargs)
    assert err.value.hint


def test_imputed_designs_is_what_mi_analyse_reads():
    df = sample()
    imp = impute(design(df), "y", m=2, seed=9, iterations=2)
    assert isinstance(imp, ImputedDesigns) and imp.items == ("y",) and imp.seed == 9


def test_replicate_designs_are_imputed_and_combined_with_their_own_variance():
    df = sample()
    rep = design(df).replicate("JKn")
    imp = impute(rep, "y", predictors=["x"], m=3, seed=4, iterations=3)
    assert all(type(d) is type(rep) for d in imp.designs)
    out = imp.analyse(lambda d: d.mean("y")).iloc[0]
    assert np.isin(imp.completed(0)["y"], df["y"].dropna()).all()
    assert out["se"] > 0 and out["df"] <= rep.degf + 1e-9
