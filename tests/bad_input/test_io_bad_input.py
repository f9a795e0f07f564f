"""Bad input files: every problem is an InputFileError naming the file and what to do, and
the file is never modified (checksums before and after)."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from trustsurvey.errors import InputFileError
from trustsurvey.io import convert, inspect_file, read_survey
from trustsurvey.io.files import sha256

# an 1×1 PNG image
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def _assert_refused(path: Path, pattern: str, **kwargs: object) -> InputFileError:
    before = sha256(path) if path.exists() else None
    with pytest.raises(InputFileError, match=pattern) as info:
        read_survey(path, **kwargs)
    message = str(info.value)
    assert str(path) in message
    assert "What to do:" in message
    if before is not None:
        assert sha256(path) == before
    return info.value


@pytest.fixture
def good_sav(tmp_path: Path) -> Path:
    frame = pd.DataFrame({"q": [1.0, 2.0, 8.0] * 200, "s": ["так", "ні", "—"] * 200})
    path = tmp_path / "good.sav"
    pyreadstat.write_sav(frame, str(path), missing_ranges={"q": [8.0]})
    return path


def test_missing_file(tmp_path: Path) -> None:
    _assert_refused(tmp_path / "nowhere.sav", "file not found")


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.sav"
    path.write_bytes(b"")
    _assert_refused(path, "empty")


def test_truncated_sav(good_sav: Path, tmp_path: Path) -> None:
    data = good_sav.read_bytes()
    for keep in (len(data) // 2, len(data) - 100, 300):
        cut = tmp_path / f"cut_{keep}.sav"
        cut.write_bytes(data[:keep])
        _assert_refused(cut, "truncated|damaged")


def test_csv_renamed_to_sav(tmp_path: Path) -> None:
    path = tmp_path / "fake.sav"
    path.write_text("id,trust\n1,4\n2,5\n", encoding="utf-8")
    _assert_refused(path, "not an SPSS .sav file")


def test_png_renamed_to_sav_and_csv(tmp_path: Path) -> None:
    for name in ("photo.sav", "photo.csv", "photo.xlsx", "photo.por"):
        path = tmp_path / name
        path.write_bytes(PNG)
        _assert_refused(path, "PNG|not a readable|not an SPSS")


def test_unsupported_extension(tmp_path: Path) -> None:
    path = tmp_path / "data.dta"
    path.write_bytes(b"whatever")
    _assert_refused(path, "unsupported file extension")


def test_ragged_csv_names_rows(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("id,trust,sex\n1,4,1\n2,5\n3,1,2,9\n4,2,1\n", encoding="utf-8")
    err = _assert_refused(path, "number of fields")
    assert err.row == [2, 3]


def test_xlsx_without_data(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    pd.DataFrame().to_excel(path, index=False)
    _assert_refused(path, "no data")


def test_csv_in_wrong_encoding(tmp_path: Path) -> None:
    path = tmp_path / "cp1251.csv"
    path.write_bytes("id,область\n1,Київ\n2,Львів\n".encode("cp1251"))
    _assert_refused(path, "not valid utf-8")
    sd = read_survey(path, encoding="cp1251")
    assert sd.data["область"].tolist() == ["Київ", "Львів"]
    _assert_refused(path, "garbled.*cp1251", encoding="latin-1")


def test_sav_read_with_wrong_encoding(fixtures_dir: Path, tmp_path: Path) -> None:
    src = tmp_path / "cp1251.sav"
    shutil.copy(fixtures_dir / "spss" / "cp1251.sav", src)
    for wrong in ("latin-1", "koi8-u", "cp866"):
        err = _assert_refused(src, r"garbled.*encoding='cp1251'", encoding=wrong)
        assert "trust" in err.item
    _assert_refused(src, "cannot decode.*cp1251", encoding="utf-8")
    _assert_refused(src, "unknown text encoding", encoding="no-such-codec")


def test_convert_bad_output_extension(good_sav: Path, tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="unsupported file extension"):
        convert(good_sav, tmp_path / "out.txt")
    with pytest.raises(InputFileError, match=r"\.por"):
        convert(good_sav, tmp_path / "out.por")


def test_inspect_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "x.sav"
    path.write_bytes(b"$FL2" + b"\x00" * 20)
    with pytest.raises(InputFileError, match=r"x\.sav"):
        inspect_file(path)
