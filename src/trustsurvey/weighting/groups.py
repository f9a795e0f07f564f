"""Weight each group (wave, raion, community) to its own population.

Within each group the design weights are raked, post-stratified or calibrated to that
group's targets; shares are turned into counts with the group's design-weight total (the
group keeps its estimated population size) unless ``totals`` gives population sizes. The
calibration adjustment of the SEs is made within each group, which is R's
``rake(design, list(~wave + sex, ~wave + agegrp, ...))`` with every margin crossed with the group.

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

from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from trustsurvey.errors import WeightingError
from trustsurvey.weighting._design import derive, frame_and_weights
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


def _group_margins(
    targets: Targets | Mapping[Any, Any], group_col: str, value: Hashable, total: float
) -> dict:
    if isinstance(targets, Targets):
        spec = targets.margins_for({group_col: value}, total=total)
        return spec
    for key, margins in targets.items():
        if _code(key) == value:
            t = load_targets(margins)
            return t.margins_for({}, total=total if t.kind == "shares" else None)
    raise WeightingError(
        f"no targets for {group_col} = {value}",
        item=group_col,
        hint="give targets for every group in the data",
    )


def weight_by_group(
    design: object,
    group_col: str,
    targets_per_group: Targets | Mapping[Any, Any],
    method: str = "rake",
    *,
    totals: Mapping[Any, float] | None = None,
    tol: float = 1e-10,
    max_iter: int = 1000,
    calibration_method: str = "linear",
    bounds: tuple[float, float] | None = None,
    fixed_weights: bool = False,
) -> object:
    """Weight each ``group_col`` group to its own targets; return one new design.

    ``targets_per_group`` is a :class:`Targets` given ``by`` the group column, or a mapping
    group value → margins (counts, or shares of the group's total). ``method`` is ``"rake"``,
    ``"poststratify"`` (one margin per group) or ``"calibrate"`` (``calibration_method``,
    ``bounds``). ``totals`` optionally maps a group value to its population size for shares.
    """
    if method not in METHODS:
        raise WeightingError(
            f"unknown method {method!r}", item="method", hint=f"use one of {', '.join(METHODS)}"
        )
    data, w = frame_and_weights(design)
    if group_col not in data.columns:
        raise WeightingError("group column is not in the data", item=group_col)
    gser = data[group_col]
    if gser.isna().any():
        raise WeightingError(
            f"group column has {int(gser.isna().sum())} missing value(s)",
            item=group_col,
            row=[int(i) + 1 for i in np.flatnonzero(gser.isna().to_numpy())],
            hint="every respondent needs a group to be weighted to its population",
        )
    if isinstance(targets_per_group, Targets) and group_col not in targets_per_group.by:
        raise WeightingError(
            f"targets are not given per {group_col}",
            item=group_col,
            file=targets_per_group.source,
            hint=f"give the targets with by: [{group_col}]",
        )
    codes = gser.map(_code).to_numpy(dtype=object)
    values = list(dict.fromkeys(codes.tolist()))
    tot_map = {_code(k): float(v) for k, v in (totals or {}).items()}
    new_w = w.copy()
    parts: list[object] = []
    frames: list[pd.DataFrame] = []
    iterations, worst = 0, 0.0
    for value in values:
        rows = np.flatnonzero(codes == value)
        sub, wg = data.iloc[rows], w[rows]
        total = tot_map.get(value, float(wg.sum()))
        margins = _group_margins(targets_per_group, group_col, value, total)
        if method == "rake":
            res = rake_arrays(sub, wg, margins, tol=tol, max_iter=max_iter)
            inner = RakingAdjustment(res.cells.row_cell, res.cells.margin_maps, res.weights)
            gw, it, err = res.weights, res.iterations, res.max_rel_error
            cells = [
                (m.label, m.level_label(i), float(t), float(a))
                for m, got in zip(res.margins, res.achieved, strict=True)
                for i, (t, a) in enumerate(zip(m.targets, got, strict=True))
            ]
        elif method == "poststratify":
            if len(margins) != 1:
                raise WeightingError(
                    f"post-stratification takes one margin per group; {group_col} = {value} "
                    f"has {len(margins)}",
                    item=group_col,
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
        parts.append(RowSubsetAdjustment(inner, rows))
        iterations = max(iterations, it)
        worst = max(worst, err)
        frame = pd.DataFrame(cells, columns=["margin", "cell", "target", "achieved"])
        frame.insert(0, group_col, value)
        frames.append(frame)
    step = WeightingStep(
        f"{method} by {group_col}",
        pd.concat(frames, ignore_index=True),
        iterations,
        worst,
        fixed_weights,
        {"group": group_col},
    )
    adj = None if fixed_weights else CompositeAdjustment(tuple(parts))
    return derive(design, new_w, adj, step, fixed_weights=fixed_weights)
