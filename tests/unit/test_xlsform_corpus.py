"""pyxform's own test forms (committed from its PyPI sdists, see the NOTICE there).

Every form pyxform accepts imports with every question (as an item, or as a form field
when it has no answer), what the questionnaire cannot check is listed as not enforced, and
``trustsurvey questionnaire check`` passes on the YAML written from it. A form pyxform
refuses is refused with pyxform's reason, naming the file.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trustsurvey.cli import app
from trustsurvey.errors import QuestionnaireError
from trustsurvey.questionnaire import from_xlsform
from trustsurvey.questionnaire.expressions import parse_expression

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpora" / "pyxform"
FORMS = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".xls", ".xlsx", ".xlsm"))
UNTRANSLATABLE = re.compile(r"\b(regex|pulldata|instance|jr:choice-name|position|count)\(")


def _pyxform(path: Path):
    from pyxform.errors import PyXFormError
    from pyxform.xls2json import parse_file_to_json

    try:
        return parse_file_to_json(str(path), warnings=[]), None
    except PyXFormError as err:
        return None, str(err)


def _leaves(children: list[dict]) -> list[dict]:
    """Every question of pyxform's JSON form; a loop's once per choice."""
    out: list[dict] = []
    for child in children:
        kind = child.get("type")
        if kind in ("group", "repeat"):
            out += _leaves(child.get("children") or [])
        elif kind == "loop":
            out += _leaves(child.get("children") or []) * len(child.get("columns") or [])
        else:
            out.append(child)
    return out


def test_the_corpus_is_there():
    assert len(FORMS) == 59
    assert (CORPUS / "NOTICE").is_file() and (CORPUS / "LICENSE").is_file()


@pytest.mark.parametrize("path", FORMS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_form_imports_with_every_question(path, tmp_path):
    form, refused = _pyxform(path)
    if refused is not None:
        with pytest.raises(QuestionnaireError) as info:
            from_xlsform(path)
        message = str(info.value)
        assert str(path) in message
        reason = re.sub(r"\[row\s*:\s*\d+\]\s*", "", refused).strip()[:40]
        assert reason in message
        return
    q = from_xlsform(path)
    leaves = _leaves(form["children"])
    assert len(q.items) + len(q.form_fields) == len(leaves)
    listed = " | ".join(q.not_enforced)
    for leaf in leaves:
        if leaf.get("type") == "note":
            continue  # no answer: its relevant decides nothing in the data
        relevant = str((leaf.get("bind") or {}).get("relevant") or "")
        for function in UNTRANSLATABLE.findall(relevant):
            assert f"{function}(" in listed, (leaf["name"], relevant)
    yaml = q.to_yaml(tmp_path / "q.yaml")
    result = CliRunner().invoke(app, ["questionnaire", "check", str(yaml)])
    assert result.exit_code == 0, result.output
    assert f"items: {len(q.items)} " in result.output


def test_not_enforced_rules_are_listed_by_check():
    path = CORPUS / "example_xls" / "pull_data.xlsx"
    result = CliRunner().invoke(app, ["questionnaire", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert "not enforced: " in result.output and "pulldata(" in result.output


@pytest.mark.parametrize(
    "name",
    ["example_xls/widgets.xls", "example_xls/xlsform_spec_test.xlsx", "example_xls/loop.xls"],
)
def test_read_write_read_keeps_the_items(name, tmp_path):
    from trustsurvey.questionnaire import to_xlsform

    q = from_xlsform(CORPUS / name)
    back = from_xlsform(to_xlsform(q, tmp_path / "again.xlsx"))
    assert list(back.items) == list(q.items)
    for item_name, item in q.items.items():
        again = back.items[item_name]
        assert (again.type, again.note) == (item.type, item.note)
        meaning = [
            ast.dump(parse_expression(i.relevant)) if i.relevant else None for i in (again, item)
        ]
        assert meaning[0] == meaning[1], item_name
