"""SurveyDesign against tests/fixtures/r_extra/extra_reference.json (R 4.2, survey 4.1.1).

Every estimation key of the oracle engineer's file is reproduced to a relative 1e-6, except
the weighting and ``svyolr`` keys, which belong to other rooms. Domain intervals in R use the subset
design's df; we pass ``df="domain"`` where R does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest_design import close, design, extra_csv, extra_reference

from trustsurvey.design import SurveyDesign
from trustsurvey.design.metadata import vcov

X = extra_reference()


def _ref(key):
    return X[key]


# ---------------------------------------------------------------- tests and models
@pytest.mark.parametrize("key,dname", [("clus1_ttest", "dclus1"), ("strat_ttest", "dstrat")])
def test_ttest(key, dname):
    r = _ref(key)
    res = design(dname).ttest("api00", group="sch.wide")
    close(res["difference"], r["difference"])
    close(res["t"], r["t"])
    close(res["df"], r["df"])
    close(res["p"], r["p"])
    close(res[["ci_low", "ci_high"]].to_numpy(), r["ci"])


@pytest.mark.parametrize(
    "key,dname,stat",
    [
        ("strat_chisq_F", "dstrat", "F"),
        ("clus1_chisq_F", "dclus1", "F"),
        ("clus1_chisq_Wald", "dclus1", "Wald"),
        ("clus1_chisq_adjWald", "dclus1", "adjWald"),
    ],
)
def test_chisq_f(key, dname, stat):
    r = _ref(key)
    res = design(dname).chisq("sch.wide", "stype", statistic=stat)
    close(res["F"], r["statistic"])
    close(res["ndf"], r["ndf"])
    close(res["ddf"], r["ddf"])
    close(res["p"], r["p"])


def test_chisq_first_order():
    r = _ref("clus1_chisq_Chisq")
    res = design("dclus1").chisq("sch.wide", "stype", statistic="Chisq")
    close(res["X2"], r["statistic"])
    close(res["df"], r["ndf"])
    close(res["p"], r["p"])


def _glm_names(names):
    return [
        "Intercept"
        if n == "(Intercept)"
        else n.replace("stypeH", "stype[T.H]").replace("stypeM", "stype[T.M]")
        for n in names
    ]


def test_glm_gaussian():
    r = _ref("strat_glm_gaussian")
    res = design("dstrat").glm("api00 ~ ell + meals + mobility")
    assert list(res.index) == _glm_names(r["names"])
    close(res["estimate"], r["estimate"])
    close(res["se"], r["se"])
    assert res["df"].iloc[0] == r["df_residual"]
    close(vcov(res).to_numpy().ravel(order="F"), r["vcov"])


def test_glm_interaction():  # svyglm(api00 ~ stype * sch.wide, dclus1)
    r = _ref("clus1_glm_interaction")
    res = design("dclus1").glm("api00 ~ stype * C(Q('sch.wide'))")
    close(res["estimate"], r["estimate"])
    close(res["se"], r["se"])
    assert res["df"].iloc[0] == r["df_residual"]


def test_glm_quasibinomial():
    r = _ref("clus1_glm_quasibinomial")
    d = design("dclus1")
    d = d.with_columns(yes=(d.data["sch.wide"] == "Yes").astype(float))
    res = d.glm("yes ~ ell + stype", family="binomial")
    assert list(res.index) == _glm_names(r["names"])
    close(res["estimate"], r["estimate"])
    close(res["se"], r["se"])
    assert res["df"].iloc[0] == r["df_residual"]
    close(vcov(res).to_numpy().ravel(order="F"), r["vcov"])


@pytest.mark.parametrize(
    "key,df", [("clus1_regtermtest_F", None), ("clus1_regtermtest_F_degf", 14)]
)
def test_regtermtest_f(key, df):
    r = _ref(key)
    d = design("dclus1")
    fit = d.glm("api00 ~ ell + meals + stype")
    res = d.wald_test(fit, terms="stype", df=df)
    close(res["F"], r["statistic"])
    close(res["ndf"], r["df"])
    close(res["ddf"], r["ddf"])
    close(res["p"], r["p"])


def test_regtermtest_chisq():
    r = _ref("clus1_regtermtest_chisq")
    d = design("dclus1")
    res = d.wald_test(d.glm("api00 ~ ell + meals + stype"), terms="stype", df=np.inf)
    close(res["chisq"], r["statistic"])
    close(res["p_chisq"], r["p"])
    close(res["p"], r["p"])


def test_regtermtest_two_terms():
    r = _ref("strat_regtermtest_F")
    d = design("dstrat")
    res = d.wald_test(d.glm("api00 ~ ell + meals + mobility"), terms=["meals", "mobility"])
    close(res["F"], r["statistic"])
    close(res["ddf"], r["ddf"])
    close(res["p"], r["p"])


# ---------------------------------------------------------------- ratios and quantiles
def test_strat_ratio():
    r = _ref("strat_ratio")
    res = design("dstrat").ratio("api.stu", "enroll")
    close(res["estimate"], r["estimate"])
    close(res["se"], r["se"])


@pytest.mark.parametrize(
    "key,dname", [("strat_ratio_by_stype", "dstrat"), ("clus1_ratio_by_stype", "dclus1")]
)
def test_ratio_by(key, dname):
    r = _ref(key)
    res = design(dname).ratio("api.stu", "enroll", by="stype")
    assert list(res.index) == r["stype"]
    close(res["estimate"], r["estimate"])
    close(res["se"], r["se"])


@pytest.mark.parametrize(
    "key,dname",
    [("clus1_quantile", "dclus1"), ("strat_quantile", "dstrat"), ("clus2_quantile", "dclus2")],
)
def test_quantile(key, dname):
    r = _ref(key)
    res = design(dname).quantile("api00", q=r["probs"])
    close(res["estimate"], r["estimate"])
    close(res["ci_low"], r["ci_low"])
    close(res["ci_high"], r["ci_high"])
    close(res["se"], r["se"])


@pytest.mark.parametrize("stype", ["E", "H", "M"])
def test_quantile_subset(stype):
    r = _ref(f"clus1_quantile_subset_{stype}")
    d = design("dclus1")
    res = d.subset(d.data["stype"] == stype).quantile("api00", q=r["probs"], df="domain")
    close(res["estimate"], r["estimate"])
    close(res["ci_low"], r["ci_low"])
    close(res["ci_high"], r["ci_high"])
    close(res["se"], r["se"])


def test_quantile_by():
    r = _ref("clus1_quantile_by_stype")
    res = design("dclus1").quantile("api00", q=[0.25, 0.5, 0.9], by="stype", df="domain")
    # R's coef order: all domains for q=0.25, then 0.5, then 0.9
    ordered = res.reorder_levels(["q", "stype"]).sort_index()
    close(ordered["estimate"], r["estimate"])
    close(ordered["se"], r["se"])


# ---------------------------------------------------------------- svyciprop
@pytest.mark.parametrize("method", ["logit", "beta", "mean", "xlogit", "asin", "likelihood"])
def test_ciprop(method):
    r = _ref(f"clus1_ciprop_{method}")
    res = design("dclus1").proportion("sch.wide", method=method).loc["Yes"]
    close(res["estimate"], r["estimate"])
    close(res["se"], r["se"])
    close([res["ci_low"], res["ci_high"]], r["ci"])


@pytest.mark.parametrize("method", ["logit", "beta", "mean", "xlogit", "asin", "likelihood"])
def test_ciprop_domain(method):
    r = _ref(f"clus1_ciprop_{method}_domain_M")
    d = design("dclus1")
    res = d.subset(d.data["stype"] == "M").proportion("sch.wide", method=method, df="domain")
    row = res.loc["Yes"]
    close(row["estimate"], r["estimate"])
    close(row["se"], r["se"])
    close([row["ci_low"], row["ci_high"]], r["ci"])


def test_ciprop_df():
    assert design("dclus1").degf == _ref("clus1_ciprop_df")["value"]


# ---------------------------------------------------------------- covariances and contrasts
def test_by_covmat():
    r = _ref("clus1_by_stype_covmat")
    res = design("dclus1").mean("api00", by="stype", covmat=True)
    close(res["se"], r["se"])
    close(vcov(res).to_numpy().ravel(order="F"), r["vcov"])
    assert list(vcov(res).index) == ["E", "H", "M"]


@pytest.mark.parametrize(
    "key,dname", [("clus1_contrast_E_minus_H", "dclus1"), ("strat_contrast_E_minus_H", "dstrat")]
)
def test_contrast(key, dname):
    r = _ref(key)
    d = design(dname)
    res = d.contrast(d.mean("api00", by="stype", covmat=True), {"E": 1, "H": -1, "M": 0})
    close(res["estimate"], r["estimate"])
    close(res["se"], r["se"])


def test_named_contrasts():
    r = _ref("clus1_contrast_named_pair")
    d = design("dclus1")
    by = d.mean("api00", by="stype", covmat=True)
    res = d.contrast(by, {"EminusM": [1, 0, -1], "avgHM": [0, 0.5, 0.5]})
    assert list(res.index) == r["names"]
    close(res["estimate"], r["estimate"])
    close(res["se"], r["se"])


# ---------------------------------------------------------------- domains
@pytest.mark.parametrize("kind", ["mean", "total"])
def test_clus1_subset_E(kind):
    r = _ref(f"clus1_subset_E_{kind}")
    d = design("dclus1")
    res = getattr(d.subset(d.data["stype"] == "E"), kind)(["api00", "enroll"])
    close(res["estimate"], r["estimate"])
    close(res["se"], r["se"])


@pytest.mark.parametrize("kind", ["mean", "total"])
def test_clus2_subset_E(kind):
    r = _ref(f"clus2_subset_E_{kind}")
    d = design("dclus2")
    res = getattr(d.subset(d.data["stype"] == "E"), kind)("api00")
    close(res["estimate"], r["estimate"])
    close(res["se"], r["se"])


def _long(res, groups, variables):
    """Reorder a (by, variable) frame to R's svyby coef order (variable-major)."""
    return res.loc[[(g, v) for v in variables for g in groups]]


@pytest.mark.parametrize("kind", ["mean", "total"])
def test_strat_by_schwide_two_variables(kind):
    r = _ref(f"strat_by_schwide_{kind}")
    res = getattr(design("dstrat"), kind)(["api00", "enroll"], by="sch.wide")
    ordered = _long(res, r["sch.wide"], ["api00", "enroll"])
    close(ordered["estimate"], r["estimate"])
    close(ordered["se"], r["se"])


@pytest.mark.parametrize(
    "key,dname,kind,var",
    [
        ("strat_by_stype_mean", "dstrat", "mean", "api00"),
        ("clus2_by_stype_mean", "dclus2", "mean", "api00"),
        ("clus2_by_stype_total", "dclus2", "total", "api00"),
        ("clus2_by_stype_total_enroll_narm", "dclus2", "total", "enroll"),
    ],
)
def test_by_stype(key, dname, kind, var):
    r = _ref(key)
    res = getattr(design(dname), kind)(var, by="stype")
    assert list(res.index) == r["stype"]
    close(res["estimate"], r["estimate"])
    close(res["se"], r["se"])


def test_by_two_columns():
    r = _ref("clus1_by_stype_schwide_mean")
    res = design("dclus1").mean("api00", by=["stype", "sch.wide"])
    ordered = res.loc[list(zip(r["stype"], r["sch.wide"], strict=True))]
    close(ordered["estimate"], r["estimate"])
    close(ordered["se"], r["se"])


@pytest.mark.parametrize(
    "key,dname,item",
    [
        ("clus1_prop_schwide_by_stype", "dclus1", "sch.wide"),
        ("strat_prop_awards_by_stype", "dstrat", "awards"),
    ],
)
def test_proportion_by(key, dname, item):
    r = _ref(key)
    res = design(dname).proportion(item, by="stype")
    ordered = res.loc[[(g, c) for c in ["No", "Yes"] for g in r["stype"]]]
    close(ordered["estimate"], r["estimate"])
    close(ordered["se"], r["se"])


def test_clus2_prop_stype():
    r = _ref("clus2_prop_stype")
    res = design("dclus2").proportion("stype")
    assert ["stype" + c for c in res.index] == r["names"]
    close(res["estimate"], r["estimate"])
    close(res["se"], r["se"])


@pytest.mark.parametrize(
    "key,dname,item",
    [("clus1_total_stype", "dclus1", "stype"), ("strat_total_schwide", "dstrat", "sch.wide")],
)
def test_total_of_categories(key, dname, item):
    r = _ref(key)
    d = design(dname)
    cats = sorted(d.data[item].unique())
    d = d.with_columns(**{f"c{i}": (d.data[item] == c).astype(float) for i, c in enumerate(cats)})
    res = d.total([f"c{i}" for i in range(len(cats))])
    close(res["estimate"], r["estimate"])
    close(res["se"], r["se"])


# ---------------------------------------------------------------- design effects
@pytest.mark.parametrize(
    "prefix,dname",
    [
        ("strat", "dstrat"),
        ("strat_nofpc", "dstrat_nofpc"),
        ("clus1", "dclus1"),
        ("clus1_nofpc", "dclus1_nofpc"),
    ],
)
@pytest.mark.parametrize("kind,mode", [("mean", "wor"), ("total", "wor"), ("mean", "replace")])
def test_deff(prefix, dname, kind, mode):
    key = f"{prefix}_deff_{kind}" + ("_replace" if mode == "replace" else "")
    r = _ref(key)
    res = getattr(design(dname), kind)(["api00", "enroll"], deff=mode)
    close(res["estimate"], r["estimate"])
    close(res["se"], r["se"])
    close(res["deff"], r["deff"])


# ---------------------------------------------------------------- lonely PSUs
LONELY = ["adjust", "average", "certainty", "remove"]


@pytest.mark.parametrize("opt", LONELY)
def test_lonely_strat(opt):
    d = design("dlonely", lonely_psu=opt)
    for key, res in [
        (f"lonely_strat_mean_{opt}", d.mean("api00")),
        (f"lonely_strat_by_schwide_{opt}", d.mean("api00", by="sch.wide")),
    ]:
        close(res["estimate"], _ref(key)["estimate"])
        close(res["se"], _ref(key)["se"])


@pytest.mark.parametrize("opt", LONELY)
def test_lonely_clus(opt):
    d = design("dlonely_cl", lonely_psu=opt)
    for key, res in [
        (f"lonely_clus_mean_{opt}", d.mean("api00")),
        (f"lonely_clus_total_{opt}", d.total("enroll")),
        (f"lonely_clus_by_schwide_{opt}", d.mean("api00", by="sch.wide")),
    ]:
        close(res["estimate"], _ref(key)["estimate"])
        close(res["se"], _ref(key)["se"])


@pytest.mark.parametrize("opt", LONELY)
def test_lonely_in_domain(opt):  # R's default survey.adjust.domain.lonely = FALSE
    d = design("dstrat_nofpc_lonelydata", lonely_psu=opt)
    by = d.mean("api00", by="dom")
    sub = d.subset(d.data["dom"] == "A").mean("api00")
    r_by = _ref(f"lonely_domain_by_dom_{opt}_adjdomain_false")
    r_sub = _ref(f"lonely_domain_subset_A_{opt}_adjdomain_false")
    close(by["estimate"], r_by["estimate"])
    close(by["se"], r_by["se"])
    close(sub["estimate"], r_sub["estimate"])
    close(sub["se"], r_sub["se"])


@pytest.mark.parametrize("opt", LONELY)
def test_lonely_in_domain_adjust_domain_lonely(opt):  # survey.adjust.domain.lonely = TRUE
    d = design("dstrat_nofpc_lonelydata", lonely_psu=opt, adjust_domain_lonely=True)
    by = d.mean("api00", by="dom")
    sub = d.subset(d.data["dom"] == "A").mean("api00")
    r_by = _ref(f"lonely_domain_by_dom_{opt}_adjdomain_true")
    r_sub = _ref(f"lonely_domain_subset_A_{opt}_adjdomain_true")
    close(by["estimate"], r_by["estimate"])
    close(by["se"], r_by["se"])
    close(sub["estimate"], r_sub["estimate"])
    close(sub["se"], r_sub["se"])


def test_lonely_fail_is_default():
    from trustsurvey.errors import DesignError

    with pytest.raises(DesignError, match="only one PSU"):
        design("dlonely")


# ---------------------------------------------------------------- replicate designs
@pytest.mark.parametrize(
    "key,dname,rtype,kw",
    [
        ("clus1_jk1", "dclus1", "JK1", {}),
        ("strat_jkn", "dstrat", "JKn", {}),
        ("strat_nofpc_jkn", "dstrat_nofpc", "JKn", {}),
        ("scd_brr", "scdnofpc", "BRR", {}),
        ("scd_fay", "scdnofpc", "BRR", {"fay_rho": 0.3}),
    ],
)
def test_replicate_generated(key, dname, rtype, kw):
    r = _ref(key)
    rep = design(dname).replicate(rtype, **kw)
    assert rep.n_replicates == r["n_replicates"]
    close(rep.scale, r["scale"])
    close(np.sort(rep.rscales), np.sort(r["rscales"]))
    # the replicate weights themselves, as R exported them (columns in any order)
    rw = extra_csv(r["weights_csv"]).to_numpy()
    ours = rep.replicate_weights().to_numpy()
    assert sorted(map(tuple, np.round(ours.T, 9))) == sorted(map(tuple, np.round(rw.T, 9)))
    _check_replicate_estimates(rep, r)


def _check_replicate_estimates(rep, r):
    if "mean_api00" in r:
        close(rep.mean("api00")["se"], r["mean_api00"]["se"])
        close(rep.total("enroll")["se"], r["total_enroll"]["se"])
    if "by_stype_mean_api00" in r:
        res = rep.mean("api00", by="stype")
        close(res["estimate"], r["by_stype_mean_api00"]["estimate"])
        close(res["se"], r["by_stype_mean_api00"]["se"])
    if "by_schwide_mean_api00" in r:
        res = rep.mean("api00", by="sch.wide")
        close(res["estimate"], r["by_schwide_mean_api00"]["estimate"])
        close(res["se"], r["by_schwide_mean_api00"]["se"])
    if "mean" in r:
        res = rep.mean(["alive", "arrests"])
        close(res["estimate"], r["mean"]["estimate"])
        close(res["se"], r["mean"]["se"])
        close(rep.total("alive")["se"], r["total_alive"]["se"])
        ratio = rep.ratio("alive", "arrests")
        close(ratio["estimate"], r["ratio_alive_arrests"]["estimate"])
        close(ratio["se"], r["ratio_alive_arrests"]["se"])


@pytest.mark.parametrize("key", ["clus1_bootstrap", "clus1_jk1", "strat_jkn", "scd_brr", "scd_fay"])
def test_replicate_from_exported_weights(key):
    r = _ref(key)
    rw = extra_csv(r["weights_csv"])
    dname = {"clus1": "dclus1", "strat": "dstrat", "scd": "scdnofpc"}[key.split("_")[0]]
    base = design(dname)
    w0 = pd.Series(base.weights.to_numpy(), name="w0")
    data = pd.concat([base.data.reset_index(drop=True), rw.add_prefix("rw_"), w0], axis=1)
    rep = SurveyDesign.from_replicate_weights(
        data,
        "w0",
        [f"rw_{c}" for c in rw.columns],
        type={"JK1": "JK1", "JKn": "JKn", "bootstrap": "bootstrap", "BRR": "BRR", "Fay": "Fay"}[
            r["type"]
        ],
        scale=r["scale"],
        rscales=r["rscales"],
        mse=r["mse"],
    )
    _check_replicate_estimates(rep, r)


def test_linearised_scd():
    r = _ref("scd_linearized")
    d = design("scdnofpc")
    res = d.mean(["alive", "arrests"])
    close(res["estimate"], r["mean"]["estimate"])
    close(res["se"], r["mean"]["se"])
    close(d.total("alive")["se"], r["total_alive"]["se"])
