"""Designs of R's reference calls, shared by the design conformance tests.

Each design mirrors the R call named in tests/fixtures/r_survey/README (oracle.R) and
tests/fixtures/r_extra/README.md; data are the CSV copies in tests/fixtures.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from trustsurvey.design import SurveyDesign

FIX = Path(__file__).resolve().parents[1] / "fixtures"


@cache
def api(name: str) -> pd.DataFrame:
    return pd.read_csv(FIX / "r_survey" / f"{name}.csv")


@cache
def extra_csv(name: str) -> pd.DataFrame:
    return pd.read_csv(FIX / "r_extra" / name)


@cache
def extra_reference() -> dict:
    return json.loads((FIX / "r_extra" / "extra_reference.json").read_text())


@cache
def api_reference() -> dict:
    return json.loads((FIX / "r_survey" / "api_reference.json").read_text())


@cache
def design_reference() -> dict:
    return json.loads((FIX / "r_design" / "design_reference.json").read_text())


@cache
def trust_reference() -> dict:
    return json.loads((FIX / "trust" / "trust_reference.json").read_text())


def design(name: str, **kw) -> SurveyDesign:
    """The reference designs by their README names."""
    if name == "dstrat":
        return SurveyDesign(
            api("apistrat"), ids=None, strata="stype", weights="pw", fpc="fpc", **kw
        )
    if name == "dstrat_nofpc":
        return SurveyDesign(api("apistrat"), ids=None, strata="stype", weights="pw", **kw)
    if name == "dclus1":
        return SurveyDesign(api("apiclus1"), ids="dnum", weights="pw", fpc="fpc", **kw)
    if name == "dclus1_nofpc":
        return SurveyDesign(api("apiclus1"), ids="dnum", weights="pw", **kw)
    if name == "dclus2":
        return SurveyDesign(api("apiclus2"), ids=["dnum", "snum"], fpc=["fpc1", "fpc2"], **kw)
    if name == "dlonely":
        return SurveyDesign(extra_csv("lonely_strat.csv"), strata="stype", weights="pw", **kw)
    if name == "dlonely_cl":
        return SurveyDesign(
            extra_csv("lonely_clus.csv"), ids="dnum", strata="stype", weights="pw", nest=True, **kw
        )
    if name == "dstrat_nofpc_lonelydata":
        lonely = extra_csv("lonely_strat.csv")
        return SurveyDesign(lonely[lonely["stype"] != "H"], strata="stype", weights="pw", **kw)
    if name == "scdnofpc":
        scd = extra_csv("scd.csv")
        # prob = ~1: every selection probability is 1
        return SurveyDesign(
            scd.assign(p=1.0), ids="ambulance", strata="ESA", probs="p", nest=True, **kw
        )
    raise KeyError(name)


def close(actual, expected, rtol: float = 1e-6) -> None:
    """Agreement to a relative 1e-6 (R's NA/NaN recorded as null match NaN)."""
    exp = np.array([np.nan if v is None else v for v in np.atleast_1d(expected)], dtype=float)
    np.testing.assert_allclose(np.asarray(actual, dtype=float).ravel(), exp, rtol=rtol, atol=0)
