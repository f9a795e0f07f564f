"""Write files atomically: the study room's names for :mod:`trustsurvey._files`.

A reader never sees half a file, and an interrupted run leaves the old file intact.

>>> import tempfile, pathlib
>>> write_text(pathlib.Path(tempfile.mkdtemp()) / "notes.txt", "fertig").read_text()
'fertig'
"""

from __future__ import annotations

from trustsurvey._files import atomic_path as atomic_path
from trustsurvey._files import atomic_write_csv as write_csv
from trustsurvey._files import atomic_write_text as write_text

__all__ = ["atomic_path", "write_csv", "write_text"]
