"""Atomic file writing shared by every room: write to a temporary file beside the target,
then ``os.replace`` it into place.

A reader never sees half a file, and an interrupted or failed run leaves the old file intact
and no temporary file behind (the POSIX rename guarantee; the same pattern as
``atomicwrites`` / ``click.utils.LazyFile(atomic=True)``).

>>> import tempfile, pathlib
>>> target = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
>>> with atomic_path(target) as tmp:
...     _ = tmp.write_text("done")
>>> target.read_text()
'done'
>>> atomic_write_text(target, "again").read_text()
'again'
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def atomic_path(target: str | Path, *, mkdir: bool = True) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; on success move it into place atomically
    (``os.replace``), on failure remove it, so a half-written file never replaces a good one.

    The temporary name keeps ``target``'s suffix (writers that choose the format from the
    extension still work). ``mkdir=False`` leaves a missing parent folder an error.
    """
    target = Path(target)
    if mkdir:
        target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}", dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def write_atomic(target: str | Path, writer: Callable[[Path], object]) -> Path:
    """Call ``writer(tmp_path)`` and move the result to ``target`` atomically."""
    with atomic_path(target) as tmp:
        writer(tmp)
    return Path(target)


def atomic_write_text(target: str | Path, text: str, *, mkdir: bool = True) -> Path:
    """Write ``text`` (UTF-8) to ``target`` atomically."""
    with atomic_path(target, mkdir=mkdir) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def atomic_write_csv(target: str | Path, frame: Any) -> Path:
    """Write a DataFrame as UTF-8 CSV (no index) to ``target`` atomically."""
    with atomic_path(target) as tmp:
        frame.to_csv(tmp, index=False, encoding="utf-8")
    return Path(target)
