"""CSV and XLSX survey files, including KoboToolbox/ODK exports.

Only empty cells are missing (``"NA"`` or ``"n/a"`` stay text: they may be answers).
Integer columns become float64 like SPSS codes. Metadata written by trustsurvey (a CSV's
``NAME.dictionary.json`` sidecar, an XLSX "dictionary" / "_meta" sheet) is read back.

Examples
--------
>>> sd = read_tabular("kobo_export.csv", "csv")   # doctest: +SKIP
>>> sd.meta.renamed                                # doctest: +SKIP
{'problems/theft': 'problems_theft'}
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from trustsurvey.errors import InputFileError
from trustsurvey.io.encoding import check_mojibake, normalise_encoding
from trustsurvey.io.files import foreign_kind
from trustsurvey.io.kobo import (
    KOBO_TIME_COLUMNS,
    add_duration,
    expand_multiple,
    labels_to_codes,
    normalise_names,
)
from trustsurvey.io.metadata import FileMetadata
from trustsurvey.io.survey_data import SurveyData
from trustsurvey.io.write import metadata_from_full, sidecar_path


def _sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def _read_text(path: Path, encoding: str | None) -> tuple[str, str]:
    enc = encoding or "utf-8-sig"
    try:
        return path.read_text(encoding=enc), enc
    except UnicodeDecodeError as err:
        raise InputFileError(
            f"the file is not valid {enc} text (byte {err.start})",
            file=str(path),
            hint="pass the right encoding, e.g. encoding='cp1251' (Windows Cyrillic)",
        ) from err


def _check_ragged(text: str, delimiter: str, path: Path) -> None:
    reader = csv.reader(text.splitlines(), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        raise InputFileError("the CSV file has no header row", file=str(path), hint="add one")
    names = [h.strip().lstrip("\ufeff") for h in header]
    twice = sorted({h for h in names if names.count(h) > 1})
    if twice:  # pandas would silently rename the second one to NAME.1
        raise InputFileError(
            "the header names a column more than once",
            file=str(path),
            item=[h or "(empty)" for h in twice],
            hint="give every column its own name in the header row",
        )
    width = len(header)
    bad: list[int] = []
    for row_number, row in enumerate(reader, start=1):
        if row and len(row) != width:
            bad.append(row_number)
    if bad:
        raise InputFileError(
            f"rows with a different number of fields than the header's {width}",
            file=str(path),
            row=bad,
            hint="fix the quoting or the delimiters in these data rows (1 = first row after "
            "the header)",
        )


def _read_csv(path: Path, encoding: str | None) -> tuple[pd.DataFrame, str]:
    if foreign_kind(path):
        raise InputFileError(
            f"not a CSV file: it is {foreign_kind(path)}",
            file=str(path),
            hint="give the file its real extension",
        )
    text, enc = _read_text(path, encoding)
    if "\x00" in text[:4096]:
        raise InputFileError(
            "not a text file (it contains binary data)",
            file=str(path),
            hint="give the file its real extension (.sav, .xlsx, …)",
        )
    delimiter = _sniff_delimiter(text[:65536])
    _check_ragged(text, delimiter, path)
    try:
        frame = pd.read_csv(
            path,
            sep=delimiter,
            encoding=enc,
            keep_default_na=False,
            na_values=[""],
            low_memory=False,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as err:
        raise InputFileError(
            f"cannot parse the CSV file ({err})", file=str(path), hint="check delimiters/quotes"
        ) from err
    return frame, enc


def _read_xlsx(path: Path, sheet: str | int | None) -> tuple[pd.DataFrame, dict | None]:
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except Exception as err:  # openpyxl raises zipfile/KeyError/InvalidFileException variants
        kind = foreign_kind(path)
        raise InputFileError(
            f"not a readable .xlsx workbook ({kind or type(err).__name__})",
            file=str(path),
            hint="save it again from Excel/LibreOffice as .xlsx (not .xls or .csv)",
        ) from err
    with book:
        names = book.sheet_names
        chosen = sheet if sheet is not None else ("data" if "data" in names else names[0])
        if isinstance(chosen, str) and chosen not in names:
            raise InputFileError(
                f"no sheet {chosen!r} (sheets: {', '.join(names)})",
                file=str(path),
                hint="name an existing sheet",
            )
        _check_cells(path, chosen if isinstance(chosen, str) else names[chosen])
        frame = pd.read_excel(book, sheet_name=chosen, keep_default_na=False, na_values=[""])
        stored = None
        if "_meta" in names:
            pieces = pd.read_excel(book, sheet_name="_meta", dtype=str, keep_default_na=False)
            if "trustsurvey_meta" in pieces.columns:
                try:
                    stored = json.loads("".join(pieces["trustsurvey_meta"].tolist()))
                except ValueError as err:
                    raise InputFileError(
                        "the hidden '_meta' sheet is damaged",
                        file=str(path),
                        hint="delete the '_meta' sheet to read the data without labels",
                    ) from err
    if frame.shape[1] == 0 or frame.dropna(how="all").empty:
        raise InputFileError(
            f"sheet {chosen!r} has no data",
            file=str(path),
            hint="put a header row and at least one data row in the first sheet (or 'data')",
        )
    return frame, stored


def _check_cells(path: Path, sheet: str) -> None:
    """Refuse merged and formula cells in the data sheet: a merged range keeps its value in
    the first cell only (the others would read as blank) and a formula's value is not data
    (files written by programs often store no computed value, which would read as blank)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
            suspect = any(
                b"<mergeCell " in (xml := archive.read(n)) or b"<f>" in xml or b"<f " in xml
                for n in sheets
            )
    except (zipfile.BadZipFile, OSError):  # pragma: no cover - pandas reported it already
        return
    if not suspect:
        return
    import openpyxl

    try:
        ws = openpyxl.load_workbook(path, data_only=False)[sheet]
    except Exception as err:  # a damaged workbook: openpyxl raises many kinds
        raise InputFileError(
            f"not a readable .xlsx workbook ({type(err).__name__})",
            file=str(path),
            hint="save it again from Excel/LibreOffice as .xlsx (not .xls or .csv)",
        ) from err
    merged = [str(r) for r in ws.merged_cells.ranges]
    if merged:
        raise InputFileError(
            f"sheet {sheet!r} has merged cells ({_first(merged)}): only the first cell of a "
            "merged range holds its value, the others would read as blank",
            file=str(path),
            hint="unmerge the cells (Home > Merge > Unmerge) and fill in every cell",
        )
    formulas = [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]
    if formulas:
        raise InputFileError(
            f"sheet {sheet!r} has formula cells ({_first(formulas)}): a formula is not "
            "recorded data and its value may not be stored in the file",
            file=str(path),
            hint="copy the sheet and paste it as values only (Paste Special > Values), then save",
        )


def _first(cells: list[str], limit: int = 10) -> str:
    shown = ", ".join(cells[:limit])
    return shown + (f", … ({len(cells)} in all)" if len(cells) > limit else "")


def _numeric_codes(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_bool_dtype(s):
            continue
        if pd.api.types.is_integer_dtype(s) or pd.api.types.is_float_dtype(s) or s.isna().all():
            out[col] = s.astype("float64")
    return out


def _restore_dtypes(frame: pd.DataFrame, dtypes: Mapping[str, str]) -> pd.DataFrame:
    out = frame.copy()
    for col, dtype in dtypes.items():
        if col not in out.columns:
            continue
        if dtype.startswith("datetime64"):
            parsed = pd.to_datetime(out[col], errors="coerce", format="ISO8601", utc="UTC" in dtype)
            out[col] = parsed
        elif dtype in ("str", "string", "object") and not pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: v if pd.isna(v) else str(v)).astype("str")
    return out


def read_tabular(
    path: str | Path,
    fmt: str,
    *,
    encoding: str | None = None,
    value_labels: Mapping[str, Mapping[Any, str]] | None = None,
    variable_labels: Mapping[str, str] | None = None,
    multiple: Mapping[str, Any] | None = None,
    sheet: str | int | None = None,
) -> SurveyData:
    """Read a CSV or XLSX file (see :func:`trustsurvey.io.read_survey` for the options)."""
    p = Path(path)
    enc = normalise_encoding(encoding, file=str(p))
    stored: dict | None = None
    if fmt == "csv":
        frame, used = _read_csv(p, enc)
        side = sidecar_path(p)
        if side.exists():
            try:
                stored = json.loads(side.read_text(encoding="utf-8"))
            except ValueError as err:
                raise InputFileError(
                    "the data dictionary next to the CSV is not valid JSON",
                    file=str(side),
                    hint="delete or repair it",
                ) from err
    else:
        frame, stored = _read_xlsx(p, sheet)
        used = "utf-8"

    if stored is not None:
        meta, extra = metadata_from_full(stored)
        frame = _restore_dtypes(frame, stored.get("dtypes", {}))
        for col, na_rows in stored.get("text_na_rows", {}).items():
            if col in frame.columns:
                keep_na = frame.index.isin(na_rows)
                frame[col] = frame[col].where(frame[col].notna() | keep_na, "")
        frame = _numeric_codes(frame)
        meta.file, meta.format, meta.encoding = str(p), fmt, used
        meta.column_names, meta.n_rows = list(frame.columns), len(frame)
        return SurveyData(frame.reset_index(drop=True), meta, extra)

    header_texts = [("(header)", str(c)) for c in frame.columns]
    frame, from_labels = labels_to_codes(frame, value_labels, variable_labels, file=str(p))
    renamed = normalise_names(frame.columns, file=str(p))
    frame = frame.rename(columns=renamed)
    renamed = {**from_labels, **renamed}
    frame = _numeric_codes(frame)
    derived: dict[str, str] = {}
    for item, options in (multiple or {}).items():
        frame = expand_multiple(frame, item, options, file=str(p))
        opts = options.keys() if isinstance(options, Mapping) else options
        for o in opts:
            derived[f"{item}_{o}"] = f"1 if option {o!r} chosen in {item!r}"
    issues: list[str] = []
    if any(c in frame.columns for c in KOBO_TIME_COLUMNS):
        had_duration = "duration_min" in frame.columns
        frame, issues = add_duration(frame, file=str(p))
        if "duration_min" in frame.columns and not had_duration:
            derived["duration_min"] = "Kobo end − start, minutes"
    texts = header_texts + [
        (col, v)
        for col in frame.columns
        if pd.api.types.is_string_dtype(frame[col])
        for v in pd.unique(frame[col].dropna())[:500]
    ]
    check_mojibake(texts, file=str(p), encoding=enc)
    labels = dict(variable_labels or {})
    if "duration_min" in derived:
        labels.setdefault("duration_min", "Interview duration (minutes)")
    meta = FileMetadata(
        file=str(p),
        format=fmt,
        encoding=used,
        n_rows=len(frame),
        column_names=list(frame.columns),
        variable_labels={k: v for k, v in labels.items() if k in frame.columns},
        value_labels={k: dict(v) for k, v in (value_labels or {}).items() if k in frame.columns},
        renamed=renamed,
        derived=derived,
        issues=issues,
    )
    return SurveyData(frame.reset_index(drop=True), meta)
