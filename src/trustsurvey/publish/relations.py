"""Linear relations between the published counts and shares of a bundle.

An intruder who wants a suppressed value uses what adds up: margin rows (``ALL``) equal the
sum of their parts within a table, shares of one distribution add to 1, and the same
respondents or records appear in several tables (a community's sample size bounds every count
about that community; the months of a series add up to its period). The relations between
tables are those each kind declares (:class:`~trustsurvey.publish.schema.Link`). Each
relation reads ``sum(children) = parent`` (or ``<=`` when the parts need not cover the whole,
e.g. with item non-response).

The relations depend only on the key columns, so the writer (true values) and the audit
(published values) derive the same ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from trustsurvey.publish.schema import ALL, KINDS, Link

#: ``suppression_reason`` of a published estimate whose ``n`` alone is withheld, because it
#: would reveal a suppressed count of its answer distribution (the estimate stays published).
N_WITHHELD = "n_withheld"


@dataclass(frozen=True)
class Relation:
    """``sum(x[children]) (=|<=) x[parent]``; ``parent = -1`` means the constant ``const``.

    ``sense`` is ``"eq"`` (always adds up: a margin over communities or arms), ``"le"``
    (parts need not cover the whole: counts within a sample size) or ``"auto"`` (adds up
    unless the published numbers show otherwise: subgroups with missing values, shares).
    """

    parent: int
    children: tuple[int, ...]
    const: float = 0.0
    label: str = ""
    sense: str = "auto"


@dataclass
class CellIndex:
    """All additive cells (counts and shares) of the tables, one row per cell."""

    cells: pd.DataFrame  # kind, row, column, value, suppressed, reason, is_share
    relations: list[Relation]
    #: first cell id of each (kind, column): the cell of row ``r`` is ``offset + r``
    offsets: dict[tuple[str, str], int] = field(default_factory=dict)

    def cells_of(self, kind: str, row: int, column: str | None = None) -> list[int]:
        """Cell ids of one row of ``kind`` (all its count and share cells, or one column)."""
        return [
            start + row
            for (k, col), start in self.offsets.items()
            if k == kind and column in (None, col)
        ]

    def cells_of_rows(self, kind: str, rows: np.ndarray, column: str | None = None) -> np.ndarray:
        """Cell ids of many rows of ``kind`` (positions), as :meth:`cells_of` of each."""
        rows = np.asarray(rows, dtype=int)
        parts = [
            start + rows
            for (k, col), start in self.offsets.items()
            if k == kind and column in (None, col)
        ]
        return np.concatenate(parts) if parts else rows[:0]


def build_cells(tables: Mapping[str, pd.DataFrame]) -> CellIndex:
    """Index the count and share cells of ``tables`` and derive their relations."""
    frames = []
    start = 0
    offsets: dict[tuple[str, str], int] = {}
    for kind, df in tables.items():
        spec = KINDS[kind]
        cols = [c for c in (spec.count, spec.share) if c]
        sup = df["suppressed"] if "suppressed" in df else pd.Series(False, index=df.index)
        reason = (
            df["suppression_reason"].astype(object)
            if "suppression_reason" in df
            else pd.Series("", index=df.index, dtype=object)
        )
        for col in cols:
            hidden = sup.to_numpy(dtype=bool)
            if col == spec.count:
                hidden = hidden | (reason == N_WITHHELD).to_numpy(dtype=bool)
            offsets[(kind, col)] = start
            frames.append(
                pd.DataFrame(
                    {
                        "cell": np.arange(start, start + len(df)),
                        "kind": kind,
                        "row": np.arange(len(df)),
                        "column": col,
                        "value": df[col].to_numpy(dtype=float),
                        "suppressed": hidden,
                        "reason": reason.where(hidden, "").fillna("").to_numpy(dtype=object),
                        "is_share": col == spec.share,
                    }
                )
            )
            start += len(df)
    cells = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(
            columns=["cell", "kind", "row", "column", "value", "suppressed", "reason", "is_share"]
        )
    )
    rels: list[Relation] = []
    for kind, df in tables.items():
        spec = KINDS[kind]
        if spec.count and spec.dims:
            rels += _margin_relations(kind, df, offsets[(kind, spec.count)])
        if spec.share:
            rels += _share_relations(kind, df, offsets[(kind, spec.share)])
    for kind, df in tables.items():
        for link in KINDS[kind].links or ():
            if link.parent in tables and KINDS[link.parent].count:
                rels += _link_relations(kind, df, link, tables[link.parent], offsets)
    return CellIndex(cells, rels, offsets)


def _margin_relations(kind: str, df: pd.DataFrame, base: int) -> list[Relation]:
    spec = KINDS[kind]
    rels: list[Relation] = []
    for dim in spec.dims:
        dim_cols = list(dim)
        fam = dim_cols[:-1]
        other = [k for k in spec.keys if k not in dim]
        margin = (df[dim_cols] == ALL).all(axis=1)
        child = (df[dim_cols] != ALL).all(axis=1)
        if not margin.any() or not child.any():
            continue
        m = df.loc[margin, other].assign(_p=np.flatnonzero(margin))
        c = df.loc[child, other + fam].assign(_c=np.flatnonzero(child))
        joined = m.merge(c, on=other, how="inner")
        kids = joined["_c"].to_numpy()
        parents = joined["_p"].to_numpy()
        for pos in _group_positions(joined, ["_p", *fam]):
            rels.append(
                Relation(
                    int(base + parents[pos[0]]),
                    tuple(int(base + i) for i in kids[pos]),
                    label=f"{kind}: margin over {'/'.join(dim)}",
                    sense="auto" if len(dim) > 1 else "eq",
                )
            )
    return rels


def _share_relations(kind: str, df: pd.DataFrame, base: int) -> list[Relation]:
    spec = KINDS[kind]
    return [
        Relation(-1, tuple(int(base + i) for i in pos), 1.0, f"{kind}: shares add to 1")
        for pos in _group_positions(df, list(spec.share_group))
        if len(pos) > 1
    ]


def _link_relations(
    kind: str,
    df: pd.DataFrame,
    link: Link,
    parent: pd.DataFrame,
    offsets: Mapping[tuple[str, str], int],
) -> list[Relation]:
    """The relations one declared :class:`~trustsurvey.publish.schema.Link` of ``kind``
    makes: per group of child rows, their counts add up to (``eq``), or stay within
    (``le``), the count of the parent row with the same ``on`` keys."""
    group = list(link.group or link.on)
    child_rows = _where(df, link.where)
    parent_rows = _where(parent, link.parent_where)
    on = list(link.on)
    parents = parent.loc[parent_rows, on].assign(
        _p=offsets[(link.parent, KINDS[link.parent].count or "")] + np.flatnonzero(parent_rows)
    )
    kids = df.loc[child_rows, group].assign(
        _c=offsets[(kind, KINDS[kind].count or "")] + np.flatnonzero(child_rows)
    )
    joined = kids.merge(parents, on=on, how="inner")
    p, c = joined["_p"].to_numpy(), joined["_c"].to_numpy()
    return [
        Relation(
            int(p[pos[0]]),
            tuple(int(i) for i in c[pos]),
            label=link.label or f"{kind}: within {link.parent}",
            sense=link.sense,
        )
        for pos in _group_positions(joined, [*group, "_p"])
    ]


def _where(df: pd.DataFrame, conditions: tuple[tuple[str, object], ...]) -> np.ndarray:
    """Rows of ``df`` whose columns hold the given values (a missing flag reads False)."""
    keep = np.ones(len(df), dtype=bool)
    for col, value in conditions:
        if col not in df:
            keep &= value == ALL  # a key the table lacks means "all"
            continue
        column = df[col]
        if isinstance(value, bool):
            column = column.astype(object).where(column.notna(), False).astype(bool)
        keep &= (column == value).to_numpy(dtype=bool)
    return keep


def _group_positions(df: pd.DataFrame, keys: list[str]) -> list[np.ndarray]:
    """Row positions of each group of ``keys``, groups in sorted key order."""
    if df.empty:
        return []
    idx = df.groupby(keys, sort=True).indices
    return [np.asarray(idx[k]) for k in sorted(idx, key=str)]
