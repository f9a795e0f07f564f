"""Pure functions from a bundle and the page's selections to what the page shows.

Each returns plain data — a Plotly figure as a dict and the table shown as a DataFrame with
translated headers — so it is unit-tested without a browser, and the download of a page is
built from exactly the table shown. Labels are HTML-escaped inside figures (Plotly renders a
subset of HTML in text), and shown as text elsewhere.

>>> from trustsurvey.publish.fixture import demo_bundle
>>> fig, table = overview_view(demo_bundle(), "trust_police", ["arm:pilot"], "en")
>>> list(table.columns)[:3], fig["data"][0]["name"]
(['Community or arm', 'Wave', 'Estimate'], 'Pilot communities')
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from trustsurvey._text import clean_text
from trustsurvey.dashboard.translations import named, t
from trustsurvey.publish.bundle import Bundle
from trustsurvey.publish.schema import ALL

#: Okabe & Ito (2008) colour-blind-safe palette.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
ARM_COLOURS = {"pilot": "#0072B2", "control": "#E69F00", ALL: "#000000"}
#: Diverging, colour-blind-safe (ColorBrewer PuOr) for ordered answers; grey for "don't know".
LIKERT_COLOURS = ("#b35806", "#f1a340", "#d8d8d8", "#998ec3", "#542788")
DONT_KNOW_COLOUR = "#6b6b6b"
DIGITS = 3
GRAPH_HEIGHT = 440


def label(bundle: Bundle, kind: str, key: Any, lang: str, outcome: str | None = None) -> str:
    """The label of a code in ``lang``, cleaned and length-capped (:func:`clean_text`);
    ``ALL`` reads "All communities" / "All". A ``level`` is looked up among the value labels
    of its own variable (``outcome`` = the subgroup variable); a ``subgroup`` variable
    without a label of its own takes its question's label."""
    if key == ALL:
        return t("label.all_communities" if kind == "community" else "label.all", lang)
    if kind == "level" and outcome is not None:
        text = _level_label(bundle, outcome, key, lang)
    else:
        text = bundle.label(kind, key, lang, outcome=outcome)
        if kind == "subgroup" and text == str(key):
            text = bundle.label("outcome", key, lang)
    if text == str(key):  # no label in the bundle: the code written as words, not as is
        text = humanise(text)
    return str(clean_text(text))


def humanise(code: str) -> str:
    """A code without a label, as words: ``andriivska`` -> "Andriivska", ``q7_trust`` ->
    "Q7 trust"; numbers and ranges ("18-34") stay as they are.

    >>> humanise("q7_trust"), humanise("18-34")
    ('Q7 trust', '18-34')
    """
    text = str(code).replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text[:1].isalpha() else text


def _entry(entry: Any, lang: str) -> str | None:
    if isinstance(entry, Mapping) and {"uk", "en"} & set(entry):
        return str(entry.get(lang) or entry.get("uk") or entry.get("en"))
    return None


def _level_label(bundle: Bundle, variable: str, code: Any, lang: str) -> str:
    """The label of ``code`` of breakdown ``variable``: its own value labels (per-variable
    ``level``, then its ``category`` labels), else a bundle's flat ``level`` map."""
    labels = bundle.labels
    levels = labels.get("level", {})
    for table in (levels.get(variable), labels.get("category", {}).get(variable), levels):
        if isinstance(table, Mapping) and _entry(table, lang) is None:
            found = _entry(table.get(str(code)), lang)
            if found:
                return found
    return str(code)


def scale_of(bundle: Bundle, outcome: str | None) -> dict[str, Any] | None:
    """``{"min", "max", "binary"}`` of an outcome from the bundle's ``labels.scale`` (or,
    for a bundle without it, a yes/no outcome recognised by its 0/1 value labels)."""
    if not outcome:
        return None
    scale = (bundle.labels.get("scale") or {}).get(outcome)
    if isinstance(scale, Mapping):
        return dict(scale)
    cats = (bundle.labels.get("category") or {}).get(outcome) or {}
    if set(cats) == {"0", "1"}:
        return {"min": 0.0, "max": 1.0, "binary": True}
    return None


def ordered_outcomes(bundle: Bundle, kind: str = "estimates") -> list[str]:
    """The outcomes of table ``kind``: in the study's analysis plan order (the manifest's
    ``plan.outcomes``) when there is one, else in the table's order."""
    df = bundle.tables.get(kind)
    if df is None or "outcome" not in df:
        return []
    present = list(dict.fromkeys(str(o) for o in df["outcome"]))
    plan = bundle.manifest.get("plan") or bundle.manifest.get("analysis") or {}
    planned = plan.get("outcomes") if isinstance(plan, Mapping) else None
    names = [o.get("name") if isinstance(o, Mapping) else o for o in planned or []]
    first = [str(o) for o in names if str(o) in present]
    return list(dict.fromkeys(first + present))


def scaled(bundle: Bundle, outcome: str | None, part: pd.DataFrame) -> pd.DataFrame:
    """``part`` with estimate and CI in percent for a yes/no outcome (unchanged otherwise)."""
    scale = scale_of(bundle, outcome)
    if not (scale and scale.get("binary")) or part.empty:
        return part
    cols = [c for c in ("estimate", "ci_low", "ci_high") if c in part.columns]
    return part.assign(**{c: part[c] * 100.0 for c in cols})


def value_axis(bundle: Bundle, outcome: str | None, lang: str) -> dict[str, Any]:
    """The y axis of an outcome: from the scale's minimum to its maximum (0–100 % for a
    yes/no outcome), titled with the unit (the question itself is in the controls)."""
    scale = scale_of(bundle, outcome)
    if scale and scale.get("binary"):
        return {"title": {"text": esc(t("axis.percent", lang))}, "range": [0, 100]}
    if scale and scale.get("min") is not None and scale.get("max") is not None:
        lo, hi = float(scale["min"]), float(scale["max"])
        title = t("axis.score", lang, lo=f"{lo:g}", hi=f"{hi:g}")
        return {"title": {"text": esc(title)}, "range": [lo, hi]}
    return {"title": {"text": esc(t("axis.value", lang))}, "rangemode": "tozero"}


def wave_label(bundle: Bundle, code: int, lang: str) -> str:
    for w in bundle.waves:
        if int(w.get("code", -1)) == int(code):
            lab = w.get("label")
            if isinstance(lab, dict):
                return str(lab.get(lang) or lab.get("uk") or lab.get("en") or code)
            if lab:
                return str(lab)
    return f"{t('ctl.wave', lang)} {code}"


def esc(text: str) -> str:
    """Escape a label for use inside a Plotly figure."""
    return html.escape(str(text), quote=False)


def status_text(row: Mapping[str, Any], bundle: Bundle, lang: str, kind: str = "estimates") -> str:
    """Why a row of a ``kind`` table is blank or flagged, in ``lang``."""
    pol = bundle.policy
    reason = row.get("suppression_reason")
    if bool(row.get("suppressed", False)) and isinstance(reason, str):
        key = "status.small_records" if reason == "small_cell" and kind == "appeals" else None
        key = "status.unreliable_hidden" if reason == "unreliable" else key
        return t(key or f"status.{reason}", lang, min_cell=pol.threshold(kind))
    notes = []
    if reason == "n_withheld":  # the estimate is published, its n alone is not
        notes.append(t("status.n_withheld", lang))
    if bool(row.get("unreliable", False)):
        nchs = getattr(pol, "reliability_rule", "cv") == "nchs"
        key = "status.unreliable_nchs" if nchs else "status.unreliable"
        notes.append(t(key, lang, max_cv=pol.max_cv))
    return "; ".join(notes)


def _round(x: Any) -> Any:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return round(float(x), DIGITS)


def _count(x: Any) -> Any:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return int(x)


def group_options(bundle: Bundle, lang: str) -> list[dict[str, str]]:
    """Overview choices: everyone, each arm, each community (``arm:<code>``/``com:<code>``)."""
    return community_options(bundle, lang, "estimates")


def outcome_options(bundle: Bundle, lang: str, kind: str = "estimates") -> list[dict[str, str]]:
    """The outcomes of table ``kind`` in the study's order (the analysis plan of the bundle's
    manifest; outcomes it does not list follow in the table's order)."""
    return [
        {"label": label(bundle, "outcome", o, lang), "value": o}
        for o in ordered_outcomes(bundle, kind)
    ]


def wave_options(bundle: Bundle, lang: str, kind: str = "estimates") -> list[dict[str, Any]]:
    df = bundle.tables.get(kind)
    if df is None or "wave" not in df:
        return []
    known = {int(w.get("code", -1)) for w in bundle.waves}
    return [
        {"label": wave_label(bundle, int(w), lang), "value": int(w)}
        for w in sorted(df["wave"].unique())
        if not known or int(w) in known  # e.g. focus groups outside any wave ("wave 0")
    ]


def community_options(bundle: Bundle, lang: str, kind: str) -> list[dict[str, str]]:
    """Choices of a table's rows by place: everyone (``all``), each arm (``arm:<code>``),
    each community (``com:<code>``)."""
    df = bundle.tables.get(kind)
    if df is None:
        return []
    pairs = df[["community", "arm"]].drop_duplicates()
    opts = []
    if ((pairs["community"] == ALL) & (pairs["arm"] == ALL)).any():
        opts.append({"label": t("label.all_communities", lang), "value": "all"})
    for arm in sorted(pairs.loc[(pairs["community"] == ALL) & (pairs["arm"] != ALL), "arm"]):
        opts.append({"label": label(bundle, "arm", arm, lang), "value": f"arm:{arm}"})
    for com in sorted(pairs.loc[pairs["community"] != ALL, "community"].unique()):
        opts.append({"label": label(bundle, "community", com, lang), "value": f"com:{com}"})
    return opts


def _choice_keys(df: pd.DataFrame) -> pd.Series:
    """The selection key of every row: ``all``, ``arm:<arm>`` or ``com:<community>``."""
    com, arm = df["community"].astype(str), df["arm"].astype(str)
    out = ("com:" + com).where(com != ALL, ("arm:" + arm).where(arm != ALL, "all"))
    return out.astype(object)


def _part(
    bundle: Bundle, kind: str, keys: tuple[str, ...], values: tuple[Any, ...]
) -> pd.DataFrame:
    """Rows of ``kind`` whose ``keys`` equal ``values``, from an index built once per bundle
    (``_choice`` is the selection key of :func:`_choice_keys`); empty when none."""
    cache = bundle.__dict__.setdefault("_view_parts", {})
    index = cache.get((kind, keys))
    if index is None:
        df = bundle.tables[kind]
        if "_choice" in keys:
            df = df.assign(_choice=_choice_keys(df))
        order = [c for c in ("wave", "order", "rank", "arm", "community", "category") if c in df]
        df = df.sort_values(order, kind="stable") if order else df
        index = {
            (k if isinstance(k, tuple) else (k,)): g.reset_index(drop=True)
            for k, g in df.groupby(list(keys), sort=False)
        }
        cache[(kind, keys)] = index
    found = index.get(tuple(values))
    return found if found is not None else bundle.tables[kind].iloc[0:0]


def _group_label(bundle: Bundle, choice: str, lang: str) -> str:
    if choice == "all":
        return t("label.all_communities", lang)
    kind, _, code = choice.partition(":")
    return label(bundle, "arm" if kind == "arm" else "community", code, lang)


COUNT_KEYS = (
    "col.n",
    "col.rank",
    "col.n_groups",
    "col.n_mentions",
    "col.n_flagged",
    "col.activities",
    "col.participants",
    "col.appeals",
)


def _frame(rows: Any, lang: str) -> pd.DataFrame:
    """A shown table; whole-number columns as nullable integers (so 120 reads "120")."""
    df = pd.DataFrame(rows)
    for key in COUNT_KEYS:
        col = t(key, lang)
        if col in df.columns:
            df[col] = pd.array(
                [None if v is None or v != v else int(v) for v in df[col]], dtype="Int64"
            )
    return df


def _empty_figure(lang: str) -> dict[str, Any]:
    return {
        "data": [],
        "layout": {
            "annotations": [
                {"text": esc(t("label.no_data", lang)), "showarrow": False, "x": 0.5, "y": 0.5}
            ],
            "xaxis": {"visible": False},
            "yaxis": {"visible": False},
        },
    }


def _layout(**extra: Any) -> dict[str, Any]:
    base = {
        "margin": {"l": 20, "r": 20, "t": 30, "b": 20},
        "font": {"family": "system-ui, sans-serif", "size": 14},
        # above the plot: clear of the x axis title and of long tick labels
        "legend": {
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.02,
            "x": 0,
            "traceorder": "normal",
        },
        "plot_bgcolor": "#ffffff",
        "paper_bgcolor": "#ffffff",
        "autosize": True,
        "height": GRAPH_HEIGHT,
    }
    base.update(extra)
    for axis in ("xaxis", "yaxis"):
        base[axis] = {"automargin": True, "gridcolor": "#e5e5e5", **base.get(axis, {})}
    return base


def error_bars(values: Any, low: Any, high: Any) -> dict[str, Any]:
    """Asymmetric Plotly error bars reaching from each value to its CI bounds (rounded)."""
    return {
        "type": "data",
        "symmetric": False,
        "array": [_round(h - v) for h, v in zip(high, values, strict=True)],
        "arrayminus": [_round(v - lo) for lo, v in zip(low, values, strict=True)],
    }


def axis_layout(ytitle: str, **extra: Any) -> dict[str, Any]:
    """:func:`_layout` with a category x axis and an (escaped) y-axis title."""
    return _layout(
        **{"xaxis": {"type": "category"}, "yaxis": {"title": {"text": esc(ytitle)}}, **extra}
    )


def estimate_bars(
    name: str, x: list[str], part: pd.DataFrame, colour: str, **extra: Any
) -> dict[str, Any]:
    """Bars of estimates with 95% CIs; suppressed ones are blank (``None``) and unreliable
    ones hatched."""
    return {
        "type": "bar",
        "name": esc(name),
        "x": [esc(v) for v in x],
        "y": [_round(v) for v in part["estimate"]],
        "error_y": error_bars(part["estimate"], part["ci_low"], part["ci_high"]),
        "marker": {
            "color": colour,
            "pattern": {"shape": ["/" if bool(u) else "" for u in part["unreliable"]]},
        },
        # the legend's swatch would copy the first bar's hatching: see legend_entries
        "showlegend": False,
        "legendgroup": esc(name),
        **extra,
    }


def legend_entries(traces: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Legend-only traces for bars of :func:`estimate_bars`: one plain swatch per group,
    and a hatched grey one saying what hatching means when any bar is hatched."""
    out = []
    hatched = False
    for tr in traces:
        shapes = tr.get("marker", {}).get("pattern", {}).get("shape", [])
        hatched = hatched or any(shapes)
        out.append(
            {"type": "bar", "x": [], "y": [], "name": tr["name"], "legendgroup": tr["name"],
             "marker": {"color": tr["marker"]["color"]}, "showlegend": True}
        )  # fmt: skip
    if hatched:
        out.append(
            {"type": "bar", "x": [], "y": [], "name": esc(t("label.unreliable", lang)),
             "marker": {"color": "#bbbbbb", "pattern": {"shape": "/"}}, "showlegend": True}
        )  # fmt: skip
    return out


def wrap(text: str, width: int = 18) -> str:
    """An escaped tick label broken into lines of about ``width`` characters (``<br>``).

    >>> wrap("Андріївська селищна громада", 12)
    'Андріївська<br>селищна<br>громада'
    """
    lines: list[str] = []
    for word in str(text).split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(esc(line) for line in lines)


def row_height(rows: int) -> int:
    """Height of a sideways bar chart with ``rows`` rows of (up to three-line) labels."""
    return max(GRAPH_HEIGHT, 120 + 48 * rows)


def horizontal(bars: dict[str, Any]) -> dict[str, Any]:
    """A bar trace of :func:`estimate_bars` drawn sideways: labels on the y axis (wrapped)."""
    out = dict(bars)
    out["orientation"] = "h"
    out["y"] = [wrap(html.unescape(v)) for v in bars["x"]]
    out["x"] = bars["y"]
    out["error_x"] = out.pop("error_y")
    return out


def estimate_cells(row: Mapping[str, Any], bundle: Bundle, lang: str) -> dict[str, Any]:
    """The shown columns of one published estimate: value, 95% CI, n and its note."""
    return {
        t("col.estimate", lang): _round(row["estimate"]),
        t("col.ci_low", lang): _round(row["ci_low"]),
        t("col.ci_high", lang): _round(row["ci_high"]),
        t("col.n", lang): _count(row["n"]),
        t("col.status", lang): status_text(row, bundle, lang),
    }


def overview_view(
    bundle: Bundle, outcome: str | None, groups: list[str] | None, lang: str
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Trend of ``outcome`` over waves for each chosen group, with 95% CIs."""
    est = bundle.tables.get("estimates")
    if est is None or not outcome:
        return _empty_figure(lang), pd.DataFrame()
    traces, rows = [], []
    for i, choice in enumerate(groups or []):
        sel = _part(bundle, "estimates", ("outcome", "subgroup", "_choice"), (outcome, ALL, choice))
        if sel.empty:
            continue
        sel = scaled(bundle, outcome, sel)
        name = _group_label(bundle, choice, lang)
        arm = choice.partition(":")[2] if choice.startswith("arm:") else ALL
        colour = ARM_COLOURS.get(arm, PALETTE[i % len(PALETTE)])
        if choice.startswith("com:"):
            colour = PALETTE[(i + 2) % len(PALETTE)]
        x = [wave_label(bundle, w, lang) for w in sel["wave"]]
        y = [_round(v) for v in sel["estimate"]]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": esc(name),
                "x": [esc(v) for v in x],
                "y": y,
                "error_y": error_bars(sel["estimate"], sel["ci_low"], sel["ci_high"]),
                "marker": {
                    "size": 10,
                    "color": colour,
                    "symbol": ["circle-open" if u else "circle" for u in sel["unreliable"]],
                },
                "line": {"color": colour},
            }
        )
        for r, xl in zip(sel.to_dict("records"), x, strict=True):
            rows.append(
                {
                    t("col.group", lang): name,
                    t("col.wave", lang): xl,
                    **estimate_cells(r, bundle, lang),
                }
            )
    n_x = len({x for tr in traces for x in tr["x"]})
    fig = {
        "data": traces,
        "layout": _layout(
            # half a category of room at each end: the first wave's name clears the y ticks
            xaxis={"type": "category", "range": [-0.5, max(n_x, 1) - 0.5]},
            yaxis=value_axis(bundle, outcome, lang),
        ),
    }
    return fig, _frame(rows, lang)


def did_view(bundle: Bundle, outcome: str | None, lang: str) -> dict[str, Any] | None:
    """The DiD headline for ``outcome``: estimate and 95% CI, or ``None``."""
    did = bundle.tables.get("did")
    if did is None or not outcome:
        return None
    sel = did[did["outcome"] == outcome]
    if sel.empty:
        return None
    r = sel.iloc[0]
    return {
        "outcome": label(bundle, "outcome", outcome, lang),
        "estimate": _round(r["estimate"]),
        "ci_low": _round(r["ci_low"]),
        "ci_high": _round(r["ci_high"]),
        "n": _count(r["n"]),
        "status": status_text(r, bundle, lang),
    }


def indicators_view(
    bundle: Bundle, outcome: str | None, group: str | None, lang: str
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Distribution of answers (incl. "difficult to answer") per wave for one group."""
    lik = bundle.tables.get("likert")
    if lik is None or not outcome or not group:
        return _empty_figure(lang), pd.DataFrame()
    sel = _part(bundle, "likert", ("outcome", "_choice"), (outcome, group))
    cats = sel.drop_duplicates("category")[["category", "dont_know"]]
    traces, rows = [], []
    ordered = [c for c, dk in zip(cats["category"], cats["dont_know"], strict=True) if not dk]
    for cat, dk in zip(cats["category"], cats["dont_know"], strict=True):
        part = sel[sel["category"] == cat]
        name = label(bundle, "category", cat, lang, outcome=outcome)
        if dk:
            colour = DONT_KNOW_COLOUR
        else:
            k = ordered.index(cat)
            colour = LIKERT_COLOURS[round(k * (len(LIKERT_COLOURS) - 1) / max(len(ordered) - 1, 1))]
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": esc(name),
                "y": [esc(wave_label(bundle, w, lang)) for w in part["wave"]],
                "x": [None if pd.isna(s) else round(100 * s, 1) for s in part["share"]],
                "marker": {"color": colour, "line": {"color": "#ffffff", "width": 1}},
                "hovertemplate": "%{x:.1f}%<extra>" + esc(name) + "</extra>",
            }
        )
        for r in part.to_dict("records"):
            rows.append(
                {
                    t("col.wave", lang): wave_label(bundle, r["wave"], lang),
                    t("col.category", lang): name,
                    t("col.share", lang): _round(r["share"]),
                    t("col.n", lang): _count(r["n"]),
                    t("col.status", lang): status_text(r, bundle, lang),
                }
            )
    fig = {
        "data": traces,
        "layout": _layout(
            barmode="stack",
            xaxis={"title": {"text": "%"}, "range": [0, 100]},
            yaxis={"type": "category", "autorange": "reversed"},
        ),
    }
    return fig, _frame(rows, lang)


def communities_view(
    bundle: Bundle, outcome: str | None, wave: int | None, lang: str
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Every community's estimate for one wave, side by side, coloured by arm."""
    est = bundle.tables.get("estimates")
    if est is None or not outcome or wave is None:
        return _empty_figure(lang), pd.DataFrame()
    sel = _part(bundle, "estimates", ("outcome", "subgroup", "wave"), (outcome, ALL, int(wave)))
    sel = scaled(bundle, outcome, sel[sel["community"] != ALL])
    traces, rows = [], []
    model = small_area_rows(bundle, outcome, int(wave), sel)
    shown: list[tuple[str, Mapping[str, Any]]] = []
    for arm, part in sel.groupby("arm", sort=True):
        names = [label(bundle, "community", c, lang) for c in part["community"]]
        arm_name = label(bundle, "arm", arm, lang)
        bars = estimate_bars(arm_name, names, part, ARM_COLOURS.get(arm, PALETTE[2]))
        traces.append(horizontal(bars))
        for r, nm in zip(part.to_dict("records"), names, strict=True):
            row = {
                t("col.community", lang): nm,
                t("col.arm", lang): arm_name,
                **estimate_cells(r, bundle, lang),
            }
            if model:
                m = model.get(str(r["community"]))
                for key, col in (
                    ("estimate", "col.model_estimate"),
                    ("ci_low", "col.model_ci_low"),
                    ("ci_high", "col.model_ci_high"),
                ):
                    row[t(col, lang)] = _round(m[key]) if m else None  # fmt: skip
                if m:
                    shown.append((nm, m))
            rows.append(row)
    extra = [model_markers(shown, lang)] if shown else []
    fig = {
        "data": traces + extra + legend_entries(traces, lang),
        "layout": _layout(
            # one row per community (names wrapped beside the bars: readable on a phone)
            xaxis=value_axis(bundle, outcome, lang),
            yaxis={"type": "category", "autorange": "reversed", "tickfont": {"size": 12}},
            height=row_height(sel["community"].nunique()),
            barmode="overlay",
        ),
    }
    return fig, _frame(rows, lang)


def small_area_rows(
    bundle: Bundle, outcome: str, wave: int, direct: pd.DataFrame
) -> dict[str, Mapping[str, Any]]:
    """Model-based (small-area) estimates of the communities whose direct estimate in
    ``direct`` is suppressed or unreliable, by community code (scaled like ``direct``)."""
    sa = bundle.tables.get("small_area")
    if sa is None or sa.empty or direct.empty:
        return {}
    weak = direct["suppressed"].astype(bool) | direct["estimate"].isna()
    if "unreliable" in direct.columns:
        weak = weak | direct["unreliable"].fillna(False).astype(bool)
    wanted = set(direct.loc[weak, "community"].astype(str))
    part = sa[(sa["outcome"] == outcome) & (sa["wave"] == wave) & sa["community"].isin(wanted)]
    part = scaled(bundle, outcome, part)
    return {str(r["community"]): r for r in part.to_dict("records")}


def model_markers(shown: list[tuple[str, Mapping[str, Any]]], lang: str) -> dict[str, Any]:
    """Diamonds with intervals for the model-based estimates beside the bars."""
    x = [_round(m["estimate"]) for _, m in shown]
    return {
        "type": "scatter",
        "mode": "markers",
        "name": esc(t("label.model_based", lang)),
        "y": [wrap(nm) for nm, _ in shown],
        "x": x,
        "error_x": {
            "type": "data",
            "symmetric": False,
            "array": [_round(m["ci_high"] - m["estimate"]) for _, m in shown],
            "arrayminus": [_round(m["estimate"] - m["ci_low"]) for _, m in shown],
        },
        "marker": {"symbol": "diamond-open", "size": 11, "color": "#333333"},
        "showlegend": True,
    }


def subgroup_options(bundle: Bundle, lang: str) -> list[dict[str, str]]:
    """The published breakdowns of the estimates (e.g. sex, age), in the table's order."""
    est = bundle.tables.get("estimates")
    if est is None:
        return []
    subs = [s for s in dict.fromkeys(est["subgroup"]) if s != ALL]
    return [{"label": label(bundle, "subgroup", s, lang), "value": s} for s in subs]


def groups_community_options(bundle: Bundle, lang: str) -> list[dict[str, str]]:
    """Whose subgroup estimates: ``arms`` (all communities, each arm) or one community."""
    est = bundle.tables.get("estimates")
    if est is None:
        return []
    sub = est[est["subgroup"] != ALL]
    coms = sorted(sub.loc[sub["community"] != ALL, "community"].unique())
    opts = []
    if (sub["community"] == ALL).any():
        opts.append({"label": t("groups.by_arm", lang), "value": "arms"})
    opts += [{"label": label(bundle, "community", c, lang), "value": f"com:{c}"} for c in coms]
    return opts


def groups_view(
    bundle: Bundle,
    outcome: str | None,
    subgroup: str | None,
    wave: int | None,
    group: str | None,
    lang: str,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Published estimates of ``outcome`` by the levels of ``subgroup`` (e.g. women, men) in
    one wave, with 95% CIs: one bar per level and arm (``group="arms"``, everyone first) or
    per level for one community (``"com:<code>"``). Only published rows are read."""
    est = bundle.tables.get("estimates")
    if est is None or not outcome or not subgroup or subgroup == ALL or wave is None:
        return _empty_figure(lang), pd.DataFrame()
    sel = _part(
        bundle, "estimates", ("outcome", "subgroup", "wave"), (outcome, subgroup, int(wave))
    )
    sel = scaled(bundle, outcome, sel)
    if group == "arms":
        sel = sel[sel["community"] == ALL]
        parts = [(a, sel[sel["arm"] == a]) for a in [ALL, *sorted(set(sel["arm"]) - {ALL})]]
        named = [
            (label(bundle, "community" if a == ALL else "arm", a, lang), a, p) for a, p in parts
        ]
    elif isinstance(group, str) and group.startswith("com:"):
        part = sel[sel["community"] == group[4:]]
        arm = str(part["arm"].iloc[0]) if len(part) else ALL
        named = [(label(bundle, "community", group[4:], lang), arm, part)]
    else:
        return _empty_figure(lang), pd.DataFrame()
    traces, rows = [], []
    wave_name = wave_label(bundle, int(wave), lang)
    for name, arm, part in named:
        if part.empty:
            continue
        levels = [label(bundle, "level", v, lang, outcome=subgroup) for v in part["level"]]
        traces.append(estimate_bars(name, levels, part, ARM_COLOURS.get(arm, PALETTE[2])))
        for r, lv in zip(part.to_dict("records"), levels, strict=True):
            rows.append(
                {
                    t("col.group", lang): name,
                    t("col.subgroup", lang): lv,
                    t("col.wave", lang): wave_name,
                    **estimate_cells(r, bundle, lang),
                }
            )
    fig = {
        "data": traces + legend_entries(traces, lang),
        "layout": _layout(
            yaxis=value_axis(bundle, outcome, lang),
            barmode="group",
            xaxis={
                "type": "category",
                "title": {"text": esc(label(bundle, "subgroup", subgroup, lang))},
            },
        ),
    }
    return fig, _frame(rows, lang)


def problems_view(
    bundle: Bundle, group: str | None, wave: int | None, lang: str
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Local security problems ranked by the share naming them."""
    pr = bundle.tables.get("problems")
    if pr is None or not group or wave is None:
        return _empty_figure(lang), pd.DataFrame()
    sel = _part(bundle, "problems", ("_choice", "wave"), (group, int(wave)))
    names = [label(bundle, "problem", p, lang) for p in sel["problem"]]
    fig = {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "x": [None if pd.isna(s) else round(100 * s, 1) for s in sel["share"]],
                "y": [esc(n) for n in names],
                "marker": {"color": PALETTE[0]},
                "hovertemplate": "%{x:.1f}%<extra></extra>",
            }
        ],
        "layout": _layout(
            xaxis={"title": {"text": "%"}},
            yaxis={"type": "category", "autorange": "reversed"},
            showlegend=False,
        ),
    }
    rows = [
        {
            t("col.problem", lang): nm,
            t("col.rank", lang): _count(r["rank"]),
            t("col.share", lang): _round(r["share"]),
            t("col.n", lang): _count(r["n"]),
            t("col.status", lang): status_text(r, bundle, lang),
        }
        for r, nm in zip(sel.to_dict("records"), names, strict=True)
    ]
    return fig, _frame(rows, lang)


def focus_view(bundle: Bundle, wave: int | None, lang: str) -> tuple[dict[str, Any], pd.DataFrame]:
    """Focus-group themes by arm: number of groups raising each theme."""
    fg = bundle.tables.get("focus_groups")
    if fg is None:
        return _empty_figure(lang), pd.DataFrame()
    sel = fg if wave in (None, "all") else fg[fg["wave"] == int(wave)]
    agg = sel.groupby(["theme", "arm"], as_index=False)[["n_groups", "n_mentions"]].sum()
    traces, rows = [], []
    for arm, part in agg.groupby("arm", sort=True):
        names = [label(bundle, "theme", th, lang) for th in part["theme"]]
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": esc(label(bundle, "arm", arm, lang)),
                "y": [wrap(n) for n in names],
                "x": [int(v) for v in part["n_groups"]],
                "marker": {"color": ARM_COLOURS.get(arm, PALETTE[2])},
            }
        )
        for r, nm in zip(part.to_dict("records"), names, strict=True):
            rows.append(
                {
                    t("col.theme", lang): nm,
                    t("col.arm", lang): label(bundle, "arm", arm, lang),
                    t("col.n_groups", lang): int(r["n_groups"]),
                    t("col.n_mentions", lang): _count(r["n_mentions"]),
                }
            )
    fig = {
        "data": traces,
        "layout": _layout(
            barmode="group",
            xaxis={"title": {"text": esc(t("col.n_groups", lang))}, "rangemode": "tozero"},
            yaxis={"type": "category", "autorange": "reversed", "tickfont": {"size": 12}},
            height=row_height(agg["theme"].nunique()),
        ),
    }
    return fig, _frame(rows, lang)


def methodology_view(bundle: Bundle, lang: str) -> dict[str, pd.DataFrame]:
    """Tables of the methodology page: sample sizes, weighting, margins of error, data
    quality, and what was suppressed and why."""
    out: dict[str, pd.DataFrame] = {}
    ss = bundle.tables.get("sample_sizes")
    if ss is not None:
        out["method.sample"] = _frame(
            {
                t("col.community", lang): [
                    label(bundle, "community", c, lang)
                    if c != ALL
                    else label(bundle, "arm", a, lang)
                    for c, a in zip(ss["community"], ss["arm"], strict=True)
                ],
                t("col.wave", lang): [wave_label(bundle, w, lang) for w in ss["wave"]],
                t("col.n", lang): [_count(v) for v in ss["n"]],
                t("col.status", lang): [
                    status_text(r, bundle, lang) for r in ss.to_dict("records")
                ],
            },
            lang,
        )
    wt = bundle.tables.get("weighting")
    if wt is not None:
        arms = wt["arm"] if "arm" in wt.columns else pd.Series(ALL, index=wt.index)
        out["method.weighting"] = pd.DataFrame(
            {
                t("col.arm", lang): [
                    label(bundle, "community" if a == ALL else "arm", a, lang) for a in arms
                ],
                t("col.wave", lang): [wave_label(bundle, w, lang) for w in wt["wave"]],
                t("col.statistic", lang): [named("stat", s, lang) for s in wt["statistic"]],
                t("col.value", lang): [_round(v) for v in wt["value"]],
            }
        )
    moe = margins_of_error(bundle)
    if not moe.empty:
        out["method.moe"] = pd.DataFrame(
            {
                t("col.outcome", lang): [label(bundle, "outcome", o, lang) for o in moe["outcome"]],
                t("col.arm", lang): [
                    label(bundle, "community" if a == ALL else "arm", a, lang) for a in moe["arm"]
                ],
                t("col.wave", lang): [wave_label(bundle, w, lang) for w in moe["wave"]],
                t("col.moe", lang): [_round(v) for v in moe["moe"]],
                t("col.unit", lang): [
                    t("unit.pp_short" if b else "unit.points_short", lang) for b in moe["binary"]
                ],
            }
        )
    q = bundle.tables.get("quality")
    if q is not None:
        out["method.quality"] = _frame(
            {
                t("col.wave", lang): [wave_label(bundle, w, lang) for w in q["wave"]],
                t("col.check", lang): [check_label(bundle, c, lang) for c in q["check"]],
                t("col.n_flagged", lang): [_count(v) for v in q["n_flagged"]],
            },
            lang,
        )
    sup = (bundle.manifest.get("disclosure") or {}).get("suppressed") or {}
    out["method.suppression"] = pd.DataFrame(
        {
            t("col.table", lang): [named("table", k, lang) for k in sup],
            t("col.small", lang): [int(v.get("small_cell", 0)) for v in sup.values()],
            t("col.complementary", lang): [int(v.get("complementary", 0)) for v in sup.values()],
            t("col.n_withheld", lang): [int(v.get("n_withheld", 0)) for v in sup.values()],
        }
    )
    return out


def margins_of_error(bundle: Bundle) -> pd.DataFrame:
    """Margin of error (half the 95% CI) of each outcome for everyone and each arm per wave,
    in the outcome's unit (percentage points for a yes/no outcome); published rows only."""
    est = bundle.tables.get("estimates")
    if est is None:
        return pd.DataFrame()
    ok = est[(est["subgroup"] == ALL) & (est["community"] == ALL) & ~est["suppressed"]]
    rows = []
    for outcome in ordered_outcomes(bundle):
        part = ok[ok["outcome"] == outcome]
        scale = scale_of(bundle, outcome) or {}
        k = 100.0 if scale.get("binary") else 1.0
        part = part.assign(_a=(part["arm"] != ALL).astype(int)).sort_values(["_a", "arm", "wave"])
        for r in part.to_dict("records"):
            moe = (float(r["ci_high"]) - float(r["ci_low"])) / 2 * k
            rows.append(
                {
                    "outcome": outcome,
                    "arm": r["arm"],
                    "wave": int(r["wave"]),
                    "moe": moe,
                    "binary": bool(scale.get("binary")),
                }
            )
    return pd.DataFrame(rows)


def check_label(bundle: Bundle, name: str, lang: str) -> str:
    """What a data-quality check found, from the bundle's ``check`` labels."""
    text = label(bundle, "check", name, lang)
    if text == str(name):
        return named("check", name, lang)
    return text[:1].upper() + text[1:]


def table_records(table: pd.DataFrame) -> dict[str, Any]:
    """JSON form of a shown table (what the page's download store holds)."""
    clean = table.astype(object).where(table.notna(), None)
    return {"columns": [str(c) for c in table.columns], "rows": clean.values.tolist()}


def records_table(data: dict[str, Any] | None) -> pd.DataFrame:
    """Inverse of :func:`table_records`."""
    if not data:
        return pd.DataFrame()
    df = pd.DataFrame(data.get("rows") or [], columns=data.get("columns") or [])
    for i, col in enumerate(df.columns):
        values = [r[i] for r in data.get("rows") or [] if r[i] is not None]
        if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            df[col] = pd.array([r[i] for r in data["rows"]], dtype="Int64")
    return df
