"""Read programme records (CSV or Excel) as text, with personal data dropped at once.

Cells are read as text so validation can report every raw value as written; ``_row`` is the
1-based data row of the file (as in the survey validation report). Columns named
``caller_*`` are removed right after reading: they never reach a table or an output.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "hotline.csv"
>>> _ = p.write_text("appeal_id,caller_phone\\nA1,+380 50 000 00 00\\n", encoding="utf-8")
>>> frame, dropped = read_records(p)
>>> list(frame.columns), dropped
(['appeal_id', '_row'], ['caller_phone'])
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from trustsurvey.errors import InputFileError
from trustsurvey.programme.model import ProgrammeData, pii_columns

if TYPE_CHECKING:  # pragma: no cover
    from trustsurvey.study.model import Study


def read_records(path: str | Path) -> tuple[pd.DataFrame, list[str]]:
    """One records file as text cells (blank = missing) and the PII columns dropped."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError("file does not exist", file=path, hint="check the path")
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm", ".xls"):
            frame = pd.read_excel(path, dtype=str, keep_default_na=False)
        elif suffix in (".csv", ".txt"):
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        else:
            raise InputFileError(
                f"unsupported file type '{suffix}'",
                file=path,
                hint="give programme records as CSV (UTF-8) or Excel .xlsx",
            )
    except UnicodeDecodeError as err:
        raise InputFileError(
            f"is not UTF-8 text ({err.reason})", file=path, hint="save the CSV as UTF-8"
        ) from err
    except (pd.errors.ParserError, ValueError) as err:
        raise InputFileError(
            f"cannot be read: {err}", file=path, hint="check it opens as a table"
        ) from err
    frame.columns = [str(c).strip() for c in frame.columns]
    dropped = pii_columns(frame)
    frame = frame.drop(columns=dropped)
    frame = frame.apply(lambda s: s.str.strip()).replace("", pd.NA)
    frame["_row"] = range(1, len(frame) + 1)
    return frame, dropped


def read_programme(study: Study) -> ProgrammeData:
    """The programme files a study names (``programme:`` in study.yaml)."""
    from trustsurvey.errors import StudyError

    spec = study.programme
    if spec is None:
        raise StudyError(
            "has no programme section",
            file=study.file,
            item="programme",
            hint="add 'programme:' with activities, hotline and/or trainings files",
        )
    data = ProgrammeData()
    for kind in ("activities", "hotline", "trainings"):
        path = getattr(spec, kind)
        if path is None:
            continue
        frame, dropped = read_records(path)
        setattr(data, kind, frame)
        data.files[kind] = path.name
        data.dropped_pii[kind] = dropped
    return data
