"""Margins, average marginal effects, non-linear contrasts and Poisson models against R.

Reference: tests/fixtures/r_margins/margins_reference.json, made by oracle_margins.R (R 4.2.2,
survey 4.1.1) on margins_data.csv: 4 strata, 32 clusters, unequal weights, design effects
of 4 and 17 for the two outcomes' means. Estimates and SEs to a relative 1e-6, on the
linearisation design and on its JKn replicate design.
"""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pandas as pd
import pytest
from conftest_design import FIX, close

from trustsurvey.analysis.margins import marginal_effects, predictive_margins
from trustsurvey.design import SurveyDesign, vcov

HERE = FIX / "r_margins"


@cache
def ref() -> dict:
    return json.loads((HERE / "margins_reference.json").read_text())


@cache
def design(kind: str = "dmar"):
    data = pd.read_csv(HERE / "margins_data.csv")
    d = SurveyDesign(data, ids="cluster", strata="stratum", weights="w", nest=True)
    return d.replicate("JKn") if kind == "dmar_jkn" else d


def _names(names):
    return [
        "Intercept"
        if n == "(Intercept)"
        else n.replace("grpv", "grp[T.v]").replace("grpz", "grp[T.z]")
        for n in names
    ]


def _by_name(res: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    return res.loc[[str(n) for n in names]]


def test_the_case_is_hard():
    r = ref()["deff_means"]
    res = design().mean(["ybin", "ycont"])
    close(res["deff"], r["deff"])
    assert min(r["deff"]) > 3


@pytest.mark.parametrize(
    "key,family,formula",
    [
        ("glm_poisson_offset", "poisson", "count ~ x + grp + offset(log(pop))"),
        ("glm_quasipoisson_offset", "quasipoisson", "count ~ x + grp + offset(log(pop))"),
        ("glm_quasipoisson_nooffset", "quasipoisson", "count ~ x"),
    ],
)
def test_poisson_glm(key, family, formula):
    r = ref()[key]
    res = design(r["design"]).glm(formula, family=family)
    assert list(res.index) == _names(r["names"])
    close(res["estimate"], r["estimate"])
    close(res["se"], r["se"])
    assert res["df"].iloc[0] == r["df_residual"]
    close(vcov(res).to_numpy().ravel(order="F"), r["vcov"])


def test_poisson_offset_argument_equals_offset_term():
    d = design()
    a = d.glm("count ~ x + grp + offset(log(pop))", family="poisson")
    b = d.glm("count ~ x + grp", family="poisson", offset="log(pop)")
    d2 = d.with_columns(lpop=np.log(d.data["pop"]))
    c = d2.glm("count ~ x + grp", family="poisson", offset="lpop")
    close(b["estimate"], a["estimate"].to_numpy(), rtol=1e-12)
    close(c["se"], a["se"].to_numpy(), rtol=1e-12)


def test_poisson_glm_replicate():
    r = ref()["jkn_glm_quasipoisson_offset"]
    res = design("dmar_jkn").glm("count ~ x + grp + offset(log(pop))", family="quasipoisson")
    close(res["estimate"], r["estimate"])
    close(res["se"], r["se"])


@pytest.mark.parametrize(
    "key,formula,family",
    [
        ("predmeans_gaussian", "ycont ~ x + grp", "gaussian"),
        ("predmeans_binomial", "ybin ~ x + grp", "quasibinomial"),
        ("predmeans_poisson_offset", "count ~ x + grp + offset(log(pop))", "quasipoisson"),
        ("jkn_predmeans_binomial", "ybin ~ x + grp", "binomial"),
    ],
)
def test_predictive_margins(key, formula, family):
    r = ref()[key]
    res = predictive_margins(design(r["design"]), formula, "grp", family=family)
    assert sorted(res["level"]) == sorted(r["names"])
    res = _by_name(res, r["names"])
    close(res["estimate"], r["estimate"])
    close(res["se"], r["se"])
    assert (res["ci_low"] < res["estimate"]).all() and (res["estimate"] < res["ci_high"]).all()


def test_margins_at_observed_exposure():
    # per_exposure=False: mean predicted counts at each row's own exposure, which is the
    # rate margin times the exposure when the exposure is the same for every row
    d = design()
    d1 = d.with_columns(pop=1000.0)
    f = "count ~ x + grp + offset(log(pop))"
    rate = predictive_margins(d1, f, "grp", family="quasipoisson")
    count = predictive_margins(d1, f, "grp", family="quasipoisson", per_exposure=False)
    close(count["estimate"], 1000 * rate["estimate"].to_numpy(), rtol=1e-10)
    close(count["se"], 1000 * rate["se"].to_numpy(), rtol=1e-10)


def test_factor_effect_is_the_contrast_of_margins():
    r = ref()["ame_binomial_g"]
    res = marginal_effects(design(), "ybin ~ x + grp", "grp", family="binomial")
    assert res["level"].tolist() == r["names"]
    close(res["estimate"], r["estimate"])
    close(res["se"], r["se"])


@pytest.mark.parametrize(
    "key,formula,family",
    [
        ("ame_binomial_x", "ybin ~ x + grp", "binomial"),
        ("jkn_ame_binomial_x", "ybin ~ x + grp", "binomial"),
        ("ame_gaussian_x", "ycont ~ x + grp", "gaussian"),
        ("ame_poisson_x", "count ~ x + grp + offset(log(pop))", "quasipoisson"),
    ],
)
def test_continuous_effect(key, formula, family):
    r = ref()[key]
    res = marginal_effects(design(r["design"]), formula, "x", family=family, per_exposure=False)
    close(res["estimate"], r["estimate"])
    close(res["se"], r["se"])


def test_olr_margins():
    r = ref()["olr_margins_g"]
    res = predictive_margins(design(), "yord ~ x + grp", "grp", family="olr")
    assert list(res.index) == r["names"]
    close(res["estimate"], r["estimate"])
    close(res["se"], r["se"])
    # R's svyolr takes its information matrix from optim's numerical Hessian: covariances
    # near zero agree to 1e-6 of the matrix's scale, not of their own size
    v = np.asarray(r["vcov"])
    np.testing.assert_allclose(
        vcov(res).to_numpy().ravel(order="F"), v, rtol=1e-6, atol=1e-6 * np.abs(v).max()
    )
    # the probabilities of a level's categories add up to 1, exactly, so their sum has no SE
    sums = res.groupby("level")["estimate"].sum()
    close(sums, [1.0, 1.0, 1.0], rtol=1e-12)


@pytest.mark.parametrize(
    "key,make,expr",
    [
        ("nlcon_ratio_of_means", lambda d: d.mean(["ycont", "x"], covmat=True), "ycont / x"),
        (
            "nlcon_log_odds_ratio_by_g",
            lambda d: d.mean("ybin", by="grp", covmat=True),
            "log(v / (1 - v)) - log(u / (1 - u))",
        ),
        (
            "nlcon_exp_coef",
            lambda d: d.glm("count ~ x + grp + offset(log(pop))", family="quasipoisson"),
            {"rr_x": "exp(x)", "rr_bc": "exp(`grp[T.v]` - `grp[T.z]`)"},
        ),
        (
            "nlcon_margin_ratio",
            lambda d: predictive_margins(d, "ybin ~ x + grp", "grp", family="binomial"),
            "v / u",
        ),
        ("nlcon_power_sqrt", lambda d: d.mean(["ycont", "x"], covmat=True), "sqrt(ycont)^3 + x**2"),
        ("jkn_nlcon_ratio_of_means", lambda d: d.mean(["ycont", "x"], covmat=True), "ycont / x"),
    ],
)
def test_nonlinear_contrast(key, make, expr):
    r = ref()[key]
    d = design(r["design"])
    res = d.contrast(make(d), expr)
    assert list(res.index) == r["names"]
    close(res["estimate"], r["estimate"])
    close(res["se"], r["se"])
