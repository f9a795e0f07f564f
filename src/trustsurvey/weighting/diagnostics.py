"""Weighting diagnostics: achieved vs target margins, weight spread, design effect.

Kish's design effect due to weighting (Kish 1965, *Survey Sampling*, sec. 11.7; Kish 1992,
J. Off. Stat. 8) is ``1 + CV²`` with the population coefficient of variation of the weights
(standard deviation with divisor ``n``); the effective sample size is
``n / deff = (Σw)² / Σw²``.

Examples
--------
>>> import pandas as pd
>>> from trustsurvey.design import SurveyDesign
>>> frame = pd.DataFrame({"sex": [1, 1, 1, 2], "w": [1.0] * 4})
>>> d = SurveyDesign(frame, ids=None, weights="w").rake({"sex": {1: 50, 2: 50}})
>>> diag = weighting_diagnostics(d)
>>> round(float(diag.weights["deff_kish"].iloc[0]), 4), float(diag.weights["n_eff"].iloc[0])
(1.3333, 3.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from trustsurvey.design.base import Design
from trustsurvey.errors import WeightingError
from trustsurvey.weighting.history import WeightingStep, history

QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)


def weight_summary(w: np.ndarray) -> dict[str, float]:
    """Spread of one set of weights: n, sum, min, max, ratio, quantiles, CV, Kish deff, n_eff."""
    w = np.asarray(w, dtype=float)
    n = w.size
    mean = w.mean()
    cv = float(w.std(ddof=0) / mean)
    out = {
        "n": float(n),
        "sum_w": float(w.sum()),
        "min": float(w.min()),
        "max": float(w.max()),
        "ratio": float(w.max() / w.min()),
        "mean": float(mean),
    }
    for q, v in zip(QUANTILES, np.quantile(w, QUANTILES), strict=True):
        out[f"p{round(q * 100):02d}"] = float(v)
    out.update({"cv": cv, "deff_kish": 1 + cv**2, "n_eff": float(w.sum() ** 2 / (w**2).sum())})
    return out


@dataclass(frozen=True)
class WeightingDiagnostics:
    """Tidy diagnostics.

    ``weights``: one row per group (``by`` columns first) with ``n, sum_w, min, max, ratio,
    mean, p01 … p99, cv, deff_kish, n_eff``; ``margins``: one row per margin cell of every
    weighting step with ``step, [group], margin, cell, target, achieved, rel_error`` (as the
    step left them) and ``achieved_final, rel_error_final`` (with the design's final weights,
    e.g. after trimming);
    ``steps``: one row per step with ``step, method, iterations, max_rel_error, fixed_weights``.
    """

    weights: pd.DataFrame
    margins: pd.DataFrame
    steps: pd.DataFrame

    def figure(self):
        """A plotly figure: achieved / target per margin cell, and the weight distribution."""
        return diagnostics_figure(self)


def _achieved_now(data: pd.DataFrame, w: np.ndarray, spec: tuple) -> np.ndarray:
    """Achieved totals of a step's margins (or calibration totals) with the weights ``w``."""
    from trustsurvey.weighting.calibration import model_matrix
    from trustsurvey.weighting.margins import prepare_margins

    kind, margins, total = spec
    if kind == "totals":
        x, _, _, _ = model_matrix(data, margins)
        return w @ x
    prepared, cells = prepare_margins(data, margins, total=total)
    act = cells.active
    cw = cells.cell_sums(w)[act]
    return np.concatenate(
        [
            np.bincount(cmap[act], weights=cw, minlength=len(m.targets))
            for m, cmap in zip(prepared, cells.margin_maps, strict=True)
        ]
    )


def _final(step: WeightingStep, data: pd.DataFrame, w: np.ndarray) -> np.ndarray | None:
    spec = step.details.get("spec")
    if spec is not None:
        return _achieved_now(data, w, spec)
    group_specs = step.details.get("group_specs")
    if group_specs is not None:
        return np.concatenate(
            [_achieved_now(data.iloc[rows], w[rows], sp) for rows, sp in group_specs]
        )
    return None


def _steps_frames(
    steps: Sequence[WeightingStep], data: pd.DataFrame, w: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    margin_frames, rows = [], []
    for i, st in enumerate(steps, start=1):
        rows.append(
            {
                "step": i,
                "method": st.method,
                "iterations": st.iterations,
                "max_rel_error": st.max_rel_error,
                "fixed_weights": st.fixed_weights,
            }
        )
        if len(st.cells):
            f = st.cells.copy()
            f.insert(0, "step", i)
            target = f["target"].where(f["target"] > 0)
            f["rel_error"] = (f["achieved"] - f["target"]).abs() / target
            final = _final(st, data, w)
            f["achieved_final"] = final if final is not None and len(final) == len(f) else np.nan
            f["rel_error_final"] = (f["achieved_final"] - f["target"]).abs() / target
            margin_frames.append(f)
    margins = (
        pd.concat(margin_frames, ignore_index=True)
        if margin_frames
        else pd.DataFrame(
            columns=[
                "step",
                "margin",
                "cell",
                "target",
                "achieved",
                "rel_error",
                "achieved_final",
                "rel_error_final",
            ]
        )
    )
    return margins, pd.DataFrame(
        rows, columns=["step", "method", "iterations", "max_rel_error", "fixed_weights"]
    )


def weighting_diagnostics(
    design: Design, by: str | Sequence[str] | None = None
) -> WeightingDiagnostics:
    """Diagnostics of a weighted design, overall and per group (e.g. ``by=["wave"]``).

    The margin table lists achieved vs target for every cell of every weighting step that
    made ``design`` (achieved as at the end of that step); the weights table summarises the
    final weights per group.
    """
    if not isinstance(design, Design):
        raise WeightingError(f"expected a SurveyDesign, got {type(design).__name__}")
    data = design.data
    w = np.asarray(design.weights, dtype=float)
    by_cols = [by] if isinstance(by, str) else list(by or [])
    for c in by_cols:
        if c not in data.columns:
            raise WeightingError("grouping column is not in the data", item=c)
    if by_cols:
        rows = []
        keys = data[by_cols]
        positions = pd.Series(np.arange(len(keys)), index=keys.index)
        for key, part in positions.groupby([keys[c] for c in by_cols], sort=True, dropna=False):
            idx = part.to_numpy()
            key_t = key if isinstance(key, tuple) else (key,)
            row = dict(zip(by_cols, key_t, strict=True))
            row.update(weight_summary(w[idx]))
            rows.append(row)
        weights = pd.DataFrame(rows)
    else:
        weights = pd.DataFrame([{"group": "all", **weight_summary(w)}])
    margins, steps = _steps_frames(history(design), data, w)
    return WeightingDiagnostics(weights, margins, steps)


def diagnostics_figure(diag: WeightingDiagnostics):
    """Plotly figure of :class:`WeightingDiagnostics` (margins achieved/target, weight spread)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("Achieved / target per margin cell", "Weights per group"),
    )
    m = diag.margins
    if len(m):
        label = m["margin"].astype(str) + " = " + m["cell"].astype(str)
        group_cols = list(m.columns[1 : list(m.columns).index("margin")])
        for col in reversed(group_cols):
            label = col + " " + m[col].astype(str) + ": " + label
        label = "step " + m["step"].astype(str) + " " + label
        achieved = m["achieved_final"].fillna(m["achieved"])
        ratio = achieved / m["target"].where(m["target"] > 0)
        fig.add_trace(
            go.Bar(x=ratio, y=label, orientation="h", name="achieved / target"), row=1, col=1
        )
    wt = diag.weights
    group_cols = [
        c
        for c in wt.columns
        if c not in ("n", "sum_w", "min", "max", "ratio", "mean", "cv")
        and not c.startswith("p")
        and c not in ("deff_kish", "n_eff")
    ]
    names = wt[group_cols].astype(str).agg(" ".join, axis=1) if group_cols else wt.index
    for i, (_, row) in enumerate(wt.iterrows()):
        fig.add_trace(
            go.Box(
                name=str(names.iloc[i]),
                q1=[row["p25"]],
                median=[row["p50"]],
                q3=[row["p75"]],
                lowerfence=[row["min"]],
                upperfence=[row["max"]],
                showlegend=False,
            ),
            row=1,
            col=2,
        )
    fig.update_layout(title="Weighting diagnostics", height=max(400, 22 * len(m) + 150))
    return fig
