"""Skip-logic expressions: whitelist parsing, NaN-safe evaluation, XLSForm translation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trustsurvey.questionnaire.expressions import (
    ExpressionError,
    evaluate,
    expression_names,
    from_xlsform_expression,
    parse_expression,
    selected_calls,
    to_xlsform_expression,
)

FRAME = pd.DataFrame(
    {
        "a": [1.0, 2.0, np.nan, 4.0],
        "b": [0.0, 1.0, 1.0, np.nan],
        "s": pd.Series(["x", "y", None, "x"], dtype="str"),
        "problems_theft": [1, 0, 1, 0],
        "problems": ["theft dogs", "", "theft", None],
    }
)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("a == 1", [True, False, False, False]),
        ("a != 1", [False, True, False, True]),  # missing compares as not true
        ("a < 2", [True, False, False, False]),
        ("a <= 2", [True, True, False, False]),
        ("a > 2", [False, False, False, True]),
        ("a >= 2", [False, True, False, True]),
        ("a == 1 or b == 1", [True, True, True, False]),
        ("a >= 2 and b == 1", [False, True, False, False]),
        ("not a == 1", [False, True, True, True]),
        ("not (a == 1 or b == 1)", [False, False, False, True]),
        ("a in [1, 4]", [True, False, False, True]),
        ("a not in [1, 4]", [False, True, False, False]),
        ("s == 'x'", [True, False, False, True]),
        ('s in ["y", "z"]', [False, True, False, False]),
        ('selected(problems, "theft")', [True, False, True, False]),
        ("1 < a < 4", [False, True, False, False]),
        ("a > -1", [True, True, False, True]),
        ("a == b", [False, False, False, False]),
    ],
)
def test_evaluate(expr, expected):
    assert evaluate(expr, FRAME).tolist() == expected


def test_selected_reads_kobo_space_separated_column_when_no_dummies():
    frame = FRAME.drop(columns="problems_theft")
    assert evaluate("selected(problems, 'dogs')", frame).tolist() == [True, False, False, False]


def test_numbers_compare_with_text_codes_from_csv():
    frame = pd.DataFrame({"contact": pd.Series(["1", "0", None], dtype="str")})
    assert evaluate("contact == 1", frame).tolist() == [True, False, False]


def test_names_and_selected_calls():
    expr = "(contact == 1 or age >= 60) and selected(problems, 'theft')"
    assert expression_names(expr) == {"contact", "age", "problems"}
    assert selected_calls(expr) == [("problems", "theft")]


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("__import__('os').system('ls')", "functions allowed"),
        ("eval('1')", "function eval"),
        ("count_selected('p') > 1", "must be an item name"),
        ("today(a) > 1", "takes 0 arguments"),
        ("a ** 2 == 4", "operator Pow"),
        ("a.b == 1", "Attribute"),
        ("a == ", "does not parse"),
        ("a in b", "needs a list"),
        ("a is None", "comparison Is"),
        ("selected(problems)", "two arguments"),
        ("selected('problems', 'x')", "must be an item name"),
        ("a == True", "not allowed"),
        ("lambda: 1", "Lambda"),
        ("[x for x in a]", "ListComp"),
        ("", "empty"),
    ],
)
def test_parse_rejects_everything_outside_the_whitelist(expr, message):
    with pytest.raises(ExpressionError, match=message):
        parse_expression(expr)


@pytest.mark.parametrize(
    ("xpath", "ours"),
    [
        ("${contact} = 1", "contact == 1"),
        ("${a} != 'x' and ${b} >= 2", "a != 'x' and b >= 2"),
        ("selected(${problems}, 'theft')", "selected(problems, 'theft')"),
        ("not(${a} = 1) or ${b} < 3", "not (a == 1) or b < 3"),
        ('(${a} = 1 or ${a} = 2) and ${c} = "z"', "(a == 1 or a == 2) and c == 'z'"),
    ],
)
def test_from_xlsform_expression(xpath, ours):
    assert from_xlsform_expression(xpath) == ours
    # and back again: same meaning on data
    again = from_xlsform_expression(to_xlsform_expression(ours))
    frame = pd.DataFrame(
        {
            "contact": [1, 0],
            "a": [1, 2],
            "b": [2, 3],
            "c": ["z", "y"],
            "problems": ["theft", ""],
        }
    )
    assert evaluate(again, frame).tolist() == evaluate(ours, frame).tolist()


def test_to_xlsform_expression_expands_in_lists():
    assert to_xlsform_expression("x in [1, 2]") == "(${x} = 1 or ${x} = 2)"
    assert to_xlsform_expression("x not in [1]") == "not(${x} = 1)"


@pytest.mark.parametrize(
    "xpath",
    [
        "regex(${a}, '[0-9]+')",
        "pulldata('f', 'c', 'k', ${a}) = 1",
        "instance('x')/root/item = 1",
        "/data/a = 1",
        "${a} | ${b}",
    ],
)
def test_untranslatable_xpath_is_reported(xpath):
    with pytest.raises(ExpressionError):
        from_xlsform_expression(xpath)


def test_strings_with_commas_and_apostrophes_survive_translation():
    ours = from_xlsform_expression("${a} = 'x, y' or ${b} = \"it's\"")
    assert ours == "a == 'x, y' or b == 'it\\'s'"
    frame = pd.DataFrame({"a": ["x, y", "x"], "b": ["no", "it's"]})
    assert evaluate(ours, frame).tolist() == [True, True]
    back = from_xlsform_expression(to_xlsform_expression(ours))
    assert evaluate(back, frame).tolist() == [True, True]


@pytest.mark.parametrize(
    ("xpath", "ours"),
    [
        ("count-selected(${p}) > 1", "count_selected(p) > 1"),
        ("${a} + 1 = 2", "a + 1 == 2"),
        ("${a} div 2 >= 1 and ${a} mod 2 = 0", "a / 2 >= 1 and a % 2 == 0"),
        ("if(${a} > 1, 'x', 'y') = 'x'", "if_else(a > 1, 'x', 'y') == 'x'"),
        ("string-length(coalesce(${c}, '')) > 0", "string_length(coalesce(c, '')) > 0"),
        ("number(${c}) > 0 or int(${a}) = 1", "number(c) > 0 or int(a) == 1"),
        ("${d} <= today()", "d <= today()"),
    ],
)
def test_xpath_functions_translate_and_evaluate_as_odk(xpath, ours):
    assert from_xlsform_expression(xpath) == ours
    frame = pd.DataFrame(
        {
            "a": [1, 2, 4],
            "c": ["", "5", None],
            "p": ["x y", "x", None],
            "d": ["2020-01-02", "2020-01-03", "2020-01-01"],
            "today": ["2020-01-02", "2020-01-02", "2020-01-02"],
        }
    )
    expected = {
        "count_selected(p) > 1": [True, False, False],
        "a + 1 == 2": [True, False, False],
        "a / 2 >= 1 and a % 2 == 0": [False, True, True],
        "if_else(a > 1, 'x', 'y') == 'x'": [False, True, True],
        "string_length(coalesce(c, '')) > 0": [False, True, False],
        "number(c) > 0 or int(a) == 1": [True, True, False],
        # today() is the interview day of the row (its `today` column)
        "d <= today()": [True, False, True],
    }
    assert evaluate(ours, frame).tolist() == expected[ours]
    again = from_xlsform_expression(to_xlsform_expression(ours))
    assert evaluate(again, frame).tolist() == expected[ours]


def test_xlsform_names_map_to_item_names():
    out = from_xlsform_expression("${age} > 1 and ${Q1.2} = 'x'", {"age": "g1_age", "Q1.2": "Q1_2"})
    assert out == "g1_age > 1 and Q1_2 == 'x'"
    assert expression_names(out) == {"g1_age", "Q1_2"}


def test_function_names_are_not_item_names():
    assert expression_names("count_selected(p) > 0 and today() > d") == {"p", "d"}
    assert selected_calls("count_selected(p) > 0 and selected(q, 'a')") == [("q", "a")]
