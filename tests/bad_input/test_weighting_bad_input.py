"""Weighting refuses bad targets and data with a WeightingError that names the problem."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trustsurvey.design import SurveyDesign
from trustsurvey.errors import WeightingError
from trustsurvey.weighting import calibrate, load_targets, poststratify, rake, trim


def _design(**cols) -> SurveyDesign:
    n = len(next(iter(cols.values())))
    frame = pd.DataFrame({"w": np.full(n, 2.0), **cols})
    return SurveyDesign(frame, ids=None, weights="w")


@pytest.fixture
def design() -> SurveyDesign:
    return _design(
        sex=[1.0, 1.0, 2.0, 2.0, 2.0, 1.0], age=[1.0, 2.0, 1.0, 2.0, 3.0, 3.0], y=[1.0] * 6
    )


def test_sample_category_without_target_is_named(design):
    with pytest.raises(WeightingError, match=r"sample categories without a population target: 3"):
        design.rake({"sex": {1: 50, 2: 50}, "age": {1: 30, 2: 70}})


def test_target_cell_without_respondents_suggests_collapsing(design):
    with pytest.raises(WeightingError) as err:
        design.rake({"sex": {1: 50, 2: 50}, "age": {1: 30, 2: 30, 3: 30, 4: 10}})
    text = str(err.value)
    assert "target cell 4" in text and "no respondents" in text
    assert "collapse" in text and "age = 3 (n=2)" in text


def test_crossed_cell_without_respondents_is_named():
    d = _design(sex=[1.0, 1.0, 2.0], age=[1.0, 2.0, 1.0])
    cells = {(1, 1): 20, (1, 2): 30, (2, 1): 30, (2, 2): 20}
    with pytest.raises(WeightingError, match=r"sex × age: target cell 2 × 2 .*no respondents"):
        d.poststratify({("sex", "age"): cells})


def test_contradicting_margin_totals(design):
    with pytest.raises(WeightingError, match="contradict each other"):
        design.rake({"sex": {1: 50, 2: 50}, "age": {1: 30, 2: 30, 3: 30}})


def test_crossed_margin_contradicting_single_margin(design):
    crossed = {(1, 1): 10, (1, 2): 10, (1, 3): 10, (2, 1): 20, (2, 2): 25, (2, 3): 25}
    with pytest.raises(WeightingError, match=r"contradict each other on sex = 1"):
        design.rake({("sex", "age"): crossed, "sex": {1: 40, 2: 60}})


def test_shares_must_sum_to_one(design):
    with pytest.raises(WeightingError, match=r"shares sum to 0\.9"):
        design.rake({"sex": {1: 0.4, 2: 0.5}}, total=1000)


def test_shares_without_total_are_refused(design):
    with pytest.raises(WeightingError, match="look like shares"):
        design.rake({"sex": {1: 0.4, 2: 0.6}})


def test_missing_values_in_weighting_variable_are_counted():
    d = _design(sex=[1.0, np.nan, 2.0, np.nan])
    with pytest.raises(WeightingError) as err:
        d.rake({"sex": {1: 50, 2: 50}})
    assert "2 missing value(s) among 4 rows" in str(err.value)
    assert "item sex" in str(err.value) and "data rows 2, 4" in str(err.value)


def test_missing_text_values_are_counted():
    d = _design(region=pd.Series(["a", None, "b"], dtype="str"))
    with pytest.raises(WeightingError, match="1 missing value"):
        d.poststratify({"region": {"a": 10, "b": 10}})


def test_unknown_column(design):
    with pytest.raises(WeightingError, match=r"item sexx.*not in the data"):
        design.rake({"sexx": {1: 50, 2: 50}})


def test_negative_target(design):
    with pytest.raises(WeightingError, match="non-negative"):
        design.rake({"sex": {1: -5, 2: 50}})


def test_zero_target_for_sampled_cell(design):
    with pytest.raises(WeightingError, match="target of 0"):
        design.poststratify({"sex": {1: 0, 2: 50}})


def test_text_code_for_numeric_column(design):
    with pytest.raises(WeightingError, match="not a number"):
        design.rake({"sex": {"male": 50, "female": 50}})


def test_zero_design_weights_on_subset(design):
    sub = design.subset(design.data["sex"] == 1)
    with pytest.raises(WeightingError, match="zero, negative or missing"):
        rake(sub, {"sex": {1: 50}})


def test_non_convergence_lists_discrepancies():
    # a structural zero: nobody is (sex 2, age 2), so these margins cannot all be met
    d = _design(sex=[1.0, 1.0, 2.0], age=[1.0, 2.0, 1.0])
    with pytest.raises(WeightingError) as err:
        d.rake({"sex": {1: 10, 2: 90}, "age": {1: 10, 2: 90}}, max_iter=50)
    text = str(err.value)
    assert "did not converge within max_iter=50" in text
    assert "vs target" in text and "rel. error" in text


def test_calibration_bounds_out_of_reach():
    d = _design(g=["a", "a", "b", "b"], x=[1.0, 2.0, 3.0, 4.0])
    with pytest.raises(WeightingError, match="did not converge"):
        calibrate(d, {"g": {"a": 4, "b": 4}, "x": 40.0}, method="logit", bounds=(0.9, 1.1))


def test_logit_needs_finite_bounds():
    d = _design(g=["a", "b"])
    with pytest.raises(WeightingError, match="finite bounds"):
        d.calibrate({"g": {"a": 4, "b": 4}}, method="logit")


def test_unknown_calibration_method():
    d = _design(g=["a", "b"])
    with pytest.raises(WeightingError, match="unknown calibration method"):
        d.calibrate({"g": {"a": 4, "b": 4}}, method="cubic")


def test_calibration_variable_with_missing_values():
    d = _design(g=["a", "b", "b"], x=[1.0, np.nan, 2.0])
    with pytest.raises(WeightingError, match=r"item x, row 2: calibration variable"):
        d.calibrate({"g": {"a": 4, "b": 4}, "x": 10.0})


def test_trim_bounds_that_cannot_hold_the_total(design):
    with pytest.raises(WeightingError, match="can keep the total"):
        trim(design, lower=3.0)


def test_poststratify_takes_one_margin(design):
    with pytest.raises(WeightingError, match="exactly one margin"):
        poststratify(design, {"sex": {1: 50, 2: 50}, "age": {1: 30, 2: 30, 3: 40}})


def test_targets_file_contradicting_margins(tmp_path):
    path = tmp_path / "margins.csv"
    path.write_text(
        "margin,sex,agegrp,target\nsex,1,,100\nsex,2,,120\nagegrp,,1,100\nagegrp,,2,100\n"
    )
    with pytest.raises(WeightingError) as err:
        load_targets(path)
    assert str(path) in str(err.value) and "contradict" in str(err.value)


def test_targets_file_shares_not_summing_to_one(tmp_path):
    path = tmp_path / "margins.csv"
    path.write_text("margin,sex,target\nsex,1,0.5\nsex,2,0.6\n")
    with pytest.raises(WeightingError, match=r"sum to 1\.1, not 1"):
        load_targets(path, kind="shares")


def test_targets_file_bad_number(tmp_path):
    path = tmp_path / "margins.csv"
    path.write_text("margin,sex,target\nsex,1,many\nsex,2,10\n")
    with pytest.raises(WeightingError, match=r"row 2: targets must be non-negative numbers"):
        load_targets(path)


def test_targets_cell_given_twice():
    with pytest.raises(WeightingError, match="given twice"):
        load_targets(pd.DataFrame({"margin": ["sex"] * 3, "sex": [1, 1.0, 2], "target": [1, 2, 3]}))
