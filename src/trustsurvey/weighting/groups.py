"""Weight each group (wave, raion, community) to its own population.

Within each group the design weights are raked, post-stratified or calibrated to that
group's targets; shares are turned into counts with the group's design-weight total (the
group keeps its estimated population size) unless ``totals`` gives population sizes. The
calibration adjustment of the SEs is made within each group, which is R's
``rake(design, list(~wave + sex, ~wave + age_cat, ...))`` with every margin crossed with the group.

Examples
--------
>>> import pandas as pd
>>> from trustsurvey.design import SurveyDesign
>>> frame = pd.DataFrame({"wave": [1, 1, 2, 2], "sex": [1, 2, 1, 2], "w": [1.0, 3.0, 2.0, 2.0]})
>>> d = SurveyDesign(frame, ids=None, weights="w")
>>> t = {1: {"sex": {1: 0.5, 2: 0.5}}, 2: {"sex": {1: 0.25, 2: 0.75}}}
>>> weight_by_group(d, "wave", t).weights.tolist()
[2.0, 2.0, 1.0, 3.0]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from trustsurvey.design.variance import InfluenceAdjustment
from trustsurvey.errors import WeightingError
from trustsurvey.weighting._design import D, derive, frame_and_weights
from trustsurvey.weighting.adjustments import (
    CompositeAdjustment,
    GregAdjustment,
    PostStratAdjustment,
    RakingAdjustment,
    RowSubsetAdjustment,
)
from trustsurvey.weighting.calibration import calibrate_arrays
from trustsurvey.weighting.history import WeightingStep
from trustsurvey.weighting.raking import rake_arrays
from trustsurvey.weighting.targets import Targets, _code, load_targets

METHODS = ("rake", "poststratify", "calibrate")


def _describe(cols: list[str], value: tuple) -> str:
    return ", ".join(f"{c} = {v}" for c, v in zip(cols, value, strict=True))


def _group_margins(
    targets: Targets | Mapping[Any, Any], cols: list[str], value: tuple, total: float
) -> dict:
    if isinstance(targets, Targets):
        return targets.margins_for(dict(zip(cols, value, strict=True)), total=total)
    for key, margins in targets.items():
        key_t = tuple(_code(k) for k in key) if isinstance(key, tuple) else (_code(key),)
        if key_t == value:
            t = load_targets(margins)
            return t.margins_for({}, total=total if t.kind == "shares" else None)
    raise WeightingError(
        f"no targets for {_describe(cols, value)}",
        item=cols,
        hint="give targets for every group in the data",
    )


def weight_by_group(
    design: D,
    group_col: str | Sequence[str],
    targets_per_group: Targets | Mapping[Any, Any],
    method: str = "rake",
    *,
    totals: Mapping[Any, float] | None = None,
    tol: float = 1e-10,
    max_iter: int = 1000,
    calibration_method: str = "linear",
    bounds: tuple[float, float] | None = None,
    fixed_weights: bool = False,
) -> D:
    """Weight each ``group_col`` group to its own targets; return one new design.

    ``group_col`` is a column or a list of columns (e.g. ``["wave", "raion"]``).
    ``targets_per_group`` is a :class:`Targets` given ``by`` the group column(s), or a mapping
    group value (a tuple for several columns) → margins (counts, or shares of the group's
    total). ``method`` is ``"rake"``,
    ``"poststratify"`` (one margin per group) or ``"calibrate"`` (``calibration_method``,
    ``bounds``). ``totals`` optionally maps a group value to its population size for shares.
    """
    if method not in METHODS:
        raise WeightingError(
            f"unknown method {method!r}", item="method", hint=f"use one of {', '.join(METHODS)}"
        )
    data, w = frame_and_weights(design)
    cols = [group_col] if isinstance(group_col, str) else list(group_col)
    for col in cols:
        if col not in data.columns:
            raise WeightingError("group column is not in the data", item=col)
        gser = data[col]
        if gser.isna().any():
            raise WeightingError(
                f"group column has {int(gser.isna().sum())} missing value(s)",
                item=col,
                row=[int(i) + 1 for i in np.flatnonzero(gser.isna().to_numpy())],
                hint="every respondent needs a group to be weighted to its population",
            )
        if isinstance(targets_per_group, Targets) and col not in targets_per_group.by:
            raise WeightingError(
                f"targets are not given per {col}",
                item=col,
                file=targets_per_group.source,
                hint=f"give the targets with by: [{', '.join(cols)}]",
            )
    keys = list(zip(*(data[c].map(_code).tolist() for c in cols), strict=True))
    index: dict[tuple, int] = {}
    ids = np.fromiter((index.setdefault(k, len(index)) for k in keys), dtype=np.intp)
    values = list(index)
    tot_map = {
        (tuple(_code(x) for x in k) if isinstance(k, tuple) else (_code(k),)): float(v)
        for k, v in (totals or {}).items()
    }
    new_w = w.copy()
    parts: list[object] = []
    frames: list[pd.DataFrame] = []
    specs: list[tuple[Any, ...]] = []
    iterations, worst = 0, 0.0
    for gi, value in enumerate(values):
        rows = np.flatnonzero(ids == gi)
        sub, wg = data.iloc[rows], w[rows]
        total = tot_map.get(value, float(wg.sum()))
        margins = _group_margins(targets_per_group, cols, value, total)
        if method == "rake":
            res = rake_arrays(sub, wg, margins, tol=tol, max_iter=max_iter)
            inner: InfluenceAdjustment = RakingAdjustment(
                res.cells.row_cell, res.cells.margin_maps, res.weights
            )
            gw, it, err = res.weights, res.iterations, res.max_rel_error
            cells = [
                (m.label, m.level_label(i), float(t), float(a))
                for m, got in zip(res.margins, res.achieved, strict=True)
                for i, (t, a) in enumerate(zip(m.targets, got, strict=True))
            ]
        elif method == "poststratify":
            if len(margins) != 1:
                raise WeightingError(
                    f"post-stratification takes one margin per group; {_describe(cols, value)} "
                    f"has {len(margins)}",
                    item=cols,
                    hint="cross the variables in one margin, or use method='rake'",
                )
            res = rake_arrays(sub, wg, margins, tol=tol, max_iter=2)
            pcodes = res.cells.margin_codes(0)
            inner = PostStratAdjustment(pcodes, res.weights, wg)
            gw, it, err = res.weights, 1, res.max_rel_error
            cells = [
                (m.label, m.level_label(i), float(t), float(a))
                for m, got in zip(res.margins, res.achieved, strict=True)
                for i, (t, a) in enumerate(zip(m.targets, got, strict=True))
            ]
        else:
            cres = calibrate_arrays(
                sub,
                wg,
                margins,
                method=calibration_method,
                bounds=bounds,
                tol=tol,
                max_iter=min(max_iter, 100),
            )
            inner = GregAdjustment(cres.basis, cres.g * np.sqrt(wg))
            gw, it, err = cres.weights, cres.iterations, cres.max_rel_error
            cells = [
                (lab.split(" = ")[0], lab.split(" = ")[-1], float(t), float(a))
                for lab, t, a in zip(cres.labels, cres.targets, cres.achieved, strict=True)
            ]
        new_w[rows] = gw
        specs.append((rows, ("totals" if method == "calibrate" else "margins", margins, None)))
        parts.append(RowSubsetAdjustment(inner, rows))
        iterations = max(iterations, it)
        worst = max(worst, err)
        frame = pd.DataFrame(cells, columns=["margin", "cell", "target", "achieved"])
        for k, col in enumerate(cols):
            frame.insert(k, col, value[k])
        frames.append(frame)
    step = WeightingStep(
        f"{method} by {' × '.join(cols)}",
        pd.concat(frames, ignore_index=True),
        iterations,
        worst,
        fixed_weights,
        {"group": cols, "group_specs": specs},
    )
    adj = None if fixed_weights else CompositeAdjustment(tuple(parts))
    return derive(design, new_w, adj, step, fixed_weights=fixed_weights)
