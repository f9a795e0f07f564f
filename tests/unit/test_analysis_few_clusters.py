"""Wild cluster bootstrap (WCR) and randomisation inference for few treated communities."""

from __future__ import annotations

import doctest
import importlib
import itertools
import math

import numpy as np
import pandas as pd
import pytest

from trustsurvey import did
from trustsurvey.analysis.few_clusters import (
    _did_pieces,
    _Wls,
    bootstrap_weights,
    randomisation_inference,
    wild_bootstrap_did,
    wild_bootstrap_staggered,
)
from trustsurvey.analysis.staggered import did_staggered
from trustsurvey.design import SurveyDesign
from trustsurvey.errors import AnalysisError


def survey(n_com: int = 9, n_treated: int = 3, seed: int = 0, effect: float = 0.3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    size = rng.integers(15, 40, n_com)
    com = np.repeat(np.arange(n_com), size)
    pilot = (com < n_treated).astype(float)
    wave = rng.integers(1, 3, com.size)
    x = rng.normal(size=com.size)
    y = 0.4 * x + rng.normal(0, 0.5, n_com)[com] + effect * pilot * (wave == 2)
    y = y + rng.normal(size=com.size)
    return pd.DataFrame(
        {"com": com, "pilot": pilot, "wave": wave, "x": x, "y": y, "w": rng.uniform(1, 3, com.size)}
    )


def brute_force_t(x, y, w, codes, a, theta0, v):
    """Literal WCR: restricted fit, y* per draw, WLS refit, cluster-robust t."""
    g = codes.max() + 1
    xtx = (x * w[:, None]).T @ x
    ainv = np.linalg.inv(xtx)
    beta = ainv @ (x * w[:, None]).T @ y
    q = ainv @ a
    beta_r = beta - q * (a @ beta - theta0) / (a @ q)
    u = y - x @ beta_r
    out = []
    for row in v:
        ystar = x @ beta_r + row[codes] * u
        bstar = ainv @ (x * w[:, None]).T @ ystar
        res = ystar - x @ bstar
        scores = np.zeros(g)
        np.add.at(scores, codes, (x * (w * res)[:, None]) @ q)
        out.append((a @ bstar - theta0) / np.sqrt(g / (g - 1) * np.sum(scores**2)))
    return np.array(out)


@pytest.mark.parametrize("kind", ["rademacher", "webb"])
def test_fast_wcr_equals_the_literal_bootstrap(kind):
    df = survey(seed=1)
    d = SurveyDesign(df, ids="com", weights="w")
    x, y, w, _, _ = _did_pieces(d, "y", "pilot", "wave", ["x"], None, None)
    codes = df["com"].to_numpy()
    a = np.zeros(x.shape[1])
    a[3] = 1.0
    fit = _Wls.fit(x, y, w / w.mean(), codes, a)
    rng = np.random.default_rng(2)
    v = rng.choice([-1.0, 1.0] if kind == "rademacher" else [-1.2, -1, -0.7, 0.7, 1, 1.2], (25, 9))
    for theta0 in (0.0, 0.4):
        _, fast = fit.boot_t(theta0, v)
        np.testing.assert_allclose(
            fast, brute_force_t(x, y, w / w.mean(), codes, a, theta0, v), rtol=1e-9
        )


def test_estimate_and_se_are_the_design_based_did():
    df = survey(seed=3)
    d = SurveyDesign(df, ids="com", weights="w")
    res = wild_bootstrap_did(d, "y", covariates=["x"], reps=999)
    ref = did(d, "y", covariates=["x"])
    assert res["estimate"].iloc[0] == pytest.approx(ref["estimate"].iloc[0], rel=1e-10)
    assert res["se"].iloc[0] == pytest.approx(ref["se"].iloc[0], rel=1e-8)
    assert res["clusters"].iloc[0] == 9 and res["treated_clusters"].iloc[0] == 3


def test_enumeration_and_interval_inversion():
    df = survey(seed=4)
    d = SurveyDesign(df, ids="com", weights="w")
    res = wild_bootstrap_did(d, "y", cluster="com", reps=9999).iloc[0]
    assert bool(res["enumerated"]) and res["reps"] == 2**9
    assert (res["p"] * 2**9) == pytest.approx(round(res["p"] * 2**9))
    assert res["ci_low"] < res["estimate"] < res["ci_high"]
    span = res["ci_high"] - res["ci_low"]
    for bound, sign in ((res["ci_low"], -1), (res["ci_high"], 1)):
        inside = wild_bootstrap_did(d, "y", cluster="com", theta0=bound - sign * 1e-4 * span)
        outside = wild_bootstrap_did(d, "y", cluster="com", theta0=bound + sign * 1e-4 * span)
        assert inside["p"].iloc[0] >= 0.05 > outside["p"].iloc[0]


def test_webb_draws_are_seeded():
    d = SurveyDesign(survey(seed=5, n_com=14), ids="com", weights="w")
    a = wild_bootstrap_did(d, "y", weights="webb", reps=499, seed=7)
    b = wild_bootstrap_did(d, "y", weights="webb", reps=499, seed=7)
    c = wild_bootstrap_did(d, "y", weights="webb", reps=499, seed=8)
    assert not bool(a["enumerated"].iloc[0])
    pd.testing.assert_frame_equal(a, b)
    assert a["p"].iloc[0] != c["p"].iloc[0] or a["ci_low"].iloc[0] != c["ci_low"].iloc[0]
    w, _ = bootstrap_weights(5, 100000, "webb", 1)
    assert w.mean() == pytest.approx(0, abs=0.01) and (w**2).mean() == pytest.approx(1, abs=0.01)


def staggered_survey(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    cohorts = [0, 0, 0, 2, 2, 3, 3, 0]
    for c, first in enumerate(cohorts):
        for wave in (1, 2, 3):
            for _ in range(int(rng.integers(10, 25))):
                eff = 0.4 if first and wave >= first else 0.0
                rows.append(
                    {
                        "com": c,
                        "wave": wave,
                        "first": first,
                        "w": rng.uniform(1, 2),
                        "y": rng.normal() + eff + 0.2 * wave,
                    }
                )
    return pd.DataFrame(rows)


def test_staggered_wcr_tests_did_staggered_overall_effect():
    df = staggered_survey()
    d = SurveyDesign(df, ids="com", weights="w")
    res = wild_bootstrap_staggered(d, "y", cohort="first", wave="wave", reps=9999)
    ref = did_staggered(d, "y", cohort="first", wave="wave")
    overall = ref.loc[ref["type"] == "overall", "estimate"].iloc[0]
    assert res["estimate"].iloc[0] == pytest.approx(overall, rel=1e-10)
    assert bool(res["enumerated"].iloc[0]) and res["reps"].iloc[0] == 2**8
    assert res["treated_clusters"].iloc[0] == 4
    assert res["ci_low"].iloc[0] < overall < res["ci_high"].iloc[0]


def test_randomisation_inference_enumerates_assignments():
    df = survey(n_com=8, n_treated=3, seed=6, effect=5.0)
    d = SurveyDesign(df, ids="com", weights="w")
    res = randomisation_inference(d, "y", community="com", treated="pilot").iloc[0]
    assert bool(res["exact"]) and res["assignments"] == math.comb(8, 3)
    assert res["p"] == pytest.approx(1 / math.comb(8, 3))  # a huge effect: the observed is extreme
    est = did(d, "y", "pilot", "wave")["estimate"].iloc[0]
    assert res["estimate"] == pytest.approx(est, rel=1e-10)
    small = survey(n_com=7, n_treated=2, seed=7, effect=0.0)
    ds = SurveyDesign(small, ids="com", weights="w")
    null = randomisation_inference(
        ds, "y", community="com", treated="pilot", statistic="estimate"
    ).iloc[0]
    by_hand = []
    for pair in itertools.combinations(range(7), 2):
        lab = small["com"].isin(pair).astype(float)
        by_hand.append(did(ds.with_columns(pilot=lab), "y")["estimate"].iloc[0])
    obs = did(ds, "y")["estimate"].iloc[0]
    assert null["p"] == pytest.approx(np.mean(np.abs(by_hand) >= abs(obs) * (1 - 1e-9)))
    assert null["assignments"] == 21


def test_randomisation_inference_staggered_is_seeded():
    df = staggered_survey(1)
    d = SurveyDesign(df, ids="com", weights="w")
    a = randomisation_inference(d, "y", community="com", cohort="first", wave="wave", reps=50)
    b = randomisation_inference(d, "y", community="com", cohort="first", wave="wave", reps=50)
    pd.testing.assert_frame_equal(a, b)
    n_assign = math.factorial(8) // (math.factorial(4) * 2 * 2)
    assert a["exact"].iloc[0] == (n_assign <= 50)
    ref = did_staggered(d, "y", cohort="first", wave="wave")
    assert a["estimate"].iloc[0] == pytest.approx(
        ref.loc[ref["type"] == "overall", "estimate"].iloc[0], rel=1e-10
    )


def test_errors():
    d = SurveyDesign(survey(), ids="com", weights="w")
    with pytest.raises(AnalysisError, match="unknown bootstrap weights"):
        wild_bootstrap_did(d, "y", weights="mammen")
    with pytest.raises(AnalysisError, match="at least 2"):
        wild_bootstrap_did(d.with_columns(one=1), "y", cluster="one")
    with pytest.raises(AnalysisError, match="either treated"):
        randomisation_inference(d, "y", community="com")
    bad = survey()
    bad.loc[0, "pilot"] = 1 - bad.loc[0, "pilot"]
    with pytest.raises(AnalysisError, match="differs within community"):
        randomisation_inference(
            SurveyDesign(bad, ids="com", weights="w"), "y", community="com", treated="pilot"
        )


def test_docstring_examples():
    module = importlib.import_module("trustsurvey.analysis.few_clusters")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
