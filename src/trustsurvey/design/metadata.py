"""What a result frame cannot hold in its columns: covariance matrix, model, cells.

Result frames (``estimate, se, ci_low, ...``) stay plain DataFrames with empty
``DataFrame.attrs``, so ``pd.concat``, Parquet and ``copy`` behave as for any frame. What
belongs to the estimate but not to a column is kept beside the very frame object the
estimator returned (not in ``attrs``, not copied by ``copy``, ``loc`` or ``concat``) and read
with explicit calls:

* :func:`vcov` — the covariance matrix of the rows (``covmat=True`` of ``mean``, ``total``,
  ``proportion``, ``ratio``; always for ``glm``, ``olr``, ``contrast``), labelled like the rows
  (or the model terms);
* :func:`result_info` — everything else, a read-only mapping: ``level``, ``by``,
  ``n_missing_by``, ``empty_groups`` (domain estimates), ``method`` (proportions),
  ``variable`` (quantiles), ``formula``, ``family``, ``terms``, ``df_residual``, ``n``
  (models), ``cells``, ``model``, ``event_study``, ``pretrend`` ... (analysis functions; their
  docstrings list theirs).

A frame derived from a result (a selection, a copy) has no metadata: take it from the
original. :func:`annotate` is how estimators record it.

>>> import pandas as pd
>>> from trustsurvey.design import SurveyDesign, result_info, vcov
>>> df = pd.DataFrame({"psu": [1, 1, 2, 2, 3, 3], "y": [1.0, 2, 3, 4, 5, 6],
...                    "x": [1.0, 1, 2, 2, 3, 4], "w": [1.0] * 6})
>>> res = SurveyDesign(df, ids="psu", weights="w").mean(["y", "x"], covmat=True)
>>> vcov(res).shape, res.attrs, result_info(res)["level"]
((2, 2), {}, 0.95)
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, TypeAlias, TypeVar

import numpy as np
import pandas as pd

from trustsurvey.errors import DesignError

_SLOT = "_trustsurvey_result_info"
R = TypeVar("R", pd.DataFrame, pd.Series)


Result: TypeAlias = pd.DataFrame | pd.Series


def _store(frame: Result) -> dict[str, Any]:
    info = frame.__dict__.get(_SLOT)
    if info is None:
        info = {}
        object.__setattr__(frame, _SLOT, info)  # bypasses pandas' column assignment
    return info


def annotate(frame: R, **fields: Any) -> R:
    """Record ``fields`` as metadata of ``frame`` (a result DataFrame, or a Series) merged
    with earlier ones; returns ``frame``.

    ``covmat`` may be an array: it is labelled with the frame's index (rows of an estimate
    frame; use a DataFrame to label model terms).
    """
    if not isinstance(frame, pd.DataFrame | pd.Series):
        raise TypeError(f"metadata belongs to a DataFrame, not {type(frame).__name__}")
    cov = fields.get("covmat")
    if cov is not None and not isinstance(cov, pd.DataFrame):
        fields["covmat"] = pd.DataFrame(np.asarray(cov), index=frame.index, columns=frame.index)
    _store(frame).update(fields)
    return frame


def take(result: pd.DataFrame, rows: np.ndarray | list[int]) -> pd.DataFrame:
    """The rows at positions ``rows`` of a result, with its metadata and the matching block
    of its covariance matrix (a selection made any other way has no metadata).

    >>> import pandas as pd
    >>> res = annotate(pd.DataFrame({"estimate": [1.0, 2.0]}, index=["a", "b"]),
    ...                covmat=[[1.0, 0.1], [0.1, 2.0]])
    >>> vcov(take(res, [1, 0])).to_numpy().tolist()
    [[2.0, 0.1], [0.1, 1.0]]
    """
    pos = np.asarray(rows, dtype=np.int64)
    out = result.iloc[pos].copy()
    info = dict(result_info(result))
    if info.get("covmat") is not None:
        info["covmat"] = info["covmat"].iloc[pos, pos]
    return annotate(out, **info)


def relabel(result: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (the rows of ``result`` in the same order, e.g. with a new index) with the
    metadata of ``result``, its covariance matrix labelled like ``frame``'s rows."""
    if len(frame) != len(result):
        raise ValueError(f"{len(frame)} rows cannot take the metadata of {len(result)}")
    info = dict(result_info(result))
    if info.get("covmat") is not None:
        info["covmat"] = info["covmat"].to_numpy()
    return annotate(frame, **info)


def result_info(result: Result) -> Mapping[str, Any]:
    """The metadata of a result frame as a read-only mapping (empty if it has none)."""
    info = result.__dict__.get(_SLOT) if isinstance(result, pd.DataFrame | pd.Series) else None
    return MappingProxyType(info if info is not None else {})


def has_vcov(result: pd.DataFrame) -> bool:
    """Whether :func:`vcov` of ``result`` has a covariance matrix to give."""
    return result_info(result).get("covmat") is not None


def vcov(result: pd.DataFrame) -> pd.DataFrame:
    """The covariance matrix of a result's rows (or a model's coefficients), R's ``vcov``.

    A :class:`DesignError` if the estimate was made without it (``covmat=False``) or the
    frame is a copy or selection of a result rather than the result itself.
    """
    cov = result_info(result).get("covmat")
    if cov is None:
        raise DesignError(
            "this result has no covariance matrix",
            item="covmat",
            hint="estimate with covmat=True (models always have one) and pass the frame the "
            "estimator returned, not a copy or a selection of it",
        )
    return cov
