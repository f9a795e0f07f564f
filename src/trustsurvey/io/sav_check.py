"""A structural check of an SPSS ``.sav``/``.zsav`` dictionary, done before the C reader runs.

ReadStat (under pyreadstat) trusts some counts and lengths in the dictionary records; a
damaged file can make it read outside its buffers and crash the whole Python process. This
module walks the dictionary the way the format defines it (GNU PSPP, "System File Format":
file header, variable records (type 2), value labels (3 and 4), documents (6), extension
records (7), end of dictionary (999), and for ``.zsav`` the zlib header and trailer) and
reports the first thing that is not consistent, with its byte offset. A file that passes is
read in-process as usual; a file that fails is read by the C reader in a child process
(:mod:`trustsurvey.io.isolated`), so a crash there ends in a clear error.

Examples
--------
>>> check_sav_bytes(b"$FL2" + bytes(100)) is None
False
>>> print(check_sav_bytes(b"$FL2" + bytes(100)))
offset 4: the file ends inside the file header (176 bytes)
"""

from __future__ import annotations

import codecs
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HEADER_SIZE = 176
#: largest dictionary read for the check; beyond it the file is checked in the child process
MAX_DICTIONARY_BYTES = 64 * 1024 * 1024
#: extension records made of bytes (PSPP: MR sets, long names, very long strings, attributes,
#: encoding, long string labels and missing values); others may have any item size
_TEXT_RECORDS = (7, 13, 14, 17, 18, 19, 20, 21, 22)
#: format type codes of A and AHEX (PSPP, "Variable Record")
_STRING_FORMATS = (1, 2)
#: code pages SPSS writes in the integer-info record that Python spells differently
_CODEPAGES = {65001: "utf-8", 20127: "ascii", 28591: "latin-1", 20866: "koi8-r", 21866: "koi8-u"}


@dataclass(frozen=True)
class SavProblem:
    """The first inconsistency found in a ``.sav`` dictionary."""

    offset: int
    message: str
    #: the file cannot be right whatever the reader does (e.g. it declares more rows than
    #: its data can hold): report it at once instead of letting the C reader try
    fatal: bool = False

    def __str__(self) -> str:
        return f"offset {self.offset}: {self.message}"


class _Bad(Exception):
    def __init__(self, offset: int, message: str, fatal: bool = False) -> None:
        super().__init__(message)
        self.problem = SavProblem(offset, message, fatal)


class _Cursor:
    def __init__(self, data: bytes, endian: str) -> None:
        self.data = data
        self.pos = 0
        self.endian = endian
        #: (offset, 8 bytes) of string values (value labels, missing values) to decode
        self.strings: list[tuple[int, bytes]] = []
        self.encoding: str | None = None
        self.codepage: int | None = None

    def need(self, n: int, what: str) -> None:
        if n < 0 or self.pos + n > len(self.data):
            raise _Bad(self.pos, f"the file ends inside {what}")

    def int32(self, what: str) -> int:
        self.need(4, what)
        (value,) = struct.unpack_from(self.endian + "i", self.data, self.pos)
        self.pos += 4
        return int(value)

    def int64(self, what: str) -> int:
        self.need(8, what)
        (value,) = struct.unpack_from(self.endian + "q", self.data, self.pos)
        self.pos += 8
        return int(value)

    def skip(self, n: int, what: str) -> None:
        self.need(n, what)
        self.pos += n


def _endian(data: bytes) -> str:
    for endian in ("<", ">"):
        (layout,) = struct.unpack_from(endian + "i", data, 64)
        if layout in (2, 3):
            return endian
    raise _Bad(64, "the layout code is neither 2 nor 3 (unknown byte order)")


def _header(cur: _Cursor) -> tuple[int, int]:
    data = cur.data
    if data[:4] not in (b"$FL2", b"$FL3"):
        raise _Bad(0, "the file does not start with the SPSS signature $FL2/$FL3")
    if len(data) < HEADER_SIZE:
        raise _Bad(4, f"the file ends inside the file header ({HEADER_SIZE} bytes)")
    cur.endian = _endian(data)
    cur.pos = 68
    cur.int32("the header")  # nominal case size (-1 when unknown): counted from the records
    compression = cur.int32("the header")
    if compression not in (0, 1, 2):
        raise _Bad(72, f"unknown compression code {compression}")
    if (compression == 2) != (data[:4] == b"$FL3"):
        raise _Bad(72, "the compression code does not match the $FL2/$FL3 signature")
    weight = cur.int32("the header")
    if weight < 0:
        raise _Bad(76, f"negative weight variable index {weight}")
    cur.pos = HEADER_SIZE
    return compression, weight


def _variable(cur: _Cursor, widths: list[int], pending: int) -> int:
    start = cur.pos - 4
    width = cur.int32("a variable record")
    if width == -1:
        if pending <= 0:
            raise _Bad(start + 4, "a string continuation record follows no long string")
        pending -= 1
    else:
        if pending:
            raise _Bad(start, f"{pending} continuation record(s) of a long string are missing")
        if not 0 <= width <= 255:
            raise _Bad(start + 4, f"variable width {width} is outside 0…255")
        pending = (width - 1) // 8 if width else 0
    has_label = cur.int32("a variable record")
    if has_label not in (0, 1):
        raise _Bad(start + 8, f"the variable-label flag is {has_label} (0 or 1 expected)")
    n_missing = cur.int32("a variable record")
    if n_missing not in (0, 1, 2, 3, -2, -3):
        raise _Bad(start + 12, f"{n_missing} missing values declared (0…3, -2 or -3 allowed)")
    if width == -1 and (has_label or n_missing):
        raise _Bad(start + 8, "a string continuation record carries a label or missing values")
    if width > 0 and n_missing < 0:
        raise _Bad(start + 12, "a missing-value range on a string variable")
    for what in ("print", "write"):
        fmt_pos = cur.pos
        fmt = cur.int32("a variable record")
        if width == -1:
            continue
        if (fmt >> 16) & 0xFF in _STRING_FORMATS and width == 0:
            raise _Bad(fmt_pos, f"a numeric variable has a string {what} format")
        if (fmt >> 16) & 0xFF not in _STRING_FORMATS and width > 0:
            raise _Bad(fmt_pos, f"a string variable has a numeric {what} format")
    cur.skip(8, "a variable name")
    if has_label:
        length = cur.int32("a variable label")
        if not 0 <= length <= 65_535:
            raise _Bad(cur.pos - 4, f"variable label length {length} is outside 0…65535")
        cur.skip((length + 3) // 4 * 4, "a variable label")
    if width > 0:
        for _ in range(n_missing):
            cur.strings.append((cur.pos, cur.data[cur.pos : cur.pos + 8]))
            cur.skip(8, "missing values")
    cur.skip(8 * abs(n_missing) if width <= 0 else 0, "missing values")
    widths.append(width)
    return pending


def _value_labels(cur: _Cursor, widths: list[int]) -> None:
    start = cur.pos - 4
    count = cur.int32("a value-label record")
    if not 0 <= count <= (len(cur.data) - cur.pos) // 8:
        raise _Bad(start + 4, f"{count} value labels cannot fit in the file")
    values = []
    for _ in range(count):
        values.append((cur.pos, cur.data[cur.pos : cur.pos + 8]))
        cur.skip(8, "a value label")
        cur.need(1, "a value label")
        length = cur.data[cur.pos]
        cur.skip((length + 8) // 8 * 8, "a value label")
    rec_pos = cur.pos
    if cur.int32("a value-label record") != 4:
        raise _Bad(rec_pos, "value labels are not followed by their variable list (record 4)")
    n_vars = cur.int32("a value-label variable list")
    if not 1 <= n_vars <= len(widths):
        raise _Bad(rec_pos + 4, f"value labels name {n_vars} variables of {len(widths)}")
    kinds = set()
    for _ in range(n_vars):
        at = cur.pos
        index = cur.int32("a value-label variable list")
        if not 1 <= index <= len(widths) or widths[index - 1] == -1:
            raise _Bad(at, f"value labels point to variable {index}, which does not exist")
        kinds.add(widths[index - 1] > 0)
    if len(kinds) > 1:
        raise _Bad(rec_pos, "one value-label set is given to numeric and string variables")
    if kinds == {True}:
        cur.strings.extend(values)


def _extension(cur: _Cursor) -> None:
    start = cur.pos - 4
    subtype = cur.int32("an extension record")
    size = cur.int32("an extension record")
    count = cur.int32("an extension record")
    if size < 0 or count < 0 or size * count > len(cur.data) - cur.pos:
        raise _Bad(start + 8, f"extension record {subtype} claims {size}×{count} bytes")
    expected = {3: 4, 4: 8, 11: 4, 16: 8}.get(subtype)
    if expected is not None and size != expected:
        raise _Bad(start + 8, f"extension record {subtype} has items of {size} bytes")
    fixed_count = {3: 8, 4: 3}.get(subtype)
    if fixed_count is not None and count != fixed_count:
        raise _Bad(start + 12, f"extension record {subtype} has {count} items")
    if subtype in _TEXT_RECORDS and size != 1:
        raise _Bad(start + 8, f"extension record {subtype} has items of {size} bytes")
    body = cur.pos
    cur.skip(size * count, "an extension record")
    if subtype == 3:
        cur.codepage = struct.unpack_from(cur.endian + "i", cur.data, body + 28)[0]
    elif subtype == 20:
        cur.encoding = cur.data[body : body + count].decode("ascii", "replace").strip()


def _zsav(cur: _Cursor, size: int, read_at: Callable[[int, int], bytes]) -> int:
    at = cur.pos
    zheader_ofs = cur.int64("the zlib header")
    ztrailer_ofs = cur.int64("the zlib header")
    ztrailer_len = cur.int64("the zlib header")
    if zheader_ofs != at:
        raise _Bad(at, f"the zlib header says it starts at {zheader_ofs}")
    if not at + 24 <= ztrailer_ofs <= size or ztrailer_ofs + ztrailer_len != size:
        raise _Bad(at + 8, "the zlib trailer does not end where the file ends")
    if ztrailer_len < 24 or (ztrailer_len - 24) % 24:
        raise _Bad(at + 16, f"the zlib trailer length {ztrailer_len} is not 24 + 24·n")
    cur = _Cursor(read_at(ztrailer_ofs, ztrailer_len), cur.endian)
    cur.skip(8, "the zlib trailer")  # bias
    cur.skip(8, "the zlib trailer")  # zero
    block_size = cur.int32("the zlib trailer")
    n_blocks = cur.int32("the zlib trailer")
    if block_size <= 0 or n_blocks != (ztrailer_len - 24) // 24:
        raise _Bad(ztrailer_ofs + 16, f"{n_blocks} zlib blocks do not fit the trailer")
    expected_ofs = at + 24
    plain_total = 0
    for _ in range(n_blocks):
        entry = ztrailer_ofs + cur.pos
        cur.skip(8, "the zlib trailer")  # uncompressed offset
        compressed_ofs = cur.int64("the zlib trailer")
        plain_size = cur.int32("the zlib trailer")
        packed_size = cur.int32("the zlib trailer")
        if compressed_ofs != expected_ofs or packed_size <= 0 or plain_size <= 0:
            raise _Bad(entry, "a zlib block entry does not match the blocks in the file")
        if plain_size > block_size:
            raise _Bad(entry + 16, "a zlib block is larger than the block size")
        expected_ofs += packed_size
        plain_total += plain_size
    if expected_ofs != ztrailer_ofs:
        raise _Bad(ztrailer_ofs, "the zlib blocks do not end where the trailer starts")
    return plain_total


def _row_count(cur: _Cursor, case_size: int, compression: int, data_bytes: int) -> None:
    """The declared number of rows must fit in the data: 8 bytes a value uncompressed, at
    least one command byte a value when compressed (PSPP, "Data Record"). A wrong count makes
    pyreadstat allocate and scan for minutes before failing."""
    (n_rows,) = struct.unpack_from(cur.endian + "i", cur.data, 80)
    if n_rows < -1:
        raise _Bad(80, f"the header declares {n_rows} rows")
    per_row = case_size * (8 if compression == 0 else 1)
    if n_rows > 0 and n_rows * per_row > data_bytes:
        most = data_bytes // per_row if per_row else 0
        raise _Bad(
            80,
            f"the header declares {n_rows} rows but the data can hold at most {most}; "
            "the file is truncated or damaged",
            fatal=True,
        )


def _codec(cur: _Cursor, encoding: str | None) -> str | None:
    name = encoding or cur.encoding or _CODEPAGES.get(cur.codepage or 0)
    if name is None and cur.codepage and 0 < cur.codepage < 100_000:
        name = f"cp{cur.codepage}"
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):  # unknown name, or one with a NUL byte
        return None


def _decodable(cur: _Cursor, encoding: str | None) -> None:
    """String value-label values and missing values must decode in the file's encoding
    (ReadStat's converter mishandles some invalid sequences there)."""
    codec = _codec(cur, encoding)
    if codec is None:
        return
    for offset, raw in cur.strings:
        try:
            raw.rstrip(b"\x00 ").decode(codec)
        except UnicodeDecodeError as err:
            raise _Bad(offset + err.start, f"a string value is not valid {codec}") from None


def check_sav_bytes(
    data: bytes,
    *,
    encoding: str | None = None,
    size: int | None = None,
    read_at: Callable[[int, int], bytes] | None = None,
) -> SavProblem | None:
    """The first structural problem of a ``.sav``/``.zsav`` file's dictionary, or None.

    ``data`` is the start of the file, at least up to the end of the dictionary. ``size`` and
    ``read_at(offset, n)`` give the whole file's size and its bytes at an offset (the
    ``.zsav`` trailer sits at the end); by default ``data`` is the whole file. ``encoding``
    is the one the reader will use (None: the file's own).
    """
    if size is None:
        size = len(data)
    if read_at is None:

        def read_at(offset: int, n: int) -> bytes:
            return data[offset : offset + n]

    cur = _Cursor(data, "<")
    try:
        compression, weight = _header(cur)
        widths: list[int] = []
        pending = 0
        while True:
            rec_pos = cur.pos
            rec = cur.int32("the dictionary (no end-of-dictionary record 999)")
            if rec != 2 and pending:
                raise _Bad(rec_pos, f"{pending} continuation record(s) of a string are missing")
            if rec == 2:
                pending = _variable(cur, widths, pending)
            elif rec == 3:
                _value_labels(cur, widths)
            elif rec == 4:
                raise _Bad(rec_pos, "a value-label variable list (record 4) without labels")
            elif rec == 6:
                n_lines = cur.int32("a document record")
                if not 0 <= n_lines <= (len(data) - cur.pos) // 80:
                    raise _Bad(rec_pos + 4, f"{n_lines} document lines cannot fit in the file")
                cur.skip(80 * n_lines, "a document record")
            elif rec == 7:
                _extension(cur)
            elif rec == 999:
                cur.skip(4, "the end-of-dictionary record")
                break
            else:
                raise _Bad(rec_pos, f"unknown dictionary record type {rec}")
        if not widths:
            raise _Bad(HEADER_SIZE, "the dictionary declares no variables")
        if weight and (weight > len(widths) or widths[weight - 1] != 0):
            raise _Bad(76, f"the weight variable {weight} is not a numeric variable")
        _decodable(cur, encoding)
        data_bytes = size - cur.pos
        if compression == 2:
            data_bytes = _zsav(cur, size, read_at)
        _row_count(cur, len(widths), compression, data_bytes)
    except _Bad as bad:
        return bad.problem
    except Exception as err:  # the check must never fail: anything odd is a problem
        return SavProblem(cur.pos, f"the dictionary cannot be walked ({type(err).__name__})")
    return None


def check_sav_file(path: str | Path, encoding: str | None = None) -> SavProblem | None:
    """:func:`check_sav_bytes` on a file: reads at most :data:`MAX_DICTIONARY_BYTES` of its
    start (a longer dictionary counts as a problem) and, for ``.zsav``, its zlib trailer."""
    p = Path(path)
    with p.open("rb") as fh:
        data = fh.read(MAX_DICTIONARY_BYTES)
        size = fh.seek(0, 2)

        def read_at(offset: int, n: int) -> bytes:
            if offset < 0 or n < 0 or n > MAX_DICTIONARY_BYTES:
                return b""
            fh.seek(offset)
            return fh.read(n)

        return check_sav_bytes(data, encoding=encoding, size=size, read_at=read_at)
