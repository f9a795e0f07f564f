"""The ``nonresponse_bounds`` table of a run: which outcomes get bounds, and a study without
missing codes gets none (its run publishes as before)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from trustsurvey.design import SurveyDesign
from trustsurvey.run.nonresponse import NONANSWER_KINDS, nonresponse_table, scale_ends
from trustsurvey.run.pipeline import run_study, steps_until

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nr") / "s"
    shutil.copytree(REPO / "data" / "example", folder, ignore=shutil.ignore_patterns("out"))
    return run_study(folder, steps=steps_until("indices"), echo=lambda s: None)


def design_of(ctx, frame):
    return SurveyDesign(frame, **ctx.study.design.kwargs())


def test_outcomes_with_a_numeric_scale_and_missing_codes_get_bounds(ctx):
    frame = ctx.analysis
    parts = nonresponse_table(ctx.study, design_of(ctx, frame), frame)
    assert parts
    table = parts[0]
    for outcome in {o for p in parts for o in p["outcome"]}:
        assert scale_ends(ctx.study.questionnaire, outcome) is not None
        assert f"{outcome}__missing" in frame.columns
    q = ctx.study.questionnaire
    indices = [o for o in ctx.study.plan.outcomes if o in q.indices]
    assert not {o for p in parts for o in p["outcome"]} & set(indices)  # no scale of its own
    assert (table["lower"] <= table["answered"]).all()
    assert (table["answered"] <= table["upper"]).all()
    assert (table["n_missing"] >= 0).all() and table["wave"].notna().all()


def test_only_dont_know_refused_and_missing_codes_count_as_not_answering(ctx):
    frame = ctx.analysis
    q = ctx.study.questionnaire
    parts = nonresponse_table(ctx.study, design_of(ctx, frame), frame)
    overall = [p for p in parts if "arm" not in p.columns and "community" not in p.columns]
    row = overall[0].iloc[0]
    outcome = row["outcome"]
    codes = q.missing_codes_of_kind(outcome, *NONANSWER_KINDS)
    in_wave = frame["wave"] == row["wave"]
    assert row["n_missing"] == int((frame.loc[in_wave, f"{outcome}__missing"].isin(codes)).sum())


def test_a_study_without_missing_codes_gets_no_bounds(ctx):
    frame = ctx.analysis.drop(columns=[c for c in ctx.analysis.columns if c.endswith("__missing")])
    assert nonresponse_table(ctx.study, design_of(ctx, frame), frame) == []


def test_an_outcome_with_answers_off_its_scale_gets_no_bounds_and_a_line_saying_why(ctx):
    frame = ctx.analysis.copy()
    parts = nonresponse_table(ctx.study, design_of(ctx, frame), frame)
    first = parts[0]["outcome"].iloc[0]
    frame.loc[frame[first].notna().idxmax(), first] = 77.0  # an undeclared code
    said: list[str] = []
    again = nonresponse_table(ctx.study, design_of(ctx, frame), frame, said.append)
    assert first not in {o for p in again for o in p["outcome"]}
    assert len(said) == 1 and first in said[0] and "outside the scale" in said[0]
