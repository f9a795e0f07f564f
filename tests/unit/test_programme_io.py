"""Reading programme records (CSV and Excel), the study.yaml section, the vocabulary."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest

from trustsurvey.errors import QuestionnaireError
from trustsurvey.programme import load_vocabulary, read_programme, validate_programme
from trustsurvey.programme.validate import study_period
from trustsurvey.study import load_study


@pytest.fixture
def study_dir(fixtures_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "study"
    shutil.copytree(fixtures_dir / "programme" / "study", target)
    return target


def _set_yaml(folder: Path, old: str, new: str) -> None:
    path = folder / "study.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_study_yaml_programme_section(fixtures_dir):
    study = load_study(fixtures_dir / "programme" / "study")
    spec = study.programme
    assert spec.activities.name == "activities.csv" and spec.population.name == "population.csv"
    assert spec.vocabulary == "programme_vocabulary"
    assert spec.hotline in study.raw_files()
    # default period: a year around the waves' fieldwork
    assert study_period(study) == (dt.date(2018, 3, 1), dt.date(2021, 3, 31))


def test_excel_records_validate_like_csv(study_dir):
    csv = study_dir / "programme" / "activities.csv"
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    frame.loc[1, "participants"] = "-4"
    frame.to_excel(study_dir / "programme" / "activities.xlsx", index=False)
    _set_yaml(study_dir, "programme/activities.csv", "programme/activities.xlsx")
    result = validate_programme(load_study(study_dir))
    neg = result.report.table[result.report.table["check"] == "negative_count"]
    assert neg[["file", "row", "value"]].values.tolist() == [["activities.xlsx", 2, "-4"]]


def test_programme_period_from_study_yaml(study_dir):
    _set_yaml(
        study_dir,
        "  population: programme/population.csv\n",
        "  population: programme/population.csv\n  period: {start: 2019-02-01, end: 2020-12-31}\n",
    )
    result = validate_programme(load_study(study_dir))
    outside = result.report.table[result.report.table["check"] == "date_outside_period"]
    # A1 (2019-01-15) is now before the period
    assert outside[["file", "row", "value"]].values.tolist() == [
        ["activities.csv", 1, "2019-01-15"]
    ]


def test_caller_columns_are_dropped_on_reading(fixtures_dir):
    data = read_programme(load_study(fixtures_dir / "programme" / "study"))
    assert data.dropped_pii == {
        "activities": [],
        "hotline": ["caller_name", "caller_phone"],
        "trainings": [],
    }
    assert "caller_name" not in data.hotline.columns


def test_vocabulary_mirror_and_labels():
    vocab = load_vocabulary()
    assert {"training_police", "school_police", "advisory_group"} <= set(
        vocab.codes("activity_type")
    )
    assert vocab.codes("resolved") == ["yes", "no", "pending"]
    assert vocab.label("channel", "in_person", "uk") == "Особисто"


def test_custom_vocabulary_from_the_study_folder(study_dir):
    from trustsurvey.questionnaire import instrument_path

    text = instrument_path("programme_vocabulary").read_text(encoding="utf-8")
    text = text.replace(
        "      other: {uk: Інше, en: Other}",
        "      other: {uk: Інше, en: Other}\n      threats: {uk: Погрози, en: Threats}",
    )
    (study_dir / "vocab.yaml").write_text(text, encoding="utf-8")
    _set_yaml(
        study_dir,
        "  population: programme/population.csv\n",
        "  population: programme/population.csv\n  vocabulary: vocab.yaml\n",
    )
    path = study_dir / "programme" / "hotline.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[0, "category"] = "threats"
    frame.to_csv(path, index=False)
    result = validate_programme(load_study(study_dir))
    assert "unknown_code" not in set(result.report.table["check"])


def test_vocabulary_without_a_required_list_is_an_error(tmp_path):
    path = tmp_path / "v.yaml"
    path.write_text(
        "name: v\nversion: '1'\nlanguages: [uk, en]\ntitle: {uk: v, en: v}\nitems:\n"
        "  - name: channel\n    type: single\n    text: {uk: k, en: c}\n"
        "    codes:\n      phone: {uk: т, en: p}\n",
        encoding="utf-8",
    )
    with pytest.raises(QuestionnaireError) as err:
        load_vocabulary(path)
    assert "activity_type" in err.value.message and err.value.hint
