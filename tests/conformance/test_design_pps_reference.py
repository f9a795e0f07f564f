"""PPS designs and svyvar against tests/fixtures/r_pps/pps_reference.json (R 4.2, survey 4.1.1).

``election_pps`` (R's ``data(election)``: 40 counties drawn with probability proportional to
votes, with their joint inclusion probabilities) under every ``svydesign(pps=)`` method, and
``drawn.csv``: a stratified two-stage sample drawn by :func:`trustsurvey.analysis.sampling.
draw_sample` (certainty settlements, unequal weights, a large design effect) declared with
Brewer's approximation. Relative 1e-6, SEs and covariances included.
"""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pandas as pd
import pytest
from conftest_design import FIX, close, design

from trustsurvey.design import SurveyDesign, vcov
from trustsurvey.design.pps import hartley_rao, ppsmat

PPS = FIX / "r_pps"


@cache
def ref() -> dict:
    return json.loads((PPS / "pps_reference.json").read_text())


@cache
def frame(name: str) -> pd.DataFrame:
    return pd.read_csv(PPS / name)


@cache
def joint() -> np.ndarray:
    return frame("election_jointprob.csv").to_numpy(dtype=float)


def pps_design(name: str):
    p2 = ref()["meta"]["p2_hartley_rao"]
    el = frame("election_pps.csv")
    drawn = frame("drawn.csv")
    designs = {
        "el_brewer": lambda: SurveyDesign(el, fpc="p", pps="brewer"),
        "el_overton": lambda: SurveyDesign(el, fpc="p", pps="overton"),
        "el_hr": lambda: SurveyDesign(el, fpc="p", pps=hartley_rao(p2)),
        "el_hr1": lambda: SurveyDesign(el, fpc="p", pps="hartley-rao"),
        "el_ht": lambda: SurveyDesign(el, fpc="p", pps=ppsmat(joint())),
        "el_yg": lambda: SurveyDesign(el, fpc="p", pps=ppsmat(joint()), variance="YG"),
        "el_hryg": lambda: SurveyDesign(el, fpc="p", pps=hartley_rao(p2), variance="YG"),
        "drawn": lambda: SurveyDesign(
            drawn,
            ids=["settlement_id", "hh"],
            strata="region",
            fpc=["pi1", "pi2"],
            weights="weight",
            pps="brewer",
        ),
        "drawn_ov": lambda: SurveyDesign(
            drawn, ids="settlement_id", strata="region", fpc="pi1", pps="overton"
        ),
        "drawn_hr1": lambda: SurveyDesign(
            drawn, ids="settlement_id", strata="region", fpc="pi1", pps="hartley-rao"
        ),
        "drawn_hr": lambda: SurveyDesign(
            drawn,
            ids="settlement_id",
            strata="region",
            fpc="pi1",
            pps=hartley_rao({"north": 0.21, "south": 0.17, "west": 0.33}),
        ),
        "dsurv": lambda: SurveyDesign(frame("survival.csv"), ids="clus", strata="str", weights="w"),
        "dclus1": lambda: design("dclus1"),
        "dclus1_jk1": lambda: design("dclus1").replicate("JK1"),
        "dstrat_jkn": lambda: design("dstrat_nofpc").replicate("JKn"),
    }
    return designs[name]()


EL = ["el_brewer", "el_overton", "el_hr", "el_hr1", "el_ht", "el_yg", "el_hryg"]
DRAWN = ["drawn", "drawn_ov", "drawn_hr1", "drawn_hr"]


def _check(res, r, *, cov=True):
    close(res["estimate"], r["estimate"])
    close(res["se"], r["se"])
    if cov:
        close(vcov(res).to_numpy().ravel(order="F"), r["vcov"])


@pytest.mark.parametrize("d", EL)
def test_election_total_mean_ratio(d):
    x = pps_design(d)
    _check(x.total(["Bush", "Kerry", "Nader"], covmat=True), ref()[f"{d}_total"])
    _check(x.mean(["share", "lv"], covmat=True), ref()[f"{d}_mean"])
    _check(x.ratio("Bush", "votes"), ref()[f"{d}_ratio"], cov=False)


@pytest.mark.parametrize("d", EL)
def test_election_domains_glm_svyvar(d):
    x = pps_design(d)
    r = ref()[f"{d}_by_big"]
    res = x.total("Bush", by="big")
    assert list(res.index) == r["names"]
    _check(res, r, cov=False)
    _check(x.glm("share ~ lv"), ref()[f"{d}_glm"])
    _check(x.var(["share", "lv"]), ref()[f"{d}_svyvar"])


@pytest.mark.parametrize("d", DRAWN)
def test_drawn_sample(d):
    """The sampler's own draw, declared as drawn: Brewer over two stages (certainty
    settlements included) and the joint-probability approximations at the first stage."""
    x = pps_design(d)
    _check(x.mean(["y", "x"], covmat=True), ref()[f"{d}_mean"])
    _check(x.total("z"), ref()[f"{d}_total"], cov=False)
    _check(x.ratio("y", "x"), ref()[f"{d}_ratio"], cov=False)
    _check(x.glm("z ~ x", family="binomial"), ref()[f"{d}_glm_logit"])
    _check(x.var(["y", "x"]), ref()[f"{d}_svyvar"])


def test_drawn_domains_quantile_proportion():
    x = pps_design("drawn")
    _check(x.mean("y", by="grp"), ref()["drawn_by_grp"], cov=False)
    r = ref()["drawn_quantile"]
    q = x.quantile("y", q=r["probs"])
    for col in ("estimate", "ci_low", "ci_high", "se"):
        close(q[col], r[col])
    r = ref()["drawn_ciprop_logit"]
    row = x.proportion("z", method="logit").loc[1]
    close(row["estimate"], r["estimate"])
    close(row["se"], r["se"])
    close([row["ci_low"], row["ci_high"]], r["ci"])
    assert x.degf == ref()["drawn_degf"]["estimate"]


def test_drawn_design_effect_is_large():
    """The fixture exercises what the brief asks: unequal weights and a large design effect."""
    x = pps_design("drawn")
    w = x.full_weights
    assert w.max() / w.min() > 10
    assert float(x.mean("y", deff="replace")["deff"].iloc[0]) > 4


@pytest.mark.parametrize("d", ["dclus1", "dclus1_jk1", "dstrat_jkn", "dsurv"])
def test_svyvar(d):
    cols = ["time", "w"] if d == "dsurv" else ["api00", "enroll"]
    res = pps_design(d).var(cols)
    assert list(res.index) == [(a, b) for b in cols for a in cols]
    _check(res, ref()[f"{d}_svyvar"])


@pytest.mark.parametrize("d", ["dclus1", "dclus1_jk1"])
def test_svyvar_one_and_subset(d):
    x = pps_design(d)
    _check(x.var("api00"), ref()[f"{d}_svyvar_one"])
    sub = x.subset(x.data["stype"] == "E")
    _check(sub.var(["api00", "enroll"]), ref()[f"{d}_svyvar_subset_E"])


@pytest.mark.parametrize("d", ["dclus1", "dclus1_jk1"])
def test_svyvar_by(d):
    r = ref()[f"{d}_svyvar_by_stype"]
    res = pps_design(d).var("api00", by="stype")
    assert [k[0] for k in res.index] == r["names"]
    _check(res, r, cov=False)


# ---------------------------------------------------------------- svykm
def _km_at_event_times(r_group: dict, times) -> tuple[np.ndarray, np.ndarray | None]:
    """R's values at each event time: the last entry of tied times (``confint.svykm``)."""
    rt = np.asarray(r_group["time"], dtype=float)
    idx = [np.flatnonzero(rt == t)[-1] for t in times]
    surv = np.asarray(r_group["surv"])[idx]
    varlog = np.asarray(r_group["varlog"])[idx] if "varlog" in r_group else None
    return surv, varlog


@pytest.mark.parametrize(
    "key,d,time,status,by",
    [
        ("dsurv_km_se", "dsurv", "time", "status", None),
        ("dsurv_km_grp_se", "dsurv", "time", "status", "grp"),
        ("drawn_km_se", "drawn", "y", "z", "grp"),
    ],
)
def test_svykm_se(key, d, time, status, by):
    from trustsurvey.design import kaplan_meier

    r = ref()[key]["groups"]
    km = kaplan_meier(pps_design(d), time, status, by=by)
    for g, rg in r.items():
        sub = km if by is None else km[km[by] == g]
        surv, varlog = _km_at_event_times(rg, sub["time"])
        assert len(sub) == len(rg["ci_time"])
        close(sub["time"], rg["ci_time"])
        close(sub["survival"], surv)
        close(sub["se_log"] ** 2, varlog)
        close(sub["se"], surv * np.sqrt(varlog))
        close(sub["ci_low"], rg["ci_low"])
        close(sub["ci_high"], rg["ci_high"])


def test_svykm_product_limit():
    from trustsurvey.design import kaplan_meier

    r = ref()["dsurv_km_grp"]["groups"]
    km = kaplan_meier(pps_design("dsurv"), "time", "status", by="grp", se=False)
    for g, rg in r.items():
        sub = km[km["grp"] == g]
        surv, _ = _km_at_event_times(rg, sub["time"])
        close(sub["survival"], surv)
        assert sub["se"].isna().all()


def test_drawn_calibrated():
    """GREG calibration of a Brewer design: the residuals go through the same PPS engine."""
    n, south, west, adults = ref()["drawn_cal_pop"]["estimate"]
    totals = {"region": {"north": n - south - west, "south": south, "west": west}}
    x = pps_design("drawn").calibrate({**totals, "adults": adults})
    _check(x.mean(["y", "x"], covmat=True), ref()["drawn_cal_mean"])
    _check(x.mean("y", by="grp"), ref()["drawn_cal_by_grp"], cov=False)


def test_drawn_ttest_chisq():
    x = pps_design("drawn")
    r = ref()["drawn_ttest"]
    res = x.ttest("y", group="grp")
    close(res["difference"], r["difference"])
    close(res["t"], r["t"])
    close(res["df"], r["df"])
    close(res["p"], r["p"])
    close(res[["ci_low", "ci_high"]].to_numpy(), r["ci"])
    r = ref()["drawn_chisq_F"]
    res = x.chisq("z", "grp")
    close(res["F"], r["statistic"])
    close(res["ndf"], r["ndf"])
    close(res["ddf"], r["ddf"])
    close(res["p"], r["p"])


@pytest.mark.parametrize("lonely", ["adjust", "average", "certainty", "remove"])
def test_drawn_lonely_settlement(lonely):
    """One settlement alone in its stratum, under each of R's lonely-PSU rules."""
    drawn = frame("drawn.csv")
    alone = ref()["drawn_lonely_settlement"]["estimate"]
    df = drawn.assign(region=np.where(drawn["settlement_id"] == alone, "alone", drawn["region"]))
    x = SurveyDesign(
        df,
        ids=["settlement_id", "hh"],
        strata="region",
        fpc=["pi1", "pi2"],
        weights="weight",
        pps="brewer",
        lonely_psu=lonely,
    )
    _check(x.mean(["y", "x"], covmat=True), ref()[f"drawn_lonely_{lonely}"])
