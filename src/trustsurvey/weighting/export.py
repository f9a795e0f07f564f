"""The weighted data as a Stata ``.dta`` file, with variable and value labels.

The Stata twin of the labelled SPSS file ``trustsurvey weight`` writes: the questionnaire's
item texts become variable labels (Stata allows 80 characters), its codes value labels
(integer codes only, as Stata requires), and the weight is labelled. Column names that Stata
does not accept (more than 32 characters, other characters than letters, digits and ``_``)
are shortened or replaced, and the original name is kept in the variable label.

>>> import tempfile, pathlib
>>> import pandas as pd
>>> path = pathlib.Path(tempfile.mkdtemp()) / "w.dta"
>>> frame = pd.DataFrame({"q1": [1.0, 2.0], "w": [0.5, 1.5]})
>>> _ = write_stata(frame, path, None, "w", value_labels={"q1": {1: "Yes", 2: "No"}})
>>> import pyreadstat
>>> _, meta = pyreadstat.read_dta(str(path), metadataonly=True)
>>> meta.variable_value_labels["q1"]
{1: 'Yes', 2: 'No'}
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from trustsurvey._files import write_atomic

LABEL_CHARS = 80
NAME_CHARS = 32
WEIGHT_LABEL = "Final weight (weighted to population) / Підсумкова вага"


def stata_name(name: str, taken: set[str]) -> str:
    """A valid, unused Stata variable name for ``name``.

    >>> stata_name("2nd wave.score", set())
    '_2nd_wave_score'
    """
    base = re.sub(r"[^A-Za-z0-9_]", "_", str(name))
    if not re.match(r"[A-Za-z_]", base):
        base = "_" + base
    base = base[:NAME_CHARS]
    out, i = base, 1
    while out in taken:
        suffix = f"_{i}"
        out, i = base[: NAME_CHARS - len(suffix)] + suffix, i + 1
    taken.add(out)
    return out


def _text(value: Any, lang: str) -> str | None:
    """A label in ``lang`` from a questionnaire ``Text``, a ``{lang: text}`` mapping or a str."""
    if value is None:
        return None
    if isinstance(value, dict):
        return str(value.get(lang) or next(iter(value.values()), ""))
    if hasattr(value, "get"):
        return str(value.get(lang))
    return str(value)


def _labels(questionnaire: Any, frame: pd.DataFrame, lang: str) -> tuple[dict, dict]:
    columns: dict[str, str] = {}
    values: dict[str, dict[int, str]] = {}
    for name, item in getattr(questionnaire, "items", {}).items():
        if name not in frame.columns:
            continue
        text = _text(getattr(item, "text", None), lang)
        if text:
            columns[name] = text
        if pd.api.types.is_numeric_dtype(frame[name]):
            codes = {**(item.codes or {}), **(item.missing or {})}
            labels = {}
            for code, label in codes.items():
                try:
                    number = float(code)
                except (TypeError, ValueError):
                    continue
                if number.is_integer():
                    labels[int(number)] = _text(label, lang) or str(code)
            if labels:
                values[name] = labels
    return columns, values


def write_stata(
    frame: pd.DataFrame,
    path: str | Path,
    questionnaire: Any,
    weight: str,
    *,
    lang: str = "uk",
    value_labels: dict[str, dict[int, str]] | None = None,
) -> Path:
    """Write ``frame`` to ``path`` (``.dta``, Stata 15 format) atomically, with labels."""
    import pyreadstat

    columns, values = _labels(questionnaire, frame, lang)
    values.update(value_labels or {})
    columns[weight] = WEIGHT_LABEL
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].astype(float)
        elif not pd.api.types.is_numeric_dtype(
            out[col]
        ) and not pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    taken: set[str] = set()
    names = {c: stata_name(c, taken) for c in out.columns}
    labels = []
    for col in out.columns:
        label = columns.get(col, "")
        if names[col] != col:
            label = f"{col}: {label}" if label else str(col)
        labels.append(label[:LABEL_CHARS])
    out = out.rename(columns=names)
    value_map = {
        names[c]: v
        for c, v in values.items()
        if c in names and pd.api.types.is_numeric_dtype(frame[c])
    }
    return write_atomic(
        path,
        lambda tmp: pyreadstat.write_dta(
            out, str(tmp), column_labels=labels, variable_value_labels=value_map, version=15
        ),
    )
