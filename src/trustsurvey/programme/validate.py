"""Validate programme records: one tidy report (as the survey's), typed clean tables, and
the list of excluded rows, so nothing is dropped silently.

The report has the survey validation's columns ``file, row, resp_id, item, value, check,
severity, message_en, message_uk`` (``resp_id`` holds the record's id: activity, appeal or
participant code; ``row`` the 1-based data row). Rows with an ``error`` are left out of the
analyses and listed in :attr:`ProgrammeValidation.exclusions`.

>>> import pandas as pd
>>> acts = pd.DataFrame({"activity_id": ["A1"], "date": ["2019-06-01"], "community": ["x"],
...                      "type": ["round_table"], "participants": ["-3"], "_row": [1]})
>>> from trustsurvey.programme.model import ProgrammeData
>>> res = validate_records(ProgrammeData(activities=acts, files={"activities": "a.csv"}),
...                        communities={"x"})
>>> res.report.table[["file", "row", "value", "check"]].values.tolist()
[['a.csv', 1, '-3', 'negative_count']]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from trustsurvey.programme.checks import CHECKS
from trustsurvey.programme.model import (
    COUNT_COLUMNS,
    DATE_COLUMNS,
    ID_COLUMN,
    REQUIRED,
    ROLE_COLUMNS,
    SEX_COLUMNS,
    ProgrammeData,
)
from trustsurvey.programme.vocabulary import Vocabulary, load_vocabulary
from trustsurvey.validation.report import COLUMNS, ValidationReport

if TYPE_CHECKING:  # pragma: no cover
    from trustsurvey.study.model import Study

#: default margin around the waves' fieldwork when study.yaml gives no programme period
PERIOD_MARGIN = dt.timedelta(days=365)

CODE_LISTS = {
    "activities": {"type": "activity_type"},
    "hotline": {"channel": "channel", "category": "category", "resolved": "resolved"},
    "trainings": {"phase": "test_phase"},
}


@dataclass
class ProgrammeValidation:
    """The report, the clean (typed, error-free) tables by kind, and the excluded rows."""

    report: ValidationReport
    clean: dict[str, pd.DataFrame] = field(default_factory=dict)
    exclusions: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["file", "row", "id", "checks"])
    )


class _Collector:
    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(
        self,
        file: str,
        frame: pd.DataFrame,
        mask: pd.Series,
        item: str,
        values: Iterable,
        check: str,
        en: str = "",
        uk: str = "",
        id_col: str | None = None,
    ) -> None:
        spec = CHECKS[check]
        sub = frame[mask]
        values = list(values)
        ids = sub[id_col] if id_col and id_col in sub.columns else [None] * len(sub)
        for (_, r), value, rid in zip(sub.iterrows(), values, ids, strict=True):
            self.rows.append(
                {
                    "file": file,
                    "row": int(r["_row"]),
                    "resp_id": "" if rid is None or pd.isna(rid) else str(rid),
                    "item": item,
                    "value": "" if value is None or pd.isna(value) else str(value),
                    "check": check,
                    "severity": spec.severity,
                    "message_en": f"{spec.en}: {en}" if en else spec.en,
                    "message_uk": f"{spec.uk}: {uk}" if uk else spec.uk,
                }
            )

    def file_level(self, file: str, item: str, check: str, en: str, uk: str) -> None:
        spec = CHECKS[check]
        self.rows.append(
            {
                "file": file,
                "row": None,
                "resp_id": "",
                "item": item,
                "value": "",
                "check": check,
                "severity": spec.severity,
                "message_en": f"{spec.en}: {en}",
                "message_uk": f"{spec.uk}: {uk}",
            }
        )

    def table(self) -> pd.DataFrame:
        table = pd.DataFrame(self.rows, columns=COLUMNS)
        table["row"] = pd.array(table["row"].tolist(), dtype="Int64")
        return table


def study_period(study: Study) -> tuple[dt.date, dt.date] | None:
    """The programme period: ``programme.period`` or a year around the waves' fieldwork."""
    spec = study.programme
    if spec is not None and spec.start and spec.end:
        return spec.start, spec.end
    starts = [w.fieldwork_start for w in study.waves if w.fieldwork_start]
    ends = [w.fieldwork_end for w in study.waves if w.fieldwork_end]
    if not starts or not ends:
        return None
    return min(starts) - PERIOD_MARGIN, max(ends) + PERIOD_MARGIN


def study_communities(study: Study) -> set[str] | None:
    """Community codes of the study (``arms.communities``), or None when not declared."""
    table = study.arms.communities
    return None if table is None else {str(c) for c in table["community"]}


def _dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, format="ISO8601", errors="coerce").dt.normalize()


def validate_records(
    data: ProgrammeData,
    *,
    communities: set[str] | None = None,
    period: tuple[dt.date, dt.date] | None = None,
    vocabulary: Vocabulary | None = None,
) -> ProgrammeValidation:
    """Check every record; see :mod:`trustsurvey.programme.checks` for the checks."""
    vocab = vocabulary or load_vocabulary()
    out = _Collector()
    clean: dict[str, pd.DataFrame] = {}
    bad_rows: dict[str, set[int]] = {}
    typed: dict[str, pd.DataFrame] = {}
    for kind, frame in data.frames().items():
        file = data.files.get(kind, kind)
        id_col = ID_COLUMN[kind]
        missing = [c for c in REQUIRED[kind] if c not in frame.columns]
        for col in missing:
            out.file_level(file, col, "missing_column", col, col)
        if missing:
            bad_rows[kind] = set(frame["_row"].astype(int))
            continue
        t = frame.copy()
        for col in REQUIRED[kind]:
            m = t[col].isna()
            out.add(file, t, m, col, t.loc[m, col], "missing_value", col, col, id_col)
        for col, listname in CODE_LISTS[kind].items():
            allowed = set(vocab.codes(listname))
            m = t[col].notna() & ~t[col].isin(allowed)
            hint = "use one of " + ", ".join(vocab.codes(listname))
            out.add(
                file,
                t,
                m,
                col,
                t.loc[m, col],
                "unknown_code",
                hint,
                "допустимі: " + ", ".join(vocab.codes(listname)),
                id_col,
            )
        for col in DATE_COLUMNS[kind]:
            if col not in t.columns:
                continue
            parsed = _dates(t[col])
            m = t[col].notna() & parsed.isna()
            out.add(file, t, m, col, t.loc[m, col], "bad_date", "", "", id_col)
            if period is not None:
                lo, hi = pd.Timestamp(period[0]), pd.Timestamp(period[1])
                m = parsed.notna() & ((parsed < lo) | (parsed > hi))
                out.add(
                    file,
                    t,
                    m,
                    col,
                    t.loc[m, col],
                    "date_outside_period",
                    f"the study period is {period[0]}..{period[1]}",
                    f"період дослідження {period[0]}..{period[1]}",
                    id_col,
                )
            t[col] = parsed
        if "community" in t.columns and communities is not None:
            m = t["community"].notna() & ~t["community"].isin(communities)
            out.add(
                file,
                t,
                m,
                "community",
                t.loc[m, "community"],
                "unknown_community",
                "use a community of the study's communities table",
                "вкажіть громаду з таблиці громад дослідження",
                id_col,
            )
        if kind in ("activities", "hotline"):
            m = t[id_col].notna() & t[id_col].duplicated(keep="first")
            out.add(
                file,
                t,
                m,
                id_col,
                t.loc[m, id_col],
                "duplicate_id",
                "the first occurrence is kept",
                "перший запис залишено",
                id_col,
            )
        if kind == "activities":
            _check_counts(t, file, out)
        if kind == "hotline":
            _check_resolution(t, file, out)
        if kind == "trainings":
            _check_trainings(t, file, out, typed.get("activities"))
        typed[kind] = t
        table = out.table()
        errors = table[(table["file"] == file) & (table["severity"] == "error")]
        bad_rows[kind] = set(errors["row"].dropna().astype(int))
        clean[kind] = t[~t["_row"].isin(bad_rows[kind])].reset_index(drop=True)
    report = ValidationReport(
        out.table(),
        files=list(data.files.values()),
        n_rows={data.files.get(k, k): len(f) for k, f in data.frames().items()},
    )
    return ProgrammeValidation(report, clean, _exclusions(data, report.table, bad_rows))


def _exclusions(data: ProgrammeData, table: pd.DataFrame, bad: dict[str, set[int]]) -> pd.DataFrame:
    rows = []
    for kind, frame in data.frames().items():
        file = data.files.get(kind, kind)
        id_col = ID_COLUMN[kind]
        mine = table[(table["file"] == file) & (table["severity"] == "error")]
        file_checks = ",".join(sorted(set(mine.loc[mine["row"].isna(), "check"])))
        for r in frame[frame["_row"].isin(bad.get(kind, set()))].to_dict("records"):
            row = int(r["_row"])
            checks = sorted(set(mine.loc[mine["row"] == row, "check"])) or [file_checks]
            rid = r.get(id_col)
            rows.append(
                {
                    "file": file,
                    "row": row,
                    "id": "" if rid is None or pd.isna(rid) else str(rid),
                    "checks": ",".join(checks),
                }
            )
    return pd.DataFrame(rows, columns=["file", "row", "id", "checks"])


def _check_counts(t: pd.DataFrame, file: str, out: _Collector) -> None:
    for col in COUNT_COLUMNS:
        if col not in t.columns:
            continue
        num = pd.to_numeric(t[col], errors="coerce")
        m = t[col].notna() & (num.isna() | (num % 1 != 0))
        out.add(file, t, m, col, t.loc[m, col], "bad_number", "", "", "activity_id")
        m = num < 0
        out.add(file, t, m, col, t.loc[m, col], "negative_count", "", "", "activity_id")
        t[col] = num.where(num % 1 == 0).astype("Int64")
    for group, word in ((SEX_COLUMNS, "sex"), (ROLE_COLUMNS, "role")):
        cols = [c for c in group if c in t.columns]
        if not cols:
            continue
        parts = t[cols]
        complete = parts.notna().all(axis=1) & t["participants"].notna()
        total = parts.sum(axis=1, skipna=True)
        m = complete & (total != t["participants"])
        vals = [
            f"{'+'.join(str(v) for v in p)}={s} vs {n}"
            for p, s, n in zip(
                parts[m].to_numpy().tolist(), total[m], t.loc[m, "participants"], strict=True
            )
        ]
        out.add(
            file,
            t,
            m,
            "participants",
            vals,
            "count_mismatch",
            f"by {word} ({', '.join(cols)})",
            f"за {'статтю' if word == 'sex' else 'роллю'}",
            "activity_id",
        )


def _check_resolution(t: pd.DataFrame, file: str, out: _Collector) -> None:
    if "date_resolved" not in t.columns:
        t["date_resolved"] = pd.Series(pd.NaT, index=t.index, dtype="datetime64[ns]")
    m = (
        t["date_resolved"].notna()
        & t["date_received"].notna()
        & (t["date_resolved"] < t["date_received"])
    )
    vals = [
        f"{a.date()} < {b.date()}"
        for a, b in zip(t.loc[m, "date_resolved"], t.loc[m, "date_received"], strict=True)
    ]
    out.add(file, t, m, "date_resolved", vals, "resolved_before_received", "", "", "appeal_id")
    m = (t["resolved"] == "yes") & t["date_resolved"].isna()
    out.add(
        file,
        t,
        m,
        "date_resolved",
        t.loc[m, "resolved"],
        "resolved_without_date",
        "it counts as resolved but its time to resolution is unknown (left out of the curve)",
        "час вирішення невідомий",
        "appeal_id",
    )


def _check_trainings(
    t: pd.DataFrame, file: str, out: _Collector, activities: pd.DataFrame | None
) -> None:
    score = pd.to_numeric(t["score"], errors="coerce")
    m = t["score"].notna() & score.isna()
    out.add(
        file, t, m, "score", t.loc[m, "score"], "bad_number", "a number", "число", "participant"
    )
    t["score"] = score
    key = ["training_id", "participant", "phase"]
    m = t[key].notna().all(axis=1) & t.duplicated(key, keep="first")
    out.add(
        file, t, m, "participant", t.loc[m, "participant"], "duplicate_test", "", "", "participant"
    )
    if activities is not None:
        trainings = set(
            activities.loc[activities["type"].astype(str).str.startswith("training"), "activity_id"]
        )
        m = t["training_id"].notna() & ~t["training_id"].isin(trainings)
        out.add(
            file,
            t,
            m,
            "training_id",
            t.loc[m, "training_id"],
            "unknown_training",
            "give the activity_id of a training in the activities log",
            "вкажіть activity_id тренінгу з журналу заходів",
            "participant",
        )
    phases = t.groupby(["training_id", "participant"])["phase"].agg(lambda s: set(s))
    has = t.set_index(["training_id", "participant"]).index.map(phases)
    has_pre = np.array([isinstance(p, set) and "pre" in p for p in has])
    has_post = np.array([isinstance(p, set) and "post" in p for p in has])
    m = pd.Series((t["phase"] == "post").to_numpy() & ~has_pre, index=t.index)
    out.add(
        file,
        t,
        m,
        "participant",
        t.loc[m, "participant"],
        "post_only",
        "no pre-test with this code in this training: check the code",
        "немає тесту до з цим кодом",
        "participant",
    )
    m = pd.Series((t["phase"] == "pre").to_numpy() & ~has_post, index=t.index)
    out.add(
        file,
        t,
        m,
        "participant",
        t.loc[m, "participant"],
        "pre_only",
        "kept, but not in the paired comparison",
        "не входить у парне порівняння",
        "participant",
    )


def validate_programme(study: Study, data: ProgrammeData | None = None) -> ProgrammeValidation:
    """Validate the programme files of a study against its communities, period and vocabulary.

    Examples
    --------
    >>> import tempfile
    >>> from trustsurvey.example import generate_example
    >>> from trustsurvey.study import load_study
    >>> study = load_study(generate_example(tempfile.mkdtemp() + "/s"))
    >>> res = validate_programme(study)
    >>> sorted(set(res.report.errors["check"]))[:2]
    ['count_mismatch', 'date_outside_period']
    """
    from trustsurvey.programme.read import read_programme

    data = data if data is not None else read_programme(study)
    spec = study.programme
    vocab = load_vocabulary(spec.vocabulary if spec else "programme_vocabulary", study.folder)
    return validate_records(
        data,
        communities=study_communities(study),
        period=study_period(study),
        vocabulary=vocab,
    )
