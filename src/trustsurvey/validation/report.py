"""The validation report: one tidy row per problem, written to CSV, HTML and the terminal.

Columns: ``file, row, resp_id, item, value, check, severity, message_en, message_uk``.
``row`` is the 1-based data row in the file (empty for file- or interviewer-level findings).

>>> rep = ValidationReport(issues("w1.sav", "invalid_code", "q1", [0], ["6"], ["17"],
...                               "code 6 is not allowed", "код 6 не допускається"))
>>> rep.n_errors, int(rep.table.loc[0, "row"])
(1, 1)
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from trustsurvey._files import atomic_path
from trustsurvey._files import atomic_write_text as write_text
from trustsurvey.validation.checks import CHECKS


def _spreadsheet_safe(value: Any) -> Any:
    """Text a spreadsheet would run as a formula, prefixed with an apostrophe (OWASP).

    >>> print(_spreadsheet_safe("=1+2"), _spreadsheet_safe("-5.0"))
    '=1+2 -5.0
    """
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


COLUMNS = [
    "file",
    "row",
    "resp_id",
    "item",
    "value",
    "check",
    "severity",
    "message_en",
    "message_uk",
]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if value.is_integer():
            return str(int(value))
    return str(value)


def issues(
    file: str,
    check: str,
    item: str,
    index: Sequence[int] | pd.Index,
    values: Sequence[Any],
    ids: Sequence[Any],
    en: str | Sequence[str],
    uk: str | Sequence[str],
    *,
    severity: str | None = None,
) -> pd.DataFrame:
    """Report rows for ``check`` on ``item`` at 0-based positions ``index`` (``-1``: no row)."""
    n = len(index)
    spec = CHECKS[check]
    en_list = [en] * n if isinstance(en, str) else list(en)
    uk_list = [uk] * n if isinstance(uk, str) else list(uk)
    rows = pd.DataFrame(
        {
            "file": [file] * n,
            "row": pd.array([int(i) + 1 if int(i) >= 0 else None for i in index], dtype="Int64"),
            "resp_id": [_text(v) for v in ids],
            "item": [item] * n,
            "value": [_text(v) for v in values],
            "check": [check] * n,
            "severity": [severity or spec.severity] * n,
            "message_en": [f"{spec.en}: {m}" if m else spec.en for m in en_list],
            "message_uk": [f"{spec.uk}: {m}" if m else spec.uk for m in uk_list],
        }
    )
    return rows


def row_ids(frame: pd.DataFrame, id_column: str | None, rows: Sequence[int]) -> list:
    """The ``id_column`` values at 0-based positions ``rows`` (all None without an id column)."""
    return list(frame[id_column].iloc[rows]) if id_column else [None] * len(rows)


def empty_table() -> pd.DataFrame:
    """A report table with no rows."""
    return issues("", "invalid_code", "", [], [], [], [], [])


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f0f0f0}.error{background:#fde2e2}.warning{background:#fff4d6}
"""


@dataclass
class ValidationReport:
    """Every problem found, in questionnaire terms. Validation never drops rows.

    ``repeats`` has one row per repeat-group table of a Kobo/ODK export (its file, the
    respondent file it belongs to, rows, parents with rows, rows without a parent;
    :func:`trustsurvey.validation.repeats.repeat_rows`); empty without repeat groups.
    """

    table: pd.DataFrame
    files: list[str] = field(default_factory=list)
    n_rows: dict[str, int] = field(default_factory=dict)
    repeats: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        self.table = self.table.reindex(columns=COLUMNS).reset_index(drop=True)
        if self.repeats is None:
            from trustsurvey.validation.repeats import REPEAT_ROW_COLUMNS

            self.repeats = pd.DataFrame(columns=REPEAT_ROW_COLUMNS)

    @property
    def repeat_files(self) -> set[str]:
        """Files (or sheets) of the report that hold repeat-group rows, not respondents."""
        assert self.repeats is not None
        return {str(f) for f in self.repeats["file"]}

    @property
    def errors(self) -> pd.DataFrame:
        """Rows of severity ``error``."""
        return self.table[self.table["severity"] == "error"]

    @property
    def warnings(self) -> pd.DataFrame:
        """Rows of severity ``warning``."""
        return self.table[self.table["severity"] == "warning"]

    @property
    def n_errors(self) -> int:
        return len(self.errors)

    @property
    def n_warnings(self) -> int:
        return len(self.warnings)

    @property
    def ok(self) -> bool:
        """True when there are no errors (warnings allowed)."""
        return self.n_errors == 0

    def counts(self) -> pd.DataFrame:
        """Problems per file, check and severity."""
        if self.table.empty:
            return pd.DataFrame(columns=["file", "check", "severity", "n"])
        return (
            self.table.groupby(["file", "check", "severity"], sort=True)
            .size()
            .rename("n")
            .reset_index()
        )

    def summary(self) -> str:
        """A few lines for the terminal."""
        lines = [
            f"Validation: {self.n_errors} error(s), {self.n_warnings} warning(s) "
            f"in {len(self.files)} file(s)"
        ]
        for r in self.counts().itertuples():
            lines.append(f"  {r.severity:<7} {r.check:<20} {r.n:>5}  {Path(str(r.file)).name}")
        assert self.repeats is not None
        for r in self.repeats.itertuples():
            line = (
                f"  repeat {r.repeat}: {r.rows} rows for {r.parents_with_rows} of "
                f"{r.parent_rows} parent rows ({r.file})"
            )
            if r.rows_without_parent:
                line += f"; {r.rows_without_parent} without a parent (kept, reported)"
            lines.append(line)
        return "\n".join(lines)

    def to_csv(self, path: str | Path) -> Path:
        """Write the table as UTF-8 CSV (atomically)."""
        with atomic_path(path) as tmp:
            self.table.map(_spreadsheet_safe).to_csv(tmp, index=False, encoding="utf-8")
        return Path(path)

    def to_html(self, path: str | Path, *, title: str = "Validation report") -> Path:
        """Write a self-contained HTML page; every value is escaped."""
        esc = html.escape
        head = "".join(f"<th>{esc(c)}</th>" for c in COLUMNS)
        body = []
        for row in self.table.itertuples(index=False):
            cells = "".join(f"<td>{esc(_text(v) if v is not pd.NA else '')}</td>" for v in row)
            body.append(f'<tr class="{esc(str(row.severity))}">{cells}</tr>')
        counts = self.counts()
        summary_rows = "".join(
            f"<tr class='{esc(str(r.severity))}'><td>{esc(str(r.file))}</td>"
            f"<td>{esc(str(r.check))}</td><td>{esc(str(r.severity))}</td><td>{r.n}</td></tr>"
            for r in counts.itertuples()
        )
        page = (
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>"
            f"<h1>{esc(title)}</h1><p>{self.n_errors} error(s), {self.n_warnings} warning(s) "
            f"in {len(self.files)} file(s).</p>"
            "<h2>Summary</h2><table><tr><th>file</th><th>check</th><th>severity</th>"
            f"<th>n</th></tr>{summary_rows}</table>"
            f"<h2>Problems</h2><table><tr>{head}</tr>{''.join(body)}</table></body></html>"
        )
        return write_text(path, page)

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write ``validation.csv`` and ``validation.html`` into ``out_dir`` (and, when the
        data have repeat groups, their row counts as ``repeats.csv``)."""
        out = Path(out_dir)
        paths = {
            "csv": self.to_csv(out / "validation.csv"),
            "html": self.to_html(out / "validation.html"),
        }
        if self.repeats is not None and len(self.repeats):
            with atomic_path(out / "repeats.csv") as tmp:
                self.repeats.map(_spreadsheet_safe).to_csv(tmp, index=False, encoding="utf-8")
            paths["repeats"] = out / "repeats.csv"
        return paths
