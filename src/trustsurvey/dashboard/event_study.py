"""The "Effect over time" page of a staggered roll-out: the overall effect and the event study.

Drawn from the bundle's ``did_staggered`` table (Callaway & Sant'Anna 2021, "Difference-in-
differences with multiple time periods", J. Econometrics 225: group-time effects aggregated
to an overall effect, per cohort and by waves since adoption, with the event study's
simultaneous 95% band). The page exists only for a bundle that has the table. Verdicts are
sentences with a mark and a word (never colour alone): the overall effect is confirmed when
its 95% CI excludes zero; a wave before adoption whose simultaneous band excludes zero says
the trends already differed (the parallel-trends check); a wave since adoption whose band
excludes zero confirms the effect at that time.

>>> from trustsurvey.publish.fixture import demo_bundle
>>> has_event_study(demo_bundle())
False
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pandas as pd
from dash import Dash, Input, Output, State, html

from trustsurvey.dashboard import layout, views
from trustsurvey.dashboard.config import DashboardConfig
from trustsurvey.dashboard.numbers import fmt_number
from trustsurvey.dashboard.translations import t
from trustsurvey.publish.bundle import Bundle

PAGE = "event_study"
TABLE = "did_staggered"
BEFORE_COLOUR, AFTER_COLOUR, BAND_COLOUR = "#6b6b6b", "#0072B2", "rgba(0,114,178,0.15)"


def has_event_study(bundle: Bundle) -> bool:
    """True when the bundle holds a staggered-adoption DiD with an event study."""
    df = bundle.tables.get(TABLE)
    return df is not None and bool((df["type"] == "event").any())


def with_page(config: DashboardConfig, bundle: Bundle) -> DashboardConfig:
    """``config`` with the page after the overview when the bundle has an event study (and
    the configuration does not list it already); unchanged otherwise."""
    if not has_event_study(bundle) or PAGE in config.pages:
        return config
    pages = list(config.pages)
    at = pages.index("overview") + 1 if "overview" in pages else 0
    return dataclasses.replace(config, pages=(*pages[:at], PAGE, *pages[at:]))


def _rows(bundle: Bundle, outcome: str | None, kind: str) -> pd.DataFrame:
    df = bundle.tables.get(TABLE)
    if df is None or not outcome:
        return pd.DataFrame()
    sel = df[(df["outcome"] == outcome) & (df["type"] == kind)]
    if kind == "event":
        sel = sel.assign(_k=pd.to_numeric(sel["event_time"], errors="coerce"))
        sel = sel[sel["_k"].notna()].sort_values("_k", kind="stable")
    cols = ("estimate", "ci_low", "ci_high", "band_low", "band_high")
    return _scaled(bundle, outcome, sel.reset_index(drop=True), cols)


def _scaled(
    bundle: Bundle, outcome: str, part: pd.DataFrame, cols: tuple[str, ...]
) -> pd.DataFrame:
    """Percentage points for a yes/no outcome (as :func:`views.scaled`, band included)."""
    scale = views.scale_of(bundle, outcome)
    if not (scale and scale.get("binary")) or part.empty:
        return part
    return part.assign(**{c: part[c] * 100.0 for c in cols if c in part.columns})


def _excludes_zero(lo: Any, hi: Any) -> bool:
    return pd.notna(lo) and pd.notna(hi) and (float(lo) > 0 or float(hi) < 0)


def _band_excludes_zero(part: pd.DataFrame) -> list[int]:
    """The waves since adoption of ``part`` whose simultaneous band excludes zero."""
    return [
        int(k)
        for k, lo, hi in zip(part["_k"], part["band_low"], part["band_high"], strict=True)
        if _excludes_zero(lo, hi)
    ]


def _times(ks: list[int], lang: str) -> str:
    key = "es.time" if len(ks) == 1 else "es.times"
    return t(key, lang, k=", ".join(fmt_number(k, lang, 0, sign=k != 0) for k in ks))


def _size(bundle: Bundle, outcome: str, x: str, lang: str) -> str:
    scale = views.scale_of(bundle, outcome)
    if scale and scale.get("binary"):
        return t("unit.pp", lang, x=x)
    if scale:
        lo, hi = (fmt_number(scale[b], lang, 0) for b in ("min", "max"))
        return t("unit.points", lang, x=x, lo=lo, hi=hi)
    return t("unit.points_plain", lang, x=x)


def overall_finding(bundle: Bundle, outcome: str, lang: str) -> dict[str, Any] | None:
    """``{sentence, significant}`` of the overall effect (``None`` without one)."""
    rows = _rows(bundle, outcome, "overall")
    if rows.empty:
        return None
    r = rows.iloc[0]
    name = views.label(bundle, "outcome", outcome, lang)
    if pd.isna(r["estimate"]):
        status = views.status_text(r, bundle, lang, TABLE) or t("label.no_data", lang)
        return {"sentence": t("finding.suppressed", lang, outcome=name, status=status),
                "significant": False}  # fmt: skip
    binary = bool((views.scale_of(bundle, outcome) or {}).get("binary"))
    digits = 1 if binary else 2
    est = float(r["estimate"])
    sig = _excludes_zero(r["ci_low"], r["ci_high"])
    key = ("es.up" if est > 0 else "es.down") if sig else "es.ns"
    x = fmt_number(abs(est) if sig else est, lang, digits, sign=not sig)
    ci = t("unit.ci", lang, lo=fmt_number(r["ci_low"], lang, digits, sign=True),
           hi=fmt_number(r["ci_high"], lang, digits, sign=True))  # fmt: skip
    sentence = t(key, lang, outcome=name, size=_size(bundle, outcome, x, lang), ci=ci)
    return {"sentence": sentence, "significant": sig}


def event_verdicts(bundle: Bundle, outcome: str, lang: str) -> list[dict[str, Any]]:
    """The parallel-trends check (waves before adoption) and the effect since adoption, each
    ``{sentence, flagged, badge}``: ``flagged`` when a simultaneous band excludes zero."""
    ev = _rows(bundle, outcome, "event")
    if ev.empty:
        return []
    pre, post = ev[ev["_k"] < 0], ev[ev["_k"] >= 0]
    out = []
    if pre.empty:
        out.append({"sentence": t("es.pre_none", lang), "flagged": False,
                    "badge": t("finding.not_sig", lang)})  # fmt: skip
    else:
        bad = _band_excludes_zero(pre)
        ks = [int(k) for k in pre["_k"]]
        out.append(
            {
                "sentence": t("es.pre_bad" if bad else "es.pre_ok", lang,
                              times=_times(bad or ks, lang)),
                "flagged": bool(bad),
                "badge": t("es.pre_badge_bad" if bad else "es.pre_badge_ok", lang),
            }
        )  # fmt: skip
    if not post.empty:
        sig = _band_excludes_zero(post)
        out.append(
            {
                "sentence": t("es.post_sig", lang, times=_times(sig, lang)) if sig
                else t("es.post_ns", lang),
                "flagged": bool(sig),
                "badge": t("finding.sig" if sig else "finding.not_sig", lang),
            }
        )  # fmt: skip
    return out


def event_view(
    bundle: Bundle, outcome: str | None, lang: str
) -> tuple[dict[str, Any], pd.DataFrame]:
    """The event-study figure (estimates with 95% CIs and the simultaneous band; waves before
    adoption hollow and grey, since adoption filled) and the table of every effect."""
    ev = _rows(bundle, outcome, "event")
    if ev.empty or not outcome:
        return views._empty_figure(lang), pd.DataFrame()
    traces: list[dict[str, Any]] = []
    band = ev[ev["band_low"].notna() & ev["band_high"].notna()]
    if not band.empty:
        ks = [int(k) for k in band["_k"]]
        traces.append(
            {
                "type": "scatter", "mode": "lines", "name": views.esc(t("es.band", lang)),
                "x": ks + ks[::-1],
                "y": [views._round(v) for v in band["band_high"]]
                + [views._round(v) for v in band["band_low"][::-1]],
                "fill": "toself", "fillcolor": BAND_COLOUR, "line": {"width": 0},
                "hoverinfo": "skip",
            }
        )  # fmt: skip
    for part, key, colour, symbol in (
        (ev[ev["_k"] < 0], "es.before", BEFORE_COLOUR, "circle-open"),
        (ev[ev["_k"] >= 0], "es.after", AFTER_COLOUR, "circle"),
    ):
        if part.empty:
            continue
        traces.append(
            {
                "type": "scatter", "mode": "markers", "name": views.esc(t(key, lang)),
                "x": [int(k) for k in part["_k"]],
                "y": [views._round(v) for v in part["estimate"]],
                "error_y": {**views.error_bars(part["estimate"], part["ci_low"], part["ci_high"]),
                            "color": colour},
                "marker": {"size": 12, "color": colour, "symbol": symbol,
                           "line": {"width": 2, "color": colour}},
            }
        )  # fmt: skip
    ks = [int(k) for k in ev["_k"]]
    fig = {
        "data": traces,
        "layout": views._layout(
            xaxis={"title": {"text": views.esc(t("es.axis_x", lang))}, "dtick": 1,
                   "range": [min(ks) - 0.5, max(ks) + 0.5], "zeroline": False},
            yaxis={"title": {"text": views.esc(_unit_title(bundle, outcome, lang))},
                   "zeroline": True, "zerolinecolor": "#1b1b1b"},
            shapes=[{"type": "line", "x0": -0.5, "x1": -0.5, "y0": 0, "y1": 1, "yref": "paper",
                     "line": {"dash": "dash", "color": "#6b6b6b", "width": 1}}],
        ),
    }  # fmt: skip
    return fig, effects_table(bundle, outcome, lang)


def _unit_title(bundle: Bundle, outcome: str, lang: str) -> str:
    scale = views.scale_of(bundle, outcome)
    short = t("unit.pp_short" if scale and scale.get("binary") else "unit.points_short", lang)
    return f"{t('es.effect', lang)}, {short}"


def effects_table(bundle: Bundle, outcome: str, lang: str) -> pd.DataFrame:
    """Overall, event-time and cohort effects of ``outcome`` as shown (and downloaded)."""
    rows = []
    for kind in ("overall", "event", "cohort"):
        for r in _rows(bundle, outcome, kind).to_dict("records"):
            if kind == "overall":
                name = t("es.overall", lang)
            elif kind == "event":
                k = int(r["_k"])
                name = t("es.event", lang, k=fmt_number(k, lang, 0, sign=k != 0))
            else:
                wave = (
                    views.wave_label(bundle, int(r["cohort"]), lang)
                    if str(r["cohort"]).isdigit()
                    else str(r["cohort"])
                )
                name = t("es.cohort", lang, wave=wave)
            rows.append({t("es.effect", lang): name, **_cells(r, bundle, lang)})
    return views._frame(rows, lang)


def _cells(row: Mapping[str, Any], bundle: Bundle, lang: str) -> dict[str, Any]:
    return {
        t("col.estimate", lang): views._round(row["estimate"]),
        t("col.ci_low", lang): views._round(row["ci_low"]),
        t("col.ci_high", lang): views._round(row["ci_high"]),
        t("col.band_low", lang): views._round(row.get("band_low")),
        t("col.band_high", lang): views._round(row.get("band_high")),
        t("col.n", lang): views._count(row["n"]),
        t("col.status", lang): views.status_text(row, bundle, lang, TABLE),
    }


def sentences(bundle: Bundle, outcome: str, lang: str) -> list[dict[str, str]]:
    """The overall finding and the event-study verdicts as ``{mark, sentence}`` (the words
    the report prints before each sentence)."""
    out = []
    found = overall_finding(bundle, outcome, lang)
    if found is not None:
        mark = t("finding.sig" if found["significant"] else "finding.not_sig", lang)
        out.append({"mark": mark, "sentence": found["sentence"]})
    out += [
        {"mark": v["badge"], "sentence": v["sentence"]}
        for v in event_verdicts(bundle, outcome, lang)
    ]
    return out


def verdict_blocks(bundle: Bundle, outcome: str | None, lang: str) -> list[Any]:
    """The overall finding and the two event-study verdicts as marked sentences."""
    if not outcome:
        return []
    out = []
    found = overall_finding(bundle, outcome, lang)
    if found is not None:
        out.append(layout.finding_block(found, lang, "event_study-overall"))
    for i, v in enumerate(event_verdicts(bundle, outcome, lang)):
        out.append(
            html.P(
                [html.Span(("● " if v["flagged"] else "○ ") + v["badge"], className="ts-badge"),
                 html.Span(" " + v["sentence"], id=f"event_study-verdict-{i}")],
                className="ts-finding " + ("ts-sig" if v["flagged"] else "ts-ns"),
            )
        )  # fmt: skip
    return out


def update(
    bundle: Bundle, outcome: str | None, lang: str
) -> tuple[dict[str, Any], list[Any], Any, dict[str, Any]]:
    """Figure, verdicts, table and download store of the page for ``outcome``."""
    fig, table = event_view(bundle, outcome, lang)
    return (
        fig,
        verdict_blocks(bundle, outcome, lang),
        layout.html_table(table, lang, f"{PAGE}-tbl"),
        layout.shown(table, PAGE),
    )


def page(bundle: Bundle, config: DashboardConfig, lang: str) -> list[Any]:
    """The page's components, drawn for the first outcome (or the configured one)."""
    opts = views.outcome_options(bundle, lang, TABLE)
    outcome = layout._first(opts, config.default_outcome)
    fig, verdicts, table, data = update(bundle, outcome, lang)
    dropdown = layout._dropdown(f"{PAGE}-outcome", opts, outcome, lang)
    return [
        html.H2(t("es.title", lang)),
        layout._note("es.intro", lang),
        layout._controls(lang, [("ctl.outcome", dropdown)]),
        html.Div(verdicts, id=f"{PAGE}-verdict", className="ts-findings"),
        layout._graph(PAGE, fig),
        layout._note("es.note", lang),
        html.Div(table, id=f"{PAGE}-table"),
        layout.downloads(PAGE, lang, data),
    ]


def register(app: Dash, bundle: Bundle, lang_state: State) -> None:
    """Redraw the page when the outcome changes."""
    if not has_event_study(bundle):
        return

    @app.callback(
        Output(f"{PAGE}-graph", "figure"),
        Output(f"{PAGE}-verdict", "children"),
        Output(f"{PAGE}-table", "children"),
        Output({"type": "shown", "page": PAGE}, "data"),
        Input(f"{PAGE}-outcome", "value"),
        lang_state,
        prevent_initial_call=True,
    )
    def _update(outcome: str | None, lang: str) -> tuple[Any, ...]:
        return update(bundle, outcome, lang)
