"""SPSS round trip: ``read_survey`` → ``write_spss`` and ``trustsurvey convert`` keep everything
pyreadstat reads.

The public corpora (pyreadstat's ``test_data/``, ReadStat's test files) are not in any package
on PyPI (the pyreadstat sdist carries no data files), so the files are built here with
pyreadstat, one feature per column: every value (compared as stored numbers), variable label,
value label (numeric, short and long string), user-missing code and range (numeric and
string), display format (dates, times, date-times before 1582, durations, weekdays, months,
currency, percent, scientific, N, string widths, decimals), measure level, display width,
file label, notes, multiple-response sets (dichotomy and category; added to the built file
with :func:`~trustsurvey.io.sav_patch.add_mr_sets`, as pyreadstat cannot write them), names
starting with ``@`` as ODK Central exports them, long strings (over 255 bytes), long labels and
names in Hebrew and Cyrillic. The project's own SPSS fixtures (UTF-8, cp1251, portable) go
through the same comparison.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from trustsurvey.io import inspect_file, read_survey
from trustsurvey.io.sav_check import check_sav_file
from trustsurvey.io.sav_patch import add_mr_sets, rename_in_place
from trustsurvey.io.write import spss_names, valid_spss_name, write_spss

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DAY = 86_400.0
#: metadata pyreadstat reads that must come back unchanged
META = [
    "column_names",
    "column_names_to_labels",
    "variable_value_labels",
    "missing_ranges",
    "original_variable_types",
    "variable_measure",
    "variable_display_width",
    "file_label",
    "notes",
    "mr_sets",
]


def _all_features(path: Path, *, compress: bool = False) -> Path:
    seconds_2024 = (pd.Timestamp("2024-03-01") - pd.Timestamp("1582-10-14")).total_seconds()
    frame = pd.DataFrame(
        {
            "id": [1.0, 2, 3, 4],
            "tod": [3600.0, 45296, np.nan, 86399],
            "dur": [90061.0, 0, 1e6, np.nan],
            "old": [-1e9, DAY * 10, 1.3e10, np.nan],
            "day": [seconds_2024, seconds_2024 + DAY, np.nan, 14e9],
            "stamp": [seconds_2024 + 0.25, 13.5e9, np.nan, 14e9 + 1],
            "adate": [seconds_2024, 13.5e9, np.nan, 14e9],
            "wk": [1.0, 2, 7, np.nan],
            "mon": [1.0, 12, 5, np.nan],
            "pct": [12.5, 8, 9, 1],
            "dol": [1234.56, 8, 9, 1],
            "cm": [1e6, 2, 3, 4],
            "sci": [1.5e-7, 1, 2, 3],
            "nn": [1.0, 2, 3, 4],
            "dec": [1.25, 2.5, 97, 99],
            "s300": ["x" * 300, "Київ" * 70, "", "b"],
            "s3": ["KYV", "LVV", "XXX", ""],
            "s20": ["a", "bb", "MISS", ""],
            "שם": [1.0, 2, 3, 4],
            "Область": ["a", "b", "c", "d"],
            "q.1": [1.0, 2, 3, 4],
            "mr_a": [1.0, 0, 1, 0],
            "mr_b": [0.0, 1, 1, 0],
            "mr_c": ["a", "b", "", "a"],
            "A_id": [11.0, 12, 13, 14],  # becomes ODK's "@_id" below
        }
    )
    formats = {
        "id": "F4.0",
        "tod": "TIME8",
        "dur": "DTIME11",
        "old": "DATETIME20",
        "day": "DATE11",
        "stamp": "DATETIME23.2",
        "adate": "ADATE10",
        "wk": "WKDAY3",
        "mon": "MONTH3",
        "pct": "PCT6.1",
        "dol": "DOLLAR10.2",
        "cm": "COMMA12.0",
        "sci": "E10.2",
        "nn": "N4",
        "dec": "F8.2",
        "s300": "A300",
        "s3": "A3",
        "s20": "A20",
    }
    labels = {c: f"label of {c}" for c in frame.columns}
    labels["dec"] = ("Довгий підпис питання " * 12)[:128]  # 250 bytes of UTF-8
    labels["שם"] = "שם המשתנה"
    value_labels = {
        "dec": {1.25: "one quarter", 97.0: "Відмова " + "x" * 230, 99.0: "Важко відповісти"},
        "s3": {"KYV": "Київ", "LVV": "Львів", "XXX": "missing"},
        "s300": {"b": "bee", "x" * 10: "ten x"},
        "id": {1.0: "first"},
    }
    missing = {
        "dec": [{"lo": 97.0, "hi": 99.0}, 1.25],
        "s3": ["XXX"],
        "s20": ["MISS", "NA", "DK"],
        "id": [9.0, 8.0, 7.0],
        "s300": ["b"],
    }
    pyreadstat.write_sav(
        frame,
        str(path),
        file_label="Опитування: довіра",
        column_labels=labels,
        variable_value_labels=value_labels,
        missing_ranges=missing,
        variable_measure={"id": "nominal", "dec": "scale", "s3": "nominal", "wk": "ordinal"},
        variable_display_width={"id": 5, "dec": 12, "s300": 40, "s3": 7},
        variable_format=formats,
        note=["first note", "друга нотатка"],
        compress=compress,
    )
    rename_in_place(path, {"A_id": "@_id"})  # as ODK Central's SPSS export names it
    sets = {
        "mr_dich": {
            "type": "D",
            "is_dichotomy": True,
            "counted_value": 1,
            "label": "Проблеми в громаді",
            "variable_list": ["mr_a", "mr_b"],
        },
        "mr_cat": {
            "type": "C",
            "is_dichotomy": False,
            "counted_value": None,
            "label": "Категорії",
            "variable_list": ["mr_c", "s3"],
        },
    }
    add_mr_sets(path, sets)  # pyreadstat cannot write MRSETS records
    assert pyreadstat.read_sav(str(path), metadataonly=True)[1].mr_sets == sets
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("spss_corpus")
    return {
        "all_features.sav": _all_features(folder / "all_features.sav"),
        "all_features.zsav": _all_features(folder / "all_features.zsav", compress=True),
        "utf8_mrsets.sav": FIXTURES / "spss" / "utf8_mrsets.sav",
        "cp1251.sav": FIXTURES / "spss" / "cp1251.sav",
        "cp1251_legacy.sav": FIXTURES / "spss" / "cp1251_legacy.sav",
        "legacy.por": FIXTURES / "spss" / "legacy.por",
        "trust_two_waves.sav": FIXTURES / "trust" / "trust_two_waves.sav",
    }


CORPUS = [
    "all_features.sav",
    "all_features.zsav",
    "utf8_mrsets.sav",
    "cp1251.sav",
    "cp1251_legacy.sav",
    "legacy.por",
    "trust_two_waves.sav",
]


#: files without code-page information are read with the encoding the user gives
ENCODING = {"cp1251_legacy.sav": "cp1251"}


def _raw(path: Path, encoding: str | None = None) -> tuple[pd.DataFrame, Any]:
    kw: dict[str, Any] = {"user_missing": True, "disable_datetime_conversion": True}
    if encoding:
        kw["encoding"] = encoding
    if path.suffix == ".por":
        from pyreadstat._readstat_parser import parser_entry_point

        return parser_entry_point(str(path), parser_format="por", **kw)
    return pyreadstat.read_sav(str(path), **kw)


def _differences(src: Path, out: Path) -> list[tuple]:
    (a, ma), (b, mb) = _raw(src, ENCODING.get(src.name)), _raw(out)
    diffs: list[tuple] = []
    if list(a.columns) != list(b.columns):
        diffs.append(("columns", list(a.columns), list(b.columns)))
    for col in a.columns.intersection(b.columns):
        x, y = a[col], b[col]
        if x.dtype == object:  # SPSS pads text: trailing blanks are not part of the value
            x, y = x.str.rstrip(), y.str.rstrip()
        if not x.equals(y):
            diffs.append(("values", col, x.tolist(), y.tolist()))
    for attr in META:
        va, vb = getattr(ma, attr), getattr(mb, attr)
        if attr == "original_variable_types" and src.suffix == ".por":
            va = {k: v for k, v in va.items() if not v.startswith("A")}  # .por has no widths
            vb = {k: v for k, v in vb.items() if not v.startswith("A")}
        if attr == "variable_display_width" and src.suffix == ".por":
            continue  # portable files carry no display width
        if va != vb:
            diffs.append((attr, va, vb))
    return diffs


@pytest.mark.parametrize("name", CORPUS)
def test_write_spss_keeps_everything_pyreadstat_reads(
    name: str, corpus: dict[str, Path], tmp_path: Path
) -> None:
    src = corpus[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sd = read_survey(src, encoding=ENCODING.get(name))
    out = write_spss(sd, tmp_path / "out.sav")
    assert _differences(src, out) == []
    again = read_survey(out)
    assert again.meta.mr_sets == sd.meta.mr_sets
    assert again.meta.notes == sd.meta.notes
    assert check_sav_file(out) is None  # what trustsurvey writes takes the fast path


@pytest.mark.parametrize("name", CORPUS)
@pytest.mark.parametrize("target", ["out.sav", "out.zsav"])
def test_convert_command_round_trip(
    name: str, target: str, corpus: dict[str, Path], tmp_path: Path
) -> None:
    src = corpus[name]
    out = tmp_path / target
    encoding = ["--encoding", ENCODING[name]] if name in ENCODING else []
    result = subprocess.run(
        [sys.executable, "-m", "trustsurvey", "convert", str(src), str(out), *encoding],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert _differences(src, out) == []
    source = read_survey(src, encoding=ENCODING.get(name))
    assert read_survey(out).meta.mr_sets == source.meta.mr_sets


@pytest.mark.parametrize("name", CORPUS)
def test_inspect_describes_every_variable(name: str, corpus: dict[str, Path]) -> None:
    src = corpus[name]
    frame, meta = _raw(src, ENCODING.get(name))
    table = inspect_file(src, encoding=ENCODING.get(name)).set_index("variable")
    assert list(table.index) == list(frame.columns)
    for col, fmt in meta.original_variable_types.items():
        assert table.loc[col, "format"] == fmt
    for col, ranges in meta.missing_ranges.items():
        declared = list(table.loc[col, "missing_values"]) + [
            lo for lo, hi in table.loc[col, "missing_ranges"]
        ]
        assert {r["lo"] for r in ranges} <= set(declared)


def test_odk_at_names_are_kept(corpus: dict[str, Path], tmp_path: Path) -> None:
    sd = read_survey(corpus["all_features.zsav"])
    assert "@_id" in sd.data.columns
    out = write_spss(sd, tmp_path / "o.zsav")
    frame, meta = _raw(out)
    assert frame["@_id"].tolist() == [11.0, 12, 13, 14]
    assert meta.column_names_to_labels["@_id"] == "label of A_id"


def test_dates_before_1582_stay_spss_numbers(corpus: dict[str, Path]) -> None:
    with pytest.warns(UserWarning, match="kept as SPSS numbers"):
        sd = read_survey(corpus["all_features.sav"])
    assert sd.data["old"].tolist()[:3] == [-1e9, DAY * 10, 1.3e10]
    assert pd.api.types.is_datetime64_any_dtype(sd.data["day"])
    assert sd.data["stamp"].iloc[0] == pd.Timestamp("2024-03-01 00:00:00.25")
    assert sd.data["tod"].tolist()[:2] == [3600.0, 45296.0]  # TIME8 stays seconds


def test_long_strings_and_labels(corpus: dict[str, Path], tmp_path: Path) -> None:
    sd = read_survey(corpus["all_features.sav"])
    assert sd.data["s300"].iloc[0] == "x" * 300
    _, source = _raw(corpus["all_features.sav"])
    assert sd.meta.value_labels["dec"] == source.variable_value_labels["dec"]
    assert len(sd.meta.value_labels["dec"][97.0].encode("utf-8")) == 120  # SPSS's maximum
    out = write_spss(sd, tmp_path / "o.sav")
    frame, meta = _raw(out)
    assert frame["s300"].iloc[1] == "Київ" * 70  # 560 bytes
    assert meta.variable_value_labels["s300"] == {"b": "bee", "x" * 10: "ten x"}
    assert meta.column_names_to_labels["dec"] == sd.meta.variable_labels["dec"]


def test_too_long_variable_label_is_cut_with_a_warning(tmp_path: Path) -> None:
    from trustsurvey.io import FileMetadata, SurveyData

    sd = SurveyData(
        pd.DataFrame({"q": [1.0]}),
        FileMetadata(column_names=["q"], variable_labels={"q": "я" * 200}),
    )
    with pytest.warns(UserWarning, match="256 bytes"):
        write_spss(sd, tmp_path / "o.sav")


def test_names_changed_only_where_spss_forbids(tmp_path: Path) -> None:
    from trustsurvey.io import FileMetadata, SurveyData

    names = ["שם", "Область", "q.1", "a#b", "a$b", "x_", "_id", "#tmp", "$sys", "ALL", "q 1"]
    names += ["Age", "AGE", "@_id"]
    sd = SurveyData(pd.DataFrame({n: [1.0] for n in names}), FileMetadata(column_names=names))
    expected = {
        "_id": "v_id",
        "#tmp": "v#tmp",
        "$sys": "v$sys",
        "ALL": "vALL",
        "q 1": "q_1",
        "AGE": "AGE_",
    }
    assert spss_names(names) == expected
    with pytest.warns(UserWarning, match="renamed for SPSS") as caught:
        out = write_spss(sd, tmp_path / "n.sav")
    message = str(caught[0].message)
    assert all(f"{old} → {new}" in message for old, new in expected.items())
    frame, meta = _raw(out)
    assert list(frame.columns) == [expected.get(n, n) for n in names]
    assert meta.column_names_to_labels["v_id"] == "_id"  # the old name as label
    assert "@_id" in meta.column_names  # valid in SPSS: kept
    assert "trustsurvey: renamed for SPSS" in " ".join(meta.notes)


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("שם", True),
        ("Область", True),
        ("@_id", True),
        ("a.b", True),
        ("ab.", False),
        ("_id", False),
        ("#x", False),
        ("$x", False),
        ("1a", False),
        ("and", False),
        ("a" * 64, True),
        ("a" * 65, False),
        ("Ж" * 33, False),
    ],
)
def test_valid_spss_name(name: str, ok: bool) -> None:
    assert valid_spss_name(name) is ok
