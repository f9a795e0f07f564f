"""The "Effect over time" page of a staggered roll-out (``trustsurvey example --shape
staggered`` run by the real pipeline) in headless Chromium: the verdicts in words, the event
study drawn with its band and the waves before adoption marked, the outcome control, the
download holding the shown numbers, and no serious or critical axe-core violation."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

from selenium.webdriver.common.by import By  # noqa: E402

from trustsurvey.dashboard.translations import t  # noqa: E402

TRACES_JS = (
    "const g = document.querySelector('#event_study-graph .js-plotly-plot');"
    "return g && g.data ? g.data.map(t => ({name: t.name, x: t.x, y: t.y, fill: t.fill || '',"
    " symbol: (t.marker || {}).symbol || ''})) : null;"
)


@pytest.fixture(scope="module")
def staggered(served_study):
    return served_study("staggered")


def _open(ui, base: str, lang: str) -> None:
    ui.open(base + "/event-study", lang, ready="#event_study-graph .main-svg")


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_the_page_states_the_effects_in_words_and_draws_the_event_study(
    staggered, chromium, ui, lang
):
    bundle, base, _ = staggered
    chromium.get_log("browser")
    _open(ui, base, lang)
    first = bundle.plan["outcomes"][0]
    rows = bundle.tables["did_staggered"]
    rows = rows[rows["outcome"] == first]
    overall = rows[rows["type"] == "overall"].iloc[0]
    shown = chromium.find_element(By.ID, "event_study-overall").text
    assert bundle.label("outcome", first, lang) in shown  # the outcome's own label
    assert ("95% ДІ" if lang == "uk" else "95% CI") in shown
    estimate = f"{abs(overall['estimate']):.2f}"
    assert (estimate.replace(".", ",") if lang == "uk" else estimate) in shown
    badges = [
        b.text for b in chromium.find_elements(By.CSS_SELECTOR, "#event_study-verdict .ts-badge")
    ]
    assert len(badges) == 3 and all(b[:1] in "●○" for b in badges)  # a mark and a word
    sig = overall["ci_low"] > 0 or overall["ci_high"] < 0
    assert badges[0] == ("● " if sig else "○ ") + t(
        "finding.sig" if sig else "finding.not_sig", lang
    )
    traces = chromium.execute_script(TRACES_JS)
    by_name = {tr["name"]: tr for tr in traces}
    band = by_name[t("es.band", lang)]
    before, after = by_name[t("es.before", lang)], by_name[t("es.after", lang)]
    event = rows[rows["type"] == "event"]
    times = sorted(int(k) for k in event["event_time"])
    assert band["fill"] == "toself" and sorted(set(band["x"])) == times
    assert before["symbol"] == "circle-open" and all(k < 0 for k in before["x"])
    assert after["symbol"] == "circle" and all(k >= 0 for k in after["x"])
    assert sorted(before["x"] + after["x"]) == times
    ests = dict(zip(event["event_time"].astype(int), event["estimate"], strict=True))
    for tr in (before, after):
        assert tr["y"] == pytest.approx([ests[k] for k in tr["x"]], abs=6e-4)
    ui.screenshot(f"event-study-{lang}")
    assert ui.errors() == []


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_axe_finds_no_serious_violation_on_the_event_study(staggered, ui, lang):
    _, base, _ = staggered
    _open(ui, base, lang)
    assert ui.axe() == []


def test_another_outcome_redraws_and_the_download_holds_the_shown_numbers(staggered, chromium, ui):
    bundle, base, _ = staggered
    _open(ui, base, "en")
    before = chromium.execute_script(TRACES_JS)
    second = [o for o in dict.fromkeys(bundle.tables["did_staggered"]["outcome"])][1]
    ui.pick("event_study-outcome", second)
    ui.until(lambda d: d.execute_script(TRACES_JS) != before)
    ui.settle()
    label = bundle.label("outcome", second, "en")
    assert label in chromium.find_element(By.ID, "event_study-overall").text
    shown = ui.table("event_study-tbl")
    assert shown["Effect"].iloc[0] == "Overall"
    name = f"{bundle.study}-event_study-en.csv"
    got = ui.read_csv(ui.download("button[id*='dl-csv'][id*='event_study']", name))
    assert list(got.columns) == list(shown.columns)
    assert got["Effect"].tolist() == shown["Effect"].tolist()
    for col in ("Estimate", "Band low", "Respondents (n)"):
        assert [_num(v) for v in got[col]] == [_num(v) for v in shown[col]]


def _num(v: str) -> float | str:
    try:
        return float(str(v).replace(",", "").replace("−", "-"))
    except ValueError:
        return v
