"""Bad input to SurveyDesign: clear DesignErrors that name the column, the rows and a remedy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trustsurvey import SurveyDesign
from trustsurvey.design.metadata import result_info
from trustsurvey.errors import DesignError


@pytest.fixture
def df() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "stratum": [1, 1, 1, 1, 2, 2, 2, 2],
            "psu": [1, 1, 2, 2, 3, 3, 4, 4],
            "w": [1.0, 2, 1, 2, 1, 2, 1, 2],
            "y": [1.0, 2, 3, 4, 5, 6, 7, 8],
            "N": [10.0] * 8,
        },
        index=[f"id{i}" for i in range(8)],
    )


@pytest.mark.parametrize(
    "bad,word", [(-1.0, "negative"), (0.0, "zero"), (np.nan, "missing"), (np.inf, "infinite")]
)
def test_bad_weights_name_column_and_rows(df, bad, word):
    df.loc["id3", "w"] = bad
    with pytest.raises(DesignError) as err:
        SurveyDesign(df, ids="psu", strata="stratum", weights="w")
    text = str(err.value)
    assert "w" in err.value.item and "id3" in text and word in text
    assert err.value.hint


def test_fpc_smaller_than_sample(df):
    df["N"] = 1.5  # fewer population PSUs than the 2 sampled in each stratum
    with pytest.raises(DesignError, match="smaller than the sample") as err:
        SurveyDesign(df, ids="psu", strata="stratum", weights="w", fpc="N")
    assert err.value.item == "N"
    assert err.value.row


def test_fpc_mixing_counts_and_fractions(df):
    df["N"] = [10.0, 10, 10, 10, 0.5, 0.5, 0.5, 0.5]
    with pytest.raises(DesignError, match="mixes"):
        SurveyDesign(df, ids="psu", strata="stratum", weights="w", fpc="N")


def test_psu_ids_repeated_across_strata_need_nest(df):
    df["psu"] = [1, 1, 2, 2, 1, 1, 2, 2]
    with pytest.raises(DesignError, match="nest=True") as err:
        SurveyDesign(df, ids="psu", strata="stratum", weights="w")
    assert err.value.item == "psu"
    d = SurveyDesign(df, ids="psu", strata="stratum", weights="w", nest=True)
    assert d.degf == 2


def test_unknown_variable(df):
    d = SurveyDesign(df, ids="psu", strata="stratum", weights="w")
    with pytest.raises(DesignError, match="'nope'") as err:
        d.mean("nope")
    assert "columns are" in err.value.hint
    with pytest.raises(DesignError, match="'grp'"):
        d.mean("y", by="grp")
    with pytest.raises(DesignError, match="'wt'"):
        SurveyDesign(df, ids="psu", weights="wt")


def test_non_numeric_mean(df):
    d = SurveyDesign(df.assign(t="x"), ids="psu", strata="stratum", weights="w")
    with pytest.raises(DesignError, match="not numeric") as err:
        d.mean("t")
    assert "proportion" in err.value.hint


def test_lonely_psu_fails_by_default_naming_the_stratum(df):
    df.loc[["id6", "id7"], "stratum"] = 3
    with pytest.raises(DesignError, match="strata 2, 3 have only one PSU") as err:
        SurveyDesign(df, ids="psu", strata="stratum", weights="w")
    assert "lonely_psu" in err.value.hint
    assert set(err.value.row.labels) == {"id4", "id5", "id6", "id7"}
    assert "index labels id4" in str(err.value)
    ok = SurveyDesign(df, ids="psu", strata="stratum", weights="w", lonely_psu="certainty")
    assert np.isfinite(ok.mean("y")["se"].iloc[0])


def test_missing_design_columns(df):
    df.loc["id2", "psu"] = np.nan
    with pytest.raises(DesignError, match="missing") as err:
        SurveyDesign(df, ids="psu", strata="stratum", weights="w")
    assert err.value.row.labels == ("id2",)


def test_bad_options(df):
    with pytest.raises(DesignError, match="lonely_psu"):
        SurveyDesign(df, ids="psu", weights="w", lonely_psu="ignore")
    d = SurveyDesign(df, ids="psu", strata="stratum", weights="w")
    with pytest.raises(DesignError, match="by_missing"):
        d.mean("y", by="stratum", by_missing="keep")
    with pytest.raises(DesignError, match="method"):
        d.proportion("stratum", method="wilson")
    assert "likelihood" in result_info(d.proportion("stratum", method="likelihood"))["method"]
    with pytest.raises(DesignError, match=r"\[0, 1\]"):
        d.quantile("y", q=[1.5])


def test_subset_mask_problems(df):
    d = SurveyDesign(df, ids="psu", strata="stratum", weights="w")
    with pytest.raises(DesignError, match="missing"):
        d.subset(pd.Series([True, None] * 4, index=df.index))
    with pytest.raises(DesignError, match="rows"):
        d.subset([True, False])


def test_single_psu_design(df):
    with pytest.raises(DesignError, match="only one primary sampling unit"):
        SurveyDesign(df.assign(psu=1), ids="psu", weights="w")


def test_weights_and_probs_together(df):
    with pytest.raises(DesignError, match="either weights or probs"):
        SurveyDesign(df.assign(p=0.5), ids="psu", weights="w", probs="p")


def test_glm_formula_errors(df):
    d = SurveyDesign(df, ids="psu", strata="stratum", weights="w")
    with pytest.raises(DesignError, match="model matrix"):
        d.glm("y ~ missing_column")
    with pytest.raises(DesignError, match="between 0 and 1"):
        d.glm("y ~ w", family="binomial")


def test_ttest_needs_two_groups(df):
    d = SurveyDesign(
        df.assign(g=["a", "b", "c", "a"] * 2), ids="psu", strata="stratum", weights="w"
    )
    with pytest.raises(DesignError, match="exactly 2"):
        d.ttest("y", group="g")


def test_replicate_type_errors(df):
    d = SurveyDesign(df, ids="psu", strata="stratum", weights="w")
    with pytest.raises(DesignError, match="JKn"):
        d.replicate("JK1")
    with pytest.raises(DesignError, match="unknown replicate type"):
        d.replicate("jackknife")
