"""What weighting did to a design: one :class:`WeightingStep` per operation.

Designs returned by the weighting functions carry their steps (margins with targets and
achieved totals, iterations, final discrepancy) in
:attr:`trustsurvey.design.Design.history`, kept through ``subset`` and ``with_columns``, for
:func:`weighting_diagnostics`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from trustsurvey.design.base import Design


@dataclass(frozen=True)
class WeightingStep:
    """One weighting operation.

    ``cells`` is a tidy frame with columns ``margin, cell, target, achieved`` (empty for
    trimming); ``iterations`` and ``max_rel_error`` as reached at convergence.
    """

    method: str
    cells: pd.DataFrame
    iterations: int = 0
    max_rel_error: float = 0.0
    fixed_weights: bool = False
    details: dict[str, Any] = field(default_factory=dict)


def history(design: Design) -> list[WeightingStep]:
    """Weighting steps that produced ``design`` (empty for an unweighted design)."""
    return list(design.history)
