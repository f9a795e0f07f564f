"""Properties of the design engine that hold for any design (hypothesis, kept quick)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustsurvey import SurveyDesign
from trustsurvey.design.metadata import vcov

SETTINGS = settings(max_examples=35, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def surveys(draw) -> pd.DataFrame:
    """A stratified cluster sample: 1-4 strata, 2-5 PSUs each, 1-4 respondents per PSU."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    rows = []
    psu_id = 0
    for h in range(draw(st.integers(1, 4))):
        for _ in range(draw(st.integers(2, 5))):
            psu_id += 1
            for _ in range(int(rng.integers(1, 5))):
                rows.append((h, psu_id))
    df = pd.DataFrame(rows, columns=["stratum", "psu"])
    n = len(df)
    df["w"] = rng.uniform(0.5, 5, n)
    df["y"] = np.round(rng.normal(0, 3, n), 2)
    df["g"] = rng.choice(["a", "b", "c"], n)
    df.loc[rng.random(n) < 0.15, "y"] = np.nan
    if df["y"].notna().sum() < 2:
        df.loc[df.index[:2], "y"] = [1.0, 2.0]
    return df


def _design(df, weights="w"):
    return SurveyDesign(df, ids="psu", strata="stratum", weights=weights)


@SETTINGS
@given(surveys(), st.floats(0.01, 100))
def test_scaling_weights_leaves_means_and_ses_unchanged(df, c):
    a = _design(df).mean("y", by="g")
    b = _design(df.assign(w=df["w"] * c)).mean("y", by="g")
    assert np.allclose(a["estimate"], b["estimate"], rtol=1e-9, equal_nan=True)
    assert np.allclose(a["se"], b["se"], rtol=1e-7, atol=1e-12, equal_nan=True)


@SETTINGS
@given(surveys(), st.integers(0, 10_000))
def test_permuting_rows_changes_nothing(df, seed):
    perm = np.random.default_rng(seed).permutation(len(df))
    a = _design(df).mean("y", by="g")
    b = _design(df.iloc[perm]).mean("y", by="g")
    assert np.allclose(a["estimate"], b["estimate"], rtol=1e-9, equal_nan=True)
    assert np.allclose(a["se"], b["se"], rtol=1e-7, atol=1e-12, equal_nan=True)
    qa = _design(df).quantile("y", q=[0.5])
    qb = _design(df.iloc[perm]).quantile("y", q=[0.5])
    assert np.allclose(qa["estimate"], qb["estimate"], equal_nan=True)


@SETTINGS
@given(surveys())
def test_domain_by_equals_subset(df):
    d = _design(df)
    by = d.mean("y", by="g")
    for level, row in by.iterrows():
        sub = d.subset(df["g"] == level).mean("y").iloc[0]
        assert np.isclose(row["estimate"], sub["estimate"], rtol=1e-9, equal_nan=True)
        assert np.isclose(row["se"], sub["se"], rtol=1e-9, atol=1e-12, equal_nan=True)
        assert row["n"] == sub["n"]
    tot = d.total("y", by="g")
    for level, row in tot.iterrows():
        sub = d.subset(df["g"] == level).total("y").iloc[0]
        assert np.isclose(row["se"], sub["se"], rtol=1e-9, atol=1e-9, equal_nan=True)


@SETTINGS
@given(st.integers(3, 40), st.integers(0, 10_000), st.integers(1, 500))
def test_srs_with_fpc_gives_textbook_se(n, seed, extra):
    rng = np.random.default_rng(seed)
    N = n + extra
    df = pd.DataFrame({"y": rng.normal(size=n), "N": float(N)})
    res = SurveyDesign(df, ids=None, fpc="N").mean("y").iloc[0]
    textbook = np.sqrt((1 - n / N) * df["y"].var(ddof=1) / n)
    assert np.isclose(res["se"], textbook, rtol=1e-9)
    assert np.isclose(res["estimate"], df["y"].mean())


@SETTINGS
@given(surveys())
def test_fast_path_equals_row_level_scores(df):
    class Identity:
        def adjust(self, scores):
            return scores

    d = _design(df)
    adj = d.replace_weights(d.weights, calibration=Identity())
    a = d.mean("y", by="g", covmat=True)
    b = adj.mean("y", by="g", covmat=True)
    assert np.allclose(vcov(a), vcov(b), rtol=1e-9, atol=1e-12)


@SETTINGS
@given(surveys())
def test_proportions_sum_to_one_and_match_indicator_means(df):
    d = _design(df)
    p = d.proportion("g")
    assert np.isclose(p["estimate"].sum(), 1)
    ind = d.with_columns(ga=(df["g"] == "a").astype(float)).mean("ga").iloc[0]
    if "a" in p.index:
        assert np.isclose(p.loc["a", "se"], ind["se"], rtol=1e-9, atol=1e-12)
