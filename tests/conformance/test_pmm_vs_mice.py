"""Predictive mean matching behaves as R's ``mice`` (``method = "pmm"``) on the same data.

The random draws differ, so the comparison is statistical: over 200 imputations of the
incomplete data of tests/fixtures/r_mi (x complete, 95 of 640 answers of y missing), the
pooled mean of y, the between-imputation variance and the share of imputed values at each
answer agree with ``tests/fixtures/r_mi/mice_pmm.json`` (made by ``mice_pmm.R``, mice 3.15)
within Monte-Carlo error. With no strata, equal weights and ``cluster=None`` the imputation
model is mice's: y on an intercept and x.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from trustsurvey.analysis import impute
from trustsurvey.design import SurveyDesign

HERE = Path(__file__).parents[1] / "fixtures" / "r_mi"
R = json.loads((HERE / "mice_pmm.json").read_text())


def test_pmm_agrees_with_mice_in_distribution():
    stacked = pd.read_csv(HERE / "imputed.csv")
    d = stacked[stacked["imp"] == 1].reset_index(drop=True)
    d["y"] = d["y"].mask(d["y_missing"] == 1)
    d["one"] = 1.0
    assert int(d["y"].isna().sum()) == R["n_missing"]
    imp = impute(
        SurveyDesign(d, weights="one"), "y", predictors=["x"], m=R["m"], cluster=None, seed=5
    )
    means = np.array([imp.completed(i)["y"].mean() for i in range(imp.m)])
    between = means.var(ddof=1)
    mc = np.sqrt(between / imp.m + R["between"] / R["m"])
    assert abs(means.mean() - R["pooled_mean"]) < 4 * mc
    assert 0.7 < between / R["between"] < 1.4
    missing = d["y"].isna().to_numpy()
    drawn = np.concatenate([imp.completed(i)["y"].to_numpy()[missing] for i in range(imp.m)])
    shares = [float(np.mean(drawn == k)) for k in range(1, 6)]
    np.testing.assert_allclose(shares, R["imputed_shares"], atol=0.03)
