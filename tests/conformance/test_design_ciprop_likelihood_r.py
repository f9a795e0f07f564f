"""``proportion(method="likelihood")`` against R's ``svyciprop(method="likelihood")`` with
unequal weights (apistrat) and a large logit design effect (lambda about 19, clustered).

Reference: tests/fixtures/r_likelihood/ciprop_likelihood.json, made by
tests/fixtures/r_likelihood/ciprop_likelihood.R (R survey 4.1.1), which also wrote the
simulated tests/fixtures/r_likelihood/clustered.csv.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest_design import close, design

from trustsurvey.design import SurveyDesign

HERE = Path(__file__).parents[1] / "fixtures" / "r_likelihood"
R = json.loads((HERE / "ciprop_likelihood.json").read_text())


def clustered() -> SurveyDesign:
    data = pd.read_csv(HERE / "clustered.csv")
    return SurveyDesign(data, ids="psu", strata="stratum", weights="w")


CASES = {
    "strat_schwide": (lambda: design("dstrat"), "sch.wide", "Yes", 0.95),
    "strat_awards": (lambda: design("dstrat"), "awards", "Yes", 0.95),
    "strat_awards_90": (lambda: design("dstrat"), "awards", "Yes", 0.90),
    "clustered_y": (clustered, "y", 1, 0.95),
    "clustered_y_99": (clustered, "y", 1, 0.99),
}


@pytest.mark.parametrize("key", sorted(CASES))
def test_likelihood_interval(key):
    make, item, level_value, level = CASES[key]
    r = R[key]
    row = make().proportion(item, method="likelihood", level=level).loc[level_value]
    close(row["estimate"], r["estimate"])
    close(row["se"], r["se"])
    assert np.isfinite([row["ci_low"], row["ci_high"]]).all()
    close([row["ci_low"], row["ci_high"]], r["ci"])


def test_the_cases_cover_unequal_weights_and_a_large_design_effect():
    assert design("dstrat").weights.nunique() > 1
    assert clustered().weights.nunique() > 100
    assert R["clustered_y"]["lambda"] > 16
