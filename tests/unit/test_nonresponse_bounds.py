"""Worst-case bounds, the delta band and the Imbens-Manski interval: properties and errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from trustsurvey.analysis import delta_band, imbens_manski, nonresponse_bounds
from trustsurvey.design import SurveyDesign
from trustsurvey.errors import AnalysisError


def sample(seed: int, share: float = 0.15) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 240
    psu = np.repeat(np.arange(24), 10)
    y = rng.integers(1, 6, n).astype(float)
    return pd.DataFrame(
        {
            "stratum": psu % 3,
            "psu": psu,
            "w": rng.uniform(0.5, 5, n),
            "y": np.where(rng.random(n) < share, np.nan, y),
            "arm": np.where(psu < 12, "pilot", "control"),
        }
    )


def design(df: pd.DataFrame) -> SurveyDesign:
    return SurveyDesign(df, ids="psu", strata="stratum", weights="w")


@pytest.mark.parametrize("seed", range(6))
def test_bounds_bracket_the_answered_mean_and_span_the_missing_share(seed):
    df = sample(seed, share=0.05 + 0.05 * seed)
    out = nonresponse_bounds(design(df), "y", low=1, high=5, by="arm")
    for row in out.itertuples():
        assert row.ci_low <= row.lower <= row.answered <= row.upper <= row.ci_high
        assert row.upper - row.lower == pytest.approx(4 * row.share_missing)
        cell = df[df["arm"] == row.arm]
        w = cell["w"]
        assert row.share_missing == pytest.approx(w[cell["y"].isna()].sum() / w.sum())
        assert row.n == len(cell) and row.n_answered == cell["y"].notna().sum()
        filled = cell["y"].fillna(1)
        assert row.lower == pytest.approx(np.average(filled, weights=w))


def test_no_missing_answers_collapse_the_bounds():
    df = sample(1, share=0.0)
    row = nonresponse_bounds(design(df), "y", low=1, high=5).iloc[0]
    assert row.share_missing == 0 and row.lower == row.upper == pytest.approx(row.answered)
    z = stats.t.isf(0.025, row.df)
    assert row.ci_high - row.upper == pytest.approx(z * row.upper_se)


def test_rows_outside_the_population_are_left_out():
    df = sample(2)
    asked = pd.Series(np.arange(len(df)) % 3 != 0, index=df.index)
    out = nonresponse_bounds(design(df), "y", low=1, high=5, nonresponse=asked).iloc[0]
    assert out.n == int((df["y"].notna() | asked).sum())


@pytest.mark.parametrize("seed", range(4))
def test_delta_band_runs_between_the_bounds(seed):
    df = sample(seed)
    d = design(df)
    bounds = nonresponse_bounds(d, "y", low=1, high=5).iloc[0]
    band = delta_band(d, "y", np.linspace(-5, 5, 21), low=1, high=5)
    assert band["estimate"].is_monotonic_increasing
    assert band["estimate"].min() == pytest.approx(bounds.lower)
    assert band["estimate"].max() == pytest.approx(bounds.upper)
    assert band.loc[band["delta"] == 0, "estimate"].iloc[0] == pytest.approx(bounds.answered)
    assert band.loc[band["delta"] == 0, "se"].iloc[0] == pytest.approx(bounds.answered_se)
    assert band["clipped"].iloc[0] and band["clipped"].iloc[-1]
    free = delta_band(d, "y", [-5, 5])
    assert not free["clipped"].any() and free["estimate"].iloc[0] < bounds.lower


def test_imbens_manski_runs_from_two_sided_to_one_sided():
    z2, z1 = stats.norm.isf(0.025), stats.norm.isf(0.05)
    lo, hi = imbens_manski(1.0, 1.0, 0.1, 0.1)
    assert (lo, hi) == pytest.approx((1 - z2 * 0.1, 1 + z2 * 0.1))
    lo, hi = imbens_manski(0.0, 100.0, 0.1, 0.1)
    assert (lo, hi) == pytest.approx((-z1 * 0.1, 100 + z1 * 0.1))
    lo, hi = imbens_manski(0.0, 0.1, 0.1, 0.1)
    assert -z2 * 0.1 < lo < -z1 * 0.1
    assert imbens_manski(0.0, 0.1, 0.1, 0.1, df=5)[0] < lo


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"low": None, "high": 5}, "ends of the answer scale"),
        ({"low": 5, "high": 1}, "not an interval"),
        ({"low": 2, "high": 5}, "outside the scale"),
        ({"y": "none", "low": 1, "high": 5}, "not in the design data"),
        ({"y": "arm", "low": 1, "high": 5}, "not numeric"),
        ({"y": "gone", "low": 1, "high": 5}, "nobody answered"),
    ],
)
def test_bounds_bad_input_says_what_to_do(kwargs, match):
    df = sample(3).assign(gone=np.nan)
    args = {"y": "y", **kwargs}
    with pytest.raises(AnalysisError, match=match) as err:
        nonresponse_bounds(design(df), **args)
    assert err.value.hint


def test_delta_band_bad_input():
    d = design(sample(3))
    with pytest.raises(AnalysisError, match="deltas"):
        delta_band(d, "y", [])
    with pytest.raises(AnalysisError, match="deltas"):
        delta_band(d, "y", [0, np.nan])
    with pytest.raises(AnalysisError, match="ends of the answer scale"):
        delta_band(d, "y", [0], low=1)
    with pytest.raises(AnalysisError, match="missing values"):
        nonresponse_bounds(d, "y", low=1, high=5, nonresponse=pd.Series([np.nan] * len(d)))
