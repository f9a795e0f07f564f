"""The study commands through a real subprocess: example, validate, clean, run."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from trustsurvey.run.pipeline import STEPS


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trustsurvey", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def checksums(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "out" not in p.relative_to(folder).parts
    }


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cli") / "example"
    result = cli("example", folder, "--seed", "20190415")
    assert result.returncode == 0, result.stderr
    assert "Example study written" in result.stdout
    return folder


def test_example_writes_the_study(study: Path) -> None:
    for name in ("study.yaml", "README.md", "data/wave1_baseline.sav", "margins.csv"):
        assert (study / name).is_file(), name
    again = cli("example", study)
    assert again.returncode == 2
    assert "--force" in again.stderr and "study.yaml" in again.stderr


def test_validate_exits_1_on_errors_and_writes_the_report(study: Path, tmp_path: Path) -> None:
    result = cli("validate", study, "-o", tmp_path / "rep")
    assert result.returncode == 1, result.stderr
    assert "3 error(s), 4 warning(s)" in result.stdout
    table = pd.read_csv(tmp_path / "rep" / "validation.csv")
    assert set(table["check"]) == {
        "duplicate",
        "invalid_code",
        "not_relevant",
        "exclusive_option",
        "speeder",
        "straightlining",
        "interviewer_dk",
    }
    page = (tmp_path / "rep" / "validation.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "interviewer_dk" in page


def test_clean_then_validate_exits_0_with_warnings_only(study: Path, tmp_path: Path) -> None:
    result = cli("clean", study, "-o", tmp_path / "clean")
    assert result.returncode == 0, result.stderr
    assert "excluded 3" in result.stdout
    log = pd.read_csv(tmp_path / "clean" / "exclusions.csv")
    assert len(log) == 3 and set(log.columns) == {"file", "row", "resp_id", "checks", "reasons"}
    text = (study / "study.yaml").read_text(encoding="utf-8")
    clean_study = tmp_path / "cleaned"
    clean_study.mkdir()
    for name in ("communities.csv", "margins.csv", "area_covariates.csv"):
        (clean_study / name).write_bytes((study / name).read_bytes())
    text = text.replace(
        "data/wave1_baseline.sav", str(tmp_path / "clean" / "wave1_baseline_clean.sav")
    )
    text = text.replace(
        "data/wave2_followup.sav", str(tmp_path / "clean" / "wave2_followup_clean.sav")
    )
    text = text[: text.index("focus_groups:")] + text[text.index("validation:") :]
    text += "files_outside_folder: true\n"  # the cleaned files lie beside, not inside
    (clean_study / "study.yaml").write_text(text, encoding="utf-8")
    result = cli("validate", clean_study)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 error(s), 4 warning(s)" in result.stdout


def test_run_writes_estimates_and_never_touches_raw_files(study: Path) -> None:
    before = checksums(study)
    result = cli("run", study)
    assert result.returncode == 0, result.stderr
    for number, step in enumerate(STEPS, start=1):
        assert f"[{number}/{len(STEPS)}] {step.name}" in result.stdout
    assert checksums(study) == before
    estimates = pd.read_csv(study / "out" / "estimates.csv")
    trust = estimates[estimates["variable"] == "trust_police"]
    assert sorted(zip(trust["arm"], trust["wave"], strict=True)) == [
        ("control", 1),
        ("control", 2),
        ("pilot", 1),
        ("pilot", 2),
    ]
    assert (trust["se"] > 0).all() and (trust["ci_low"] < trust["estimate"]).all()
    assert (study / "out" / "validation" / "validation.html").is_file()
    assert (study / "out" / "clean" / "exclusions.csv").is_file()
    analysis = pd.read_parquet(study / "out" / "analysis.parquet")
    assert "phone" not in analysis.columns and "pj_index" in analysis.columns
    assert len(analysis) == 4001 - 3


def test_unknown_study_is_a_one_line_error(tmp_path: Path) -> None:
    result = cli("validate", tmp_path / "nowhere")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error:") and "study folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_texts() -> None:
    for command in ("example", "validate", "clean", "run"):
        result = cli(command, "--help")
        assert result.returncode == 0
        assert "Usage" in result.stdout
