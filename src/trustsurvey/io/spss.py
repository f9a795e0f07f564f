"""Read SPSS files (.sav, compressed .zsav, portable .por) with every label and missing code.

Built on pyreadstat (ReadStat). ``user_missing=True`` keeps declared missing codes as values
(``8`` stays ``8``) and reports them in the metadata, so the analysis view can set them to NaN
while the raw share of "difficult to answer" remains available. pyreadstat reports discrete
missing codes as ranges with ``lo == hi``; they are normalised to discrete codes here.

SPSS dates are seconds since 1582-10-14 (IBM SPSS Statistics, "Date and time functions");
they are converted to ``datetime64[us]``; a column with a value outside 1582-10-15 … 9999-12-31
(or finer than a microsecond) keeps its SPSS numbers instead, listed in ``meta.issues``;
nothing becomes NaT.

Examples
--------
>>> from pathlib import Path
>>> sd = read_spss(Path("tests/fixtures/trust/trust_two_waves.sav"))  # doctest: +SKIP
>>> sd.meta.missing_values["q7_trust"]                           # doctest: +SKIP
[8.0, 9.0]
"""

from __future__ import annotations

import json
import re
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyreadstat

from trustsurvey.errors import InputFileError
from trustsurvey.io.encoding import check_mojibake, normalise_encoding
from trustsurvey.io.files import foreign_kind
from trustsurvey.io.isolated import ChildReadError, ChildReadFailed, read_in_child
from trustsurvey.io.metadata import FileMetadata
from trustsurvey.io.sav_check import check_sav_file
from trustsurvey.io.survey_data import SurveyData
from trustsurvey.io.write import ALIGNMENTS, MR_NOTE_PREFIX

#: files with at least this many rows are read in chunks (with a progress bar on a TTY)
CHUNK_THRESHOLD = 200_000
DEFAULT_CHUNKSIZE = 100_000


DATE_FORMATS = re.compile(r"^(DATE|ADATE|EDATE|JDATE|SDATE|QYR|MOYR|WKYR|DATETIME|YMDHMS)\d*", re.I)
SPSS_EPOCH = pd.Timestamp("1582-10-14")
_MIN_SECONDS = 86_400.0  # 1582-10-15
_MAX_SECONDS = (pd.Timestamp("9999-12-31 23:59:59") - SPSS_EPOCH).total_seconds()

#: seconds the isolated reader may take for a file whose dictionary failed the check
ISOLATED_TIMEOUT = 300.0


def _read_por(path: str, **kwargs: Any) -> tuple[pd.DataFrame, Any]:
    """``pyreadstat.read_por`` with ``user_missing`` (its public wrapper drops the option;
    the parser underneath supports it for portable files too)."""
    try:
        from pyreadstat._readstat_parser import parser_entry_point
    except ImportError:  # pragma: no cover - other pyreadstat layouts
        warnings.warn(
            f"{path}: this pyreadstat cannot keep user-missing codes of .por files; "
            "they are read as empty cells",
            stacklevel=3,
        )
        kwargs.pop("user_missing", None)
        kwargs.pop("encoding", None)
        return pyreadstat.read_por(path, **kwargs)
    frame, meta = parser_entry_point(path, parser_format="por", **kwargs)
    meta.file_format = "por"
    return frame, meta


#: code pages whose iconv converter is stateful (glibc holds a letter back for a following
#: combining mark); ReadStat converts text piece by piece with it, so each text would get
#: the previous one's last letter. These files are read byte for byte (ISO-8859-1) and each
#: text is decoded here, with Python's stateless codec.
STATEFUL_CODE_PAGES = {"cp1255": "cp1255", "cp1258": "cp1258"}
_META_TEXT = (
    "column_names",
    "column_labels",
    "column_names_to_labels",
    "variable_value_labels",
    "missing_ranges",
    "missing_user_values",
    "variable_measure",
    "variable_display_width",
    "variable_storage_width",
    "variable_alignment",
    "original_variable_types",
    "readstat_variable_types",
    "mr_sets",
    "file_label",
    "notes",
)


def _stateful(name: str | None) -> str | None:
    import codecs

    try:
        return STATEFUL_CODE_PAGES.get(codecs.lookup(name or "").name)
    except LookupError:
        return None


def _recode(value: Any, codec: str) -> Any:
    """Texts read as ISO-8859-1 decoded with ``codec`` (in dictionaries, lists and tuples)."""
    if isinstance(value, str):
        return value.encode("latin-1").decode(codec, errors="replace")
    if isinstance(value, dict):
        return {_recode(k, codec): _recode(v, codec) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_recode(v, codec) for v in value)
    return value


def _recode_read(frame: pd.DataFrame, meta: Any, codec: str, declared: str) -> pd.DataFrame:
    for attr in _META_TEXT:
        if hasattr(meta, attr):
            setattr(meta, attr, _recode(getattr(meta, attr), codec))
    meta.file_encoding = declared
    frame = frame.rename(columns=lambda c: _recode(c, codec))
    for col in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[col]):
            frame[col] = frame[col].map(lambda v: _recode(v, codec))
    return frame


def _readers(fmt: str) -> Any:
    return _read_por if fmt == "por" else pyreadstat.read_sav


def _kwargs(fmt: str, encoding: str | None) -> dict[str, Any]:
    kw: dict[str, Any] = {"disable_datetime_conversion": True, "user_missing": True}
    if encoding:
        kw["encoding"] = encoding
    return kw


def _wrap_error(err: Exception, path: Path, fmt: str, encoding: str | None) -> InputFileError:
    text = str(err)
    low = text.lower()
    if "encoding" in low or "character set" in low or "convert string" in low:
        return InputFileError(
            f"cannot decode the text in this SPSS file ({text.strip()})"
            + (f" with encoding {encoding!r}" if encoding else ""),
            file=str(path),
            hint="pass the right encoding, e.g. encoding='cp1251' (Windows Cyrillic), "
            "'cp866' (DOS) or 'koi8-u'",
        )
    kind = foreign_kind(path)
    if kind:
        return InputFileError(
            f"not an SPSS file: it is {kind}",
            file=str(path),
            hint="give the .sav/.por file itself, or rename the file with its real extension",
        )
    with path.open("rb") as fh:
        head = fh.read(4)
    if fmt in ("sav", "zsav") and head not in (b"$FL2", b"$FL3"):
        return InputFileError(
            "not an SPSS .sav file (it does not start with the SPSS signature; "
            "is it a CSV or text file renamed .sav?)",
            file=str(path),
            hint="export the data again from SPSS/PSPP as .sav, or give it its real extension",
        )
    return InputFileError(
        f"cannot read this SPSS file; it may be truncated or damaged ({text.strip()})",
        file=str(path),
        hint="copy or export the file again from the source and check its size",
    )


def _normalise_missing(
    meta: Any,
) -> tuple[dict[str, list[Any]], dict[str, list[tuple[Any, Any]]]]:
    values: dict[str, list[Any]] = {}
    ranges: dict[str, list[tuple[Any, Any]]] = {}
    for col, items in (getattr(meta, "missing_ranges", None) or {}).items():
        for item in items:
            lo, hi = item["lo"], item["hi"]
            if lo == hi:
                values.setdefault(col, []).append(lo)
            else:
                ranges.setdefault(col, []).append((lo, hi))
    for col, codes in (getattr(meta, "missing_user_values", None) or {}).items():
        for code in codes:
            if code not in values.setdefault(col, []):
                values[col].append(code)
    return values, ranges


def _metadata(meta: Any, path: Path, fmt: str, encoding: str | None) -> FileMetadata:
    values, ranges = _normalise_missing(meta)
    notes = list(meta.notes or [])
    mr_sets = {k: dict(v) for k, v in (getattr(meta, "mr_sets", None) or {}).items()}
    kept_notes: list[str] = []
    pieces: list[str] = []
    for note in notes:
        lines = note.splitlines()
        mr_lines = [x for x in lines if x.startswith(MR_NOTE_PREFIX)]
        pieces.extend(x[len(MR_NOTE_PREFIX) :].rstrip() for x in mr_lines)
        if not mr_lines or len(mr_lines) < len(lines):  # blank document lines are kept
            kept_notes.append("\n".join(x for x in lines if not x.startswith(MR_NOTE_PREFIX)))
    if pieces and not mr_sets:
        try:
            mr_sets = json.loads("".join(pieces))
        except ValueError:
            kept_notes.append("(damaged trustsurvey multiple-response note ignored)")
    labels = {k: v for k, v in (meta.column_names_to_labels or {}).items() if v is not None}
    return FileMetadata(
        file=str(path),
        format=fmt,
        encoding=encoding or getattr(meta, "file_encoding", None),
        n_rows=int(meta.number_rows) if meta.number_rows is not None else 0,
        column_names=list(meta.column_names),
        variable_labels=labels,
        value_labels={k: dict(v) for k, v in (meta.variable_value_labels or {}).items()},
        missing_values=values,
        missing_ranges=ranges,
        measure={k: v for k, v in (meta.variable_measure or {}).items() if v != "unknown"},
        display_width={
            k: int(v) for k, v in (getattr(meta, "variable_display_width", None) or {}).items() if v
        },
        alignment={
            k: v
            for k, v in (getattr(meta, "variable_alignment", None) or {}).items()
            if v in ALIGNMENTS
        },
        formats=dict(meta.original_variable_types or {}),
        mr_sets=mr_sets,
        file_label=meta.file_label or "",
        notes=kept_notes,
    )


def _progress_on(progress: bool | None, n_rows: int) -> bool:
    if progress is not None:
        return bool(progress)
    return n_rows >= CHUNK_THRESHOLD and sys.stderr.isatty()


def _reader_error(
    err: BaseException, path: Path, fmt: str, encoding: str | None, problem: Any = None
) -> InputFileError:
    """Any exception of the C reader (ReadStat errors, and the ``IndexError``,
    ``UnicodeDecodeError``, ``ValueError`` … it lets through on damaged files) as one error."""
    if isinstance(err, ChildReadError):
        name, text = err.type_name, err.message
    else:
        name, text = type(err).__name__, str(err)
    if problem is not None:
        text = f"{text.strip()}; dictionary damaged at {problem}"
    if name in ("ReadstatError", "PyreadstatError"):
        return _wrap_error(Exception(text), path, fmt, encoding)
    if name == "UnicodeDecodeError" or "codec" in text:
        return InputFileError(
            f"cannot decode the text in this SPSS file ({name}: {text.strip()})"
            + (f" with encoding {encoding!r}" if encoding else ""),
            file=str(path),
            hint="pass the right encoding, e.g. encoding='cp1251' (Windows Cyrillic), "
            "'cp866' (DOS) or 'koi8-u'; if that fails the file is damaged: export it again",
        )
    return InputFileError(
        f"cannot read this SPSS file; it is damaged ({name}: {text.strip() or 'no message'})",
        file=str(path),
        hint="copy or export the file again from the source and check its size",
    )


def _read_isolated(
    path: Path, fmt: str, encoding: str | None, problem: Any
) -> tuple[pd.DataFrame, Any]:
    try:
        return read_in_child(fmt, str(path), _kwargs(fmt, encoding), timeout=ISOLATED_TIMEOUT)
    except ChildReadError as err:
        raise _reader_error(err, path, fmt, encoding, problem) from None
    except ChildReadFailed as err:
        where = f"its dictionary is damaged ({problem})" if problem else "it is damaged"
        raise InputFileError(
            f"cannot read this SPSS file: {where}; {err}",
            file=str(path),
            hint="copy or export the file again from the source and check its size",
        ) from None


def _read_frame(
    path: Path,
    fmt: str,
    encoding: str | None,
    chunksize: int | None,
    progress: bool | None,
) -> tuple[pd.DataFrame, Any]:
    if fmt in ("sav", "zsav"):
        try:
            problem = check_sav_file(path, encoding)
        except OSError as err:
            raise InputFileError(f"cannot open the file ({err})", file=str(path)) from err
        if problem is not None and problem.fatal:
            raise InputFileError(
                f"cannot read this SPSS file: {problem}",
                file=str(path),
                hint="copy or export the file again from the source and check its size",
            )
        if problem is not None:
            return _read_isolated(path, fmt, encoding, problem)
    reader = _readers(fmt)
    kw = _kwargs(fmt, encoding)
    try:
        _, head = reader(str(path), metadataonly=True, **kw)
    except Exception as err:  # the C reader's exceptions are not documented
        raise _reader_error(err, path, fmt, encoding) from err
    n_rows = int(head.number_rows) if head.number_rows not in (None, -1) else -1
    declared = encoding or getattr(head, "file_encoding", None)
    codec = _stateful(declared) if fmt != "por" else None
    if codec:
        kw["encoding"] = "ISO-8859-1"
    if fmt == "por":
        chunksize = None  # ReadStat cannot seek in portable files; read in one go
    elif chunksize is None and n_rows >= CHUNK_THRESHOLD:
        chunksize = DEFAULT_CHUNKSIZE
    try:
        if chunksize and n_rows > 0:
            from tqdm import tqdm

            parts = []
            bar = tqdm(
                total=n_rows,
                unit="rows",
                desc=f"reading {path.name}",
                file=sys.stderr,
                disable=not _progress_on(progress, n_rows),
            )
            meta = head
            with bar:
                for chunk, chunk_meta in pyreadstat.read_file_in_chunks(
                    reader, str(path), chunksize=int(chunksize), **kw
                ):
                    meta = chunk_meta
                    parts.append(chunk)
                    bar.update(len(chunk))
            frame = pd.concat(parts, ignore_index=True) if parts else reader(str(path), **kw)[0]
        else:
            frame, meta = reader(str(path), **kw)
    except Exception as err:  # the C reader's exceptions are not documented
        raise _reader_error(err, path, fmt, encoding) from err
    if codec:
        frame = _recode_read(frame, meta, codec, str(declared))
    if n_rows >= 0 and len(frame) != n_rows:
        raise InputFileError(
            f"the file is truncated: its header declares {n_rows} rows but only "
            f"{len(frame)} could be read",
            file=str(path),
            hint="copy or export the file again from the source",
        )
    return frame, meta


def seconds_to_stamps(seconds: pd.Series) -> pd.Series:
    """SPSS date-time numbers (seconds since 1582-10-14) as ``datetime64[us]``."""
    micro = (seconds * 1_000_000).round()
    stamps = pd.Series(pd.NaT, index=seconds.index, dtype="datetime64[us]")
    ok = micro.notna()
    stamps[ok] = SPSS_EPOCH + pd.to_timedelta(micro[ok].astype("int64"), unit="us")
    return stamps


def _convert_dates(frame: pd.DataFrame, meta: FileMetadata) -> pd.DataFrame:
    """Date and date-time variables become ``datetime64[us]`` when every value lies in
    1582-10-15 … 9999-12-31 and converts exactly (to the microsecond); otherwise the column
    keeps its SPSS numbers (seconds since 1582-10-14) and its format, and ``meta.issues`` says
    why. Nothing becomes NaT."""
    for col, fmt in meta.formats.items():
        if col not in frame.columns or not DATE_FORMATS.match(fmt or ""):
            continue
        seconds = pd.to_numeric(frame[col], errors="coerce").astype("float64")
        if seconds.isna().sum() > frame[col].isna().sum():
            continue  # not numbers (a damaged or odd file): leave the column as read
        outside = seconds.notna() & ((seconds < _MIN_SECONDS) | (seconds > _MAX_SECONDS))
        inexact = pd.Series(False, index=seconds.index)
        if not outside.any():
            micro = (seconds * 1_000_000).round()
            inexact = seconds.notna() & (micro / 1_000_000 != seconds)
        bad = outside | inexact
        if bad.any():
            rows = (np.flatnonzero(bad.to_numpy()) + 1).tolist()
            shown = ", ".join(str(r) for r in rows[:10]) + (" …" if len(rows) > 10 else "")
            why = "outside 1582-10-15…9999-12-31" if outside.any() else "finer than 1 µs"
            message = (
                f"{col}: {len(rows)} date value(s) {why} (rows {shown}); the column is kept "
                f"as SPSS numbers (seconds since 1582-10-14, format {fmt})"
            )
            meta.issues.append(message)
            warnings.warn(f"{meta.file}: {message}", stacklevel=3)
            frame[col] = seconds
            continue
        frame[col] = seconds_to_stamps(seconds)
    return frame


def _texts(frame: pd.DataFrame, meta: FileMetadata) -> list[tuple[str, str]]:
    texts: list[tuple[str, str]] = list(meta.variable_labels.items())
    for col, labels in meta.value_labels.items():
        texts.extend((col, label) for label in labels.values())
    for col in frame.columns:
        series = frame[col]
        if series.dtype == object or pd.api.types.is_string_dtype(series):
            uniques = pd.unique(series.dropna())[:500]
            texts.extend((col, v) for v in uniques if isinstance(v, str))
    return texts


def read_spss(
    path: str | Path,
    *,
    encoding: str | None = None,
    chunksize: int | None = None,
    progress: bool | None = None,
    check_encoding: bool = True,
) -> SurveyData:
    """Read a .sav, .zsav or .por file into :class:`SurveyData`.

    Parameters
    ----------
    path
        The SPSS file (never modified).
    encoding
        Text encoding to force (``"cp1251"``, ``"cp866"``, ``"koi8-u"``, ``"utf-8"``); None uses
        the file's own declaration. Text in .por files outside the portable character set
        (e.g. Cyrillic written by PSPP) cannot be recovered; such cells are reported.
    chunksize
        Read this many rows at a time (None: automatic for files of 200,000+ rows).
    progress
        Show a tqdm progress bar on stderr while reading in chunks; None means on for big
        files when stderr is a terminal.
    check_encoding
        Raise :class:`InputFileError` if labels or text values look like mojibake.
    """
    path = Path(path)
    fmt = "por" if path.suffix.lower() == ".por" else path.suffix.lower().lstrip(".")
    if fmt not in ("sav", "zsav", "por"):
        fmt = "sav"
    enc = normalise_encoding(encoding, file=str(path))
    frame, raw_meta = _read_frame(path, fmt, enc, chunksize, progress)
    meta = _metadata(raw_meta, path, fmt, enc)
    meta.n_rows = len(frame)
    texts = _texts(frame, meta)
    lost = sorted({col for col, text in texts if "\ufffd" in text})
    if lost and fmt == "por":
        message = (
            f"text outside the SPSS portable character set could not be decoded in: "
            f"{', '.join(lost)} (shown as U+FFFD); ask for the .sav file to get it"
        )
        meta.issues.append(message)
        warnings.warn(f"{path}: {message}", stacklevel=2)
    elif lost:
        raise InputFileError(
            "some text cannot be decoded with the file's encoding",
            file=str(path),
            item=lost,
            hint="pass the right encoding, e.g. encoding='cp1251' (Windows Cyrillic), "
            "'cp866' (DOS) or 'koi8-u'",
        )
    if check_encoding:
        check_mojibake(texts, file=str(path), encoding=enc)
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = frame[col].astype("str")
    frame = _convert_dates(frame, meta)
    frame = frame.reset_index(drop=True)
    return SurveyData(frame, meta)
