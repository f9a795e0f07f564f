"""Give variables of a freshly written ``.sav``/``.zsav`` names the writer refuses.

SPSS allows a variable name to start with ``@`` (ODK Central's SPSS exports have ``@_id``),
but pyreadstat's writer refuses it. :func:`write_spss` writes such a column under a
placeholder of the same byte length (``@_id`` → ``A_id``) and this module puts the real name
into the records that carry long names (GNU PSPP, "System File Format": long variable names,
extension record 13; long string value labels, 21; long string missing values, 22). The
lengths do not change, so nothing else in the file moves.

Examples
--------
>>> import tempfile, pathlib, pandas as pd, pyreadstat
>>> path = pathlib.Path(tempfile.mkdtemp()) / "x.sav"
>>> pyreadstat.write_sav(pd.DataFrame({"A_id": [1.0]}), str(path))
>>> rename_in_place(path, {"A_id": "@_id"})
>>> pyreadstat.read_sav(str(path))[1].column_names
['@_id']
"""

from __future__ import annotations

import struct
from pathlib import Path


def _records(data: bytes, endian: str) -> list[tuple[int, int, int]]:
    """(subtype, body offset, body length) of every extension record of a valid dictionary."""
    out = []
    pos = 176
    while True:
        (rec,) = struct.unpack_from(endian + "i", data, pos)
        pos += 4
        if rec == 2:
            _width, has_label, n_missing = struct.unpack_from(endian + "3i", data, pos)
            pos += 20 + 8
            if has_label:
                (length,) = struct.unpack_from(endian + "i", data, pos)
                pos += 4 + (length + 3) // 4 * 4
            pos += 8 * abs(n_missing)
        elif rec == 3:
            (count,) = struct.unpack_from(endian + "i", data, pos)
            pos += 4
            for _ in range(count):
                pos += 8 + (data[pos + 8] + 8) // 8 * 8
            (n_vars,) = struct.unpack_from(endian + "i", data, pos + 4)
            pos += 8 + 4 * n_vars
        elif rec == 6:
            (n_lines,) = struct.unpack_from(endian + "i", data, pos)
            pos += 4 + 80 * n_lines
        elif rec == 7:
            subtype, size, count = struct.unpack_from(endian + "3i", data, pos)
            pos += 12
            out.append((subtype, pos, size * count))
            pos += size * count
        elif rec == 999:
            return out
        else:
            raise ValueError(f"unexpected dictionary record {rec} at {pos - 4}")


def _patch_long_names(body: bytearray, names: dict[bytes, bytes]) -> None:
    entries = bytes(body).split(b"\t")
    for i, entry in enumerate(entries):
        short, sep, long = entry.partition(b"=")
        if sep and long in names:
            entries[i] = short + b"=" + names[long]
    body[:] = b"\t".join(entries)


def _patch_prefixed(body: bytearray, names: dict[bytes, bytes], endian: str, kind: int) -> None:
    pos = 0
    while pos + 4 <= len(body):
        (length,) = struct.unpack_from(endian + "i", body, pos)
        name = bytes(body[pos + 4 : pos + 4 + length])
        if name in names:
            body[pos + 4 : pos + 4 + length] = names[name]
        pos += 4 + length
        if kind == 21:  # var_width, n_labels, then (value_len, value, label_len, label)…
            _width, n_labels = struct.unpack_from(endian + "2i", body, pos)
            pos += 8
            for _ in range(n_labels):
                for _part in range(2):
                    (size,) = struct.unpack_from(endian + "i", body, pos)
                    pos += 4 + size
        else:  # n_missing (1 byte), value_len, values
            n_missing = body[pos]
            (value_len,) = struct.unpack_from(endian + "i", body, pos + 1)
            pos += 5 + n_missing * value_len


def rename_in_place(path: str | Path, names: dict[str, str]) -> None:
    """Rename variables ``{written: wanted}`` of a valid ``.sav``/``.zsav`` in place.

    Each wanted name must have the same UTF-8 byte length as the written one.
    """
    raw = {old.encode("utf-8"): new.encode("utf-8") for old, new in names.items()}
    if any(len(old) != len(new) for old, new in raw.items()):
        raise ValueError("a new name must have the byte length of the old one")
    with Path(path).open("r+b") as fh:
        head = fh.read(176)
        endian = "<" if struct.unpack_from("<i", head, 64)[0] in (2, 3) else ">"
        fh.seek(0)
        data = bytearray(fh.read(64 * 1024 * 1024))
        for subtype, start, length in _records(bytes(data), endian):
            if subtype not in (13, 21, 22):
                continue
            body = bytearray(data[start : start + length])
            if subtype == 13:
                _patch_long_names(body, raw)
            else:
                _patch_prefixed(body, raw, endian, subtype)
            if len(body) != length:  # pragma: no cover - guarded by the length check above
                raise ValueError("record length changed")
            fh.seek(start)
            fh.write(body)
