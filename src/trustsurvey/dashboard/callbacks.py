"""Callbacks: small pure functions (unit-tested without a browser) and their wiring.

>>> from trustsurvey.publish.fixture import demo_bundle
>>> from trustsurvey.dashboard.config import DashboardConfig
>>> out = render_shell(demo_bundle(), DashboardConfig(), "/methodology", "en")
>>> out[0], out[2]
('Trust in police (synthetic)', 'Language')
"""

from __future__ import annotations

from typing import Any

from dash import MATCH, Dash, Input, Output, State, ctx, dcc, html, no_update

from trustsurvey.dashboard import event_study, layout, views
from trustsurvey.dashboard.config import PATHS, DashboardConfig
from trustsurvey.dashboard.downloads import csv_bytes, file_stem, xlsx_bytes
from trustsurvey.dashboard.layout import (
    methodology_shown,
    overview_update,
    shown,
    simple_update,
)
from trustsurvey.dashboard.programme import programme_view
from trustsurvey.dashboard.translations import t
from trustsurvey.publish.bundle import Bundle

PAGE_OF_PATH = {path: page for page, path in PATHS.items()}
__all__ = [
    "DOCUMENT_LANG_JS",
    "download_payload",
    "methodology_shown",
    "overview_update",
    "page_of",
    "register",
    "render_shell",
    "shown",
    "simple_update",
]
#: The browser tab's title and ``<html lang>`` follow the language switch (a clientside
#: callback: Dash serves it as an inline script whose hash is in the CSP, see ``csp_hashes``).
DOCUMENT_LANG_JS = """function (lang, title) {
    if (lang) { document.documentElement.lang = lang; }
    if (typeof title === "string" && title) { document.title = title; }
    return lang;
}"""
#: The pages with a chart: page -> (function drawing it, its controls after ``<page>-``).
CHART_PAGES: dict[str, tuple[Any, tuple[str, ...]]] = {
    "indicators": (views.indicators_view, ("outcome", "group")),
    "groups": (views.groups_view, ("outcome", "subgroup", "wave", "group")),
    "communities": (views.communities_view, ("outcome", "wave")),
    "problems": (views.problems_view, ("group", "wave")),
    "focus_groups": (views.focus_view, ("wave",)),
    "programme": (programme_view, ("view",)),
}


def page_of(pathname: str | None, config: DashboardConfig) -> str | None:
    """Which page a URL path shows (``None`` when unknown or not configured)."""
    path = (pathname or "/").rstrip("/") or "/"
    page = PAGE_OF_PATH.get(path)
    return page if page in config.pages else None


def render_shell(
    bundle: Bundle, config: DashboardConfig, pathname: str | None, lang: str | None
) -> tuple[str, str, str, list[Any], list[Any]]:
    """Title, subtitle, language label, navigation and page content for a URL and language."""
    lang = lang if lang in config.languages else config.default_language
    title = config.title or bundle.manifest.get("title") or {}
    text = title.get(lang) or title.get("uk") or title.get("en") or bundle.study
    name = page_of(pathname, config)
    content = (
        layout.page(name, bundle, config, lang)
        if name
        else [html.P(t("label.not_found", lang), id="not-found")]
    )
    return (
        str(text),
        t("app.subtitle", lang),
        t("lang.label", lang),
        layout.nav(config, pathname or "/", lang),
        content,
    )


def download_payload(
    data: dict[str, Any] | None, fmt: str, stem: str, lang: str = "en"
) -> dict[str, Any] | None:
    """The file ``<stem>-<lang>.<fmt>`` of exactly the tables shown: CSV in ``lang``'s
    separators (one block per table) or XLSX (one sheet per table); formula injection
    neutralised (:mod:`trustsurvey.dashboard.downloads`)."""
    if not data or not data.get("tables"):
        return None
    frames = {str(tb["name"]): views.records_table(tb) for tb in data["tables"]}
    if fmt == "xlsx":
        return dcc.send_bytes(xlsx_bytes(frames), f"{stem}-{lang}.xlsx")
    return dcc.send_bytes(csv_bytes(frames, lang), f"{stem}-{lang}.csv")


def register(
    app: Dash, bundle: Bundle, config: DashboardConfig, *, drawn: str | None = None
) -> None:
    """Wire the pure functions above to the app's components.

    ``drawn`` is the language in which the app's layout already holds the page at ``/``
    (:func:`layout.shell` filled by :func:`render_shell`): the first shell call for that page
    and language then changes nothing, and every page's content arrives with its chart,
    table and download store drawn, so page callbacks run only when a control changes
    (``prevent_initial_call``): a page is one round trip, the first page none."""
    app.clientside_callback(
        DOCUMENT_LANG_JS,
        Output("doc-lang", "data"),
        Input("lang-switch", "value"),
        Input("title", "children"),
    )

    @app.callback(
        Output("title", "children"),
        Output("subtitle", "children"),
        Output("lang-label", "children"),
        Output("nav", "children"),
        Output("page", "children"),
        Input("url", "pathname"),
        Input("lang-switch", "value"),
    )
    def _shell(pathname, lang):  # type: ignore[no-untyped-def]
        first = ctx.triggered_id is None and (pathname or "/").rstrip("/") == ""
        if first and drawn is not None and lang == drawn:
            return (no_update,) * 5
        return render_shell(bundle, config, pathname, lang)

    lang_state = State("lang-switch", "value")

    @app.callback(
        Output("overview-graph", "figure"),
        Output("overview-did", "children"),
        Output("overview-table", "children"),
        Output({"type": "shown", "page": "overview"}, "data"),
        Input("overview-outcome", "value"),
        Input("overview-groups", "value"),
        lang_state,
        prevent_initial_call=True,
    )
    def _overview(outcome, groups, lang):  # type: ignore[no-untyped-def]
        return overview_update(bundle, outcome, groups, lang)

    for page, (fn, inputs) in CHART_PAGES.items():
        _register_simple(app, bundle, page, fn, inputs, lang_state)
    event_study.register(app, bundle, lang_state)

    @app.callback(
        Output({"type": "shown", "page": "methodology"}, "data"),
        Input("methodology-sample", "id"),
        lang_state,
        prevent_initial_call=True,
    )
    def _method(_id, lang):  # type: ignore[no-untyped-def]
        return methodology_shown(bundle, lang)

    @app.callback(
        Output({"type": "download", "page": MATCH}, "data"),
        Input({"type": "dl-csv", "page": MATCH}, "n_clicks"),
        Input({"type": "dl-xlsx", "page": MATCH}, "n_clicks"),
        State({"type": "shown", "page": MATCH}, "data"),
        lang_state,
        prevent_initial_call=True,
    )
    def _download(_csv, _xlsx, data, lang):  # type: ignore[no-untyped-def]
        trig = ctx.triggered_id or {}
        fmt = "xlsx" if trig.get("type") == "dl-xlsx" else "csv"
        stem = file_stem(bundle.study, str(trig.get("page", "table")))
        return download_payload(data, fmt, stem, lang if lang in ("uk", "en") else "uk")


def _register_simple(  # type: ignore[no-untyped-def]
    app: Dash, bundle: Bundle, page: str, fn, inputs: tuple[str, ...], lang_state: State
) -> None:
    @app.callback(
        Output(f"{page}-graph", "figure"),
        Output(f"{page}-table", "children"),
        Output({"type": "shown", "page": page}, "data"),
        *[Input(f"{page}-{name}", "value") for name in inputs],
        lang_state,
        prevent_initial_call=True,
    )
    def _update(*args):  # type: ignore[no-untyped-def]
        *values, lang = args
        return simple_update(fn, page, bundle, lang, *values)
