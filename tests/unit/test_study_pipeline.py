"""The pipeline as named steps: progress, outputs, custom steps, estimates by arm x wave."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from trustsurvey.design import SurveyDesign
from trustsurvey.errors import StudyError
from trustsurvey.example.responses import EFFECT
from trustsurvey.run.frame import missing_column
from trustsurvey.run.pipeline import STEPS, Step, run_study, steps_until
from trustsurvey.study import load_study

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run") / "study"
    shutil.copytree(REPO / "data" / "example", folder, ignore=shutil.ignore_patterns("out"))
    lines: list[str] = []
    seen: list[str] = []
    steps = [*STEPS, Step("custom", "a later room's step", lambda ctx: seen.append("custom"))]
    ctx = run_study(folder, steps=steps, echo=lines.append)
    return ctx, lines, seen


def test_each_step_reports_progress(ran) -> None:
    _, lines, seen = ran
    total = len(STEPS) + 1  # the registered steps and the custom one
    progress = [x.split("]")[0] for x in lines if x.startswith("[")]
    assert progress == [f"[{i}/{total}" for i in range(1, total + 1)]
    assert seen == ["custom"]
    assert any("Validation: 3 error(s)" in x for x in lines)


def test_outputs_under_out(ran) -> None:
    ctx, _, _ = ran
    out = ctx.study.out_dir
    for name in (
        "validation/validation.csv",
        "validation/validation.html",
        "estimates.csv",
        "analysis.parquet",
        "clean/exclusions.csv",
        "clean/wave1_baseline_clean.sav",
    ):
        assert (out / name).is_file(), name
    assert not list(out.rglob(".*"))  # no temporary files left behind


def test_estimates_are_the_design_based_means(ran) -> None:
    ctx, _, _ = ran
    # the pipeline's one design, raked to the margins by the weight step (not the design
    # weights pw alone); tests/unit/test_weighting_pipeline.py checks the weights themselves
    design = ctx.design
    assert isinstance(design, SurveyDesign) and ctx.weighting is not None
    direct = design.mean("trust_police", by=["arm", "wave"]).reset_index()
    got = ctx.estimates[ctx.estimates["variable"] == "trust_police"].reset_index(drop=True)
    pd.testing.assert_series_equal(got["estimate"], direct["estimate"], check_names=False)
    pd.testing.assert_series_equal(got["se"], direct["se"], check_names=False)
    est = got.set_index(["arm", "wave"])["estimate"]
    did = (est["pilot", 2] - est["pilot", 1]) - (est["control", 2] - est["control", 1])
    assert abs(did - EFFECT) < 0.2  # the planted effect, within sampling error


def test_analysis_data_exclude_flagged_rows_and_pii(ran) -> None:
    ctx, _, _ = ran
    assert len(ctx.analysis) == 4001 - len(ctx.cleaned.exclusions)
    assert "phone" not in ctx.analysis.columns
    assert ctx.analysis["trust_police"].max() <= 5  # missing codes are NaN
    assert set(ctx.analysis["arm"].dropna()) == {"pilot", "control"}


def test_the_steps_are_one_ordered_list() -> None:
    names = [s.name for s in STEPS]
    assert names == [
        "read",
        "validate",
        "clean",
        "indices",
        "weight",
        "estimates",
        "programme",
        "analysis",
        "measurement",
        "publish",
    ]
    assert isinstance(STEPS, tuple)  # nothing can register itself into it
    assert [s.name for s in steps_until("indices")] == names[:4]
    with pytest.raises(StudyError, match="no pipeline step"):
        steps_until("nope")


def test_only_the_cli_imports_the_run_package() -> None:
    """trustsurvey.run sits on top: the settings model and the statistics layers never
    import it (the study package holds only the study.yaml settings)."""
    src = REPO / "src" / "trustsurvey"
    offenders = []
    for path in src.rglob("*.py"):
        rel = path.relative_to(src)
        if rel.parts[0] in ("run", "cli"):
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"(from|import)\s+trustsurvey\.run\b", text):
            offenders.append(str(rel))
    assert offenders == []
    assert not (src / "study" / "pipeline.py").exists()
    assert not list((src / "study").glob("steps_*.py"))


def test_the_analysis_frame_keeps_the_missing_codes_beside(ran) -> None:
    """``<item>__missing`` holds the raw code where the answer is a missing code."""
    ctx, _, _ = ran
    frame = ctx.analysis
    raw = pd.concat(
        [ctx.cleaned.data[w.code].data["trust_police"] for w in ctx.study.waves],
        ignore_index=True,
    )
    beside = frame[missing_column("trust_police")]
    assert set(beside.dropna()) == {8.0, 9.0}
    assert beside.notna().equals(frame["trust_police"].isna() & raw.isin([8, 9]))
    assert (beside.dropna() == raw[beside.notna()]).all()
    assert missing_column("phone") not in frame.columns  # PII dropped with its codes


def test_run_accepts_a_loaded_study(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    shutil.copytree(REPO / "data" / "example", folder, ignore=shutil.ignore_patterns("out"))
    study = load_study(folder)
    ctx = run_study(
        study, steps=[s for s in STEPS if s.name in ("read", "validate")], echo=lambda s: None
    )
    assert ctx.report.n_errors == 3 and ctx.estimates is None


def test_waves_in_other_formats_give_the_same_estimates(ran, tmp_path: Path) -> None:
    """CSV and Parquet waves (no SPSS metadata) stack with the same results."""
    import pyreadstat

    ctx, _, _ = ran
    folder = tmp_path / "s"
    shutil.copytree(REPO / "data" / "example", folder, ignore=shutil.ignore_patterns("out"))
    df1, _ = pyreadstat.read_sav(str(folder / "data" / "wave1_baseline.sav"), user_missing=True)
    df2, _ = pyreadstat.read_sav(str(folder / "data" / "wave2_followup.sav"), user_missing=True)
    df1.to_csv(folder / "data" / "wave1.csv", index=False)
    df2.to_parquet(folder / "data" / "wave2.parquet", index=False)
    text = (folder / "study.yaml").read_text(encoding="utf-8")
    text = text.replace("data/wave1_baseline.sav", "data/wave1.csv")
    text = text.replace("data/wave2_followup.sav", "data/wave2.parquet")
    (folder / "study.yaml").write_text(text, encoding="utf-8")
    other = run_study(folder, echo=lambda s: None)
    assert sorted(other.report.table["check"]) == sorted(ctx.report.table["check"])
    pd.testing.assert_frame_equal(other.estimates, ctx.estimates)


def test_a_file_holding_another_wave_s_code_is_named(tmp_path: Path) -> None:
    """One file per wave: a wave column (role wave) holding another code is an error naming
    the file, the item and the rows, not a silent mix of waves (in a full run validation
    flags such rows first and clean excludes them, in the exclusion log)."""
    import pyreadstat

    from trustsurvey.run.pipeline import steps_until

    folder = tmp_path / "s"
    shutil.copytree(REPO / "data" / "example", folder, ignore=shutil.ignore_patterns("out"))
    df2, _ = pyreadstat.read_sav(str(folder / "data" / "wave2_followup.sav"), user_missing=True)
    df2.loc[[4, 9], "wave"] = 1
    df2.to_csv(folder / "data" / "wave2.csv", index=False)
    text = (folder / "study.yaml").read_text(encoding="utf-8")
    text = text.replace("data/wave2_followup.sav", "data/wave2.csv")
    (folder / "study.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(StudyError) as err:
        steps = [s for s in steps_until("indices") if s.name in ("read", "indices")]
        run_study(folder, steps=steps, echo=lambda s: None)
    assert err.value.item == "wave" and "data/wave2.csv" in str(err.value)
    assert "wave code 2" in str(err.value) and "row 5, 10" in str(err.value)
