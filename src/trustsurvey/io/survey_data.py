"""The data container: raw codes plus their metadata, and the analysis view.

Missing-answer codes (8 "difficult to answer", 9 "refused") are data: ``sd.data`` keeps
them as values so their share can be reported, while :meth:`SurveyData.analysis` turns
every declared missing code into NaN for estimation (SPSS user-missing semantics, IBM SPSS
Statistics Command Syntax Reference, MISSING VALUES).

Examples
--------
>>> import pandas as pd
>>> sd = SurveyData(pd.DataFrame({"trust": [1.0, 5.0, 8.0, 9.0]}),
...                 FileMetadata(column_names=["trust"], missing_values={"trust": [8.0, 9.0]}))
>>> sd.analysis()["trust"].tolist()
[1.0, 5.0, nan, nan]
>>> sd.analysis(keep={"trust": [8]})["trust"].tolist()
[1.0, 5.0, 8.0, nan]
>>> int(sd.missing_mask()["trust"].sum())
2
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from trustsurvey.io.metadata import FileMetadata

MissingSpec = Mapping[str, Iterable[Any] | Mapping[Any, Any]]


def normalise_missing_codes(spec: MissingSpec | None) -> dict[str, list[Any]]:
    """``{column: codes}`` from a plain dict of lists or of ``{code: label}`` mappings.

    A questionnaire's ``q.missing_codes()`` (``{column: {code: Text}}``) is accepted as is.

    >>> normalise_missing_codes({"q1": {8: "DK", 9: "refused"}, "q2": [99]})
    {'q1': [8, 9], 'q2': [99]}
    """
    if not spec:
        return {}
    out: dict[str, list[Any]] = {}
    for col, codes in spec.items():
        values = list(codes.keys()) if isinstance(codes, Mapping) else list(codes)
        out[str(col)] = values
    return out


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _code_mask(series: pd.Series, codes: list[Any]) -> pd.Series:
    """True where ``series`` equals one of ``codes`` (numbers compare as numbers)."""
    if not codes:
        return pd.Series(False, index=series.index)
    if _is_numeric(series):
        numeric = []
        for c in codes:
            try:
                numeric.append(float(c))
            except (TypeError, ValueError):
                continue
        return series.isin(numeric) if numeric else pd.Series(False, index=series.index)
    text = {str(c) for c in codes}
    # integral float codes also match their integer spelling ("8" for 8.0)
    for c in codes:
        if isinstance(c, float) and c.is_integer():
            text.add(str(int(c)))
    as_text = series.astype("string")
    return as_text.isin(text).fillna(False).astype(bool)


def _range_mask(series: pd.Series, ranges: list[tuple[Any, Any]]) -> pd.Series:
    mask = pd.Series(False, index=series.index)
    if not ranges:
        return mask
    if _is_numeric(series):
        for lo, hi in ranges:
            mask |= (series >= float(lo)) & (series <= float(hi))
        return mask.fillna(False)
    as_text = series.astype("string")
    for lo, hi in ranges:
        mask |= ((as_text >= str(lo)) & (as_text <= str(hi))).fillna(False).astype(bool)
    return mask


@dataclass
class SurveyData:
    """Survey responses as raw codes (``data``) with the file's metadata (``meta``).

    Parameters
    ----------
    data
        Raw codes, file column order, RangeIndex; declared missing codes kept as values.
    meta
        The file's :class:`FileMetadata`.
    extra_missing
        Missing codes declared outside the file (e.g. by a questionnaire):
        ``{column: [codes]}``; columns not in ``data`` are ignored.
    """

    data: pd.DataFrame
    meta: FileMetadata
    extra_missing: dict[str, list[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.extra_missing = normalise_missing_codes(self.extra_missing)

    # -- declared missing codes ---------------------------------------------------------
    def declared_missing(self) -> dict[str, dict[str, list[Any]]]:
        """Per column: ``{"values": [...], "ranges": [(lo, hi), ...]}`` from file + extra."""
        out: dict[str, dict[str, list[Any]]] = {}
        for col in self.data.columns:
            values = list(self.meta.missing_values.get(col, []))
            for code in self.extra_missing.get(col, []):
                if code not in values:
                    values.append(code)
            ranges = list(self.meta.missing_ranges.get(col, []))
            if values or ranges:
                out[col] = {"values": values, "ranges": ranges}
        return out

    def missing_mask(self, keep: MissingSpec | None = None) -> pd.DataFrame:
        """True where a cell holds a declared missing code (not system-missing NaN).

        ``keep`` lists codes to treat as substantive (``{"q7_trust": [8]}``).
        """
        keep_codes = normalise_missing_codes(keep)
        mask = pd.DataFrame(False, index=self.data.index, columns=self.data.columns)
        for col, spec in self.declared_missing().items():
            series = self.data[col]
            m = _code_mask(series, spec["values"]) | _range_mask(series, spec["ranges"])
            if col in keep_codes:
                m &= ~_code_mask(series, keep_codes[col])
            mask[col] = m.to_numpy(dtype=bool)
        return mask

    def analysis(self, keep: MissingSpec | None = None) -> pd.DataFrame:
        """The analysis view: every declared missing code set to NaN (a new frame).

        Parameters
        ----------
        keep
            ``{column: [codes]}`` kept as substantive categories (e.g. to analyse
            "difficult to answer" as an answer).
        """
        mask = self.missing_mask(keep)
        out = self.data.copy()
        for col in mask.columns[mask.any(axis=0).to_numpy()]:
            out[col] = out[col].mask(mask[col].to_numpy())
        return out

    def missing_counts(self) -> pd.DataFrame:
        """Per column: n valid, n declared-missing codes and n system-missing (NaN)."""
        mask = self.missing_mask()
        system = self.data.isna()
        n_code = mask.sum()
        n_sys = system.sum()
        return pd.DataFrame(
            {
                "variable": list(self.data.columns),
                "n_valid": (len(self.data) - n_code - n_sys).to_numpy(dtype=np.int64),
                "n_missing_code": n_code.to_numpy(dtype=np.int64),
                "n_system_missing": n_sys.to_numpy(dtype=np.int64),
            }
        )

    def missing_code_counts(self) -> pd.DataFrame:
        """How often each declared missing code occurs: the share of "difficult to answer"
        is a finding, not noise.

        Returns one row per column and code present in the data: ``variable, code, label,
        n, share`` (share of all rows of the file).

        >>> sd = SurveyData(pd.DataFrame({"q": [1.0, 8.0, 8.0, 9.0]}),
        ...                 FileMetadata(missing_values={"q": [8.0, 9.0]},
        ...                              value_labels={"q": {8.0: "Важко відповісти"}}))
        >>> sd.missing_code_counts()[["code", "label", "n", "share"]].to_dict("records")[0]
        {'code': 8.0, 'label': 'Важко відповісти', 'n': 2, 'share': 0.5}
        """
        mask = self.missing_mask()
        rows = []
        for col in mask.columns[mask.any(axis=0).to_numpy()]:
            values = self.data.loc[mask[col].to_numpy(), col]
            labels = self.meta.value_labels.get(col, {})
            for code, n in values.value_counts(sort=False).sort_index().items():
                rows.append(
                    {
                        "variable": col,
                        "code": code,
                        "label": labels.get(code, ""),
                        "n": int(n),
                        "share": float(n) / len(self.data),
                    }
                )
        return pd.DataFrame(rows, columns=["variable", "code", "label", "n", "share"])

    def add_column(
        self,
        name: str,
        values: Any,
        *,
        label: str | None = None,
        value_labels: Mapping[Any, str] | None = None,
        measure: str | None = None,
        missing: Iterable[Any] | None = None,
    ) -> SurveyData:
        """A new SurveyData with column ``name`` added (or replaced), labelled for export.

        >>> sd = SurveyData(pd.DataFrame({"q": [1.0]}), FileMetadata(column_names=["q"]))
        >>> sd.add_column("w", [1.5], label="Вага").meta.variable_labels
        {'w': 'Вага'}
        """
        data = self.data.copy()
        data[name] = values
        meta = self.meta.select(list(self.meta.column_names))
        meta.column_names = list(data.columns)
        meta.variable_labels.update({name: label} if label else {})
        if value_labels:
            meta.value_labels[name] = dict(value_labels)
        if measure:
            meta.measure[name] = measure
        if missing is not None:
            meta.missing_values[name] = list(missing)
        meta.derived[name] = meta.derived.get(name, "added after reading")
        return SurveyData(data, meta, dict(self.extra_missing))

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        return (
            f"SurveyData({self.meta.file or '<memory>'}: {len(self.data)} rows × "
            f"{self.data.shape[1]} columns, format={self.meta.format or '?'})"
        )
