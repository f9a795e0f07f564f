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


def seed_bytes(suffix: str) -> bytes:
    """Bytes of a valid file of this kind, to mutate."""
    if suffix == ".zsav":
        import tempfile

        import pyreadstat

        frame, _meta = pyreadstat.read_sav(str(SEED_FILES[".sav"]))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "seed.zsav"
            pyreadstat.write_sav(frame, str(path), compress=True)
            return path.read_bytes()
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

    path = folder / "q.yaml"
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    _documented(load_questionnaire, path)


def load_study_text(text: str | bytes, folder: Path) -> None:
    """``load_study`` on a study.yaml document in a folder holding the mini study's files."""
    from trustsurvey.study import load_study

    path = folder / "study.yaml"
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    _documented(load_study, folder)


def read_xlsform_bytes(data: bytes, folder: Path) -> None:
    """``from_xlsform`` on ``data`` saved as ``form.xlsx``."""
    from trustsurvey.questionnaire import from_xlsform

    path = folder / "form.xlsx"
    path.write_bytes(data)
    _documented(from_xlsform, path)


def build_xlsform(sheets: dict[str, list[list[Any]]], folder: Path) -> None:
    """Write an XLSForm from rows with openpyxl and read it with ``from_xlsform``."""
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    from trustsurvey.questionnaire import from_xlsform

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
