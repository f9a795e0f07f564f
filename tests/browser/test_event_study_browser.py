"""The "Effect over time" page of a staggered roll-out (``trustsurvey example --shape
staggered`` run by the real pipeline) in headless Chromium: the verdicts in words, the event
study drawn with its band and the waves before adoption marked, the outcome control, the
download holding the shown numbers, and no serious or critical axe-core violation."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from trustsurvey.dashboard.translations import t  # noqa: E402
from trustsurvey.publish.bundle import read_bundle  # noqa: E402

WAIT = 20
AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
AXE_JS = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']}).then(r => done(
  r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
   .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))
)).catch(e => done(['axe failed: ' + e]));
"""
TRACES_JS = (
    "const g = document.querySelector('#event_study-graph .js-plotly-plot');"
    "return g && g.data ? g.data.map(t => ({name: t.name, x: t.x, y: t.y, fill: t.fill || '',"
    " symbol: (t.marker || {}).symbol || ''})) : null;"
)


@pytest.fixture(scope="module")
def staggered(study_bundle, serve):
    path = study_bundle("staggered")
    return read_bundle(path), serve(path)


def _open(driver, base: str, lang: str) -> None:
    driver.get(base + "/event-study")
    WebDriverWait(driver, WAIT).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "#event_study-graph .main-svg"))
    )
    if driver.execute_script("return document.documentElement.lang") != lang:
        driver.find_element(By.CSS_SELECTOR, f"#lang-switch input[value='{lang}']").click()
        WebDriverWait(driver, WAIT).until(
            lambda d: d.execute_script("return document.documentElement.lang") == lang
        )
    _settle(driver)


def _settle(driver) -> None:
    WebDriverWait(driver, WAIT).until(
        lambda d: d.execute_script(
            "return document.querySelectorAll('[data-dash-is-loading=true]').length === 0"
        )
    )
    time.sleep(0.3)


def _shown_table(driver, table_id: str) -> pd.DataFrame:
    table = driver.find_element(By.ID, table_id)
    head = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    rows = [
        [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
        for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr")
    ]
    return pd.DataFrame(rows, columns=head)


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_the_page_states_the_effects_in_words_and_draws_the_event_study(
    staggered, chromium, lang, output_dir
):
    bundle, base = staggered
    chromium.get_log("browser")
    _open(chromium, base, lang)
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
    shots = output_dir / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    chromium.save_screenshot(str(shots / f"event-study-{lang}.png"))
    assert [e for e in chromium.get_log("browser") if e["level"] == "SEVERE"] == []


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_axe_finds_no_serious_violation_on_the_event_study(staggered, chromium, lang):
    _, base = staggered
    chromium.set_script_timeout(60)
    _open(chromium, base, lang)
    chromium.execute_script(AXE)
    assert chromium.execute_async_script(AXE_JS) == []


def test_another_outcome_redraws_and_the_download_holds_the_shown_numbers(
    staggered, chromium, chromium_downloads
):
    bundle, base = staggered
    _open(chromium, base, "en")
    before = chromium.execute_script(TRACES_JS)
    second = [o for o in dict.fromkeys(bundle.tables["did_staggered"]["outcome"])][1]
    chromium.find_element(By.ID, "event_study-outcome").click()  # a Dash 4 dropdown
    option = f"label.dash-dropdown-option:has(input[value='{second}'])"
    WebDriverWait(chromium, WAIT).until(
        ec.element_to_be_clickable((By.CSS_SELECTOR, option))
    ).click()
    WebDriverWait(chromium, WAIT).until(lambda d: d.execute_script(TRACES_JS) != before)
    _settle(chromium)
    label = bundle.label("outcome", second, "en")
    assert label in chromium.find_element(By.ID, "event_study-overall").text
    shown = _shown_table(chromium, "event_study-tbl")
    assert shown["Effect"].iloc[0] == "Overall"
    for f in chromium_downloads.glob("*"):
        f.unlink()
    chromium.find_element(By.CSS_SELECTOR, "button[id*='dl-csv'][id*='event_study']").click()
    name = f"{bundle.study}-event_study-en.csv"
    WebDriverWait(chromium, WAIT).until(lambda d: (chromium_downloads / name).exists())
    time.sleep(0.3)
    got = pd.read_csv(chromium_downloads / name, encoding="utf-8-sig", dtype=str).fillna("")
    assert list(got.columns) == list(shown.columns)
    assert got["Effect"].tolist() == shown["Effect"].tolist()
    for col in ("Estimate", "Band low", "Respondents (n)"):
        assert [_num(v) for v in got[col]] == [_num(v) for v in shown[col]]


def _num(v: str) -> float | str:
    try:
        return float(str(v).replace(",", "").replace("−", "-"))
    except ValueError:
        return v
