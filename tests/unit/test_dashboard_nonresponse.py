"""The sentence "… lies between X and Y whatever the non-answerers think", in both languages,
from the bundle's nonresponse_bounds rows (labels of the outcome, yes/no in percent)."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from trustsurvey.dashboard import views
from trustsurvey.dashboard.layout import findings_list
from trustsurvey.dashboard.nonresponse import bounds_sentences, overall_rows
from trustsurvey.publish.fixture import demo_bundle
from trustsurvey.publish.schema import ALL


def bundle_with(rows: list[dict]) -> object:
    b = copy.copy(demo_bundle())
    b.tables = dict(b.tables)
    b.tables["nonresponse_bounds"] = pd.DataFrame(rows)
    return b


def row(outcome: str, wave: int, lower: float, upper: float, **extra) -> dict:
    base = {"outcome": outcome, "community": ALL, "arm": ALL, "wave": wave,
            "answered": (lower + upper) / 2, "lower": lower, "upper": upper,
            "share_missing": 0.08, "scale_low": 1.0, "scale_high": 5.0, "n_missing": 60.0,
            "suppressed": False}  # fmt: skip
    return {**base, **extra}


def outcomes() -> list[str]:
    return views.ordered_outcomes(demo_bundle())


@pytest.mark.parametrize(
    ("lang", "phrase"),
    [
        ("en", "lies between 2.90 and 3.35 whatever the non-answerers think"),
        ("uk", "лежить між 2,90 і 3,35, хоч би що думали ті, хто не відповів"),
    ],
)
def test_the_sentence_names_the_outcome_by_its_label_with_the_latest_wave(lang, phrase):
    first = outcomes()[0]
    b = bundle_with([row(first, 1, 2.5, 3.0), row(first, 2, 2.9, 3.35)])
    (found,) = bounds_sentences(b, lang)
    assert phrase in found["sentence"]
    assert views.label(b, "outcome", first, lang) in found["sentence"]
    assert "8" in found["sentence"] and views.wave_label(b, 2, lang) in found["sentence"]


def test_yes_no_outcomes_are_in_percent_and_hidden_rows_are_skipped():
    first, second = outcomes()[:2]
    b = bundle_with(
        [
            row(first, 2, float("nan"), 3.3, suppressed=True),
            row(second, 2, 0.41, 0.52, scale_low=0.0, scale_high=1.0),
        ]
    )
    scale = {second: {"min": 0.0, "max": 1.0, "binary": True}}
    b.manifest = {**b.manifest, "labels": {**b.labels, "scale": scale}}
    (found,) = bounds_sentences(b, "en")
    assert found["outcome"] == second
    assert "between 41% and 52%" in found["sentence"]
    assert "\u00a0%" not in found["sentence"]
    (uk,) = bounds_sentences(b, "uk")
    assert "між 41\u00a0% і 52\u00a0%" in uk["sentence"]


def test_only_whole_sample_rows_count_and_no_table_means_no_block():
    first = outcomes()[0]
    b = bundle_with([row(first, 2, 2.9, 3.3, arm="pilot")])
    assert overall_rows(b).empty and bounds_sentences(b, "en") == []
    assert "nonresponse-bounds" not in str(findings_list(demo_bundle(), "en"))
    b = bundle_with([row(first, 2, 2.9, 3.3)])
    assert "nonresponse-bounds" in str(findings_list(b, "uk"))
