"""File metadata kept alongside survey data: labels, missing codes, measures, formats.

:class:`FileMetadata` is the one place where everything a data file declares about its
variables lives, whatever the file format. It serialises to plain JSON (codes kept with
their type as ``[code, label]`` pairs) so Parquet schema metadata, CSV sidecars and XLSX
dictionary sheets can carry it and a round trip loses nothing.

Examples
--------
>>> meta = FileMetadata(file="w1.sav", format="sav", column_names=["q1"],
...                     value_labels={"q1": {1.0: "Так", 8.0: "Важко відповісти"}},
...                     missing_values={"q1": [8.0]})
>>> FileMetadata.from_json(meta.to_json()).value_labels
{'q1': {1.0: 'Так', 8.0: 'Важко відповісти'}}
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

Code = float | int | str


@dataclass
class FileMetadata:
    """What a data file declares about its variables.

    Attributes
    ----------
    file, format, encoding
        Source path, format (``sav``, ``zsav``, ``por``, ``csv``, ``xlsx``, ``parquet``) and
        the text encoding used to read it.
    n_rows, column_names
        Number of rows and the columns in file order.
    variable_labels
        Column → variable label (question text).
    value_labels
        Column → {code: label}.
    missing_values
        Column → discrete user-missing codes (SPSS ranges with ``lo == hi`` end up here).
    missing_ranges
        Column → list of ``(lo, hi)`` user-missing ranges (inclusive).
    measure, formats
        Column → SPSS measure level (``nominal``, ``ordinal``, ``scale``) and display format
        (e.g. ``F8.2``, ``DATETIME20``, ``TIME8``).
    display_width
        Column → SPSS display width ("Columns" in Variable View).
    alignment
        Column → SPSS alignment (``left``, ``right``, ``center``; "Align" in Variable View).
    mr_sets
        SPSS multiple-response sets as pyreadstat reports them.
    file_label, notes
        The file's label and notes (documents).
    renamed
        Original column name → name used in ``data`` (e.g. Kobo ``problems/theft`` →
        ``problems_theft``).
    derived
        Columns added on reading (e.g. Kobo interview ``duration_min``) → how they were made.
    issues
        Things a reader should know that did not stop reading (e.g. out-of-range dates set
        to NaT, with the variable and rows).
    form_columns
        Columns the data collection form or server wrote that are not questionnaire items
        (Kobo/ODK ``_id``, ``_submission_time``, geopoint parts, notes…) → what they are.
    """

    file: str = ""
    format: str = ""
    encoding: str | None = None
    n_rows: int = 0
    column_names: list[str] = field(default_factory=list)
    variable_labels: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, dict[Code, str]] = field(default_factory=dict)
    missing_values: dict[str, list[Code]] = field(default_factory=dict)
    missing_ranges: dict[str, list[tuple[Code, Code]]] = field(default_factory=dict)
    measure: dict[str, str] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)
    display_width: dict[str, int] = field(default_factory=dict)
    alignment: dict[str, str] = field(default_factory=dict)
    mr_sets: dict[str, dict] = field(default_factory=dict)
    file_label: str = ""
    notes: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)
    derived: dict[str, str] = field(default_factory=dict)
    issues: list[str] = field(default_factory=list)
    form_columns: dict[str, str] = field(default_factory=dict)

    # -- JSON -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; value labels as ``[code, label]`` pairs to keep code types."""
        out = asdict(self)
        out["value_labels"] = {
            col: [[_plain(code), label] for code, label in labels.items()]
            for col, labels in self.value_labels.items()
        }
        out["missing_values"] = {
            col: [_plain(c) for c in codes] for col, codes in self.missing_values.items()
        }
        out["missing_ranges"] = {
            col: [[_plain(lo), _plain(hi)] for lo, hi in ranges]
            for col, ranges in self.missing_ranges.items()
        }
        return out

    def to_json(self, indent: int | None = None) -> str:
        """Serialise to JSON text (UTF-8 characters kept as they are)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent, default=str)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> FileMetadata:
        """Inverse of :meth:`to_dict`; unknown keys are ignored."""
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in raw.items() if k in known}
        kwargs["value_labels"] = {
            col: {_code(code): label for code, label in pairs}
            for col, pairs in raw.get("value_labels", {}).items()
        }
        kwargs["missing_values"] = {
            col: [_code(c) for c in codes] for col, codes in raw.get("missing_values", {}).items()
        }
        kwargs["missing_ranges"] = {
            col: [(_code(lo), _code(hi)) for lo, hi in ranges]
            for col, ranges in raw.get("missing_ranges", {}).items()
        }
        return cls(**kwargs)

    @classmethod
    def from_json(cls, text: str) -> FileMetadata:
        """Inverse of :meth:`to_json`."""
        return cls.from_dict(json.loads(text))

    def select(self, columns: list[str]) -> FileMetadata:
        """A copy restricted to ``columns`` (in that order)."""
        keep = set(columns)

        def sub(d: dict) -> dict:
            return {k: v for k, v in d.items() if k in keep}

        return FileMetadata(
            file=self.file,
            format=self.format,
            encoding=self.encoding,
            n_rows=self.n_rows,
            column_names=list(columns),
            variable_labels=sub(self.variable_labels),
            value_labels=sub(self.value_labels),
            missing_values=sub(self.missing_values),
            missing_ranges=sub(self.missing_ranges),
            measure=sub(self.measure),
            formats=sub(self.formats),
            display_width=sub(self.display_width),
            alignment=sub(self.alignment),
            mr_sets=dict(self.mr_sets),
            file_label=self.file_label,
            notes=list(self.notes),
            renamed=dict(self.renamed),
            derived=sub(self.derived),
            issues=list(self.issues),
            form_columns=sub(self.form_columns),
        )


def _plain(code: Any) -> Any:
    """A JSON-safe scalar (numpy numbers → Python numbers)."""
    if hasattr(code, "item"):
        return code.item()
    return code


def _code(code: Any) -> Code:
    """Codes come back from JSON as they went in (int, float or str)."""
    return code
