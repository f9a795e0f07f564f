"""Each validation check on small frames; the report's CSV/HTML; the reference SPSS file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trustsurvey.io import read_survey
from trustsurvey.questionnaire import instrument_path, load_questionnaire
from trustsurvey.validation import ValidationReport, validate_data, validate_file
from trustsurvey.validation.crossfield import multiple_choice_issues, skip_logic_issues
from trustsurvey.validation.metadata import metadata_issues
from trustsurvey.validation.quality import (
    duplicate_issues,
    interviewer_issues,
    speeder_issues,
    straightlining_issues,
)
from trustsurvey.validation.report import issues
from trustsurvey.validation.schema import schema_issues

GRID = ["pj_respect", "pj_fair", "pj_explain", "pj_listen", "eff_response", "eff_crime"]


@pytest.fixture(scope="module")
def q():
    return load_questionnaire(instrument_path("police_trust_core"))


def test_schema_collects_every_failure_lazily(q) -> None:
    frame = pd.DataFrame(
        {
            "resp_id": [1, 2, 2, 4],
            "trust_police": [1.0, 6.0, 8.0, 0.0],
            "age": [17.0, 30.0, np.nan, 44.0],
            "sex": [1.0, 2.0, 3.0, 1.0],
            "problems_none": [0.0, 1.0, 2.0, 0.0],
        }
    )
    rows = schema_issues(frame, q, file="w.sav", id_column="resp_id")
    got = sorted(zip(rows["check"], rows["item"], rows["row"].astype(int), strict=True))
    assert got == [
        ("duplicate_id", "resp_id", 2),
        ("duplicate_id", "resp_id", 3),
        ("invalid_code", "problems_none", 3),
        ("invalid_code", "sex", 3),
        ("invalid_code", "trust_police", 2),
        ("invalid_code", "trust_police", 4),
        ("out_of_range", "age", 1),
        ("required_missing", "age", 3),
    ]
    bad = rows[(rows["item"] == "trust_police") & (rows["row"] == 2)].iloc[0]
    assert bad["value"] == "6" and bad["resp_id"] == "2" and bad["severity"] == "error"
    assert "1, 2, 3, 4, 5, 8, 9" in bad["message_en"]
    assert "код 6" in bad["message_uk"]


def test_missing_codes_are_allowed_values(q) -> None:
    frame = pd.DataFrame({"resp_id": [1, 2], "trust_police_10": [88.0, 77.0]})
    assert schema_issues(frame, q).empty


def test_text_in_a_coded_column_is_wrong_type(q) -> None:
    frame = pd.DataFrame({"resp_id": [1, 2], "sex": ["1", "чоловік"]})
    rows = schema_issues(frame, q)
    assert rows["check"].tolist() == ["wrong_type"]
    assert rows["value"].tolist() == ["чоловік"]


def test_skip_logic_both_directions(q) -> None:
    frame = pd.DataFrame(
        {
            "resp_id": [1, 2, 3, 4],
            "victim_12m": [0.0, 1.0, 1.0, np.nan],
            "victim_reported": [1.0, 0.0, np.nan, 9.0],
            "contact_police": [0.0, 1.0, 1.0, 0.0],
            "contact_satisfaction": [np.nan, np.nan, 4.0, 8.0],
        }
    )
    rows = skip_logic_issues(frame, q)
    got = sorted(zip(rows["check"], rows["item"], rows["resp_id"], strict=True))
    # answered though not relevant: row 1 (victim 0), row 4 (victim unknown; contact 0)
    assert got == [
        ("not_relevant", "contact_satisfaction", "4"),
        ("not_relevant", "victim_reported", "1"),
        ("not_relevant", "victim_reported", "4"),
    ]


def test_relevant_and_required_but_empty() -> None:
    from trustsurvey.questionnaire import loads_questionnaire

    text = """
name: t
items:
  - {name: resp_id, type: identifier, roles: [id]}
  - name: contact
    type: single
    codes: {0: "no", 1: "yes"}
  - name: sat
    type: single
    codes: {1: bad, 2: good}
    relevant: contact == 1
    required: true
"""
    q2 = loads_questionnaire(text)
    frame = pd.DataFrame({"resp_id": [1, 2], "contact": [1.0, 0.0], "sat": [np.nan, np.nan]})
    rows = skip_logic_issues(frame, q2)
    assert rows[["check", "item", "resp_id"]].values.tolist() == [["relevant_missing", "sat", "1"]]


def test_exclusive_none_with_other_option(q) -> None:
    cols = q.columns_for("problems")
    frame = pd.DataFrame(0.0, index=range(3), columns=cols)
    frame.insert(0, "resp_id", [1, 2, 3])
    frame.loc[0, ["problems_none", "problems_theft"]] = 1.0
    frame.loc[1, "problems_none"] = 1.0
    frame.loc[2, ["problems_theft", "problems_drugs"]] = 1.0
    rows = multiple_choice_issues(frame, q)
    assert rows["resp_id"].tolist() == ["1"]
    assert rows["item"].tolist() == ["problems"]
    assert "theft" in rows["value"].iloc[0]


def _answers(n: int, rng: np.random.Generator) -> pd.DataFrame:
    frame = pd.DataFrame({name: rng.integers(1, 6, n).astype(float) for name in GRID})
    frame.insert(0, "resp_id", np.arange(1, n + 1))
    frame["abuse_power"] = rng.integers(1, 6, n).astype(float)
    frame["sex"] = rng.integers(1, 3, n).astype(float)
    frame["age"] = rng.integers(18, 90, n).astype(float)
    frame["psu"] = rng.integers(1, 5, n).astype(float)
    frame["interviewer"] = np.repeat(np.arange(10), n // 10)
    frame["duration_min"] = rng.normal(25, 3, n).round(1)
    return frame


def test_duplicate_interview_ignores_id_interviewer_and_duration(q) -> None:
    frame = _answers(50, np.random.default_rng(1))
    copy = frame.iloc[[7]].assign(resp_id=99, interviewer=3, duration_min=11.0)
    frame = pd.concat([frame, copy], ignore_index=True)
    rows = duplicate_issues(frame, q)
    assert rows["resp_id"].tolist() == ["99"]
    assert rows["value"].tolist() == ["8"]
    assert "respondent 8" in rows["message_en"].iloc[0]
    # a different PSU makes it another interview
    frame.loc[50, "psu"] = frame.loc[7, "psu"] + 10
    assert duplicate_issues(frame, q).empty


def test_straightlining_needs_a_whole_grid(q) -> None:
    frame = _answers(20, np.random.default_rng(2))
    frame.loc[3, [*GRID, "abuse_power"]] = 2.0
    frame.loc[4, GRID] = 5.0  # abuse_power differs: not straight
    frame.loc[4, "abuse_power"] = 1.0
    frame.loc[5, [*GRID, "abuse_power"]] = [3, 3, 3, 3, 3, 8, 9]  # missing codes do not count
    rows = straightlining_issues(frame, q, min_items=5)
    assert rows["resp_id"].tolist() == ["4", "6"]
    assert set(rows["item"]) == {"police_views"}
    assert straightlining_issues(frame, q, min_items=6)["resp_id"].tolist() == ["4"]


def test_speeders_below_a_third_of_the_median() -> None:
    frame = pd.DataFrame({"resp_id": [1, 2, 3, 4, 5], "duration_min": [30, 24, 27, 7.5, 9.1]})
    rows = speeder_issues(frame, "duration_min")
    assert rows["resp_id"].tolist() == ["4"]  # median 24, limit 8
    assert speeder_issues(frame, "duration_min", fraction=0.5)["resp_id"].tolist() == ["4", "5"]
    assert speeder_issues(frame, None).empty


def test_interviewer_with_outlying_dk_share(q) -> None:
    rng = np.random.default_rng(4)
    n = 400
    frame = pd.DataFrame({"resp_id": range(n), "interviewer": np.repeat(np.arange(10), 40)})
    for name in ["trust_police", *GRID]:
        values = rng.integers(1, 6, n).astype(float)
        dk = rng.uniform(size=n) < np.where(frame["interviewer"] == 7, 0.4, 0.08)
        frame[name] = np.where(dk, 8.0, values)
    rows = interviewer_issues(frame, q, "interviewer")
    assert rows["value"].tolist() == ["7"]
    assert rows["row"].isna().all()
    # too few interviews to judge
    assert interviewer_issues(frame, q, "interviewer", min_interviews=41).empty


def test_metadata_compared_with_the_questionnaire(q) -> None:
    from trustsurvey.io import FileMetadata

    frame = pd.DataFrame({"resp_id": [1], "sex": [1.0], "trust_police": [8.0], "extra": [0]})
    meta = FileMetadata(
        file="w.sav",
        format="sav",
        column_names=list(frame.columns),
        value_labels={
            "sex": {1.0: "Чоловік", 2.0: "Жінка", 3.0: "Інше"},
            "trust_police": {1.0: "Зовсім не довіряю", 5.0: "Дуже довіряю"},
        },
        missing_values={},
    )
    rows = metadata_issues(meta, q, frame, file="w.sav")
    checks = set(zip(rows["check"], rows["item"], rows["value"], strict=True))
    assert ("unlabelled_code", "sex", "3") in checks
    assert ("label_mismatch", "trust_police", "5") in checks
    assert ("missing_not_declared", "trust_police", "8") in checks
    assert ("extra_column", "", "extra") in checks
    missing = rows[rows["check"] == "missing_column"]
    assert set(missing.loc[missing["severity"] == "error", "item"]) >= {"wave", "pw", "age"}
    assert "trust_local" in set(missing.loc[missing["severity"] == "warning", "item"])


def test_report_html_escapes_every_value(tmp_path: Path) -> None:
    table = issues(
        "<b>w.sav</b>",
        "label_mismatch",
        "q1",
        [-1],
        ["<script>alert(1)</script>"],
        [None],
        "file: '<script>x</script>'",
        "у файлі: «<img src=x onerror=alert(1)>»",
    )
    report = ValidationReport(table, files=["<b>w.sav</b>"])
    page = report.to_html(tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "<img" not in page and "<b>w" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    csv = pd.read_csv(report.to_csv(tmp_path / "r.csv"), dtype=str, keep_default_na=False)
    assert list(csv.columns) == [
        "file",
        "row",
        "resp_id",
        "item",
        "value",
        "check",
        "severity",
        "message_en",
        "message_uk",
    ]
    assert csv.loc[0, "value"] == "<script>alert(1)</script>"


def test_report_errors_warnings_and_summary(q) -> None:
    frame = pd.DataFrame(
        {
            "resp_id": [1, 2],
            "trust_police": [7.0, 1.0],
            "contact_police": [0.0, 0.0],
            "contact_satisfaction": [np.nan, 3.0],
        }
    )
    report = ValidationReport(validate_data(frame, q, only_present=True), files=["x"])
    assert report.n_errors == 1 and report.n_warnings == 1 and not report.ok
    text = report.summary()
    assert "1 error(s), 1 warning(s)" in text and "not_relevant" in text


def test_reference_file_validates_against_the_core_questionnaire(fixtures_dir, q) -> None:
    """trust_two_waves.sav conforms to police_trust_core on the items it has."""
    path = fixtures_dir / "trust" / "trust_two_waves.sav"
    report = validate_file(path, q, only_present=True)
    conformance = {
        "missing_column",
        "wrong_type",
        "invalid_code",
        "out_of_range",
        "required_missing",
        "duplicate_id",
        "relevant_missing",
        "unlabelled_code",
        "label_mismatch",
        "missing_not_declared",
        "extra_column",
    }
    assert not set(report.table["check"]) & conformance
    sd = read_survey(path)
    assert report.n_rows[str(path)] == len(sd.data) == 2415
    # the only errors are data-quality ones: an identical record in the same PSU
    assert set(report.errors["check"]) <= {"duplicate"}


def test_wave_code_must_match_study_yaml() -> None:
    from trustsurvey.validation.study_checks import wave_issues

    frame = pd.DataFrame({"resp_id": [1, 2, 3], "wave": [2.0, 1.0, 2.0]})
    rows = wave_issues(frame, "wave", 2, file="w2.sav", id_column="resp_id")
    assert rows[["check", "resp_id", "value"]].values.tolist() == [["wave_mismatch", "2", "1"]]
    assert rows["severity"].tolist() == ["error"]


def test_treatment_must_agree_with_the_community_table() -> None:
    from trustsurvey.study.model import ArmsSpec
    from trustsurvey.validation.study_checks import arm_issues

    table = pd.DataFrame({"community": ["a", "b"], "arm": ["pilot", "control"]})
    arms = ArmsSpec(treatment="pilot", community="community", communities=table)
    frame = pd.DataFrame(
        {"resp_id": [1, 2, 3, 4], "community": ["a", "b", "b", "c"], "pilot": [1.0, 0.0, 1.0, 0]}
    )
    rows = arm_issues(frame, arms, id_column="resp_id")
    got = sorted(zip(rows["check"], rows["resp_id"], strict=True))
    assert got == [("arm_mismatch", "3"), ("unknown_community", "4")]


def test_interview_dates_outside_fieldwork(q) -> None:
    import datetime as dt

    from trustsurvey.study.model import Wave
    from trustsurvey.validation.study_checks import fieldwork_issues

    wave = Wave(1, Path("w.sav"), {}, "baseline", dt.date(2019, 3, 4), dt.date(2019, 4, 12))
    frame = pd.DataFrame(
        {
            "resp_id": [1, 2, 3, 4],
            "interview_date": pd.to_datetime(["2019-03-04", "2019-04-13", None, "2019-03-01"]),
        }
    )
    rows = fieldwork_issues(frame, q, wave, id_column="resp_id")
    assert rows[["resp_id", "value"]].values.tolist() == [["2", "2019-04-13"], ["4", "2019-03-01"]]
    assert set(rows["severity"]) == {"warning"}
