"""The committed household form and its Kobo export (``tests/fixtures/xlsform``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import openpyxl
import pandas as pd
from typer.testing import CliRunner

from trustsurvey.cli import app
from trustsurvey.io import read_form_export, validate_form_export
from trustsurvey.questionnaire import from_xlsform

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "xlsform"
FORM = FIXTURES / "household_form.xlsx"
EXPORT = FIXTURES / "household_export.xlsx"


def _builder():
    spec = importlib.util.spec_from_file_location(
        "build_household", FIXTURES / "build_household.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_fixtures_match_their_builder(tmp_path):
    form, export = _builder().build(tmp_path)
    q = from_xlsform(form)
    assert q.items == from_xlsform(FORM).items
    fresh = read_form_export(export, q)
    committed = read_form_export(EXPORT, q)
    pd.testing.assert_frame_equal(fresh.data.data, committed.data.data)
    pd.testing.assert_frame_equal(fresh.repeats["member"].data, committed.repeats["member"].data)


def test_the_export_reads_in_the_questionnaires_columns():
    q = from_xlsform(FORM)
    export = read_form_export(EXPORT, q)
    data = export.data.data
    assert data["assets_tv"].tolist()[::2] == [1.0, 0.0]  # the household without consent: NaN
    assert data[["assets_tv", "assets_car", "assets_other_chosen"]].iloc[1].isna().all()
    assert data["assets_other"].tolist()[0] == "bicycle"
    assert data["resp_age"].tolist() == [34.0, 51.0, 45.0]
    assert data["why_many"].isna().tolist() == [True, True, False]
    members = export.repeats["member"].data
    assert members["member_age"].tolist() == [30.0, 33.0, 12.0, 40.0, 70.0]
    assert members["_parent_row"].tolist() == [0.0, 0.0, 2.0, 2.0, 2.0]
    assert validate_form_export(export, q).table.empty


def test_validate_export_command(tmp_path):
    result = CliRunner().invoke(
        app, ["questionnaire", "validate-export", str(FORM), str(EXPORT), "-o", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 warning(s)" in result.output
    assert "not enforced: email_ok" in result.output and "repeat member: 5 rows" in result.output


def test_validate_export_command_names_the_row_of_an_error(tmp_path):
    book = openpyxl.load_workbook(EXPORT)
    members = book["member"]
    members.cell(row=3, column=4).value = 1  # Petro (male) answers "pregnant"
    members.cell(row=4, column=2).value = "twelve"  # an age that is no number
    bad = tmp_path / "bad.xlsx"
    book.save(bad)
    result = CliRunner().invoke(
        app, ["questionnaire", "validate-export", str(FORM), str(bad), "-o", str(tmp_path / "r")]
    )
    assert result.exit_code == 1, result.output
    report = pd.read_csv(tmp_path / "r" / "validation.csv")
    found = sorted(zip(report["item"], report["check"], report["row"], strict=True))
    assert found == [("member_age", "wrong_type", 3), ("pregnant", "not_relevant", 2)]


def test_a_select_multiple_answered_where_it_was_not_asked_is_found(tmp_path):
    book = openpyxl.load_workbook(EXPORT)
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=3, column=header.index("hh/assets/tv") + 1).value = 1  # no consent
    bad = tmp_path / "bad.xlsx"
    book.save(bad)
    q = from_xlsform(FORM)
    report = validate_form_export(read_form_export(bad, q), q)
    found = report.table[["item", "check", "row", "value"]].values.tolist()
    assert found == [["assets", "not_relevant", 2, "assets_tv"]]


def test_validate_file_reads_an_export_with_the_form_it_came_from():
    from trustsurvey.validation import validate_file

    report = validate_file(EXPORT, from_xlsform(FORM))
    assert report.table.empty and len(report.files) == 2  # the respondents and the members
