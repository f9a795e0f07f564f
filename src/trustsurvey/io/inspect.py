"""The data dictionary of a survey file: one row per variable.

Examples
--------
>>> import pandas as pd
>>> from trustsurvey.io import FileMetadata, SurveyData
>>> sd = SurveyData(pd.DataFrame({"q": [1.0, 8.0, None]}),
...                 FileMetadata(column_names=["q"], variable_labels={"q": "Довіра"},
...                              missing_values={"q": [8.0]}))
>>> cols = ["variable", "n_valid", "n_missing_code", "n_system_missing"]
>>> data_dictionary(sd)[cols].to_dict("records")
[{'variable': 'q', 'n_valid': 1, 'n_missing_code': 1, 'n_system_missing': 1}]
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from trustsurvey.io.survey_data import SurveyData

COLUMNS = [
    "variable",
    "label",
    "type",
    "measure",
    "format",
    "value_labels",
    "missing_values",
    "missing_ranges",
    "n_valid",
    "n_missing_code",
    "n_system_missing",
    "n_distinct",
]


def _kind(series: pd.Series) -> str:
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime"
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_numeric_dtype(series):
        return "numeric"
    return "string"


def data_dictionary(sd: SurveyData) -> pd.DataFrame:
    """One row per column of ``sd.data`` with its labels, missing codes and counts.

    Columns: variable, label, type (numeric/string/datetime/bool), measure, format,
    value_labels ({code: label}), missing_values (discrete user-missing codes, the file's and
    any declared extra), missing_ranges ([(lo, hi)]), n_valid, n_missing_code (cells holding a
    declared missing code), n_system_missing (empty cells), n_distinct (distinct non-empty
    values, missing codes included).
    """
    counts = sd.missing_counts().set_index("variable")
    declared = sd.declared_missing()
    meta = sd.meta
    rows = []
    for col in sd.data.columns:
        series = sd.data[col]
        spec = declared.get(col, {"values": [], "ranges": []})
        rows.append(
            {
                "variable": col,
                "label": meta.variable_labels.get(col, ""),
                "type": _kind(series),
                "measure": meta.measure.get(col, ""),
                "format": meta.formats.get(col, ""),
                "value_labels": dict(meta.value_labels.get(col, {})),
                "missing_values": list(spec["values"]),
                "missing_ranges": [tuple(r) for r in spec["ranges"]],
                "n_valid": int(counts.loc[col, "n_valid"]),
                "n_missing_code": int(counts.loc[col, "n_missing_code"]),
                "n_system_missing": int(counts.loc[col, "n_system_missing"]),
                "n_distinct": int(series.nunique(dropna=True)),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def inspect_file(
    path: str | Path, *, encoding: str | None = None, missing_codes: dict | None = None
) -> pd.DataFrame:
    """Read ``path`` (any supported format) and return its data dictionary.

    >>> inspect_file("tests/fixtures/trust/trust_two_waves.sav").shape[1]   # doctest: +SKIP
    12
    """
    from trustsurvey.io.read import read_survey

    return data_dictionary(read_survey(path, encoding=encoding, missing_codes=missing_codes))
