"""The safe expression parser of non-linear contrasts, and its exact gradients."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trustsurvey.design.contrast import contrast
from trustsurvey.design.expression import FUNCTIONS, evaluate, parse
from trustsurvey.design.metadata import annotate, vcov
from trustsurvey.errors import DesignError


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",
        "a.real",
        "a[0]",
        "lambda: 1",
        "open('x')",
        "a if b else 1",
        "a < b",
        "(a, b)",
        "'text'",
        "a // b",
        "a % b",
        "exp(a, b)",
        "exp(x=a)",
        "",
        "a +",
    ],
)
def test_anything_outside_the_whitelist_is_refused(text):
    with pytest.raises(DesignError):
        parse(text)


def test_names_in_backticks_and_caret_power():
    e = parse("`C(g)[T.2]` ^ 2 + b")
    assert e.names == ("C(g)[T.2]", "b")
    v, g = evaluate(e, {"C(g)[T.2]": 3.0, "b": 1.0}, ["b", "C(g)[T.2]"])
    assert v == 10.0
    assert g.tolist() == [1.0, 6.0]


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_gradients_match_finite_differences(name):
    x0 = 0.3 if name in ("asin", "logit", "qlogis") else 1.7
    text = f"{name}(a * b) + a / b"
    vals = {"a": x0, "b": 0.8}
    _, g = evaluate(text, vals, ["a", "b"])
    h = 1e-6
    for i, nm in enumerate(["a", "b"]):
        up = dict(vals, **{nm: vals[nm] + h})
        dn = dict(vals, **{nm: vals[nm] - h})
        num = (evaluate(text, up, ["a", "b"])[0] - evaluate(text, dn, ["a", "b"])[0]) / (2 * h)
        assert g[i] == pytest.approx(num, rel=1e-6, abs=1e-9)


def test_power_with_a_variable_exponent():
    v, g = evaluate("a ** b", {"a": 2.0, "b": 3.0}, ["a", "b"])
    assert v == 8.0
    np.testing.assert_allclose(g, [12.0, 8.0 * np.log(2.0)])


def test_unknown_row_is_a_clear_error():
    res = annotate(pd.DataFrame({"estimate": [1.0, 2.0]}, index=["a", "b"]), covmat=np.eye(2))
    with pytest.raises(DesignError, match="not a row of the result"):
        contrast(res, "a / zz")


def test_named_expressions_and_their_covariance():
    V = np.array([[0.04, 0.01], [0.01, 0.09]])
    res = annotate(pd.DataFrame({"estimate": [2.0, 4.0]}, index=["a", "b"]), covmat=V)
    out = contrast(res, {"ratio": "a / b", "log_a": "log(a)"}, df=20)
    G = np.array([[1 / 4, -2 / 16], [1 / 2, 0.0]])
    assert out.index.tolist() == ["ratio", "log_a"]
    np.testing.assert_allclose(out["estimate"], [0.5, np.log(2.0)])
    np.testing.assert_allclose(vcov(out).to_numpy(), G @ V @ G.T)
    assert (out["ci_low"] < out["estimate"]).all()


def test_linear_expression_equals_the_linear_contrast():
    V = np.array([[1.0, 0.3, 0.1], [0.3, 2.0, 0.2], [0.1, 0.2, 0.5]])
    res = annotate(pd.DataFrame({"estimate": [1.0, 2.0, 3.0]}, index=["x", "y", "z"]), covmat=V)
    a = contrast(res, "2 * x - y + 0.5 * z", df=10)
    b = contrast(res, {"x": 2, "y": -1, "z": 0.5}, df=10)
    np.testing.assert_allclose(a[["estimate", "se"]], b[["estimate", "se"]])


def test_expression_of_an_ordinal_fit_uses_its_terms():
    from trustsurvey.analysis.ordinal import proportional_odds
    from trustsurvey.design import SurveyDesign

    rng = np.random.default_rng(3)
    x = rng.normal(size=300)
    y = np.digitize(x + rng.logistic(size=300), [-1.0, 0.0, 1.0]) + 1
    df = pd.DataFrame({"psu": np.arange(300) // 3, "x": x, "y": y, "w": 1.0})
    fit = proportional_odds(SurveyDesign(df, ids="psu", weights="w"), "y ~ x")
    out = contrast(fit, "exp(x)")
    assert out["estimate"].iloc[0] == pytest.approx(fit["odds_ratio"].iloc[0])
    se = np.exp(fit["estimate"].iloc[0]) * fit["se"].iloc[0]
    assert out["se"].iloc[0] == pytest.approx(se)


def test_rows_of_a_two_way_domain_result_in_backticks():
    from trustsurvey.design import SurveyDesign

    rng = np.random.default_rng(2)
    df = pd.DataFrame(
        {
            "psu": np.arange(120) // 4,
            "a": rng.integers(0, 2, 120),
            "b": rng.integers(1, 3, 120),
            "y": rng.normal(5, 1, 120),
            "w": 1.0,
        }
    )
    d = SurveyDesign(df, ids="psu", weights="w")
    by = d.mean("y", by=["a", "b"], covmat=True)
    out = d.contrast(by, "`1:2` / `0:2`")
    lin = d.contrast(by, {(1, 2): 1.0})
    assert out["estimate"].iloc[0] == pytest.approx(by["estimate"].iloc[3] / by["estimate"].iloc[1])
    assert lin["estimate"].iloc[0] == pytest.approx(by["estimate"].iloc[3])
