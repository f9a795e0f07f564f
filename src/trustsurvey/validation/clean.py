"""``clean_study``: a new dataset without excluded respondents, and a log naming each one.

Which checks exclude a respondent is set in ``study.yaml`` (``validation.exclude``; default
``[duplicate, hard_error]``, where ``hard_error`` means every row-level check of severity
``error``). A duplicated interview excludes only the later copy; a duplicated respondent id
(``duplicate_id``) excludes every row carrying it, since the data cannot tell which is right.
Raw files are never modified; the cleaned files go to ``STUDY/out/clean/``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from trustsurvey._files import atomic_write_csv as write_csv
from trustsurvey.study.model import Study
from trustsurvey.validation.checks import CHECKS
from trustsurvey.validation.report import ValidationReport

LOG_COLUMNS = ["file", "row", "resp_id", "checks", "reasons"]


@dataclass
class CleanResult:
    """Cleaned data per wave code, the exclusion log and the files written."""

    data: dict[int, object]  # wave code -> SurveyData
    exclusions: pd.DataFrame
    files: list[Path] = field(default_factory=list)

    def summary(self) -> str:
        kept = sum(len(sd.data) for sd in self.data.values())
        return f"Clean: kept {kept} respondent(s), excluded {len(self.exclusions)}"


def excluding_checks(exclude: tuple[str, ...] | list[str]) -> set[str]:
    """The check names a list such as ``["duplicate", "hard_error"]`` stands for."""
    names = set()
    for name in exclude:
        if name == "hard_error":
            names |= {c.name for c in CHECKS.values() if c.row_level and c.severity == "error"}
        else:
            names.add(name)
    return names


def exclusion_log(report: ValidationReport, exclude: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """One row per excluded respondent: file, row, resp_id, the checks and messages.

    Rows of repeat-group tables are not respondents: their problems stay in the report and
    exclude no one.
    """
    checks = excluding_checks(exclude)
    table = report.table
    hits = table[
        table["check"].isin(checks)
        & table["row"].notna()
        & ~table["file"].isin(sorted(report.repeat_files))
    ]
    if hits.empty:
        return pd.DataFrame(columns=LOG_COLUMNS)
    log = (
        hits.groupby(["file", "row"], sort=True)
        .agg(
            resp_id=("resp_id", "first"),
            checks=("check", lambda s: "; ".join(dict.fromkeys(s))),
            reasons=("message_en", lambda s: "; ".join(dict.fromkeys(s))),
        )
        .reset_index()
    )
    return log[LOG_COLUMNS]


def clean_study(
    study: Study,
    report: ValidationReport | None = None,
    *,
    data: dict[int, object] | None = None,
    exclude: list[str] | None = None,
    out_dir: str | Path | None = None,
    write: bool = True,
) -> CleanResult:
    """Drop the respondents the chosen checks flag; write the new files and the log.

    Parameters
    ----------
    study
        The study (``load_study``).
    report
        A validation report of the same data (made here if not given).
    data
        ``SurveyData`` per wave code, already read (read here if not given).
    exclude
        Checks that exclude (default ``study.validation.exclude``).
    out_dir
        Where to write (default ``STUDY/out/clean``): one ``.sav`` per wave and
        ``exclusions.csv``.

    Examples
    --------
    >>> import tempfile
    >>> from trustsurvey.example import generate_example
    >>> from trustsurvey.study import load_study
    >>> result = clean_study(load_study(generate_example(tempfile.mkdtemp() + "/s")))
    >>> sorted(result.exclusions["checks"])
    ['duplicate', 'exclusive_option', 'invalid_code']
    """
    from trustsurvey.io import write_survey
    from trustsurvey.validation.validate import read_wave, validate_study

    data = dict(data or {})
    for wave in study.waves:
        if wave.code not in data:
            data[wave.code] = read_wave(study, wave)
    if report is None:
        report = validate_study(study, data=data)
    exclude = list(exclude if exclude is not None else study.validation.exclude)
    log = exclusion_log(report, exclude)
    out = Path(out_dir) if out_dir is not None else study.out_dir / "clean"
    cleaned: dict[int, object] = {}
    files: list[Path] = []
    for wave in study.waves:
        sd = data[wave.code]
        name = (
            str(wave.file.relative_to(study.folder))
            if wave.file.is_relative_to(study.folder)
            else str(wave.file)
        )
        rows = log.loc[log["file"] == name, "row"].astype(int) - 1
        keep = ~sd.data.index.isin(rows.tolist())
        new = type(sd)(
            data=sd.data[keep].reset_index(drop=True),
            meta=dataclasses.replace(sd.meta, n_rows=int(keep.sum())),
            extra_missing=sd.extra_missing,
        )
        cleaned[wave.code] = new
        if write:
            files.append(write_survey(new, out / f"{wave.file.stem}_clean.sav"))
    if write:
        files.append(write_csv(out / "exclusions.csv", log))
    return CleanResult(data=cleaned, exclusions=log, files=files)
