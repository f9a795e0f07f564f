"""The real dashboard server driven by headless Chromium (Debian's chromium + chromedriver)."""

from __future__ import annotations

import copy
import io
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
    pytest.skip(
        "Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)",
        allow_module_level=True,
    )

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from trustsurvey.dashboard.app import create_app  # noqa: E402
from trustsurvey.dashboard.config import PATHS, load_config  # noqa: E402
from trustsurvey.publish.bundle import Bundle  # noqa: E402
from trustsurvey.publish.fixture import demo_bundle  # noqa: E402

XSS = "<script>alert('x')</script>"
SYNTHETIC_PAGES = load_config(study="synthetic").pages  # dashboards/synthetic.yaml
WAIT = 15


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    base = demo_bundle()
    manifest = copy.deepcopy(base.manifest)
    manifest["labels"]["problem"]["lighting"] = {"uk": XSS, "en": XSS}
    app = create_app(Bundle(base.path, manifest, base.tables))
    httpd = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def downloads() -> Iterator[Path]:
    d = Path(tempfile.mkdtemp(prefix="ts-downloads-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def browser(downloads) -> Iterator[webdriver.Chrome]:
    profile = tempfile.mkdtemp(prefix="ts-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1280,1000",
    ):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    opts.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _wait(driver, css: str):
    return WebDriverWait(driver, WAIT).until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))


def _settle(driver) -> None:
    """Wait until Dash has no callback in flight."""
    WebDriverWait(driver, WAIT).until(
        lambda d: d.execute_script(
            "return document.querySelectorAll('[data-dash-is-loading=\"true\"]').length === 0"
        )
    )
    time.sleep(0.1)


def _errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def _open(driver, base: str, path: str, lang: str) -> None:
    driver.get(base + path)
    _wait(driver, "#page h2")
    current = driver.execute_script(
        "return document.querySelector('#lang-switch input:checked').value"
    )
    if current != lang:
        driver.find_element(By.CSS_SELECTOR, f"#lang-switch input[value='{lang}']").click()
    _settle(driver)


def _figure(driver, graph_id: str) -> list:
    return driver.execute_script(
        f"const g = document.querySelector('#{graph_id} .js-plotly-plot');"
        # the values of each drawn trace (x of sideways bars), legend-only entries left out
        "return g && g.data ? g.data.map(t => t.orientation === 'h' ? t.x : t.y)"
        ".filter(v => v && v.length) : null;"
    )


def test_every_page_loads_without_console_errors(server, browser, output_dir):
    shots = output_dir / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    browser.get_log("browser")
    for lang in ("uk", "en"):
        _open(browser, server, "/", lang)
        for page in [p for p in PATHS if p in SYNTHETIC_PAGES]:  # the programme page: below
            browser.find_element(By.ID, f"nav-{page}").click()  # client-side navigation
            WebDriverWait(browser, WAIT).until(
                lambda d, p=page: d.execute_script(
                    f"const a = document.getElementById('nav-{p}');"
                    "return a !== null && a.className.includes('active');"
                )
            )
            if page != "methodology":
                _wait(browser, f"#{page}-graph .main-svg")
                _wait(browser, f"#{page}-tbl")
            _settle(browser)
            browser.save_screenshot(str(shots / f"{page}-{lang}.png"))
            assert _errors(browser) == [], f"{page} ({lang})"
    browser.set_window_size(390, 844)  # a phone
    try:
        _open(browser, server, "/", "uk")
        _wait(browser, "#overview-graph .main-svg")
        _settle(browser)
        browser.save_screenshot(str(shots / "overview-phone.png"))
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= 400  # no sideways scrolling of the page itself
    finally:
        browser.set_window_size(1280, 1000)


def test_language_switch_changes_the_texts(server, browser):
    _open(browser, server, "/", "uk")
    uk = browser.find_element(By.ID, "overview-title").text
    browser.find_element(By.CSS_SELECTOR, "#lang-switch input[value='en']").click()
    WebDriverWait(browser, WAIT).until(
        lambda d: (
            d.execute_script("return document.querySelector('#overview-title').textContent") != uk
        )
    )
    assert browser.find_element(By.ID, "overview-title").text == (
        "Trust by community and arm over waves"
    )
    assert browser.find_element(By.ID, "nav-methodology").text == "Methodology"
    assert uk == "Довіра за громадами та групами впродовж хвиль"


def test_a_filter_changes_the_figure(server, browser):
    _open(browser, server, "/communities", "en")
    _wait(browser, "#communities-graph .main-svg")
    before = _figure(browser, "communities-graph")
    browser.find_element(By.CSS_SELECTOR, "#communities-wave input[value='1']").click()
    WebDriverWait(browser, WAIT).until(lambda d: _figure(d, "communities-graph") != before)
    assert _figure(browser, "communities-graph") != before


def _shown_table(driver, table_id: str) -> pd.DataFrame:
    table = driver.find_element(By.ID, table_id)
    head = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    rows = [
        [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
        for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr")
    ]
    return pd.DataFrame(rows, columns=head)


def _values(column) -> list:
    """Cells as numbers where they are numbers ("3.370" shown, 3.37 downloaded), else text."""
    out = []
    for v in column:
        try:
            out.append(float(str(v).replace(",", "")))
        except ValueError:
            out.append(v)
    return out


def _download_csv(driver, downloads: Path, page: str) -> pd.DataFrame:
    """Click the page's "Download CSV" and read the file the browser saved (as text)."""
    for f in downloads.glob("*"):
        f.unlink()
    driver.find_element(By.CSS_SELECTOR, f"button[id*='dl-csv'][id*='\"{page}\"']").click()
    deadline = time.time() + WAIT
    files: list[Path] = []
    while time.time() < deadline and not files:
        files = [p for p in downloads.glob("*.csv")]
        time.sleep(0.1)
    assert files, "no CSV was downloaded"
    got = pd.read_csv(io.BytesIO(files[0].read_bytes()), encoding="utf-8-sig", dtype=str)
    return got.fillna("")


def test_download_returns_the_shown_numbers(server, browser, downloads):
    _open(browser, server, "/communities", "en")
    _wait(browser, "#communities-tbl")
    _settle(browser)
    shown = _shown_table(browser, "communities-tbl")
    got = _download_csv(browser, downloads, "communities")
    assert list(got.columns) == list(shown.columns)
    for col in ("Estimate", "Respondents (n)", "Community"):
        assert _values(got[col]) == _values(shown[col])


def test_suppressed_cells_appear_as_suppressed(server, browser):
    _open(browser, server, "/communities", "en")
    _wait(browser, "#communities-tbl")
    _settle(browser)
    shown = _shown_table(browser, "communities-tbl").set_index("Community")
    assert shown.at["Boyarka", "Note"] == "suppressed: fewer than 30 respondents"
    assert shown.at["Boyarka", "Estimate"] == ""
    notes = browser.find_elements(By.CSS_SELECTOR, "#communities-tbl td em")
    assert any(n.text.startswith("suppressed") for n in notes)


def test_a_script_label_shows_as_text(server, browser):
    _open(browser, server, "/problems", "en")
    _wait(browser, "#problems-tbl")
    _settle(browser)
    assert XSS in browser.find_element(By.ID, "problems-tbl").text
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018
    assert _errors(browser) == []


# --- the example study, end to end: trustsurvey example -> run -> dashboard -------------------


@pytest.fixture(scope="module")
def example_bundle(study_bundle) -> Path:
    """The example study generated and run through the pipeline, as ``make demo`` does (one
    run per session, shared with the other browser tests: tests/browser/conftest.py)."""
    return study_bundle("example")


@pytest.fixture(scope="module")
def example_server(example_bundle) -> Iterator[str]:
    from trustsurvey.publish.bundle import read_bundle

    app = create_app(read_bundle(example_bundle))
    httpd = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


def test_example_study_dashboard_shows_its_did_headline(
    example_bundle, example_server, browser, output_dir
):
    did = pd.read_parquet(example_bundle.parent / "analysis" / "did.parquet")
    browser.get_log("browser")
    _open(browser, example_server, "/", "en")
    shown = _wait(browser, "#did-estimate").text
    from trustsurvey.dashboard.config import load_config
    from trustsurvey.publish.bundle import read_bundle

    bundle = read_bundle(example_bundle)
    outcomes = list(bundle.tables["estimates"]["outcome"].unique())
    preferred = load_config(study=bundle.study).default_outcome  # dashboards/<study>.yaml
    first = preferred if preferred in outcomes else bundle.plan["outcomes"][0]
    row = did[(did["outcome"] == first) & (did["model"] == "unadjusted")].iloc[0]
    # the example's own DiD, as the run wrote it, in the headline sentence
    assert f"{abs(row['estimate']):.2f} points" in shown and "95% CI" in shown
    shots = output_dir / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    for page in ("overview", "indicators", "communities", "programme", "methodology"):
        _open(browser, example_server, PATHS[page], "uk" if page == "programme" else "en")
        _wait(browser, "#page h2")
        browser.save_screenshot(str(shots / f"example-{page}.png"))
    assert _errors(browser) == []


def test_example_programme_page_draws_the_dose_response(example_server, browser):
    _open(browser, example_server, PATHS["programme"], "en")
    WebDriverWait(browser, WAIT).until(lambda d: _figure(d, "programme-graph"))  # timeline
    browser.find_element(By.CSS_SELECTOR, "#programme-view input[value='dose']").click()
    _settle(browser)
    WebDriverWait(browser, WAIT).until(
        lambda d: d.execute_script(
            "const g = document.querySelector('#programme-graph .js-plotly-plot');"
            "return !!(g && g.layout && g.layout.title);"
        )
    )
    title = browser.execute_script(
        "const g = document.querySelector('#programme-graph .js-plotly-plot');"
        "return g.layout.title.text;"
    )
    assert "Observational" in title
    assert len(_figure(browser, "programme-graph")) >= 2  # communities (by arm) and the fit


def _document(driver) -> tuple[str, str]:
    title, lang = driver.execute_script("return [document.title, document.documentElement.lang]")
    return title, lang


def test_language_switch_changes_the_tab_title_and_html_lang(server, browser):
    titles = load_config(study="synthetic").title  # dashboards/synthetic.yaml
    browser.get(server + "/")
    _wait(browser, "#overview-graph .main-svg")
    for lang in ("uk", "en", "uk"):
        browser.find_element(By.CSS_SELECTOR, f"#lang-switch input[value='{lang}']").click()
        WebDriverWait(browser, WAIT).until(lambda d, lg=lang: _document(d) == (titles[lg], lg))
        assert _document(browser) == (titles[lang], lang)
        assert browser.find_element(By.ID, "title").text == titles[lang]
    assert _errors(browser) == []


def test_groups_chart_filters_downloads_and_flags(server, browser, downloads, output_dir):
    """'By group' on the indicators page: a filter changes the figure, the download holds
    the shown numbers, suppressed rows read as suppressed, no console errors."""
    browser.get_log("browser")
    _open(browser, server, "/indicators", "en")
    _wait(browser, "#groups-graph .main-svg")
    _wait(browser, "#groups-tbl")
    _settle(browser)
    browser.execute_script("document.getElementById('groups').scrollIntoView()")
    shots = output_dir / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(shots / "groups-en.png"))
    before = _figure(browser, "groups-graph")
    assert before and all(len(y) == 2 for y in before)  # sex: women, men
    browser.find_element(By.CSS_SELECTOR, "#groups-wave input[value='1']").click()
    WebDriverWait(browser, WAIT).until(lambda d: _figure(d, "groups-graph") != before)
    _settle(browser)
    shown = _shown_table(browser, "groups-tbl")
    assert set(shown["Wave"]) == {"Wave 1 (baseline)"}
    got = _download_csv(browser, downloads, "groups")
    assert list(got.columns) == list(shown.columns)
    for col in ("Estimate", "95% CI low", "Respondents (n)", "Population group", "Note"):
        assert _values(got[col]) == _values(shown[col])
    # one community, by age: the demo bundle suppresses small age groups there
    browser.find_element(By.CSS_SELECTOR, "#groups-subgroup input[value='age']").click()
    _settle(browser)
    browser.find_element(By.ID, "groups-group").click()  # a Dash 4 dropdown: open, pick
    option = "label.dash-dropdown-option:has(input[value='com:boyarka'])"
    WebDriverWait(browser, WAIT).until(
        ec.element_to_be_clickable((By.CSS_SELECTOR, option))
    ).click()
    _settle(browser)
    WebDriverWait(browser, WAIT).until(
        lambda d: set(_shown_table(d, "groups-tbl")["Community or arm"]) == {"Boyarka"}
    )
    table = _shown_table(browser, "groups-tbl").set_index("Population group")
    assert table.at["60+", "Note"] == "suppressed: fewer than 30 respondents"
    assert table.at["60+", "Estimate"] == ""
    assert any(
        e.text.startswith("suppressed")
        for e in browser.find_elements(By.CSS_SELECTOR, "#groups-tbl td em")
    )
    assert _errors(browser) == []


# --- other study shapes: the dashboard opens on the study's own first outcome ---------------


@pytest.fixture(scope="module", params=["renamed", "one-wave", "no-arms", "staggered"])
def shape_server(request, study_bundle, serve) -> tuple[str, object]:
    """A study of another shape (``trustsurvey example --shape``) run (once per session) and
    served."""
    from trustsurvey.publish.bundle import read_bundle

    path = study_bundle(request.param)
    return serve(path), read_bundle(path)


def test_a_study_s_dashboard_opens_on_its_own_first_outcome(shape_server, browser):
    base, bundle = shape_server
    first = bundle.plan["outcomes"][0]
    label = bundle.label("outcome", first, "en")
    browser.get_log("browser")
    _open(browser, base, "/", "en")
    chosen = _wait(browser, "#overview-outcome").text
    assert label in chosen  # the study's own first outcome, by its own label
    WebDriverWait(browser, WAIT).until(lambda d: _figure(d, "overview-graph"))
    note = bundle.plan.get("did_note")
    if note:  # one wave: the overview says why there is no DiD
        assert note["en"] in _wait(browser, "#overview-did").text
    assert _errors(browser) == []
