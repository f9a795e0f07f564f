"""`trustsurvey example --shape …` and `--communities N --waves W`: studies of other shapes.

Each shape writes a study that loads and validates (validation finds exactly the planted
errors), the same seed gives the same data, and the planted true effects are in the data.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from trustsurvey.errors import StudyError
from trustsurvey.example import DEFAULT_SEED, generate_example
from trustsurvey.example.generator import build_study
from trustsurvey.example.shapes import COHORT_EFFECTS, national_plan, shape_plan
from trustsurvey.study import load_study
from trustsurvey.validation import validate_study

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "data" / "example"


@pytest.fixture(scope="module")
def studies(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("shapes")
    return {
        shape: generate_example(root / shape, seed=3, shape=shape)
        for shape in ("renamed", "one-wave", "no-arms", "staggered")
    }


def _planted(folder: Path, study) -> set[tuple[str, str, str]]:
    planted = pd.read_csv(folder / "deliberate_errors.csv", dtype={"resp_id": "Int64"})
    files = {
        w.code: str(w.file.resolve().relative_to(study.folder.resolve()))
        if w.file.resolve().is_relative_to(study.folder.resolve())
        else str(w.file)
        for w in study.waves
    }
    return {
        (files[r.wave], "" if pd.isna(r.resp_id) else str(r.resp_id), r.check)
        for r in planted.itertuples()
    }


def _found(report) -> set[tuple[str, str, str]]:
    return {(r.file, r.resp_id, r.check) for r in report.table.itertuples()}


@pytest.mark.parametrize("shape", ["one-wave", "no-arms"])
def test_shape_loads_and_validation_finds_the_planted_errors(studies, shape) -> None:
    study = load_study(studies[shape])
    report = validate_study(study)
    assert _found(report) == _planted(studies[shape], study)


def test_one_wave_is_a_baseline_alone(studies) -> None:
    study = load_study(studies["one-wave"])
    assert [(w.code, w.period) for w in study.waves] == [(1, "baseline")]
    assert study.arms.treatment == "pilot"
    planted = pd.read_csv(studies["one-wave"] / "deliberate_errors.csv")
    assert set(planted["wave"]) == {1}


def test_no_arms_study_has_no_arms_and_no_pilot_column(studies) -> None:
    study = load_study(studies["no-arms"])
    assert "arms" not in study.raw
    assert "pilot" not in study.questionnaire.items
    frame, _ = pyreadstat.read_sav(str(studies["no-arms"] / "data" / "wave2.sav"))
    assert "pilot" not in frame.columns


def test_no_arms_every_community_moves_alike() -> None:
    """Every community gets the programme from wave 2: the planted effect is the same
    everywhere, and the weighted rise of all communities is trend + effect (0.30)."""
    from trustsurvey.example.responses import EFFECT, TREND

    plan = shape_plan("no-arms")
    frames = build_study(plan, seed=3)
    wave2 = frames.waves[2]
    exposure = plan.exposure(wave2)
    assert set(exposure.effect) == {EFFECT} and set(exposure.trend) == {TREND}
    assert set(plan.exposure(frames.waves[1]).effect) == {0.0}
    both = pd.concat(frames.waves.values())
    both = both[both["trust_police"] <= 5]
    means = both.groupby("wave").apply(
        lambda f: np.average(f["trust_police"], weights=f["pw"]), include_groups=False
    )
    assert abs(means[2] - means[1] - (TREND + EFFECT)) < 0.1


def test_renamed_is_a_firms_files_without_our_study(studies) -> None:
    folder = studies["renamed"]
    assert not (folder / "study.yaml").exists()
    assert not (folder / "questionnaire.yaml").exists()
    frame, meta = pyreadstat.read_sav(str(folder / "data" / "wave1.sav"), user_missing=True)
    for name in ("q7_trust", "q8_1", "gender", "hromada", "q12_safety", "q16_13", "grupa"):
        assert name in frame.columns, name
    assert "trust_police" not in frame.columns
    assert meta.variable_value_labels["q7_trust"][98.0] == "Важко відповісти"
    assert meta.variable_value_labels["q7_trust"][99.0] == "Відмова від відповіді"
    valid = frame["q7_trust"].dropna().isin([1.0, 2.0, 3.0, 4.0, 5.0, 98.0, 99.0])
    assert (~valid).sum() == 1  # the planted out-of-range code
    assert (frame["q7_trust"] == 98).mean() > 0.03
    labels = " ".join(str(v) for v in meta.column_names_to_labels.values() if v)
    assert not any(word in labels for word in ("trust", "police", "How "))  # Ukrainian only
    assert set(frame["grupa"]) == {1.0, 2.0}


def test_renamed_ready_variant_loads_and_finds_the_planted_errors(studies) -> None:
    study = load_study(studies["renamed"] / "ready")
    assert study.arms.treatment == "grupa"
    assert study.questionnaire.item("q7_trust").missing_kinds == {98: "dont_know", 99: "refused"}
    report = validate_study(study)
    found = {(Path(f).name, r, c) for f, r, c in _found(report)}
    planted = {(Path(f).name, r, c) for f, r, c in _planted(studies["renamed"], study)}
    # the ready questionnaire has our grids and skip rules, so every planted error shows
    assert found == planted


def test_staggered_waves_and_cohorts(studies) -> None:
    folder = studies["staggered"]
    text = (folder / "study.yaml").read_text(encoding="utf-8")
    assert "first_treated:" in text and "iziumska: null" in text and "chuhuivska: 2" in text
    assert (folder / "data" / "wave3_kobo.csv").exists()
    assert not (folder / "data" / "wave3.sav").exists()
    frames = build_study(shape_plan("staggered"), seed=3)
    assert sorted(frames.waves) == [1, 2, 3]
    assert "pilot" not in frames.waves[1].columns


def test_staggered_effects_differ_by_cohort() -> None:
    """The DiD of each cohort against never-treated, at its first treated wave, is the
    cohort's planted effect (within sampling error)."""
    frames = build_study(shape_plan("staggered"), seed=3)
    data = pd.concat(frames.waves.values())
    data = data[data["trust_police"] <= 5]
    cohort = data["raion"].map({1: 2, 2: 3, 3: 3, 4: 0})

    def mean(c: int, w: int) -> float:
        part = data[(cohort == c) & (data["wave"] == w)]
        return float(np.average(part["trust_police"], weights=part["pw"]))

    did2 = (mean(2, 2) - mean(2, 1)) - (mean(0, 2) - mean(0, 1))
    did3 = (mean(3, 3) - mean(3, 2)) - (mean(0, 3) - mean(0, 2))
    assert abs(did2 - COHORT_EFFECTS[2]) < 0.2
    assert abs(did3 - COHORT_EFFECTS[3]) < 0.2
    assert did2 > did3


def test_kobo_wave_looks_like_a_kobo_export(studies) -> None:
    table = pd.read_csv(studies["staggered"] / "data" / "wave3_kobo.csv", dtype=str)
    columns = list(table.columns)
    assert {"_id", "_uuid", "_submission_time", "start", "end", "today"} <= set(columns)
    assert "police_views/pj_respect" in columns and "survey/trust_police" in columns
    assert "survey/problems" in columns
    assert not any(c.startswith("survey/problems/") or c.startswith("problems_") for c in columns)
    tokens = {t for answer in table["survey/problems"].dropna() for t in answer.split()}
    assert {"theft", "lighting", "none"} <= tokens
    assert (
        table["_uuid"]
        .str.fullmatch(
            r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-"
            r"[0-9a-f]{12}"
        )
        .all()
    )
    start = pd.to_datetime(table["start"], format="ISO8601", utc=True)
    end = pd.to_datetime(table["end"], format="ISO8601", utc=True)
    minutes = (end - start).dt.total_seconds() / 60
    assert minutes.min() >= 5.9 and minutes.median() == pytest.approx(26, abs=2)
    assert table["survey/trust_police"].dropna().isin(["1", "2", "3", "4", "5", "8", "9"]).all()


def test_same_seed_same_shape() -> None:
    a = build_study(shape_plan("staggered"), seed=8)
    b = build_study(shape_plan("staggered"), seed=8)
    c = build_study(shape_plan("staggered"), seed=9)
    for wave in a.waves:
        pd.testing.assert_frame_equal(a.waves[wave], b.waves[wave])
    pd.testing.assert_frame_equal(a.programme.hotline, b.programme.hotline)
    assert not a.waves[3]["trust_police"].equals(c.waves[3]["trust_police"])


def test_default_example_unchanged_byte_for_byte(tmp_path) -> None:
    """Without options the generator writes the committed example: every text file the same
    bytes (the .sav files differ only in their creation time stamp; their data are compared
    by test_example_generator)."""
    fresh = generate_example(tmp_path / "s", seed=DEFAULT_SEED)
    texts = [
        p for p in COMMITTED.rglob("*") if p.is_file() and p.suffix in (".csv", ".yaml", ".md")
    ]
    texts = [p for p in texts if "out" not in p.relative_to(COMMITTED).parts]
    assert len(texts) >= 10
    for path in texts:
        rel = path.relative_to(COMMITTED)
        digest = hashlib.sha256((fresh / rel).read_bytes()).hexdigest()
        assert digest == hashlib.sha256(path.read_bytes()).hexdigest(), rel


# --- national scale ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def national(tmp_path_factory) -> Path:
    return generate_example(
        tmp_path_factory.mktemp("nat") / "s", seed=4, communities=30, waves=3, progress=False
    )


def test_national_study_loads_and_validates(national) -> None:
    study = load_study(national)
    assert [w.code for w in study.waves] == [1, 2, 3]
    assert [w.period for w in study.waves] == ["baseline", "follow-up", "follow-up"]
    report = validate_study(study)
    assert report.errors.empty
    communities = pd.read_csv(national / "communities.csv")
    assert len(communities) == 30 and set(communities["arm"]) == {"pilot", "control"}


def test_national_sizes_per_community_and_wave(national) -> None:
    for wave in (1, 2, 3):
        frame, _ = pyreadstat.read_sav(str(national / "data" / f"wave{wave}.sav"))
        sizes = frame.groupby("community").size()
        assert len(sizes) == 30
        assert sizes.min() >= 15 and sizes.max() <= 200
        assert frame.groupby("stratum")["psu"].nunique().min() >= 2
        assert frame["resp_id"].is_unique


def test_national_records_and_margins(national) -> None:
    hotline = pd.read_csv(national / "programme" / "hotline.csv")
    activities = pd.read_csv(national / "programme" / "activities.csv")
    population = pd.read_csv(national / "programme" / "population.csv")
    assert len(population) == 30
    assert set(hotline["community"]) <= set(population["community"]) | {"kupianska"}
    assert len(activities) > 100 and len(hotline) > 100
    margins = pd.read_csv(national / "margins.csv")
    sums = margins.groupby(["wave", "raion", "margin"])["target"].sum().unstack()
    assert (sums["sex*agegrp"] == sums["settlement"]).all()
    assert set(margins["wave"]) == {1, 2, 3}


def test_national_plan_is_deterministic() -> None:
    a, b = national_plan(50, 2, seed=1), national_plan(50, 2, seed=1)
    pd.testing.assert_frame_equal(a.geography.communities, b.geography.communities)
    pd.testing.assert_frame_equal(a.geography.settlements, b.geography.settlements)
    assert not a.geography.communities.equals(national_plan(50, 2, seed=2).geography.communities)
    first, again = build_study(a, seed=1), build_study(b, seed=1)
    for wave in (1, 2):
        pd.testing.assert_frame_equal(first.waves[wave], again.waves[wave])
    for table in ("activities", "hotline", "trainings"):
        pd.testing.assert_frame_equal(
            getattr(first.programme, table), getattr(again.programme, table)
        )


def test_national_pilot_effect_is_there() -> None:
    frames = build_study(national_plan(200, 2, seed=5), seed=5)
    data = pd.concat(frames.waves.values())
    data = data[data["trust_police"] <= 5]

    def mean(pilot: int, wave: int) -> float:
        part = data[(data["pilot"] == pilot) & (data["wave"] == wave)]
        return float(np.average(part["trust_police"], weights=part["pw"]))

    did = (mean(1, 2) - mean(1, 1)) - (mean(0, 2) - mean(0, 1))
    assert abs(did - 0.25) < 0.1


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"communities": 1}, "out of range"),
        ({"communities": 10, "waves": 0}, "out of range"),
        ({"shape": "triangle"}, "unknown shape"),
        ({"shape": "one-wave", "communities": 10}, "do not go together"),
    ],
)
def test_bad_options_are_clear_errors(tmp_path, kwargs, match) -> None:
    with pytest.raises(StudyError, match=match):
        generate_example(tmp_path / "s", **kwargs)
    assert not (tmp_path / "s").exists()


def test_renamed_is_not_overwritten_without_force(studies) -> None:
    with pytest.raises(StudyError, match="force"):
        generate_example(studies["renamed"], shape="renamed")


def test_staggered_study_loads_with_its_first_treated_waves(studies) -> None:
    study = load_study(studies["staggered"])
    assert [w.code for w in study.waves] == [1, 2, 3]
    assert study.arms.first_treated["chuhuivska"] == 2
    assert study.arms.first_treated["zmiivska"] == 3
    assert study.arms.first_treated["iziumska"] is None


def test_kobo_wave_reads_back_as_the_generated_answers(studies) -> None:
    """Read as a study wave, the Kobo export gives the generated answers (same seed)."""
    from trustsurvey.validation.validate import read_wave

    study = load_study(studies["staggered"])
    read = read_wave(study, study.wave(3)).data
    frame = build_study(shape_plan("staggered"), seed=3).waves[3]
    assert len(read) == len(frame)
    for col in frame.columns:
        if col == "interview_date":
            got = pd.to_datetime(read[col]).dt.date.tolist()
            assert got == list(frame[col]), col
        elif frame[col].dtype.kind in "fiu":
            np.testing.assert_allclose(
                read[col].to_numpy(float), frame[col].to_numpy(float), err_msg=col
            )
        else:
            assert read[col].astype(str).tolist() == frame[col].astype(str).tolist(), col


def test_generator_benchmark_runs(tmp_path) -> None:
    """benchmarks/bench_example.py (smoke size): one row per size, the JSON beside it."""
    import json
    import subprocess
    import sys

    bench = REPO / "benchmarks" / "bench_example.py"
    result = subprocess.run(
        [sys.executable, str(bench), "--sizes", "12", "--waves", "1", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "example_latest.json").read_text(encoding="utf-8"))
    (row,) = data["results"]
    assert row["communities"] == 12 and row["waves"] == 1 and row["rows"] > 12 * 15


@pytest.mark.parametrize("communities, waves", [(2, 1), (3, 2)])
def test_smallest_national_studies_load(tmp_path, communities, waves) -> None:
    folder = generate_example(
        tmp_path / "s", seed=1, communities=communities, waves=waves, progress=False
    )
    study = load_study(folder)
    assert len(study.waves) == waves
    assert len(pd.read_csv(folder / "communities.csv")) == communities
    planted = pd.read_csv(folder / "programme" / "deliberate_errors.csv")
    trainings = pd.read_csv(folder / "programme" / "trainings.csv")
    assert len(planted) == 7 + int(len(trainings) > 0)
