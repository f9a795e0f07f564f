"""Write survey data with its labels and missing codes: .sav/.zsav, .parquet, .csv, .xlsx.

Every writer writes to a temporary file next to the target and moves it into place with
``os.replace``, so a failed write never leaves a half-written file.

What each format keeps:

- ``.sav``/``.zsav`` (pyreadstat): variable and value labels, user-missing codes (SPSS allows
  up to three discrete codes, or one range plus one code), measure levels, display formats,
  file label, notes and multiple-response sets (ReadStat cannot write the MRSETS record;
  :mod:`trustsurvey.io.sav_patch` adds it, so SPSS and pyreadstat see the sets; files
  written earlier with the sets in a note ``trustsurvey:mr_sets=…`` are still read).
  Known SPSS limits (each warned about, never silent): text has no empty cell (NaN → ``""``);
  names SPSS rejects (Kobo ``_id``) are renamed (``v_id``, old name as label); names starting
  with ``@`` (ODK's ``@_id``), which SPSS allows but pyreadstat refuses, are kept (written
  under a placeholder and patched, :mod:`trustsurvey.io.sav_patch`); time-zone aware
  times are written in UTC; variable labels are cut at 256 bytes. Dates and times are
  written as SPSS numbers with their format (``DATE11``, ``DATETIME20``, ``TIME8``), so
  values round-trip to the microsecond.
- ``.parquet``: everything, as JSON in the schema metadata (key ``trustsurvey``).
- ``.csv``: values only; everything else goes to a sidecar ``NAME.dictionary.json`` that
  ``read_survey`` picks up again.
- ``.xlsx``: sheet "data" and sheet "dictionary" (one row per variable, labels and missing
  codes as JSON text) plus a hidden sheet "_meta" with the file-level metadata.

Examples
--------
>>> import pandas as pd, tempfile, os
>>> from trustsurvey.io import FileMetadata, SurveyData, read_survey
>>> sd = SurveyData(pd.DataFrame({"q": [1.0, 8.0]}),
...                 FileMetadata(column_names=["q"], value_labels={"q": {1.0: "Так"}},
...                              missing_values={"q": [8.0]}))
>>> out = os.path.join(tempfile.mkdtemp(), "x.sav")
>>> _ = write_survey(sd, out)
>>> read_survey(out).meta.missing_values
{'q': [8.0]}
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trustsurvey.errors import InputFileError, TrustSurveyError
from trustsurvey.io.files import file_format, write_atomic
from trustsurvey.io.metadata import FileMetadata
from trustsurvey.io.survey_data import SurveyData

PARQUET_KEY = b"trustsurvey"
MR_NOTE_PREFIX = "trustsurvey:mr_sets="
SIDECAR_SUFFIX = ".dictionary.json"
MEASURES = {"nominal", "ordinal", "scale"}
ALIGNMENTS = {"left", "right", "center"}
#: SPSS reserved words, which cannot be variable names (IBM SPSS Statistics, "Variable names")
_RESERVED = {"ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH"}
_NAME_CHARS = set("._@#$")
#: any SPSS numeric display format (F8.2, COMMA9.2, PCT6.1, TIME8, DTIME11, DATETIME20, …)
_NUMERIC_FORMAT = re.compile(r"^(?!A\d|AHEX)[A-Z]+\d+(\.\d+)?$", re.I)
_DATE_FORMAT = re.compile(r"^(DATE|ADATE|EDATE|JDATE|SDATE|QYR|MOYR|WKYR|DATETIME|YMDHMS)", re.I)
_STRING_FORMAT = re.compile(r"^A(\d+)$", re.I)
SPSS_EPOCH = pd.Timestamp("1582-10-14")
#: bytes SPSS keeps of a variable label (longer ones are cut by the writer)
VARIABLE_LABEL_BYTES = 256
#: bytes of a value label SPSS documents (IBM SPSS Statistics, "Value labels"); ReadStat cuts
#: there, longer ones (up to the record's 255 bytes for numbers and short strings, whole for
#: strings over 8 bytes, as GNU PSPP writes them) are put back
VALUE_LABEL_BYTES = 120


def sidecar_path(path: str | Path) -> Path:
    """``survey.csv`` → ``survey.dictionary.json``."""
    p = Path(path)
    return p.with_name(p.stem + SIDECAR_SUFFIX)


def full_metadata(sd: SurveyData) -> dict[str, Any]:
    """Metadata plus questionnaire-declared missing codes and column dtypes, JSON-ready."""
    meta = sd.meta.to_dict()
    meta["column_names"] = list(sd.data.columns)
    meta["extra_missing"] = {
        k: [_plain(c) for c in v] for k, v in sd.extra_missing.items() if k in sd.data.columns
    }
    meta["dtypes"] = {col: str(dtype) for col, dtype in sd.data.dtypes.items()}
    # CSV cannot tell an empty string from an empty cell: list the truly empty cells of text
    # columns that also hold "" (SPSS blanks), so a reader can restore both.
    na_rows: dict[str, list[int]] = {}
    for col in sd.data.columns:
        s = sd.data[col]
        if (pd.api.types.is_string_dtype(s) or s.dtype == object) and (s == "").any():
            na_rows[col] = [int(i) for i in np.flatnonzero(s.isna().to_numpy())]
    meta["text_na_rows"] = na_rows
    return meta


def metadata_from_full(raw: dict[str, Any]) -> tuple[FileMetadata, dict[str, list[Any]]]:
    """Inverse of :func:`full_metadata` (metadata, extra missing codes)."""
    return FileMetadata.from_dict(raw), dict(raw.get("extra_missing", {}))


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


# -- SPSS --------------------------------------------------------------------------------
def _spss_frame(sd: SurveyData, target: Path) -> tuple[pd.DataFrame, list[str]]:
    frame = sd.data.copy()
    losses: list[str] = []
    too_long = [c for c in frame.columns if len(str(c).encode("utf-8")) > 64]
    if too_long:
        raise InputFileError(
            "column names are longer than SPSS allows (64 bytes)",
            file=str(target),
            item=too_long,
            hint="rename them before writing .sav",
        )
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            if getattr(s.dt, "tz", None) is not None:
                s = s.dt.tz_convert("UTC").dt.tz_localize(None)
                losses.append(f"{col}: times written in UTC (SPSS has no time zones)")
            frame[col] = stamps_to_seconds(s)
        elif pd.api.types.is_bool_dtype(s):
            frame[col] = s.astype("float64")
        elif pd.api.types.is_numeric_dtype(s):
            frame[col] = pd.to_numeric(s).astype("float64")
        else:
            values = s.astype("object")
            n_null = int(values.isna().sum())
            if n_null:
                losses.append(f"{col}: {n_null} empty text cell(s) written as ''")
            frame[col] = values.where(values.notna(), "").map(str)
    return frame, losses


def stamps_to_seconds(stamps: pd.Series) -> pd.Series:
    """``datetime64`` values as SPSS numbers (seconds since 1582-10-14), exact to the µs.

    >>> stamps_to_seconds(pd.Series(pd.to_datetime(["1582-10-15", None]))).tolist()
    [86400.0, nan]
    """
    micro = (stamps.astype("datetime64[us]") - SPSS_EPOCH).to_numpy().astype("int64")
    seconds = micro.astype("float64") / 1_000_000
    return pd.Series(np.where(stamps.isna().to_numpy(), np.nan, seconds), index=stamps.index)


def _spss_missing(sd: SurveyData, frame: pd.DataFrame, target: Path) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for col, spec in sd.declared_missing().items():
        numeric = pd.api.types.is_numeric_dtype(frame[col])
        values, ranges = list(spec["values"]), list(spec["ranges"])
        if not numeric:
            ranges_as_values = [lo for lo, hi in ranges if lo == hi]
            values += ranges_as_values
            if len(values) > 3 or len(ranges_as_values) < len(ranges):
                raise TrustSurveyError(
                    "SPSS allows at most three missing codes (no ranges) for a text variable",
                    file=str(target),
                    item=col,
                    hint="recode the missing answers to at most three codes",
                )
            out[col] = [str(v) for v in values]
            continue
        values = [float(v) for v in values if _is_number(v)]
        if len(ranges) > 1 or (ranges and len(values) > 1) or len(values) > 3:
            raise TrustSurveyError(
                f"SPSS can hold three missing codes, or one range plus one code; this column "
                f"declares codes {values} and ranges {ranges}",
                file=str(target),
                item=col,
                hint="write to .parquet (keeps everything) or merge the codes into one range",
            )
        out[col] = [{"lo": float(lo), "hi": float(hi)} for lo, hi in ranges] + values
    return out


def _codec(name: str) -> str:
    """Python's name of an encoding (``WINDOWS-1251`` → ``cp1251``), or ``name`` itself."""
    import codecs

    try:
        return codecs.lookup(name).name
    except LookupError:
        return name


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _spss_formats(sd: SurveyData, frame: pd.DataFrame, losses: list[str]) -> dict[str, str]:
    """The file's display formats where they fit the column; text columns are padded so the
    declared width (``A20``) is kept, as SPSS pads every string to its width. A text that
    needs more UTF-8 bytes than its width (a file in a one-byte code page) widens the column,
    noted in ``losses``."""
    formats: dict[str, str] = {}
    for col in frame.columns:
        fmt = str(sd.meta.formats.get(col, "") or "")
        s = frame[col]
        if pd.api.types.is_datetime64_any_dtype(sd.data[col]):
            formats[col] = fmt if _DATE_FORMAT.match(fmt) else "DATETIME20"
        elif pd.api.types.is_numeric_dtype(s):
            if _NUMERIC_FORMAT.match(fmt):
                formats[col] = fmt
        else:
            m = _STRING_FORMAT.match(fmt)
            sizes = s.map(lambda v: len(v.encode("utf-8")))
            longest = int(sizes.max() or 0) if len(s) else 0
            if m and longest < int(m.group(1)) <= 32_767 and len(s):
                width = int(m.group(1))
                at = int(np.argmax(sizes.to_numpy()))
                padded = s.iloc[at] + " " * (width - int(sizes.iloc[at]))
                frame.iloc[at, frame.columns.get_loc(col)] = padded
            if m and int(m.group(1)) >= longest:
                formats[col] = fmt
            elif m:
                losses.append(
                    f"{col}: its text needs {longest} bytes in UTF-8, more than its format "
                    f"{fmt} holds; written as A{longest}"
                )
    return formats


def _spss_value_labels(sd: SurveyData, frame: pd.DataFrame) -> dict[str, dict[Any, str]]:
    out: dict[str, dict[Any, str]] = {}
    for col, labels in sd.meta.value_labels.items():
        if col not in frame.columns or not labels:
            continue
        if pd.api.types.is_numeric_dtype(frame[col]):
            out[col] = {float(k): str(v) for k, v in labels.items() if _is_number(k)}
        elif pd.api.types.is_datetime64_any_dtype(frame[col]):
            continue
        else:
            out[col] = {str(k): str(v) for k, v in labels.items()}
    return out


def valid_spss_name(name: str) -> bool:
    """Whether SPSS accepts ``name`` for a saved variable (IBM SPSS Statistics, "Variable
    names"): it starts with a letter of any script or ``@``, goes on with letters, digits,
    ``.``, ``_``, ``@``, ``#`` or ``$``, is at most 64 bytes (UTF-8), does not end with a period
    and is no reserved word. ``#`` and ``$`` cannot start a name (scratch and system
    variables).

    >>> [valid_spss_name(n) for n in ["שם", "Область", "@_id", "_id", "#x", "q.1", "ALL"]]
    [True, True, True, False, False, True, False]
    """
    if not name or len(name.encode("utf-8")) > 64 or name.upper() in _RESERVED:
        return False
    first, rest = name[0], name[1:]
    if not (first.isalpha() or first == "@"):
        return False
    return not name.endswith(".") and all(ch.isalnum() or ch in _NAME_CHARS for ch in rest)


def spss_names(columns: list[str]) -> dict[str, str]:
    """Original → valid SPSS name, only for columns SPSS would reject.

    Names equal to another but for letter case collide in SPSS and get a suffix.

    >>> spss_names(["_id", "age", "q 1", "שם", "@_id", "Age"])
    {'_id': 'v_id', 'q 1': 'q_1', 'Age': 'Age_'}
    """
    out: dict[str, str] = {}
    taken = {c.upper() for c in columns if valid_spss_name(c)}
    seen: set[str] = set()
    for col in columns:
        if valid_spss_name(col) and col.upper() not in seen:
            seen.add(col.upper())
            continue
        new = col
        if not valid_spss_name(new):
            new = re.sub(r"[^\w.@#$]", "_", col).rstrip(".") or "v"
            if not valid_spss_name(new):
                new = "v" + new
            new = new.encode("utf-8")[:60].decode("utf-8", "ignore")
        while new.upper() in taken or new.upper() in seen:
            new += "_"
        taken.add(new.upper())
        seen.add(new.upper())
        out[col] = new
    return out


def _placeholders(columns: list[str]) -> dict[str, str]:
    """``@name`` → a name of the same byte length pyreadstat accepts (``A…``, ``B…``, …)."""
    taken = {c.upper() for c in columns}
    out = {}
    for col in columns:
        if col.startswith("@"):
            for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
                if (letter + col[1:]).upper() not in taken:
                    out[col] = letter + col[1:]
                    taken.add(out[col].upper())
                    break
    return out


def write_spss(sd: SurveyData, path: str | Path, *, compress: bool | None = None) -> Path:
    """Write ``sd`` to .sav (or .zsav when ``compress`` or the extension says so).

    Column names SPSS rejects (e.g. Kobo's ``_id``, ``_uuid``) are renamed (``v_id``); the
    original name becomes the variable label if there is none, and a warning and a file note
    list the renaming.
    """
    import pyreadstat

    target = Path(path)
    names = spss_names([str(c) for c in sd.data.columns])
    if names:
        sd = _renamed(sd, names)
        warnings.warn(
            f"{target}: renamed for SPSS: "
            + ", ".join(f"{old} → {new}" for old, new in names.items()),
            stacklevel=2,
        )
    at_names = _placeholders([str(c) for c in sd.data.columns])
    if at_names:  # valid in SPSS, refused by pyreadstat: written as a placeholder, then patched
        meta = FileMetadata.from_dict(sd.meta.to_dict())
        sd = _renamed(SurveyData(sd.data, meta, sd.extra_missing), at_names, label=False)
    zsav = compress if compress is not None else target.suffix.lower() == ".zsav"
    frame, losses = _spss_frame(sd, target)
    notes = list(sd.meta.notes)
    mr_sets = {
        k: v
        for k, v in sd.meta.mr_sets.items()
        if v.get("variable_list") and all(c in sd.data.columns for c in v["variable_list"])
    }
    if len(mr_sets) < len(sd.meta.mr_sets):
        warnings.warn(
            f"{target}: multiple-response sets naming columns that are not in the data are "
            "not written: " + ", ".join(k for k in sd.meta.mr_sets if k not in mr_sets),
            stacklevel=2,
        )
    if names:
        notes.append(
            "trustsurvey: renamed for SPSS: " + ", ".join(f"{o}={n}" for o, n in names.items())
        )
    labels = {c: sd.meta.variable_labels.get(c) for c in frame.columns}
    long_labels = [
        c for c, v in labels.items() if v and len(v.encode("utf-8")) > VARIABLE_LABEL_BYTES
    ]
    if long_labels:
        warnings.warn(
            f"{target}: SPSS keeps {VARIABLE_LABEL_BYTES} bytes of a variable label; cut for "
            + ", ".join(long_labels),
            stacklevel=2,
        )
    measure = {c: m for c, m in sd.meta.measure.items() if c in frame.columns and m in MEASURES}
    widths = {
        c: int(w) for c, w in sd.meta.display_width.items() if c in frame.columns and int(w) > 0
    }
    formats = _spss_formats(sd, frame, losses)
    source_encoding = str(sd.meta.encoding or "utf-8")
    if _codec(source_encoding) not in ("utf-8", "utf-8-sig", "ascii"):
        losses.append(f"written in UTF-8 (the source was {source_encoding}); the text is unchanged")
    alignment = {c: a for c, a in sd.meta.alignment.items() if c in frame.columns}

    if losses:
        warnings.warn(f"{target}: " + "; ".join(losses), stacklevel=2)

    value_labels = _spss_value_labels(sd, frame)
    long_values = {
        c: labels
        for c, labels in value_labels.items()
        if any(len(v.encode("utf-8")) > VALUE_LABEL_BYTES for v in labels.values())
    }

    def writer(tmp: Path) -> None:
        try:
            pyreadstat.write_sav(
                frame,
                str(tmp),
                file_label=sd.meta.file_label or "",
                column_labels=labels,
                compress=bool(zsav),
                note=_note_lines(notes) or None,
                variable_value_labels=value_labels or None,
                missing_ranges=_spss_missing(sd, frame, target) or None,
                variable_measure=measure or None,
                variable_display_width=widths or None,
                variable_format=formats or None,
            )
        except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError) as err:
            raise TrustSurveyError(
                f"cannot write the SPSS file ({err})",
                file=str(target),
                hint="check the column names, labels and missing codes named in the message",
            ) from err
        from trustsurvey.io.sav_patch import (
            add_mr_sets,
            lengthen_value_labels,
            rename_in_place,
            set_alignment,
        )

        if long_values:
            lengthen_value_labels(tmp, long_values)
            _, back = pyreadstat.read_sav(str(tmp), metadataonly=True)
            cut = [c for c, v in long_values.items() if back.variable_value_labels.get(c) != v]
            if cut:
                warnings.warn(
                    f"{target}: value labels cut to the 255 bytes SPSS's value-label record "
                    "holds for " + ", ".join(cut),
                    stacklevel=4,
                )
        if alignment:
            set_alignment(tmp, alignment)
        if at_names:
            rename_in_place(tmp, {new: old for old, new in at_names.items()})
        if mr_sets:
            add_mr_sets(tmp, mr_sets)

    return write_atomic(target, writer)


def _note_lines(notes: list[str], width: int = 80) -> list[str]:
    """SPSS documents are lines of at most 80 bytes: wrap longer notes."""
    lines: list[str] = []
    for note in notes:
        for line in note.splitlines() or [""]:
            current = ""
            for ch in line:
                if len((current + ch).encode("utf-8")) > width:
                    lines.append(current)
                    current = ""
                current += ch
            lines.append(current)
    return lines


def _renamed(sd: SurveyData, names: dict[str, str], *, label: bool = True) -> SurveyData:
    meta = FileMetadata.from_dict(sd.meta.to_dict())

    def move(d: dict) -> dict:
        return {names.get(k, k): v for k, v in d.items()}

    for key in (
        "variable_labels",
        "value_labels",
        "missing_values",
        "missing_ranges",
        "measure",
        "formats",
        "display_width",
        "alignment",
        "derived",
    ):
        setattr(meta, key, move(getattr(meta, key)))
    for old, new in names.items():
        if label:
            meta.variable_labels.setdefault(new, old)
    meta.column_names = [names.get(c, c) for c in meta.column_names]
    meta.mr_sets = {
        k: {**v, "variable_list": [names.get(c, c) for c in v.get("variable_list", [])]}
        for k, v in meta.mr_sets.items()
    }
    extra = {names.get(k, k): v for k, v in sd.extra_missing.items()}
    return SurveyData(sd.data.rename(columns=names), meta, extra)


# -- Parquet -----------------------------------------------------------------------------
def write_parquet(sd: SurveyData, path: str | Path) -> Path:
    """Write ``sd`` to Parquet with all metadata as JSON in the schema metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(sd.data, preserve_index=False)
    extra = {PARQUET_KEY: json.dumps(full_metadata(sd), ensure_ascii=False, default=str).encode()}
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **extra})
    return write_atomic(path, lambda tmp: pq.write_table(table, tmp))


# -- CSV ---------------------------------------------------------------------------------
def write_csv(sd: SurveyData, path: str | Path, *, sidecar: bool = True) -> Path:
    """Write values to CSV (UTF-8) and the metadata to ``NAME.dictionary.json``."""
    target = Path(path)
    write_atomic(target, lambda tmp: sd.data.to_csv(tmp, index=False, encoding="utf-8"))
    if sidecar:
        text = json.dumps(full_metadata(sd), ensure_ascii=False, indent=1, default=str)
        write_atomic(sidecar_path(target), lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return target


# -- XLSX --------------------------------------------------------------------------------
def write_xlsx(sd: SurveyData, path: str | Path) -> Path:
    """Write sheet "data", sheet "dictionary" and a hidden "_meta" sheet."""
    from trustsurvey.io.inspect import data_dictionary

    target = Path(path)
    if len(sd.data) > 1_048_575 or sd.data.shape[1] > 16_384:
        raise TrustSurveyError(
            "too large for an Excel sheet",
            file=str(target),
            hint="write .parquet, .sav or .csv instead",
        )
    dictionary = data_dictionary(sd)
    for col in ("value_labels", "missing_values", "missing_ranges"):
        dictionary[col] = dictionary[col].map(
            lambda v: json.dumps(
                [[_plain(k), x] for k, x in v.items()] if isinstance(v, dict) else v,
                ensure_ascii=False,
                default=_plain,
            )
        )
    whole = json.dumps(full_metadata(sd), ensure_ascii=False, default=str)
    pieces = [whole[i : i + 30_000] for i in range(0, len(whole), 30_000)] or [""]

    data = sd.data.copy()
    for col in data.columns:
        if pd.api.types.is_datetime64_any_dtype(data[col]) and data[col].dt.tz is not None:
            data[col] = data[col].dt.tz_localize(None)

    def writer(tmp: Path) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xl:
            data.to_excel(xl, sheet_name="data", index=False)
            dictionary.to_excel(xl, sheet_name="dictionary", index=False)
            pd.DataFrame({"trustsurvey_meta": pieces}).to_excel(xl, sheet_name="_meta", index=False)
            xl.book["_meta"].sheet_state = "hidden"
            _text_not_formulas(xl.book)

    return write_atomic(target, writer)


def _text_not_formulas(book: Any) -> None:
    """Store text that starts with "=" as text: openpyxl would write it as a formula.

    Answers such as ``=HYPERLINK(...)`` must show as typed, never run (OWASP "CSV
    injection"); the value itself is kept unchanged.
    """
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"


def write_survey(sd: SurveyData, path: str | Path, *, compress: bool | None = None) -> Path:
    """Write ``sd`` to ``path``, the format chosen by the extension.

    Parameters
    ----------
    sd
        The data; columns added after reading (weights, indices) are written with whatever
        labels :meth:`SurveyData.add_column` recorded.
    path
        ``.sav``, ``.zsav``, ``.parquet``, ``.csv`` (plus ``.dictionary.json``) or ``.xlsx``.
    compress
        SPSS only: force zlib compression (.zsav layout) on or off.

    Returns
    -------
    Path
        The file written.
    """
    fmt = file_format(path)
    if fmt in ("sav", "zsav"):
        return write_spss(sd, path, compress=compress)
    if fmt == "parquet":
        return write_parquet(sd, path)
    if fmt == "csv":
        return write_csv(sd, path)
    if fmt == "xlsx":
        return write_xlsx(sd, path)
    raise InputFileError(
        f"cannot write {fmt!r} files",
        file=str(path),
        hint="write .sav, .zsav, .parquet, .csv or .xlsx (SPSS portable .por is read-only)",
    )
