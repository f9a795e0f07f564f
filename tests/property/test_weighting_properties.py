"""Properties of raking and post-stratification (hypothesis, quick)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from trustsurvey.design import SurveyDesign

SETTINGS = settings(max_examples=30, deadline=None)


@st.composite
def samples(draw):
    """A sample where every sex × age cell is occupied, with margins that agree."""
    n_age = draw(st.integers(2, 4))
    extra = draw(st.integers(0, 40))
    cells = [(s, a) for s in (1, 2) for a in range(1, n_age + 1)]
    rows = cells + [
        cells[i]
        for i in draw(st.lists(st.integers(0, len(cells) - 1), min_size=extra, max_size=extra))
    ]
    weights = draw(st.lists(st.floats(0.5, 20.0), min_size=len(rows), max_size=len(rows)))
    frame = pd.DataFrame(rows, columns=["sex", "age"]).astype(float)
    frame["w"] = weights
    frame["y"] = np.arange(len(rows)) % 5
    pop = draw(st.lists(st.floats(1.0, 100.0), min_size=len(cells), max_size=len(cells)))
    joint = dict(zip(cells, pop, strict=True))
    sex = {s: sum(v for (ss, _), v in joint.items() if ss == s) for s in (1, 2)}
    age = {a: sum(v for (_, aa), v in joint.items() if aa == a) for a in range(1, n_age + 1)}
    return frame, sex, age


@SETTINGS
@given(samples())
def test_raked_weights_reproduce_every_margin(data):
    frame, sex, age = data
    design = SurveyDesign(frame, ids=None, weights="w")
    raked = design.rake({"sex": sex, "age": age}, tol=1e-11)
    for col, targets in (("sex", sex), ("age", age)):
        got = raked.weights.groupby(frame[col]).sum()
        for code, t in targets.items():
            assert abs(got[float(code)] - t) / t <= 1e-11


@SETTINGS
@given(samples())
def test_raking_a_calibrated_sample_changes_nothing(data):
    frame, sex, age = data
    design = SurveyDesign(frame, ids=None, weights="w")
    once = design.rake({"sex": sex, "age": age}, tol=1e-12)
    twice = once.rake({"sex": sex, "age": age}, tol=1e-10)
    np.testing.assert_allclose(twice.weights, once.weights, rtol=1e-9)


@SETTINGS
@given(samples())
def test_poststratification_equals_raking_on_one_margin(data):
    frame, sex, _ = data
    design = SurveyDesign(frame, ids=None, weights="w")
    ps = design.poststratify({"sex": sex})
    rk = design.rake({"sex": sex})
    np.testing.assert_allclose(ps.weights, rk.weights, rtol=1e-12)
    a, b = ps.mean("y"), rk.mean("y")
    np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=1e-12)
    # (the SEs differ as in R when weights vary within a cell: R's raking residual removes
    # unweighted means of x / w, post-stratification weighted means)


@SETTINGS
@given(samples())
def test_linear_calibration_on_one_factor_is_poststratification(data):
    frame, sex, _ = data
    design = SurveyDesign(frame, ids=None, weights="w")
    cal = design.calibrate({"sex": sex})
    ps = design.poststratify({"sex": sex})
    np.testing.assert_allclose(cal.weights, ps.weights, rtol=1e-10)
    np.testing.assert_allclose(cal.mean("y")["se"], ps.mean("y")["se"], rtol=1e-8, atol=1e-14)
