"""Properties of the XLSForm translation and of reading exports (derandomised).

- any XPath built from XLSForm's vocabulary is either translated into an expression that
  parses and evaluates on data, and means the same after a trip back to XPath, or refused
  with ``ExpressionError`` (then kept as not enforced) — never another exception;
- any cell of a Kobo export changed to any text ends in a report or a documented
  ``InputFileError``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustsurvey.errors import TrustSurveyError
from trustsurvey.io import read_form_export, validate_form_export
from trustsurvey.questionnaire import from_xlsform
from trustsurvey.questionnaire.expressions import (
    ExpressionError,
    evaluate,
    from_xlsform_expression,
    parse_expression,
    to_xlsform_expression,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "xlsform"
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
FRAME = pd.DataFrame(
    {
        "a": [1.0, 2.0, np.nan, 0.0],
        "b": ["x", "y z", None, ""],
        "c": [3.5, -1.0, 0.0, np.nan],
        "d": ["2024-01-01", "2023-06-30", None, "2024-02-29"],
    }
)

refs = st.sampled_from(["${a}", "${b}", "${c}", "${d}"])
literals = st.one_of(
    st.integers(-5, 5).map(str),
    st.sampled_from(["'x'", '"y"', "'2024-01-01'", "1.5", ".5"]),
)


def calls(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    one = st.sampled_from(
        ["count-selected", "string-length", "number", "int", "not", "regex", "boolean"]
    )
    return st.one_of(
        st.tuples(one, inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(refs, literals).map(lambda t: f"selected({t[0]}, {t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"coalesce({t[0]}, {t[1]})"),
        st.tuples(inner, inner, inner).map(lambda t: f"if({t[0]}, {t[1]}, {t[2]})"),
        st.tuples(inner, literals).map(lambda t: f"pulldata('f', 'c', 'k', {t[0]}) = {t[1]}"),
        st.just("today()"),
    )


xpath = st.recursive(
    st.one_of(refs, literals),
    lambda inner: st.one_of(
        calls(inner),
        st.tuples(
            inner,
            st.sampled_from(["=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "div", "mod"]),
            inner,
        ).map(" ".join),
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(" ".join),
        inner.map(lambda x: f"({x})"),
    ),
    max_leaves=8,
)


@SETTINGS
@given(text=xpath)
def test_xpath_translates_or_is_refused_cleanly(text):
    try:
        ours = from_xlsform_expression(text)
    except ExpressionError:
        return
    parse_expression(ours)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = evaluate(ours, FRAME)
        again = from_xlsform_expression(to_xlsform_expression(ours))
        assert evaluate(again, FRAME).tolist() == first.tolist()
    assert first.dtype == bool and len(first) == len(FRAME)


@settings(SETTINGS, max_examples=40)  # each example writes and reads a workbook
@given(
    cells=st.lists(
        st.tuples(
            st.integers(0, 3),  # sheet row (0: the header)
            st.integers(0, 31),
            st.one_of(
                st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=12),
                st.sampled_from(["n/a", "True", "tv car", "tv bike", "", "1e400", "nan"]),
                st.integers(-(10**6), 10**6),
            ),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_any_changed_export_cell_ends_in_a_report_or_a_documented_error(tmp_path, cells):
    q = _form()
    book = openpyxl.load_workbook(FIXTURES / "household_export.xlsx")
    sheet = book.worksheets[0]
    for row, column, value in cells:
        sheet.cell(row=row + 1, column=column + 1).value = value
    path = tmp_path / "changed.xlsx"
    book.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            export = read_form_export(path, q)
        except TrustSurveyError as err:
            assert str(path) in str(err)
            return
        report = validate_form_export(export, q)
    assert set(report.table.columns) >= {"file", "row", "item", "check"}


_CACHE: dict[str, object] = {}


def _form():
    if "q" not in _CACHE:
        _CACHE["q"] = from_xlsform(FIXTURES / "household_form.xlsx")
    return _CACHE["q"]
