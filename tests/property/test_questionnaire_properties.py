"""Properties of skip-logic evaluation and index scoring (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from trustsurvey.questionnaire import loads_questionnaire
from trustsurvey.questionnaire.expressions import (
    evaluate,
    from_xlsform_expression,
    to_xlsform_expression,
)

NAMES = ["a", "b"]
OPS = {
    "==": lambda x, y: x == y,
    "!=": lambda x, y: x != y,
    "<": lambda x, y: x < y,
    "<=": lambda x, y: x <= y,
    ">": lambda x, y: x > y,
    ">=": lambda x, y: x >= y,
}


def _leaf(name: str, op: str, value: int):
    """(text, reference truth function): a comparison with a missing operand is False."""

    def truth(row: dict) -> bool:
        x = row[name]
        return False if np.isnan(x) else bool(OPS[op](x, value))

    return f"{name} {op} {value}", truth


comparison = st.builds(_leaf, st.sampled_from(NAMES), st.sampled_from(list(OPS)), st.integers(0, 3))


def _combine(children):
    return st.one_of(
        st.builds(lambda x, y: (f"({x[0]} and {y[0]})", lambda r: x[1](r) and y[1](r)),
                  children, children),
        st.builds(lambda x, y: (f"({x[0]} or {y[0]})", lambda r: x[1](r) or y[1](r)),
                  children, children),
        st.builds(lambda x: (f"not ({x[0]})", lambda r: not x[1](r)), children),
    )  # fmt: skip


expressions = st.recursive(comparison, _combine, max_leaves=6)
columns = st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=1, max_size=20)


@settings(max_examples=40, deadline=None)
@given(expressions, columns, columns)
def test_xlsform_translation_keeps_the_meaning(case, a, b):
    expr, _ = case
    n = min(len(a), len(b))
    frame = pd.DataFrame({"a": a[:n], "b": b[:n]}, dtype=float)
    back = from_xlsform_expression(to_xlsform_expression(expr))
    assert evaluate(back, frame).tolist() == evaluate(expr, frame).tolist()


@settings(max_examples=40, deadline=None)
@given(expressions, columns, columns)
def test_evaluation_is_boolean_and_matches_a_row_by_row_reference(case, a, b):
    expr, truth = case
    n = min(len(a), len(b))
    frame = pd.DataFrame({"a": a[:n], "b": b[:n]}, dtype=float)
    result = evaluate(expr, frame)
    assert result.dtype == bool and len(result) == n
    for i in range(n):
        row = {k: float(frame[k].iloc[i]) for k in NAMES}
        assert bool(result.iloc[i]) == truth(row), (expr, row)


SCALE_Q = loads_questionnaire(
    """
name: p
scales:
  s5: {codes: {1: a, 2: b, 3: c, 4: d, 5: e}, missing: {8: dk, 9: ref}}
items:
  - {name: x, type: likert, scale: s5}
  - {name: y, type: likert, scale: s5}
  - {name: z, type: likert, scale: s5}
indices:
  - {name: plain, items: [x, y, z], method: mean, min_valid: 2}
  - {name: flipped, items: [x, y, z], method: mean, min_valid: 2, reversed: [x, y, z]}
"""
)
answers = st.lists(st.sampled_from([1, 2, 3, 4, 5, 8, 9, None]), min_size=3, max_size=3)


@settings(max_examples=50, deadline=None)
@given(st.lists(answers, min_size=1, max_size=15))
def test_index_bounds_min_valid_and_reversal(rows):
    frame = pd.DataFrame(rows, columns=["x", "y", "z"], dtype=float)
    out = SCALE_Q.compute_indices(frame)
    valid = frame.where(frame.isin([1, 2, 3, 4, 5]))
    n_valid = valid.notna().sum(axis=1)
    assert (out["plain"].notna() == (n_valid >= 2)).all()
    scored = out["plain"].dropna()
    assert scored.between(1, 5).all()
    # reversing every item mirrors the mean around the scale midpoint: (1 + 5) - mean
    np.testing.assert_allclose(out["flipped"].dropna(), 6 - scored)


tricky_text = st.one_of(
    st.sampled_from(["Yes", "No", "on", "null", "~", "1.0", "0x1F", "- a", ": b", "#c", "'", '"']),
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
        min_size=1,
        max_size=30,
    ),
)
code_keys = st.one_of(st.integers(-5, 99), st.from_regex(r"[a-z]{1,6}", fullmatch=True))
codes = st.dictionaries(code_keys, st.tuples(tricky_text, tricky_text), min_size=1, max_size=6)


@settings(max_examples=30, deadline=None)
@given(tricky_text, tricky_text, codes)
def test_any_text_and_codes_survive_yaml_round_trip(uk, en, code_map):
    from trustsurvey.questionnaire import Item, Questionnaire, Text

    item = Item(
        name="q",
        type="single",
        text=Text(uk=uk, en=en),
        codes={c: Text(uk=a, en=b) for c, (a, b) in code_map.items()},
    )
    q = Questionnaire(name="p", items={"q": item})
    back = loads_questionnaire(q.dumps())
    assert back.item("q").text == item.text
    assert back.item("q").codes == item.codes
    assert list(back.item("q").codes) == list(item.codes)
