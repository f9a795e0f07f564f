"""The pipeline's ``measurement`` step: index reliability and focus groups of the example."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pingouin as pg
import pytest

from trustsurvey.run.pipeline import STEPS, run_study

REPO = Path(__file__).resolve().parents[2]
NEEDED = ("read", "validate", "clean", "indices", "weight", "measurement")


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    folder = tmp_path_factory.mktemp("measure") / "study"
    shutil.copytree(REPO / "data" / "example", folder, ignore=shutil.ignore_patterns("out"))
    lines: list[str] = []
    ctx = run_study(folder, steps=[s for s in STEPS if s.name in NEEDED], echo=lines.append)
    return ctx, lines


def test_measurement_runs_after_analysis_in_the_pipeline() -> None:
    names = [s.name for s in STEPS]
    assert names.index("measurement") == names.index("analysis") + 1


def test_reliability_reverses_items_and_matches_pingouin(ran) -> None:
    ctx, lines = ran
    table = pd.read_csv(ctx.study.out_dir / "analysis" / "reliability.csv")
    pj = table[(table["index"] == "pj_index") & table["arm"].isna()].iloc[0]
    items = ctx.analysis[["pj_respect", "pj_fair", "pj_explain", "eff_response", "abuse_power"]]
    items = items.astype(float).assign(abuse_power=lambda f: 6 - f["abuse_power"])
    expected = pg.cronbach_alpha(items, nan_policy="listwise")[0]
    assert pj["alpha_unweighted_pingouin"] == pytest.approx(expected, rel=1e-9)
    assert pj["weighted"]  # the run's final (raked) weights enter the weighted alpha
    by_group = table[(table["index"] == "pj_index") & table["arm"].notna()]
    assert len(by_group) == 4  # pilot/control x two waves
    assert any(line.strip().startswith("pj_index: alpha") for line in lines)


def test_loadings_side_by_side_for_indices_with_three_or_more_items(ran) -> None:
    ctx, _ = ran
    loadings = pd.read_csv(ctx.study.out_dir / "analysis" / "loadings.csv")
    assert set(loadings["index"]) == {"pj_index"}
    assert set(loadings["item"]) == {
        "pj_respect",
        "pj_fair",
        "pj_explain",
        "eff_response",
        "abuse_power",
    }
    assert len(loadings) == 5 * 4  # every item in each arm x wave


def test_focus_group_tables_and_heatmap(ran) -> None:
    ctx, lines = ran
    out = ctx.study.out_dir / "analysis"
    themes = pd.read_csv(out / "fg_themes_by_arm.csv")
    assert set(themes["arm"]) == {"pilot", "control"}
    assert themes["share_groups"].between(0, 1).all()
    assert (out / "fg_themes_by_community.csv").exists()
    assert (out / "fg_valence.csv").exists()
    agreement = pd.read_csv(out / "fg_agreement.csv")
    overall = agreement[agreement["theme"] == "(all)"].iloc[0]
    assert overall["kappa_ci_low"] <= overall["cohen_kappa"] <= overall["kappa_ci_high"]
    assert overall["alpha_ci_low"] <= overall["krippendorff_alpha"] <= overall["alpha_ci_high"]
    assert (out / "fg_themes.html").stat().st_size > 1000
    assert any("focus groups: 8 groups" in line for line in lines)
