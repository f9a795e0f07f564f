"""SurveyDesign on the synthetic trust survey against tests/fixtures/trust/trust_reference.json.

Design as R: ``svydesign(ids=~psu, strata=~stratum, weights=~pw, nest=TRUE)``; the SPSS file is
read with the project's reader, which turns the declared user-missing codes 8/9 into NaN.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from conftest_design import FIX, close, trust_reference

from trustsurvey.design import SurveyDesign
from trustsurvey.io import read_survey

T = trust_reference()


@cache
def trust_design() -> SurveyDesign:
    data = read_survey(FIX / "trust" / "trust_two_waves.sav").analysis()
    return SurveyDesign(data, ids="psu", strata="stratum", weights="pw", nest=True)


def _by_arm_wave(res, ref):
    keys = list(zip(ref["pilot"], ref["wave"], strict=True))
    return res.loc[keys]


@pytest.mark.parametrize(
    "key,var", [("trust_by_arm_wave", "trust_police"), ("aware_by_arm_wave", "aware_officer")]
)
def test_means_by_arm_and_wave(key, var):
    ref = T[key]
    res = _by_arm_wave(trust_design().mean(var, by=["pilot", "wave"]), ref)
    close(res["estimate"], ref["estimate"])
    close(res["se"], ref["se"])


def test_user_missing_codes_are_missing():
    d = trust_design()
    assert not d.data["trust_police"].isin([8, 9]).any()
    res = d.mean("trust_police", by=["pilot", "wave"])
    assert res["n"].sum() == d.data["trust_police"].notna().sum()


def test_pj_index_by_arm_wave():
    d = trust_design()
    items = d.data[["pj_respect", "pj_fair", "pj_explain", "eff_response", "abuse_power"]].copy()
    items["abuse_power"] = 6 - items["abuse_power"]
    idx = items.mean(axis=1).where(items.notna().sum(axis=1) >= 4)
    ref = T["pj_index_by_arm_wave"]
    res = _by_arm_wave(d.with_columns(pj_index=idx).mean("pj_index", by=["pilot", "wave"]), ref)
    close(res["estimate"], ref["estimate"])
    close(res["se"], ref["se"])
    assert int(idx.notna().sum()) == T["pj_index_n_valid"]


def test_did():  # svyglm(trust_police ~ pilot * wave)
    ref = T["did"]
    fit = trust_design().glm("trust_police ~ pilot * wave")
    close(fit.loc["pilot:wave", "estimate"], ref["estimate"])
    close(fit.loc["pilot:wave", "se"], ref["se"])
    assert fit.loc["pilot:wave", "df"] == ref["df"]


def test_did_adjusted():
    ref = T["did_adjusted"]
    fit = trust_design().glm("trust_police ~ pilot * wave + C(sex) + C(agegrp) + C(settlement)")
    close(fit.loc["pilot:wave", "estimate"], ref["estimate"])
    close(fit.loc["pilot:wave", "se"], ref["se"])
    assert fit.loc["pilot:wave", "df"] == ref["df"]


def test_did_equals_contrast_of_domain_means():
    """The interaction is the difference-in-differences of the four weighted means."""
    d = trust_design()
    by = d.mean("trust_police", by=["pilot", "wave"], covmat=True)
    did = d.contrast(by, {(1.0, 2.0): 1, (1.0, 1.0): -1, (0.0, 2.0): -1, (0.0, 1.0): 1})
    close(did["estimate"], T["did"]["estimate"])
    # the glm's SE uses the same influence values, so they agree to rounding
    assert np.isclose(did["se"].iloc[0], T["did"]["se"], rtol=1e-6)
