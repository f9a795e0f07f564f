"""Properties of the DiD and comparisons: invariance to wave codes, weight scale, arm coding."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustsurvey import did
from trustsurvey.analysis import compare_means, proportional_odds, standardized_difference
from trustsurvey.design import SurveyDesign


def _sample(seed: int, n_psu: int = 24, per: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    psu = np.repeat(np.arange(n_psu), per)
    df = pd.DataFrame(
        {
            "psu": psu,
            "stratum": psu % 3,
            "pilot": (psu // 3) % 2,
            "wave": np.tile([1, 2], n_psu * per // 2),
            "w": np.repeat(rng.uniform(0.5, 4, n_psu), per),
        }
    )
    df["y"] = np.round(
        np.clip(3 + rng.normal(0, 1.2, len(df)) + 0.4 * df.pilot * (df.wave == 2), 1, 5)
    )
    return df


def _design(df: pd.DataFrame) -> SurveyDesign:
    return SurveyDesign(df, ids="psu", strata="stratum", weights="w", nest=True)


FIELDS = ["estimate", "se", "df", "p"]


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), first=st.integers(-5, 2030), gap=st.integers(1, 10))
def test_did_invariant_to_wave_codes(seed, first, gap):
    df = _sample(seed)
    base = did(_design(df), "y").loc[0, FIELDS]
    relabelled = df.assign(wave=df["wave"].map({1: first, 2: first + gap}))
    other = did(_design(relabelled), "y").loc[0, FIELDS]
    np.testing.assert_allclose(other.to_numpy(float), base.to_numpy(float), rtol=1e-9)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(1e-3, 1e4))
def test_did_and_comparisons_invariant_to_weight_scale(seed, scale):
    df = _sample(seed)
    scaled = df.assign(w=df["w"] * scale)
    a, b = did(_design(df), "y"), did(_design(scaled), "y")
    np.testing.assert_allclose(
        a.loc[0, FIELDS].to_numpy(float), b.loc[0, FIELDS].to_numpy(float), rtol=1e-8
    )
    ca, cb = compare_means(_design(df), "y"), compare_means(_design(scaled), "y")
    np.testing.assert_allclose(ca[["difference", "se"]], cb[["difference", "se"]], rtol=1e-8)
    sa = standardized_difference(_design(df), "y")
    sb = standardized_difference(_design(scaled), "y")
    np.testing.assert_allclose(sa[["smd", "se"]], sb[["smd", "se"]], rtol=1e-8)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_swapping_arms_flips_the_did(seed):
    df = _sample(seed)
    a = did(_design(df), "y")
    b = did(_design(df.assign(pilot=1 - df["pilot"])), "y")
    assert b.loc[0, "estimate"] == pytest.approx(-a.loc[0, "estimate"], abs=1e-10)
    assert b.loc[0, "se"] == pytest.approx(a.loc[0, "se"], rel=1e-9)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), shift=st.floats(-50, 50), factor=st.floats(0.1, 10))
def test_did_equivariant_to_affine_outcome(seed, shift, factor):
    df = _sample(seed)
    a = did(_design(df), "y")
    b = did(_design(df.assign(y=shift + factor * df["y"])), "y")
    assert b.loc[0, "estimate"] == pytest.approx(factor * a.loc[0, "estimate"], rel=1e-8, abs=1e-9)
    assert b.loc[0, "se"] == pytest.approx(factor * a.loc[0, "se"], rel=1e-8)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_ordinal_invariant_to_monotone_recoding_of_categories(seed):
    df = _sample(seed, n_psu=30, per=6)
    if df["y"].nunique() < 3:
        return
    a = proportional_odds(_design(df), "y ~ pilot * wave")
    b = proportional_odds(_design(df.assign(y=df["y"] * 10 + 7)), "y ~ pilot * wave")
    np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(a["se"], b["se"], rtol=1e-6)
