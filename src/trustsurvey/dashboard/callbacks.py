"""Callbacks: small pure functions (unit-tested without a browser) and their wiring.

>>> from trustsurvey.publish.fixture import demo_bundle
>>> from trustsurvey.dashboard.config import DashboardConfig
>>> out = render_shell(demo_bundle(), DashboardConfig(), "/methodology", "en")
>>> out[0], out[2]
('Trust in police (synthetic)', 'Language')
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from dash import MATCH, Dash, Input, Output, State, ctx, dcc, html

from trustsurvey.dashboard import layout, views
from trustsurvey.dashboard.config import PATHS, DashboardConfig
from trustsurvey.dashboard.programme import programme_view
from trustsurvey.dashboard.translations import t
from trustsurvey.publish.bundle import Bundle
from trustsurvey.publish.safe import to_csv_bytes, to_xlsx_bytes

PAGE_OF_PATH = {path: page for page, path in PATHS.items()}


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


def shown(table: pd.DataFrame, name: str) -> dict[str, Any]:
    """Store payload of one shown table."""
    return {"tables": [{"name": name, **views.table_records(table)}]}


def overview_update(
    bundle: Bundle, outcome: str | None, groups: list[str] | None, lang: str
) -> tuple[dict[str, Any], Any, Any, dict[str, Any]]:
    fig, table = views.overview_view(bundle, outcome, groups, lang)
    did = views.did_view(bundle, outcome, lang)
    if did is None:
        headline: Any = html.Span(t("overview.did_missing", lang))
    elif did["estimate"] is None:
        headline = [html.Span(t("overview.did", lang) + ": "), html.Span(did["status"])]
    else:
        headline = [
            html.Span(t("overview.did", lang) + ": "),
            html.Strong(f"{did['estimate']:+.3f}", id="did-estimate"),
            html.Span(
                f" ({t('overview.ci', lang)}: {did['ci_low']:+.3f} … {did['ci_high']:+.3f}; "
                f"n = {did['n']})"
            ),
        ]
    return fig, headline, layout.html_table(table, lang, "overview-tbl"), shown(table, "overview")


def simple_update(
    fn: Any, page: str, bundle: Bundle, lang: str, *args: Any
) -> tuple[dict[str, Any], Any, dict[str, Any]]:
    fig, table = fn(bundle, *args, lang)
    return fig, layout.html_table(table, lang, f"{page}-tbl"), shown(table, page)


def methodology_shown(bundle: Bundle, lang: str) -> dict[str, Any]:
    tables = views.methodology_view(bundle, lang)
    return {
        "tables": [
            {"name": t(key, lang), **views.table_records(tbl)} for key, tbl in tables.items()
        ]
    }


def download_payload(data: dict[str, Any] | None, fmt: str, stem: str) -> dict[str, Any] | None:
    """The file of exactly the tables shown: CSV (one table, or several with a ``table``
    column) or XLSX (one sheet per table); formula injection neutralised."""
    if not data or not data.get("tables"):
        return None
    frames = {str(tb["name"]): views.records_table(tb) for tb in data["tables"]}
    if fmt == "xlsx":
        return dcc.send_bytes(to_xlsx_bytes(frames), f"{stem}.xlsx")
    if len(frames) == 1:
        table = next(iter(frames.values()))
    else:
        table = pd.concat([f.assign(table=name) for name, f in frames.items()], ignore_index=True)
    return dcc.send_bytes(to_csv_bytes(table), f"{stem}.csv")


def register(app: Dash, bundle: Bundle, config: DashboardConfig) -> None:
    """Wire the pure functions above to the app's components."""

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
    )
    def _overview(outcome, groups, lang):  # type: ignore[no-untyped-def]
        return overview_update(bundle, outcome, groups, lang)

    for page, fn, inputs in (
        ("indicators", views.indicators_view, ("outcome", "group")),
        ("communities", views.communities_view, ("outcome", "wave")),
        ("problems", views.problems_view, ("group", "wave")),
        ("focus_groups", views.focus_view, ("wave",)),
        ("programme", programme_view, ("view",)),
    ):
        _register_simple(app, bundle, page, fn, inputs, lang_state)

    @app.callback(
        Output({"type": "shown", "page": "methodology"}, "data"),
        Input("methodology-sample", "id"),
        lang_state,
    )
    def _method(_id, lang):  # type: ignore[no-untyped-def]
        return methodology_shown(bundle, lang)

    @app.callback(
        Output({"type": "download", "page": MATCH}, "data"),
        Input({"type": "dl-csv", "page": MATCH}, "n_clicks"),
        Input({"type": "dl-xlsx", "page": MATCH}, "n_clicks"),
        State({"type": "shown", "page": MATCH}, "data"),
        prevent_initial_call=True,
    )
    def _download(_csv, _xlsx, data):  # type: ignore[no-untyped-def]
        trig = ctx.triggered_id or {}
        fmt = "xlsx" if trig.get("type") == "dl-xlsx" else "csv"
        return download_payload(data, fmt, f"{bundle.study}-{trig.get('page', 'table')}")


def _register_simple(  # type: ignore[no-untyped-def]
    app: Dash, bundle: Bundle, page: str, fn, inputs: tuple[str, ...], lang_state: State
) -> None:
    @app.callback(
        Output(f"{page}-graph", "figure"),
        Output(f"{page}-table", "children"),
        Output({"type": "shown", "page": page}, "data"),
        *[Input(f"{page}-{name}", "value") for name in inputs],
        lang_state,
    )
    def _update(*args):  # type: ignore[no-untyped-def]
        *values, lang = args
        return simple_update(fn, page, bundle, lang, *values)
