"""study.yaml ``area_covariates:``: loaded and checked (file, row, column), inside the folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from trustsurvey.errors import StudyError
from trustsurvey.study import load_study

REPO = Path(__file__).resolve().parents[2]


def _write(folder: Path, text: str) -> None:
    (folder / "area_covariates.csv").write_text(text, encoding="utf-8")


def test_the_example_declares_its_area_covariates(example: Path) -> None:
    study = load_study(example, check_columns=False)
    table = study.area_covariates
    assert table is not None and study.area_covariates_file == example / "area_covariates.csv"
    assert set(study.arms.communities["community"]) == set(table["community"])
    assert table.drop(columns="community").dtypes.map(lambda d: d.kind in "fi").all()


def test_a_study_without_the_key_has_none(example: Path) -> None:
    text = (example / "study.yaml").read_text(encoding="utf-8")
    (example / "study.yaml").write_text(
        text.replace("area_covariates: area_covariates.csv\n", ""), encoding="utf-8"
    )
    assert load_study(example, check_columns=False).area_covariates is None


@pytest.mark.parametrize(
    ("content", "item", "row", "message"),
    [
        ("community,calls\na,1\nb,x\n", "calls", [3], "not a number"),
        ("community,calls\na,1\nb,\n", "calls", [3], "blank or not a number"),
        ("community,calls\na,1\na,2\n", "community", [2, 3], "listed more than once"),
        ("community,calls\n,1\nb,2\n", "community", [2], "blank cell"),
    ],
)
def test_bad_cells_name_file_row_and_column(example: Path, content, item, row, message) -> None:
    _write(example, content)
    with pytest.raises(StudyError, match=message) as err:
        load_study(example, check_columns=False)
    assert err.value.item == item and err.value.row == row
    assert err.value.file == str(example / "area_covariates.csv")
    assert err.value.hint


def test_a_table_without_community_or_numbers(example: Path) -> None:
    _write(example, "hromada,calls\na,1\n")
    with pytest.raises(StudyError, match="'community' column") as err:
        load_study(example, check_columns=False)
    assert err.value.item == "community"
    _write(example, "community\na\n")
    with pytest.raises(StudyError, match="at least one numeric column"):
        load_study(example, check_columns=False)


def test_a_missing_file_names_the_key(example: Path) -> None:
    (example / "area_covariates.csv").unlink()
    with pytest.raises(StudyError, match="does not exist") as err:
        load_study(example, check_columns=False)
    assert "area_covariates" in str(err.value)


def test_a_file_outside_the_study_folder_is_refused(example: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.csv"
    outside.write_text("community,calls\na,1\n", encoding="utf-8")
    text = (example / "study.yaml").read_text(encoding="utf-8")
    (example / "study.yaml").write_text(
        text.replace("area_covariates: area_covariates.csv", f"area_covariates: {outside}"),
        encoding="utf-8",
    )
    with pytest.raises(StudyError, match="outside the study folder"):
        load_study(example, check_columns=False)


def test_a_typo_in_the_key_is_caught(example: Path) -> None:
    text = (example / "study.yaml").read_text(encoding="utf-8")
    (example / "study.yaml").write_text(
        text.replace("area_covariates:", "area_covariate:"), encoding="utf-8"
    )
    with pytest.raises(StudyError, match="area_covariates"):
        load_study(example, check_columns=False)
