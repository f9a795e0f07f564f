"""``replace_weights(keep_calibration=)`` and the cheap respondent-level construction."""

from __future__ import annotations

import numpy as np
import pandas as pd

from trustsurvey import SurveyDesign


class _Halve:
    """A calibration adjustment that halves the influence values (SE halves)."""

    def adjust(self, scores: np.ndarray) -> np.ndarray:
        return scores * 0.5


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame({"w": rng.uniform(1, 3, 40), "y": rng.normal(size=40)})


def test_keep_calibration_keeps_or_drops_earlier_adjustments():
    d = SurveyDesign(_frame(), weights="w")
    first = d.replace_weights(d.weights, calibration=_Halve())
    kept = first.replace_weights(first.weights, calibration=_Halve())
    dropped = first.replace_weights(first.weights, keep_calibration=False)
    fresh = first.replace_weights(first.weights, calibration=_Halve(), keep_calibration=False)
    assert len(kept.calibration) == 2
    assert dropped.calibration == ()
    assert len(fresh.calibration) == 1
    se = d.mean("y")["se"].iloc[0]
    assert np.isclose(kept.mean("y")["se"].iloc[0], se / 4)
    assert np.isclose(dropped.mean("y")["se"].iloc[0], se)
    assert np.isclose(fresh.mean("y")["se"].iloc[0], se / 2)
    assert len(first.calibration) == 1  # the original design is unchanged


def test_fixed_weights_rake_has_no_calibration():
    df = _frame().assign(sex=np.tile([1, 2], 20))
    d = SurveyDesign(df, weights="w")
    once = d.rake({"sex": {1: 30.0, 2: 50.0}})
    fixed = once.rake({"sex": {1: 30.0, 2: 50.0}}, fixed_weights=True)
    assert len(once.calibration) == 1
    assert fixed.calibration == ()


def test_respondent_level_design_keeps_the_callers_frame():
    df = _frame()
    d = SurveyDesign(df, weights="w")
    assert d.data is df
    assert d.structure.finest.unit_is_row
    np.testing.assert_array_equal(d.weights.to_numpy(), df["w"].to_numpy())
    w = d.weights
    w.iloc[0] = 99.0  # the returned Series is the caller's to change
    assert d.weights.iloc[0] != 99.0
