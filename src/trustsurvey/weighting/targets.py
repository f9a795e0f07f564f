"""Population targets for weighting, from ``study.yaml``, a CSV next to it, or a mapping.

The tidy form (the same as a study's ``margins:``) has one row per cell: optional group
columns (``by``, e.g. ``wave``, ``raion``), ``margin`` naming the variables of the margin joined
by ``*`` (``gender*age_cat``, ``settl_type``), one column per variable holding the cell's code
(blank where a margin does not use it), and ``target``, a population count or share.

Checked on load (:class:`~trustsurvey.errors.WeightingError` naming the file, the margin and
the cell): targets are non-negative numbers; shares of each margin sum to 1; counts of all
margins of a group add up to the same total and agree on the variables they share; each cell
is given once; codes exist in the questionnaire (when one is given).

Examples
--------
>>> t = load_targets({"sex": {1: 0.46, 2: 0.54}, "settlement": {1: 0.31, 2: 0.69}})
>>> t.kind, t.groups()
('shares', [{}])
>>> t.margins_for({}, total=1000)["sex"]
{1: 460.0, 2: 540.0}
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from trustsurvey._yaml import load_checked
from trustsurvey.errors import QuestionnaireError, WeightingError

SHARE_TOL = 1e-6
AGREE_TOL = 1e-6
_RESERVED = {"margin", "target"}


def _code(value: Any) -> Hashable:
    """Codes compare by value: ``1.0`` and ``"1"`` both mean the code 1."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float | np.floating):
        return int(value) if float(value).is_integer() else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() else number
    return value


@dataclass(frozen=True)
class Targets:
    """Checked population targets: a tidy table with ``kind`` counts or shares per group."""

    table: pd.DataFrame
    kind: str = "counts"
    by: tuple[str, ...] = ()
    source: str | None = None

    def groups(self) -> list[dict[str, Hashable]]:
        """The groups (e.g. ``[{"wave": 1}, {"wave": 2}]``; ``[{}]`` without ``by``)."""
        if not self.by:
            return [{}]
        keys = self.table[list(self.by)].drop_duplicates()
        return [
            {c: _code(v) for c, v in zip(self.by, row, strict=True)}
            for row in keys.itertuples(index=False)
        ]

    def variables(self) -> list[str]:
        """Data columns the margins use."""
        out: list[str] = []
        for margin in self.table["margin"].unique():
            for v in str(margin).split("*"):
                if v not in out:
                    out.append(v)
        return out

    def _rows(self, group: Mapping[str, Hashable]) -> pd.DataFrame:
        rows = self.table
        for col, value in group.items():
            if col not in self.by:
                raise WeightingError(
                    f"targets are not given per {col!r}",
                    item=col,
                    file=self.source,
                    hint=f"groups are by {', '.join(self.by) or 'nothing'}",
                )
            rows = rows[rows[col].map(_code) == _code(value)]
        if rows.empty:
            raise WeightingError(
                f"no targets for group {dict(group)}",
                file=self.source,
                item=list(group),
                hint="add that group's margins to the targets",
            )
        return rows

    def margins_for(
        self, group: Mapping[str, Hashable] | None = None, *, total: float | None = None
    ) -> dict[str | tuple[str, ...], dict[Hashable, float]]:
        """Margins of one group as ``{column or tuple: {code: count}}``.

        Shares are turned into counts with ``total`` (e.g. the group's design-weight total);
        without ``total`` they are returned as shares.
        """
        rows = self._rows(group or {})
        out: dict[str | tuple[str, ...], dict[Hashable, float]] = {}
        for margin, part in rows.groupby("margin", sort=False):
            variables = str(margin).split("*")
            cells: dict[Hashable, float] = {}
            keys = part[variables].map(_code).itertuples(index=False, name=None)
            for codes, value in zip(keys, part["target"].to_numpy(dtype=float), strict=True):
                if self.kind == "shares" and total is not None:
                    value = value * total
                cells[codes if len(codes) > 1 else codes[0]] = float(value)
            out[tuple(variables) if len(variables) > 1 else variables[0]] = cells
        return out

    def check_sample(self, data: pd.DataFrame) -> None:
        """Every group of ``data`` has targets, every sample category a target, and every
        target cell respondents (:class:`~trustsurvey.errors.WeightingError` otherwise)."""
        from trustsurvey.weighting.margins import prepare_margins

        missing = [c for c in (*self.by, *self.variables()) if c not in data.columns]
        if missing:
            raise WeightingError(
                "the data lack columns the targets use",
                item=missing,
                file=self.source,
                hint="check the column names of the data and the targets",
            )
        if not self.by:
            prepare_margins(data, self.margins_for({}, total=float(len(data))))
            return
        keys = data[list(self.by)].map(_code)
        for key, part in keys.groupby(list(self.by), sort=False):
            rows = part.index
            group = dict(zip(self.by, key if isinstance(key, tuple) else (key,), strict=True))
            try:
                margins = self.margins_for(group, total=float(len(rows)))
                prepare_margins(data.loc[rows], margins)
            except WeightingError as err:
                raise WeightingError(
                    f"group {group}: {err.message}",
                    file=self.source,
                    item=err.item,
                    hint=err.hint,
                ) from err

    def check_questionnaire(self, questionnaire: Any) -> None:
        """Every code must be one of the questionnaire item's codes."""
        for var in self.variables():
            try:
                item = questionnaire.item(var)
            except (QuestionnaireError, KeyError) as err:
                raise WeightingError(
                    "weighting variable is not in the questionnaire",
                    item=var,
                    file=self.source,
                    hint="use the questionnaire's item names in the targets",
                ) from err
            known = {_code(c) for c in getattr(item, "codes", {}) or {}}
            if not known:
                continue
            used = {_code(v) for v in self.table.loc[self.table[var].notna(), var]}
            unknown = sorted(map(str, used - known))
            if unknown:
                raise WeightingError(
                    f"target codes {', '.join(unknown)} are not codes of this item "
                    f"(codes: {', '.join(map(str, sorted(known, key=str)))})",
                    item=var,
                    file=self.source,
                    hint="key the targets by the questionnaire's codes",
                )


def _tidy_from_mapping(margins: Mapping[Any, Any]) -> pd.DataFrame:
    rows = []
    for key, cells in margins.items():
        variables = (key,) if isinstance(key, str) else tuple(key)
        if isinstance(cells, pd.Series):
            cells = dict(zip(cells.index.tolist(), cells.tolist(), strict=True))
        if not isinstance(cells, Mapping):
            raise WeightingError(
                "each margin must map codes to targets",
                item=str(key),
                hint='e.g. {"sex": {1: 0.46, 2: 0.54}}',
            )
        for code, value in cells.items():
            codes = code if isinstance(code, tuple) else (code,)
            if len(codes) != len(variables):
                raise WeightingError(
                    f"cell {code!r} has {len(codes)} code(s) for {len(variables)} variable(s)",
                    item="*".join(variables),
                    hint="key a crossed margin by tuples with one code per variable",
                )
            row = {"margin": "*".join(variables), "target": value}
            row.update(dict(zip(variables, codes, strict=True)))
            rows.append(row)
    return pd.DataFrame(rows)


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise WeightingError(
            f"cannot read the targets file: {err}",
            file=path,
            hint="give a CSV with columns margin, the margin variables, target",
        ) from err


def _from_yaml(path: Path) -> tuple[pd.DataFrame, str | None, tuple[str, ...]]:
    def duplicate(key_path: str, key: str, line: int, first: int) -> None:
        raise WeightingError(
            f"{key_path}: the key {key!r} is repeated (line {line}; first at line {first})",
            file=path,
            hint="keep one of the two entries",
        )

    try:
        raw, _ = load_checked(path.read_text(encoding="utf-8"), on_duplicate=duplicate)
    except (OSError, ValueError, yaml.YAMLError) as err:
        raise WeightingError(f"cannot read {path.name}: {err}", file=path) from err
    if not isinstance(raw, Mapping):
        raise WeightingError("not a mapping", file=path, hint="see the study.yaml format")
    spec = raw.get("margins", raw)
    return _from_spec(spec, path.parent, str(path))


def _from_spec(
    spec: Mapping[str, Any], base: Path, source: str | None
) -> tuple[pd.DataFrame, str | None, tuple[str, ...]]:
    kind = spec.get("kind")
    by = tuple(spec.get("by") or ())
    if "file" in spec:
        table = _read_csv(base / str(spec["file"]))
    elif "rows" in spec:
        table = pd.DataFrame(list(spec["rows"]))
    else:
        table = _tidy_from_mapping(spec)
    return table, kind, by


def _check(table: pd.DataFrame, kind: str | None, by: tuple[str, ...], source: str | None):
    missing = [c for c in ("margin", "target", *by) if c not in table.columns]
    if missing:
        raise WeightingError(
            f"targets lack column(s) {', '.join(missing)}",
            file=source,
            hint="columns: [group columns], margin, the margin variables, target",
        )
    table = table.copy()
    target = pd.to_numeric(table["target"], errors="coerce")
    bad = target.isna() | (target < 0) | ~np.isfinite(target.fillna(0))
    if bad.any():
        raise WeightingError(
            "targets must be non-negative numbers",
            file=source,
            row=[int(i) + 2 for i in np.flatnonzero(bad.to_numpy())],
            item="target",
            hint="fix those rows (row numbers count the CSV header as row 1)",
        )
    table["target"] = target.astype(float)
    for margin in table["margin"].unique():
        for var in str(margin).split("*"):
            if var not in table.columns or var in _RESERVED:
                raise WeightingError(
                    f"margin {margin!r} names variable {var!r} that has no column",
                    file=source,
                    item=str(margin),
                    hint="add a column holding the codes of that variable",
                )
    groups = [((), table)] if not by else list(table.groupby(list(by), sort=False, dropna=False))
    sums = []
    for gkey, gtab in groups:
        label = f" in group {dict(zip(by, np.atleast_1d(gkey), strict=False))}" if by else ""
        per_margin: dict[str, pd.Series] = {}
        for margin, part in gtab.groupby("margin", sort=False):
            variables = str(margin).split("*")
            keys = part[variables].map(_code)
            dup = keys.duplicated()
            if dup.any():
                cell = " × ".join(map(str, keys[dup].iloc[0].tolist()))
                raise WeightingError(
                    f"cell {cell} is given twice{label}",
                    file=source,
                    item=str(margin),
                    hint="give each cell once",
                )
            if keys.isna().any().any():
                raise WeightingError(
                    f"a row of margin {margin!r}{label} lacks a code",
                    file=source,
                    item=str(margin),
                    hint="fill in a code for every variable of the margin",
                )
            per_margin[str(margin)] = pd.Series(
                part["target"].to_numpy(), index=pd.MultiIndex.from_frame(keys)
            )
            sums.append(float(part["target"].sum()))
        if kind is None:
            kind = "shares" if all(abs(s - 1) <= SHARE_TOL for s in sums) else "counts"
        names = list(per_margin)
        for m in names:
            s = float(per_margin[m].sum())
            if kind == "shares" and abs(s - 1) > SHARE_TOL:
                raise WeightingError(
                    f"shares of margin {m!r}{label} sum to {s:.6g}, not 1",
                    file=source,
                    item=m,
                    hint="correct the shares (or declare kind: counts)",
                )
        totals = {m: float(per_margin[m].sum()) for m in names}
        ref = totals[names[0]]
        for m in names[1:]:
            if abs(totals[m] - ref) > AGREE_TOL * max(ref, 1.0):
                raise WeightingError(
                    f"margins contradict each other{label}: {names[0]} adds up to {ref:.10g} "
                    f"but {m} to {totals[m]:.10g}",
                    file=source,
                    item=[names[0], m],
                    hint="take all margins from the same population",
                )
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                va, vb = a.split("*"), b.split("*")
                shared = [v for v in va if v in vb]
                if not shared or (len(va) == 1 and len(vb) == 1):
                    continue
                ca = per_margin[a].groupby(level=shared).sum()
                cb = per_margin[b].groupby(level=shared).sum()
                diff = ca.subtract(cb, fill_value=0).abs()
                if (diff > AGREE_TOL * max(ref, 1.0)).any():
                    cell = diff.idxmax()
                    raise WeightingError(
                        f"margins contradict each other{label} on {'*'.join(shared)} = "
                        f"{cell}: {a} gives {ca.get(cell, 0):.10g}, {b} gives "
                        f"{cb.get(cell, 0):.10g}",
                        file=source,
                        item=[a, b],
                        hint="make the crossed margin add up to the single margins",
                    )
    return table, kind or "counts"


def load_targets(
    source: str | Path | Mapping[Any, Any] | pd.DataFrame | Targets | Any,
    *,
    kind: str | None = None,
    by: tuple[str, ...] | list[str] | None = None,
    questionnaire: Any = None,
    data: pd.DataFrame | None = None,
) -> Targets:
    """Read and check population targets (see the module docstring).

    ``source`` is a ``study.yaml`` (its ``margins:`` section), a YAML file holding such a
    section, a CSV in the tidy form, a tidy DataFrame, a mapping ``{column or tuple: {code:
    target}}`` or a study's ``MarginsSpec``. ``kind`` ("counts" or "shares") is read from the
    study when given there, else inferred (every margin summing to 1 means shares). With
    ``questionnaire`` the codes are checked against its items; with ``data`` every group and
    sample category must have targets and every target cell respondents.
    """
    if kind is not None and kind not in ("counts", "shares"):
        raise WeightingError(f"kind={kind!r}", item="kind", hint="use 'counts' or 'shares'")
    src: str | None = None
    spec_kind: str | None
    spec_by: tuple[str, ...] = ()
    if isinstance(source, Targets):
        table, spec_kind, spec_by, src = source.table, source.kind, source.by, source.source
    elif hasattr(source, "table") and hasattr(source, "by"):  # a study's MarginsSpec
        table, spec_kind, spec_by = source.table, getattr(source, "kind", None), tuple(source.by)
        file = getattr(source, "file", None)
        src = str(file) if file else None
    elif isinstance(source, pd.DataFrame):
        table, spec_kind = source, None
    elif isinstance(source, Mapping):
        table, spec_kind, spec_by = _from_spec(source, Path.cwd(), None)
    else:
        path = Path(source)
        src = str(path)
        if path.is_dir():
            path = path / "study.yaml"
            src = str(path)
        if not path.exists():
            raise WeightingError("targets file not found", file=path, hint="check the path")
        if path.suffix.lower() in (".yaml", ".yml"):
            table, spec_kind, spec_by = _from_yaml(path)
        else:
            table, spec_kind = _read_csv(path), None
    by_t = tuple(by) if by is not None else spec_by
    table, final_kind = _check(table, kind or spec_kind, by_t, src)
    targets = Targets(table.reset_index(drop=True), final_kind, by_t, src)
    if questionnaire is not None:
        targets.check_questionnaire(questionnaire)
    if data is not None:
        targets.check_sample(data)
    return targets
