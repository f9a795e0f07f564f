"""SurveyDesign against tests/fixtures/r_design/design_reference.json (made by
tests/fixtures/r_design/design_oracle.R with R 4.2 and survey 4.1.1)."""

from __future__ import annotations

import pandas as pd
from conftest_design import api, close, design, design_reference

from trustsurvey.design import SurveyDesign
from trustsurvey.design.metadata import vcov

R = design_reference()


def test_fpc_as_fractions_two_stages():
    df = api("apiclus2").copy()
    df["f1"] = 40 / df["fpc1"]
    df["f2"] = df.groupby("dnum")["snum"].transform("size") / df["fpc2"]
    d = SurveyDesign(df, ids=["dnum", "snum"], fpc=["f1", "f2"])
    close(d.mean("api00")["estimate"], R["clus2_fraction_mean"]["estimate"])
    close(d.mean("api00")["se"], R["clus2_fraction_mean"]["se"])
    by = d.total("api00", by="stype")
    close(by["estimate"], R["clus2_fraction_by_stype_total"]["estimate"])
    close(by["se"], R["clus2_fraction_by_stype_total"]["se"])


def test_probabilities_instead_of_weights():
    df = api("apistrat").assign(pr=lambda x: 1 / x["pw"])
    d = SurveyDesign(df, ids=None, strata="stype", probs="pr", fpc="fpc")
    res = d.mean(["api00", "meals"])
    close(res["estimate"], R["strat_probs_mean"]["estimate"])
    close(res["se"], R["strat_probs_mean"]["se"])


def test_missing_values_are_dropped_from_the_domain():
    d = design("dclus2")
    assert d.data["enroll"].isna().any()
    res = d.mean("enroll")
    close(res["estimate"], R["clus2_mean_enroll_narm"]["estimate"])
    close(res["se"], R["clus2_mean_enroll_narm"]["se"])
    by = d.mean("enroll", by="stype")
    close(by["estimate"], R["clus2_by_stype_mean_enroll_narm"]["estimate"])
    close(by["se"], R["clus2_by_stype_mean_enroll_narm"]["se"])


def test_quantile_in_domain_with_full_design_df():
    d = design("dclus1")
    r = R["clus1_quantile_M_fulldf"]
    res = d.subset(d.data["stype"] == "M").quantile("api00", q=[0.1, 0.5])
    assert (res["df"] == d.degf).all()
    close(res["estimate"], r["estimate"])
    close(res["ci_low"], r["ci_low"])
    close(res["ci_high"], r["ci_high"])
    close(res["se"], r["se"])


def test_logit_interval_by_domain_uses_full_design_df():
    d = design("dclus1")
    r = R["clus1_ciprop_logit_H_fulldf"]
    res = d.proportion("sch.wide", by="stype", method="logit").loc[("H", "Yes")]
    close(res["estimate"], r["estimate"])
    close([res["ci_low"], res["ci_high"]], r["ci"])


def test_glm_with_missing_covariate():
    d = design("dclus2")
    r = R["clus2_glm_enroll_na"]
    fit = d.glm("api00 ~ enroll + stype")
    close(fit["estimate"], r["estimate"])
    close(fit["se"], r["se"])
    assert fit["df"].iloc[0] == r["df"]


def test_ratio_by_domain_two_stage():
    d = design("dclus2")
    r = R["clus2_ratio_by_stype"]
    res = d.ratio("api.stu", "enroll", by="stype")
    close(res["estimate"], r["estimate"])
    close(res["se"], r["se"])
    assert isinstance(res, pd.DataFrame)


def test_glm_on_replicate_design():  # svyglm(..., as.svrepdesign(dclus1, type = "JK1"))
    rep = design("dclus1").replicate("JK1")
    r = R["clus1_jk1_glm"]
    fit = rep.glm("api00 ~ ell + meals")
    close(fit["estimate"], r["estimate"])
    close(fit["se"], r["se"])
    assert fit["df"].iloc[0] == r["df"]
    r = R["clus1_jk1_glm_quasibinomial"]
    yes = (rep.data["sch.wide"] == "Yes").astype(float)
    fit = rep.with_columns(yes=yes).glm("yes ~ ell", family="binomial")
    close(fit["estimate"], r["estimate"])
    close(fit["se"], r["se"])


def test_quantile_and_shares_on_replicate_design():
    rep = design("dclus1").replicate("JK1")
    r = R["clus1_jk1_quantile"]
    res = rep.quantile("api00", q=[0.25, 0.5])
    close(res["estimate"], r["estimate"])
    close(res["ci_low"], r["ci_low"])
    close(res["ci_high"], r["ci_high"])
    close(res["se"], r["se"])
    r = R["clus1_jk1_prop_stype"]
    res = rep.proportion("stype")
    close(res["estimate"], r["estimate"])
    close(res["se"], r["se"])
    cov = vcov(rep.mean("api00", by="stype", covmat=True))
    close(cov.to_numpy().ravel(order="F"), R["clus1_jk1_by_stype_vcov"]["vcov"])


def test_ttest_on_replicate_design():  # svyttest(api00 ~ sch.wide, jk)
    r = R["clus1_jk1_ttest"]
    res = design("dclus1").replicate("JK1").ttest("api00", group="sch.wide")
    close(res["difference"], r["difference"])
    close(res["t"], r["t"])
    close(res["df"], r["df"])
    close(res["p"], r["p"])


def test_design_effects_in_domains():  # deff(svyby(..., deff = TRUE))
    d = design("dclus1")
    close(d.mean("api00", by="stype")["deff"], R["clus1_by_stype_deff_mean"]["deff"])
    close(d.total("api00", by="stype")["deff"], R["clus1_by_stype_deff_total"]["deff"])
    ratio = d.ratio("api.stu", "enroll", by="stype")
    close(ratio["deff"], R["clus1_by_stype_deff_ratio"]["deff"])
