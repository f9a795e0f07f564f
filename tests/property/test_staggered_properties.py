"""Properties of did_staggered: invariance to weight scale, row order, wave codes and outcome
shifts; a constant effect added to treated post-adoption answers is recovered exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from trustsurvey.analysis.staggered import did_staggered
from trustsurvey.design import SurveyDesign

FIELDS = ["estimate", "se", "ci_low", "ci_high", "band_low", "band_high"]


def _sample(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    com = np.repeat(np.arange(16), 24)
    wave = np.tile(np.repeat([1, 2, 3], 8), 16)
    first = np.array([0, 2, 3, 0])[np.arange(16) % 4][com].astype(float)
    y = rng.normal(size=com.size) + rng.normal(0, 0.5, 16)[com] + 0.1 * wave
    return pd.DataFrame(
        {
            "com": com,
            "stratum": com % 2,
            "wave": wave,
            "first": first,
            "x": rng.normal(size=com.size),
            "y": y,
            "w": rng.uniform(0.5, 3, com.size),
        }
    )


def _fit(df: pd.DataFrame, **kw) -> pd.DataFrame:
    d = SurveyDesign(df, ids="com", strata="stratum", weights="w", nest=True)
    return did_staggered(d, "y", cohort="first", wave="wave", **kw)


@settings(max_examples=10, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), scale=st.floats(1e-3, 1e4))
def test_weight_scale_and_row_order_do_not_matter(seed, scale):
    df = _sample(seed)
    base = _fit(df, covariates=["x"])
    scaled = _fit(df.assign(w=df["w"] * scale), covariates=["x"])
    shuffled = _fit(df.sample(frac=1.0, random_state=seed), covariates=["x"])
    for other in (scaled, shuffled):
        np.testing.assert_allclose(other[FIELDS[:4]], base[FIELDS[:4]], rtol=1e-8, atol=1e-12)


@settings(max_examples=10, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), first=st.integers(1, 2030), gap=st.integers(1, 10))
def test_wave_codes_do_not_matter(seed, first, gap):
    df = _sample(seed)
    recode = {1: first, 2: first + gap, 3: first + 3 * gap}
    moved = df.assign(
        wave=df["wave"].map(recode), first=df["first"].map(lambda g: recode.get(g, 0.0))
    )
    a, b = _fit(df), _fit(moved)
    np.testing.assert_allclose(a[FIELDS], b[FIELDS], rtol=1e-10, equal_nan=True)
    assert a["event_time"].equals(b["event_time"])


@settings(max_examples=10, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), shift=st.floats(-5, 5), effect=st.floats(-2, 2))
def test_shifts_and_a_constant_effect(seed, shift, effect):
    df = _sample(seed)
    base = _fit(df)
    treated_post = (df["first"] > 0) & (df["wave"] >= df["first"])
    moved = _fit(df.assign(y=df["y"] + shift + effect * treated_post))
    post = (base["event_time"] >= 0) | base["type"].isin(["overall", "cohort"])
    want = base["estimate"] + np.where(post, effect, 0.0)
    np.testing.assert_allclose(moved["estimate"], want, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(moved["se"], base["se"], rtol=1e-7, atol=1e-10)
