"""Convert survey files between .sav, .zsav, .csv, .xlsx and .parquet by extension.

Labels and missing codes go wherever the target can hold them (see
:mod:`trustsurvey.io.write`); output is written atomically and the input is never touched.

Examples
--------
>>> convert("wave1.sav", "wave1.parquet")   # doctest: +SKIP
PosixPath('wave1.parquet')
"""

from __future__ import annotations

from pathlib import Path

from trustsurvey.errors import InputFileError
from trustsurvey.io.files import file_format
from trustsurvey.io.read import read_survey
from trustsurvey.io.write import write_survey


def convert(
    in_path: str | Path,
    out_path: str | Path,
    *,
    encoding: str | None = None,
    force: bool = False,
    progress: bool | None = None,
) -> Path:
    """Read ``in_path`` and write it to ``out_path`` keeping every label and missing code the
    target format can hold.

    Parameters
    ----------
    in_path, out_path
        Files; formats chosen by extension. ``out_path`` may not be ``in_path``.
    encoding
        Text encoding of the input (e.g. ``"cp1251"``).
    force
        Overwrite ``out_path`` if it exists (never the input).
    """
    src, dst = Path(in_path), Path(out_path)
    file_format(dst)  # unsupported extension → clear error before any reading
    if dst.exists() and src.exists() and dst.resolve() == src.resolve():
        raise InputFileError(
            "refusing to overwrite the input file",
            file=str(dst),
            hint="choose a different output path; raw files are never modified",
        )
    if dst.exists() and not force:
        raise InputFileError(
            "the output file already exists",
            file=str(dst),
            hint="choose another name or pass --force (force=True) to replace it",
        )
    if file_format(dst) == "por":
        raise InputFileError(
            "cannot write SPSS portable (.por) files",
            file=str(dst),
            hint="write .sav or .zsav instead",
        )
    sd = read_survey(src, encoding=encoding, progress=progress)
    return write_survey(sd, dst)
