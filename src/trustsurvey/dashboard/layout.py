"""Layout of the dashboard: the shell (header, language switch, navigation) and each page.

Every text comes from :mod:`trustsurvey.dashboard.translations` or the bundle's labels and is
passed to Dash as plain strings, which React renders as text (never as HTML).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pandas as pd
from dash import dcc, html

from trustsurvey._text import clean_text
from trustsurvey.dashboard import views
from trustsurvey.dashboard.config import PATHS, DashboardConfig
from trustsurvey.dashboard.findings import finding_of, outcome_findings
from trustsurvey.dashboard.numbers import fmt_cell
from trustsurvey.dashboard.translations import TEXTS, policy_key, t
from trustsurvey.publish.bundle import Bundle

LANG_NAMES = {"uk": "Українська", "en": "English"}


def shell(config: DashboardConfig, lang: str, initial: Sequence[Any] | None = None) -> html.Div:
    """The part of the page that never changes, filled with ``initial`` (title, subtitle,
    language label, navigation, page content: :func:`render_shell`'s answer) so that the first
    page is drawn without waiting for a callback; later the shell callback fills it."""
    title, subtitle, lang_label, links, content = initial or (None,) * 5
    return html.Div(
        [
            dcc.Location(id="url"),
            dcc.Store(id="doc-lang"),
            html.Header(
                className="ts-header",
                children=[
                    html.Div(
                        [
                            html.H1(title, id="title"),
                            html.P(subtitle, id="subtitle", className="ts-subtitle"),
                        ]
                    ),
                    html.Div(
                        className="ts-lang",
                        children=[
                            html.Span(lang_label, id="lang-label"),
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
            html.Nav(links, id="nav", className="ts-nav"),
            html.Main(content, id="page"),
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
    text = _MD_SPECIAL.sub(r"\\\1", text).replace("\r", " ").replace("\n", " ")
    return text.replace(":", "&#58;")  # no bare URL becomes a link (GFM autolinks "x://")


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
            text = "" if _missing(v) else md_escape(clean_text(fmt_cell(v, lang)))
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


def downloads(page: str, lang: str, data: dict[str, Any] | None = None) -> html.Div:
    """CSV/XLSX buttons of a page and the store of what it shows (``data``, see :func:`shown`)."""
    return html.Div(
        className="ts-downloads",
        children=[
            html.Button(t("dl.csv", lang), id={"type": "dl-csv", "page": page}, n_clicks=0),
            html.Button(t("dl.xlsx", lang), id={"type": "dl-xlsx", "page": page}, n_clicks=0),
            html.Span(t("dl.note", lang), className="ts-note"),
            dcc.Download(id={"type": "download", "page": page}),
            dcc.Store(id={"type": "shown", "page": page}, data=data),
        ],
    )


def shown(table: pd.DataFrame, name: str) -> dict[str, Any]:
    """Store payload of one shown table."""
    return {"tables": [{"name": name, **views.table_records(table)}]}


def overview_update(
    bundle: Bundle, outcome: str | None, groups: list[str] | None, lang: str
) -> tuple[dict[str, Any], Any, Any, dict[str, Any]]:
    """Figure, DiD headline, table and download store of the overview."""
    fig, table = views.overview_view(bundle, outcome, groups, lang)
    found = finding_of(bundle, outcome, lang)
    note = bundle.plan.get("did_note")
    if found is None and note:  # the study has no DiD, and says why (one wave, no arms)
        headline: Any = html.Span(str(note.get(lang) or note.get("en") or note.get("uk")))
    elif found is None:
        headline = html.Span(t("overview.did_missing", lang))
    else:  # the n may be withheld (it would reveal a suppressed count): the sentence says so
        headline = finding_block(found, lang, "did-estimate")
    return fig, headline, html_table(table, lang, "overview-tbl"), shown(table, "overview")


def finding_block(found: dict[str, Any], lang: str, cid: str | None = None) -> Any:
    """One finding: a badge saying in words whether it is significant (not colour alone: a
    filled or hollow mark and the word), then the sentence."""
    sig = bool(found["significant"])
    props = {"id": cid} if cid else {}
    return html.P(
        [
            html.Span(
                ("● " if sig else "○ ") + t("finding.sig" if sig else "finding.not_sig", lang),
                className="ts-badge",
            ),
            html.Span(" " + found["sentence"], **props),
        ],
        className="ts-finding " + ("ts-sig" if sig else "ts-ns"),
    )


def findings_list(bundle: Bundle, lang: str) -> list[Any]:
    """Every outcome's headline finding, in the outcome order, and what "significant" means;
    then what the non-answerers could change (:mod:`~trustsurvey.dashboard.nonresponse`)."""
    found = outcome_findings(bundle, lang)
    bounds = bounds_block(bundle, lang)
    if not found:
        return bounds
    return [
        html.Section(
            [
                html.H2(t("findings.title", lang)),
                html.Div([finding_block(f, lang) for f in found], className="ts-findings"),
                _note("findings.note", lang),
                *bounds,
            ],
            id="findings",
        )
    ]


def bounds_block(bundle: Bundle, lang: str) -> list[Any]:
    """One sentence per outcome with published non-response bounds, and what they mean."""
    from trustsurvey.dashboard.nonresponse import bounds_sentences

    found = bounds_sentences(bundle, lang)
    if not found:
        return []
    return [
        html.Div(
            [
                html.H3(t("bounds.title", lang)),
                *[html.P(f["sentence"], className="ts-bounds") for f in found],
                _note("bounds.note", lang),
            ],
            id="nonresponse-bounds",
        )
    ]


def simple_update(
    fn: Any, page: str, bundle: Bundle, lang: str, *args: Any
) -> tuple[dict[str, Any], Any, dict[str, Any]]:
    """Figure, table and download store of a page drawn by ``fn(bundle, *args, lang)``."""
    fig, table = fn(bundle, *args, lang)
    return fig, html_table(table, lang, f"{page}-tbl"), shown(table, page)


def _control(label: str, component: Any) -> html.Div:
    return html.Div([html.Label(label, htmlFor=component.id), component], className="ts-control")


def _controls(lang: str, controls: Sequence[tuple[str, Any]]) -> html.Div:
    """Labelled controls in a row: ``(translation key of the label, component)`` pairs."""
    return html.Div(
        className="ts-controls",
        children=[_control(t(key, lang), component) for key, component in controls],
    )


DROPDOWN_TEXTS = ("select_all", "deselect_all", "selected_count", "search", "clear_search",
                  "clear_selection", "no_options_found")  # fmt: skip


def dropdown_labels(lang: str) -> dict[str, str]:
    """The dropdown's own texts in ``lang`` ("2 selected", "Search", ...)."""
    return {k: TEXTS[f"dd.{k}"][lang] for k in DROPDOWN_TEXTS}


def _dropdown(
    cid: str, options: list[dict[str, Any]], value: Any, lang: str, *, multi: bool = False
) -> Any:
    return dcc.Dropdown(
        id=cid,
        options=options,
        value=value,
        multi=multi,
        clearable=multi,
        labels=dropdown_labels(lang),
    )


def _radio(cid: str, options: list[dict[str, Any]], value: Any, *, inline: bool = True) -> Any:
    return dcc.RadioItems(id=cid, options=options, value=value, inline=inline)


def _graph(page: str, figure: dict[str, Any] | None = None) -> dcc.Graph:
    return dcc.Graph(
        id=f"{page}-graph",
        figure=figure or {"data": [], "layout": {}},
        className="ts-graph",
        style={"height": f"{(figure or {}).get('layout', {}).get('height', views.GRAPH_HEIGHT)}px"},
        # no toolbar: it covered legends and labels on a phone; the table below has the data
        config={"displaylogo": False, "responsive": True, "displayModeBar": False},
    )


def _note(key: str, lang: str) -> html.P:
    return html.P(t(key, lang), className="ts-note")


def _first(options: list[dict[str, Any]], preferred: Any = None) -> Any:
    values = [o["value"] for o in options]
    if preferred in values:
        return preferred
    return values[0] if values else None


def _last(options: list[dict[str, Any]]) -> Any:
    return options[-1]["value"] if options else None


def chart_section(
    page: str,
    fn: Any,
    bundle: Bundle,
    lang: str,
    heading: Any,
    controls: Sequence[tuple[str, Any]],
    *,
    intro: Sequence[Any] = (),
    notes: Sequence[str] = (),
) -> list[Any]:
    """Heading, controls, chart, notes, table and downloads of one chart, drawn for the
    controls' first values (the page callback redraws them when a control changes)."""
    fig, table, data = simple_update(fn, page, bundle, lang, *(c.value for _, c in controls))
    return [
        heading,
        *intro,
        _controls(lang, controls),
        _graph(page, fig),
        *(_note(key, lang) for key in notes),
        html.Div(table, id=f"{page}-table"),
        downloads(page, lang, data),
    ]


#: the heading of each page drawn by :func:`chart_section`
TITLES = {
    "indicators": "indicators.title",
    "communities": "communities.title",
    "problems": "problems.title",
    "focus_groups": "focus.title",
    "programme": "programme.title",
}


def _outcome(page: str, bundle: Bundle, config: DashboardConfig, lang: str, kind: str) -> Any:
    opts = views.outcome_options(bundle, lang, kind)
    return "ctl.outcome", _dropdown(
        f"{page}-outcome", opts, _first(opts, config.default_outcome), lang
    )


def _place(page: str, bundle: Bundle, lang: str, kind: str) -> Any:
    opts = views.community_options(bundle, lang, kind)
    return "ctl.community", _dropdown(f"{page}-group", opts, _first(opts), lang)


def _wave(page: str, bundle: Bundle, lang: str, kind: str) -> Any:
    opts = views.wave_options(bundle, lang, kind)
    return "ctl.wave", _radio(f"{page}-wave", opts, _last(opts))


def page(name: str, bundle: Bundle, config: DashboardConfig, lang: str) -> list[Any]:
    """Components of page ``name`` in ``lang``, with the controls' first values chosen and
    the chart, table and download store already drawn for them."""
    heading = html.H2(t(TITLES[name], lang)) if name in TITLES else None
    if name == "overview":
        return overview_page(bundle, config, lang)
    if name == "indicators":
        controls = [
            _outcome(name, bundle, config, lang, "likert"),
            _place(name, bundle, lang, "likert"),
        ]
        return chart_section(
            name,
            views.indicators_view,
            bundle,
            lang,
            heading,
            controls,
            intro=_jump_to_groups(bundle, lang),
            notes=["label.suppressed_note"],
        ) + groups_section(bundle, config, lang)
    if name == "communities":
        controls = [
            _outcome(name, bundle, config, lang, "estimates"),
            _wave(name, bundle, lang, "estimates"),
        ]
        return chart_section(
            name,
            views.communities_view,
            bundle,
            lang,
            heading,
            controls,
            notes=["label.suppressed_note"]
            + (["label.model_note"] if "small_area" in bundle.tables else []),
        )
    if name == "problems":
        controls = [_place(name, bundle, lang, "problems"), _wave(name, bundle, lang, "problems")]
        return chart_section(name, views.problems_view, bundle, lang, heading, controls)
    if name == "focus_groups":
        waves = [{"label": t("ctl.all_waves", lang), "value": "all"}]
        waves += views.wave_options(bundle, lang, "focus_groups")
        controls = [("ctl.wave", _radio("focus_groups-wave", waves, "all"))]
        return chart_section(name, views.focus_view, bundle, lang, heading, controls)
    if name == "programme":
        from trustsurvey.dashboard.programme import programme_view, view_options

        opts = view_options(bundle, lang)
        controls = [("ctl.view", _radio("programme-view", opts, _first(opts), inline=False))]
        return chart_section(
            name,
            programme_view,
            bundle,
            lang,
            heading,
            controls,
            intro=[_note("programme.note", lang)],
        )
    if name == "methodology":
        return methodology_page(bundle, lang)
    if name == "event_study":
        from trustsurvey.dashboard import event_study

        return event_study.page(bundle, config, lang)
    return [html.P(t("label.not_found", lang))]


def overview_page(bundle: Bundle, config: DashboardConfig, lang: str) -> list[Any]:
    outcomes = views.outcome_options(bundle, lang)
    groups = views.group_options(bundle, lang)
    chosen = [o["value"] for o in groups if o["value"].startswith("arm:")] or [
        o["value"] for o in groups[:2]
    ]
    outcome = _first(outcomes, config.default_outcome)
    fig, headline, table, data = overview_update(bundle, outcome, chosen, lang)
    return [
        *findings_list(bundle, lang),
        html.H2(t("overview.title", lang), id="overview-title"),
        _controls(
            lang,
            [
                ("ctl.outcome", _dropdown("overview-outcome", outcomes, outcome, lang)),
                ("ctl.groups", _dropdown("overview-groups", groups, chosen, lang, multi=True)),
            ],
        ),
        html.Div(headline, id="overview-did", className="ts-did"),
        _graph("overview", fig),
        _note("label.unreliable_note", lang),
        html.Div(table, id="overview-table"),
        downloads("overview", lang, data),
    ]


def _jump_to_groups(bundle: Bundle, lang: str) -> list[Any]:
    """A link from the top of the indicators page down to "By group" (when there is one)."""
    subgroups = ", ".join(o["label"] for o in views.subgroup_options(bundle, lang))
    if not subgroups:
        return []
    return [html.A(t("groups.jump", lang, groups=subgroups), href="#groups", className="ts-jump")]


def groups_section(bundle: Bundle, config: DashboardConfig, lang: str) -> list[Any]:
    """ "By group" on the indicators page: the published subgroup estimates (sex, age, ...)
    of one outcome and wave, by level and arm or for one community; empty when the bundle
    has none."""
    subgroups = views.subgroup_options(bundle, lang)
    if not subgroups:
        return []
    whom = views.groups_community_options(bundle, lang)
    return chart_section(
        "groups",
        views.groups_view,
        bundle,
        lang,
        html.H2(t("groups.title", lang), id="groups"),
        [
            _outcome("groups", bundle, config, lang, "estimates"),
            ("ctl.subgroup", _radio("groups-subgroup", subgroups, _first(subgroups))),
            _wave("groups", bundle, lang, "estimates"),
            ("ctl.community", _dropdown("groups-group", whom, _first(whom), lang)),
        ],
        notes=["label.suppressed_note", "label.unreliable_bars"],
    )


def methodology_shown(bundle: Bundle, lang: str) -> dict[str, Any]:
    """Store payload of the methodology page: all its tables, named in ``lang``."""
    return _tables_shown(views.methodology_view(bundle, lang), lang)


def _tables_shown(tables: dict[str, pd.DataFrame], lang: str) -> dict[str, Any]:
    return {
        "tables": [
            {"name": t(key, lang), **views.table_records(tbl)} for key, tbl in tables.items()
        ]
    }


def methodology_page(bundle: Bundle, lang: str) -> list[Any]:
    pol = bundle.policy
    sup = (bundle.manifest.get("disclosure") or {}).get("suppressed") or {}
    small = sum(int(v.get("small_cell", 0)) for v in sup.values())
    comp = sum(int(v.get("complementary", 0)) for v in sup.values())
    tables = views.methodology_view(bundle, lang)
    from trustsurvey.dashboard.methodology import methodology_paragraphs

    out: list[Any] = [
        html.H2(t("method.title", lang)),
        html.Section(
            [html.H3(t("method.about", lang))]
            + [html.P(p) for p in methodology_paragraphs(bundle, lang)],
            className="ts-method",
            id="methodology-prose",
        ),
    ]
    for key, table in tables.items():
        out.append(html.H3(t(key, lang)))
        if key == "method.moe":
            out.append(html.P(t("method.moe_note", lang), className="ts-note"))
        if key == "method.suppression":
            out.append(html.P(t(policy_key(pol), lang, min_cell=pol.min_cell, max_cv=pol.max_cv)))
            out.append(html.P(t("method.audit", lang, small=small, comp=comp)))
        out.append(html.Div(html_table(table, lang), id=f"methodology-{key.split('.')[1]}"))
    created = bundle.manifest.get("created", "")
    out.append(html.P(f"{t('label.created', lang)}: {created}", className="ts-note"))
    out.append(downloads("methodology", lang, _tables_shown(tables, lang)))
    return out


def _missing(v: object) -> bool:
    """True for None, NaN and pandas' NA (whose truth value is ambiguous)."""
    return v is None or v is pd.NA or (isinstance(v, float) and v != v)
