"""DiD, comparisons and the ordinal model against R's survey package.

Expected numbers:
* ``did``, ``did_adjusted`` in tests/fixtures/trust/trust_reference.json (R 4.2, survey 4.1,
  ``svyglm(trust_police ~ pilot*wave [+ factor(sex) + factor(agegrp) + factor(settlement)])``);
* tests/fixtures/r_analysis/analysis_reference.json, written by
  tests/fixtures/r_analysis/analysis_oracle.R (same R): ``svyolr``, ``svyby`` +
  ``svycontrast``, ``svychisq`` with code 8 kept, the DiD with PSUs crossing waves and the
  standardised mean difference by ``svycontrast``.
Design (R): ``svydesign(ids=~psu, strata=~stratum, weights=~pw, nest=TRUE)``.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from trustsurvey import did
from trustsurvey.analysis import (
    compare_means,
    likert_distribution,
    likert_tests,
    proportional_odds,
    standardized_difference,
)
from trustsurvey.design import SurveyDesign
from trustsurvey.design.metadata import result_info
from trustsurvey.io import read_survey

REL = 1e-6
DESIGN = {"ids": "psu", "strata": "stratum", "weights": "pw", "nest": True}


@pytest.fixture(scope="module")
def r_ref(fixtures_dir) -> dict:
    return json.loads((fixtures_dir / "r_analysis" / "analysis_reference.json").read_text())


@pytest.fixture(scope="module")
def trust(fixtures_dir) -> pd.DataFrame:
    return read_survey(fixtures_dir / "trust" / "trust_two_waves.sav").analysis()


@pytest.fixture(scope="module")
def design(trust) -> SurveyDesign:
    return SurveyDesign(trust, **DESIGN)


@pytest.fixture(scope="module")
def design_keep8(fixtures_dir) -> SurveyDesign:
    data = read_survey(fixtures_dir / "trust" / "trust_two_waves.sav").analysis(
        keep={"trust_police": [8]}
    )
    return SurveyDesign(data, **DESIGN)


def test_did_matches_r(design, trust_reference):
    res = did(design, "trust_police")
    ref = trust_reference["did"]
    assert res.loc[0, "term"] == "did"
    assert res.loc[0, "estimate"] == pytest.approx(ref["estimate"], rel=REL)
    assert res.loc[0, "se"] == pytest.approx(ref["se"], rel=REL)
    assert res.loc[0, "df"] == ref["df"]


def test_did_adjusted_matches_r(design, trust_reference):
    res = did(
        design,
        "trust_police",
        covariates=["sex", "agegrp", "settlement"],
        categorical=["sex", "agegrp", "settlement"],
    )
    ref = trust_reference["did_adjusted"]
    assert res.loc[0, "estimate"] == pytest.approx(ref["estimate"], rel=REL)
    assert res.loc[0, "se"] == pytest.approx(ref["se"], rel=REL)
    assert res.loc[0, "df"] == ref["df"]
    # C(x) spelling gives the same model
    res2 = did(design, "trust_police", covariates=["C(sex)", "C(agegrp)", "C(settlement)"])
    assert res2.loc[0, "estimate"] == pytest.approx(ref["estimate"], rel=REL)


def test_did_cells_match_r_domain_means(design, trust_reference):
    cells = result_info(did(design, "trust_police"))["cells"].set_index(["pilot", "wave"])
    ref = trust_reference["trust_by_arm_wave"]  # svyby(~trust_police, ~pilot+wave, svymean)
    for p, w, est, se in zip(ref["pilot"], ref["wave"], ref["estimate"], ref["se"], strict=True):
        assert cells.loc[(p, float(w)), "estimate"] == pytest.approx(est, rel=REL)
        assert cells.loc[(p, float(w)), "se"] == pytest.approx(se, rel=REL)
    c = cells.reset_index().set_index(["pilot", "post"])["estimate"]
    diff = (c[(1, 1)] - c[(1, 0)]) - (c[(0, 1)] - c[(0, 0)])
    assert diff == pytest.approx(trust_reference["did"]["estimate"], rel=REL)


def test_did_with_psu_crossing_waves_matches_r(trust, r_ref):
    data = trust.assign(site=trust["psu"] % 10000)
    crossed = SurveyDesign(data, ids="site", strata="raion", weights="pw", nest=True)
    res = did(crossed, "trust_police")
    ref = r_ref["did_crossed"]
    assert res.loc[0, "estimate"] == pytest.approx(ref["estimate"], rel=REL)
    assert res.loc[0, "se"] == pytest.approx(ref["se"], rel=REL)
    assert res.loc[0, "df"] == ref["df"]


@pytest.mark.parametrize(
    ("key", "formula"),
    [
        ("olr_trust", "trust_police ~ pilot * wave"),
        ("olr_trust_sex", "trust_police ~ pilot * wave + C(sex)"),
    ],
)
def test_ordinal_matches_svyolr_trust(design, r_ref, key, formula):
    fit = proportional_odds(design, formula)
    ref = r_ref[key]
    np.testing.assert_allclose(fit["estimate"], ref["estimate"], rtol=REL)
    np.testing.assert_allclose(fit["se"], ref["se"], rtol=REL)
    assert fit["df"].iloc[0] == ref["df"]
    assert fit["term"].tolist()[-4:] == ref["terms"][-4:]


def test_ordinal_matches_svyolr_api(fixtures_dir, r_ref):
    api = pd.read_csv(fixtures_dir / "r_survey" / "apiclus1.csv")
    # R: cut(meals, c(0, 25, 50, 75, 100)), right-closed, 0 -> NA
    api["mealcat"] = pd.cut(api["meals"], [0, 25, 50, 75, 100]).cat.codes.replace(-1, np.nan)
    d = SurveyDesign(api, ids="dnum", weights="pw", fpc="fpc")
    fit = proportional_odds(d, "mealcat ~ avg.ed + mobility + C(stype)")
    ref = r_ref["olr_api"]
    np.testing.assert_allclose(fit["estimate"], ref["estimate"], rtol=REL)
    np.testing.assert_allclose(fit["se"], ref["se"], rtol=REL)
    assert fit["df"].iloc[0] == ref["df"]


def test_pilot_control_difference_matches_svycontrast(design, r_ref):
    res = compare_means(design, "trust_police").set_index("wave")
    for wave, key in ((1.0, "diff_wave1"), (2.0, "diff_wave2")):
        assert res.loc[wave, "difference"] == pytest.approx(r_ref[key]["estimate"], rel=REL)
        assert res.loc[wave, "se"] == pytest.approx(r_ref[key]["se"], rel=REL)


def test_smd_matches_svycontrast_delta_method(design, r_ref):
    res = standardized_difference(design, "trust_police").set_index("wave")
    assert res.loc[2.0, "smd"] == pytest.approx(r_ref["smd_wave2"]["estimate"], rel=REL)
    assert res.loc[2.0, "se"] == pytest.approx(r_ref["smd_wave2"]["se"], rel=REL)


def test_rao_scott_with_dont_know_kept_matches_svychisq(design_keep8, r_ref):
    res = likert_tests(design_keep8, "trust_police").set_index("wave")
    for wave, key in ((1.0, "chisq_keep8_wave1"), (2.0, "chisq_keep8_wave2")):
        for col in ("F", "ndf", "ddf", "p"):
            assert res.loc[wave, col] == pytest.approx(r_ref[key][col], rel=REL), col


def test_likert_distribution_with_dont_know_matches_svyby(design_keep8, r_ref):
    ref = r_ref["dist_keep8"]
    dist = likert_distribution(design_keep8, "trust_police", by=["pilot", "wave"])
    cats = [1.0, 2.0, 3.0, 4.0, 5.0, 8.0]
    cells = [(0.0, 1.0), (1.0, 1.0), (0.0, 2.0), (1.0, 2.0)]  # R's row order "pilot.wave"
    est = np.array(ref["estimate"]).reshape(len(cats), len(cells))  # column-major matrix
    se = np.array(ref["se"]).reshape(len(cats), len(cells))
    table = dist.set_index(["pilot", "wave", "category"])
    for j, (p, w) in enumerate(cells):
        for i, c in enumerate(cats):
            assert table.loc[(p, w, c), "estimate"] == pytest.approx(est[i, j], rel=REL)
            assert table.loc[(p, w, c), "se"] == pytest.approx(se[i, j], rel=REL)
    assert dist.loc[dist["category"] == 8.0, "dont_know"].all()
