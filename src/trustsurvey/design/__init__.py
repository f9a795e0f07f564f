"""Design-based estimation: ``SurveyDesign`` (Taylor linearisation) and replicate designs.

Both designs are a :class:`~trustsurvey.design.base.Design` (one interface; the variance
engine, linearisation or replicates, is what differs). Conformant with R's ``survey``
package (Lumley) to a relative 1e-6: ``svydesign`` (multistage, strata, fpc, lonely PSUs),
``svymean/svytotal/svyratio/svyquantile/svyciprop``, ``svyby`` domains (variance from the
full design), ``svycontrast``, ``regTermTest``, ``svyttest``, ``svychisq``, ``svyglm`` and
``as.svrepdesign``/``svrepdesign``. Result metadata (covariance matrix, model): :func:`vcov`
and :func:`result_info` (:mod:`.metadata`).

Modules: :mod:`.base` (the ``Design`` interface), :mod:`.structure` (factorised stages),
:mod:`.variance` (the one variance routine), :mod:`.estimators`, :mod:`.proportion`,
:mod:`.quantile`, :mod:`.contrast` (with :mod:`.expression`, the safe parser of non-linear
contrasts), :mod:`.models`, :mod:`.tests`, :mod:`.replicate`, :mod:`.metadata`, :mod:`.core`
(the thin ``SurveyDesign`` class).

Calibration hook (for :mod:`trustsurvey.weighting`)
----------------------------------------------------
Every linearised estimator builds weighted influence values ``Z`` (``n x k``, rows in data
order, zero outside the domain) and hands them to
:func:`trustsurvey.design.variance.design_covariance`, which

1. applies the design's calibration adjustments in order — each an object with a method
   ``adjust(scores: np.ndarray) -> np.ndarray`` (protocol
   :class:`~trustsurvey.design.variance.InfluenceAdjustment`) — to ``Z``. This is R's
   ``svyrecvar(..., postStrata=)``: post-stratification subtracts the weighted post-stratum
   means of ``Z/w`` (times ``w``), raking repeats such sweeps over the margins, GREG
   calibration takes ``qr.resid(qr(X * sqrt(w)), Z / w) * w`` style residuals;
2. sums ``Z`` to the sampling units and aggregates stage by stage (strata centring, fpc,
   lonely-PSU rules).

A weighting function builds a calibrated design with
``design.replace_weights(new_weights, calibration=adjustment_or_list, reweight=step)``
(:class:`~trustsurvey.design.base.Design`): same data, structure and domain, new weights,
and the adjustments appended to ``design.calibration`` (earlier ones kept;
``keep_calibration=False`` drops them, for weights taken as fixed); a replicate design
applies ``step`` to every replicate's weights instead.
Estimators use a faster path only when ``design.calibration`` is empty, so calibrated designs
always go through step 1: unit-by-domain totals from ``np.bincount`` over the (unit, domain)
pairs that occur, and per-stratum sums of squared deviations from those pairs
(:func:`~trustsurvey.design.variance.pair_variances`), so memory stays ``O(n)`` however many
units and domains there are.

>>> import pandas as pd
>>> from trustsurvey.design import SurveyDesign
>>> df = pd.DataFrame({"psu": [1, 1, 2, 2, 3, 3], "y": [1.0, 2, 3, 4, 5, 6], "w": [2.0] * 6})
>>> SurveyDesign(df, ids="psu", weights="w").mean("y")[["estimate", "n"]].to_dict("index")
{'y': {'estimate': 3.5, 'n': 6}}
"""

from __future__ import annotations

from trustsurvey.design.base import Design
from trustsurvey.design.core import SurveyDesign
from trustsurvey.design.metadata import result_info, vcov
from trustsurvey.design.variance import InfluenceAdjustment, design_covariance

__all__ = [
    "Design",
    "InfluenceAdjustment",
    "ReplicateDesign",
    "SurveyDesign",
    "design_covariance",
    "result_info",
    "vcov",
]


def __getattr__(name: str) -> type:
    if name == "ReplicateDesign":
        from trustsurvey.design.replicate import ReplicateDesign

        return ReplicateDesign
    raise AttributeError(f"module 'trustsurvey.design' has no attribute {name!r}")
