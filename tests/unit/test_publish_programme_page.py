"""The Programme page's views (issue 9) as plain functions, on a small written bundle."""

from __future__ import annotations

import pandas as pd
import pytest

from trustsurvey.dashboard.callbacks import render_shell
from trustsurvey.dashboard.config import DashboardConfig
from trustsurvey.dashboard.programme import VIEWS, programme_view, view_options
from trustsurvey.publish import read_bundle, write_bundle
from trustsurvey.publish.schema import ALL

COMS = {"a": "pilot", "b": "pilot", "c": "control", "d": "control"}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    periods = ["before_wave_1", "between_waves_1_2"]
    acts = pd.DataFrame(
        [
            {"community": c, "arm": a, "period": p, "activities": 3 + i, "participants": 40 + i}
            for i, (c, a) in enumerate(COMS.items())
            for p in periods
        ]
    )
    timeline = pd.DataFrame(
        [
            {"community": c, "month": m, "activities": 1 + i, "participants": 10}
            for i, c in enumerate(COMS)
            for m in ("2019-01", "2019-02", "2019-05")
        ]
    )
    cells = pd.DataFrame(
        [
            {"community": c, "category": k, "period": "before_wave_1", "n": n}
            for c, k, n in [
                ("a", "rudeness", 3),
                ("a", "gratitude", 60),
                ("b", "rudeness", 45),
                ("b", "gratitude", 50),
                ("c", "rudeness", 40),
                ("c", "gratitude", 70),
            ]
        ]
    )
    appeals = [
        cells,
        cells.groupby(["category", "period"], as_index=False)["n"].sum(),
        cells.groupby(["community", "period"], as_index=False)["n"].sum(),
        pd.DataFrame([{"period": "before_wave_1", "n": cells["n"].sum()}]),
    ]
    monthly = pd.DataFrame(  # adds up to the period's appeals over all communities
        {
            "month": ["2019-01", "2019-02", "2019-01", "2019-02"],
            "period": "before_wave_1",
            "category": ["rudeness", "rudeness", "gratitude", "gratitude"],
            "n": [80, 8, 100, 80],
        }
    )
    resolution = pd.DataFrame(
        {
            "arm": ["pilot", "control"],
            "period": ["before_wave_1"] * 2,
            "n": [90, 80],
            "share_resolved": [0.9, 0.8],
            "median_days": [20.0, 30.0],
            "median_ci_low": [15.0, 25.0],
            "median_ci_high": [25.0, 35.0],
        }
    )
    training = pd.DataFrame(
        {
            "type": ["training_police"],
            "comparison": ["post-pre"],
            "n": [100],
            "mean_change": [5.0],
            "ci_low": [4.0],
            "ci_high": [6.0],
        }
    )
    dose = pd.DataFrame(
        {
            "community": list(COMS),
            "arm": list(COMS.values()),
            "change": [0.3, 0.2, 0.05, 0.0],
            "ci_low": [0.1, 0.0, -0.1, -0.2],
            "ci_high": [0.5, 0.4, 0.2, 0.2],
            "activities_per_1000": [3.0, 2.0, 0.5, 0.2],
            "fitted": [0.28, 0.2, 0.06, 0.03],
            "fitted_ci_low": [0.1, 0.05, -0.05, -0.1],
            "fitted_ci_high": [0.4, 0.3, 0.15, 0.15],
        }
    )
    meta = {
        "study": "prog",
        "waves": [
            {
                "code": 1,
                "label": {"uk": "Хвиля 1", "en": "Wave 1"},
                "fieldwork": ["2019-03-04", "2019-04-12"],
            },
        ],
        "labels": {
            "appeal": {"rudeness": {"uk": "Грубість", "en": "Rudeness"}},
            "period": {"before_wave_1": {"uk": "До хвилі 1", "en": "Before wave 1"}},
        },
    }
    tables = {
        "programme_activities": acts,
        "programme_timeline": timeline,
        "appeals": appeals,
        "appeals_monthly": monthly,
        "resolution": resolution,
        "training": training,
        "dose_response": dose,
    }
    return read_bundle(write_bundle(tables, tmp_path_factory.mktemp("b"), study_meta=meta))


def test_every_view_draws_in_both_languages(bundle):
    assert [o["value"] for o in view_options(bundle, "en")] == list(VIEWS)
    for view in VIEWS:
        for lang in ("uk", "en"):
            fig, table = programme_view(bundle, view, lang)
            assert fig["data"], (view, lang)
            assert len(table), (view, lang)
    _, uk = programme_view(bundle, "hotline", "uk")
    _, en = programme_view(bundle, "hotline", "en")
    assert "Місяць" in uk.columns and "Month" in en.columns
    assert "Rudeness" in set(en["Appeal category"]) and "Грубість" in set(uk.iloc[:, 1])


def test_timeline_marks_the_survey_waves(bundle):
    fig, _ = programme_view(bundle, "timeline", "en")
    shapes = fig["layout"]["shapes"]
    assert [(s["x0"], s["x1"]) for s in shapes] == [("2019-03", "2019-04")]
    assert fig["layout"]["annotations"][0]["text"] == "Wave 1"
    pilot = next(tr for tr in fig["data"] if tr["name"] == "Pilot")  # no label: code as a word
    assert sum(pilot["y"]) == (1 + 2) * 3  # communities a and b, three months each


def test_small_appeal_counts_show_as_suppressed(bundle):
    ap = bundle.tables["appeals"]
    small = ap[(ap["community"] == "a") & (ap["category"] == "rudeness")]
    assert small["suppressed"].all() and small["n"].isna().all()
    _, table = programme_view(bundle, "appeals", "en")
    row = table[(table["Community"] == "A") & (table["Appeal category"] == "Rudeness")]
    assert row["Appeals"].isna().all()
    assert row["Note"].str.startswith("suppressed").all()
    assert "small_cell" in set(small["suppression_reason"])
    small_notes = row["Note"][row["Note"].str.contains("fewer than")]
    assert (small_notes == f"suppressed: fewer than {bundle.policy.min_records} appeals").all()
    assert len(small_notes) >= 1
    fig, _ = programme_view(bundle, "appeals", "en")
    for trace in fig["data"]:
        assert None not in trace["y"]  # suppressed totals are left out of the chart


def test_dose_response_is_labelled_observational_with_cis(bundle):
    fig, _ = programme_view(bundle, "dose", "en")
    assert "Observational" in fig["layout"]["title"]["text"]
    points = [tr for tr in fig["data"] if tr["mode"] == "markers"]
    assert sum(len(tr["x"]) for tr in points) == 4
    assert all(tr["error_y"]["array"] for tr in points)
    uk, _ = programme_view(bundle, "dose", "uk")
    assert "Спостережний" in uk["layout"]["title"]["text"]


def test_programme_page_is_in_the_navigation(bundle):
    out = render_shell(bundle, DashboardConfig(), "/programme", "en")
    assert any(getattr(link, "children", "") == "Programme" for link in out[3])
    assert out[4][0].children == "Programme monitoring: activities, hotline, trainings"
    assert ALL in set(bundle.tables["appeals"]["community"])
