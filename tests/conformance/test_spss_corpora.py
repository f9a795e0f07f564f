"""SPSS files nobody on the project wrote round-trip through ``trustsurvey convert``.

The corpus (``tests/fixtures/corpora/spss/``, origin and licence of each file in its NOTICE)
holds the system files shipped by Debian's GNU PSPP and R packages ``foreign`` and ``haven``,
and files written by GNU PSPP from the committed syntax in ``pspp/make_*.sps`` (dates, times
and date-times before 1582 and after 9999, long strings, long labels, string and numeric
user-missing codes and ranges, measure levels, display widths, alignments, multiple-response
sets, documents, names in Hebrew and Cyrillic and starting with ``@``, Windows code pages,
zlib-compressed and portable files). PSPP is an SPSS implementation independent of ReadStat.

Each file is converted to ``.sav`` with :func:`read_survey` → :func:`write_spss`, and to
``.zsav`` with the ``trustsurvey convert`` command; everything pyreadstat reports for the
original must equal what it reports for the copy (values compared as stored numbers). The few
changes SPSS or the writer force are listed in :data:`CHANGED` with the warning ``convert``
prints about them; any other difference fails.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pyreadstat
import pytest

from trustsurvey.io import read_survey
from trustsurvey.io.write import write_spss

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpora" / "spss"
FILES = sorted(
    str(p.relative_to(CORPUS))
    for p in CORPUS.rglob("*")
    if p.suffix.lower() in (".sav", ".zsav", ".por")
)

#: what pyreadstat reports and the copy must keep (file_encoding: the copy is UTF-8, reported;
#: file_format, times and label-set names are not the data's)
META = [
    "column_names",
    "column_labels",
    "column_names_to_labels",
    "number_columns",
    "number_rows",
    "variable_value_labels",
    "missing_ranges",
    "missing_user_values",
    "original_variable_types",
    "readstat_variable_types",
    "variable_storage_width",
    "variable_display_width",
    "variable_measure",
    "variable_alignment",
    "mr_sets",
    "file_label",
    "notes",
]
#: metadata a portable file does not carry (pyreadstat reports a default for the original)
NOT_IN_POR = {"variable_display_width", "variable_storage_width", "variable_alignment"}

_CODE_PAGE = r"written in UTF-8 \(the source was WINDOWS-125\d\)"
#: file → {metadata that changes: the warning ``convert`` gives about it}
CHANGED: dict[str, dict[str, str]] = {
    "pspp/latin_cp1252.sav": {
        "original_variable_types": r"ville: its text needs 9 bytes in UTF-8, more than its "
        r"format A8 holds; written as A9",
        "variable_storage_width": r"written as A9",
        "file_encoding": _CODE_PAGE,
    },
    "pspp/cyrillic_cp1251.zsav": {"file_encoding": _CODE_PAGE},
    "pspp/hebrew_cp1255.sav": {
        "original_variable_types": r"its text needs 14 bytes in UTF-8, more than its format "
        r"A12 holds; written as A14",
        "variable_storage_width": r"written as A14",
        "file_encoding": _CODE_PAGE,
    },
    "r-foreign/electric.sav": {"file_encoding": r"the source was WINDOWS-1252"},
}


def _cp1255(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("latin-1").decode("cp1255")
    if isinstance(value, dict):
        return {_cp1255(k): _cp1255(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_cp1255(v) for v in value]
    return value


def _raw(path: Path) -> tuple[pd.DataFrame, Any]:
    """What pyreadstat reads. A Windows-1255 file is read byte for byte (ISO-8859-1) and its
    text decoded by Python: iconv's stateful CP1255 converter makes ReadStat shift letters."""
    kw: dict[str, Any] = {"user_missing": True, "disable_datetime_conversion": True}
    if path.suffix.lower() == ".por":
        from pyreadstat._readstat_parser import parser_entry_point

        return parser_entry_point(str(path), parser_format="por", **kw)
    _, head = pyreadstat.read_sav(str(path), metadataonly=True)
    if head.file_encoding != "WINDOWS-1255":
        return pyreadstat.read_sav(str(path), **kw)
    frame, meta = pyreadstat.read_sav(str(path), encoding="ISO-8859-1", **kw)
    for attr in META:
        setattr(meta, attr, _cp1255(getattr(meta, attr)))
    meta.file_encoding = head.file_encoding
    frame = frame.rename(columns=_cp1255)
    for col in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[col]):
            frame[col] = frame[col].map(_cp1255)
    return frame, meta


def _same_value(x: Any, y: Any) -> bool:
    if isinstance(x, float) and isinstance(y, float):
        return x == y or (math.isnan(x) and math.isnan(y))
    if isinstance(x, str) and isinstance(y, str):
        return x.rstrip(" ") == y.rstrip(" ")  # SPSS pads text to its width
    return bool(x == y)


def differences(src: Path, out: Path) -> dict[str, Any]:
    """Everything pyreadstat reports differently for ``src`` and ``out``: attribute →
    (original, copy); ``values`` lists the cells that differ as stored numbers/text."""
    (a, ma), (b, mb) = _raw(src), _raw(out)
    diffs: dict[str, Any] = {}
    cells = [
        (col, row, x, y)
        for col in a.columns
        for row, (x, y) in enumerate(
            zip(a[col].tolist(), b.get(col, pd.Series()).tolist(), strict=False)
        )
        if not _same_value(x, y)
    ]
    if cells or len(a) != len(b):
        diffs["values"] = cells[:20]
    for attr in META:
        if src.suffix.lower() == ".por" and attr in NOT_IN_POR:
            continue
        va, vb = getattr(ma, attr), getattr(mb, attr)
        if attr == "original_variable_types" and src.suffix.lower() == ".por":
            va = {k: v for k, v in va.items() if not v.startswith("A")}  # .por has no widths
            vb = {k: v for k, v in vb.items() if not v.startswith("A")}
        if attr == "variable_alignment":  # absent from the file: SPSS's default
            default = {
                k: "left" if t == "string" else "right"
                for k, t in ma.readstat_variable_types.items()
            }
            va = {k: default[k] if v == "unknown" else v for k, v in va.items()}
        if va != vb:
            diffs[attr] = (va, vb)
    if (ma.file_encoding or "UTF-8").upper() not in ("UTF-8", "US-ASCII"):
        diffs["file_encoding"] = (ma.file_encoding, mb.file_encoding)
    return diffs


def _check(name: str, src: Path, out: Path, said: str) -> None:
    diffs = differences(src, out)
    expected = CHANGED.get(name, {})
    assert set(diffs) == set(expected), {k: v for k, v in diffs.items() if k not in expected}
    for attr, warning in expected.items():
        assert re.search(warning, said), (attr, said)


@pytest.mark.parametrize("name", FILES)
def test_read_survey_write_spss_keeps_what_pyreadstat_reads(name: str, tmp_path: Path) -> None:
    src = CORPUS / name
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sd = read_survey(src)
        out = write_spss(sd, tmp_path / "copy.sav")
    _check(name, src, out, " ".join(str(w.message) for w in caught))
    again = read_survey(out)
    assert again.meta.mr_sets == sd.meta.mr_sets
    assert again.meta.file_label == sd.meta.file_label


@pytest.mark.parametrize("name", FILES)
def test_convert_command_keeps_what_pyreadstat_reads(name: str, tmp_path: Path) -> None:
    src, out = CORPUS / name, tmp_path / "copy.zsav"
    result = subprocess.run(
        [sys.executable, "-m", "trustsurvey", "convert", str(src), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    _check(name, src, out, result.stderr)


@pytest.mark.parametrize("name", FILES)
def test_inspect_command_describes_every_variable(name: str) -> None:
    src = CORPUS / name
    frame, _ = _raw(src)
    result = subprocess.run(
        [sys.executable, "-m", "trustsurvey", "inspect", str(src)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1 + frame.shape[1]  # a header, then one line per variable
    for line, col in zip(lines[1:], frame.columns, strict=True):
        assert line.split()[0] == col


def test_corpus_is_the_documented_one() -> None:
    """The NOTICE names every file of the corpus (its origin, version and licence)."""
    notice = (CORPUS / "NOTICE").read_text(encoding="utf-8")
    assert len(FILES) == 17
    for name in FILES:
        assert name in notice, name


def test_dates_before_1582_and_times_keep_their_numbers_and_formats(tmp_path: Path) -> None:
    src = CORPUS / "pspp" / "dates.sav"
    with pytest.warns(UserWarning, match="kept as SPSS numbers"):
        sd = read_survey(src)
    raw, meta = _raw(src)
    assert sd.data["stamp2"].tolist()[0] == -31_000_000_000.0  # year 600, not NaT
    assert sd.data["tod"].tolist()[:2] == [3600.0, 86399.0]
    out = write_spss(sd, tmp_path / "d.sav")
    copy, copy_meta = _raw(out)
    for col in ("tod", "tod2", "dur", "stamp", "stamp2", "ad", "qy", "wd", "mo", "ymd", "mt"):
        assert copy_meta.original_variable_types[col] == meta.original_variable_types[col]
    assert copy_meta.original_variable_types["tod"] == "TIME8"
    assert copy_meta.original_variable_types["stamp"] == "DATETIME20"
    assert json.dumps(copy["stamp2"].tolist()) == json.dumps(raw["stamp2"].tolist())


def test_windows_1255_text_is_read_as_pspp_reads_it() -> None:
    """ReadStat alone shifts each text's last Hebrew letter into the next text."""
    sd = read_survey(CORPUS / "pspp" / "hebrew_cp1255.sav")
    assert list(sd.data.columns) == ["מספר", "עיר", "דירוג"]
    assert sd.data["עיר"].tolist() == ["ירושלים", "חיפה", ""]
    assert sd.meta.variable_labels["עיר"] == "שם העיר"
    assert sd.meta.value_labels["דירוג"] == {1.0: "נמוך", 5.0: "גבוה", 9.0: "לא יודע"}
    assert sd.meta.file_label == "קובץ בעברית"
