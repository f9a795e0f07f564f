"""Point a design error at the wave file and its 1-based data row.

The pipeline's analysis frame stacks the waves (``ignore_index=True``) and cleaning drops
rows, so the rows a :class:`~trustsurvey.errors.DesignError` lists (positions in the design's
data, see :func:`trustsurvey.design.rows.row_ref`) mean nothing to a user. The frame carries
``source_file`` and ``source_row`` (1-based data row in that file, kept through cleaning);
:func:`locate` translates through them.

Examples
--------
>>> import pandas as pd
>>> from trustsurvey.design.rows import row_ref
>>> from trustsurvey.errors import DesignError
>>> frame = pd.DataFrame({"source_file": ["w1.csv", "w2.csv"], "source_row": [7, 3]})
>>> err = DesignError("weight is missing", item="w", row=row_ref(frame.index, [1]))
>>> print(locate(frame, err))
w2.csv, item w, row 3: weight is missing.
"""

from __future__ import annotations

import pandas as pd

from trustsurvey.errors import DesignError

#: the columns the analysis frame carries for :func:`locate`
SOURCE_COLUMNS = ("source_file", "source_row")


def locate(frame: pd.DataFrame | None, err: DesignError) -> DesignError:
    """``err`` with ``file=`` and ``row=`` (1-based data rows of that file) from ``frame``'s
    ``source_file`` / ``source_row`` columns; ``err`` itself if it cannot be translated
    (no row positions, frame without those columns, or positions outside ``frame``).

    ``frame`` must be the data the design was built on (``design.data``). Rows from several
    files are listed as ``file:row``.
    """
    positions = getattr(err.row, "positions", None)
    if (
        err.file is not None
        or frame is None
        or not positions
        or any(c not in frame.columns for c in SOURCE_COLUMNS)
        or max(positions) >= len(frame)
    ):
        return err
    picked = frame.iloc[list(positions)]
    files = list(dict.fromkeys(str(f) for f in picked["source_file"]))
    rows = [int(r) for r in picked["source_row"]]
    message = err.message
    count = getattr(err.row, "count", len(positions))
    if count > len(positions):
        message += f" (the first {len(positions)} of {count} rows listed)"
    if len(files) == 1:
        new = DesignError(message, file=files[0], row=rows, item=err.item, hint=err.hint)
    else:
        where = [f"{f}:{r}" for f, r in zip(picked["source_file"], rows, strict=True)]
        new = DesignError(message, file=", ".join(files), row=where, item=err.item, hint=err.hint)
    return new
