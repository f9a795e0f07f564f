"""Raking, post-stratification, calibration and trimming on small designs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trustsurvey.design import SurveyDesign
from trustsurvey.weighting import (
    calibrate,
    history,
    poststratify,
    rake,
    rake_trim,
    trim,
    weighting_diagnostics,
)


@pytest.fixture
def sample() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 400
    sex = rng.choice([1.0, 2.0], n, p=[0.35, 0.65])
    age = rng.choice([1.0, 2.0, 3.0], n, p=[0.2, 0.3, 0.5])
    region = rng.choice(["north", "south", "east"], n)
    return pd.DataFrame(
        {
            "psu": np.repeat(np.arange(40), 10),
            "sex": sex,
            "age": age,
            "region": pd.Series(region, dtype="str"),
            "y": rng.normal(3 + 0.4 * (sex == 2) - 0.2 * age, 1),
            "w": rng.uniform(5, 15, n),
        }
    )


@pytest.fixture
def design(sample) -> SurveyDesign:
    return SurveyDesign(sample, ids="psu", weights="w")


MARGINS = {"sex": {1: 4800, 2: 5200}, "age": {1: 2700, 2: 4100, 3: 3200}}


def _achieved(frame: pd.DataFrame, w: pd.Series, col: str) -> dict:
    return w.groupby(frame[col]).sum().to_dict()


def test_rake_meets_margins_to_1e12(design, sample):
    raked = rake(design, MARGINS, tol=1e-12)
    for col, targets in MARGINS.items():
        got = _achieved(sample, raked.weights, col)
        for code, t in targets.items():
            assert abs(got[float(code)] - t) / t <= 1e-12


def test_weights_property_aligned_with_data(sample):
    shuffled = sample.sample(frac=1.0, random_state=1).set_index(pd.Index(range(1000, 1400)))
    d = SurveyDesign(shuffled, ids="psu", weights="w")
    raked = d.rake(MARGINS)
    assert isinstance(raked.weights, pd.Series)
    assert raked.weights.index.equals(shuffled.index)
    ratio = raked.weights / shuffled["w"]
    # the raking factor depends only on the cell
    assert ratio.groupby([shuffled["sex"], shuffled["age"]]).std().max() < 1e-12


def test_codes_match_by_value(design):
    as_float = rake(design, {"sex": {1.0: 4800, 2.0: 5200}})
    as_text = rake(design, {"sex": {"1": 4800, "2": 5200}})
    as_int = rake(design, {"sex": {1: 4800, 2: 5200}})
    np.testing.assert_allclose(as_float.weights, as_int.weights)
    np.testing.assert_allclose(as_text.weights, as_int.weights)


def test_text_column_and_numeric_keys():
    frame = pd.DataFrame({"g": pd.Series(["1", "2", "2"], dtype="str"), "w": [1.0, 1.0, 1.0]})
    d = SurveyDesign(frame, ids=None, weights="w").poststratify({"g": {1: 10, 2.0: 20}})
    assert d.weights.tolist() == [10.0, 10.0, 10.0]


def test_shares_with_total(design):
    shares = {c: {k: v / 10000 for k, v in t.items()} for c, t in MARGINS.items()}
    np.testing.assert_allclose(
        rake(design, shares, total=10000).weights, rake(design, MARGINS).weights, rtol=1e-12
    )


def test_crossed_margin_keys_are_tuples(design, sample):
    crossed = {(s, a): 10000 / 6 for s in (1, 2) for a in (1, 2, 3)}
    d = poststratify(design, {("sex", "age"): crossed})
    got = d.weights.groupby([sample["sex"], sample["age"]]).sum()
    np.testing.assert_allclose(got.to_numpy(), 10000 / 6)


def test_poststratify_se_differs_from_fixed_weights(design):
    adj = design.poststratify({"sex": MARGINS["sex"]})
    fixed = design.poststratify({"sex": MARGINS["sex"]}, fixed_weights=True)
    np.testing.assert_allclose(adj.weights, fixed.weights)
    a, f = adj.mean("y"), fixed.mean("y")
    assert a["estimate"].iloc[0] == pytest.approx(f["estimate"].iloc[0])
    assert a["se"].iloc[0] != pytest.approx(f["se"].iloc[0], rel=1e-6)
    # fixed weights: the same SE as a design built from the new weights
    rebuilt = SurveyDesign(design.data.assign(w=fixed.weights), ids="psu", weights="w")
    assert f["se"].iloc[0] == pytest.approx(rebuilt.mean("y")["se"].iloc[0], rel=1e-12)


def test_calibrate_mixed_totals(design, sample):
    n_pop = float(sample["w"].sum())
    y_total = 1.05 * float((sample["w"] * sample["y"]).sum())
    totals = {"region": {"north": 0.3 * n_pop, "south": 0.3 * n_pop, "east": 0.4 * n_pop}}
    totals["y"] = y_total
    for method, bounds in [("linear", None), ("raking", None), ("logit", (0.3, 3.0))]:
        cal = calibrate(design, totals, method=method, bounds=bounds)
        w = cal.weights
        assert float((w * sample["y"]).sum()) == pytest.approx(y_total, rel=1e-10)
        assert _achieved(sample, w, "region")["east"] == pytest.approx(0.4 * n_pop, rel=1e-10)
        g = w / sample["w"]
        if bounds:
            assert g.min() >= bounds[0] - 1e-12 and g.max() <= bounds[1] + 1e-12


def test_calibration_with_bounds_respects_them(design, sample):
    scale = float(sample["w"].sum()) / 10000
    totals = {c: {k: v * scale for k, v in t.items()} for c, t in MARGINS.items()}
    cal = design.calibrate(totals, method="linear", bounds=(0.6, 2.2))
    g = cal.weights / design.weights
    assert g.min() >= 0.6 - 1e-9 and g.max() <= 2.2 + 1e-9
    assert g.min() < 0.6 + 1e-9  # the lower bound was needed


def test_raking_calibration_equals_rake_on_categorical_margins(design):
    cal = design.calibrate(MARGINS, method="raking", tol=1e-12)
    rk = design.rake(MARGINS, tol=1e-12)
    np.testing.assert_allclose(cal.weights, rk.weights, rtol=1e-9)


def test_trim_strict_keeps_total_and_bounds(design):
    before = design.weights.sum()
    t = trim(design, lower=6.0, upper=12.0, strict=True)
    assert t.weights.min() >= 6.0 - 1e-12 and t.weights.max() <= 12.0 + 1e-12
    assert t.weights.sum() == pytest.approx(before, rel=1e-12)


def test_trim_non_strict_single_pass_as_r(design):
    w = design.weights.to_numpy()
    out = trim(design, upper=12.0).weights.to_numpy()
    inside = w <= 12.0
    excess = (w[~inside] - 12.0).sum()
    np.testing.assert_allclose(out[inside], w[inside] + excess / inside.sum())
    np.testing.assert_allclose(out[~inside], 12.0)


def test_rake_trim_meets_both(design, sample):
    raked = design.rake(MARGINS)
    lo, hi = 0.8 * raked.weights.min() + 2, 0.8 * raked.weights.max()
    rt = rake_trim(design, MARGINS, lower=lo, upper=hi)
    w = rt.weights
    assert w.min() >= lo * (1 - 1e-6) and w.max() <= hi * (1 + 1e-6)
    for col, targets in MARGINS.items():
        got = _achieved(sample, w, col)
        for code, t in targets.items():
            assert abs(got[float(code)] - t) / t <= 1e-10


def test_history_and_diagnostics(design, sample):
    d = design.rake(MARGINS).trim(upper=40)
    steps = history(d)
    assert [s.method for s in steps] == ["rake", "trim"]
    diag = weighting_diagnostics(d, by="sex")
    assert list(diag.weights["sex"]) == [1.0, 2.0]
    w = d.weights[sample["sex"] == 1].to_numpy()
    cv = w.std() / w.mean()
    assert diag.weights.loc[0, "deff_kish"] == pytest.approx(1 + cv**2)
    assert diag.weights.loc[0, "n_eff"] == pytest.approx(w.sum() ** 2 / (w**2).sum())
    assert diag.weights.loc[0, "ratio"] == pytest.approx(w.max() / w.min())
    assert set(diag.margins["margin"]) == {"sex", "age"}
    assert (diag.margins["rel_error"] <= 1e-10).all()
    assert diag.steps["iterations"].iloc[0] >= 1
    fig = diag.figure()
    assert len(fig.data) == 1 + len(diag.weights)


def test_unweighted_design_has_no_history(design):
    assert history(design) == []
    assert weighting_diagnostics(design).steps.empty


def test_diagnostics_final_achieved_after_trimming(design, sample):
    d = design.rake(MARGINS).trim(upper=30, strict=True)
    m = weighting_diagnostics(d).margins
    assert (m["rel_error"] <= 1e-10).all()  # as raking left them
    w = d.weights
    got = w.groupby(sample["sex"]).sum()
    row = m[(m["margin"] == "sex") & (m["cell"] == "1")].iloc[0]
    assert row["achieved_final"] == pytest.approx(got[1.0])
    assert row["rel_error_final"] > 1e-6  # trimming moved the margins


def test_diagnostics_of_calibration_and_groups(design, sample):
    n_pop = float(sample["w"].sum())
    cal = design.calibrate(
        {"region": {"north": 0.3 * n_pop, "south": 0.3 * n_pop, "east": 0.4 * n_pop}}
    )
    m = weighting_diagnostics(cal).margins
    assert (m["rel_error_final"] <= 1e-10).all()
    assert set(m["cell"]) == {"north", "south", "east"}


def test_bool_categorical_and_nullable_columns():
    frame = pd.DataFrame(
        {
            "urban": [True, False, True],
            "g": pd.Categorical(["a", "b", "a"]),
            "n": pd.array([1, 2, 1], dtype="Int64"),
            "w": [1.0, 1.0, 1.0],
        }
    )
    d = SurveyDesign(frame, ids=None, weights="w")
    assert d.poststratify({"urban": {True: 20, False: 10}}).weights.tolist() == [10.0] * 3
    assert d.rake({"g": {"a": 20, "b": 10}, "n": {1: 20, 2: 10}}).weights.tolist() == [10.0] * 3
