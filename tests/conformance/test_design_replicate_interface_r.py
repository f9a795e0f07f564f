"""ReplicateDesign's chisq, ttest and weighting against R (survey 4.1.1).

Reference: tests/fixtures/r_replicate/replicate_reference.json, made by
tests/fixtures/r_replicate/replicate_interface.R (``svychisq``, ``svyttest``, ``calibrate``,
``postStratify`` and ``rake`` on ``as.svrepdesign`` JK1 and JKn designs).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest_design import close, design

R = json.loads(
    (
        Path(__file__).parents[1] / "fixtures" / "r_replicate" / "replicate_reference.json"
    ).read_text()
)
POP = R["populations"]
STYPE = dict(zip(POP["stype_levels"], POP["stype"], strict=True))
SCHWIDE = dict(zip(POP["schwide_levels"], POP["schwide"], strict=True))
TOTALS = {"stype": STYPE, "api99": POP["api99_total"]}


def rep(name: str):
    return design("dclus1").replicate("JK1") if name == "jk1" else design("dstrat").replicate("JKn")


@pytest.mark.parametrize("name", ["jk1", "jkn"])
def test_degf(name):
    assert rep(name).degf == R[f"{name}_degf"]["value"]


@pytest.mark.parametrize("name", ["jk1", "jkn"])
@pytest.mark.parametrize("stat", ["F", "Chisq", "Wald", "adjWald"])
def test_chisq(name, stat):
    r = R[f"{name}_chisq_{stat}"]
    res = rep(name).chisq("sch.wide", "stype", statistic=stat)
    if stat == "Chisq":
        close(res["X2"], r["statistic"])
        close(res["df"], r["ndf"])
    else:
        close(res["F"], r["statistic"])
        close(res["ndf"], r["ndf"])
        close(res["ddf"], r["ddf"])
    close(res["p"], r["p"])


@pytest.mark.parametrize("name", ["jk1", "jkn"])
def test_ttest(name):
    r = R[f"{name}_ttest"]
    res = rep(name).ttest("api00", group="sch.wide", level=0.95)
    close(res["difference"], r["difference"])
    close(res["t"], r["t"])
    close(res["df"], r["df"])
    close(res["p"], r["p"])
    close(res[["ci_low", "ci_high"]].to_numpy(), r["ci"])


@pytest.mark.parametrize("name", ["jk1", "jkn"])
@pytest.mark.parametrize(
    "key,make",
    [
        ("calibrate_linear", lambda d: d.calibrate(TOTALS)),
        ("calibrate_raking", lambda d: d.calibrate(TOTALS, method="raking")),
        ("poststratify", lambda d: d.poststratify({"stype": STYPE})),
        ("rake", lambda d: d.rake({"stype": STYPE, "sch.wide": SCHWIDE}, tol=1e-13)),
    ],
)
def test_weighting(name, key, make):
    r = R[f"{name}_{key}"]
    res = make(rep(name)).mean(["api00", "enroll"])
    close(res["estimate"], r["estimate"])
    close(res["se"], r["se"])


@pytest.mark.parametrize("name", ["jk1", "jkn"])
def test_calibrated_total(name):
    r = R[f"{name}_calibrate_total"]
    res = rep(name).calibrate(TOTALS).total("enroll")
    close(res["estimate"], r["estimate"])
    close(res["se"], r["se"])
