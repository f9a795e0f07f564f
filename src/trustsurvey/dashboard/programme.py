"""The "Programme" page (issue 9): programme monitoring beside the survey, from the bundle.

One pure function per view, bundle + language -> (Plotly figure dict, shown table), like
:mod:`trustsurvey.dashboard.views`. Views: the activity timeline with the survey waves
marked, hotline categories over time, appeals per community and category (small counts
suppressed), time to resolution, training pre/post change, and the dose-response scatter with
95% CIs, labelled observational.

>>> from trustsurvey.publish.fixture import demo_bundle
>>> fig, table = programme_view(demo_bundle(), "timeline", "en")
>>> fig["data"]
[]
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from trustsurvey.dashboard.translations import named, t
from trustsurvey.dashboard.views import (
    ARM_COLOURS,
    PALETTE,
    _count,
    _empty_figure,
    _frame,
    _layout,
    _round,
    axis_layout,
    error_bars,
    esc,
    label,
    status_text,
    wave_label,
)
from trustsurvey.publish.bundle import Bundle
from trustsurvey.publish.schema import ALL

#: the page's views, in menu order
VIEWS = ("timeline", "hotline", "appeals", "resolution", "training", "dose")


def view_options(bundle: Bundle, lang: str) -> list[dict[str, str]]:
    """The views whose tables the bundle holds."""
    need = {
        "timeline": "programme_timeline",
        "hotline": "appeals_monthly",
        "appeals": "appeals",
        "resolution": "resolution",
        "training": "training",
        "dose": "dose_response",
    }
    return [{"label": t(f"prog.{v}", lang), "value": v} for v in VIEWS if need[v] in bundle.tables]


def _wave_marks(bundle: Bundle, lang: str) -> tuple[list[dict], list[dict]]:
    """Shaded fieldwork periods of the survey waves (month axis), with their labels."""
    shapes, notes = [], []
    for w in bundle.waves:
        dates = w.get("fieldwork") or []
        if len(dates) != 2 or not dates[0]:
            continue
        start, end = str(dates[0])[:7], str(dates[1] or dates[0])[:7]
        shapes.append(
            {
                "type": "rect",
                "xref": "x",
                "yref": "paper",
                "x0": start,
                "x1": end,
                "y0": 0,
                "y1": 1,
                "fillcolor": "#999999",
                "opacity": 0.25,
                "line": {"width": 1, "color": "#555555"},
            }
        )
        notes.append(
            {
                "x": start,
                "xref": "x",
                "y": 1.0,
                "yref": "paper",
                "yanchor": "bottom",
                "showarrow": False,
                "text": esc(wave_label(bundle, int(w["code"]), lang)),
            }
        )
    return shapes, notes


def _monthly_bars(
    bundle: Bundle,
    lang: str,
    table: pd.DataFrame,
    value: str,
    ytitle: str,
    series: list[tuple[str, str, pd.DataFrame]],
) -> dict[str, Any]:
    """Stacked bars of ``value`` per month, one trace per ``(name, colour, rows)`` of
    ``series``, with the survey waves' fieldwork shaded (months with no rows read 0)."""
    months = sorted(table["month"].unique())
    traces = [
        {
            "type": "bar",
            "name": esc(name),
            "x": months,
            "y": [int(v) for v in part.groupby("month")[value].sum().reindex(months, fill_value=0)],
            "marker": {"color": colour},
        }
        for name, colour, part in series
    ]
    shapes, notes = _wave_marks(bundle, lang)
    # a time axis (months as dates, numeric month.year ticks in every language): the ticks
    # thin out on a phone instead of overlapping; the legend goes under the plot, clear of
    # the wave names above it
    axis = {"type": "date", "tickformat": "%m.%Y", "nticks": 5, "tickangle": 0}
    return {
        "data": traces,
        "layout": _layout(
            barmode="stack",
            shapes=shapes,
            annotations=notes,
            xaxis=axis,
            yaxis={"title": {"text": esc(t(ytitle, lang))}},
            legend={"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0},
        ),
    }


def timeline_view(bundle: Bundle, lang: str) -> tuple[dict[str, Any], pd.DataFrame]:
    """Activities per month by arm (stacked bars), survey fieldwork shaded."""
    tl = bundle.tables.get("programme_timeline")
    if tl is None:
        return _empty_figure(lang), pd.DataFrame()
    arms = _community_arms(bundle)
    tl = tl[tl["community"] != ALL].assign(arm=lambda d: d["community"].map(arms).fillna(ALL))
    fig = _monthly_bars(
        bundle,
        lang,
        tl,
        "activities",
        "col.activities",
        [
            (label(bundle, "arm", arm, lang), ARM_COLOURS.get(arm, PALETTE[2]), part)
            for arm, part in tl.groupby("arm", sort=True)
        ],
    )
    rows = [
        {
            t("col.month", lang): r["month"],
            t("col.community", lang): label(bundle, "community", r["community"], lang),
            t("col.arm", lang): label(bundle, "arm", r["arm"], lang),
            t("col.activities", lang): _count(r["activities"]),
            t("col.participants", lang): _count(r["participants"]),
        }
        for r in tl.sort_values(["month", "community"]).to_dict("records")
    ]
    return fig, _frame(rows, lang)


def _community_arms(bundle: Bundle) -> dict[str, str]:
    arms: dict[str, str] = {}
    for kind in ("programme_intensity", "programme_activities", "dose_response"):
        df = bundle.tables.get(kind)
        if df is not None and {"community", "arm"} <= set(df.columns):
            sel = df[(df["community"] != ALL) & (df["arm"] != ALL)]
            arms.update(dict(zip(sel["community"], sel["arm"], strict=True)))
    return arms


def hotline_view(bundle: Bundle, lang: str) -> tuple[dict[str, Any], pd.DataFrame]:
    """Appeals per month by category (stacked bars), survey fieldwork shaded."""
    ap = bundle.tables.get("appeals_monthly")
    if ap is None:
        return _empty_figure(lang), pd.DataFrame()
    fig = _monthly_bars(
        bundle,
        lang,
        ap,
        "n",
        "col.appeals",
        [
            (label(bundle, "appeal", cat, lang), PALETTE[i % len(PALETTE)], part)
            for i, (cat, part) in enumerate(ap.groupby("category", sort=True))
        ],
    )
    rows = [
        {
            t("col.month", lang): r["month"],
            t("col.appeal", lang): label(bundle, "appeal", r["category"], lang),
            t("col.appeals", lang): _count(r["n"]),
            t("col.per_1000", lang): _round(r["per_1000"]),
        }
        for r in ap.sort_values(["month", "category"]).to_dict("records")
    ]
    return fig, _frame(rows, lang)


def appeals_view(bundle: Bundle, lang: str) -> tuple[dict[str, Any], pd.DataFrame]:
    """Appeals per community and category by period; suppressed counts shown as such."""
    ap = bundle.tables.get("appeals")
    if ap is None:
        return _empty_figure(lang), pd.DataFrame()
    tot = ap[(ap["category"] == ALL) & (ap["community"] != ALL)]
    traces = []
    for i, (period, part) in enumerate(tot.groupby("period", sort=True)):
        shown = part[~part["suppressed"]] if "suppressed" in part else part
        traces.append(
            {
                "type": "bar",
                "name": esc(label(bundle, "period", period, lang)),
                "x": [esc(label(bundle, "community", c, lang)) for c in shown["community"]],
                "y": [_count(v) for v in shown["n"]],
                "marker": {"color": PALETTE[i % len(PALETTE)]},
            }
        )
    fig = {
        "data": traces,
        "layout": axis_layout(t("col.appeals", lang), barmode="group"),
    }
    rows = [
        {
            t("col.community", lang): label(bundle, "community", r["community"], lang),
            t("col.appeal", lang): label(bundle, "appeal", r["category"], lang),
            t("col.period", lang): label(bundle, "period", r["period"], lang),
            t("col.appeals", lang): _count(r["n"]),
            t("col.per_1000", lang): _round(r["per_1000"]),
            t("col.status", lang): status_text(r, bundle, lang, kind="appeals"),
        }
        for r in ap.sort_values(["community", "category", "period"]).to_dict("records")
    ]
    return fig, _frame(rows, lang)


def resolution_view(bundle: Bundle, lang: str) -> tuple[dict[str, Any], pd.DataFrame]:
    """Median days to resolution (Kaplan-Meier, 95% CI) by arm and period."""
    res = bundle.tables.get("resolution")
    if res is None:
        return _empty_figure(lang), pd.DataFrame()
    by_arm = res[(res["arm"] != ALL) & (res["category"] == ALL)]
    traces = []
    for arm, part in by_arm.groupby("arm", sort=True):
        traces.append(
            {
                "type": "bar",
                "name": esc(label(bundle, "arm", arm, lang)),
                "x": [esc(label(bundle, "period", p, lang)) for p in part["period"]],
                "y": [_round(v) for v in part["median_days"]],
                "error_y": error_bars(
                    part["median_days"], part["median_ci_low"], part["median_ci_high"]
                ),
                "marker": {"color": ARM_COLOURS.get(arm, PALETTE[2])},
            }
        )
    fig = {
        "data": traces,
        "layout": axis_layout(t("col.median_days", lang), barmode="group"),
    }
    rows = [
        {
            t("col.arm", lang): label(bundle, "arm", r["arm"], lang),
            t("col.appeal", lang): label(bundle, "appeal", r["category"], lang),
            t("col.period", lang): label(bundle, "period", r["period"], lang),
            t("col.appeals", lang): _count(r["n"]),
            t("col.share_resolved", lang): _round(r["share_resolved"]),
            t("col.median_days", lang): _round(r["median_days"]),
            t("col.ci_low", lang): _round(r["median_ci_low"]),
            t("col.ci_high", lang): _round(r["median_ci_high"]),
            t("col.p90_days", lang): _round(r["p90_days"]),
        }
        for r in res.to_dict("records")
    ]
    return fig, _frame(rows, lang)


def training_view(bundle: Bundle, lang: str) -> tuple[dict[str, Any], pd.DataFrame]:
    """Mean paired change in test scores with 95% CI, by training type and comparison."""
    tr = bundle.tables.get("training")
    if tr is None:
        return _empty_figure(lang), pd.DataFrame()
    traces = []
    for i, (comp, part) in enumerate(tr.groupby("comparison", sort=True)):
        traces.append(
            {
                "type": "bar",
                "name": esc(named("comparison", comp, lang)),
                "x": [esc(label(bundle, "type", v, lang)) for v in part["type"]],
                "y": [_round(v) for v in part["mean_change"]],
                "error_y": error_bars(part["mean_change"], part["ci_low"], part["ci_high"]),
                "marker": {"color": PALETTE[i % len(PALETTE)]},
            }
        )
    fig = {
        "data": traces,
        "layout": axis_layout(t("col.mean_change", lang), barmode="group"),
    }
    rows = [
        {
            t("col.type", lang): label(bundle, "type", r["type"], lang),
            t("col.contrast", lang): named("comparison", r["comparison"], lang),
            t("col.n", lang): _count(r["n"]),
            t("col.mean_change", lang): _round(r["mean_change"]),
            t("col.ci_low", lang): _round(r["ci_low"]),
            t("col.ci_high", lang): _round(r["ci_high"]),
            t("col.hedges_g", lang): _round(r["hedges_g"]),
            t("col.share_improved", lang): _round(r["share_improved"]),
        }
        for r in tr.to_dict("records")
    ]
    return fig, _frame(rows, lang)


def dose_view(bundle: Bundle, lang: str) -> tuple[dict[str, Any], pd.DataFrame]:
    """Change in trust per community against programme intensity, 95% CIs and the fitted
    meta-regression line; an observational association, said so in the title."""
    dr = bundle.tables.get("dose_response")
    if dr is None:
        return _empty_figure(lang), pd.DataFrame()
    dr = dr.sort_values("activities_per_1000")
    traces = []
    for arm, part in dr.groupby("arm", sort=True):
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": esc(label(bundle, "arm", arm, lang)),
                "x": [_round(v) for v in part["activities_per_1000"]],
                "y": [_round(v) for v in part["change"]],
                "text": [esc(label(bundle, "community", c, lang)) for c in part["community"]],
                "error_y": error_bars(part["change"], part["ci_low"], part["ci_high"]),
                "marker": {"size": 10, "color": ARM_COLOURS.get(arm, PALETTE[2])},
            }
        )
    if dr["fitted"].notna().any():
        x = [_round(v) for v in dr["activities_per_1000"]]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": esc(t("prog.fit", lang)),
                "x": x,
                "y": [_round(v) for v in dr["fitted"]],
                "line": {"color": "#000000", "dash": "dash"},
            }
        )
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": esc(t("overview.ci", lang)),
                "x": x + x[::-1],
                "y": [_round(v) for v in dr["fitted_ci_high"]]
                + [_round(v) for v in dr["fitted_ci_low"]][::-1],
                "fill": "toself",
                "fillcolor": "rgba(0,0,0,0.1)",
                "line": {"width": 0},
            }
        )
    fig = {
        "data": traces,
        "layout": _layout(
            title={"text": esc(t("prog.observational", lang)), "font": {"size": 13}},
            margin={"l": 20, "r": 20, "t": 60, "b": 20},
            xaxis={"title": {"text": esc(t("col.activities_per_1000", lang))}},
            yaxis={"title": {"text": esc(t("col.change", lang))}},
        ),
    }
    rows = [
        {
            t("col.community", lang): label(bundle, "community", r["community"], lang),
            t("col.arm", lang): label(bundle, "arm", r["arm"], lang),
            t("col.activities_per_1000", lang): _round(r["activities_per_1000"]),
            t("col.change", lang): _round(r["change"]),
            t("col.ci_low", lang): _round(r["ci_low"]),
            t("col.ci_high", lang): _round(r["ci_high"]),
            t("col.status", lang): (
                t("status.dose_small", lang, min_cell=bundle.policy.min_cell)
                if bool(r.get("small_cell", False))
                else ""
            ),
        }
        for r in dr.to_dict("records")
    ]
    return fig, _frame(rows, lang)


_VIEWS = {
    "timeline": timeline_view,
    "hotline": hotline_view,
    "appeals": appeals_view,
    "resolution": resolution_view,
    "training": training_view,
    "dose": dose_view,
}


def programme_view(
    bundle: Bundle, view: str | None, lang: str
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Figure and shown table of one programme view (empty when the bundle lacks it)."""
    fn = _VIEWS.get(view or "")
    if fn is None:
        return _empty_figure(lang), pd.DataFrame()
    return fn(bundle, lang)
