"""Parquet with labels: metadata travels as JSON in the schema metadata (key ``trustsurvey``).

Examples
--------
>>> read_parquet("survey.parquet")   # doctest: +SKIP
"""

from __future__ import annotations

import json
from pathlib import Path

from trustsurvey.errors import InputFileError
from trustsurvey.io.metadata import FileMetadata
from trustsurvey.io.survey_data import SurveyData
from trustsurvey.io.write import PARQUET_KEY, metadata_from_full


def read_parquet(path: str | Path) -> SurveyData:
    """Read a Parquet file; labels and missing codes come back if trustsurvey wrote it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = Path(path)
    try:
        table = pq.read_table(p)
    except (pa.ArrowException, OSError) as err:
        raise InputFileError(
            f"cannot read this Parquet file ({err})",
            file=str(p),
            hint="check that it is a complete Parquet file; copy or export it again",
        ) from err
    try:
        frame = table.to_pandas().reset_index(drop=True)
    except (pa.ArrowException, ValueError, TypeError, KeyError, IndexError) as err:
        # e.g. the pandas metadata in the schema is not valid JSON (a damaged file)
        raise InputFileError(
            f"cannot turn this Parquet file into a table; its pandas metadata is damaged "
            f"({type(err).__name__}: {err})",
            file=str(p),
            hint="check that it is a complete Parquet file; copy or export it again",
        ) from err
    raw = (table.schema.metadata or {}).get(PARQUET_KEY)
    if raw:
        try:
            meta, extra = metadata_from_full(json.loads(raw.decode("utf-8")))
        except (ValueError, TypeError, KeyError) as err:
            raise InputFileError(
                "the trustsurvey metadata stored in this Parquet file is damaged",
                file=str(p),
                hint="write the file again with trustsurvey",
            ) from err
        meta.file, meta.format = str(p), "parquet"
    else:
        meta, extra = FileMetadata(file=str(p), format="parquet"), {}
    meta.column_names = list(frame.columns)
    meta.n_rows = len(frame)
    return SurveyData(frame, meta, extra)
