"""Validation of a Kobo/ODK export's repeat groups: each repeat table against its items.

A repeat group (``begin_repeat``) is answered once per instance (a household member, a
contact with the police…), so an export carries it as an extra sheet or file joined to its
parent by ``_parent_index`` → ``_index`` (Kobo, Ona) or ``PARENT_KEY`` → ``KEY`` (ODK
Central; :func:`~trustsurvey.io.form_export.read_form_export`). Each repeat table is
checked against the repeat's items only (types, codes, ranges, skip logic with the parent's
answers, multiple choice, columns); a row whose parent is not in the export is the error
``repeat_parent_missing`` naming the file or sheet, the row and the link's value. Rows are
counted, never dropped: :func:`repeat_rows` gives, per repeat table, its rows, how many
parents have rows and how many rows have no parent; :func:`rows_per_respondent` the number
of instances per respondent.

Examples
--------
>>> import tempfile, pathlib
>>> from trustsurvey.io.form_export import read_form_export
>>> from trustsurvey.questionnaire import loads_questionnaire
>>> q = loads_questionnaire('''
... name: t
... items:
...   - {name: n, type: numeric, min: 0, max: 9}
...   - {name: age, type: numeric, min: 0, max: 120, repeat: member}
... ''')
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "hh.csv").write_text("n,_index\\n2,1\\n0,2\\n")
>>> _ = (folder / "hh-member.csv").write_text("age,_parent_index\\n30,1\\n7,1\\n44,5\\n")
>>> export = read_form_export(folder / "hh.csv", q)
>>> report = validate_repeats(export, q)
>>> report.errors[["row", "item", "value", "check"]].values.tolist()
[[3, '_parent_index', '5', 'repeat_parent_missing']]
>>> counts = repeat_rows(export)
>>> counts[["repeat", "rows", "parents_with_rows", "rows_without_parent"]].values.tolist()
[['member', 3, 1, 1]]
>>> rows_per_respondent(export)["member"].tolist()
[2, 0]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from trustsurvey.validation.report import ValidationReport, empty_table, issues

if TYPE_CHECKING:  # pragma: no cover
    from trustsurvey.io.form_export import FormExport
    from trustsurvey.questionnaire import Questionnaire

#: columns of :func:`repeat_rows`
REPEAT_ROW_COLUMNS = [
    "repeat",
    "file",
    "parent_file",
    "rows",
    "parent_rows",
    "parents_with_rows",
    "rows_without_parent",
]


def _same(file: str) -> str:
    return file


def validate_repeats(
    export: FormExport, q: Questionnaire, *, name: Callable[[str], str] = _same
) -> ValidationReport:
    """The repeat tables of ``export`` checked against the repeat items of ``q``.

    ``name`` turns a file (or ``file, sheet 'x'``) into the name the report gives it (a
    study names files relative to its folder). A repeat of ``q`` without a table in the
    export is a warning on the respondent file.
    """
    from trustsurvey.validation.crossfield import multiple_choice_issues, skip_logic_issues
    from trustsurvey.validation.metadata import metadata_issues
    from trustsurvey.validation.schema import schema_issues

    parts: list[pd.DataFrame] = []
    files: list[str] = []
    n_rows: dict[str, int] = {}
    for repeat, sd in export.repeats.items():
        items = {n: replace(i, repeat=None) for n, i in q.items.items() if i.repeat == repeat}
        sub = replace(q, items=items, indices={})
        file = name(sd.meta.file)
        files.append(file)
        n_rows[file] = len(sd.data)
        for check in (schema_issues, skip_logic_issues, multiple_choice_issues):
            parts.append(check(sd.data, sub, file=file, id_column=None))
        parts.append(metadata_issues(sd.meta, sub, sd.data, file=file))
        if repeat in export.links:
            parts.append(orphan_issues(sd.data, export.links[repeat], file=file))
    main_file = name(export.data.meta.file)
    for repeat in dict.fromkeys(i.repeat for i in q.items.values() if i.repeat):
        if repeat not in export.repeats:
            parts.append(_missing_repeat(repeat, main_file))
    parts = [p for p in parts if not p.empty]
    table = pd.concat(parts, ignore_index=True) if parts else empty_table()
    return ValidationReport(table, files=files, n_rows=n_rows, repeats=repeat_rows(export, name))


def orphan_issues(frame: pd.DataFrame, link: tuple[str, str], *, file: str) -> pd.DataFrame:
    """``repeat_parent_missing`` for each row of a repeat table whose parent is not found
    (``_parent_row`` empty): the row, the link column and its value."""
    own, theirs = link
    if "_parent_row" not in frame.columns:
        return empty_table()
    rows = np.flatnonzero(frame["_parent_row"].isna().to_numpy())
    if not len(rows):
        return empty_table()
    raw = frame[own] if own in frame.columns else pd.Series([None] * len(frame))
    values = [None if pd.isna(v) else _key_text(v) for v in raw.iloc[rows]]
    en = [
        f"{own} = {v!r} names no row of the parent table (no {theirs} {v!r}): the submission "
        "is missing from the export. What to do: export the submissions together with their "
        "repeat groups, or delete this row"
        if v is not None
        else f"{own} is empty: the row names no parent. What to do: export again with the "
        "repeat groups linked to their submissions"
        for v in values
    ]
    uk = [
        f"{own} = {v!r} не відповідає жодному рядку батьківської таблиці (немає {theirs} "
        f"{v!r}): подання немає в експорті. Що робити: експортуйте подання разом із "
        "повторюваними групами або видаліть цей рядок"
        if v is not None
        else f"{own} порожній: рядок не посилається на батьківський запис. Що робити: "
        "експортуйте ще раз із повторюваними групами, пов'язаними з поданнями"
        for v in values
    ]
    return issues(
        file, "repeat_parent_missing", own, rows.tolist(), values, [None] * len(rows), en, uk
    )


def _key_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def repeat_rows(export: FormExport, name: Callable[[str], str] = _same) -> pd.DataFrame:
    """One row per repeat table: its rows, its parent table's rows, how many parents have
    at least one row, and how many rows name no parent (all kept)."""
    records = []
    for repeat, sd in export.repeats.items():
        parent_name = export.parents.get(repeat, "")
        parent = export.repeats[parent_name] if parent_name else export.data
        links = sd.data["_parent_row"] if "_parent_row" in sd.data else pd.Series(dtype=float)
        records.append(
            {
                "repeat": repeat,
                "file": name(sd.meta.file),
                "parent_file": name(parent.meta.file),
                "rows": len(sd.data),
                "parent_rows": len(parent.data),
                "parents_with_rows": int(links.dropna().nunique()),
                "rows_without_parent": int(links.isna().sum()),
            }
        )
    return pd.DataFrame(records, columns=REPEAT_ROW_COLUMNS)


def respondent_rows(export: FormExport, repeat: str) -> np.ndarray:
    """The respondent-table row (0-based, NaN if unknown) of each row of ``repeat``,
    following nested repeats up to the respondent."""
    rows = export.repeats[repeat].data["_parent_row"].to_numpy(dtype=float)
    parent = export.parents.get(repeat, "")
    seen = {repeat}
    while parent and parent not in seen:
        seen.add(parent)
        up = export.repeats[parent].data["_parent_row"].to_numpy(dtype=float)
        ok = ~np.isnan(rows)
        rows = np.where(ok, up[np.where(ok, rows, 0).astype(int)], np.nan) if len(up) else rows
        parent = export.parents.get(parent, "")
    return rows


def rows_per_respondent(export: FormExport) -> pd.DataFrame:
    """Instances of each repeat per respondent: one row per row of the respondent table
    (file order), one integer column per repeat (0 where the respondent has none)."""
    n = len(export.data.data)
    out = {}
    for repeat in export.repeats:
        rows = respondent_rows(export, repeat)
        rows = rows[~np.isnan(rows)].astype(int)
        out[repeat] = np.bincount(rows, minlength=n)[:n].astype("int64")
    return pd.DataFrame(out, index=pd.RangeIndex(n))


def _missing_repeat(repeat: str, file: str) -> pd.DataFrame:
    return issues(
        file,
        "missing_column",
        repeat,
        [-1],
        [repeat],
        [None],
        f"no sheet or file for repeat {repeat!r}",
        f"немає аркуша чи файлу для повторюваної групи {repeat!r}",
        severity="warning",
    )
