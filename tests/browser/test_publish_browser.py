"""The real dashboard server driven by headless Chromium (Debian's chromium + chromedriver)."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

pytestmark = pytest.mark.browser

from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

from trustsurvey.dashboard.config import PATHS, load_config  # noqa: E402
from trustsurvey.publish.bundle import Bundle  # noqa: E402
from trustsurvey.publish.fixture import demo_bundle  # noqa: E402

XSS = "<script>alert('x')</script>"
SYNTHETIC_PAGES = load_config(study="synthetic").pages  # dashboards/synthetic.yaml


@pytest.fixture(scope="module")
def server(serve) -> str:
    base = demo_bundle()
    manifest = copy.deepcopy(base.manifest)
    manifest["labels"]["problem"]["lighting"] = {"uk": XSS, "en": XSS}
    return serve(Bundle(base.path, manifest, base.tables))


def _figure(driver, graph_id: str) -> list:
    return driver.execute_script(
        f"const g = document.querySelector('#{graph_id} .js-plotly-plot');"
        # the values of each drawn trace (x of sideways bars), legend-only entries left out
        "return g && g.data ? g.data.map(t => t.orientation === 'h' ? t.x : t.y)"
        ".filter(v => v && v.length) : null;"
    )


def test_every_page_loads_without_console_errors(server, chromium, ui):
    chromium.get_log("browser")
    for lang in ("uk", "en"):
        ui.open(server + "/", lang)
        for page in [p for p in PATHS if p in SYNTHETIC_PAGES]:  # the programme page: below
            chromium.find_element(By.ID, f"nav-{page}").click()  # client-side navigation
            ui.until(
                lambda d, p=page: d.execute_script(
                    f"const a = document.getElementById('nav-{p}');"
                    "return a !== null && a.className.includes('active');"
                )
            )
            if page != "methodology":
                ui.wait_for(f"#{page}-graph .main-svg")
                ui.wait_for(f"#{page}-tbl")
            ui.settle()
            ui.screenshot(f"{page}-{lang}")
            assert ui.errors() == [], f"{page} ({lang})"
    size = chromium.get_window_size()
    chromium.set_window_size(390, 844)  # a phone
    try:
        ui.open(server + "/", "uk", drawn="#overview-graph .main-svg")
        ui.screenshot("overview-phone")
        width = chromium.execute_script("return document.documentElement.scrollWidth")
        assert width <= 400  # no sideways scrolling of the page itself
    finally:
        chromium.set_window_size(size["width"], size["height"])


def test_language_switch_changes_the_texts(server, chromium, ui):
    ui.open(server + "/", "uk")
    uk = chromium.find_element(By.ID, "overview-title").text
    chromium.find_element(By.CSS_SELECTOR, "#lang-switch input[value='en']").click()
    ui.until(
        lambda d: (
            d.execute_script("return document.querySelector('#overview-title').textContent") != uk
        )
    )
    assert chromium.find_element(By.ID, "overview-title").text == (
        "Trust by community and arm over waves"
    )
    assert chromium.find_element(By.ID, "nav-methodology").text == "Methodology"
    assert uk == "Довіра за громадами та групами впродовж хвиль"


def test_a_filter_changes_the_figure(server, chromium, ui):
    ui.open(server + "/communities", "en", drawn="#communities-graph .main-svg")
    before = _figure(chromium, "communities-graph")
    chromium.find_element(By.CSS_SELECTOR, "#communities-wave input[value='1']").click()
    ui.until(lambda d: _figure(d, "communities-graph") != before)
    assert _figure(chromium, "communities-graph") != before


def _download_csv(ui, page: str) -> pd.DataFrame:
    """Click the page's "Download CSV" and read the file the browser saved (as text)."""
    return ui.read_csv(ui.download(f"button[id*='dl-csv'][id*='\"{page}\"']"))


def _values(column) -> list:
    """Cells as numbers where they are numbers ("3.370" shown, 3.37 downloaded), else text."""
    out = []
    for v in column:
        try:
            out.append(float(str(v).replace(",", "")))
        except ValueError:
            out.append(v)
    return out


def test_download_returns_the_shown_numbers(server, ui):
    ui.open(server + "/communities", "en", drawn="#communities-tbl")
    shown = ui.table("communities-tbl")
    got = _download_csv(ui, "communities")
    assert list(got.columns) == list(shown.columns)
    for col in ("Estimate", "Respondents (n)", "Community"):
        assert _values(got[col]) == _values(shown[col])


def test_suppressed_cells_appear_as_suppressed(server, chromium, ui):
    ui.open(server + "/communities", "en", drawn="#communities-tbl")
    shown = ui.table("communities-tbl").set_index("Community")
    assert shown.at["Boyarka", "Note"] == "suppressed: fewer than 30 respondents"
    assert shown.at["Boyarka", "Estimate"] == ""
    notes = chromium.find_elements(By.CSS_SELECTOR, "#communities-tbl td em")
    assert any(n.text.startswith("suppressed") for n in notes)


def test_a_script_label_shows_as_text(server, chromium, ui):
    ui.open(server + "/problems", "en", drawn="#problems-tbl")
    assert XSS in chromium.find_element(By.ID, "problems-tbl").text
    with pytest.raises(NoAlertPresentException):
        chromium.switch_to.alert.text  # noqa: B018
    assert ui.errors() == []


# --- the example study, end to end: trustsurvey example -> run -> dashboard -------------------


@pytest.fixture(scope="module")
def example(served_study):
    """The example study generated and run through the pipeline, as ``make demo`` does (one
    run per session, shared with the other browser tests: tests/browser/conftest.py), served."""
    return served_study("example")


def test_example_study_dashboard_shows_its_did_headline(example, ui):
    bundle, base, folder = example
    did = pd.read_parquet(folder / "out" / "analysis" / "did.parquet")
    ui.errors()  # forget earlier pages' messages
    ui.open(base + "/", "en")
    shown = ui.wait_for("#did-estimate").text
    outcomes = list(bundle.tables["estimates"]["outcome"].unique())
    preferred = load_config(study=bundle.study).default_outcome  # dashboards/<study>.yaml
    first = preferred if preferred in outcomes else bundle.plan["outcomes"][0]
    row = did[(did["outcome"] == first) & (did["model"] == "unadjusted")].iloc[0]
    # the example's own DiD, as the run wrote it, in the headline sentence
    assert f"{abs(row['estimate']):.2f} points" in shown and "95% CI" in shown
    for page in ("overview", "indicators", "communities", "programme", "methodology"):
        ui.open(base + PATHS[page], "uk" if page == "programme" else "en")
        ui.wait_for("#page h2")
        ui.screenshot(f"example-{page}")
    assert ui.errors() == []


def test_example_programme_page_draws_the_dose_response(example, chromium, ui):
    ui.open(example.url + PATHS["programme"], "en")
    ui.until(lambda d: _figure(d, "programme-graph"))  # timeline
    chromium.find_element(By.CSS_SELECTOR, "#programme-view input[value='dose']").click()
    ui.settle()
    ui.until(
        lambda d: d.execute_script(
            "const g = document.querySelector('#programme-graph .js-plotly-plot');"
            "return !!(g && g.layout && g.layout.title);"
        )
    )
    title = chromium.execute_script(
        "const g = document.querySelector('#programme-graph .js-plotly-plot');"
        "return g.layout.title.text;"
    )
    assert "Observational" in title
    assert len(_figure(chromium, "programme-graph")) >= 2  # communities (by arm) and the fit


def _document(driver) -> tuple[str, str]:
    title, lang = driver.execute_script("return [document.title, document.documentElement.lang]")
    return title, lang


def test_language_switch_changes_the_tab_title_and_html_lang(server, chromium, ui):
    titles = load_config(study="synthetic").title  # dashboards/synthetic.yaml
    chromium.get(server + "/")
    ui.wait_for("#overview-graph .main-svg")
    for lang in ("uk", "en", "uk"):
        chromium.find_element(By.CSS_SELECTOR, f"#lang-switch input[value='{lang}']").click()
        ui.until(lambda d, lg=lang: _document(d) == (titles[lg], lg))
        assert _document(chromium) == (titles[lang], lang)
        assert chromium.find_element(By.ID, "title").text == titles[lang]
    assert ui.errors() == []


def test_groups_chart_filters_downloads_and_flags(server, chromium, ui):
    """'By group' on the indicators page: a filter changes the figure, the download holds
    the shown numbers, suppressed rows read as suppressed, no console errors."""
    chromium.get_log("browser")
    ui.open(server + "/indicators", "en", drawn="#groups-graph .main-svg")
    ui.wait_for("#groups-tbl")
    ui.settle()
    chromium.execute_script("document.getElementById('groups').scrollIntoView()")
    ui.screenshot("groups-en")
    before = _figure(chromium, "groups-graph")
    assert before and all(len(y) == 2 for y in before)  # sex: women, men
    chromium.find_element(By.CSS_SELECTOR, "#groups-wave input[value='1']").click()
    ui.until(lambda d: _figure(d, "groups-graph") != before)
    ui.settle()
    shown = ui.table("groups-tbl")
    assert set(shown["Wave"]) == {"Wave 1 (baseline)"}
    got = _download_csv(ui, "groups")
    assert list(got.columns) == list(shown.columns)
    for col in ("Estimate", "95% CI low", "Respondents (n)", "Population group", "Note"):
        assert _values(got[col]) == _values(shown[col])
    # one community, by age: the demo bundle suppresses small age groups there
    chromium.find_element(By.CSS_SELECTOR, "#groups-subgroup input[value='age']").click()
    ui.settle()
    ui.pick("groups-group", "com:boyarka")
    ui.settle()
    ui.until(lambda d: set(ui.table("groups-tbl")["Community or arm"]) == {"Boyarka"})
    table = ui.table("groups-tbl").set_index("Population group")
    assert table.at["60+", "Note"] == "suppressed: fewer than 30 respondents"
    assert table.at["60+", "Estimate"] == ""
    assert any(
        e.text.startswith("suppressed")
        for e in chromium.find_elements(By.CSS_SELECTOR, "#groups-tbl td em")
    )
    assert ui.errors() == []


# --- other study shapes: the dashboard opens on the study's own first outcome ---------------


@pytest.fixture(scope="module", params=["renamed", "one-wave", "no-arms", "staggered"])
def shape_server(request, served_study):
    """A study of another shape (``trustsurvey example --shape``) run (once per session) and
    served."""
    return served_study(request.param)


def test_a_study_s_dashboard_opens_on_its_own_first_outcome(shape_server, chromium, ui):
    bundle, base, _ = shape_server
    first = bundle.plan["outcomes"][0]
    label = bundle.label("outcome", first, "en")
    chromium.get_log("browser")
    ui.open(base + "/", "en")
    chosen = ui.wait_for("#overview-outcome").text
    assert label in chosen  # the study's own first outcome, by its own label
    ui.until(lambda d: _figure(d, "overview-graph"))
    note = bundle.plan.get("did_note")
    if note:  # one wave: the overview says why there is no DiD
        assert note["en"] in ui.wait_for("#overview-did").text
    assert ui.errors() == []
