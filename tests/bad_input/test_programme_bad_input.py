"""Bad programme input: the validation report names file, row and value; nothing is dropped."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from trustsurvey.errors import InputFileError, StudyError
from trustsurvey.programme import validate_programme
from trustsurvey.study import load_study


@pytest.fixture
def study_dir(fixtures_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "study"
    shutil.copytree(fixtures_dir / "programme" / "study", target)
    return target


def _edit(folder: Path, kind: str, row: int, column: str, value: str) -> None:
    """Set one cell (``row`` 1-based data row) of a programme CSV, as a user would."""
    path = folder / "programme" / f"{kind}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[row - 1, column] = value
    frame.to_csv(path, index=False)


def _finding(folder: Path, check: str) -> pd.DataFrame:
    result = validate_programme(load_study(folder))
    found = result.report.table[result.report.table["check"] == check]
    return found, result


@pytest.mark.parametrize(
    ("kind", "row", "column", "value", "check", "file"),
    [
        ("hotline", 3, "category", "threats", "unknown_code", "hotline.csv"),
        ("activities", 2, "community", "kupianska", "unknown_community", "activities.csv"),
        ("hotline", 4, "community", "omega", "unknown_community", "hotline.csv"),
        ("activities", 5, "type", "picnic", "unknown_code", "activities.csv"),
        ("hotline", 1, "channel", "pigeon", "unknown_code", "hotline.csv"),
        ("activities", 4, "date", "2001-07-01", "date_outside_period", "activities.csv"),
        ("hotline", 2, "date_received", "2019-13-01", "bad_date", "hotline.csv"),
        ("hotline", 6, "date_resolved", "2019-07-30", "resolved_before_received", "hotline.csv"),
        ("activities", 3, "activity_id", "A1", "duplicate_id", "activities.csv"),
        ("trainings", 1, "score", "fifty", "bad_number", "trainings.csv"),
    ],
)
def test_bad_cell_is_reported_with_file_row_and_value(
    study_dir, kind, row, column, value, check, file
):
    _edit(study_dir, kind, row, column, value)
    found, result = _finding(study_dir, check)
    assert len(found) == 1, result.report.table
    hit = found.iloc[0]
    assert hit["file"] == file
    assert int(hit["row"]) == row
    assert value in hit["value"]
    assert hit["severity"] == "error"
    # the row is excluded from the analyses and listed, not silently dropped
    listed = result.exclusions[(result.exclusions["file"] == file)]
    assert row in listed["row"].tolist()
    n_clean = len(result.clean[kind])
    n_raw = len(pd.read_csv(study_dir / "programme" / f"{kind}.csv"))
    assert n_clean + len(listed) == n_raw


def test_negative_participant_count(study_dir):
    _edit(study_dir, "activities", 5, "participants", "-10")
    for col in ("female", "male", "police", "residents", "officials", "ngo"):
        _edit(study_dir, "activities", 5, col, "")
    found, result = _finding(study_dir, "negative_count")
    assert found[["file", "row", "value"]].values.tolist() == [["activities.csv", 5, "-10"]]
    assert set(result.report.errors["check"]) == {"negative_count"}


def test_participants_by_sex_not_summing_to_total(study_dir):
    _edit(study_dir, "activities", 1, "female", "15")
    found, _ = _finding(study_dir, "count_mismatch")
    assert found[["file", "row"]].values.tolist() == [["activities.csv", 1]]
    assert "15+8=23 vs 20" in found.iloc[0]["value"]


def test_participants_by_role_not_summing_to_total(study_dir):
    _edit(study_dir, "activities", 2, "police", "7")
    found, _ = _finding(study_dir, "count_mismatch")
    assert found["row"].tolist() == [2]
    assert "role" in found.iloc[0]["message_en"]


def test_participant_code_only_in_post_test(study_dir):
    _edit(study_dir, "trainings", 2, "participant", "P01X")  # the post-test of P01
    found, result = _finding(study_dir, "post_only")
    assert found[["file", "row", "value"]].values.tolist() == [["trainings.csv", 2, "P01X"]]
    # its pre-test now has no partner: a warning, kept
    pre_only = result.report.table[result.report.table["check"] == "pre_only"]
    assert {"P01", "R03"} == set(pre_only["value"])


def test_training_id_that_is_not_a_training(study_dir):
    _edit(study_dir, "trainings", 3, "training_id", "A1")  # A1 is a round table
    found, _ = _finding(study_dir, "unknown_training")
    assert found[["row", "value"]].values.tolist() == [[3, "A1"]]


def test_missing_required_column_excludes_and_lists_every_row(study_dir):
    path = study_dir / "programme" / "hotline.csv"
    frame = pd.read_csv(path, dtype=str).drop(columns=["category"])
    frame.to_csv(path, index=False)
    found, result = _finding(study_dir, "missing_column")
    assert found[["file", "item"]].values.tolist() == [["hotline.csv", "category"]]
    listed = result.exclusions[result.exclusions["file"] == "hotline.csv"]
    assert len(listed) == len(frame)
    assert "hotline" not in result.clean


def test_unknown_key_in_programme_section_is_rejected(study_dir):
    text = (study_dir / "study.yaml").read_text(encoding="utf-8")
    (study_dir / "study.yaml").write_text(
        text.replace("  hotline: programme", "  hotlines: programme"), encoding="utf-8"
    )
    with pytest.raises(StudyError) as err:
        load_study(study_dir)
    assert err.value.item == "programme.hotlines"
    assert "hotline" in err.value.hint


def test_missing_programme_file_is_named(study_dir):
    (study_dir / "programme" / "trainings.csv").unlink()
    with pytest.raises(StudyError) as err:
        load_study(study_dir)
    assert err.value.item == "programme.trainings"
    assert "trainings.csv" in err.value.message


def test_unreadable_records_file(tmp_path):
    from trustsurvey.programme import read_records

    path = tmp_path / "activities.csv"
    path.write_bytes("activity_id,notes\nA1,\xc0\xc1\n".encode("latin-1") + b"\xff\xfe")
    with pytest.raises(InputFileError) as err:
        read_records(path)
    assert err.value.file == str(path)
    assert "UTF-8" in err.value.hint
