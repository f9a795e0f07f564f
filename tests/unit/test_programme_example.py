"""The example study's programme records: planted errors found, PII never written, CLI,
pipeline step, determinism."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from trustsurvey.example import generate_example
from trustsurvey.example.programme import build_programme
from trustsurvey.programme import read_programme, validate_programme, write_programme_report
from trustsurvey.run.pipeline import STEPS, run_study
from trustsurvey.study import load_study


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    return generate_example(tmp_path_factory.mktemp("programme") / "example")


@pytest.fixture(scope="module")
def report(example: Path, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("report")
    return write_programme_report(load_study(example), out, survey=None)


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((folder / "programme").glob("*"))
    }


def test_validation_finds_each_planted_error_and_nothing_else(example):
    planted = pd.read_csv(example / "programme" / "deliberate_errors.csv", dtype=str)
    result = validate_programme(load_study(example))
    found = result.report.errors
    got = sorted(
        zip(found["file"].str.replace(".csv", ""), found["resp_id"], found["check"], strict=True)
    )
    assert got == sorted(zip(planted["file"], planted["id"], planted["check"], strict=True))
    assert result.report.n_warnings == 0
    # every row with an error is listed as excluded
    assert len(result.exclusions) == len(planted)


def test_pilot_gets_more_activity_between_the_waves_than_control(example, report):
    by_arm = pd.read_csv(report["activities_by_arm"])
    between = by_arm[by_arm["period"] == "between_waves_1_2"].set_index("arm")
    assert between.loc["pilot", "activities"] > 3 * between.loc["control", "activities"]
    intensity = pd.read_csv(report["intensity"])
    assert (
        intensity.groupby("arm")["activities_per_1000"].min()["pilot"]
        > (intensity.groupby("arm")["activities_per_1000"].max()["control"])
    )


def test_training_gain_is_recovered(report):
    effects = pd.read_csv(report["training_effects"])
    police = effects[(effects["type"] == "training_police") & (effects["comparison"] == "post-pre")]
    # true gain 9 points (scores are rounded and clipped to 0-100)
    assert police["ci_low"].iloc[0] < 9.0 < police["ci_high"].iloc[0]


def test_caller_details_and_notes_never_leave_the_machine(example, report):
    raw = pd.read_csv(example / "programme" / "hotline.csv", dtype=str)
    names, phones = set(raw["caller_name"]), set(raw["caller_phone"])
    data = read_programme(load_study(example))
    assert data.dropped_pii["hotline"] == ["caller_name", "caller_phone"]
    assert not any(c.startswith("caller_") for c in data.hotline.columns)
    for path in report.values():
        text = Path(path).read_text(encoding="utf-8")
        assert "caller_" not in text, path
        assert "notes" not in text.split("\n")[0], path
        for secret in list(names)[:50] + list(phones)[:50]:
            assert secret not in text, (path, secret)


def test_notes_are_never_written(fixtures_dir, tmp_path):
    study = load_study(fixtures_dir / "programme" / "study")
    paths = write_programme_report(study, tmp_path)
    for path in paths.values():
        text = Path(path).read_text(encoding="utf-8")
        assert "SECRET-NOTE" not in text and "-Secret" not in text and "+380" not in text


def test_build_programme_is_deterministic_and_leaves_the_survey_unchanged():
    a, b = build_programme(20190415), build_programme(20190415)
    pd.testing.assert_frame_equal(a.activities, b.activities)
    pd.testing.assert_frame_equal(a.hotline, b.hotline)
    pd.testing.assert_frame_equal(a.trainings, b.trainings)
    assert not build_programme(1).hotline.equals(a.hotline)


def test_committed_example_matches_the_generator(example):
    repo = Path(__file__).resolve().parents[2] / "data" / "example"
    for name in ("activities.csv", "hotline.csv", "trainings.csv", "population.csv"):
        assert (repo / "programme" / name).read_bytes() == (
            example / "programme" / name
        ).read_bytes(), name


def test_pipeline_step_writes_tables_and_dose_response(example, tmp_path):
    import shutil

    folder = tmp_path / "study"
    shutil.copytree(example, folder, ignore=shutil.ignore_patterns("out"))
    before = _digest(folder)
    names = ("read", "validate", "clean", "indices", "programme")
    steps = [s for s in STEPS if s.name in names]
    assert [s.name for s in steps] == list(names)
    ctx = run_study(folder, steps=steps, echo=lambda s: None)
    out = folder / "out" / "programme"
    assert (out / "dose_response.csv").is_file() and (out / "dose_response.html").is_file()
    dose = pd.read_csv(out / "dose_response.csv")
    assert len(dose) == 12 and (dose["se"] > 0).all()
    assert dose["note_en"].str.contains("not a causal effect").all()
    assert dose["note_uk"].str.contains("спостережний", case=False).all()
    fit = pd.read_csv(out / "dose_response_fit.csv")
    assert list(fit["term"]) == ["intercept", "slope"]
    assert "programme_dose_response" in ctx.outputs
    assert _digest(folder) == before  # raw programme files untouched


def test_trust_change_se_combines_independent_waves(example):
    """Waves are separate strata: Var(change) = se_1^2 + se_2^2 for each community."""
    from trustsurvey.design import SurveyDesign
    from trustsurvey.programme import trust_change
    from trustsurvey.run.frame import analysis_frame
    from trustsurvey.validation.validate import read_wave

    study = load_study(example)
    frame = analysis_frame(study, {w.code: read_wave(study, w) for w in study.waves})
    change = trust_change(frame, study.design.kwargs(), "trust_police").set_index("community")
    frame = frame.assign(community=frame["community"].astype("str"))
    means = SurveyDesign(frame, **study.design.kwargs()).mean(
        "trust_police", by=["community", "wave"]
    )
    means = means.reset_index()
    means["wave"] = pd.to_numeric(means["wave"])
    c = "chuhuivska"
    m1 = means[(means["community"] == c) & (means["wave"] == 1)].iloc[0]
    m2 = means[(means["community"] == c) & (means["wave"] == 2)].iloc[0]
    assert change.loc[c, "change"] == pytest.approx(m2["estimate"] - m1["estimate"])
    assert change.loc[c, "se"] == pytest.approx((m1["se"] ** 2 + m2["se"] ** 2) ** 0.5, rel=1e-6)


def _cli(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "trustsurvey", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_validate_names_file_row_value_and_exits_1(example, tmp_path):
    result = _cli("programme", "validate", example, "-o", tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Validation: 8 error(s)" in result.stdout
    assert "threats" in result.stdout and "hotline.csv" in result.stdout
    assert (tmp_path / "validation.csv").is_file() and (tmp_path / "exclusions.csv").is_file()


def test_cli_report_writes_tables(fixtures_dir, tmp_path):
    result = _cli(
        "programme", "report", fixtures_dir / "programme" / "study", "-o", tmp_path, "--no-survey"
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "intensity.csv").is_file()
    assert (tmp_path / "resolution_curves.html").is_file()


def test_cli_without_programme_section_is_one_line_error(tmp_path):
    study = generate_example(tmp_path / "s")
    text = (study / "study.yaml").read_text(encoding="utf-8")
    start = text.index("programme:")
    end = text.index("validation:")
    (study / "study.yaml").write_text(text[:start] + text[end:], encoding="utf-8")
    result = _cli("programme", "validate", study)
    assert result.returncode == 2
    assert "programme" in result.stderr and "What to do" in result.stderr


def test_cli_help():
    result = _cli("programme", "--help")
    assert result.returncode == 0 and "validate" in result.stdout and "report" in result.stdout
