"""Checks on input and output paths shared by every reader and writer.

Raw files are never written to; every problem is an :class:`InputFileError` naming the file
and what to do.

Examples
--------
>>> file_format("wave1.ZSAV")
'zsav'
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from trustsurvey._files import atomic_path as atomic_path  # re-exported for this room
from trustsurvey._files import write_atomic as write_atomic
from trustsurvey.errors import InputFileError

FORMATS = {
    ".sav": "sav",
    ".zsav": "zsav",
    ".por": "por",
    ".csv": "csv",
    ".xlsx": "xlsx",
    ".parquet": "parquet",
    ".pq": "parquet",
}

# Leading bytes of formats people mistake for data files.
_FOREIGN_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a ZIP archive (e.g. an .xlsx or .docx workbook)",
    b"\xd0\xcf\x11\xe0": "an old Microsoft Office file (.xls/.doc)",
    b"\xff\xd8\xff": "a JPEG image",
    b"PAR1": "a Parquet file",
    b"\x1f\x8b": "a gzip archive",
}


def file_format(path: str | Path) -> str:
    """The format name for ``path``'s extension, or InputFileError if unsupported."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InputFileError(
            f"unsupported file extension {suffix or '(none)'!r}",
            file=str(path),
            hint="give a .sav, .zsav, .por, .csv, .xlsx or .parquet file",
        )
    return FORMATS[suffix]


def check_readable(path: str | Path) -> Path:
    """The path, if it names an existing, non-empty regular file."""
    p = Path(path)
    if not p.exists():
        raise InputFileError(
            "file not found", file=str(p), hint="check the path and the working directory"
        )
    if not p.is_file():
        raise InputFileError("not a regular file", file=str(p), hint="give the path of a file")
    if p.stat().st_size == 0:
        raise InputFileError(
            "the file is empty (0 bytes)",
            file=str(p),
            hint="copy or export it again; the transfer probably failed",
        )
    return p


def foreign_kind(path: Path) -> str | None:
    """What the file really is, when its first bytes betray a non-data format."""
    with path.open("rb") as fh:
        head = fh.read(8)
    for magic, kind in _FOREIGN_MAGIC.items():
        if head.startswith(magic):
            return kind
    return None


def sha256(path: str | Path) -> str:
    """Checksum of a file (used to prove raw files are not modified)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
