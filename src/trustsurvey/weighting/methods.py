"""Post-stratification, raking, calibration and trimming of a :class:`SurveyDesign`.

Each function takes a design and returns a new one whose standard errors are
calibration-adjusted as R's ``survey`` package does (``postStratify``, ``rake``, ``calibrate``,
``trimWeights``; Lumley 2010, ch. 7), or treat the new weights as fixed with
``fixed_weights=True``. ``SurveyDesign.poststratify/rake/calibrate/trim`` delegate here.

Examples
--------
>>> import pandas as pd
>>> from trustsurvey.design import SurveyDesign
>>> frame = pd.DataFrame({"sex": [1, 1, 1, 2], "y": [1.0, 2.0, 3.0, 4.0], "w": [1.0] * 4})
>>> d = SurveyDesign(frame, ids=None, weights="w")
>>> d.poststratify({"sex": {1: 50, 2: 50}}).weights.round(3).tolist()
[16.667, 16.667, 16.667, 50.0]
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from trustsurvey.errors import WeightingError
from trustsurvey.weighting._design import D, derive, frame_and_weights
from trustsurvey.weighting.adjustments import (
    GregAdjustment,
    PostStratAdjustment,
    RakingAdjustment,
)
from trustsurvey.weighting.calibration import calibrate_arrays
from trustsurvey.weighting.history import WeightingStep
from trustsurvey.weighting.margins import PreparedMargin, prepare_margins
from trustsurvey.weighting.raking import RakeResult, ipf_cells, margin_errors, rake_arrays
from trustsurvey.weighting.trimming import trim_array


def _cells_frame(margins: list[PreparedMargin], achieved: list[np.ndarray]) -> pd.DataFrame:
    rows = []
    for m, got in zip(margins, achieved, strict=True):
        for i, (t, a) in enumerate(zip(m.targets, got, strict=True)):
            rows.append((m.label, m.level_label(i), float(t), float(a)))
    return pd.DataFrame(rows, columns=["margin", "cell", "target", "achieved"])


def _raking_adjustment(res: RakeResult) -> RakingAdjustment:
    return RakingAdjustment(res.cells.row_cell, res.cells.margin_maps, res.weights)


def poststratify(
    design: D,
    targets: Mapping[object, object],
    *,
    total: float | None = None,
    fixed_weights: bool = False,
) -> D:
    """Post-stratify to the population counts of one (possibly crossed) margin.

    ``w_i ← w_i · N_h / Σ_{j∈h} w_j`` within each post-stratum ``h`` (R ``postStratify``;
    Lumley 2010, 7.2). ``targets`` is ``{"sex": {1: 480, 2: 520}}`` or, for crossed cells,
    ``{("gender", "age_cat"): {(1, 1): ..., ...}}``; shares with ``total=``.
    """
    data, w = frame_and_weights(design)
    if not isinstance(targets, Mapping) or len(targets) != 1:
        raise WeightingError(
            "post-stratification takes exactly one margin (a column or a tuple of columns)",
            item=[str(k) for k in targets] if isinstance(targets, Mapping) else None,
            hint="cross the variables in one key, e.g. {('gender', 'age_cat'): {...}}, or rake()",
        )
    prepared, cells = prepare_margins(data, targets, total=total)
    codes = cells.margin_codes(0)
    m = prepared[0]
    sums = np.bincount(codes, weights=w, minlength=len(m.targets))
    new_w = w * (m.targets / sums)[codes]
    achieved = [np.bincount(codes, weights=new_w, minlength=len(m.targets))]
    _, worst = margin_errors(prepared, cells, cells.cell_sums(new_w))
    step = WeightingStep(
        "poststratify",
        _cells_frame(prepared, achieved),
        1,
        worst,
        fixed_weights,
        {"spec": ("margins", targets, total)},
    )
    adj = PostStratAdjustment(codes, new_w, w)

    def reweight(wr: np.ndarray) -> np.ndarray:  # R's postStratify.svyrep.design
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = m.targets / np.bincount(codes, weights=wr, minlength=len(m.targets))
        return wr * ratio[codes]

    return derive(design, new_w, adj, step, fixed_weights=fixed_weights, reweight=reweight)


def rake(
    design: D,
    margins: Mapping[object, object],
    *,
    total: float | None = None,
    tol: float = 1e-10,
    max_iter: int = 1000,
    fixed_weights: bool = False,
) -> D:
    """Rake to several margins by iterative proportional fitting (R ``rake``).

    Iterates until the largest relative margin error is at most ``tol``; raises
    :class:`~trustsurvey.errors.WeightingError` listing the remaining discrepancies after
    ``max_iter`` sweeps. SEs use R's raking residuals (``svyrecvar``) unless ``fixed_weights``.
    """
    data, w = frame_and_weights(design)
    res = rake_arrays(data, w, margins, total=total, tol=tol, max_iter=max_iter)
    step = WeightingStep(
        "rake",
        _cells_frame(res.margins, res.achieved),
        res.iterations,
        res.max_rel_error,
        fixed_weights,
        {"spec": ("margins", margins, total)},
    )
    adj = None if fixed_weights else _raking_adjustment(res)

    def reweight(wr: np.ndarray) -> np.ndarray:  # every replicate raked to the same margins
        return rake_arrays(data, wr, margins, total=total, tol=tol, max_iter=max_iter).weights

    return derive(design, res.weights, adj, step, fixed_weights=fixed_weights, reweight=reweight)


def calibrate(
    design: D,
    totals: Mapping[object, object],
    method: str = "linear",
    bounds: tuple[float, float] | None = None,
    *,
    tol: float = 1e-10,
    max_iter: int = 100,
    fixed_weights: bool = False,
) -> D:
    """Calibrate to population totals (R ``calibrate``; Deville and Särndal 1992).

    ``totals`` maps a categorical column to ``{code: count}``, a numeric column to its
    population total (e.g. ``{"stype": {"E": 4421, "H": 755, "M": 1018}, "api99": 3914069}``).
    ``method`` is ``"linear"`` (GREG), ``"raking"`` or ``"logit"``; ``bounds=(L, U)`` bound
    g = new weight / design weight. SEs use GREG residuals as R's ``svyrecvar``.
    """
    data, w = frame_and_weights(design)
    res = calibrate_arrays(
        data, w, totals, method=method, bounds=bounds, tol=tol, max_iter=max_iter
    )
    cells = pd.DataFrame(
        {
            "margin": [lab.split(" = ")[0] for lab in res.labels],
            "cell": [lab.split(" = ")[1] if " = " in lab else "total" for lab in res.labels],
            "target": res.targets,
            "achieved": res.achieved,
        }
    )
    step = WeightingStep(
        f"calibrate:{method}",
        cells,
        res.iterations,
        res.max_rel_error,
        fixed_weights,
        {
            "bounds": bounds,
            "g_min": float(res.g.min()),
            "g_max": float(res.g.max()),
            "spec": ("totals", totals, None),
        },
    )
    adj = GregAdjustment(res.basis, res.g * np.sqrt(w))

    def reweight(wr: np.ndarray) -> np.ndarray:  # R's calibrate.svyrep.design
        return calibrate_arrays(
            data, wr, totals, method=method, bounds=bounds, tol=tol, max_iter=max_iter
        ).weights

    return derive(design, res.weights, adj, step, fixed_weights=fixed_weights, reweight=reweight)


def trim(
    design: D,
    lower: float | None = None,
    upper: float | None = None,
    *,
    strict: bool = False,
    fixed_weights: bool = False,
) -> D:
    """Trim weights to ``[lower, upper]`` and share the excess equally (R ``trimWeights``).

    Earlier calibration adjustments of the SEs are kept unchanged, as in R.
    """
    _, w = frame_and_weights(design)
    new_w = trim_array(w, lower, upper, strict=strict)
    changed = int((new_w != w).sum())
    step = WeightingStep(
        "trim",
        pd.DataFrame(columns=["margin", "cell", "target", "achieved"]),
        0,
        0.0,
        fixed_weights,
        {"lower": lower, "upper": upper, "strict": strict, "changed": changed},
    )

    def reweight(wr: np.ndarray) -> np.ndarray:  # every replicate trimmed the same way
        return trim_array(wr, lower, upper, strict=strict)

    return derive(design, new_w, None, step, fixed_weights=fixed_weights, reweight=reweight)


def rake_trim(
    design: D,
    margins: Mapping[object, object],
    *,
    lower: float | None = None,
    upper: float | None = None,
    total: float | None = None,
    tol: float = 1e-10,
    bound_tol: float = 1e-6,
    max_iter: int = 1000,
    max_rounds: int = 200,
    fixed_weights: bool = False,
) -> D:
    """Alternate raking and trimming until the margins and the weight bounds both hold.

    Each round rakes to ``margins`` (to ``tol``), then clips the weights to
    ``[lower, upper]``; it stops when the raked weights are within the bounds up to a relative
    ``bound_tol`` (Kolenikov 2014, "Calibrating survey data using iterative proportional
    fitting (raking)", Stata J. 14). SEs use the raking residuals of the final raking.
    """
    data, w0 = frame_and_weights(design)
    if design.variance_method != "linearisation":
        raise WeightingError(
            "rake_trim needs a linearisation design",
            item="design",
            hint="on a replicate design call design.rake(...) and then design.trim(...)",
        )
    lo = -np.inf if lower is None else float(lower)
    hi = np.inf if upper is None else float(upper)
    prepared, cells = prepare_margins(data, margins, total=total)
    n = w0.size
    pop = float(prepared[0].targets.sum())
    if lo * n > pop or hi * n < pop:
        raise WeightingError(
            f"{n} weights between {lo:g} and {hi:g} cannot add up to the population {pop:.6g}",
            item=["lower", "upper"],
            hint="choose bounds around the mean weight population / sample size",
        )
    w = w0
    total_iter = 0
    for _round in range(1, max_rounds + 1):
        full, it, worst, achieved = ipf_cells(
            cells, prepared, cells.cell_sums(w), tol=tol, max_iter=max_iter
        )
        total_iter += it
        if worst > tol:
            raise WeightingError(
                f"raking did not converge in round {_round} of raking and trimming "
                f"(largest relative margin error {worst:.3g})",
                item=[m.label for m in prepared],
                hint="widen the bounds or collapse sparse categories",
            )
        w = w * full[cells.row_cell]
        over = max(
            float(np.max((lo - w) / abs(lo))) if np.isfinite(lo) and lo != 0 else -1.0,
            float(np.max((w - hi) / abs(hi))) if np.isfinite(hi) else -1.0,
        )
        if over <= bound_tol:
            res = RakeResult(w, total_iter, worst, prepared, cells, achieved)
            step = WeightingStep(
                "rake_trim",
                _cells_frame(prepared, achieved),
                total_iter,
                worst,
                fixed_weights,
                {
                    "lower": lower,
                    "upper": upper,
                    "rounds": _round,
                    "spec": ("margins", margins, total),
                },
            )
            adj = None if fixed_weights else _raking_adjustment(res)
            return derive(design, w, adj, step, fixed_weights=fixed_weights)
        w = np.clip(w, lo, hi)
    raise WeightingError(
        f"raking and trimming did not settle within max_rounds={max_rounds}: weights still "
        f"exceed the bounds by a relative {over:.3g}",
        item=["lower", "upper"],
        hint="widen the bounds, or collapse categories whose targets force extreme weights",
    )
