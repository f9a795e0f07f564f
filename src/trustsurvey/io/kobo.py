"""KoboToolbox / ODK exports: select-multiple answers, label exports, meta columns.

Kobo writes a select-multiple question ``q15_issues`` either as split 0/1 columns
``q15_issues/theft``, ``q15_issues/drugs`` or as one column ``q15_issues = "theft drugs"``
(space-separated option names; ODK XForms spec, "select multiple"). We normalise the first
to ``q15_issues_theft`` (the questionnaire's ``columns_for``) and expand the second with
:func:`expand_multiple`. Kobo meta columns ``start``/``end`` give the interview duration.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"q15": ["theft drugs", "", None, "drugs"]})
>>> expand_multiple(frame, "q15", ["theft", "drugs"])[["q15_theft", "q15_drugs"]]
   q15_theft  q15_drugs
0        1.0        1.0
1        NaN        NaN
2        NaN        NaN
3        0.0        1.0
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from trustsurvey.errors import InputFileError

KOBO_TIME_COLUMNS = ("start", "end", "_submission_time", "today")
_NON_NAME = re.compile(r"[^\w]+", re.UNICODE)


def normalise_names(columns: Iterable[str], *, file: str | None = None) -> dict[str, str]:
    """Original → normalised column name, for the names that change.

    ``q15_issues/theft`` → ``q15_issues_theft``; ``group/q1`` → ``group_q1``; spaces, dashes and
    dots become ``_``. Kobo meta columns (``_id``, ``_uuid``…) are kept as they are.

    >>> normalise_names(["q15_issues/theft", "age", "Q 1"])
    {'q15_issues/theft': 'q15_issues_theft', 'Q 1': 'Q_1'}
    """
    columns = [str(c) for c in columns]
    renamed: dict[str, str] = {}
    for col in columns:
        new = _NON_NAME.sub("_", col.strip())
        if not col.startswith("_"):
            new = new.strip("_") or new
        if new != col:
            renamed[col] = new
    final = [renamed.get(c, c) for c in columns]
    dupes = sorted({c for c in final if final.count(c) > 1})
    if dupes:
        clash = [c for c in columns if renamed.get(c, c) in dupes]
        raise InputFileError(
            "column names collide after normalising '/' and spaces to '_'",
            file=file,
            item=clash,
            hint="rename the columns in the export so they stay distinct",
        )
    return renamed


def expand_multiple(
    frame: pd.DataFrame,
    item: str,
    options: Iterable[Any] | Mapping[Any, Any],
    *,
    sep: str | None = None,
    file: str | None = None,
) -> pd.DataFrame:
    """Add ``item_option`` 0/1 columns for a space-separated select-multiple column.

    Parameters
    ----------
    frame
        Data with column ``item`` holding answers like ``"theft drugs"``.
    item
        The select-multiple column.
    options
        Option codes in questionnaire order (or a ``{code: label}`` mapping).
    sep
        Separator (default: any whitespace, as Kobo/ODK write it).

    Returns
    -------
    DataFrame
        A copy of ``frame`` with one float 0/1 column per option right after ``item``
        (NaN where ``item`` is empty: Kobo writes nothing both when the question was not
        asked and when nothing was chosen). The original column is kept.

    Raises
    ------
    InputFileError
        If an answer names an option not in ``options`` (names the rows).
    """
    if item not in frame.columns:
        raise InputFileError(
            "select-multiple column not found in the data",
            file=file,
            item=item,
            hint="check the item name or export with 'single column' multiple-choice answers",
        )
    codes = [str(o) for o in (options.keys() if isinstance(options, Mapping) else options)]
    raw = frame[item]
    blank = raw.isna() | (raw.astype("string").str.strip() == "").fillna(True)
    tokens = raw.astype("string").fillna("").str.split(sep)
    known = set(codes)
    unknown_rows = [
        i + 1 for i, toks in enumerate(tokens) if any(t not in known for t in (toks or []))
    ]
    if unknown_rows:
        seen = sorted({t for toks in tokens for t in (toks or []) if t not in known})
        raise InputFileError(
            f"answers name options not in the list: {', '.join(seen[:10])}",
            file=file,
            item=item,
            row=unknown_rows,
            hint="add the options to the questionnaire or correct the data",
        )
    out = frame.copy()
    position = list(out.columns).index(item)
    for offset, code in enumerate(codes, start=1):
        name = f"{item}_{code}"
        values = tokens.map(lambda toks, c=code: float(c in (toks or []))).astype("float64")
        values[blank.to_numpy()] = np.nan
        if name in out.columns:
            out[name] = values.to_numpy()
        else:
            out.insert(position + offset, name, values.to_numpy())
    return out


def labels_to_codes(
    frame: pd.DataFrame,
    value_labels: Mapping[str, Mapping[Any, str]] | None,
    variable_labels: Mapping[str, str] | None,
    *,
    file: str | None = None,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Map a Kobo "labels" export back to names and codes.

    Headers equal to a variable label become the variable name; in columns with value
    labels, cells equal to a label become its code. Returns the frame and the renaming.

    >>> f = pd.DataFrame({"Стать": ["Жінка", "Чоловік"]})
    >>> out, ren = labels_to_codes(f, {"q2": {1: "Чоловік", 2: "Жінка"}}, {"q2": "Стать"})
    >>> out["q2"].tolist(), ren
    ([2.0, 1.0], {'Стать': 'q2'})
    """
    renamed: dict[str, str] = {}
    if variable_labels:
        by_label = {str(v).strip(): k for k, v in variable_labels.items() if v}
        for col in frame.columns:
            if col not in variable_labels and str(col).strip() in by_label:
                renamed[col] = by_label[str(col).strip()]
        frame = frame.rename(columns=renamed)
    if not value_labels:
        return frame, renamed
    out = frame.copy()
    for col, labels in value_labels.items():
        if col not in out.columns or pd.api.types.is_numeric_dtype(out[col]):
            continue
        to_code = {str(v).strip(): k for k, v in labels.items()}
        codes_as_text = {str(k) for k in labels}
        text = out[col].astype("string").str.strip()
        if not text.dropna().isin(list(to_code)).any():
            continue  # the column holds codes, not labels
        unknown = text.notna() & ~text.isin(list(to_code)) & ~text.isin(list(codes_as_text))
        if unknown.any():
            rows = (np.flatnonzero(unknown.to_numpy()) + 1).tolist()
            raise InputFileError(
                f"answers match neither a value label nor a code: "
                f"{', '.join(sorted(set(text[unknown].astype(str)))[:5])}",
                file=file,
                item=col,
                row=rows,
                hint="check the labels in the questionnaire against the export's language",
            )
        mapped = text.map(lambda v, m=to_code: m.get(v, v) if isinstance(v, str) else v)
        numeric = pd.to_numeric(mapped, errors="coerce")
        out[col] = (
            numeric.astype("float64") if numeric.notna().sum() == mapped.notna().sum() else mapped
        )
    return out, renamed


def add_duration(frame: pd.DataFrame, *, file: str | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Parse Kobo time columns and add ``duration_min`` = end − start in minutes.

    Returns the frame and issues (e.g. negative durations). Times with offsets are converted
    to UTC so interviews across time zones compare.
    """
    issues: list[str] = []
    out = frame.copy()
    for col in KOBO_TIME_COLUMNS:
        if col in out.columns and not pd.api.types.is_datetime64_any_dtype(out[col]):
            parsed = pd.to_datetime(out[col], errors="coerce", utc=True, format="ISO8601")
            bad = parsed.isna() & out[col].notna() & (out[col].astype("string").str.strip() != "")
            if bad.any():
                rows = (np.flatnonzero(bad.to_numpy()) + 1).tolist()
                raise InputFileError(
                    "time stamps cannot be read as ISO 8601 dates",
                    file=file,
                    item=col,
                    row=rows,
                    hint="export from Kobo with ISO dates, or fix these cells",
                )
            out[col] = parsed
    if {"start", "end"} <= set(out.columns) and "duration_min" not in out.columns:
        minutes = (out["end"] - out["start"]).dt.total_seconds() / 60.0
        out["duration_min"] = minutes.astype("float64")
        negative = minutes < 0
        if negative.any():
            rows = (np.flatnonzero(negative.to_numpy()) + 1).tolist()
            issues.append(f"duration_min: end before start in rows {rows[:10]}")
    return out, issues
