"""``did_staggered`` against the Python ports of R's ``did`` and its published outputs.

Expected numbers: tests/fixtures/staggered/reference.json, written by
tests/fixtures/staggered/make_reference.py with ``csdid`` 0.4.3 and ``moderndid`` 0.2.0
(``att_gt(panel=False, bstrap=False)`` then ``aggte`` "simple", "group", "dynamic") on
R ``did``'s example data ``mpdta`` and on simulated repeated cross-sections with unequal
weights and clustering by community (``simulated_rc.csv``).

Standard errors. The ports' analytical SE is ``sqrt(sum_c S_c^2) / n`` with ``S_c`` the sum
of the influence function over cluster ``c`` (every row its own cluster without
``clustervars``). The design-based SE of ``SurveyDesign(ids=cluster)`` is the
with-replacement variance of the PSU totals, ``G/(G-1) sum_c (S_c/n - mean)^2``; the
influence functions sum to zero, so it is the ports' variance times ``G/(G-1)``
(``G`` = clusters, or rows without clustering). The tests compare
``se * sqrt((G-1)/G)`` with the ports' SE, for every estimator — the doubly robust one with
covariates included: its influence function equals the derivative of the estimate in each
weight (tests/unit/test_analysis_staggered.py), and csdid's agrees with it.

Aggregates of weighted data are checked against csdid only: moderndid 0.2.0 weights the
cohorts of weighted repeated cross-sections differently (overall effect of
``simulated_rc.csv`` 0.45552 against 0.45563 here and in csdid, which take the cohort shares
as R's ``aggte``: the weighted share of respondents in each cohort); its group-time
estimates agree.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trustsurvey.analysis.staggered import did_staggered
from trustsurvey.design import SurveyDesign

REL = 1e-6
HERE = Path(__file__).parent.parent / "fixtures" / "staggered"
REFERENCE = json.loads((HERE / "reference.json").read_text())
CASES = REFERENCE["cases"]


def _id(case: dict) -> str:
    cov = "+".join(case["covariates"]) or "1"
    return f"{case['data'][:-4]}-{case['method']}-{case['control']}-{cov}-{case['base_period']}"


@pytest.fixture(scope="module")
def data() -> dict[str, pd.DataFrame]:
    return {name: pd.read_csv(HERE / name) for name in ("mpdta.csv", "simulated_rc.csv")}


def fit(case: dict, frames: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, int]:
    df = frames[case["data"]]
    if case["cluster"]:
        design = SurveyDesign(df, ids=case["cluster"], weights=case["weights"])
        clusters = df[case["cluster"]].nunique()
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # no weights: equal weights, as the ports
            design = SurveyDesign(df)
        clusters = len(df)
    res = did_staggered(
        design,
        case["outcome"],
        cohort=case["cohort"],
        wave=case["wave"],
        covariates=case["covariates"] or None,
        method=case["method"],
        control="never" if case["control"] == "nevertreated" else "notyet",
        base_period=case["base_period"],
    )
    return res, clusters


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_point_estimates_match_both_ports(case, data):
    res, _ = fit(case, data)
    gt = res[res["type"] == "group_time"]
    ref = pd.DataFrame(case["csdid"]["group_time"])
    assert gt["cohort"].tolist() == ref["cohort"].tolist()
    assert [float(w) for w in gt["wave"]] == ref["wave"].tolist()
    np.testing.assert_allclose(gt["estimate"], ref["att"], rtol=REL)
    np.testing.assert_allclose(gt["estimate"], case["moderndid"]["att_gt"], rtol=REL)
    overall = res.loc[res["type"] == "overall", "estimate"].iloc[0]
    ports = ["csdid"] if case["weights"] else ["csdid", "moderndid"]
    for port in ports:
        assert overall == pytest.approx(case[port]["simple"]["overall_att"], rel=REL)
        np.testing.assert_allclose(
            res.loc[res["type"] == "cohort", "estimate"], case[port]["group"]["att_egt"], rtol=REL
        )
        np.testing.assert_allclose(
            res.loc[res["type"] == "event", "estimate"], case[port]["dynamic"]["att_egt"], rtol=REL
        )
    assert res.loc[res["type"] == "event", "event_time"].tolist() == case["csdid"]["dynamic"]["egt"]


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_standard_errors_match_csdid_analytical(case, data):
    res, clusters = fit(case, data)
    scale = np.sqrt((clusters - 1) / clusters)
    ref = pd.DataFrame(case["csdid"]["group_time"])
    np.testing.assert_allclose(
        res.loc[res["type"] == "group_time", "se"] * scale, ref["se"], rtol=REL
    )
    cs = case["csdid"]
    se = res.loc[res["type"] == "overall", "se"].iloc[0] * scale
    assert se == pytest.approx(cs["simple"]["overall_se"], rel=REL)
    np.testing.assert_allclose(
        res.loc[res["type"] == "cohort", "se"] * scale, cs["group"]["se_egt"], rtol=REL
    )
    np.testing.assert_allclose(
        res.loc[res["type"] == "event", "se"] * scale, cs["dynamic"]["se_egt"], rtol=REL
    )


def test_published_mpdta_outputs(data):
    """R ``did``'s documented results on ``mpdta`` (README and vignette "Getting Started
    with the did Package": ``att_gt(yname = "lemp", gname = "first.treat", idname =
    "countyreal", tname = "year", xformla = ~1, data = mpdta, est_method = "reg")``; with a
    balanced panel and no covariates the panel and repeated cross-section estimates are the
    same), printed to 4 decimals."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        design = SurveyDesign(data["mpdta.csv"])
    res = did_staggered(design, "lemp", cohort="first.treat", wave="year", method="reg")
    gt = res[res["type"] == "group_time"]["estimate"].round(4).tolist()
    assert gt == [
        -0.0105, -0.0704, -0.1373, -0.1008,
        0.0065, -0.0028, -0.0046, -0.0412,
        0.0305, -0.0027, -0.0311, -0.0261,
    ]  # fmt: skip
    overall = res.loc[res["type"] == "overall", "estimate"].iloc[0]
    assert round(overall, 4) == -0.0400  # aggte(type = "simple")
    event = res[res["type"] == "event"]
    assert event["event_time"].tolist() == [-3, -2, -1, 0, 1, 2, 3]
    assert event["estimate"].round(4).tolist() == [
        0.0305,
        -0.0006,
        -0.0245,
        -0.0199,
        -0.0510,
        -0.1373,
        -0.1008,
    ]  # aggte(type = "dynamic")
    post = event.loc[event["event_time"] >= 0, "estimate"].mean()
    assert round(post, 4) == -0.0772  # its overall summary
    cohort = res[res["type"] == "cohort"]
    assert cohort["estimate"].round(4).tolist() == [-0.0797, -0.0229, -0.0261]  # type="group"
    share = data["mpdta.csv"]["first.treat"].value_counts()
    w = cohort["cohort"].map(share)
    assert round(float((cohort["estimate"] * w).sum() / w.sum()), 3) == -0.031  # its summary
