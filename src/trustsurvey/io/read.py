"""``read_survey``: one entry point for every supported data file.

Examples
--------
>>> sd = read_survey("tests/fixtures/trust/trust_two_waves.sav")   # doctest: +SKIP
>>> sd.analysis()["q7_trust"].isna().sum()                      # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from trustsurvey.io.files import check_readable, file_format
from trustsurvey.io.survey_data import MissingSpec, SurveyData, normalise_missing_codes


def read_survey(
    path: str | Path,
    encoding: str | None = None,
    missing_codes: MissingSpec | None = None,
    chunksize: int | None = None,
    progress: bool | None = None,
    *,
    value_labels: Mapping[str, Mapping[Any, str]] | None = None,
    variable_labels: Mapping[str, str] | None = None,
    multiple: Mapping[str, list[Any]] | None = None,
    sheet: str | int | None = None,
) -> SurveyData:
    """Read a survey data file, keeping every label and missing-value code.

    Parameters
    ----------
    path
        ``.sav``, ``.zsav``, ``.por``, ``.csv``, ``.xlsx`` or ``.parquet``; never modified.
    encoding
        Text encoding (SPSS: forces the code page, e.g. ``"cp1251"``; CSV: the file's
        encoding, default UTF-8 with or without BOM).
    missing_codes
        Missing-answer codes declared elsewhere (e.g. ``questionnaire.missing_codes()``):
        ``{column: [codes]}`` or ``{column: {code: label}}``; added to the file's own.
    chunksize, progress
        Chunked reading of big SPSS files and its progress bar (None: automatic).
    value_labels, variable_labels
        CSV/XLSX only: labels to attach (e.g. from a questionnaire). A Kobo "labels" export
        (headers and answers as text) is mapped back to names and codes with them.
    multiple
        CSV/XLSX only: ``{item: [option codes]}`` for select-multiple answers stored as one
        space-separated column; expanded to ``item_option`` 0/1 columns.
    sheet
        XLSX only: the sheet with the data (default: "data" if present, else the first).

    Returns
    -------
    SurveyData
        ``.data`` raw codes, ``.meta`` the file's metadata, ``.analysis()`` the analysis view.
    """
    p = check_readable(path)
    fmt = file_format(p)
    if fmt in ("sav", "zsav", "por"):
        from trustsurvey.io.spss import read_spss

        sd = read_spss(p, encoding=encoding, chunksize=chunksize, progress=progress)
    elif fmt == "parquet":
        from trustsurvey.io.parquet import read_parquet

        sd = read_parquet(p)
    else:
        from trustsurvey.io.tabular import read_tabular

        sd = read_tabular(
            p,
            fmt,
            encoding=encoding,
            value_labels=value_labels,
            variable_labels=variable_labels,
            multiple=multiple,
            sheet=sheet,
        )
    if missing_codes:
        sd.extra_missing = normalise_missing_codes(missing_codes)
    return sd
