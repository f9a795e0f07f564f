"""The structural check of SPSS dictionaries and the isolated C reader."""

from __future__ import annotations

import struct
import time
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from trustsurvey.errors import InputFileError
from trustsurvey.io import read_survey
from trustsurvey.io.isolated import ChildReadError, ChildReadFailed, read_in_child
from trustsurvey.io.sav_check import check_sav_bytes, check_sav_file

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "spss"
SEED = (FIXTURES / "utf8_mrsets.sav").read_bytes()


def _with(offset: int, value: int) -> bytes:
    data = bytearray(SEED)
    data[offset] = value
    return bytes(data)


@pytest.mark.parametrize("name", ["utf8_mrsets.sav", "cp1251.sav", "cp1251_legacy.sav"])
def test_valid_files_pass(name: str) -> None:
    assert check_sav_file(FIXTURES / name) is None


def test_written_zsav_passes(tmp_path: Path) -> None:
    frame, meta = pyreadstat.read_sav(str(FIXTURES / "utf8_mrsets.sav"))
    out = tmp_path / "x.zsav"
    pyreadstat.write_sav(frame, str(out), compress=True, column_labels=meta.column_labels)
    assert check_sav_file(out) is None
    data = bytearray(out.read_bytes())
    end = bytes(data).index(struct.pack("<ii", 999, 0)) + 8
    data[end + 8] ^= 0x01  # the zlib trailer offset
    problem = check_sav_bytes(bytes(data))
    assert problem is not None and problem.offset == end + 8


@pytest.mark.parametrize(
    ("offset", "value", "offset_found", "words"),
    [
        (180, 0xFF, 192, "numeric print format"),  # ID becomes a 255-byte string
        (226, 0x01, 224, "string print format"),  # TRUST gets format A
        (1000, 0x80, 1000, "not valid utf-8"),  # a string value-label value
        (1236, 0x00, 1236, "does not exist"),  # value labels for variable 0
        (0, ord("X"), 0, "signature"),
    ],
)
def test_damage_is_found_with_its_offset(
    offset: int, value: int, offset_found: int, words: str
) -> None:
    problem = check_sav_bytes(_with(offset, value))
    assert problem is not None
    assert problem.offset == offset_found
    assert words in problem.message


def test_an_encoding_name_with_a_nul_byte_is_no_crash() -> None:
    data = SEED.replace(b"UTF-8", b"UT\x00-8")
    assert check_sav_bytes(data) is None  # the name is unknown: strings are not checked


def test_more_rows_than_the_data_can_hold_is_fatal(tmp_path: Path) -> None:
    data = bytearray(SEED)
    struct.pack_into("<i", data, 80, 0x0FFFFFFF)  # pyreadstat would scan for minutes
    problem = check_sav_bytes(bytes(data))
    assert problem is not None and problem.fatal and problem.offset == 80
    path = tmp_path / "rows.sav"
    path.write_bytes(bytes(data))
    with pytest.raises(InputFileError, match="declares 268435455 rows"):
        read_survey(path)


def test_truncated_dictionary() -> None:
    problem = check_sav_bytes(SEED[:500])
    assert problem is not None and "ends inside" in problem.message


def test_the_user_encoding_is_used_for_string_values() -> None:
    data = _with(1000, 0xC0)  # "\xc0YV": not UTF-8, but a letter in cp1251
    assert check_sav_bytes(data) is not None
    assert check_sav_bytes(data, encoding="cp1251") is None


def test_child_returns_what_pyreadstat_reads() -> None:
    frame, meta = read_in_child("sav", str(FIXTURES / "utf8_mrsets.sav"), {}, timeout=300)
    expected, expected_meta = pyreadstat.read_sav(str(FIXTURES / "utf8_mrsets.sav"))
    pd.testing.assert_frame_equal(frame, expected)
    assert meta.mr_sets == expected_meta.mr_sets


def test_child_reports_a_segfault(tmp_path: Path) -> None:
    path = tmp_path / "crash.sav"
    path.write_bytes(_with(1000, 0x80))
    with pytest.raises(ChildReadFailed, match="SIGSEGV"):
        read_in_child("sav", str(path), {}, timeout=300)


def test_child_reports_reader_errors(tmp_path: Path) -> None:
    path = tmp_path / "short.sav"
    path.write_bytes(SEED[:300])
    with pytest.raises(ChildReadError) as info:
        read_in_child("sav", str(path), {}, timeout=300)
    assert info.value.type_name == "ReadstatError"


def _never_returns(fmt: str, path: str, kwargs: dict) -> tuple:
    time.sleep(600)
    return None, None


def test_watchdog_stops_a_reader_that_never_returns() -> None:
    with pytest.raises(ChildReadFailed) as info:
        read_in_child("sav", "x.sav", {}, timeout=3, reader=_never_returns)
    assert info.value.timed_out == 3
