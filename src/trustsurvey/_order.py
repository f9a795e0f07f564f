"""A canonical order of a frame's rows that does not depend on their order in the file.

Used by the pipeline (respondents from ``clean`` on) and by validation (which of two identical
interviews is the original), so neither depends on where a row stands in a data file.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["canonical_order"]


def canonical_order(frame: pd.DataFrame, id_column: str | None = None) -> np.ndarray:
    """Row positions that put ``frame`` in canonical order: by ``id_column`` (numeric ids as
    numbers, missing ids last), ties and frames without an id column by the content of the
    row (a hash of every other column), then by position.

    The order depends only on the rows, not on where they stand in the file, so a permuted
    data file gives the same analysis frame and so the same sums to the last bit (floating-
    point addition is not associative: Goldberg 1991, ACM Computing Surveys 23(1)). Rows
    identical in every column are interchangeable.

    >>> f = pd.DataFrame({"resp_id": [12, 3, 7], "q": [1.0, 2.0, 3.0]})
    >>> canonical_order(f, "resp_id").tolist()
    [1, 2, 0]
    >>> canonical_order(f.iloc[[2, 0, 1]], "resp_id").tolist()
    [2, 0, 1]
    """
    others = [c for c in frame.columns if c != id_column]
    content = (
        pd.util.hash_pandas_object(frame[others], index=False).to_numpy()
        if others
        else np.zeros(len(frame), dtype=np.uint64)
    )
    keys = [content]  # np.lexsort: the last key is the primary one; ties keep positions
    if id_column is not None and id_column in frame.columns:
        ids = frame[id_column]
        numeric = pd.to_numeric(ids, errors="coerce")
        if numeric.notna().sum() == ids.notna().sum():  # numeric ids: by value
            keys.append(numeric.fillna(np.inf).to_numpy(dtype=float))
        else:  # text ids: as text, missing last
            text = [str(v) for v in ids.where(ids.notna(), "")]
            keys.append(pd.factorize(pd.Series(text, dtype=object), sort=True)[0])
            keys.append(ids.isna().to_numpy())
    return np.lexsort(keys)
