"""Bring tidy result tables into the declared schema of their kind.

Tables from the design engine are indexed by their grouping columns; they are reset to columns.
Key columns the input lacks are margins and are filled with :data:`ALL`. A single grouping
column the kind does not know (e.g. ``sex``) becomes ``subgroup="sex"`` with its values in
``level``. A column the schema does not declare is refused (it might carry microdata).

>>> import pandas as pd
>>> t = pd.DataFrame({"wave": [1], "sex": ["f"], "estimate": [0.5], "n": [40]})
>>> t = t.set_index(["wave", "sex"]).assign(outcome="trust")
>>> normalize_table("estimates", t)[["outcome", "community", "subgroup", "level"]].iloc[0].tolist()
['trust', 'all', 'sex', 'f']
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from trustsurvey.errors import PublishError
from trustsurvey.publish.schema import ALL, KINDS

_IGNORED = {"index", "level_0"}


def normalize_table(
    kind: str, table: pd.DataFrame, *, arms: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Return ``table`` with exactly the columns of ``kind``, typed, margins as ``ALL``.

    ``arms`` maps community to arm, used to fill ``arm`` where a community is named.
    """
    spec = KINDS.get(kind)
    if spec is None:
        raise PublishError(
            f"unknown table kind {kind!r}",
            item=kind,
            hint=f"use one of {', '.join(KINDS)}",
        )
    if not isinstance(table, pd.DataFrame):
        raise PublishError(
            f"table {kind!r} is a {type(table).__name__}, not a DataFrame",
            item=kind,
            hint="pass tidy pandas DataFrames",
        )
    df = table.reset_index() if _has_named_index(table) else table.reset_index(drop=True)
    df = df.drop(columns=[c for c in df.columns if c in _IGNORED])
    df.columns = [str(c) for c in df.columns]
    if "outcome" in spec.keys and "outcome" not in df.columns and "variable" in df.columns:
        df = df.rename(columns={"variable": "outcome"})  # SurveyDesign.mean's name for it
    known = set(spec.columns)
    unknown = [c for c in df.columns if c not in known]
    if unknown and "subgroup" in spec.keys and "subgroup" not in df.columns and len(unknown) == 1:
        col = unknown[0]
        df = df.rename(columns={col: "level"}).assign(subgroup=col)
        unknown = []
    if unknown:
        raise PublishError(
            f"table {kind!r} has columns the '{kind}' schema does not declare: "
            + ", ".join(unknown),
            item=unknown,
            hint="publish aggregates only; drop these columns or rename them to "
            + ", ".join(spec.columns),
        )
    missing = [c for c in spec.required if c not in df.columns]
    if missing:
        raise PublishError(
            f"table {kind!r} lacks required columns: {', '.join(missing)}",
            item=missing,
            hint=f"a '{kind}' table needs {', '.join(spec.required)}",
        )
    for key in spec.keys:
        if key == "wave":
            df["wave"] = _as_int(df["wave"], kind) if "wave" in df else 0
        elif key not in df.columns:
            df[key] = ALL
        else:
            df[key] = df[key].astype("object").where(df[key].notna(), ALL).astype(str)
    if arms and "arm" in spec.keys and "community" in spec.keys:
        fill = (df["arm"] == ALL) & (df["community"] != ALL)
        df.loc[fill, "arm"] = df.loc[fill, "community"].map(lambda c: arms.get(c, ALL))
    for col in spec.values:
        if col not in df.columns:
            df[col] = np.nan
        df[col] = _as_float(df[col], kind, col)
    for col in spec.flags:
        df[col] = df[col].fillna(False).astype(bool) if col in df.columns else False
    counts = df[spec.count] if spec.count else None
    if counts is not None and ((counts < 0) | (counts % 1 != 0)).any():
        raise PublishError(
            f"table {kind!r}: column {spec.count!r} must hold whole unweighted counts >= 0",
            item=spec.count,
            hint="pass the unweighted number of respondents behind each cell",
        )
    dup = df.duplicated(list(spec.keys))
    if dup.any():
        raise PublishError(
            f"table {kind!r} has {int(dup.sum())} duplicated rows for the same keys",
            item=list(spec.keys),
            row=[int(i) + 1 for i in np.flatnonzero(dup)],
            hint="each combination of keys must appear once",
        )
    cols = [c for c in spec.keys + spec.values + spec.flags]
    return df[cols].reset_index(drop=True)


def _has_named_index(table: pd.DataFrame) -> bool:
    return any(name is not None for name in table.index.names)


def _as_int(s: pd.Series, kind: str) -> pd.Series:
    out = pd.to_numeric(s, errors="coerce")
    if out.isna().any() or (out % 1 != 0).any():
        raise PublishError(
            f"table {kind!r}: column 'wave' must hold whole wave codes",
            item="wave",
            hint="use the wave codes of study.yaml (1, 2, ...)",
        )
    return out.astype("int64")


def _as_float(s: pd.Series, kind: str, col: str) -> pd.Series:
    out = pd.to_numeric(s, errors="coerce")
    bad = out.isna() & s.notna()
    if bad.any():
        raise PublishError(
            f"table {kind!r}: column {col!r} holds non-numeric values",
            item=col,
            row=[int(i) + 1 for i in np.flatnonzero(bad)],
            hint="value columns hold numbers only (no free text)",
        )
    return out.astype("float64")
