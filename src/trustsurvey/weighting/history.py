"""What weighting did to a design: one :class:`WeightingStep` per operation.

Designs returned by the weighting functions remember their steps (margins with targets and
achieved totals, iterations, final discrepancy) for :func:`weighting_diagnostics`, without
adding anything to the design object itself.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import pandas as pd

_HISTORY: dict[int, list[WeightingStep]] = {}


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
    details: dict = field(default_factory=dict)


def _forget(key: int) -> None:
    _HISTORY.pop(key, None)


def record(design: object, steps: list[WeightingStep]) -> None:
    """Attach ``steps`` to ``design`` for as long as it lives."""
    key = id(design)
    try:
        weakref.finalize(design, _forget, key)
    except TypeError:  # cannot track its lifetime: keep no history rather than a stale one
        return
    _HISTORY[key] = list(steps)


def history(design: object) -> list[WeightingStep]:
    """Weighting steps that produced ``design`` (empty for an unweighted design)."""
    return list(_HISTORY.get(id(design), []))
