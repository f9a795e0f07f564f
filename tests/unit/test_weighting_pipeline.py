"""The ``weight`` step of ``trustsurvey run``: outputs, one weighted design, no-margin studies."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trustsurvey.design import SurveyDesign
from trustsurvey.run.pipeline import STEPS, run_study
from trustsurvey.run.weighting import study_frame, weight_study
from trustsurvey.study import load_study

REPO = Path(__file__).resolve().parents[2]
UP_TO_ESTIMATES = ("read", "validate", "clean", "indices", "weight", "estimates")


def _copy_example(folder: Path) -> Path:
    shutil.copytree(REPO / "data" / "example", folder, ignore=shutil.ignore_patterns("out"))
    return folder


def _edit_yaml(folder: Path, pattern: str, replacement: str) -> None:
    path = folder / "study.yaml"
    text = path.read_text(encoding="utf-8")
    new = re.sub(pattern, replacement, text, flags=re.MULTILINE)
    assert new != text, pattern
    path.write_text(new, encoding="utf-8")


def _run(folder: Path, names: tuple[str, ...] = UP_TO_ESTIMATES):
    lines: list[str] = []
    ctx = run_study(folder, steps=[s for s in STEPS if s.name in names], echo=lines.append)
    return ctx, lines


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    return _run(_copy_example(tmp_path_factory.mktemp("wpipe") / "study"))


def test_weight_step_sits_between_indices_and_estimates() -> None:
    names = [s.name for s in STEPS]
    assert names.index("indices") + 1 == names.index("weight") < names.index("estimates")


def test_pipeline_writes_the_weighting_outputs(ran) -> None:
    ctx, lines = ran
    out = ctx.study.out_dir / "weighting"
    for name in (
        "weighted.parquet",
        "weighted.sav",
        "diagnostics_margins.csv",
        "diagnostics_weights.csv",
        "diagnostics.html",
        "design_r.R",
        "design_stata.do",
        "design_spss.sps",
    ):
        assert (out / name).is_file(), name
    assert ctx.outputs["weighting_parquet"] == out / "weighted.parquet"
    weighted = pd.read_parquet(out / "weighted.parquet")
    assert len(weighted) == len(ctx.analysis)  # every analysed respondent weighted, none dropped
    np.testing.assert_allclose(weighted["weight_final"], ctx.design.weights.to_numpy())
    assert any("weights: weight_final (rake" in x and "calibration-adjusted" in x for x in lines)


def test_margins_are_reproduced(ran) -> None:
    ctx, _ = ran
    diag = pd.read_csv(ctx.study.out_dir / "weighting" / "diagnostics_margins.csv")
    margins = pd.read_csv(ctx.study.folder / "margins.csv")
    assert len(diag) == len(margins)  # one row per target cell
    assert (diag["rel_error"] <= 1e-8).all()
    # independent check: sum the final weights per wave x raion x settlement cell
    frame = ctx.design.data.assign(_w=ctx.design.weights)
    got = frame.groupby(["wave", "raion", "settlement"])["_w"].sum()
    want = margins[margins["margin"] == "settlement"].set_index(["wave", "raion", "settlement"])
    for key, target in want["target"].items():
        assert got[key] == pytest.approx(target, rel=1e-8)


def test_estimates_are_the_weighted_designs(ran, tmp_path: Path) -> None:
    """The step's estimates are those of weight_study's design on an independent re-read of
    the cleaned waves (the CLI and the step share one weighting function)."""
    ctx, _ = ran
    study = load_study(ctx.study.folder)
    res = weight_study(study, frame=study_frame(study), out_dir=tmp_path / "w")
    assert len(res.data) == len(ctx.analysis) == 4001 - 3  # 3 flagged respondents removed
    variables = ctx.study.plan.present("outcomes", res.data.columns)
    direct = res.design.mean(variables, by=["arm", "wave"]).reset_index()
    direct["wave"] = pd.to_numeric(direct["wave"]).astype("Int64")
    merged = ctx.estimates.merge(direct, on=["variable", "arm", "wave"], suffixes=("", "_ws"))
    assert len(merged) == len(ctx.estimates) == len(variables) * 2 * 2  # arms x waves
    np.testing.assert_allclose(merged["estimate"], merged["estimate_ws"], rtol=1e-10)
    np.testing.assert_allclose(merged["se"], merged["se_ws"], rtol=1e-10)
    # and they differ from the design-weighted (unraked) estimates
    plain = SurveyDesign(ctx.analysis, **ctx.study.design.kwargs())
    unraked = plain.mean("trust_police", by=["arm", "wave"])["estimate"].to_numpy()
    raked = ctx.estimates.query("variable == 'trust_police'")["estimate"].to_numpy()
    assert np.abs(unraked - raked).max() > 1e-4


def test_calibrated_ses_differ_from_weights_as_fixed(ran) -> None:
    ctx, _ = ran
    fixed = SurveyDesign(
        ctx.design.data.assign(_w=ctx.design.weights),
        **{**ctx.study.design.kwargs(), "weights": "_w"},
    )
    a = ctx.design.mean("trust_police", by=["arm", "wave"])
    b = fixed.mean("trust_police", by=["arm", "wave"])
    np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=1e-12)
    assert not np.allclose(a["se"], b["se"], rtol=1e-6)  # the calibration adjustment is used


def test_analysis_step_uses_the_same_design(ran) -> None:
    """Run the analysis step on the weighted context: its DiD cells are ctx.design's means."""
    ctx, _ = ran
    analysis = next(s for s in STEPS if s.name == "analysis")
    design = ctx.design
    analysis.run(ctx)
    assert ctx.design is design  # the step added columns to a copy, never rebuilt it
    did = pd.read_csv(ctx.study.out_dir / "analysis" / "did_cells.csv")
    treated = ctx.study.arms.treatment
    mean = design.with_columns(
        **{treated: (design.data[treated] == ctx.study.arms.pilot_code).astype(float)}
    ).mean("trust_police", by=[treated, "wave"])
    cells = did[did["outcome"] == "trust_police"]
    got = sorted(cells["estimate"].round(10))
    assert got == sorted(mean["estimate"].round(10))


def test_study_yaml_method_and_trimming(tmp_path: Path) -> None:
    folder = _copy_example(tmp_path / "s")
    _edit_yaml(
        folder,
        r"^focus_groups:",
        "weighting:\n  method: calibrate\n  trim: {upper: 900}\nfocus_groups:",
    )
    ctx, lines = _run(folder, ("read", "validate", "clean", "indices", "weight"))
    assert ctx.study.weighting.method == "calibrate"
    assert ctx.design.weights.max() <= 900 + 1e-9
    assert any("calibrate to the margins" in x and "trimmed to [-, 900" in x for x in lines)


def test_study_without_margins_still_runs(tmp_path: Path) -> None:
    folder = _copy_example(tmp_path / "s")
    _edit_yaml(folder, r"^margins:\n(  .*\n)+", "")
    ctx, lines = _run(folder)
    assert ctx.study.margins is None and ctx.weighting is None
    assert any("skipped: study.yaml has no margins" in x for x in lines)
    assert any("weights: design weights (pw), not weighted" in x for x in lines)
    assert not (folder / "out" / "weighting").exists()
    plain = SurveyDesign(ctx.analysis, **ctx.study.design.kwargs())
    np.testing.assert_allclose(ctx.design.weights, plain.weights)
    direct = plain.mean("trust_police", by=["arm", "wave"])
    got = ctx.estimates.query("variable == 'trust_police'")
    np.testing.assert_allclose(got["estimate"], direct["estimate"], rtol=1e-12)
    np.testing.assert_allclose(got["se"], direct["se"], rtol=1e-12)


def test_weight_study_without_frame_weights_the_waves_as_read(ran, tmp_path: Path) -> None:
    """``trustsurvey weight`` drops nobody: it weights all 4001 rows, the run the cleaned ones."""
    ctx, _ = ran
    res = weight_study(load_study(ctx.study.folder), out_dir=tmp_path / "w")
    assert len(res.data) == 4001 > len(ctx.analysis)
    assert (res.diagnostics.margins["rel_error"] <= 1e-8).all()


def test_likert_design_keeps_weights_and_calibration(ran) -> None:
    """The Likert design (code 8 kept) is the weighted design with columns swapped in, and
    its answers are the cleaned waves' with code 8 kept (read again independently)."""
    from trustsurvey.run.steps_analysis import kept_design

    ctx, _ = ran
    kd = kept_design(ctx.design, ctx.study.questionnaire, ["trust_police"])
    assert kd.calibration and kd.calibration == ctx.design.calibration
    np.testing.assert_array_equal(kd.weights.to_numpy(), ctx.design.weights.to_numpy())
    assert (kd.data["trust_police"] == 8).sum() > 0  # "difficult to answer" is a category
    assert (kd.data["trust_police"] == 9).sum() == 0  # refusals stay missing
    frames = [
        ctx.cleaned.data[w.code].analysis(keep={"trust_police": [8]})["trust_police"]
        for w in ctx.study.waves
    ]
    reread = pd.concat(frames, ignore_index=True).to_numpy()
    np.testing.assert_array_equal(kd.data["trust_police"].to_numpy(), reread)
