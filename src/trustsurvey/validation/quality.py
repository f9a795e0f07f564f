"""Data-quality checks: duplicate interviews, straight-lining, speeders, interviewer effects.

* ``duplicate``: two interviews with identical answer vectors, ignoring id, interviewer,
  duration, date and personal-data columns (a copied interview; design columns such as the
  PSU and the design weight take part, so two look-alike answers from different clusters are
  not taken for a copy). The later row is flagged and the message names the first.
  (Kuriakose & Robbins 2016 look for near-duplicates; we flag exact ones.)
* ``straightlining``: the same substantive answer to every item of a Likert grid, with at
  least ``min_items`` items answered (Kim et al. 2019, "straightlining" in grid questions).
* ``speeder``: interview duration below ``fraction`` x the file's median duration (default
  one third; cf. Greszki, Meyer & Schoen 2015 on speeding thresholds relative to the median).
* ``interviewer_dk``: interviewers whose respondents' mean share of "difficult to answer"
  (the questionnaire's missing codes of kind ``dont_know``) exceeds the pooled mean by more
  than ``z`` standard errors (one-sided z test with the between-respondent SD,
  ``z = (mean_i - mean) / (sd / sqrt(n_i))``, default 3.29, i.e. p < 0.0005), among
  interviewers with at least ``min_interviews`` interviews.

>>> import pandas as pd
>>> f = pd.DataFrame({"resp_id": [1, 2, 3], "duration_min": [30.0, 27.0, 5.0]})
>>> speeder_issues(f, "duration_min")["resp_id"].tolist()
['3']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from trustsurvey.questionnaire import Item, Questionnaire

import numpy as np
import pandas as pd

from trustsurvey._order import canonical_order
from trustsurvey.validation.report import empty_table, issues, row_ids

ADMIN_ROLES = {"id", "interviewer", "duration"}


def answer_columns(frame: pd.DataFrame, q: Questionnaire) -> list[str]:
    """Columns that make up an interview's record (no ids, admin, dates or personal data)."""
    cols = []
    for name, item in q.items.items():
        if item.roles & ADMIN_ROLES or item.pii or item.type == "date":
            continue
        cols += [c for c in q.columns_for(name) if c in frame.columns]
    return cols


def duplicate_issues(
    frame: pd.DataFrame,
    q: Questionnaire,
    *,
    file: str = "",
    id_column: str | None = "resp_id",
) -> pd.DataFrame:
    """Copies of an identical answer vector. The original of a group is the member that
    comes first in :func:`trustsurvey._order.canonical_order` (the smallest respondent id),
    so which row is called the copy does not depend on the order of rows in the file."""
    id_column = id_column if id_column in frame.columns else None
    cols = answer_columns(frame, q)
    if len(cols) < 5:
        return empty_table()
    # one hash per answer vector (NaN-aware); equal vectors share a group
    hashed = pd.util.hash_pandas_object(frame[cols], index=False).to_numpy()
    order = canonical_order(frame, id_column)
    rank = np.empty(len(frame), dtype=np.int64)
    rank[order] = np.arange(len(frame))
    first = order[pd.Series(rank).groupby(hashed, sort=False).transform("min").to_numpy()]
    rows = np.flatnonzero(first != np.arange(len(frame)))
    if not len(rows):
        return empty_table()
    # confirm (hash collisions are possible in principle)
    a = frame[cols].iloc[rows].reset_index(drop=True)
    b = frame[cols].iloc[first[rows]].reset_index(drop=True)
    same = ((a == b) | (a.isna() & b.isna())).all(axis=1).to_numpy()
    rows = rows[same]
    if not len(rows):
        return empty_table()
    origin = first[rows]
    if id_column:
        orig_ids = [_id_text(v) for v in frame[id_column].to_numpy()[origin]]
    else:
        orig_ids = [str(o + 1) for o in origin]
    en = [
        f"same answers as respondent {i} (row {o + 1}) on {len(cols)} columns"
        for i, o in zip(orig_ids, origin, strict=True)
    ]
    uk = [
        f"ті самі відповіді, що й у респондента {i} (рядок {o + 1})"
        for i, o in zip(orig_ids, origin, strict=True)
    ]
    return issues(file, "duplicate", "", rows, orig_ids, row_ids(frame, id_column, rows), en, uk)


def _id_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def straightlining_issues(
    frame: pd.DataFrame,
    q: Questionnaire,
    *,
    file: str = "",
    id_column: str | None = "resp_id",
    min_items: int = 5,
) -> pd.DataFrame:
    """Respondents giving one and the same substantive answer across a whole grid."""
    id_column = id_column if id_column in frame.columns else None
    grids: dict[str, list[str]] = {}
    for name, item in q.items.items():
        if item.grid and name in frame.columns:
            grids.setdefault(item.grid, []).append(name)
    parts = []
    for grid, cols in grids.items():
        if len(cols) < min_items:
            continue
        values = frame[cols].apply(pd.to_numeric, errors="coerce")
        for col in cols:
            valid = [float(c) for c in q.items[col].codes]
            values[col] = values[col].where(values[col].isin(valid))
        n_valid = values.notna().sum(axis=1)
        same = (values.max(axis=1) == values.min(axis=1)) & (n_valid >= min_items)
        rows = same.to_numpy().nonzero()[0]
        if len(rows):
            shown = values.max(axis=1).iloc[rows].tolist()
            en = [
                f"answer {v:g} to all {n} answered items of grid {grid}"
                for v, n in zip(shown, n_valid.iloc[rows], strict=True)
            ]
            uk = [
                f"відповідь {v:g} на всі {n} твердження блоку {grid}"
                for v, n in zip(shown, n_valid.iloc[rows], strict=True)
            ]
            parts.append(
                issues(
                    file,
                    "straightlining",
                    grid,
                    rows,
                    shown,
                    row_ids(frame, id_column, rows),
                    en,
                    uk,
                )
            )
    return pd.concat(parts, ignore_index=True) if parts else empty_table()


def speeder_issues(
    frame: pd.DataFrame,
    duration_column: str | None,
    *,
    file: str = "",
    id_column: str | None = "resp_id",
    fraction: float = 1 / 3,
) -> pd.DataFrame:
    """Interviews shorter than ``fraction`` x the median duration."""
    if not duration_column or duration_column not in frame.columns:
        return empty_table()
    id_column = id_column if id_column in frame.columns else None
    duration = pd.to_numeric(frame[duration_column], errors="coerce")
    median = duration[duration > 0].median()
    if not np.isfinite(median):
        return empty_table()
    limit = fraction * median
    rows = (duration < limit).to_numpy().nonzero()[0]
    if not len(rows):
        return empty_table()
    shown = duration.iloc[rows].tolist()
    en = f"below {fraction:.2f} x median ({median:g} min) = {limit:.1f} min"
    uk = f"менше {fraction:.2f} x медіани ({median:g} хв) = {limit:.1f} хв"
    return issues(
        file, "speeder", duration_column, rows, shown, row_ids(frame, id_column, rows), en, uk
    )


def dk_codes(item: Item) -> list[float]:
    """Missing codes of kind ``dont_know`` ("difficult to answer"; not refusals), as read
    from the questionnaire's ``kind:`` of each missing code, never from its label."""
    out = []
    for code, kind in item.missing_kinds.items():
        if kind == "dont_know":
            try:
                out.append(float(code))
            except (TypeError, ValueError):
                continue  # a text code cannot be compared with numeric answers
    return out


def interviewer_issues(
    frame: pd.DataFrame,
    q: Questionnaire,
    interviewer_column: str | None,
    *,
    file: str = "",
    z: float = 3.29,
    min_interviews: int = 20,
) -> pd.DataFrame:
    """Interviewers whose respondents say "difficult to answer" far more often than others."""
    if not interviewer_column or interviewer_column not in frame.columns:
        return empty_table()
    dk = pd.DataFrame(index=frame.index)
    asked = pd.DataFrame(index=frame.index)
    for name, item in q.items.items():
        codes = dk_codes(item)
        if not codes or name not in frame.columns:
            continue
        values = pd.to_numeric(frame[name], errors="coerce")
        asked[name] = values.notna()
        dk[name] = values.isin(codes)
    if dk.empty:
        return empty_table()
    n_asked = asked.sum(axis=1)
    share = (dk.sum(axis=1) / n_asked.where(n_asked > 0)).astype(float)
    pooled, sd = share.mean(), share.std(ddof=1)
    if not (np.isfinite(sd) and sd > 0):
        return empty_table()
    stats = share.groupby(frame[interviewer_column]).agg(["mean", "count"])
    stats = stats[stats["count"] >= min_interviews]
    stats["z"] = (stats["mean"] - pooled) / (sd / np.sqrt(stats["count"]))
    flagged = stats[stats["z"] > z]
    if flagged.empty:
        return empty_table()
    en = [
        f"{r.mean:.1%} 'difficult to answer' over {int(r.count)} interviews vs {pooled:.1%} "
        f"overall (z = {r.z:.1f} > {z})"
        for r in flagged.itertuples()
    ]
    uk = [
        f"{r.mean:.1%} «важко відповісти» у {int(r.count)} інтерв'ю проти {pooled:.1%} "
        f"загалом (z = {r.z:.1f} > {z})"
        for r in flagged.itertuples()
    ]
    return issues(
        file,
        "interviewer_dk",
        interviewer_column,
        [-1] * len(flagged),
        list(flagged.index),
        [None] * len(flagged),
        en,
        uk,
    )
