"""The 'analysis' pipeline step on the example study: tables and figures under out/analysis/."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trustsurvey import did
from trustsurvey.design import SurveyDesign
from trustsurvey.run.pipeline import STEPS, run_study

REPO = Path(__file__).resolve().parents[2]
TABLES = (
    "did",
    "did_cells",
    "compare_by_wave",
    "compare_communities",
    "compare_subgroups",
    "smd",
    "likert_distribution",
    "likert_tests",
    "ordinal",
    "multiple",
    "multiple_by_community",
    "multiple_difference",
)
FIGURES = (
    "did_forest",
    "trend_trust_police",
    "trend_trust_index",
    "likert_trust_police",
    "likert_trust_police_10",
    "multiple_problems",
)


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    folder = tmp_path_factory.mktemp("analysis") / "study"
    shutil.copytree(REPO / "data" / "example", folder, ignore=shutil.ignore_patterns("out"))
    names = {"read", "validate", "clean", "indices", "estimates", "analysis"}
    lines: list[str] = []
    ctx = run_study(folder, steps=[s for s in STEPS if s.name in names], echo=lines.append)
    return ctx, lines


def test_step_is_registered_after_estimates():
    names = [s.name for s in STEPS]
    assert "analysis" in names and names.index("analysis") > names.index("estimates")


def test_tables_and_figures_written(ran):
    ctx, lines = ran
    out = ctx.study.out_dir / "analysis"
    for name in TABLES:
        assert (out / f"{name}.csv").is_file(), name
        assert (out / f"{name}.parquet").is_file(), name
    for name in FIGURES:
        html = (out / f"{name}.html").read_text()
        assert "plotly" in html and "plotly.min.js" in html, name
    assert (out / "plotly.min.js").is_file()
    assert not list(out.glob(".*"))
    assert any("DiD for" in x for x in lines)


def test_did_table_equals_direct_call(ran):
    ctx, _ = ran
    table = pd.read_csv(ctx.study.out_dir / "analysis" / "did.csv")
    frame = ctx.analysis.assign(pilot=(ctx.analysis["pilot"] == 1).astype(float))
    design = SurveyDesign(frame, ids="psu", strata="stratum", weights="pw", nest=True)
    direct = did(design, "trust_index")
    row = table[(table["outcome"] == "trust_index") & (table["model"] == "unadjusted")].iloc[0]
    assert row["estimate"] == pytest.approx(direct.loc[0, "estimate"], rel=1e-9)
    assert row["se"] == pytest.approx(direct.loc[0, "se"], rel=1e-9)
    assert {"p_holm", "p_bh"} <= set(table.columns)
    assert set(table["model"]) == {"unadjusted", "adjusted"}
    # the example's programme raised trust: the DiD of the trust index is positive
    assert row["estimate"] > 0


def test_likert_distribution_keeps_difficult_to_answer(ran):
    ctx, _ = ran
    dist = pd.read_csv(ctx.study.out_dir / "analysis" / "likert_distribution.csv")
    tp = dist[dist["item"] == "trust_police"]
    assert (tp["dont_know"] & (tp["category"] == 8)).any()
    assert not (tp["category"] == 9).any()  # refusals stay missing
    sums = tp.groupby(["pilot", "wave"])["estimate"].sum()
    np.testing.assert_allclose(sums, 1.0)


def test_problems_ranked_per_cell(ran):
    ctx, _ = ran
    mc = pd.read_csv(ctx.study.out_dir / "analysis" / "multiple.csv")
    for _, part in mc[~mc["exclusive"]].groupby(["arm", "wave"]):
        ranked = part.sort_values("rank")
        assert ranked["estimate"].is_monotonic_decreasing
        assert ranked["rank"].iloc[0] == 1
