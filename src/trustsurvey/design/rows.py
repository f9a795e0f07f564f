"""Which rows a design error points at, said so that a user reads it right.

A :class:`~trustsurvey.errors.DesignError` lists offending rows of the design's data. The
frame's index labels are what a notebook user can ``.loc`` with, but "row 3, 7" reads as
1-based data rows. :func:`row_ref` renders both when the index is the default
``RangeIndex`` (data row = position + 1) and says "index labels" otherwise. The returned
:class:`RowRef` is a ``str`` (so the error renders it as is) that also carries the 0-based
``positions`` and the index ``labels``, so a caller such as the study pipeline can translate
them to a file and its data rows (:func:`trustsurvey.study.locate.locate`).

Examples
--------
>>> import numpy as np, pandas as pd
>>> str(row_ref(pd.RangeIndex(10), np.isin(np.arange(10), [3, 7])))
'4, 8 (1-based data rows; index labels 3, 7)'
>>> ref = row_ref(pd.Index(["a", "b", "c"]), np.array([True, False, True]))
>>> str(ref), ref.positions, ref.labels
('index labels a, c', (0, 2), ('a', 'c'))
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: at most this many rows are listed (the total is said)
LIMIT = 10


class RowRef(str):
    """Rendered row list (a ``str``) with the ``positions`` (0-based), ``labels`` and
    ``count`` (all offending rows, the first :data:`LIMIT` are listed) behind it."""

    positions: tuple[int, ...]
    labels: tuple
    count: int  # type: ignore[assignment]  # shadows str.count on purpose

    def __new__(
        cls, text: str, positions: Sequence[int] | np.ndarray, labels: Sequence, count: int
    ) -> RowRef:
        obj = super().__new__(cls, text)
        obj.positions = tuple(int(p) for p in positions)
        obj.labels = tuple(_plain(v) for v in labels)
        obj.count = int(count)
        return obj

    def __reduce__(self):  # keep pickling (multiprocessing) working
        return (RowRef, (str(self), self.positions, self.labels, self.count))


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


def _is_default(index: pd.Index) -> bool:
    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1


def row_ref(index: pd.Index, bad: np.ndarray | Sequence[bool] | Sequence[int]) -> RowRef:
    """The rows of ``index`` selected by ``bad`` (a boolean mask, or 0-based positions).

    Default ``RangeIndex``: ``"4, 8 (1-based data rows; index labels 3, 7)"``; any other
    index: ``"index labels a, b"``. At most :data:`LIMIT` rows are listed, then the total.
    """
    arr = np.asarray(bad)
    positions = np.flatnonzero(arr) if arr.dtype == bool else arr.astype(int).ravel()
    count = len(positions)
    shown = positions[:LIMIT]
    labels = [_plain(v) for v in index[shown]]
    more = f", … ({count} in all)" if count > LIMIT else ""
    lab = ", ".join(str(v) for v in labels) + more
    if _is_default(index):
        rows = ", ".join(str(p + 1) for p in shown) + more
        text = f"{rows} (1-based data rows; index labels {', '.join(str(v) for v in labels)})"
    else:
        text = f"index labels {lab}"
    return RowRef(text, shown, labels, count)
