"""Validation finds exactly the example study's deliberate errors, each by name."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from trustsurvey.example import generate_example
from trustsurvey.study import load_study
from trustsurvey.validation import clean_study, validate_study

REPO = Path(__file__).resolve().parents[2]
WAVE_FILES = {1: "data/wave1_baseline.sav", 2: "data/wave2_followup.sav"}


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    """A copy of the committed example study (outputs never touch the repository)."""
    target = tmp_path_factory.mktemp("ex") / "study"
    shutil.copytree(REPO / "data" / "example", target, ignore=shutil.ignore_patterns("out"))
    return target


@pytest.fixture(scope="module")
def report(example):
    return validate_study(load_study(example))


@pytest.fixture(scope="module")
def planted(example) -> pd.DataFrame:
    return pd.read_csv(example / "deliberate_errors.csv", dtype={"resp_id": "Int64"})


def _found(report) -> set[tuple[str, str, str]]:
    return {(r.file, r.resp_id, r.check) for r in report.table.itertuples()}


def _expected(planted: pd.DataFrame) -> set[tuple[str, str, str]]:
    return {
        (WAVE_FILES[r.wave], "" if pd.isna(r.resp_id) else str(r.resp_id), r.check)
        for r in planted.itertuples()
    }


def test_exactly_the_deliberate_errors(report, planted) -> None:
    assert _found(report) == _expected(planted)


@pytest.mark.parametrize(
    "check",
    [
        "duplicate",
        "invalid_code",
        "not_relevant",
        "exclusive_option",
        "speeder",
        "straightlining",
        "interviewer_dk",
    ],
)
def test_each_deliberate_error_is_found(report, planted, check) -> None:
    expected = {e for e in _expected(planted) if e[2] == check}
    assert len(expected) == 1
    assert expected <= _found(report)


def test_interviewer_finding_names_the_interviewer(report) -> None:
    row = report.table[report.table["check"] == "interviewer_dk"].iloc[0]
    assert row["value"] == "232"
    assert "232" not in row["resp_id"]
    assert "difficult to answer" in row["message_en"] and "важко відповісти" in row["message_uk"]


def test_item_names_are_questionnaire_terms(report) -> None:
    items = dict(zip(report.table["check"], report.table["item"], strict=True))
    assert items["invalid_code"] == "trust_police"
    assert items["not_relevant"] == "contact_satisfaction"
    assert items["exclusive_option"] == "problems"
    assert items["straightlining"] == "police_views"
    assert items["speeder"] == "duration_min"


def test_another_seed_plants_and_finds_the_same_kinds(tmp_path: Path) -> None:
    folder = generate_example(tmp_path / "s", seed=99)
    planted = pd.read_csv(folder / "deliberate_errors.csv", dtype={"resp_id": "Int64"})
    assert _found(validate_study(load_study(folder))) == _expected(planted)


def test_clean_excludes_duplicates_and_hard_errors(example, report, planted) -> None:
    result = clean_study(load_study(example), report, out_dir=example / "out" / "clean_test")
    excluded = set(zip(result.exclusions["file"], result.exclusions["resp_id"], strict=True))
    hard = planted[planted["check"].isin(["duplicate", "invalid_code", "exclusive_option"])]
    assert excluded == {(WAVE_FILES[r.wave], str(r.resp_id)) for r in hard.itertuples()}
    assert sum(len(sd.data) for sd in result.data.values()) == 4001 - 3
    log = pd.read_csv(example / "out" / "clean_test" / "exclusions.csv")
    assert set(log["checks"]) == {"duplicate", "invalid_code", "exclusive_option"}
    assert log["reasons"].str.len().min() > 10


def test_clean_exclusions_are_configurable(example, report) -> None:
    result = clean_study(
        load_study(example), report, exclude=["speeder", "straightlining"], write=False
    )
    assert sorted(result.exclusions["checks"]) == ["speeder", "straightlining"]


def test_validation_never_changes_the_data(example) -> None:
    from trustsurvey.validation.validate import read_wave

    study = load_study(example)
    data = {w.code: read_wave(study, w) for w in study.waves}
    before = {k: sd.data.copy() for k, sd in data.items()}
    validate_study(study, data=data)
    for k, sd in data.items():
        pd.testing.assert_frame_equal(sd.data, before[k])
