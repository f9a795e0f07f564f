"""Population margins: parse, check against the sample, and code the sample's cells.

A margin maps a column name, or a tuple of names for a crossed margin, to a mapping of
code → population count (keys of a crossed margin are tuples). With ``total=`` the values are
shares of that total. Checks (each a :class:`~trustsurvey.errors.WeightingError` naming the
margin and the cell): every category in the sample has a target; every target category with a
positive count has respondents (else: collapse categories); shares sum to 1; margins agree on
their totals and on the variables they share.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"sex": [1.0, 2.0, 2.0], "age": [1, 1, 2]})
>>> ms, cells = prepare_margins(frame, {"sex": {1: 40, 2: 60}, ("sex", "age"): {
...     (1, 1): 40, (2, 1): 30, (2, 2): 30}})
>>> [m.label for m in ms]
['sex', 'sex × age']
>>> ms[1].targets.tolist()
[40.0, 30.0, 30.0]
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from trustsurvey.errors import WeightingError
from trustsurvey.weighting._cells import Cells, build_cells, fast_cells
from trustsurvey.weighting._codes import describe_level, factorize, normalise_code

SHARE_TOL = 1e-6
AGREE_TOL = 1e-6


@dataclass(frozen=True)
class PreparedMargin:
    """One margin matched to the sample.

    ``levels[i]`` is the tuple of codes of category ``i`` (categories present in the sample,
    sorted), ``targets[i]`` its population count; ``grid_codes`` gives, for every cell of the
    margin's own cross-classification grid, its category (``-1`` if absent from the sample).
    """

    columns: tuple[str, ...]
    levels: list[tuple[Hashable, ...]]
    targets: np.ndarray
    grid_codes: np.ndarray
    dims: tuple[int, ...]

    @property
    def label(self) -> str:
        return " × ".join(self.columns)

    def level_label(self, i: int) -> str:
        return " × ".join(describe_level(v) for v in self.levels[i])


def _key_columns(key: object) -> tuple[str, ...]:
    if isinstance(key, str):
        return (key,)
    if isinstance(key, tuple) and key and all(isinstance(k, str) for k in key):
        return key
    raise WeightingError(
        f"margin key {key!r} is neither a column name nor a tuple of column names",
        item=str(key),
        hint='write {"gender": {...}} or {("gender", "age_cat"): {(1, 1): ..., ...}}',
    )


def _items(columns: tuple[str, ...], spec: object) -> list[tuple[tuple[object, ...], float]]:
    label = " × ".join(columns)
    if isinstance(spec, pd.DataFrame):
        if "Freq" in spec.columns and all(c in spec.columns for c in columns):
            spec = spec.set_index(list(columns))["Freq"]
        else:
            raise WeightingError(
                "a margin given as a table needs the margin's columns and a 'Freq' column",
                item=label,
                hint="pass a mapping code → count instead",
            )
    if isinstance(spec, pd.Series):
        spec = dict(zip(spec.index.tolist(), spec.to_numpy().tolist(), strict=True))
    if not isinstance(spec, Mapping):
        raise WeightingError(
            f"the targets of this margin are a {type(spec).__name__}, not a mapping code → count",
            item=label,
            hint="write the margin as {code: population count, ...}",
        )
    out = []
    for key, value in spec.items():
        codes = key if isinstance(key, tuple) else (key,)
        if len(codes) != len(columns):
            raise WeightingError(
                f"target key {key!r} has {len(codes)} code(s) but the margin crosses "
                f"{len(columns)} column(s)",
                item=label,
                hint="key a crossed margin by tuples with one code per column",
            )
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = float("nan")
        if not np.isfinite(number) or number < 0:
            raise WeightingError(
                f"target for cell {key!r} is {value!r}; targets must be non-negative numbers",
                item=label,
                hint="give a population count or share for every cell",
            )
        out.append((codes, number))
    if not out:
        raise WeightingError("margin has no targets", item=label, hint="list code → count pairs")
    return out


def _cell_names(fs: Sequence, mask: np.ndarray) -> list[str]:
    """``level × level`` names of the True cells of ``mask``, a grid over the factors ``fs``."""
    return [
        " × ".join(describe_level(fs[k].levels[i]) for k, i in enumerate(ix))
        for ix in zip(*np.nonzero(mask), strict=True)
    ]


def prepare_margins(
    data: pd.DataFrame,
    margins: Mapping[Any, Any],
    *,
    total: float | None = None,
    check_agreement: bool = True,
) -> tuple[list[PreparedMargin], Cells]:
    """Check ``margins`` against ``data``; code them and the cells of all their variables.

    Returns the prepared margins and the :class:`~trustsurvey.weighting._cells.Cells` of the
    cross-classification of every margin variable (with each margin's category per cell).
    """
    if not isinstance(margins, Mapping) or not margins:
        raise WeightingError(
            "no margins given",
            hint='pass a mapping such as {"sex": {1: 480000, 2: 520000}}',
        )
    if total is not None and (not np.isfinite(total) or total <= 0):
        raise WeightingError(f"total={total!r} must be a positive number", item="total")
    specs: list[tuple[tuple[str, ...], object]] = []
    all_columns: list[str] = []
    for key, spec in margins.items():
        columns = _key_columns(key)
        for col in columns:
            if col not in data.columns:
                raise WeightingError(
                    "margin names a column that is not in the data",
                    item=col,
                    hint="check the spelling; columns include "
                    + ", ".join(map(str, data.columns[:12])),
                )
            if col not in all_columns:
                all_columns.append(col)
        specs.append((columns, spec))
    fast = fast_cells(data, all_columns)
    if fast is not None:
        cells, factors = fast
    else:
        factors = {col: factorize(data[col], col) for col in all_columns}
        cells = build_cells(all_columns, factors)
    act = cells.active
    prepared: list[PreparedMargin] = []
    maps: list[np.ndarray] = []
    for columns, spec in specs:
        label = " × ".join(columns)
        fs = [factors[c] for c in columns]
        items = _items(columns, spec)
        values = np.array([v for _, v in items])
        if total is not None:
            s = values.sum()
            if abs(s - 1.0) > SHARE_TOL:
                raise WeightingError(
                    f"shares sum to {s:.6g}, not 1",
                    item=label,
                    hint="correct the shares, or give population counts without total=",
                )
            values = values / s * total
        elif len(values) > 1 and abs(values.sum() - 1.0) <= SHARE_TOL and values.max() < 1:
            raise WeightingError(
                "targets add up to 1: they look like shares, not population counts",
                item=label,
                hint="pass the population size as total=, or give counts",
            )
        # map target keys onto the sample's levels
        grid = np.zeros(tuple(f.nlevels for f in fs), dtype=float)
        has_target = np.zeros(grid.shape, dtype=bool)
        lookups = [{lv: i for i, lv in enumerate(f.levels)} for f in fs]
        seen: set[tuple[Hashable, ...]] = set()
        for (codes, _), value in zip(items, values, strict=True):
            norm = tuple(
                normalise_code(c, f.numeric, f.column) for c, f in zip(codes, fs, strict=True)
            )
            if norm in seen:
                raise WeightingError(
                    f"cell {codes!r} is given twice (codes match by value)",
                    item=label,
                    hint="give each cell once",
                )
            seen.add(norm)
            idx = tuple(lk.get(v) for lk, v in zip(lookups, norm, strict=True))
            if any(i is None for i in idx):
                if value > 0:
                    present = []
                    for f in fs:
                        k = all_columns.index(f.column)
                        n_level = np.bincount(
                            cells.coords[k][act], weights=cells.counts[act], minlength=f.nlevels
                        )
                        present += [
                            f"{f.column} = {describe_level(v)} (n={int(n_level[i])})"
                            for i, v in enumerate(f.levels)
                        ]
                    raise WeightingError(
                        f"target cell {' × '.join(map(describe_level, norm))} (population "
                        f"{value:.6g}) has no respondents in the sample",
                        item=label,
                        hint="collapse it with a neighbouring category in both the data and "
                        f"the targets; categories in the sample: {', '.join(present)}",
                    )
                continue
            grid[idx] = value
            has_target[idx] = True
        dims = tuple(f.nlevels for f in fs)
        sub = tuple(cells.coords[all_columns.index(c)] for c in columns)
        cell_grid = np.ravel_multi_index(sub, dims) if len(sub) > 1 else sub[0]
        counts = np.bincount(
            cell_grid[act], weights=cells.counts[act], minlength=int(np.prod(dims))
        ).reshape(dims)
        in_sample = counts > 0
        missing = in_sample & ~has_target
        if missing.any():
            names = _cell_names(fs, missing)
            raise WeightingError(
                f"sample categories without a population target: {', '.join(names)}",
                item=label,
                hint="add a target for each category in the data, or recode those respondents",
            )
        empty = has_target & ~in_sample & (grid > 0)
        if empty.any():
            cell = _cell_names(fs, empty)[0]
            raise WeightingError(
                f"target cell {cell} has no respondents in the sample",
                item=label,
                hint="collapse it with a neighbouring category in both the data and the targets",
            )
        zero_pop = in_sample & (grid == 0)
        if zero_pop.any():
            cell = _cell_names(fs, zero_pop)[0]
            raise WeightingError(
                f"cell {cell} has respondents but a population target of 0",
                item=label,
                hint="give it a positive target, or recode or exclude those respondents explicitly",
            )
        flat_present = np.flatnonzero(in_sample.ravel())
        grid_codes = np.full(in_sample.size, -1, dtype=np.intp)
        grid_codes[flat_present] = np.arange(flat_present.size)
        levels = [
            tuple(fs[k].levels[i] for k, i in enumerate(np.unravel_index(p, dims)))
            for p in flat_present
        ]
        prepared.append(
            PreparedMargin(columns, levels, grid.ravel()[flat_present], grid_codes, dims)
        )
        maps.append(grid_codes[cell_grid])
    cells.margin_maps = tuple(maps)
    if check_agreement:
        check_agreement_of(prepared)
    return prepared, cells


def _collapse(m: PreparedMargin, keep: tuple[str, ...]) -> dict[tuple[Hashable, ...], float]:
    pos = [m.columns.index(c) for c in keep]
    out: dict[tuple[Hashable, ...], float] = {}
    for lv, t in zip(m.levels, m.targets, strict=True):
        k = tuple(lv[p] for p in pos)
        out[k] = out.get(k, 0.0) + float(t)
    return out


def check_agreement_of(prepared: Sequence[PreparedMargin]) -> None:
    """Margins must agree on the population total and on every variable they share."""
    if not prepared:
        return
    totals = [float(m.targets.sum()) for m in prepared]
    ref = totals[0]
    for m, t in zip(prepared[1:], totals[1:], strict=True):
        if abs(t - ref) > AGREE_TOL * max(abs(ref), 1.0):
            raise WeightingError(
                f"margins contradict each other: {prepared[0].label} adds up to {ref:.10g} "
                f"but {m.label} to {t:.10g}",
                item=[prepared[0].label, m.label],
                hint="take all margins from the same population (or give shares with one total=)",
            )
    for i, a in enumerate(prepared):
        for b in prepared[i + 1 :]:
            shared = tuple(c for c in a.columns if c in b.columns)
            if not shared or (len(a.columns) == 1 and len(b.columns) == 1):
                continue
            ca, cb = _collapse(a, shared), _collapse(b, shared)
            for k in set(ca) | set(cb):
                va, vb = ca.get(k, 0.0), cb.get(k, 0.0)
                if abs(va - vb) > AGREE_TOL * max(abs(ref), 1.0):
                    raise WeightingError(
                        f"margins contradict each other on {' × '.join(shared)} = "
                        f"{' × '.join(map(describe_level, k))}: {a.label} gives {va:.10g}, "
                        f"{b.label} gives {vb:.10g}",
                        item=[a.label, b.label],
                        hint="make the crossed margin add up to the single margins",
                    )
