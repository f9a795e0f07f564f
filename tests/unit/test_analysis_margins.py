"""Predictive margins and average marginal effects: identities, domains, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trustsurvey.analysis.margins import marginal_effects, predictive_margins
from trustsurvey.design import SurveyDesign, vcov
from trustsurvey.errors import AnalysisError


def _data(seed: int = 5, n: int = 240) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    psu = np.arange(n) // 6
    u = rng.normal(size=n // 6)[psu]
    g = rng.choice(["a", "b", "c"], n)
    x = rng.normal(size=n)
    y = 1.0 + 0.5 * (g == "b") + 0.8 * x + u + rng.normal(size=n)
    yb = (rng.random(n) < 1 / (1 + np.exp(-(0.4 * x + u)))).astype(float)
    return pd.DataFrame(
        {
            "psu": psu,
            "stratum": psu % 4,
            "w": rng.choice([1.0, 2.0, 5.0], n),
            "g": g,
            "x": x,
            "y": y,
            "yb": yb,
        }
    )


def _design(df: pd.DataFrame) -> SurveyDesign:
    return SurveyDesign(df, ids="psu", strata="stratum", weights="w", nest=True)


def test_margins_of_a_saturated_model_are_domain_means():
    d = _design(_data())
    m = predictive_margins(d, "y ~ g", "g")
    dm = d.mean("y", by="g")
    np.testing.assert_allclose(m["estimate"], dm["estimate"], rtol=1e-10)
    np.testing.assert_allclose(m["se"], dm["se"], rtol=1e-8)


def test_the_covariate_distribution_adds_variance():
    d = _design(_data())
    m = predictive_margins(d, "y ~ g + x", "g")
    # the model part alone, G' V G, is smaller than the whole
    from trustsurvey.analysis.margins import _counterfactual, _evaluate, _model

    model = _model(d, "y ~ g + x", "gaussian", None)
    rows = np.flatnonzero(model.used)
    mats = _counterfactual(model, "g", ["a", "b", "c"], rows)
    _, grads = _evaluate(model, [[(1.0, x)] for x in mats], rows, model.params)
    w = d.full_weights[rows]
    G = np.einsum("i,ijk->jk", w, grads) / w.sum()
    model_part = np.diag(G @ model.cov @ G.T)
    assert (m["se"].to_numpy() ** 2 > model_part * 1.01).all()


@pytest.mark.parametrize("engine", ["linearisation", "JKn", "raked"])
@pytest.mark.parametrize(
    "formula,family",
    [
        ("y ~ g + x", "gaussian"),
        ("yb ~ g + x", "binomial"),
        ("k ~ g + x + offset(log(pop))", "poisson"),
    ],
)
def test_joint_variance_of_the_mean_prediction_is_the_mean_s(engine, formula, family):
    # with an intercept and the canonical link the fitted values average to the mean of the
    # response, and their joint influence values are the mean's: the joint variance of the
    # margin "as observed" (set a column the model does not use) is the mean's variance.
    # Adding the two parts, as svypredmeans, ignores their covariance and does not give it.
    df = _data().assign(one=1.0, pop=lambda f: 50.0 + 10 * (f["psu"] % 7))
    df["k"] = np.random.default_rng(9).poisson(df["pop"] / 20 * np.exp(0.3 * df["x"]))
    d = _design(df)
    if engine == "JKn":
        d = d.replicate("JKn")
    elif engine == "raked":  # calibration-adjusted influence values, as the mean's
        d = d.rake({"g": {"a": 300.0, "b": 300.0, "c": 400.0}})
    y = formula.split("~")[0].strip()
    kw = {"family": family, "per_exposure": False}
    joint = predictive_margins(d, formula, "one", variance="joint", **kw)
    mean = d.mean(y)
    assert joint["estimate"].iloc[0] == pytest.approx(mean["estimate"].iloc[0], rel=1e-8)
    assert joint["se"].iloc[0] == pytest.approx(mean["se"].iloc[0], rel=1e-7)
    summed = predictive_margins(d, formula, "one", **kw)
    assert summed["se"].iloc[0] != pytest.approx(mean["se"].iloc[0], rel=1e-3)


def test_joint_variance_of_olr_margins_on_both_engines():
    df = _data()
    df["yo"] = np.digitize(df["y"], [0.0, 1.0, 2.0]) + 1
    d = _design(df)
    lin = predictive_margins(d, "yo ~ g + x", "g", family="olr", variance="joint")
    rep = predictive_margins(d.replicate("JKn"), "yo ~ g + x", "g", family="olr", variance="joint")
    np.testing.assert_allclose(rep["estimate"], lin["estimate"], rtol=1e-10)
    np.testing.assert_allclose(rep["se"], lin["se"], rtol=0.3)  # JKn with 40 PSUs
    # a level's category probabilities add up to 1 in every replicate too: no variance
    one = np.kron(np.eye(3), np.ones(4))
    assert np.abs(one @ vcov(lin).to_numpy() @ one.T).max() < 1e-12
    assert np.abs(one @ vcov(rep).to_numpy() @ one.T).max() < 1e-12


def test_unknown_variance_is_refused():
    with pytest.raises(AnalysisError, match="unknown variance"):
        predictive_margins(_design(_data()), "y ~ g", "g", variance="bootstrap")


def test_rows_with_missing_covariates_are_out_and_the_domain_is_kept():
    df = _data()
    df.loc[[3, 10, 50], "x"] = np.nan
    d = _design(df)
    m = predictive_margins(d, "y ~ g + x", "g")
    full = predictive_margins(_design(df.dropna(subset=["x"])), "y ~ g + x", "g")
    np.testing.assert_allclose(m["estimate"], full["estimate"], rtol=1e-10)
    sub = predictive_margins(d.subset(df["x"].fillna(0) > -0.5), "y ~ g + x", "g")
    assert not np.allclose(sub["estimate"], m["estimate"])


def test_replicate_design_margins_are_close_to_linearisation():
    d = _design(_data())
    lin = marginal_effects(d, "yb ~ g + x", ["g", "x"], family="binomial")
    rep = marginal_effects(d.replicate("JKn"), "yb ~ g + x", ["g", "x"], family="binomial")
    np.testing.assert_allclose(rep["estimate"], lin["estimate"], rtol=1e-10)
    np.testing.assert_allclose(rep["se"], lin["se"], rtol=0.15)
    assert lin.index.tolist() == ["g:b", "g:c", "x"]
    assert vcov(lin).shape == (3, 3)


def test_continuous_effect_of_a_linear_model_is_its_slope():
    d = _design(_data())
    fit = d.glm("y ~ g + x")
    ame = marginal_effects(d, "y ~ g + x", "x")
    assert ame["estimate"].iloc[0] == pytest.approx(fit.loc["x", "estimate"], rel=1e-8)
    # fitted values vary with the data, their slope does not: only the model part remains
    assert ame["se"].iloc[0] == pytest.approx(fit.loc["x", "se"], rel=1e-6)


def test_effect_follows_a_quadratic_term():
    d = _design(_data())
    fit = d.glm("y ~ x + I(x ** 2)")
    ame = marginal_effects(d, "y ~ x + I(x ** 2)", "x")
    xbar = np.average(d.data["x"], weights=d.data["w"])
    want = fit.loc["x", "estimate"] + 2 * fit.loc["I(x ** 2)", "estimate"] * xbar
    assert ame["estimate"].iloc[0] == pytest.approx(want, rel=1e-7)


def test_olr_effects_sum_to_zero_over_categories():
    df = _data()
    df["yo"] = np.digitize(df["y"], [0.0, 1.0, 2.0]) + 1
    ame = marginal_effects(_design(df), "yo ~ g + x", "x", family="olr")
    assert ame["category"].tolist() == ["1", "2", "3", "4"]
    assert ame["estimate"].sum() == pytest.approx(0.0, abs=1e-10)


@pytest.mark.parametrize(
    "kw,match",
    [
        ({"variable": "nope"}, "not a column"),
        ({"family": "olr", "offset": "x"}, "no offset"),
        ({"family": "weibull"}, "unknown family"),
        ({"at": ["zz"]}, "cannot predict"),
    ],
)
def test_errors_name_the_problem(kw, match):
    d = _design(_data())
    args = {"variable": "g", "family": "gaussian"} | kw
    formula = "y ~ g + x"
    with pytest.raises(AnalysisError, match=match):
        predictive_margins(d, formula, args.pop("variable"), **args)


def test_one_level_has_no_effect():
    df = _data().assign(h="only")
    with pytest.raises(AnalysisError, match="one value"):
        marginal_effects(_design(df), "y ~ x + h", "h")


def test_poisson_needs_counts_not_below_zero():
    from trustsurvey.errors import DesignError

    df = _data()
    with pytest.raises(DesignError, match="not below 0"):
        _design(df).glm("y ~ x", family="poisson")


def test_offset_given_twice_or_missing_is_refused_or_out():
    from trustsurvey.errors import DesignError

    df = _data().assign(n=lambda f: np.round(np.exp(f["x"])), pop=100.0)
    d = _design(df)
    with pytest.raises(DesignError, match="twice"):
        d.glm("n ~ x + offset(log(pop))", family="poisson", offset="pop")
    df.loc[[0, 1], "pop"] = np.nan
    fit = _design(df).glm("n ~ x + offset(log(pop))", family="quasipoisson")
    from trustsurvey.design import result_info

    assert result_info(fit)["n"] == len(df) - 2
    assert result_info(fit)["offset"] == "log(pop)"


def test_a_numeric_variable_is_not_taken_for_a_coded_one_with_a_longer_name():
    df = _data().assign(xx=lambda f: (f["x"] > 0).astype(int))
    ame = marginal_effects(_design(df), "y ~ x + C(xx)", ["x", "xx"])
    assert ame["level"].tolist() == ["", "1"]
