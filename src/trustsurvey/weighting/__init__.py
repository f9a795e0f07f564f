"""Weighting: post-stratification, raking, calibration, trimming, nonresponse, diagnostics.

Every function takes a :class:`~trustsurvey.design.SurveyDesign` and returns a new one, as R's
``survey`` package does (Lumley 2010, ch. 7); estimates from the new design carry
calibration-adjusted standard errors unless ``fixed_weights=True``.

>>> from trustsurvey.weighting import rake, calibrate, poststratify, trim  # doctest: +SKIP
"""

from __future__ import annotations

from trustsurvey.weighting.diagnostics import (
    WeightingDiagnostics,
    diagnostics_figure,
    weighting_diagnostics,
)
from trustsurvey.weighting.groups import weight_by_group
from trustsurvey.weighting.history import WeightingStep, history
from trustsurvey.weighting.methods import calibrate, poststratify, rake, rake_trim, trim
from trustsurvey.weighting.nonresponse import (
    aapor_rates,
    nonresponse_adjust,
    propensity_classes,
)
from trustsurvey.weighting.targets import Targets, load_targets

__all__ = [
    "Targets",
    "WeightingDiagnostics",
    "WeightingStep",
    "aapor_rates",
    "calibrate",
    "diagnostics_figure",
    "history",
    "load_targets",
    "nonresponse_adjust",
    "poststratify",
    "propensity_classes",
    "rake",
    "rake_trim",
    "trim",
    "weight_by_group",
    "weighting_diagnostics",
]
