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


def _variable_names(data: bytes, endian: str) -> list[str]:
    """The 8-byte names of the variable records (type 2), in order (the continuation records
    of strings wider than 8 bytes left out)."""
    shorts: list[str] = []
    pos = 176
    while True:
        (rec,) = struct.unpack_from(endian + "i", data, pos)
        if rec != 2:
            break
        width, has_label, n_missing = struct.unpack_from(endian + "3i", data, pos + 4)
        if width != -1:
            shorts.append(data[pos + 24 : pos + 32].decode("utf-8", "replace").rstrip())
        pos += 32
        if has_label:
            (length,) = struct.unpack_from(endian + "i", data, pos)
            pos += 4 + (length + 3) // 4 * 4
        pos += 8 * abs(n_missing)
    return shorts


def _dictionary_names(data: bytes, endian: str) -> list[str]:
    """The long name of every dictionary variable (the 8-byte slots of the case record), in
    order; the segments of a very long string (extension record 14) repeat its name."""
    shorts = _variable_names(data, endian)
    long_of: dict[str, str] = {}
    segments: dict[str, int] = {}
    for subtype, start, length in _records(data, endian):
        body = data[start : start + length]
        if subtype == 13:
            for entry in body.split(b"\t"):
                key, _, long = entry.partition(b"=")
                long_of[key.decode("utf-8")] = long.decode("utf-8")
        elif subtype == 14:
            for entry in body.split(b"\x00\t"):
                key, _, width = entry.strip(b"\x00\t").partition(b"=")
                if width.strip(b"\x00"):
                    segments[key.decode("utf-8")] = (int(width.strip(b"\x00")) + 251) // 252
    names: list[str] = []
    skip = 0
    for short in shorts:
        if skip:
            names.append(names[-1])
            skip -= 1
            continue
        names.append(long_of.get(short, short))
        skip = segments.get(short, 1) - 1
    return names


def set_alignment(path: str | Path, alignment: dict[str, str]) -> None:
    """Set the alignment (``left``, ``right``, ``center``) of variables of a valid ``.sav``/
    ``.zsav`` in place, in its display-parameter record (extension record 11: measure, width,
    alignment for every dictionary variable), which pyreadstat's writer cannot set."""
    codes = {"left": 0, "right": 1, "center": 2}
    p = Path(path)
    data = bytearray(p.read_bytes())
    endian = "<" if struct.unpack_from("<i", data, 64)[0] in (2, 3) else ">"
    names = _dictionary_names(bytes(data), endian)
    for subtype, start, length in _records(bytes(data), endian):
        if subtype != 11 or length != 12 * len(names):
            continue
        for i, name in enumerate(names):
            if alignment.get(name) in codes:
                struct.pack_into(endian + "i", data, start + 12 * i + 8, codes[alignment[name]])
        p.write_bytes(bytes(data))
        return


def _short_names(data: bytes, endian: str) -> dict[str, str]:
    """Long name → short name (the 8-byte name of the variable record)."""
    shorts = _variable_names(data, endian)
    out = {s: s for s in shorts}
    for subtype, start, length in _records(data, endian):
        if subtype == 13:
            for entry in data[start : start + length].split(b"\t"):
                short, _, long = entry.partition(b"=")
                out[long.decode("utf-8")] = short.decode("utf-8")
    return out


def mr_sets_record(mr_sets: dict[str, dict], shorts: dict[str, str]) -> bytes:
    """The text of a multiple-response sets record (extension record 7): one line per set,
    ``$name=C <label length> <label> <variables>`` or ``$name=D<n> <counted value> …``."""
    lines = []
    for name, spec in mr_sets.items():
        label = str(spec.get("label") or "").encode("utf-8")
        if spec.get("is_dichotomy") or spec.get("type") == "D":
            counted = spec.get("counted_value")
            if isinstance(counted, float) and counted.is_integer():
                counted = int(counted)
            value = str(counted).encode("utf-8")
            kind = b"D" + str(len(value)).encode() + b" " + value
        else:
            kind = b"C"
        members = b" ".join(shorts[v].lower().encode("utf-8") for v in spec["variable_list"])
        head = b"$" + name.lstrip("$").encode("utf-8") + b"=" + kind
        lines.append(head + b" " + str(len(label)).encode() + b" " + label + b" " + members)
    return b"".join(line + b"\n" for line in lines)


def add_mr_sets(path: str | Path, mr_sets: dict[str, dict]) -> None:
    """Insert a multiple-response sets record before the end of a valid file's dictionary
    (shifting the ``.zsav`` header and trailer offsets by its length)."""
    p = Path(path)
    data = bytearray(p.read_bytes())
    endian = "<" if struct.unpack_from("<i", data, 64)[0] in (2, 3) else ">"
    shorts = _short_names(bytes(data), endian)
    body = mr_sets_record(mr_sets, shorts)
    record = struct.pack(endian + "4i", 7, 7, 1, len(body)) + body
    end = _dictionary_end(bytes(data), endian)
    _shift_zsav(data, end, len(record), endian)
    data[end:end] = record
    p.write_bytes(bytes(data))


def _dictionary_end(data: bytes, endian: str) -> int:
    """Offset of the dictionary-termination record (type 999)."""
    pos = 176
    for _subtype, start, length in _records(data, endian):
        pos = max(pos, start + length)
    return data.index(struct.pack(endian + "2i", 999, 0), pos)


def _shift_zsav(data: bytearray, end: int, shift: int, endian: str) -> None:
    """Move the ``.zsav`` header and trailer offsets (after the dictionary ending at ``end``,
    before the change) by ``shift`` bytes."""
    if data[:4] != b"$FL3":
        return
    zheader = end + 8
    zheader_ofs, ztrailer_ofs, ztrailer_len = struct.unpack_from(endian + "3q", data, zheader)
    struct.pack_into(
        endian + "3q", data, zheader, zheader_ofs + shift, ztrailer_ofs + shift, ztrailer_len
    )
    (n_blocks,) = struct.unpack_from(endian + "i", data, ztrailer_ofs + 20)
    for i in range(n_blocks):
        at = ztrailer_ofs + 24 + 24 * i
        plain_ofs, packed_ofs = struct.unpack_from(endian + "2q", data, at)
        struct.pack_into(endian + "2q", data, at, plain_ofs + shift, packed_ofs + shift)


def _slots(data: bytes, endian: str) -> tuple[list[str], list[int], int]:
    """Long name of every 8-byte slot of the case record (continuation slots repeat their
    variable's name), the width of each slot's variable, and where the type-2 records end."""
    names = _dictionary_names(data, endian)
    slots: list[str] = []
    widths: list[int] = []
    pos, var = 176, -1
    while True:
        (rec,) = struct.unpack_from(endian + "i", data, pos)
        if rec != 2:
            return slots, widths, pos
        width, has_label, n_missing = struct.unpack_from(endian + "3i", data, pos + 4)
        if width != -1:
            var += 1
        slots.append(names[var])
        widths.append(width)
        pos += 32
        if has_label:
            (length,) = struct.unpack_from(endian + "i", data, pos)
            pos += 4 + (length + 3) // 4 * 4
        pos += 8 * abs(n_missing)


def lengthen_value_labels(path: str | Path, labels: dict[str, dict]) -> None:
    """Put back value labels the writer cut (ReadStat keeps 120 bytes, SPSS's documented
    limit; the value-label record holds 255: GNU PSPP, "System File Format", record type 3).

    ``labels`` is ``{variable: {value: label}}`` for numeric and short-string variables;
    a label is rewritten where the file's is a cut copy of it.
    """
    p = Path(path)
    data = bytearray(p.read_bytes())
    endian = "<" if struct.unpack_from("<i", data, 64)[0] in (2, 3) else ">"
    slots, widths, pos = _slots(bytes(data), endian)
    end = _dictionary_end(bytes(data), endian)
    out = bytearray()
    while True:
        (rec,) = struct.unpack_from(endian + "i", data, pos)
        if rec != 3:
            break
        (count,) = struct.unpack_from(endian + "i", data, pos + 4)
        at = pos + 8
        entries = []
        for _ in range(count):
            raw_value = bytes(data[at : at + 8])
            length = data[at + 8]
            entries.append((raw_value, bytes(data[at + 9 : at + 9 + length])))
            at += 8 + (length + 8) // 8 * 8
        (n_vars,) = struct.unpack_from(endian + "i", data, at + 4)
        indexes = struct.unpack_from(endian + f"{n_vars}i", data, at + 8)
        var_part = bytes(data[at : at + 8 + 4 * n_vars])
        name = slots[indexes[0] - 1]
        numeric = widths[indexes[0] - 1] == 0
        wanted = {}
        for value, text in labels.get(name, {}).items():
            if numeric:
                key = struct.pack(endian + "d", float(value))
            else:
                key = str(value).encode("utf-8")[:8].ljust(8, b" ")
            wanted[key] = str(text).encode("utf-8")[:255].decode("utf-8", "ignore").encode()
        record = bytearray(struct.pack(endian + "2i", 3, count))
        for raw_value, text in entries:
            full = wanted.get(raw_value, text)
            if not full.startswith(text):
                full = text
            record += raw_value + bytes([len(full)]) + full
            record += b" " * ((len(full) + 8) // 8 * 8 - 1 - len(full))
        out += record + var_part
        pos = at + 8 + 4 * n_vars
    first = _slots(bytes(data), endian)[2]
    shift = len(out) - (pos - first)
    if shift:
        _shift_zsav(data, end, shift, endian)
        data[first:pos] = out
    changed = bool(shift)
    for subtype, start, length in _records(bytes(data), endian):
        if subtype != 21:
            continue
        body = _long_string_labels(bytes(data[start : start + length]), labels, endian)
        if body != data[start : start + length]:
            end = _dictionary_end(bytes(data), endian)
            _shift_zsav(data, end, len(body) - length, endian)
            struct.pack_into(endian + "i", data, start - 4, len(body))  # count of 1-byte units
            data[start : start + length] = body
            changed = True
        break
    if changed:
        p.write_bytes(bytes(data))


def _long_string_labels(body: bytes, labels: dict[str, dict], endian: str) -> bytes:
    """A long-string value-label record (extension record 21) with the cut labels of
    ``labels`` put back whole (its label lengths are 32-bit)."""
    out = bytearray()
    pos = 0
    while pos + 4 <= len(body):
        (name_len,) = struct.unpack_from(endian + "i", body, pos)
        name = body[pos + 4 : pos + 4 + name_len].decode("utf-8", "replace")
        pos += 4 + name_len
        _width, n_labels = struct.unpack_from(endian + "2i", body, pos)
        out += body[pos - 4 - name_len : pos + 8]
        pos += 8
        wanted = {
            str(k).encode("utf-8").rstrip(b" "): str(v).encode("utf-8")
            for k, v in labels.get(name, {}).items()
        }
        for _ in range(n_labels):
            (value_len,) = struct.unpack_from(endian + "i", body, pos)
            value = body[pos + 4 : pos + 4 + value_len]
            pos += 4 + value_len
            (label_len,) = struct.unpack_from(endian + "i", body, pos)
            label = body[pos + 4 : pos + 4 + label_len]
            pos += 4 + label_len
            full = wanted.get(value.rstrip(b" "), label)
            if not full.startswith(label):
                full = label
            out += struct.pack(endian + "i", value_len) + value
            out += struct.pack(endian + "i", len(full)) + full
    return bytes(out)
