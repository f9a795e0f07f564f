"""Worst-case bounds and the delta band against R on a stratified cluster sample.

Reference: tests/fixtures/r_mi/bounds_reference.json, made by tests/fixtures/r_mi/mi_combine.R:
the bounds are R's ``svymean`` of the answer filled with the scale's ends (1 and 5), the
delta band ``svycontrast(svymean(~ry + r), ry/r + (1 - r)*delta)``; the data are the first
set of tests/fixtures/r_mi/imputed.csv with the imputed answers set back to missing.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trustsurvey.analysis import delta_band, nonresponse_bounds
from trustsurvey.design import SurveyDesign

HERE = Path(__file__).parents[1] / "fixtures" / "r_mi"
R = json.loads((HERE / "bounds_reference.json").read_text())


def close(actual, expected) -> None:
    np.testing.assert_allclose(np.asarray(actual, float), np.asarray(expected, float), rtol=1e-6)


def design() -> SurveyDesign:
    stacked = pd.read_csv(HERE / "imputed.csv")
    d = stacked[stacked["imp"] == 1].reset_index(drop=True)
    d["y"] = d["y"].mask(d["y_missing"] == 1)
    return SurveyDesign(d, ids="psu", strata="stratum", weights="w")


def rows(by):
    out = nonresponse_bounds(design(), "y", low=1, high=5, by=by)
    band = delta_band(design(), "y", R["all"]["deltas"], low=1, high=5, by=by)
    if by is None:
        return out.iloc[0], band
    return out.set_index("stratum").loc[2], band[band["stratum"] == 2]


@pytest.mark.parametrize(("key", "by"), [("all", None), ("stratum2", "stratum")])
def test_bounds_and_their_ses_agree_with_r(key, by):
    r = R[key]
    row, _ = rows(by)
    for col in ("lower", "lower_se", "upper", "upper_se", "answered", "answered_se"):
        close(row[col], r[col])
    close(row["share_missing"], r["share_missing"])
    assert row["ci_low"] < row["lower"] < row["answered"] < row["upper"] < row["ci_high"]


@pytest.mark.parametrize(("key", "by"), [("all", None), ("stratum2", "stratum")])
def test_delta_band_agrees_with_r_svycontrast(key, by):
    r = R[key]
    _, band = rows(by)
    assert not band["clipped"].any()
    close(band["estimate"], r["band"])
    close(band["se"], r["band_se"])
