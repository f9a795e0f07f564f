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


def _prints_and_reads(fmt: str, path: str, kwargs: dict) -> tuple:
    import os
    import sys

    print("noise on stdout")
    sys.stdout.flush()
    os.write(1, b"\x00raw noise\n")
    return pyreadstat.read_sav(path, **kwargs)


def test_what_the_reader_prints_does_not_corrupt_the_answer() -> None:
    frame, _ = read_in_child(
        "sav", str(FIXTURES / "utf8_mrsets.sav"), {}, timeout=300, reader=_prints_and_reads
    )
    pd.testing.assert_frame_equal(frame, pyreadstat.read_sav(str(FIXTURES / "utf8_mrsets.sav"))[0])


def test_the_helper_survives_a_crash_and_reads_the_next_file(tmp_path: Path) -> None:
    from trustsurvey.io import isolated

    crash = tmp_path / "crash.sav"
    crash.write_bytes(_with(1000, 0x80))
    good = str(FIXTURES / "utf8_mrsets.sav")
    read_in_child("sav", good, {}, timeout=300)
    assert isolated._HELPER is not None
    helper_pid = isolated._HELPER.process.pid
    for _ in range(3):
        with pytest.raises(ChildReadFailed, match="SIGSEGV"):
            read_in_child("sav", str(crash), {}, timeout=300)
        frame, _ = read_in_child("sav", good, {}, timeout=300)
        assert len(frame) == len(pyreadstat.read_sav(good)[0])
    assert isolated._HELPER.process.pid == helper_pid  # one helper, new readers


def test_a_killed_helper_is_replaced() -> None:
    import os
    import signal

    from trustsurvey.io import isolated

    good = str(FIXTURES / "utf8_mrsets.sav")
    read_in_child("sav", good, {}, timeout=300)
    assert isolated._HELPER is not None
    old = isolated._HELPER.process
    os.killpg(old.pid, signal.SIGKILL)
    old.wait()
    frame, _ = read_in_child("sav", good, {}, timeout=300)
    assert len(frame) > 0 and isolated._HELPER.process.pid != old.pid


SCRIPT = """
import sys
from trustsurvey.errors import InputFileError
from trustsurvey.io import isolated, read_survey
try:
    read_survey(sys.argv[1])
except InputFileError as err:
    print(isolated._HELPER.process.pid)
    print(err)
"""


def test_a_script_without_a_main_guard_reads_a_damaged_file(tmp_path: Path) -> None:
    """The helper never imports the caller's ``__main__`` (multiprocessing's spawn and
    forkserver would run this script again in the child); it exits with its caller."""
    import os
    import subprocess
    import sys

    crash = tmp_path / "crash.sav"
    crash.write_bytes(_with(1000, 0x80))
    script = tmp_path / "no_guard.py"
    script.write_text(SCRIPT, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run(
        [sys.executable, str(script), str(crash)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    pid_line, message = result.stdout.strip().splitlines()
    assert "SIGSEGV" in message and str(crash) in message
    assert result.stderr.count("Traceback") == 0
    try:  # the helper has exited with its caller (it is gone or a zombie being reaped)
        state = Path(f"/proc/{int(pid_line)}/stat").read_text().split()[2]
    except FileNotFoundError:
        state = "gone"
    assert state in ("gone", "Z")
