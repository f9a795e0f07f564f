"""Domains (``by=`` groups) as integer codes, computed once per call.

A row whose ``by`` value is missing belongs to no group (code -1) and is counted in
``n_missing_by``; with ``by_missing="level"`` it forms a group of its own. Groups are sorted
like R's ``svyby`` (``drop.empty.groups=TRUE``): levels of a pandas ``Categorical`` with no rows
are *excluded* and reported in ``empty`` (``result_info(result)["empty_groups"]``).

>>> import pandas as pd
>>> d = make_domains(pd.DataFrame({"g": ["b", "a", None, "a"]}), ["g"], "drop")
>>> d.codes.tolist(), list(d.keys), d.n_missing_by
([1, 0, -1, 0], ['a', 'b'], 1)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from trustsurvey.errors import DesignError

if TYPE_CHECKING:
    from trustsurvey.design.base import Design


@dataclass(frozen=True)
class Domains:
    """Group codes per row (-1 = in no group), the group labels and bookkeeping."""

    codes: np.ndarray
    keys: pd.Index | None
    names: list[str]
    n_missing_by: int = 0
    empty: list = field(default_factory=list)

    @property
    def size(self) -> int:
        return 1 if self.keys is None else len(self.keys)


def as_list(by: str | list[str] | tuple[str, ...] | None) -> list[str]:
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


def check_columns(data: pd.DataFrame, columns: list[str], role: str) -> None:
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise DesignError(
            f"{role} column(s) {', '.join(map(repr, missing))} not in the data",
            item=missing,
            hint=f"check the spelling; columns are: {', '.join(map(str, data.columns[:30]))}",
        )


def make_domains(
    data: pd.DataFrame, by: list[str], by_missing: str = "drop", *, mask: np.ndarray | None = None
) -> Domains:
    """Code the groups of ``by`` (list of columns). ``mask`` = rows in the design's domain."""
    n = len(data)
    if by_missing not in ("drop", "level"):
        raise DesignError(
            f"unknown by_missing={by_missing!r}", item="by_missing", hint="use 'drop' or 'level'"
        )
    if not by:
        codes = np.zeros(n, dtype=np.int64)
        if mask is not None:
            codes[~mask] = -1
        return Domains(codes=codes, keys=None, names=[])
    check_columns(data, by, "by")
    if len(by) == 1:
        fast = _single_column(data[by[0]], by_missing)
        if fast is not None:
            codes, keys, n_missing = fast
            if mask is not None:
                codes[~mask] = -1
            return Domains(codes=codes, keys=keys, names=by, n_missing_by=n_missing)
    frame = data[by]
    dropna = by_missing == "drop"
    gb = frame.groupby(by, sort=True, dropna=dropna, observed=True)
    ng = gb.ngroup().to_numpy(dtype=float)
    codes = np.where(np.isnan(ng), -1, np.nan_to_num(ng, nan=-1)).astype(np.int64)
    sizes = gb.size()
    keys = sizes.index
    miss = frame.isna().any(axis=1).to_numpy()
    n_missing = int(miss.sum()) if dropna else 0
    if dropna:
        codes[miss] = -1
    empty: list = []
    for col in by:
        if isinstance(frame[col].dtype, pd.CategoricalDtype):
            used = set(frame[col].dropna().unique())
            empty += [(col, lev) for lev in frame[col].cat.categories if lev not in used]
    if mask is not None:
        codes = codes.copy()
        codes[~mask] = -1
    return Domains(codes=codes, keys=keys, names=by, n_missing_by=n_missing, empty=empty)


def _single_column(series: pd.Series, by_missing: str) -> tuple[np.ndarray, pd.Index, int] | None:
    """Codes of one plain (numeric, boolean or text) ``by`` column without a groupby.

    Numbers in a compact non-negative integer range use a lookup table, the rest one sorted
    factorisation; the keys equal ``groupby(sort=True).size().index``. ``None`` (use the general
    path) for categoricals, other dtypes, and missing values with ``by_missing="level"``.
    """
    from trustsurvey.design.structure import sorted_codes

    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return None
    if dtype.kind in "iu" and isinstance(dtype, np.dtype):
        codes, uniq = sorted_codes(series)
        return codes, pd.Index(uniq, name=series.name, dtype=dtype), 0
    if dtype.kind == "O" or not (dtype.kind in "fb" or pd.api.types.is_string_dtype(dtype)):
        return None
    codes, uniq = pd.factorize(series, sort=True, use_na_sentinel=True)
    n_missing = int((codes < 0).sum())
    if n_missing and by_missing != "drop":
        return None
    return codes.astype(np.int64, copy=False), pd.Index(uniq, name=series.name), n_missing


def check_domain(design: Design) -> None:
    """Raise :class:`DesignError` if ``design`` is a subset (domain) with no rows.

    R's ``svymean`` on an empty ``subset`` errors too; a NaN with n = 0 would hide a wrong
    condition (a code spelled differently, a filter applied twice). Groups of ``by=`` with no
    rows are not affected: they are left out and listed in ``result_info(result)["empty_groups"]``.
    """
    mask = design.domain_mask
    if mask is None or mask.any():
        return
    name = design.domain_label or "subset(mask)"
    raise DesignError(
        f"empty domain {name}: the subset selects none of the design's {mask.size} rows, so "
        "nothing can be estimated in it",
        item="subset",
        hint="check the subset condition (a code or label spelled differently in the data, "
        "a filter applied twice); check mask.sum() > 0 before design.subset(mask, name=...)",
    )
