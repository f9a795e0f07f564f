"""Fuzz targets shared by the bounded CI fuzz tests and ``benchmarks/fuzz_long.py``.

Each target takes bytes (or a built document), writes them to a file in a temporary folder
and calls one reader. The contract: a reader either returns or raises a documented
:class:`~trustsurvey.errors.TrustSurveyError`; anything else escaping is a bug. Targets return
nothing and let other exceptions propagate, so any harness (hypothesis, atheris) can drive them.

>>> import tempfile
>>> from pathlib import Path
>>> folder = Path(tempfile.mkdtemp())
>>> read_bytes_as(b"", ".sav", folder)        # a documented error is swallowed
>>> read_bytes_as(b"a,b\\n1,2\\n", ".csv", folder)
"""

from __future__ import annotations

import atexit
import hashlib
import os
import warnings
from pathlib import Path
from typing import Any

from trustsurvey.errors import TrustSurveyError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
#: real files whose bytes are mutated (small ones, so every mutation is read fast)
SEED_FILES = {
    ".sav": FIXTURES / "spss" / "utf8_mrsets.sav",
    ".zsav": None,  # built on demand from the .sav seed
    ".por": FIXTURES / "spss" / "legacy.por",
    ".xlsx": FIXTURES / "xlsform" / "kobo_police_form.xlsx",
}
READ_SUFFIXES = (".sav", ".zsav", ".por", ".csv", ".xlsx", ".parquet")

#: order-free digest of every input fed in this process: (sum of SHA-256 mod 2**256, count)
_DIGEST = [0, 0]


def _record(*parts: object) -> None:
    """Add one input to the digest that ``benchmarks/fuzz_repeat.py`` compares across runs."""
    blob = b"\x00".join(p if isinstance(p, bytes) else repr(p).encode() for p in parts)
    _DIGEST[0] = (_DIGEST[0] + int.from_bytes(hashlib.sha256(blob).digest(), "big")) % (1 << 256)
    _DIGEST[1] += 1


@atexit.register
def _write_digest() -> None:
    target = os.environ.get("TRUSTSURVEY_FUZZ_DIGEST")
    if target and _DIGEST[1]:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(f"{_DIGEST[1]} {_DIGEST[0]:064x}\n")


def seed_bytes(suffix: str) -> bytes:
    """Bytes of a valid file of this kind, to mutate."""
    if suffix == ".zsav":
        import tempfile

        import pyreadstat

        frame, _meta = pyreadstat.read_sav(str(SEED_FILES[".sav"]))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "seed.zsav"
            pyreadstat.write_sav(frame, str(path), compress=True)
            data = bytearray(path.read_bytes())
        # the header's creation date and time (offsets 92 and 101) are the clock's: fix them,
        # so every run mutates the same bytes
        data[92:109] = b"01 Jan 2600:00:00"
        return bytes(data)
    if suffix == ".csv":
        return 'resp_id,wave,trust_police,comment\n1,1,4,Київ\n2,1,8,\n3,2,5,"a,b"\n'.encode()
    if suffix == ".parquet":
        import io

        import pandas as pd

        buf = io.BytesIO()
        pd.DataFrame({"resp_id": [1, 2], "trust_police": [4.0, 8.0]}).to_parquet(buf)
        return buf.getvalue()
    return SEED_FILES[suffix].read_bytes()  # type: ignore[union-attr]


def _documented(call: Any, *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return call(*args, **kwargs)
        except TrustSurveyError:
            return None


def read_bytes_as(data: bytes, suffix: str, folder: Path, **kwargs: Any) -> None:
    """``read_survey`` on ``data`` saved as ``fuzz{suffix}``, then its analysis view."""
    from trustsurvey.io import read_survey

    _record(data, suffix, sorted(kwargs.items()))
    path = folder / f"fuzz{suffix}"
    path.write_bytes(data)
    sd = _documented(read_survey, path, **kwargs)
    if sd is not None:
        sd.analysis()
    inspect_bytes = _documented(_inspect, path)
    del inspect_bytes


def _inspect(path: Path) -> Any:
    from trustsurvey.io import inspect_file

    return inspect_file(path)


def load_yaml_text(text: str | bytes, folder: Path) -> None:
    """``load_questionnaire`` on a YAML document saved as ``q.yaml``."""
    from trustsurvey.questionnaire import load_questionnaire

    _record(text)
    path = folder / "q.yaml"
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    _documented(load_questionnaire, path)


def load_study_text(text: str | bytes, folder: Path) -> None:
    """``load_study`` on a study.yaml document in a folder holding the mini study's files."""
    from trustsurvey.study import load_study

    _record(text)
    path = folder / "study.yaml"
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    _documented(load_study, folder)


def read_xlsform_bytes(data: bytes, folder: Path) -> None:
    """``from_xlsform`` on ``data`` saved as ``form.xlsx``."""
    from trustsurvey.questionnaire import from_xlsform

    _record(data)
    path = folder / "form.xlsx"
    path.write_bytes(data)
    _documented(from_xlsform, path)


def build_xlsform(sheets: dict[str, list[list[Any]]], folder: Path) -> None:
    """Write an XLSForm from rows with openpyxl and read it with ``from_xlsform``."""
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    from trustsurvey.questionnaire import from_xlsform

    _record(sheets)
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:  # Excel cannot hold control characters: a real form never has them
            sheet.append(
                [ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else c for c in row]
            )
    path = folder / "form.xlsx"
    book.save(path)
    _documented(from_xlsform, path)
