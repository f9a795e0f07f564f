"""Bad input to the DiD, comparisons, ordinal model and multiple-choice analysis.

Each case must raise :class:`AnalysisError` naming the cell or item and what to do, or give an
explicit NA with a reason in multi-outcome tables — never a crash or a silent zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trustsurvey import did
from trustsurvey.analysis import (
    adjust_pvalues,
    compare_means,
    did_table,
    event_study,
    likert_tests,
    multiple_choice,
    proportional_odds,
    standardized_difference,
)
from trustsurvey.design import SurveyDesign
from trustsurvey.errors import AnalysisError


def _frame(n_psu: int = 20) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    psu = np.repeat(np.arange(n_psu), 4)
    return pd.DataFrame(
        {
            "psu": psu,
            "pilot": psu % 2,
            "wave": np.tile([1, 2], n_psu * 2),
            "w": 1.0,
            "y": rng.integers(1, 6, n_psu * 4).astype(float),
            "sex": np.tile([1, 2, 1, 2], n_psu),
        }
    )


def _d(df: pd.DataFrame) -> SurveyDesign:
    return SurveyDesign(df, ids="psu", weights="w")


def test_outcome_without_answers_in_a_cell_names_the_cell():
    df = _frame()
    df.loc[(df.pilot == 1) & (df.wave == 2), "y"] = np.nan
    with pytest.raises(AnalysisError) as err:
        did(_d(df), "y")
    msg = str(err.value)
    assert "no valid answers in cell pilot=1, wave=2" in msg and "What to do" in msg
    assert err.value.item == "y"


def test_treated_group_absent_in_a_period():
    df = _frame()
    df = df[~((df.pilot == 0) & (df.wave == 1))]
    with pytest.raises(AnalysisError, match=r"no respondents in cell pilot=0, wave=1"):
        did(_d(df), "y")


def test_multi_outcome_table_gives_na_with_reason():
    df = _frame()
    df["z"] = np.where(df.wave == 2, np.nan, 1.0)
    df["label"] = "text"
    t = did_table(_d(df), ["y", "z", "missing_column", "label"])
    assert t["outcome"].tolist() == ["y", "z", "missing_column", "label"]
    assert np.isfinite(t.loc[0, "estimate"]) and t.loc[0, "reason"] == ""
    for i, words in ((1, "no valid answers"), (2, "not in the design"), (3, "not numeric")):
        assert np.isnan(t.loc[i, "estimate"]) and np.isnan(t.loc[i, "p_holm"])
        assert words in t.loc[i, "reason"]


def test_single_wave_and_bad_codes():
    df = _frame()
    with pytest.raises(AnalysisError, match="a DiD needs two"):
        did(_d(df[df.wave == 1]), "y")
    with pytest.raises(AnalysisError, match="must be 0/1"):
        did(_d(df.assign(pilot=df.pilot + 1)), "y")
    with pytest.raises(AnalysisError, match="not a value of"):
        did(_d(df), "y", baseline=7)
    with pytest.raises(AnalysisError, match="unknown family"):
        did(_d(df), "y", family="poisson")
    with pytest.raises(AnalysisError, match="needs a 0/1 outcome"):
        did(_d(df), "y", family="binomial")
    with pytest.raises(AnalysisError, match="not in the design"):
        did(_d(df), "y", covariates=["age"])
    with pytest.raises(AnalysisError, match="expected a SurveyDesign"):
        did(df, "y")


def test_collinear_covariate_is_an_analysis_error():
    df = _frame().assign(const=1.0, pilot_copy=lambda d: d.pilot.astype(float))
    with pytest.raises(AnalysisError, match="cannot be fitted") as err:
        did(_d(df), "y", covariates=["pilot_copy"])
    assert err.value.hint


def test_event_study_needs_a_pre_wave():
    with pytest.raises(AnalysisError, match="no wave before"):
        event_study(_d(_frame()), "y", first_post=1)


def test_comparison_with_an_empty_arm_is_na_with_reason():
    df = _frame()
    df.loc[(df.pilot == 1) & (df.wave == 2), "y"] = np.nan
    res = compare_means(_d(df), "y").set_index("wave")
    assert np.isnan(res.loc[2, "difference"]) and "pilot" in res.loc[2, "reason"]
    assert np.isfinite(res.loc[1, "difference"]) and np.isfinite(res.loc[1, "se"])
    smd = standardized_difference(_d(df), "y").set_index("wave")
    assert np.isnan(smd.loc[2, "smd"]) and "no valid answers" in smd.loc[2, "reason"]
    assert np.isfinite(smd.loc[1, "se"])


def test_likert_test_with_one_category_is_na_with_reason():
    df = _frame().assign(y=3.0)
    res = likert_tests(_d(df), "y")
    assert res["p"].isna().all() and res["reason"].str.contains("categories").all()


def test_ordinal_model_errors():
    df = _frame()
    with pytest.raises(AnalysisError, match="3 or more"):
        proportional_odds(_d(df.assign(y=(df.y > 3).astype(float))), "y ~ pilot")
    with pytest.raises(AnalysisError, match="no response"):
        proportional_odds(_d(df), "pilot")
    with pytest.raises(AnalysisError, match="response not in"):
        proportional_odds(_d(df), "nothere ~ pilot")
    with pytest.raises(AnalysisError, match="not of full rank"):
        proportional_odds(_d(df.assign(p2=df.pilot)), "y ~ pilot + p2")


def test_multiple_choice_errors():
    df = _frame().assign(p_a=[0, 1, 2, 0] * 20, p_none=0)
    with pytest.raises(AnalysisError, match="not 0/1") as err:
        multiple_choice(_d(df), "p", by="pilot")
    assert err.value.item == "p_a"
    with pytest.raises(AnalysisError, match="no columns named"):
        multiple_choice(_d(df), "q", by="pilot")
    nobody = _frame().assign(p_a=0, p_none=0)
    with pytest.raises(AnalysisError, match="nobody answered"):
        multiple_choice(_d(nobody), "p", by="pilot")


def test_adjust_pvalues_errors():
    with pytest.raises(AnalysisError, match="no p-value column"):
        adjust_pvalues(pd.DataFrame({"x": [1]}))
    with pytest.raises(AnalysisError, match="unknown adjustment"):
        adjust_pvalues(pd.DataFrame({"p": [0.1]}), methods=["bonferroni"])
