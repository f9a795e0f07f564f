"""The weighting room's only contact with :class:`trustsurvey.design.SurveyDesign`.

Reads a design's data and weights, and builds the new design through the design room's
documented hook ``design._replace_weights(new_weights, calibration=...)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trustsurvey.errors import WeightingError
from trustsurvey.weighting.history import WeightingStep, history, record


def frame_and_weights(design: object) -> tuple[pd.DataFrame, np.ndarray]:
    """The design's data frame and its weights as floats, checked positive and finite."""
    data = getattr(design, "data", None)
    weights = getattr(design, "weights", None)
    if not isinstance(data, pd.DataFrame) or weights is None:
        raise WeightingError(
            f"expected a SurveyDesign, got {type(design).__name__}",
            hint="build one first: SurveyDesign(frame, ids=..., strata=..., weights=...)",
        )
    w = np.asarray(weights, dtype=float)
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
    design: object,
    weights: np.ndarray,
    adjustment: object | None,
    step: WeightingStep,
    *,
    fixed_weights: bool,
) -> object:
    """A new design with ``weights``; its SEs use ``adjustment`` unless ``fixed_weights``."""
    replace = getattr(design, "_replace_weights", None)
    if replace is None:
        raise WeightingError(
            "this SurveyDesign has no _replace_weights hook, so weights cannot be replaced",
            hint="update trustsurvey (the design room provides the hook)",
        )
    # fixed weights: as R's svydesign(weights = new weights), no calibration residuals at all
    new = replace(
        weights,
        calibration=None if fixed_weights else adjustment,
        keep_calibration=not fixed_weights,
    )
    record(new, [*history(design), step])
    return new
