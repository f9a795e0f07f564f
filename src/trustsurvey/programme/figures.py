"""Plotly figures of the programme tables (aggregates only; no record-level data).

>>> import pandas as pd
>>> t = pd.DataFrame({"arm": ["pilot"] * 2, "days": [0.0, 5.0], "unresolved": [1.0, 0.5],
...                   "ci_low": [1.0, 0.3], "ci_high": [1.0, 0.7], "n": [2, 2]})
>>> len(resolution_figure(t).data)
1
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go

from trustsurvey.programme.dose import NOTE


def timeline_figure(monthly: pd.DataFrame, waves: list[tuple[dt.date, dt.date]]) -> go.Figure:
    """Activities per month by community (lines), survey fieldwork shaded."""
    fig = go.Figure()
    for community, part in monthly.groupby("community", sort=True):
        fig.add_trace(go.Scatter(x=part["month"], y=part["activities"], name=str(community)))
    for i, (start, end) in enumerate(waves, 1):
        fig.add_vrect(
            x0=str(start),
            x1=str(end),
            fillcolor="grey",
            opacity=0.2,
            line_width=0,
            annotation_text=f"wave {i}",
            annotation_position="top left",
        )
    fig.update_layout(
        title="Programme activities per month / Заходи програми за місяць",
        xaxis_title="month",
        yaxis_title="activities",
    )
    return fig


def categories_figure(rates: pd.DataFrame) -> go.Figure:
    """Hotline appeals per month by category (stacked bars)."""
    fig = go.Figure()
    for cat, part in rates.groupby("category", sort=True):
        fig.add_trace(go.Bar(x=part["month"], y=part["n"], name=str(cat)))
    fig.update_layout(
        barmode="stack",
        title="Hotline appeals by category / Звернення на гарячу лінію за категоріями",
        xaxis_title="month",
        yaxis_title="appeals",
    )
    return fig


def resolution_figure(curve: pd.DataFrame, by: str = "arm") -> go.Figure:
    """Kaplan-Meier share of appeals still unresolved after t days, with CIs."""
    fig = go.Figure()
    for group, part in curve.groupby(by, sort=True):
        fig.add_trace(
            go.Scatter(
                x=part["days"],
                y=part["unresolved"],
                name=str(group),
                line_shape="hv",
                error_y=None,
                customdata=part[["ci_low", "ci_high"]].to_numpy(),
                hovertemplate="%{x} days: %{y:.2f} (%{customdata[0]:.2f}-%{customdata[1]:.2f})",
            )
        )
    fig.update_layout(
        title="Time to resolution (Kaplan-Meier) / Час до вирішення",
        xaxis_title="days",
        yaxis_title="share unresolved",
    )
    return fig


def dose_figure(table: pd.DataFrame, x: str = "activities_per_1000") -> go.Figure:
    """Trust change per community (95% CI bars) against intensity, with the fitted line."""
    fig = go.Figure()
    for arm, part in table.groupby("arm", sort=True):
        fig.add_trace(
            go.Scatter(
                x=part[x],
                y=part["change"],
                mode="markers",
                name=str(arm),
                text=part["community"],
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": (part["ci_high"] - part["change"]).tolist(),
                    "arrayminus": (part["change"] - part["ci_low"]).tolist(),
                },
            )
        )
    line = table.sort_values(x)
    band_x = [*line[x], *line[x][::-1]]
    band_y = [*line["fitted_ci_high"], *line["fitted_ci_low"][::-1]]
    fig.add_trace(
        go.Scatter(
            x=band_x,
            y=band_y,
            fill="toself",
            mode="lines",
            line_width=0,
            opacity=0.2,
            name="95% CI",
            hoverinfo="skip",
        )
    )
    fig.add_trace(go.Scatter(x=line[x], y=line["fitted"], mode="lines", name="meta-regression"))
    fig.update_layout(
        title="Trust change vs programme intensity (observational) / "
        "Зміна довіри та інтенсивність програми (спостережні дані)",
        xaxis_title="activities per 1,000 residents",
        yaxis_title="change in trust (1-5)",
        annotations=[
            {
                "text": f"{NOTE['en']}<br>{NOTE['uk']}",
                "showarrow": False,
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": -0.25,
                "align": "left",
                "font": {"size": 10},
            }
        ],
        margin={"b": 120},
    )
    return fig
