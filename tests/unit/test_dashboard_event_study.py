"""The "Effect over time" page of a staggered roll-out, as plain functions: the page exists
only with an event study, the verdicts follow the estimates, bands and the outcome's scale,
both languages, escaping and the download store."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from trustsurvey.dashboard import callbacks, event_study
from trustsurvey.dashboard.config import PATHS, DashboardConfig, config_from_mapping
from trustsurvey.dashboard.translations import t
from trustsurvey.publish.bundle import Bundle
from trustsurvey.publish.fixture import demo_bundle

XSS = "<script>alert(1)</script>"


def _row(outcome, kind, est, lo, hi, *, cohort="all", k="all", band=(np.nan, np.nan), n=900):
    return {"outcome": outcome, "type": kind, "cohort": cohort, "wave": 0, "event_time": k,
            "estimate": est, "se": 0.1, "ci_low": lo, "ci_high": hi, "band_low": band[0],
            "band_high": band[1], "df": 40.0, "n": n, "suppressed": False,
            "suppression_reason": None}  # fmt: skip


def _table(outcome: str, *, pre_band=(-0.3, 0.2), post_band=(0.1, 0.7), pre=True):
    rows = [
        _row(outcome, "overall", 0.4, 0.2, 0.6),
        _row(outcome, "cohort", 0.5, 0.3, 0.7, cohort="2"),
        _row(outcome, "event", 0.3, 0.15, 0.45, k="0", band=post_band),
        _row(outcome, "event", 0.6, 0.3, 0.9, k="1", band=(0.2, 1.0)),
    ]
    if pre:
        rows.insert(2, _row(outcome, "event", -0.05, -0.25, 0.15, k="-1", band=pre_band))
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def base() -> Bundle:
    return demo_bundle()


def _with(base: Bundle, table: pd.DataFrame, manifest: dict | None = None) -> Bundle:
    return Bundle(base.path, manifest or base.manifest, {**base.tables, "did_staggered": table})


def test_the_page_is_added_after_the_overview_only_with_an_event_study(base):
    cfg = DashboardConfig()
    assert event_study.with_page(cfg, base) is cfg  # the demo study has no staggered roll-out
    staggered = _with(base, _table("trust_police"))
    pages = event_study.with_page(cfg, staggered).pages
    assert pages[:2] == ("overview", "event_study") and len(pages) == len(cfg.pages) + 1
    assert PATHS["event_study"] == "/event-study"
    # a configuration may list it, and then it stays where it was put
    listed = config_from_mapping({"pages": ["methodology", "event_study"]})
    assert event_study.with_page(listed, staggered).pages == ("methodology", "event_study")


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_verdicts_follow_the_estimates_and_the_bands(base, lang):
    b = _with(base, _table("trust_police"))
    overall = event_study.overall_finding(b, "trust_police", lang)
    name = b.label("outcome", "trust_police", lang)
    assert overall["significant"] and name in overall["sentence"]
    assert overall["sentence"].startswith(t("es.up", lang).split("«")[0].split("“")[0])
    pre, post = event_study.event_verdicts(b, "trust_police", lang)
    assert not pre["flagged"] and pre["badge"] == t("es.pre_badge_ok", lang)
    assert post["flagged"] and post["badge"] == t("finding.sig", lang)
    assert ("0, +1" in post["sentence"]) and ("−1" in pre["sentence"])
    # a band before adoption that excludes zero: the trends already differed
    bad = _with(base, _table("trust_police", pre_band=(0.05, 0.4)))
    pre, _ = event_study.event_verdicts(bad, "trust_police", lang)
    assert pre["flagged"] and pre["badge"] == t("es.pre_badge_bad", lang)
    # a band since adoption that holds zero: not confirmed at that time
    _, post = event_study.event_verdicts(
        _with(base, _table("trust_police", post_band=(-0.1, 0.7))), "trust_police", lang
    )
    assert post["flagged"] and "+1" in post["sentence"] and "0," not in post["sentence"]
    # no wave before adoption: the check cannot be made, and the page says so
    pre, _ = event_study.event_verdicts(
        _with(base, _table("trust_police", pre=False)), "trust_police", lang
    )
    assert pre["sentence"] == t("es.pre_none", lang) and not pre["flagged"]


def test_an_overall_effect_whose_ci_holds_zero_is_not_confirmed(base):
    table = _table("trust_police")
    table.loc[table["type"] == "overall", ["estimate", "ci_low", "ci_high"]] = [0.1, -0.05, 0.25]
    f = event_study.overall_finding(_with(base, table), "trust_police", "en")
    assert not f["significant"] and "not statistically confirmed" in f["sentence"]
    assert "+0.10 points" in f["sentence"] and "95% CI −0.05 to +0.25" in f["sentence"]


def test_a_suppressed_overall_effect_says_why(base):
    table = _table("trust_police")
    at = table["type"] == "overall"
    table.loc[at, ["estimate", "ci_low", "ci_high"]] = np.nan
    table.loc[at, "suppressed"] = True
    table.loc[at, "suppression_reason"] = "small_cell"
    f = event_study.overall_finding(_with(base, table), "trust_police", "en")
    assert not f["significant"] and "is not published" in f["sentence"]


def test_a_yes_no_outcome_is_stated_in_percentage_points(base):
    binary = "trust_police"
    manifest = copy.deepcopy(base.manifest)
    manifest["labels"]["scale"] = {binary: {"min": 0.0, "max": 1.0, "binary": True}}
    b = _with(base, _table(binary), manifest)
    f = event_study.overall_finding(b, binary, "en")
    assert "by 40.0 percentage points" in f["sentence"]
    fig, table = event_study.event_view(b, binary, "en")
    after = next(tr for tr in fig["data"] if tr["name"] == t("es.after", "en"))
    assert after["y"] == [30.0, 60.0]
    assert table["Band low"].dropna().tolist() == [-30.0, 10.0, 20.0]


def test_figure_marks_waves_before_adoption_and_draws_the_band(base):
    b = _with(base, _table("trust_police"))
    fig, table = event_study.event_view(b, "trust_police", "en")
    band, before, after = fig["data"]
    assert band["fill"] == "toself" and band["x"] == [-1, 0, 1, 1, 0, -1]
    assert band["y"] == [0.2, 0.7, 1.0, 0.2, 0.1, -0.3]
    assert before["x"] == [-1] and before["marker"]["symbol"] == "circle-open"
    assert after["x"] == [0, 1] and after["marker"]["symbol"] == "circle"
    assert before["error_y"]["arrayminus"] == [0.2] and after["error_y"]["array"] == [0.15, 0.3]
    effects = table["Effect"].tolist()
    assert effects[0] == "Overall" and effects[1:4] == [
        "Waves since it began: −1", "Waves since it began: 0", "Waves since it began: +1"
    ]  # fmt: skip
    assert effects[4].startswith("Communities joining: ")
    assert table["Respondents (n)"].tolist() == [900] * 5


def test_page_and_download_store_in_both_languages_with_hostile_labels(base):
    manifest = copy.deepcopy(base.manifest)
    manifest["labels"]["outcome"]["trust_police"] = {"uk": XSS, "en": XSS}
    b = _with(base, _table("trust_police"), manifest)
    cfg = event_study.with_page(DashboardConfig(), b)
    texts = {}
    for lang in ("uk", "en"):
        shell = callbacks.render_shell(b, cfg, "/event-study", lang)
        nav = str(shell[3])
        assert t("nav.event_study", lang) in nav
        page = shell[4]
        texts[lang] = str(page)
        assert t("es.title", lang) in texts[lang]
        fig, verdicts, _shown, data = event_study.update(b, "trust_police", lang)
        assert XSS not in str(fig)  # Plotly would read a label as HTML: it is escaped
        assert any(XSS in str(v) for v in verdicts)  # React shows it as text
        assert data["tables"][0]["name"] == "event_study"
        assert len(data["tables"][0]["rows"]) == 5  # overall, three waves, one cohort
        payload = callbacks.download_payload(data, "csv", "study-event_study", lang)
        assert payload["filename"] == f"study-event_study-{lang}.csv"
    assert texts["uk"] != texts["en"]
