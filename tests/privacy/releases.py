"""The exact linear-programming attack of an intruder who holds one or several releases of a
study (each bundle, and so every dashboard view and download of it), written independently
of the writer's audit (:mod:`trustsurvey.publish.audit`), so that it checks the audit rather
than repeats it.

What the intruder uses:

* inside each release, the relations the bundle's tables declare
  (:func:`trustsurvey.publish.relations.build_cells`: margins over communities and arms,
  shares adding to 1, counts within a sample size, months within their period, ...), read as
  the audit reads them: everything adds up exactly where the numbers allow it, else only
  the margins that always add up, else nothing;
* the bounds each suppression reason implies: a small cell holds ``0 .. threshold - 1``, a
  complement and a withheld ``n`` at least ``threshold``; shares lie in ``[0, 1]``;
* across releases, what an update that only *adds* respondents and records allows (late
  interviews, a new wave, new months of hotline appeals):

  - a count of respondents within one community-arm-wave (a kind linked to
    ``sample_sizes`` over the community-arm-wave) may only grow, and by no more than its
    block's sample grew (``0 <= x_new - x_old <= n_new - n_old`` of that row of
    ``sample_sizes``, hidden or not); a wave the first release did not have is new;
  - a count pooled over waves (the DiD's ``n``) is linked in the same way (bounded by what
    all waves grew) only when both releases have the same waves: with a new wave the
    contrast compares other waves, and its ``n`` may shrink;
  - records (``unit = "records"``): the months each release holds are read from its
    monthly series. Records of a month the first release held whole (every month before
    its last) are the same in both; its last month may have been cut, so its records and
    those of a period or pooled row that touches it may only grow; with no later month in
    the second release the records are unchanged. A period the first release had and the
    second has not (the open period after the last wave, split by the new wave) is covered
    by the periods only the second release has: together they hold at least its records;
    a new period that holds every month of a vanished one holds at least its records, row
    by row (community, category); a month's records over all its periods are the same in
    both releases (or more in the second, for the first release's last month).

A sensitive cell (a small cell or a complementary count; not a share, not a withheld
``n`` and not the ``n`` of a mean hidden as a complement: at least the threshold, these only
protect others, as in the audit's :func:`trustsurvey.publish.audit._required`) is
*recoverable* when its interval over all of this is narrower than
``min(protection_interval, threshold - 1)`` (the audit's criterion). Every cell is decided
exactly: proven safe by two feasible points of the programme at least that far apart
(every optimum found is such a point), otherwise by its own two programmes (HiGHS).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

from trustsurvey.publish.relations import build_cells
from trustsurvey.publish.schema import ALL, KINDS

BLOCK = ("community", "arm", "wave")
COLUMNS = ["release", "table", "row", "column", "reason", "lower", "upper", "required"]


@dataclass
class _Model:
    """Variables (the hidden cells of every release) and linear rows over them."""

    releases: list[Any]
    cells: list[pd.DataFrame] = field(default_factory=list)  # each release's cell index
    var: dict[tuple[int, int], int] = field(default_factory=dict)  # (release, cell) -> j
    info: list[tuple[int, int]] = field(default_factory=list)
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    required: list[float] = field(default_factory=list)  # 0: not sensitive
    rows: list[dict[int, float]] = field(default_factory=list)
    rhs: list[float] = field(default_factory=list)
    sense: list[str] = field(default_factory=list)  # eq, le, auto


def attack_releases(bundles: Sequence[Any]) -> pd.DataFrame:
    """Bounds on every sensitive hidden cell of ``bundles`` (oldest first, each the previous
    release of the next) from all of them jointly. One row per sensitive cell:
    ``release`` (position in ``bundles``), ``table, row, column, reason, lower, upper,
    required``, ``exposed`` (``upper - lower < required``) and ``solved`` (whether its own
    programmes were needed)."""
    model = _Model(list(bundles))
    indexes = [build_cells(b.tables) for b in bundles]
    model.cells = [index.cells for index in indexes]
    for r, (bundle, index) in enumerate(zip(bundles, indexes, strict=True)):
        _add_release(model, r, bundle, index)
    for r in range(1, len(bundles)):
        _link_releases(model, r - 1, r, indexes)
    return _solve(model)


def _add_release(model: _Model, r: int, bundle: Any, index: Any) -> None:
    policy = bundle.policy
    cells = index.cells
    hidden = cells["suppressed"].to_numpy(dtype=bool)
    value = cells["value"].to_numpy(dtype=float)
    for h in np.flatnonzero(hidden):
        kind, reason = cells.at[h, "kind"], cells.at[h, "reason"]
        share = bool(cells.at[h, "is_share"])
        floor = float(policy.threshold(kind))
        lo, hi, need = 0.0, np.inf, 0.0
        if share:
            hi = 1.0
        elif reason == "small_cell":
            hi, need = floor - 1.0, min(policy.protection_interval, floor - 1.0)
        elif reason == "complementary":
            lo = floor
            if kind != "estimates":  # the n of a mean hidden as a complement is not sensitive
                need = min(policy.protection_interval, floor - 1.0)
        elif reason == "n_withheld":
            lo = floor
        model.var[(r, int(h))] = len(model.info)
        model.info.append((r, int(h)))
        model.lower.append(lo)
        model.upper.append(hi)
        model.required.append(need)
    for rel in index.relations:
        members = [(c, 1.0) for c in rel.children]
        members += [(rel.parent, -1.0)] if rel.parent >= 0 else []
        coef: dict[int, float] = {}
        const = rel.const if rel.parent < 0 else 0.0
        for c, sign in members:
            if hidden[c]:
                j = model.var[(r, c)]
                coef[j] = coef.get(j, 0.0) + sign
            else:
                const -= sign * value[c]
        if coef:
            model.rows.append(coef)
            model.rhs.append(const)
            model.sense.append(rel.sense)


def _keyed(bundle: Any, index: Any) -> dict[tuple, int]:
    """(kind, column, key values) -> cell id, for the count cells of a bundle."""
    out: dict[tuple, int] = {}
    for kind, df in bundle.tables.items():
        spec = KINDS[kind]
        if not spec.count or (kind, spec.count) not in index.offsets:
            continue
        start = index.offsets[(kind, spec.count)]
        keys = df[list(spec.keys)].astype(str).itertuples(index=False, name=None)
        for row, key in enumerate(keys):
            out[(kind, spec.count, key)] = start + row
    return out


def _block_of(kind: str, key: tuple) -> tuple | None:
    """The community-arm-wave of a row of ``kind`` (None when the kind has no wave: its
    counts may pool waves, so no sample size bounds their change)."""
    keys = KINDS[kind].keys
    if "wave" not in keys:
        return None
    values = dict(zip(keys, key, strict=True))
    return tuple(values.get(k, ALL) for k in BLOCK)


def _waves(bundle: Any) -> list[Any]:
    return [w.get("code") for w in bundle.manifest.get("waves", [])]


def _within_block(kind: str) -> bool:
    """Whether every count of ``kind`` lies within one community-arm-wave's sample (the
    kind declares a link to ``sample_sizes`` over the community-arm-wave, or is it)."""
    links = KINDS[kind].links or ()
    block = any(link.parent == "sample_sizes" and set(link.on) == set(BLOCK) for link in links)
    return kind == "sample_sizes" or block


def _link_releases(model: _Model, a: int, b: int, indexes: list[Any]) -> None:
    old, new = model.releases[a], model.releases[b]
    ka, kb = _keyed(old, indexes[a]), _keyed(new, indexes[b])
    growth: dict[tuple, tuple[dict[int, float], float]] = {}  # block -> n_new - n_old
    for key, cb in kb.items():
        if key[0] == "sample_sizes" and key in ka:
            block = _block_of("sample_sizes", key[2])
            if block is not None:
                growth[block] = _difference(model, (a, ka[key]), (b, cb))
    # every respondent of a wave both releases hold: what the whole wave grew
    total = [g for block, g in growth.items() if block[:2] == (ALL, ALL)]
    same_waves = _waves(old) == _waves(new)
    for key, cb in kb.items():
        kind, ca = key[0], ka.get(key)
        if ca is None or KINDS[kind].unit == "records":
            continue
        diff = _difference(model, (a, ca), (b, cb))
        if not diff[0]:
            continue  # published in both: nothing to link
        if _within_block(kind):
            bound = growth.get(_block_of(kind, key[2]) or ())
        elif same_waves:  # pooled over the same waves: within what all of them grew
            bound = _add(*total) if total else None
        else:  # pooled over waves the releases do not share (a DiD of other waves)
            continue
        _relate(model, diff, "ge")  # x_new - x_old >= 0
        if bound is not None:  # x_new - x_old <= n_new - n_old
            _relate(model, _add(diff, _scaled(bound, -1.0)), "le")
    _link_records(model, a, b, indexes, ka, kb)


def _link_records(
    model: _Model, a: int, b: int, indexes: list[Any], ka: dict[tuple, int], kb: dict[tuple, int]
) -> None:
    """Relations between two releases' tables of records (appeals): records of a month the
    first release held whole (any month before its last) are the same in both; records of
    its last month, and so of any period or pooled row it touches, may only grow; a period
    of the first release that the second no longer has (the open period after its last
    wave, split by the new wave) is covered by the periods only the second release has."""
    time = _Timeline(model.releases[a], model.releases[b])
    for key, cb in kb.items():
        kind, ca = key[0], ka.get(key)
        if ca is None or KINDS[kind].unit != "records":
            continue
        diff = _difference(model, (a, ca), (b, cb))
        if diff[0]:
            row = dict(zip(KINDS[kind].keys, key[2], strict=True))
            _relate(model, diff, "eq" if time.unchanged(row) else "ge")
    for kind in KINDS:
        spec = KINDS[kind]
        if spec.unit != "records" or not spec.count or kind not in model.releases[b].tables:
            continue
        if "month" in spec.keys:  # a month's records over all its periods
            _link_sums(model, a, b, ka, kb, kind, "period", time.months_of_first, time)
        elif "period" in spec.keys:
            _link_split_periods(model, a, b, ka, kb, kind, time)


class _Timeline:
    """What the monthly series of two releases say about their records: the months each
    (period, detail) covers in either release, the first release's last month (perhaps
    partial) and whether the second release holds records of later months."""

    def __init__(self, old: Any, new: Any) -> None:
        self.rows = [_monthly(old), _monthly(new)]
        first = self.rows[0]
        self.months_of_first = sorted(set(first["month"])) if first is not None else []
        self.last = self.months_of_first[-1] if self.months_of_first else None
        self.periods = [_periods(old), _periods(new)]
        if self.rows[1] is not None and self.last is not None:
            self.extended = bool((self.rows[1]["month"] > self.last).any())
        else:  # no monthly series: records may have been added unless the waves are the same
            self.extended = _waves(old) != _waves(new)

    def months(self, release: int, period: str, row: dict[str, str]) -> set[str]:
        """Months with records of ``period`` (``ALL``: any) matching ``row``'s detail keys."""
        frame = self.rows[release]
        if frame is None:
            return set()
        hit = np.ones(len(frame), dtype=bool)
        if period != ALL:
            hit &= (frame["period"] == period).to_numpy()
        for k in frame.columns:
            if k not in ("month", "period") and row.get(k, ALL) != ALL:
                hit &= (frame[k] == row[k]).to_numpy()
        return set(frame.loc[hit, "month"])

    def unchanged(self, row: dict[str, str]) -> bool:
        """Whether the records of ``row`` (same keys in both releases) are the same in both."""
        if not self.extended:
            return True
        if self.last is None:
            return False
        if "month" in row:
            return row["month"] < self.last
        if "period" not in row:
            return False
        return all(m < self.last for m in self.months(1, row["period"], row)) and (
            row["period"] != ALL
        )


def _monthly(bundle: Any) -> pd.DataFrame | None:
    """The keys of the rows of the bundle's monthly series of records (a records table with
    ``month`` and ``period`` keys), as text."""
    for kind, df in bundle.tables.items():
        keys = KINDS[kind].keys
        if KINDS[kind].unit == "records" and {"month", "period"} <= set(keys):
            return df[list(keys)].astype(str)
    return None


def _periods(bundle: Any) -> set[str]:
    """The periods the bundle's tables of records name (``ALL`` not one)."""
    out: set[str] = set()
    for kind, df in bundle.tables.items():
        if KINDS[kind].unit == "records" and "period" in df:
            out |= set(df["period"].astype(str))
    return out - {ALL}


def _grouped(keyed: dict[tuple, int], kind: str, free: str) -> dict[tuple, dict[str, int]]:
    """The count cells of ``kind`` grouped by every key but ``free``: other keys -> {value
    of ``free``: cell}."""
    keys = KINDS[kind].keys
    at = keys.index(free)
    out: dict[tuple, dict[str, int]] = {}
    for (k, _, key), cell in keyed.items():
        if k == kind:
            out.setdefault(key[:at] + key[at + 1 :], {})[key[at]] = cell
    return out


def _link_sums(
    model: _Model,
    a: int,
    b: int,
    ka: dict[tuple, int],
    kb: dict[tuple, int],
    kind: str,
    free: str,
    months: list[str],
    time: _Timeline,
) -> None:
    """The records of a month over all its periods: the same in both releases (a month the
    first release held whole), or more in the second (its last month)."""
    old, new = _grouped(ka, kind, free), _grouped(kb, kind, free)
    at = [k for k in KINDS[kind].keys if k != free].index("month")
    for other, cells in old.items():
        if other[at] not in months:
            continue
        diff = _add(
            _sum(model, b, new.get(other, {}).values()),
            _scaled(_sum(model, a, cells.values()), -1.0),
        )
        if diff[0]:
            _relate(model, diff, "ge" if time.extended and other[at] >= time.last else "eq")


def _link_split_periods(
    model: _Model,
    a: int,
    b: int,
    ka: dict[tuple, int],
    kb: dict[tuple, int],
    kind: str,
    time: _Timeline,
) -> None:
    """Periods the first release has and the second not (split by a new wave) against the
    periods only the second has: together they cover the same dates, so the second holds
    at least the first's records (the same when no records were added); and a new period
    that holds every month of a vanished one holds at least its records."""
    gone = sorted(time.periods[0] - time.periods[1])
    came = sorted(time.periods[1] - time.periods[0])
    if not gone:
        return
    old, new = _grouped(ka, kind, "period"), _grouped(kb, kind, "period")
    names = [k for k in KINDS[kind].keys if k != "period"]
    for other, cells in old.items():
        mine = new.get(other, {})
        was = [cells[p] for p in gone if p in cells]
        diff = _add(
            _sum(model, b, [mine[q] for q in came if q in mine]), _scaled(_sum(model, a, was), -1.0)
        )
        if was and diff[0]:
            _relate(model, diff, "ge" if time.extended else "eq")
        row = dict(zip(names, other, strict=True))
        for p in gone:
            if p not in cells:
                continue
            into = {q for m in time.months(0, p, row) for q in came if m in time.months(1, q, row)}
            if len(into) == 1 and (q := into.pop()) in mine:
                diff = _difference(model, (a, cells[p]), (b, mine[q]))
                if diff[0]:
                    _relate(model, diff, "ge")


def _sum(model: _Model, r: int, cells: Any) -> tuple[dict[int, float], float]:
    """``sum(x)`` of cells of release ``r`` as (coefficients on hidden variables, constant)."""
    coef: dict[int, float] = {}
    const = 0.0
    for c in cells:
        j = model.var.get((r, int(c)))
        if j is None:
            const += float(model.cells[r].at[int(c), "value"])
        else:
            coef[j] = coef.get(j, 0.0) + 1.0
    return coef, const


def _difference(
    model: _Model, old: tuple[int, int], new: tuple[int, int]
) -> tuple[dict[int, float], float]:
    """``x_new - x_old`` as (coefficients on hidden variables, constant)."""
    return _add(_sum(model, new[0], [new[1]]), _scaled(_sum(model, old[0], [old[1]]), -1.0))


def _add(*terms: tuple[dict[int, float], float]) -> tuple[dict[int, float], float]:
    coef: dict[int, float] = {}
    for c, _ in terms:
        for j, v in c.items():
            coef[j] = coef.get(j, 0.0) + v
    return {j: v for j, v in coef.items() if v != 0.0}, sum(k for _, k in terms)


def _scaled(term: tuple[dict[int, float], float], by: float) -> tuple[dict[int, float], float]:
    return {j: by * v for j, v in term[0].items()}, by * term[1]


def _relate(model: _Model, term: tuple[dict[int, float], float], sense: str) -> None:
    """Add ``term (sense) 0``: ``eq``, ``ge`` or ``le``."""
    coef, const = term
    if not coef:  # between published numbers only: nothing to learn
        return
    if sense == "ge":
        coef, const = _scaled(term, -1.0)
    model.rows.append(coef)
    model.rhs.append(-const)
    model.sense.append("eq" if sense == "eq" else "le")


def _components(n: int, rows: list[dict[int, float]]) -> list[tuple[list[int], list[int]]]:
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for row in rows:
        js = list(row)
        for j in js[1:]:
            parent[find(j)] = find(js[0])
    groups: dict[int, list[int]] = {}
    for j in range(n):
        groups.setdefault(find(j), []).append(j)
    rows_of: dict[int, list[int]] = {}
    for i, row in enumerate(rows):
        rows_of.setdefault(find(next(iter(row))), []).append(i)
    return [(js, rows_of.get(root, [])) for root, js in groups.items()]


def _solve(model: _Model) -> pd.DataFrame:
    out = []
    required = np.array(model.required)
    for js, ris in _components(len(model.info), model.rows):
        if not (required[js] > 0).any():
            continue
        out += _solve_component(model, js, ris)
    frame = pd.DataFrame(out, columns=[*COLUMNS, "solved"])
    frame["exposed"] = frame["upper"] - frame["lower"] < frame["required"] - 1e-9
    return frame


def _solve_component(model: _Model, js: list[int], ris: list[int]) -> list[dict[str, Any]]:
    pos = {j: i for i, j in enumerate(js)}
    data, ri, ci = [], [], []
    for k, i in enumerate(ris):
        for j, v in model.rows[i].items():
            ri.append(k)
            ci.append(pos[j])
            data.append(v)
    mat = csr_matrix((data, (ri, ci)), shape=(len(ris), len(js)))
    rhs = np.array([model.rhs[i] for i in ris])
    sense = np.array([model.sense[i] for i in ris])
    bounds = [(model.lower[j], None if np.isinf(model.upper[j]) else model.upper[j]) for j in js]
    reading = None
    for eq in (sense != "le", sense == "eq", np.zeros(len(ris), dtype=bool)):
        res = _lp(np.zeros(len(js)), mat, rhs, eq, bounds)
        if res.status == 0:
            reading = eq
            break
    if reading is None:
        raise AssertionError("the releases contradict each other: the intruder's model is wrong")
    points = [res.x]
    rng = np.random.default_rng(len(js))
    for _ in range(2):  # a few witnesses for many cells at once
        res = _lp(rng.normal(size=len(js)), mat, rhs, reading, bounds)
        if res.status == 0:
            points.append(res.x)
    out = []
    for j in js:
        need = model.required[j]
        if need <= 0:
            continue
        i = pos[j]
        seen = np.array([p[i] for p in points])
        solved = bool(seen.max() - seen.min() < need - 1e-9)
        if solved:
            ends = []
            for sign in (1.0, -1.0):
                c = np.zeros(len(js))
                c[i] = sign
                res = _lp(c, mat, rhs, reading, bounds)
                if res.status == 3:
                    ends.append(sign * -np.inf)
                    continue
                assert res.status == 0, res.message
                points.append(res.x)
                ends.append(sign * float(res.fun))
            lo, hi = ends[0], ends[1]
        else:
            lo, hi = float(seen.min()), float(seen.max())
        r, cell = model.info[j]
        row = model.cells[r].loc[cell]
        out.append(
            {
                "release": r,
                "table": row["kind"],
                "row": int(row["row"]),
                "column": row["column"],
                "reason": row["reason"],
                "lower": lo,
                "upper": hi,
                "required": need,
                "solved": solved,
            }
        )
    return out


def _lp(c: np.ndarray, mat: csr_matrix, rhs: np.ndarray, eq: np.ndarray, bounds: list) -> Any:
    kw: dict[str, Any] = {}
    if eq.any():
        kw.update(A_eq=mat[eq], b_eq=rhs[eq])
    if (~eq).any():
        kw.update(A_ub=mat[~eq], b_ub=rhs[~eq])
    return linprog(c, bounds=bounds, method="highs", **kw)
