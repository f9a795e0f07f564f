"""Small input checks shared by the analysis functions (one error format)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from trustsurvey.errors import AnalysisError


def require_columns(data: pd.DataFrame, columns: Sequence[str], *, what: str = "data") -> None:
    """AnalysisError naming every column of ``columns`` missing from ``data``."""
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise AnalysisError(
            f"column(s) not in the {what}",
            item=missing,
            hint=f"available columns: {', '.join(map(str, data.columns[:30]))}",
        )


def numeric_items(data: pd.DataFrame, items: Sequence[str], *, min_items: int = 2) -> pd.DataFrame:
    """The item columns as floats; clear errors for too few items, text or empty items."""
    items = list(items)
    if len(items) < min_items:
        raise AnalysisError(
            f"at least {min_items} items are needed, got {len(items)}",
            item=items,
            hint="pass the item columns of one scale",
        )
    require_columns(data, items)
    out = {}
    for col in items:
        s = data[col]
        if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
            raise AnalysisError(
                "item is not numeric",
                item=col,
                hint="recode text answers to numbers (use the questionnaire's codes)",
            )
        values = s.astype("float64")
        if values.notna().sum() == 0:
            raise AnalysisError(
                "item has no valid answers",
                item=col,
                hint="check that missing codes were not applied to every answer, or drop the item",
            )
        out[col] = values
    return pd.DataFrame(out, index=data.index)


def weights_of(data: pd.DataFrame, weights: str | None) -> np.ndarray:
    """The weight column as floats (ones when ``weights`` is None); errors for bad weights."""
    if weights is None:
        return np.ones(len(data))
    require_columns(data, [weights])
    w = pd.to_numeric(data[weights], errors="coerce").to_numpy(dtype="float64")
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if bad.size:
        raise AnalysisError(
            "weights must be finite and non-negative",
            item=weights,
            row=[int(i) + 1 for i in bad],
            hint="fix or drop the respondents with missing or negative weights first",
        )
    return w
