"""Turn weighting columns into integer codes, matching target codes by value.

Codes in targets match the data by value: a target keyed ``1`` (or ``"1"`` from a CSV or YAML
file) matches a column read from SPSS as ``1.0``; text columns match text keys, and a key
``1.0`` matches the text ``"1"``.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from trustsurvey.errors import WeightingError

# small integer-valued columns (the usual questionnaire codes) are coded by offset
_FAST_RANGE = 1 << 16


@dataclass(frozen=True)
class Factor:
    """A column as integer codes ``0..len(levels)-1`` (row order kept).

    ``codes`` is ``None`` when the cells were built straight from the values.
    """

    column: str
    codes: np.ndarray | None
    levels: list[Hashable]
    numeric: bool

    @property
    def nlevels(self) -> int:
        return len(self.levels)


def _missing_error(column: str, series: pd.Series, n_missing: int) -> WeightingError:
    rows = [int(i) + 1 for i in np.flatnonzero(series.isna().to_numpy())[:10]]
    return WeightingError(
        f"weighting variable has {n_missing} missing value(s) among {len(series)} rows "
        f"(data rows {', '.join(map(str, rows))}{' …' if n_missing > 10 else ''})",
        item=column,
        hint="impute or recode the missing values first (e.g. to the modal category, or a "
        "category of their own with its own population target), or drop those respondents "
        "explicitly and report it",
    )


def _small(nlevels: int) -> type:
    """The smallest signed integer type for codes ``0..nlevels-1``."""
    for dtype in (np.int8, np.int16, np.int32):
        if nlevels <= np.iinfo(dtype).max:
            return dtype
    return np.int64


def factorize(series: pd.Series, column: str) -> Factor:
    """Integer-code one weighting column; missing values raise :class:`WeightingError`."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(series.cat.categories.dtype)
    numeric = pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
        series.dtype
    )
    if numeric:
        if isinstance(series.dtype, pd.api.extensions.ExtensionDtype):
            values = series.to_numpy(dtype=float, na_value=np.nan)
        else:
            values = series.to_numpy()
        if values.dtype.kind in "iu":
            iv = values.astype(np.int64, copy=True)
        else:
            values = values.astype(float, copy=False)
            nan = np.isnan(values)
            if nan.any():
                raise _missing_error(column, series, int(nan.sum()))
            del nan
            if values.size and np.isfinite(values).all():
                with np.errstate(invalid="ignore"):
                    iv = values.astype(np.int64)
                if not np.array_equal(iv, values):
                    iv = None
            else:
                iv = None
        if values.size == 0:
            return Factor(column, np.zeros(0, dtype=np.int8), [], True)
        if iv is not None:
            lo, hi = int(iv.min()), int(iv.max())
            if hi - lo < _FAST_RANGE:
                iv -= lo
                counts = np.bincount(iv)
                present = np.flatnonzero(counts)
                if present.size == counts.size:
                    codes = iv
                else:
                    remap = np.full(counts.size, -1, dtype=np.int64)
                    remap[present] = np.arange(present.size)
                    codes = remap[iv]
                levels: list[Hashable] = [float(v + lo) for v in present]
                return Factor(column, codes.astype(_small(len(levels))), levels, True)
        uniq, codes = np.unique(values, return_inverse=True)
        return Factor(column, codes.astype(_small(uniq.size)), [float(v) for v in uniq], True)
    if series.isna().any():
        raise _missing_error(column, series, int(series.isna().sum()))
    codes, uniques = pd.factorize(series, sort=True)
    return Factor(column, codes.astype(_small(len(uniques))), [str(u) for u in uniques], False)


def normalise_code(key: object, numeric: bool, column: str) -> Hashable:
    """A target code as the data's value type (float for numeric columns, text otherwise)."""
    if numeric:
        if isinstance(key, bool):
            return float(key)
        if isinstance(key, int | float | np.integer | np.floating):
            return float(key)
        if isinstance(key, str):
            try:
                return float(key.strip())
            except ValueError:
                pass
        raise WeightingError(
            f"target code {key!r} is not a number but the data column is numeric",
            item=column,
            hint="key the targets by the questionnaire's numeric codes (e.g. 1, 2)",
        )
    if isinstance(key, bool | np.bool_):
        return str(bool(key))
    if isinstance(key, float | np.floating) and float(key).is_integer():
        return str(int(key))
    if isinstance(key, int | np.integer):
        return str(int(key))
    return str(key)


def describe_level(level: Hashable) -> str:
    """A level as a person writes it (``1`` rather than ``1.0``)."""
    if isinstance(level, float) and level.is_integer():
        return str(int(level))
    return str(level)
