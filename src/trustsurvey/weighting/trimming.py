"""Weight trimming with redistribution, as R's ``trimWeights``.

Weights below ``lower`` are raised to it and weights above ``upper`` lowered to it; the
amount trimmed is shared *equally* among the weights that were inside the bounds, so the total
stays the same (R ``survey::trimWeights``, Lumley 2010 sec. 7.5). The redistribution can push
weights past a bound again; ``strict=True`` repeats until every weight is within the bounds.

Examples
--------
>>> import numpy as np
>>> trim_array(np.array([1.0, 2.0, 3.0, 10.0]), upper=6).round(4).tolist()
[2.3333, 3.3333, 4.3333, 6.0]
"""

from __future__ import annotations

import numpy as np

from trustsurvey.errors import WeightingError

MAX_STRICT_ROUNDS = 10_000


def _check_bounds(w: np.ndarray, lower: float, upper: float) -> None:
    if lower > upper:
        raise WeightingError(
            f"lower bound {lower:g} is above upper bound {upper:g}",
            item=["lower", "upper"],
            hint="swap them",
        )
    total, n = float(w.sum()), w.size
    if lower * n > total * (1 + 1e-12) or upper * n < total * (1 - 1e-12):
        raise WeightingError(
            f"no weights between {lower:g} and {upper:g} can keep the total {total:.6g} of "
            f"{n} weights (mean weight {total / n:.6g})",
            item=["lower", "upper"],
            hint="choose bounds around the mean weight",
        )


def trim_array(
    weights: np.ndarray,
    lower: float | None = None,
    upper: float | None = None,
    *,
    strict: bool = False,
) -> np.ndarray:
    """Trimmed copy of ``weights`` (R ``trimWeights(design, upper, lower, strict)``)."""
    lo = -np.inf if lower is None else float(lower)
    hi = np.inf if upper is None else float(upper)
    w = np.asarray(weights, dtype=float).copy()
    _check_bounds(w, lo, hi)
    for _ in range(MAX_STRICT_ROUNDS):
        outside = (w < lo) | (w > hi)
        if not outside.any():
            return w
        new = np.clip(w, lo, hi)
        inside = ~outside
        if not inside.any():
            raise WeightingError(
                "every weight is outside the bounds, so nothing can take up the trimmed amount",
                item=["lower", "upper"],
                hint="choose bounds around the mean weight",
            )
        new[inside] += (w - new).sum() / inside.sum()
        w = new
        if not strict:
            return w
    raise WeightingError(
        f"strict trimming did not settle within {MAX_STRICT_ROUNDS} rounds",
        item=["lower", "upper"],
        hint="widen the bounds",
    )
