"""Bad questionnaire files: every error names the file, the key path and line, and a fix."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from trustsurvey.errors import QuestionnaireError
from trustsurvey.questionnaire import load_questionnaire

HEAD = """\
name: bad
scales:
  agree5:
    codes: {1: a, 2: b, 3: c, 4: d, 5: e}
    missing: {8: dk, 9: refused}
  kinds:
    codes: {a: A, b: B}
items:
  - {name: contact, type: single, codes: {0: "No", 1: "Yes"}}
  - {name: q1, type: likert, scale: agree5}
  - {name: q2, type: likert, scale: agree5}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def check(tmp_path: Path, text: str, *parts: str) -> QuestionnaireError:
    path = write(tmp_path, text)
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire(path)
    message = str(info.value)
    assert str(path) in message, message
    assert "What to do:" in message, message
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"
    return info.value


def test_yaml_syntax_error_names_the_line(tmp_path):
    check(tmp_path, "name: bad\nitems:\n  - name: a\n   type: text\n", "line 4", "YAML syntax")
    check(
        tmp_path,
        "name: bad\nitems:\n  - {name: a, type: text\n  - x\n",
        "YAML syntax",
        "flow mapping at line 3",
    )


def test_tab_indentation_names_the_line(tmp_path):
    check(tmp_path, "name: bad\nitems:\n\t- {name: a}\n", "YAML syntax", "line 3")


def test_empty_file(tmp_path):
    check(tmp_path, "", "empty")


def test_missing_file(tmp_path):
    with pytest.raises(QuestionnaireError, match="not found"):
        load_questionnaire(tmp_path / "nope.yaml")


def test_duplicate_item_name(tmp_path):
    check(
        tmp_path,
        HEAD + "  - {name: q1, type: text}\n",
        "items[3].name",
        "duplicate item name 'q1'",
        "line 12",
        "rename",
    )


def test_duplicate_yaml_key(tmp_path):
    text = HEAD.replace("  kinds:", "  agree5:\n    codes: {1: x}\n  kinds:")
    check(tmp_path, text, "scales.agree5", "duplicate key 'agree5'", "first at line 3")


def test_unknown_key_with_suggestion(tmp_path):
    check(
        tmp_path,
        HEAD + "  - {name: q3, type: likert, scale: agree5, revers: true}\n",
        "items[3].revers",
        "unknown key 'revers'",
        "did you mean 'reverse'",
        "line 12",
    )


def test_unknown_top_level_key(tmp_path):
    check(tmp_path, HEAD + "indexes: []\n", "unknown key 'indexes'", "did you mean 'indices'")


def test_unknown_language_key(tmp_path):
    check(
        tmp_path,
        HEAD + "  - {name: q3, type: text, text: {ua: Питання}}\n",
        "items[3].text.ua",
        "unknown language 'ua'",
        "use 'uk'",
    )


def test_unquoted_yes_no_label(tmp_path):
    check(
        tmp_path,
        HEAD + "  - {name: q3, type: single, codes: {0: {uk: Ні, en: No}}}\n",
        "items[3].codes.0.en",
        "true/false",
        "quotes",
    )


def test_wrong_types(tmp_path):
    check(
        tmp_path, HEAD + "  - {name: q3, type: text, pii: maybe}\n", "items[3].pii", "true or false"
    )
    check(tmp_path, HEAD + "  - {name: q3, type: numeric, min: low}\n", "items[3].min", "number")
    check(tmp_path, "name: bad\nitems: {a: 1}\n", "items", "expected a list")
    check(tmp_path, HEAD + "  - {name: 3q, type: text}\n", "items[3].name", "not a valid name")


def test_unknown_type_and_scale(tmp_path):
    check(
        tmp_path,
        HEAD + "  - {name: q3, type: select_one, scale: agree5}\n",
        "items[3].type",
        "use 'single'",
    )
    check(
        tmp_path,
        HEAD + "  - {name: q3, type: likert, scale: agree4}\n",
        "items[3].scale",
        "unknown scale 'agree4'",
        "did you mean 'agree5'",
    )


def test_code_both_valid_and_missing(tmp_path):
    check(
        tmp_path,
        HEAD + "  - {name: q3, type: single, codes: {1: a, 8: b}, missing: {8: dk}}\n",
        "items[3].missing",
        "code 8 is both a valid code and a missing-answer code",
    )
    text = HEAD.replace("missing: {8: dk, 9: refused}", "missing: {5: dk, 9: refused}")
    check(tmp_path, text, "scales.agree5.missing", "code 5")


def test_missing_code_inside_numeric_range(tmp_path):
    check(
        tmp_path,
        HEAD + "  - {name: age, type: numeric, min: 18, max: 120, missing: {99: refused}}\n",
        "items[3].missing",
        "inside the valid range",
    )


def test_reverse_needs_an_ordered_numeric_scale(tmp_path):
    check(
        tmp_path,
        HEAD + "  - {name: q3, type: single, scale: kinds, reverse: true}\n",
        "items[3].reverse",
        "ordered numeric scale",
    )


def test_likert_needs_numeric_codes(tmp_path):
    check(
        tmp_path,
        HEAD + "  - {name: q3, type: likert, scale: kinds}\n",
        "items[3].scale",
        "ordered scale of numeric codes",
    )


def test_expression_that_does_not_parse(tmp_path):
    check(
        tmp_path,
        HEAD + "  - {name: q3, type: text, relevant: 'contact = 1'}\n",
        "items[3].relevant",
        "does not parse",
        "line 12",
    )
    check(
        tmp_path,
        HEAD + "  - {name: q3, type: text, relevant: \"__import__('os')\"}\n",
        "items[3].relevant",
        "functions allowed",
    )


def test_expression_naming_an_unknown_item(tmp_path):
    check(
        tmp_path,
        HEAD + "  - {name: q3, type: text, relevant: contakt == 1}\n",
        "items[3].relevant",
        "unknown item 'contakt'",
        "did you mean 'contact'",
    )


def test_selected_on_wrong_item_or_option(tmp_path):
    check(
        tmp_path,
        HEAD + "  - {name: q3, type: text, relevant: 'selected(contact, \"1\")'}\n",
        "items[3].relevant",
        "needs a multiple-choice item",
    )
    text = HEAD + (
        "  - {name: p, type: multiple, options: {theft: T, dogs: D}}\n"
        "  - {name: q3, type: text, relevant: 'selected(p, \"thef\")'}\n"
    )
    check(tmp_path, text, "items[4].relevant", "'thef' is not an option", "did you mean 'theft'")


def test_index_naming_an_unknown_item(tmp_path):
    check(
        tmp_path,
        HEAD + "indices:\n  - {name: ix, items: [q1, q22], min_valid: 1}\n",
        "indices[0].items[1]",
        "unknown item 'q22'",
        "did you mean 'q2'",
        "line 13",
    )


def test_index_min_valid_and_reversed_checks(tmp_path):
    check(
        tmp_path,
        HEAD + "indices:\n  - {name: ix, items: [q1, q2], min_valid: 3}\n",
        "indices[0].min_valid",
        "between 1 and",
    )
    check(
        tmp_path,
        HEAD + "indices:\n  - {name: ix, items: [q1, q2], reversed: [contact]}\n",
        "indices[0].reversed[0]",
        "not among the index's items",
    )


def test_circular_index_definitions(tmp_path):
    text = HEAD + (
        "indices:\n"
        "  - {name: ix_a, items: [q1, ix_b]}\n"
        "  - {name: ix_b, items: [q2, ix_c]}\n"
        "  - {name: ix_c, items: [ix_a]}\n"
    )
    check(tmp_path, text, "circular index definition", "ix_a → ix_b → ix_c → ix_a")


def test_acyclic_index_over_index_is_fine(tmp_path):
    text = HEAD + (
        "indices:\n"
        "  - {name: ix_a, items: [q1, ix_b], min_valid: 1}\n"
        "  - {name: ix_b, items: [q2, q1], min_valid: 1}\n"
    )
    q = load_questionnaire(write(tmp_path, text))
    assert list(q.indices) == ["ix_a", "ix_b"]


def test_grid_items_must_share_a_scale(tmp_path):
    text = HEAD.replace("items:\n", "grids:\n  g: {text: Stem}\nitems:\n") + (
        "  - {name: q3, type: likert, codes: {1: a, 2: b}, grid: g}\n"
        "  - {name: q4, type: likert, scale: agree5, grid: g}\n"
    )
    check(tmp_path, text, "items[4].grid", "must share one scale")
    check(
        tmp_path, HEAD + "  - {name: q5, type: likert, scale: agree5, grid: gg}\n", "unknown grid"
    )


def test_unknown_role_with_suggestion(tmp_path):
    check(
        tmp_path,
        HEAD + "  - {name: w, type: numeric, roles: [weight]}\n",
        "items[3].roles[0]",
        "unknown role 'weight'",
        "did you mean 'weighting'",
    )


def test_multiple_choice_exclusive_must_be_an_option(tmp_path):
    check(
        tmp_path,
        HEAD + "  - {name: p, type: multiple, options: {a: A, none: N}, exclusive: nothing}\n",
        "items[3].exclusive",
        "not one of the item's options",
    )


def test_codebook_checks(tmp_path):
    text = HEAD + (
        "codebook:\n"
        "  valence: agree5\n"
        "  themes:\n"
        "    - {code: trust, label: {uk: Довіра, en: Trust}}\n"
        "    - {code: hotline, label: Hotline, parent: trus}\n"
    )
    check(tmp_path, text, "codebook.themes[1].parent", "unknown parent 'trus'", "did you mean")


def test_not_utf8(tmp_path):
    path = tmp_path / "cp1251.yaml"
    path.write_bytes(
        "name: bad\nitems:\n  - {name: a, type: text, text: Питання}\n".encode("cp1251")
    )
    with pytest.raises(QuestionnaireError, match="UTF-8"):
        load_questionnaire(path)


def test_relevance_comparing_with_a_code_the_item_does_not_have(tmp_path):
    check(
        tmp_path,
        HEAD + "  - {name: q3, type: text, relevant: contact == 7}\n",
        "items[3].relevant",
        "7 is not a code of 'contact'",
        "codes: 0, 1",
    )
    check(
        tmp_path,
        HEAD + "  - {name: q3, type: text, relevant: 'q1 in [4, 6]'}\n",
        "6 is not a code of 'q1'",
    )


def test_unknown_missing_code_kind_names_the_key_path_line_and_the_kinds(tmp_path):
    text = HEAD.replace("missing: {8: dk, 9: refused}", "missing: {8: {en: dk, kind: dk}}")
    error = check(
        tmp_path,
        text,
        "unknown missing-code kind 'dk'",
        "scales.agree5.missing.8.kind",
        "(line 5)",
        "did you mean 'dont_know'?",
        "dont_know, refused, not_applicable, missing",
    )
    assert error.item == "scales.agree5.missing.8.kind"
    item_level = HEAD + (
        "  - name: q3\n    type: single\n    codes: {1: a}\n    missing:\n"
        "      9: {uk: Відмова, kind: refusal}\n"
    )
    check(tmp_path, item_level, "items[3].missing.9.kind", "(line 16)", "did you mean 'refused'?")
    odd = HEAD + "  - {name: q3, type: single, codes: {1: a}, missing: {9: {kind: [x]}}}\n"
    check(tmp_path, odd, "items[3].missing.9.kind", "unknown missing-code kind ['x']")


def test_kind_on_an_answer_code_says_to_move_it_under_missing(tmp_path):
    text = HEAD + "  - {name: q3, type: single, codes: {1: {en: a, kind: dont_know}}}\n"
    check(tmp_path, text, "items[3].codes.1.kind", "only to missing-answer codes", "missing:")


def test_unknown_role_suggests_the_new_roles(tmp_path):
    text = HEAD + "  - {name: q3, type: single, codes: {1: a}, roles: [outcomes]}\n"
    check(tmp_path, text, "items[3].roles[0]", "unknown role 'outcomes'", "did you mean 'outcome'")
