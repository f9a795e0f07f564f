"""Plotly figures of the analysis tables (each takes the tidy table the analysis returns).

* :func:`trend_figure` — an outcome over waves by arm with confidence intervals;
* :func:`likert_figure` — diverging stacked bars of a Likert item's distribution per cell,
  with "difficult to answer" in its own panel (it is a finding, not part of the scale);
* :func:`forest_figure` — DiD (or any difference) across outcomes with intervals;
* :func:`problems_figure` — options of a multiple-choice item ranked, by arm.

The focus-group theme heatmap is :func:`trustsurvey.analysis.focus_groups.theme_heatmap`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from trustsurvey.errors import AnalysisError

__all__ = ["forest_figure", "likert_figure", "problems_figure", "trend_figure"]

_ARM_COLOURS = {"pilot": "#1f77b4", "control": "#ff7f0e", 1: "#1f77b4", 0: "#ff7f0e"}


def _code(value: Any) -> Any:
    """Whole-number floats shown without ``.0`` (codes read from SPSS are floats)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _need(table: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise AnalysisError(
            f"the {what} table lacks column(s)",
            item=missing,
            hint=f"pass the table returned by the analysis function; it has {list(table)}",
        )


def trend_figure(
    table: pd.DataFrame,
    *,
    x: str = "wave",
    group: str = "arm",
    title: str = "",
    y_label: str = "weighted mean",
) -> Any:
    """Lines of ``estimate`` over ``x`` per ``group`` with ``ci_low/ci_high`` error bars.

    Examples
    --------
    >>> t = pd.DataFrame({"arm": ["pilot", "pilot", "control", "control"], "wave": [1, 2, 1, 2],
    ...                   "estimate": [3.0, 3.4, 3.0, 3.1], "ci_low": [2.8, 3.2, 2.8, 2.9],
    ...                   "ci_high": [3.2, 3.6, 3.2, 3.3]})
    >>> [tr.name for tr in trend_figure(t).data]
    ['control', 'pilot']
    """
    import plotly.graph_objects as go

    _need(table, [x, group, "estimate", "ci_low", "ci_high"], "trend")
    fig = go.Figure()
    for name, part in table.sort_values([group, x]).groupby(group, sort=True):
        fig.add_trace(
            go.Scatter(
                x=part[x].astype(str),
                y=part["estimate"],
                mode="lines+markers",
                name=str(name),
                line={"color": _ARM_COLOURS.get(name)},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": part["ci_high"] - part["estimate"],
                    "arrayminus": part["estimate"] - part["ci_low"],
                },
            )
        )
    fig.update_layout(title=title, xaxis_title=x, yaxis_title=y_label, template="plotly_white")
    return fig


def likert_figure(
    table: pd.DataFrame,
    *,
    cell: Sequence[str] = ("pilot", "wave"),
    labels: Mapping[Any, str] | None = None,
    title: str = "",
) -> Any:
    """Diverging stacked bars of :func:`~trustsurvey.analysis.compare.likert_distribution`.

    Categories below the middle of the scale go left of zero, those above right, the middle
    category is split half and half; rows with ``dont_know`` True are drawn in a separate
    panel on the right. ``labels`` maps codes to answer labels (from the questionnaire).

    Examples
    --------
    >>> t = pd.DataFrame({"pilot": [0] * 4, "wave": 1, "category": [1, 2, 3, 8],
    ...                   "estimate": [0.2, 0.3, 0.4, 0.1], "dont_know": [False] * 3 + [True]})
    >>> fig = likert_figure(t)
    >>> [tr.name for tr in fig.data]
    ['2', '1', '2', '3', '8']
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    cells = [c for c in cell if c in table.columns]
    _need(table, ["category", "estimate", "dont_know"], "Likert distribution")
    t = table.copy()
    t["_cell"] = (
        t[cells].apply(lambda r: " / ".join(f"{c}={_code(r[c])}" for c in cells), axis=1)
        if cells
        else pd.Series("all", index=t.index)
    )
    scale = sorted(t.loc[~t["dont_know"], "category"].unique().tolist())
    if not scale:
        raise AnalysisError(
            "no scale categories to plot", item="category", hint="check the distribution table"
        )
    k = len(scale)
    mid = (k - 1) / 2
    from plotly.colors import sample_colorscale

    colours = sample_colorscale("RdBu", [0.1 + 0.8 * i / max(k - 1, 1) for i in range(k)])
    if k % 2:
        colours[k // 2] = "#d0d0d0"  # the neutral middle category
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, column_widths=[0.8, 0.2])
    order = list(dict.fromkeys(t["_cell"]))
    wide = t.pivot_table(index="_cell", columns="category", values="estimate", aggfunc="sum")
    wide = wide.reindex(order).fillna(0.0)

    def name(c: Any) -> str:
        return labels.get(c, str(c)) if labels else str(c)

    def fmt(c: Any) -> str:
        return name(int(c) if isinstance(c, float) and c.is_integer() else c)

    # 'relative' bars stack outward from zero in trace order: the left side is added from the
    # middle category down, the right side from the middle up
    left = [(i, c) for i, c in enumerate(scale) if i <= mid][::-1]
    right = [(i, c) for i, c in enumerate(scale) if i >= mid]
    for side, items in ((-1.0, left), (1.0, right)):
        for i, c in items:
            values = wide[c] if c in wide else pd.Series(0.0, index=order)
            share = values / 2 if i == mid else values
            fig.add_trace(
                go.Bar(
                    y=order,
                    x=side * share,
                    orientation="h",
                    name=fmt(c),
                    marker_color=colours[i],
                    showlegend=not (i == mid and side > 0),
                    legendgroup=str(c),
                    legendrank=i,
                ),
                row=1,
                col=1,
            )
    for c in sorted(t.loc[t["dont_know"], "category"].unique().tolist()):
        values = wide[c] if c in wide else pd.Series(0.0, index=order)
        fig.add_trace(
            go.Bar(y=order, x=values, orientation="h", name=fmt(c), marker_color="#999999"),
            row=1,
            col=2,
        )
    fig.update_layout(barmode="relative", title=title, template="plotly_white")
    fig.update_xaxes(tickformat=".0%", row=1, col=1)
    fig.update_xaxes(tickformat=".0%", title_text="difficult to answer", row=1, col=2)
    return fig


def forest_figure(
    table: pd.DataFrame, *, label: str = "outcome", title: str = "", null: float = 0.0
) -> Any:
    """Forest plot: one row per ``label`` with ``estimate`` and its ``ci_low``–``ci_high``.

    Rows with a missing estimate are listed with their ``reason`` (if any) in the hover text.

    Examples
    --------
    >>> t = pd.DataFrame({"outcome": ["a", "b"], "estimate": [0.3, -0.1],
    ...                   "ci_low": [0.1, -0.4], "ci_high": [0.5, 0.2]})
    >>> list(forest_figure(t).data[0].y)
    ['a', 'b']
    """
    import plotly.graph_objects as go

    _need(table, [label, "estimate", "ci_low", "ci_high"], "forest")
    t = table.reset_index(drop=True)
    reason = t["reason"] if "reason" in t else pd.Series("", index=t.index)
    hover = [
        f"{lab}: {e:.3f} [{lo:.3f}, {hi:.3f}]" if np.isfinite(e) else f"{lab}: NA ({r})"
        for lab, e, lo, hi, r in zip(
            t[label], t["estimate"], t["ci_low"], t["ci_high"], reason, strict=True
        )
    ]
    fig = go.Figure(
        go.Scatter(
            x=t["estimate"],
            y=t[label].astype(str),
            mode="markers",
            marker={"size": 9, "color": "#1f77b4"},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": t["ci_high"] - t["estimate"],
                "arrayminus": t["estimate"] - t["ci_low"],
            },
            hovertext=hover,
            hoverinfo="text",
            showlegend=False,
        )
    )
    fig.add_vline(x=null, line_dash="dash", line_color="grey")
    fig.update_layout(title=title, xaxis_title="estimate (95% CI)", template="plotly_white")
    fig.update_yaxes(autorange="reversed")
    return fig


def problems_figure(
    table: pd.DataFrame,
    *,
    group: str = "pilot",
    labels: Mapping[str, str] | None = None,
    title: str = "",
) -> Any:
    """Horizontal bars of the share naming each option, ranked, one bar colour per arm.

    Takes :func:`~trustsurvey.analysis.choices.multiple_choice` output for one wave
    (filter the table first). Options are ordered by the share over all arms.

    Examples
    --------
    >>> t = pd.DataFrame({"pilot": [0, 0, 1, 1], "option": ["a", "b", "a", "b"],
    ...                   "estimate": [0.2, 0.5, 0.3, 0.4], "ci_low": 0.0, "ci_high": 0.6})
    >>> list(problems_figure(t).data[0].y)
    ['a', 'b']
    """
    import plotly.graph_objects as go

    _need(table, [group, "option", "estimate", "ci_low", "ci_high"], "multiple-choice")
    order = table.groupby("option")["estimate"].mean().sort_values().index.tolist()
    fig = go.Figure()
    for arm, part in table.groupby(group, sort=True):
        part = part.set_index("option").reindex(order)
        fig.add_trace(
            go.Bar(
                y=[labels.get(o, o) if labels else o for o in order],
                x=part["estimate"],
                orientation="h",
                name=str(arm),
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": part["ci_high"] - part["estimate"],
                    "arrayminus": part["estimate"] - part["ci_low"],
                },
            )
        )
    fig.update_layout(barmode="group", title=title, template="plotly_white")
    fig.update_xaxes(tickformat=".0%")
    return fig
