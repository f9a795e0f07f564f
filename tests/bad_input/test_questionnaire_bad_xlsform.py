"""Bad XLSForms: the error names the file, the sheet and the row."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from trustsurvey.errors import QuestionnaireError
from trustsurvey.questionnaire import from_xlsform

SURVEY = [
    ["type", "name", "label"],
    ["select_one yn", "contact", "Contact"],
    ["integer", "age", "Age"],
]
CHOICES = [["list_name", "name", "label"], ["yn", "1", "Yes"], ["yn", "0", "No"]]


def form(tmp_path: Path, survey=SURVEY, choices=CHOICES, sheet="survey") -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    for row in survey:
        ws.append(row)
    if choices is not None:
        cs = book.create_sheet("choices")
        for row in choices:
            cs.append(row)
    path = tmp_path / "form.xlsx"
    book.save(path)
    return path


def check(path: Path, *parts: str) -> None:
    with pytest.raises(QuestionnaireError) as info:
        from_xlsform(path)
    message = str(info.value)
    assert str(path) in message and "What to do:" in message, message
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"


def test_missing_survey_sheet(tmp_path):
    check(form(tmp_path, sheet="questions"), "survey")


def test_missing_choices_sheet(tmp_path):
    check(form(tmp_path, choices=None), "choices sheet")


def test_unknown_list_name(tmp_path):
    survey = [*SURVEY, ["select_one agree", "q1", "Q1"]]
    check(form(tmp_path, survey=survey), "sheet 'survey', row 4", "agree")


def test_duplicate_choice_in_a_list(tmp_path):
    check(form(tmp_path, choices=[*CHOICES, ["yn", "1", "Yes again"]]), "sheet 'choices', row 4")


def test_duplicate_question_name(tmp_path):
    check(form(tmp_path, survey=[*SURVEY, ["text", "age", "Age again"]]), "row 4", "'age'")


def test_not_a_form(tmp_path):
    path = tmp_path / "form.xlsx"
    path.write_text("not a workbook")
    with pytest.raises(QuestionnaireError):
        from_xlsform(path)


def test_missing_file(tmp_path):
    with pytest.raises(QuestionnaireError, match="not found"):
        from_xlsform(tmp_path / "nope.xlsx")
