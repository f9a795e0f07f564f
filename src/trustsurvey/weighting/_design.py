"""The weighting package's only contact with a design (:class:`trustsurvey.design.Design`).

Reads a design's data and weights, and builds the new design through the documented hook
:meth:`~trustsurvey.design.Design.replace_weights`; the step joins the design's
:attr:`~trustsurvey.design.Design.history`.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import pandas as pd

from trustsurvey.design.base import Design, Reweight
from trustsurvey.design.variance import InfluenceAdjustment
from trustsurvey.errors import WeightingError
from trustsurvey.weighting.history import WeightingStep

D = TypeVar("D", bound=Design)


def frame_and_weights(design: Design) -> tuple[pd.DataFrame, np.ndarray]:
    """The design's data frame and its weights as floats, checked positive and finite."""
    if not isinstance(design, Design):
        raise WeightingError(
            f"expected a SurveyDesign, got {type(design).__name__}",
            hint="build one first: SurveyDesign(frame, ids=..., strata=..., weights=...)",
        )
    data = design.data
    w = np.asarray(design.weights, dtype=float)
    if w.size and w.min() > 0 and np.isfinite(w.max()):
        return data, w
    bad = ~np.isfinite(w) | (w <= 0)
    if bad.any():
        rows = [int(i) + 1 for i in np.flatnonzero(bad)]
        raise WeightingError(
            f"{len(rows)} design weight(s) are zero, negative or missing",
            row=rows,
            item="weights",
            hint="fix the design weights (every respondent needs a positive weight), or "
            "exclude those respondents explicitly before weighting; weight the full design "
            "before taking a subset",
        )
    return data, w


def derive(
    design: D,
    weights: np.ndarray,
    adjustment: InfluenceAdjustment | None,
    step: WeightingStep,
    *,
    fixed_weights: bool,
    reweight: Reweight | None = None,
) -> D:
    """A new design with ``weights``; its SEs use ``adjustment`` (linearisation) or
    ``reweight`` applied to every replicate's weights (replicates) unless ``fixed_weights``."""
    # fixed weights: as R's svydesign(weights = new weights), no calibration residuals at all
    new = design.replace_weights(
        weights,
        calibration=None if fixed_weights else adjustment,
        keep_calibration=not fixed_weights,
        reweight=None if fixed_weights else reweight,
    )
    return new.with_history([*design.history, step])
