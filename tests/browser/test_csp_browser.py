"""The dashboard under its Content-Security-Policy (no ``'unsafe-eval'``) in headless Chromium:
every page of bundles made by the real pipeline (the example study and a staggered roll-out),
in both languages, loads with zero CSP violations and draws its charts."""

from __future__ import annotations

import urllib.request

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

from trustsurvey.dashboard import event_study  # noqa: E402
from trustsurvey.dashboard.config import PATHS, load_config  # noqa: E402

#: records every CSP violation of a page (installed before any script of the page runs)
LISTEN_JS = (
    "window.__csp = [];"
    "document.addEventListener('securitypolicyviolation', e => window.__csp.push("
    "e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sourceFile || '')));"
)

TRACES_JS = "return document.querySelectorAll('#page .main-svg .trace').length"
NO_DATA_JS = "[...document.querySelectorAll('#page .main-svg .annotation')].length > 0"
DRAWN_JS = (
    "const svg = document.querySelectorAll('#page .main-svg').length > 0;"
    f"return svg && (({TRACES_JS.removeprefix('return ')}) > 0 || {NO_DATA_JS});"
)


@pytest.fixture(scope="module", params=["example", "staggered"])
def served(request, served_study):
    bundle, url, _ = served_study(request.param)
    pages = event_study.with_page(load_config(study=bundle.study), bundle).pages
    return url, bundle, [p for p in pages if p in PATHS]


@pytest.fixture
def listening(chromium):
    script = chromium.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument", {"source": LISTEN_JS}
    )
    chromium.get_log("browser")  # forget earlier pages' messages
    yield chromium
    chromium.execute_cdp_cmd(
        "Page.removeScriptToEvaluateOnNewDocument", {"identifier": script["identifier"]}
    )


def test_the_policy_forbids_string_evaluation(served):
    base, _, _ = served
    with urllib.request.urlopen(base + "/") as response:
        csp = response.headers["Content-Security-Policy"]
    script_src = next(d for d in csp.split("; ") if d.startswith("script-src "))
    assert "'self'" in script_src and "'sha256-" in script_src
    assert "unsafe" not in script_src  # neither 'unsafe-eval' nor 'unsafe-inline'


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_every_page_loads_without_csp_violations_and_draws_its_charts(served, listening, ui, lang):
    base, bundle, pages = served
    driver = listening
    if event_study.has_event_study(bundle):
        assert "event_study" in pages  # the staggered study's page is among those opened
    drawn = 0
    for page in pages:
        # every chart is drawn: its traces, or "no data" said
        charts = None if page == "methodology" else (lambda d: d.execute_script(DRAWN_JS))
        ui.open(base + PATHS[page], lang, drawn=charts)
        drawn += driver.execute_script(TRACES_JS) > 0
        violations = driver.execute_script("return window.__csp")
        assert violations == [], f"{page} ({lang}): {violations}"
        logged = ui.errors()
        assert logged == [], f"{page} ({lang}): {logged}"
    assert drawn >= len(pages) - 2  # pages with traces: all but "no data" ones and methodology
