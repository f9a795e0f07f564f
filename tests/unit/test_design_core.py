"""Unit tests of SurveyDesign's public contract (shapes, labels, metadata, hooks)."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

from trustsurvey import SurveyDesign
from trustsurvey.design.metadata import result_info, vcov
from trustsurvey.errors import DesignError


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 120
    df = pd.DataFrame(
        {
            "stratum": np.repeat([1, 2, 3], 40),
            "psu": np.repeat(np.arange(24), 5),
            "w": rng.uniform(1, 4, n),
            "y": rng.normal(3, 1, n),
            "z": rng.normal(10, 2, n),
            "arm": rng.choice(["pilot", "control"], n),
            "wave": rng.choice([1, 2], n),
            "item": rng.choice([1.0, 2.0, 3.0], n),
        },
        index=pd.Index([f"r{i}" for i in range(n)][::-1], name="resp"),
    )
    df.loc[df.index[:6], "y"] = np.nan
    df.loc[df.index[10:13], "arm"] = None
    return df


@pytest.fixture
def design(frame) -> SurveyDesign:
    return SurveyDesign(frame, ids="psu", strata="stratum", weights="w")


def test_top_level_import():
    import trustsurvey
    from trustsurvey.design import SurveyDesign as Direct

    assert trustsurvey.SurveyDesign is Direct


def test_data_and_weights_keep_index_and_order(frame, design):
    assert design.data.index.equals(frame.index)
    assert isinstance(design.weights, pd.Series)
    assert design.weights.index.equals(frame.index)
    assert np.array_equal(design.weights.to_numpy(), frame["w"].to_numpy())
    assert design.degf == 24 - 3


def test_result_columns_and_optional_columns(design):
    res = design.mean("y")
    assert list(res.columns) == ["estimate", "se", "ci_low", "ci_high", "df", "deff", "n"]
    res = design.mean("y", cv=True, moe=True)
    assert list(res.columns)[-2:] == ["cv", "moe"]
    assert np.isclose(res["moe"].iloc[0], res["ci_high"].iloc[0] - res["estimate"].iloc[0])
    assert np.isclose(res["cv"].iloc[0], res["se"].iloc[0] / res["estimate"].iloc[0])


def test_t_interval_on_design_df(design):
    from scipy import stats

    res = design.mean("y", level=0.9).iloc[0]
    t = stats.t.ppf(0.95, design.degf)
    assert np.isclose(res["ci_high"] - res["estimate"], t * res["se"])
    assert res["df"] == design.degf


def test_missing_values_dropped_and_counted(frame, design):
    res = design.mean("y")
    assert res["n"].iloc[0] == frame["y"].notna().sum()
    exp = np.average(frame["y"].dropna(), weights=frame.loc[frame["y"].notna(), "w"])
    assert np.isclose(res["estimate"].iloc[0], exp)


def test_missing_by_left_out_and_counted(frame, design):
    res = design.mean("z", by="arm")
    assert list(res.index) == ["control", "pilot"]
    assert result_info(res)["n_missing_by"] == 3
    assert res["n"].sum() + 3 == len(frame)
    kept = design.mean("z", by="arm", by_missing="level")
    assert len(kept) == 3
    assert kept["n"].sum() == len(frame)


def test_several_variables_by_long_format(design):
    res = design.mean(["y", "z"], by=["arm", "wave"])
    assert res.index.names == ["arm", "wave", "variable"]
    assert len(res) == 2 * 2 * 2
    single = design.mean("z", by=["arm", "wave"])
    assert np.allclose(res.xs("z", level="variable")["estimate"], single["estimate"])
    assert np.allclose(res.xs("z", level="variable")["se"], single["se"])


def test_proportion_one_row_per_category(design):
    res = design.proportion("arm")
    assert list(res.index) == ["control", "pilot"]
    assert res.index.name == "arm"
    assert "arm" not in res.columns
    assert np.isclose(res["estimate"].sum(), 1.0)
    by = design.proportion("item", by="wave")
    assert by.index.names == ["wave", "item"]
    assert np.allclose(by.groupby(level="wave")["estimate"].sum(), 1.0)


def test_proportion_is_a_plain_method():
    params = inspect.signature(SurveyDesign.proportion).parameters
    assert {"y", "by", "method"} <= set(params)


def test_quantile_rows_per_probability(design):
    res = design.quantile("z", q=[0.1, 0.5, 0.9], by="wave")
    assert res.index.names == ["wave", "q"]
    assert len(res) == 6
    assert (res.groupby(level="wave")["estimate"].diff().dropna() >= 0).all()


def test_covmat_and_contrast_forms(design):
    res = design.mean("z", by="arm", covmat=True)
    cov = vcov(res)
    assert list(cov.index) == list(res.index) == list(cov.columns)
    assert np.allclose(np.sqrt(np.diag(cov)), res["se"])
    a = design.contrast(res, {"pilot": 1, "control": -1})
    b = design.contrast(res, [-1, 1])
    named = design.contrast(res, {"diff": {"pilot": 1, "control": -1}, "avg": [0.5, 0.5]})
    assert np.isclose(a["estimate"].iloc[0], b["estimate"].iloc[0])
    assert list(named.index) == ["diff", "avg"]
    assert np.isclose(named.loc["diff", "se"], a["se"].iloc[0])


def test_contrast_needs_covmat(design):
    with pytest.raises(DesignError, match="covmat=True"):
        design.contrast(design.mean("z", by="arm"), {"pilot": 1, "control": -1})


def test_wald_test_of_contrasts(design):
    res = design.mean("z", by="wave", covmat=True)
    test = design.wald_test(res, {"w2-w1": {2: 1, 1: -1}})
    one = design.contrast(res, {2: 1, 1: -1})
    assert np.isclose(test["F"].iloc[0], (one["estimate"].iloc[0] / one["se"].iloc[0]) ** 2)
    assert test["ddf"].iloc[0] == design.degf


def test_glm_names_and_columns(design):
    fit = design.glm("z ~ C(arm) * wave")
    assert list(fit.index) == ["Intercept", "C(arm)[T.pilot]", "wave", "C(arm)[T.pilot]:wave"]
    assert list(fit.columns) == ["estimate", "se", "t", "p", "ci_low", "ci_high", "df"]
    assert fit["df"].iloc[0] == design.degf + 1 - 4


def test_ttest_direction(design):
    tt = design.ttest("z", group="arm")
    means = design.mean("z", by="arm")
    assert np.isclose(
        tt["difference"].iloc[0], means.loc["pilot", "estimate"] - means.loc["control", "estimate"]
    )
    assert tt["df"].iloc[0] == design.degf - 1


def test_subset_and_with_columns(frame, design):
    sub = design.subset(frame["wave"] == 2)
    assert sub.weights[frame["wave"] != 2].eq(0).all()
    assert sub.degf == design.degf
    by = design.mean("z", by="wave").loc[2]
    s = sub.mean("z").iloc[0]
    assert np.isclose(by["estimate"], s["estimate"]) and np.isclose(by["se"], s["se"])
    arr = design.subset((frame["wave"] == 2).to_numpy()).mean("z").iloc[0]
    assert np.isclose(arr["se"], s["se"])
    d2 = design.with_columns(z2=frame["z"] * 2, one=lambda d: d["z"] * 0 + 1)
    assert np.isclose(d2.mean("z2")["estimate"].iloc[0], 2 * design.mean("z")["estimate"].iloc[0])
    assert "z2" not in design.data.columns


class _Identity:
    def adjust(self, scores):
        return scores


class _Zero:
    def adjust(self, scores):
        return np.zeros_like(scores)


def test_calibration_hook(frame, design):
    same = design.replace_weights(design.weights, calibration=_Identity())
    assert len(same.calibration) == 1
    for a, b in [
        (design.mean("z", by="arm"), same.mean("z", by="arm")),
        (design.ratio("y", "z"), same.ratio("y", "z")),
        (design.total(["y", "z"]), same.total(["y", "z"])),
    ]:
        assert np.allclose(a["se"], b["se"], rtol=1e-12)
    g1, g2 = design.glm("z ~ wave"), same.glm("z ~ wave")
    assert np.allclose(g1["se"], g2["se"], rtol=1e-12)
    zero = design.replace_weights(frame["w"] * 2, calibration=[_Zero()])
    assert np.allclose(zero.mean("z")["se"], 0)
    assert np.isclose(
        zero.total("z")["estimate"].iloc[0], 2 * design.total("z")["estimate"].iloc[0]
    )
    with pytest.raises(DesignError, match="adjust"):
        design.replace_weights(frame["w"], calibration=[object()])


def test_weighting_methods_delegate_with_exact_signatures():
    sig = inspect.signature(SurveyDesign.rake)
    assert list(sig.parameters)[:2] == ["self", "margins"]
    assert sig.parameters["max_iter"].default == 1000
    assert inspect.signature(SurveyDesign.calibrate).parameters["method"].default == "linear"
    assert "strict" in inspect.signature(SurveyDesign.trim).parameters
    assert "targets" in inspect.signature(SurveyDesign.poststratify).parameters


def test_empty_categorical_level_is_reported(frame):
    df = frame.assign(arm=pd.Categorical(frame["arm"], categories=["control", "pilot", "none"]))
    res = SurveyDesign(df, ids="psu", strata="stratum", weights="w").mean("z", by="arm")
    assert list(res.index) == ["control", "pilot"]
    assert result_info(res)["empty_groups"] == [("arm", "none")]


def test_replicate_bootstrap_is_seeded(design):
    a = design.replicate("bootstrap", replicates=20, seed=3).mean("z")
    b = design.replicate("bootstrap", replicates=20, seed=3).mean("z")
    assert a["se"].iloc[0] == b["se"].iloc[0]
    assert design.replicate("JKn").mean("z", by="arm")["se"].notna().all()


def test_deff_without_fpc_matches_r_definition(design):
    res = design.mean("z")
    assert res["deff"].iloc[0] > 0
