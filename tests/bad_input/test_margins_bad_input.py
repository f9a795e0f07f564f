"""Bad input to margins, non-linear contrasts and Poisson models: errors naming the item and
what to do."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trustsurvey import SurveyDesign
from trustsurvey.analysis.margins import marginal_effects, predictive_margins
from trustsurvey.errors import AnalysisError, DesignError


@pytest.fixture
def d() -> SurveyDesign:
    rng = np.random.default_rng(7)
    n = 60
    df = pd.DataFrame(
        {
            "psu": np.arange(n) // 3,
            "w": rng.choice([1.0, 3.0], n),
            "grp": rng.choice(["a", "b"], n),
            "x": rng.normal(size=n),
            "y": rng.normal(size=n),
            "k": rng.poisson(2.0, n).astype(float),
            "pop": rng.integers(100, 200, n).astype(float),
        }
    )
    return SurveyDesign(df, ids="psu", weights="w")


@pytest.mark.parametrize(
    "call,cls,item,words",
    [
        (lambda d: predictive_margins(d, "y ~ grp", "nope"), AnalysisError, "nope", "not a column"),
        (
            lambda d: predictive_margins(d, "y ~ grp", "grp", at=["c"]),
            AnalysisError,
            "grp",
            "no such level",
        ),
        (lambda d: marginal_effects(d, "grp ~ x", "x", family="olr"), AnalysisError, "grp", "3 or"),
        (
            lambda d: predictive_margins(d, "k ~ grp", "grp", family="negbin"),
            AnalysisError,
            "family",
            "unknown family",
        ),
        (lambda d: d.glm("y ~ x", family="poisson"), DesignError, "formula", "not below 0"),
        (
            lambda d: d.glm("k ~ x + offset(log(nope))", family="poisson"),
            DesignError,
            "offset",
            "cannot compute the offset",
        ),
        (
            lambda d: d.glm("k ~ x + offset(log(pop)", family="poisson"),
            DesignError,
            "formula",
            "unbalanced",
        ),
        (
            lambda d: d.contrast(d.mean(["y", "x"], covmat=True), "y.__class__"),
            DesignError,
            "contrast",
            "not allowed",
        ),
        (
            lambda d: d.contrast(d.mean(["y", "x"], covmat=True), "eval('1')"),
            DesignError,
            "contrast",
            "unknown function",
        ),
        (
            lambda d: d.contrast(d.mean(["y", "x"], covmat=True), "y / z"),
            DesignError,
            "z",
            "not a row",
        ),
    ],
)
def test_errors_name_the_item_and_a_remedy(d, call, cls, item, words):
    with pytest.raises(cls) as err:
        call(d)
    assert item in (err.value.item or "")
    assert words in str(err.value)
    assert err.value.hint
