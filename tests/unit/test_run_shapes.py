"""``trustsurvey run`` end to end on differently shaped studies made by the example generator
(``trustsurvey example --shape``): renamed items with Ukrainian-only labels and 98/99 codes,
one wave, no arms, staggered adoption with a Kobo CSV wave. The bundle's numbers are checked
against direct calls of the public API on the run's design, and the dashboard's overview
opens on the study's own first outcome."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trustsurvey import did
from trustsurvey.analysis.staggered import did_staggered
from trustsurvey.dashboard.config import DashboardConfig
from trustsurvey.dashboard.layout import overview_page
from trustsurvey.example import generate_example
from trustsurvey.publish.bundle import read_bundle
from trustsurvey.run import run_study

SHAPES = ("renamed", "one-wave", "no-arms", "staggered")


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, object]:
    out = {}
    for shape in SHAPES:
        folder = generate_example(tmp_path_factory.mktemp(shape) / "study", shape=shape)
        study_dir = Path(folder) / "ready" if shape == "renamed" else Path(folder)
        out[shape] = run_study(study_dir, echo=lambda s: None)
    return out


def _bundle(ctx):  # type: ignore[no-untyped-def]
    return read_bundle(ctx.outputs["bundle"])


def _overall(table: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """The published overall rows (all communities, no subgroup) of ``outcome`` by arm, wave."""
    rows = table[(table["outcome"] == outcome) & (table["community"] == "all")]
    return rows[rows["subgroup"] == "all"]


def _find(component, cid):  # type: ignore[no-untyped-def]
    if getattr(component, "id", None) == cid:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None and not isinstance(child, str | int | float):
            hit = _find(child, cid)
            if hit is not None:
                return hit
    return None


def _in_page(page, cid):  # type: ignore[no-untyped-def]
    """The component ``cid`` of a page (Dash components are falsy without children)."""
    hits = [h for h in (_find(c, cid) for c in page) if h is not None]
    assert hits, f"no component {cid}"
    return hits[0]


@pytest.mark.parametrize("shape", SHAPES)
def test_every_shape_publishes_its_own_outcomes_in_its_order(runs, shape) -> None:  # type: ignore[no-untyped-def]
    ctx = runs[shape]
    plan = ctx.study.plan
    bundle = _bundle(ctx)
    outcomes = plan.present("outcomes", ctx.analysis.columns)
    assert bundle.plan["outcomes"] == outcomes and outcomes
    published = list(dict.fromkeys(bundle.tables["estimates"]["outcome"]))
    assert published == outcomes  # the plan's order, not code order
    for lang in ("uk", "en"):  # the dashboard opens on the study's own first outcome
        page = overview_page(bundle, DashboardConfig(), lang)
        dropdown = _in_page(page, "overview-outcome")
        assert dropdown.value == outcomes[0]
        assert [o["value"] for o in dropdown.options] == outcomes


@pytest.mark.parametrize("shape", SHAPES)
def test_published_means_are_the_design_s(runs, shape) -> None:  # type: ignore[no-untyped-def]
    """Each published overall mean by wave is the run's design's mean (SurveyDesign.mean),
    and its point estimate is the weighted mean of the written weighted data."""
    ctx = runs[shape]
    bundle = _bundle(ctx)
    outcome = ctx.study.plan.present("outcomes", ctx.analysis.columns)[0]
    got = _overall(bundle.tables["estimates"], outcome)
    got = got[got["arm"] == "all"].set_index("wave").sort_index()
    want = ctx.design.mean(outcome, by="wave").reset_index()
    want = want.assign(wave=want["wave"].astype(int)).set_index("wave").sort_index()
    assert list(got.index) == list(want.index)
    np.testing.assert_allclose(got["estimate"], want["estimate"], rtol=1e-9)
    np.testing.assert_allclose(got["se"], want["se"], rtol=1e-9)
    weighted = pd.read_parquet(ctx.study.out_dir / "weighting" / "weighted.parquet")
    ok = weighted[outcome].notna()
    w, y = weighted.loc[ok, "weight_final"], weighted.loc[ok, outcome]
    by_wave = (w * y).groupby(weighted.loc[ok, "wave"]).sum() / w.groupby(
        weighted.loc[ok, "wave"]
    ).sum()
    np.testing.assert_allclose(got["estimate"], by_wave.sort_index().to_numpy(), rtol=1e-9)


def test_two_waves_with_arms_publish_the_design_s_did(runs) -> None:  # type: ignore[no-untyped-def]
    ctx = runs["renamed"]
    bundle = _bundle(ctx)
    outcome = ctx.study.plan.outcomes[0]
    treated = ctx.study.arms.treatment
    pilot = ctx.analysis["arm"].map({"pilot": 1.0, "control": 0.0}).to_numpy()
    direct = did(ctx.design.with_columns(**{treated: pilot}), outcome, treated=treated)
    row = bundle.tables["did"]
    row = row[(row["outcome"] == outcome) & (row["contrast"] == "unadjusted")].iloc[0]
    assert row["estimate"] == pytest.approx(direct["estimate"].iloc[0], rel=1e-9)
    assert row["se"] == pytest.approx(direct["se"].iloc[0], rel=1e-9)
    assert "did_note" not in bundle.plan


def test_the_renamed_study_keeps_its_98_dont_know(runs) -> None:  # type: ignore[no-untyped-def]
    """Difficult to answer is the firm's 98 (kind dont_know), found by kind, not label."""
    ctx = runs["renamed"]
    q = ctx.study.questionnaire
    item = ctx.study.plan.distributions[0]
    assert q.missing_codes_of_kind(item, "dont_know") == [98]
    likert = _bundle(ctx).tables["likert"]
    dk = likert[(likert["outcome"] == item) & likert["dont_know"].astype(bool)]
    assert set(dk["category"]) == {"98"}


@pytest.mark.parametrize(
    ("shape", "reason"), [("one-wave", "One survey wave"), ("no-arms", "No pilot")]
)
def test_no_did_and_the_outputs_say_why(runs, shape, reason) -> None:  # type: ignore[no-untyped-def]
    ctx = runs[shape]
    bundle = _bundle(ctx)
    assert "did" not in bundle.tables
    assert reason in bundle.plan["did_note"]["en"] and bundle.plan["did_note"]["uk"]
    page = overview_page(bundle, DashboardConfig(), "en")
    assert reason in str(_in_page(page, "overview-did").children)
    report = (ctx.study.out_dir / "report.html").read_text(encoding="utf-8")
    assert reason in report


def test_no_arms_gives_trends_by_community(runs) -> None:  # type: ignore[no-untyped-def]
    est = _bundle(runs["no-arms"]).tables["estimates"]
    assert set(est["arm"]) == {"all"}
    communities = est.loc[est["community"] != "all", "community"].unique()
    assert len(communities) > 3 and set(est["wave"]) == {1, 2}


def test_staggered_publishes_the_callaway_santanna_estimates(runs) -> None:  # type: ignore[no-untyped-def]
    ctx = runs["staggered"]
    study = ctx.study
    bundle = _bundle(ctx)
    outcome = study.plan.present("outcomes", ctx.analysis.columns)[0]
    first = study.arms.first_treated
    com = ctx.design.data[study.arms.community]
    cohort = com.map(lambda c: float(first[c] or 0)).to_numpy()
    direct = did_staggered(
        ctx.design.with_columns(cohort=cohort),
        outcome,
        cohort="cohort",
        wave="wave",
        community=study.arms.community,
        control="notyet",
        method="dr",
    )
    published = bundle.tables["did_staggered"]
    published = published[published["outcome"] == outcome]
    want = direct[direct["type"] == "overall"].iloc[0]
    got = published[published["type"] == "overall"].iloc[0]
    assert got["estimate"] == pytest.approx(want["estimate"], rel=1e-9)
    assert got["se"] == pytest.approx(want["se"], rel=1e-9)
    gt = direct[direct["type"] == "group_time"]
    assert len(published[published["type"] == "group_time"]) == len(gt)
    headline = bundle.tables["did"]
    headline = headline[headline["outcome"] == outcome].iloc[0]
    assert headline["estimate"] == pytest.approx(want["estimate"], rel=1e-9)
    assert set(ctx.analysis["wave"].unique()) == {1, 2, 3}  # wave 3 read from the Kobo CSV
    wave3 = ctx.analysis[ctx.analysis["wave"] == 3]
    assert wave3[outcome].notna().mean() > 0.8


def test_staggered_run_states_the_effect_over_time_in_report_and_dashboard(runs) -> None:  # type: ignore[no-untyped-def]
    from markupsafe import escape

    from trustsurvey.dashboard import callbacks, event_study

    ctx = runs["staggered"]
    bundle = _bundle(ctx)
    outcome = ctx.study.plan.present("outcomes", ctx.analysis.columns)[0]
    report = (ctx.study.out_dir / "report.html").read_text(encoding="utf-8")
    config = event_study.with_page(DashboardConfig(), bundle)
    assert "event_study" in config.pages
    for lang in ("uk", "en"):
        said = event_study.sentences(bundle, outcome, lang)
        assert len(said) == 3  # the overall effect, the check before adoption, the effect since
        for s in said:
            assert str(escape(s["sentence"])) in report
        page = str(callbacks.render_shell(bundle, config, "/event-study", lang)[4])
        assert said[0]["sentence"] in page and said[2]["sentence"] in page


def test_staggered_n_is_withheld_where_a_community_wave_n_is_hidden(runs) -> None:  # type: ignore[no-untyped-def]
    """The n of a staggered result sums the answers of whole community-waves, different ones
    per cohort and wave: published beside a hidden community-wave n, two of them differenced
    would give it back, so every n of that outcome is withheld."""
    tables = _bundle(runs["staggered"]).tables
    est, stag = tables["estimates"], tables["did_staggered"]
    whole = est[(est["subgroup"] == "all") & (est["level"] == "all")]
    hidden = whole["n"].isna()
    hit = set(whole.loc[hidden, "outcome"])
    assert hit, "the staggered example hides no community-wave n: the test shows nothing"
    rows = stag[stag["outcome"].isin(hit)]
    assert len(rows) and rows["n"].isna().all()
    assert (rows["suppression_reason"] == "n_withheld").all()
    assert rows["estimate"].notna().any()  # the effects themselves stay published


def test_staggered_headline_speaks_of_joining_not_of_pilot_and_control(runs) -> None:  # type: ignore[no-untyped-def]
    from trustsurvey.dashboard.findings import outcome_findings

    staggered = outcome_findings(_bundle(runs["staggered"]), "en")
    assert staggered and all("joined" in f["sentence"] for f in staggered if f["estimate"])
    assert not any("pilot" in f["sentence"].lower() for f in staggered)
    for f in outcome_findings(_bundle(runs["staggered"]), "uk"):
        assert "пілотн" not in f["sentence"]
