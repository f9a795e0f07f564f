"""Basic auth, when set, guards every route of the running dashboard (assets included)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest
import requests
from conftest_privacy import CALLBACK, Intruder, basic, serve

from trustsurvey.dashboard.app import create_app
from trustsurvey.dashboard.config import PATHS
from trustsurvey.dashboard.security import PASSWORD_ENV, USER_ENV
from trustsurvey.publish.fixture import demo_bundle

logging.getLogger("werkzeug").setLevel(logging.ERROR)
USER, PASSWORD = "partner", "s3cret-пароль"


@pytest.fixture(scope="module")
def guarded() -> Iterator[str]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(USER_ENV, USER)
        mp.setenv(PASSWORD_ENV, PASSWORD)
        app = create_app(demo_bundle())
    with serve(app) as base:
        yield base


@pytest.fixture(scope="module")
def routes(guarded) -> dict[str, list[str]]:
    """Every GET route a browser meets (pages, scripts, styles, assets, Dash endpoints)."""
    r = requests.get(guarded + "/", headers=basic(USER, PASSWORD), timeout=30)
    assert r.status_code == 200
    linked = sorted(set(re.findall(r'(?:src|href)="(/[^"]+)"', r.text)))
    return {
        "pages": sorted(set(PATHS.values())),
        "assets": [u for u in linked if u.startswith("/assets/")],
        "suites": [u for u in linked if u.startswith("/_dash-component-suites/")],
        "dash": ["/_dash-layout", "/_dash-dependencies", "/_favicon.ico"],
    }


def test_the_page_links_assets_and_component_suites(routes) -> None:
    assert routes["assets"], "no /assets/ file linked from the page"
    assert len(routes["suites"]) >= 3


@pytest.mark.parametrize("kind", ["pages", "assets", "suites", "dash"])
def test_every_get_route_needs_credentials(guarded, routes, kind) -> None:
    wrong = {"Authorization": "Basic " + "cGFydG5lcjp3cm9uZw=="}  # partner:wrong
    for path in routes[kind]:
        for headers in ({}, wrong, {"Authorization": "Bearer x"}):
            r = requests.get(guarded + path, headers=headers, timeout=30)
            assert r.status_code == 401, (path, headers, r.status_code)
            assert "WWW-Authenticate" in r.headers
            assert len(r.content) < 100  # nothing of the page leaks in the refusal
        ok = requests.get(guarded + path, headers=basic(USER, PASSWORD), timeout=30)
        assert ok.status_code == 200, (path, ok.status_code)


def test_callbacks_and_downloads_need_credentials(guarded) -> None:
    it = Intruder(guarded, headers=basic(USER, PASSWORD))
    resp = it.update("communities-outcome", ["trust_police", 1], "en")
    shown = next(v["data"] for k, v in resp.items() if '"shown"' in k)
    for fmt in ("csv", "xlsx"):
        assert it.download("communities", shown, fmt).status_code == 200
    body = it.seen[-1][0]  # the last request was a download
    assert body.startswith(CALLBACK)
    anon = Intruder(guarded)
    assert anon.get("/_dash-dependencies").status_code == 401
    anon._deps = it._deps  # give the anonymous client the callback map it could not read
    r = anon.post(
        {
            "output": "communities-graph.figure",
            "outputs": {"id": "communities-graph", "property": "figure"},
            "inputs": [],
            "changedPropIds": [],
        }
    )
    assert r.status_code == 401
    for fmt in ("csv", "xlsx"):
        assert anon.download("communities", shown, fmt).status_code == 401
    for first, values in (
        ("communities-outcome", ["trust_police", 1]),
        ("url", ["/", "en"]),
        ("methodology-sample", ["x"]),
    ):
        from conftest_privacy import callback_body

        dep = anon.dep(first)
        r = anon.post(callback_body(dep, values, ["en"] * len(dep["state"])))
        assert r.status_code == 401, first


def test_without_the_settings_the_dashboard_is_open(monkeypatch) -> None:
    monkeypatch.delenv(USER_ENV, raising=False)
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    with serve(create_app(demo_bundle())) as base:
        assert requests.get(base + "/_dash-layout", timeout=30).status_code == 200
