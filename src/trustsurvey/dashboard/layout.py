"""Layout of the dashboard: the shell (header, language switch, navigation) and each page.

Every text comes from :mod:`trustsurvey.dashboard.translations` or the bundle's labels and is
passed to Dash as plain strings, which React renders as text (never as HTML).
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
from dash import dcc, html

from trustsurvey.dashboard import views
from trustsurvey.dashboard.config import PATHS, DashboardConfig
from trustsurvey.dashboard.translations import t
from trustsurvey.publish.bundle import Bundle

LANG_NAMES = {"uk": "Українська", "en": "English"}


def shell(config: DashboardConfig, lang: str) -> html.Div:
    """The part of the page that never changes; the rest is filled by callbacks."""
    return html.Div(
        [
            dcc.Location(id="url"),
            html.Header(
                className="ts-header",
                children=[
                    html.Div([html.H1(id="title"), html.P(id="subtitle", className="ts-subtitle")]),
                    html.Div(
                        className="ts-lang",
                        children=[
                            html.Span(id="lang-label"),
                            dcc.RadioItems(
                                id="lang-switch",
                                options=[
                                    {"label": LANG_NAMES[code], "value": code}
                                    for code in config.languages
                                ],
                                value=lang,
                                inline=True,
                                persistence=True,
                                persistence_type="session",
                            ),
                        ],
                    ),
                ],
            ),
            html.Nav(id="nav", className="ts-nav"),
            html.Main(id="page"),
        ]
    )


def nav(config: DashboardConfig, pathname: str, lang: str) -> list[Any]:
    return [
        dcc.Link(
            t(f"nav.{page}", lang),
            href=PATHS[page],
            id=f"nav-{page}",
            className="active" if PATHS[page] == pathname else "",
        )
        for page in config.pages
    ]


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")


def md_escape(text: object) -> str:
    """``text`` safe inside Markdown: HTML characters as entities, Markdown punctuation
    backslash-escaped, so it always shows as the same text."""
    text = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text).replace("\n", " ")


def html_table(table: pd.DataFrame, lang: str, table_id: str | None = None) -> html.Div:
    """An accessible table rendered from escaped Markdown: one component, however many
    cells (fast to build and to send); labels show as text, never as HTML. Notes on
    suppressed or unreliable rows are in italics."""
    if table.empty:
        return html.Div(t("label.no_data", lang), className="ts-note")
    status_col = t("col.status", lang)
    cols = list(table.columns)
    lines = [
        "| " + " | ".join(md_escape(c) for c in cols) + " |",
        "|" + "---|" * len(cols),
    ]
    for rec in table.itertuples(index=False):
        cells = []
        for col, v in zip(cols, rec, strict=True):
            text = "" if _missing(v) else md_escape(v)
            if col == status_col and text:
                text = f"*{text}*"
            cells.append(text)
        lines.append("| " + " | ".join(cells) + " |")
    props = {"id": table_id} if table_id else {}
    return html.Div(
        dcc.Markdown("\n".join(lines), className="ts-table", dangerously_allow_html=False),
        className="ts-table-wrap",
        **props,
    )


def downloads(page: str, lang: str) -> html.Div:
    return html.Div(
        className="ts-downloads",
        children=[
            html.Button(t("dl.csv", lang), id={"type": "dl-csv", "page": page}, n_clicks=0),
            html.Button(t("dl.xlsx", lang), id={"type": "dl-xlsx", "page": page}, n_clicks=0),
            html.Span(t("dl.note", lang), className="ts-note"),
            dcc.Download(id={"type": "download", "page": page}),
            dcc.Store(id={"type": "shown", "page": page}),
        ],
    )


def _control(label: str, component: Any) -> html.Div:
    return html.Div([html.Label(label, htmlFor=component.id), component], className="ts-control")


def _graph(page: str) -> dcc.Graph:
    return dcc.Graph(
        id=f"{page}-graph",
        className="ts-graph",
        style={"height": f"{views.GRAPH_HEIGHT}px"},
        config={"displaylogo": False, "responsive": True},
    )


def _first(options: list[dict[str, Any]], preferred: Any = None) -> Any:
    values = [o["value"] for o in options]
    if preferred in values:
        return preferred
    return values[0] if values else None


def page(name: str, bundle: Bundle, config: DashboardConfig, lang: str) -> list[Any]:
    """Components of page ``name`` in ``lang``, with the controls' first values chosen."""
    if name == "overview":
        outcomes = views.outcome_options(bundle, lang)
        groups = views.group_options(bundle, lang)
        default_groups = [o["value"] for o in groups if o["value"].startswith("arm:")] or [
            o["value"] for o in groups[:2]
        ]
        return [
            html.H2(t("overview.title", lang)),
            html.Div(
                className="ts-controls",
                children=[
                    _control(
                        t("ctl.outcome", lang),
                        dcc.Dropdown(
                            id="overview-outcome",
                            options=outcomes,
                            value=_first(outcomes, config.default_outcome),
                            clearable=False,
                        ),
                    ),
                    _control(
                        t("ctl.groups", lang),
                        dcc.Dropdown(
                            id="overview-groups", options=groups, value=default_groups, multi=True
                        ),
                    ),
                ],
            ),
            html.Div(id="overview-did", className="ts-did"),
            _graph("overview"),
            html.P(t("label.unreliable_note", lang), className="ts-note"),
            html.Div(id="overview-table"),
            downloads("overview", lang),
        ]
    if name == "indicators":
        outcomes = views.outcome_options(bundle, lang, "likert")
        groups = views.community_options(bundle, lang, "likert")
        return [
            html.H2(t("indicators.title", lang)),
            html.Div(
                className="ts-controls",
                children=[
                    _control(
                        t("ctl.outcome", lang),
                        dcc.Dropdown(
                            id="indicators-outcome",
                            options=outcomes,
                            value=_first(outcomes, config.default_outcome),
                            clearable=False,
                        ),
                    ),
                    _control(
                        t("ctl.community", lang),
                        dcc.Dropdown(
                            id="indicators-group",
                            options=groups,
                            value=_first(groups),
                            clearable=False,
                        ),
                    ),
                ],
            ),
            _graph("indicators"),
            html.P(t("label.suppressed_note", lang), className="ts-note"),
            html.Div(id="indicators-table"),
            downloads("indicators", lang),
        ]
    if name == "communities":
        outcomes = views.outcome_options(bundle, lang)
        waves = views.wave_options(bundle, lang)
        return [
            html.H2(t("communities.title", lang)),
            html.Div(
                className="ts-controls",
                children=[
                    _control(
                        t("ctl.outcome", lang),
                        dcc.Dropdown(
                            id="communities-outcome",
                            options=outcomes,
                            value=_first(outcomes, config.default_outcome),
                            clearable=False,
                        ),
                    ),
                    _control(
                        t("ctl.wave", lang),
                        dcc.RadioItems(
                            id="communities-wave",
                            options=waves,
                            value=waves[-1]["value"] if waves else None,
                            inline=True,
                        ),
                    ),
                ],
            ),
            _graph("communities"),
            html.P(t("label.suppressed_note", lang), className="ts-note"),
            html.Div(id="communities-table"),
            downloads("communities", lang),
        ]
    if name == "problems":
        groups = views.community_options(bundle, lang, "problems")
        waves = views.wave_options(bundle, lang, "problems")
        return [
            html.H2(t("problems.title", lang)),
            html.Div(
                className="ts-controls",
                children=[
                    _control(
                        t("ctl.community", lang),
                        dcc.Dropdown(
                            id="problems-group",
                            options=groups,
                            value=_first(groups),
                            clearable=False,
                        ),
                    ),
                    _control(
                        t("ctl.wave", lang),
                        dcc.RadioItems(
                            id="problems-wave",
                            options=waves,
                            value=waves[-1]["value"] if waves else None,
                            inline=True,
                        ),
                    ),
                ],
            ),
            _graph("problems"),
            html.Div(id="problems-table"),
            downloads("problems", lang),
        ]
    if name == "focus_groups":
        waves = [{"label": t("ctl.all_waves", lang), "value": "all"}]
        waves += views.wave_options(bundle, lang, "focus_groups")
        return [
            html.H2(t("focus.title", lang)),
            html.Div(
                className="ts-controls",
                children=[
                    _control(
                        t("ctl.wave", lang),
                        dcc.RadioItems(
                            id="focus_groups-wave", options=waves, value="all", inline=True
                        ),
                    )
                ],
            ),
            _graph("focus_groups"),
            html.Div(id="focus_groups-table"),
            downloads("focus_groups", lang),
        ]
    if name == "programme":
        from trustsurvey.dashboard.programme import view_options

        opts = view_options(bundle, lang)
        return [
            html.H2(t("programme.title", lang)),
            html.P(t("programme.note", lang), className="ts-note"),
            html.Div(
                className="ts-controls",
                children=[
                    _control(
                        t("ctl.view", lang),
                        dcc.RadioItems(id="programme-view", options=opts, value=_first(opts)),
                    )
                ],
            ),
            _graph("programme"),
            html.Div(id="programme-table"),
            downloads("programme", lang),
        ]
    if name == "methodology":
        return methodology_page(bundle, lang)
    return [html.P(t("label.not_found", lang))]


def methodology_page(bundle: Bundle, lang: str) -> list[Any]:
    pol = bundle.policy
    sup = (bundle.manifest.get("disclosure") or {}).get("suppressed") or {}
    small = sum(int(v.get("small_cell", 0)) for v in sup.values())
    comp = sum(int(v.get("complementary", 0)) for v in sup.values())
    tables = views.methodology_view(bundle, lang)
    out: list[Any] = [html.H2(t("method.title", lang))]
    for key, table in tables.items():
        out.append(html.H3(t(key, lang)))
        if key == "method.moe":
            out.append(html.P(t("method.moe_note", lang), className="ts-note"))
        if key == "method.suppression":
            out.append(html.P(t("method.policy", lang, min_cell=pol.min_cell, max_cv=pol.max_cv)))
            out.append(html.P(t("method.audit", lang, small=small, comp=comp)))
        out.append(html.Div(html_table(table, lang), id=f"methodology-{key.split('.')[1]}"))
    created = bundle.manifest.get("created", "")
    out.append(html.P(f"{t('label.created', lang)}: {created}", className="ts-note"))
    out.append(downloads("methodology", lang))
    return out


def _missing(v: object) -> bool:
    """True for None, NaN and pandas' NA (whose truth value is ambiguous)."""
    return v is None or v is pd.NA or (isinstance(v, float) and v != v)
