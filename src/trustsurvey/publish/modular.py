"""Disclosure control by blocks: the neighbourhoods that make protection and audit scale.

A bundle's cells fall into *blocks*, one per community, arm and wave (every row about that
community-arm-wave, in every table), and *top* cells (margins over communities, tables
without a community). Relations within a block are small; the margins over communities link
the blocks of one arm and wave. Within an arm and wave, blocks are grouped by
:data:`GROUP_BLOCKS` in order of size (the last group takes the rest): a group's
*neighbourhood* is its blocks' cells and the top cells sharing a relation with them.

A feasible point of the whole system (the true values, or any point the intruder's system
admits) moved only inside one neighbourhood, every other cell held, is again feasible when
the move satisfies every relation touching the neighbourhood: a *witness*. Two witnesses
that differ in a cell by its protection interval prove the cell protected, without solving
over the whole system (the hypercube and modular methods of τ-Argus, de Wolf 2002; Hundepool
et al. 2012, sec. 4.4). Two communities suffice for a cell in a margin over communities:
what one gains, the other loses; a group of several offers the cheapest partner. What a
group cannot prove is tried with 2, 4, ... groups together, and the audit solves what is
left over the whole system, so its verdict is exact. Each neighbourhood's programmes are
solved with one HiGHS model whose objective or bounds alone change between cells (warm
starts). The neighbourhoods of one level are independent of each other, so they run on
worker processes (:mod:`trustsurvey.publish.parallel`), with the same result in any order.

>>> import numpy as np
>>> from trustsurvey.publish.fixture import synthetic_tables
>>> from trustsurvey.publish.relations import build_cells
>>> t = synthetic_tables(seed=1)
>>> g = block_groups(t, build_cells(t))
>>> bool((g.group >= -1).all()), g.groups >= 1
(True, True)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from trustsurvey.publish.parallel import ordered_map
from trustsurvey.publish.relations import N_WITHHELD, CellIndex
from trustsurvey.publish.schema import ALL

#: the key columns that make a block (a missing column reads as one value)
BLOCK_KEYS = ("community", "arm", "wave")
#: blocks per group (the last group of an arm and wave takes the rest)
GROUP_BLOCKS = 8
#: neighbourhoods tried before the whole system: groups, then 2, 4, ... groups together
LEVELS = 3
#: groups that join the top cells' neighbourhood
TOP_PARTNERS = 8


@dataclass
class Groups:
    """Group of every cell (``-1``: a top cell), and the cells of each group."""

    group: np.ndarray
    cells: list[np.ndarray]
    blocks: int = 0
    #: group of each block (community, arm, wave)
    of_block: dict[tuple, int] = field(default_factory=dict)

    @property
    def groups(self) -> int:
        return len(self.cells)


def block_groups(tables: Mapping[str, pd.DataFrame], index: CellIndex) -> Groups:
    """Group the community-arm-wave blocks of ``tables`` (see the module doc): within an arm
    and wave, in order of the block's largest published count (its sample size, as a rule),
    so that partners are alike in size and in which of their cells are small.

    An auditor of the published tables finds the same groups as the writer, unless a
    complement hid a block's largest count.
    """
    key = block_keys(tables, index)
    cells = index.cells
    shown = ~cells["suppressed"].to_numpy(dtype=bool) & ~cells["is_share"].to_numpy(dtype=bool)
    value = np.where(shown, np.nan_to_num(cells["value"].to_numpy(dtype=float)), 0.0)
    size: dict[tuple, float] = {}
    for k, v in zip(key, value, strict=True):
        if k is not None and v > size.get(k, -1.0):
            size[k] = v
    blocks = sorted(size, key=lambda b: (b[1:], -size[b], b))
    by_stratum: dict[tuple, list[tuple]] = {}
    for b in blocks:
        by_stratum.setdefault(b[1:], []).append(b)
    block_group: dict[tuple, int] = {}
    g = 0
    for stratum in sorted(by_stratum):
        members = by_stratum[stratum]
        chunks = [members[i : i + GROUP_BLOCKS] for i in range(0, len(members), GROUP_BLOCKS)]
        if len(chunks) > 1 and len(chunks[-1]) < GROUP_BLOCKS:
            last = chunks.pop()
            chunks[-1] = chunks[-1] + last
        for chunk in chunks:
            for b in chunk:
                block_group[b] = g
            g += 1
    group = np.array([-1 if k is None else block_group[k] for k in key], dtype=int)
    order = np.argsort(group, kind="stable")
    cut = np.searchsorted(group[order], np.arange(g + 1))
    cells_of = [order[cut[i] : cut[i + 1]] for i in range(g)]
    return Groups(group, cells_of, len(size), block_group)


def block_keys(tables: Mapping[str, pd.DataFrame], index: CellIndex) -> np.ndarray:
    """The block (community, arm, wave; as text) of every cell of ``index``, None for a cell
    of a margin over communities or of a table without communities."""
    n = len(index.cells)
    key = np.empty(n, dtype=object)
    key[:] = None
    for (kind, _col), start in index.offsets.items():
        df = tables[kind]
        if "community" not in df.columns or df.empty:
            continue
        cols = [df[c].astype(str) if c in df.columns else pd.Series("", index=df.index)
                for c in BLOCK_KEYS]  # fmt: skip
        community = cols[0].to_numpy(dtype=object)
        block = list(zip(*(c.to_numpy(dtype=object) for c in cols), strict=True))
        own = community != ALL
        vals = np.empty(len(df), dtype=object)
        vals[:] = None
        for r in np.flatnonzero(own):
            vals[r] = block[r]
        key[start : start + len(df)] = vals
    return key


_bannered = False


def _highs():  # type: ignore[no-untyped-def]
    """A silent HiGHS instance (its banner goes to standard output at the first construction
    in a process: that one alone is silenced, which costs more than the construction)."""
    global _bannered
    import highspy

    if _bannered:
        h = highspy.Highs()
    else:
        from trustsurvey.publish.optimal import _quiet

        with _quiet():
            h = highspy.Highs()
        _bannered = True
    h.setOptionValue("output_flag", False)
    return h


def highs_model(
    a: sparse.spmatrix,
    cost: np.ndarray,
    col_lo: np.ndarray,
    col_hi: np.ndarray,
    row_lo: np.ndarray,
    row_hi: np.ndarray,
    *,
    integer: np.ndarray | None = None,
    **options: float | int | str,
) -> Any:
    """A silent single-threaded HiGHS instance holding ``min cost @ y`` subject to
    ``row_lo <= A y <= row_hi`` and ``col_lo <= y <= col_hi`` (infinite bounds allowed;
    ``integer``: which columns are integer), with HiGHS ``options``."""
    import highspy

    a = sparse.csc_matrix(a)
    inf = highspy.kHighsInf
    h = _highs()
    h.setOptionValue("threads", 1)
    for name, value in options.items():
        h.setOptionValue(name, value)
    lp: Any = highspy.HighsLp()  # its stubs say lists; it takes arrays
    lp.num_col_, lp.num_row_ = a.shape[1], a.shape[0]
    lp.col_cost_ = np.asarray(cost, dtype=float)
    lp.col_lower_ = np.where(np.isfinite(col_lo), col_lo, -inf)
    lp.col_upper_ = np.where(np.isfinite(col_hi), col_hi, inf)
    lp.row_lower_ = np.where(np.isfinite(row_lo), row_lo, -inf)
    lp.row_upper_ = np.where(np.isfinite(row_hi), row_hi, inf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(float)
    if integer is not None:
        kind = highspy.HighsVarType
        lp.integrality_ = [kind.kInteger if i else kind.kContinuous for i in integer]
    h.passModel(lp)
    return h


class Model:
    """One HiGHS linear programme ``row_lo <= A y <= row_hi``, ``col_lo <= y <= col_hi``
    whose objective is one variable at a time (warm-started between solves)."""

    def __init__(
        self,
        a: sparse.spmatrix,
        row_lo: np.ndarray,
        row_hi: np.ndarray,
        col_lo: np.ndarray,
        col_hi: np.ndarray,
        *,
        time_limit: float | None = None,
    ) -> None:
        import highspy

        self.k = a.shape[1]
        # small programmes solved many times from a warm basis: presolve costs more than
        # it saves (a quarter of the time of each)
        h = highs_model(a, np.zeros(self.k), col_lo, col_hi, row_lo, row_hi, presolve="off")
        self._limit = time_limit
        self.h, self._status = h, highspy.HighsModelStatus
        self._cost = np.zeros(self.k)

    def feasible(self) -> np.ndarray | None:
        """A point of the programme (``None``: infeasible)."""
        return self._run()

    def optimum(self, j: int, sign: float) -> tuple[float, np.ndarray | None] | None:
        """Minimum of ``sign * y_j`` and the optimal point (``-inf, None``: unbounded;
        ``None``: infeasible)."""
        self.h.changeColCost(int(j), float(sign))
        try:
            status = self.run()
            if status == self._status.kUnbounded:
                return -np.inf, None
            if status != self._status.kOptimal:
                return None
            y = np.asarray(self.h.getSolution().col_value, dtype=float)
            return float(sign * y[j]), y
        finally:
            self.h.changeColCost(int(j), 0.0)

    def value(self, j: int, sign: float) -> float | None:
        """Minimum of ``sign * y_j`` alone (``-inf``: unbounded; ``None``: infeasible)."""
        self.h.changeColCost(int(j), float(sign))
        try:
            status = self.run()
            if status == self._status.kUnbounded:
                return -np.inf
            if status != self._status.kOptimal:
                return None
            return float(self.h.getInfo().objective_function_value)
        finally:
            self.h.changeColCost(int(j), 0.0)

    def point(self, cost: np.ndarray) -> np.ndarray | None:
        """The optimal point of ``min cost @ y`` (``None``: infeasible or unbounded)."""
        idx = np.arange(self.k, dtype=np.int32)
        self.h.changeColsCost(self.k, idx, np.asarray(cost, dtype=float))
        try:
            return self._run()
        finally:
            self.h.changeColsCost(self.k, idx, np.zeros(self.k))

    def run(self):  # type: ignore[no-untyped-def]
        """Solve from the current basis; the model's status. HiGHS counts its time limit
        from the model's first run, so each run gets the limit added to the time so far."""
        if self._limit is not None:
            self.h.setOptionValue("time_limit", self.h.getRunTime() + self._limit)
        self.h.run()
        return self.h.getModelStatus()

    def _run(self) -> np.ndarray | None:
        if self.run() != self._status.kOptimal:
            return None
        return np.asarray(self.h.getSolution().col_value, dtype=float)


def center(
    a: sparse.csr_matrix, eq: np.ndarray, b: np.ndarray, lb: np.ndarray, ub: np.ndarray
) -> np.ndarray | None:
    """A point well inside ``{A x (=|<=) b, lb <= x <= ub}`` (``None``: empty): the interior
    point method's answer to a zero objective, without crossover to a vertex, moved the rest
    of the way into the bounds (within the solver's tolerances)."""
    import highspy

    zero = np.zeros(a.shape[1])
    h = highs_model(a, zero, lb, ub, np.where(eq, b, -np.inf), b, solver="ipm", run_crossover="off")
    h.run()
    status = h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        return None
    return np.clip(np.asarray(h.getSolution().col_value, dtype=float), lb, ub)


def component_system(
    comp_vars: np.ndarray, comp_rels: list, value: np.ndarray, suppressed: np.ndarray
) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    """``A x (sense) b`` over the hidden cells ``comp_vars`` of a connected group: published
    members of each relation moved to the right-hand side. Returns ``A`` (sparse), ``b`` and
    the relations' senses."""
    pos = np.full(len(value), -1)
    pos[comp_vars] = np.arange(len(comp_vars))
    rows, cols, vals = [], [], []
    b = np.empty(len(comp_rels))
    sense = np.empty(len(comp_rels), dtype=object)
    for k, r in enumerate(comp_rels):
        rhs = r.const if r.parent < 0 else 0.0
        if r.parent >= 0:
            if suppressed[r.parent]:
                rows.append(k)
                cols.append(pos[r.parent])
                vals.append(-1.0)
            else:
                rhs = value[r.parent]
        for c in r.children:
            if suppressed[c]:
                rows.append(k)
                cols.append(pos[c])
                vals.append(1.0)
            else:
                rhs -= value[c]
        b[k] = rhs
        sense[k] = r.sense
    a = sparse.coo_matrix((vals, (rows, cols)), shape=(len(comp_rels), len(comp_vars))).tocsr()
    a.sum_duplicates()
    return a, b, sense


def witness_bounds(
    a: sparse.csr_matrix,
    b: np.ndarray,
    eq: np.ndarray,
    lb: np.ndarray,
    ub: np.ndarray,
    required: np.ndarray,
    group: np.ndarray,
    base: np.ndarray | None = None,
    *,
    exact: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bounds of each variable of ``A x (=|<=) b``, ``lb <= x <= ub``, exact where needed.

    Every variable ``j`` gets an interval ``[lo_j, hi_j]`` inside the true range of its
    values (witnessed values of feasible points), and ``solved[j]`` tells whether it is the
    true range. First, around a feasible point (``base`` if it is one, else an interior
    point), the programmes of each group's neighbourhood (``group``: the group of each
    variable, ``-1`` for top variables, which join the neighbourhoods they share a relation
    with) move one variable at a time, every other variable held: each optimum is a witness
    for the whole neighbourhood. A variable whose witnesses stay closer than ``required`` is
    then solved over the whole system (two programmes, warm-started). So ``hi - lo >=
    required`` exactly when the true range is that wide. With ``exact`` every variable's
    range is solved over the whole system (the bounds are then all exact)."""
    k = len(lb)
    tol = 1e-6
    if exact and base is None and not (group >= 0).any():
        ranges = _exact_bounds(a, b, eq, lb, ub)
        if ranges is not None:
            return ranges[0], ranges[1], np.ones(k, dtype=bool)
    x0 = None
    if base is not None:
        ax = a @ base
        ok = np.where(eq, np.abs(ax - b) <= tol * np.maximum(1, np.abs(b)), ax <= b + tol)
        if ok.all() and (base >= lb - tol).all() and (base <= ub + tol).all():
            x0 = np.clip(base, lb, ub)
    if x0 is None:
        x0 = center(a, eq, b, lb, ub)
    if x0 is None:
        return np.full(k, np.nan), np.full(k, np.nan), np.zeros(k, dtype=bool)
    lo, hi = x0.copy(), x0.copy()
    solved = np.zeros(k, dtype=bool)
    slack = np.where(eq, 0.0, np.maximum(b - a @ x0, 0.0))
    a_csc = a.tocsc()
    need = required > 0
    a_top, top = _near_top(a, group)
    for level in range(LEVELS):  # groups, then 2, 4 groups together
        wider = np.where(group >= 0, group >> level, -1)
        order = np.argsort(wider, kind="stable")
        cut = np.flatnonzero(np.diff(wider[order])) + 1
        units = []
        for members in np.split(order, cut):
            if len(members) == 0 or wider[members[0]] < 0:
                continue
            todo = members[need[members] & (hi[members] - lo[members] < required[members] - 1e-9)]
            if len(todo):
                units.append((members, todo))
        if not units:
            break

        def unit(i: int, units: list = units) -> tuple[np.ndarray, ...]:
            members, todo = units[i]
            return _unit_witnesses(
                members, todo, a_csc, a_top, top, eq, slack, lb, ub, x0, lo, hi, required
            )

        # a unit's witnesses move its own cells and top cells only, and its open cells are
        # its own: the units of a level are independent (any order, any worker)
        for cells, u_lo, u_hi in ordered_map(unit, len(units)):
            lo[cells] = np.minimum(lo[cells], u_lo)
            hi[cells] = np.maximum(hi[cells], u_hi)
        if not (need & (hi - lo < required - 1e-9)).any():
            break
    rest = np.arange(k) if exact else np.flatnonzero(need & (hi - lo < required - 1e-9))
    if len(rest):
        model = Model(a, np.where(eq, b, -np.inf), b, lb, ub)
        if not exact and len(rest) > 1:  # two witnesses moving every open cell at once
            weight = np.zeros(k)
            weight[rest] = 1.0 / np.maximum(required[rest], 1e-9)
            for sign in (1.0, -1.0):
                got_point = model.point(-sign * weight)
                if got_point is not None:
                    np.minimum(lo, got_point, out=lo)
                    np.maximum(hi, got_point, out=hi)
        for v in rest:
            if not exact and hi[v] - lo[v] >= required[v] - 1e-9:
                continue  # proven by a witness found for another cell
            for sign, store in ((1.0, lo), (-1.0, hi)):
                got = model.optimum(int(v), sign)
                if got is None:
                    continue
                store[v] = sign * got[0]
                if got[1] is not None:  # a witness for every other variable too
                    np.minimum(lo, got[1], out=lo)
                    np.maximum(hi, got[1], out=hi)
            solved[v] = True
    return lo, hi, solved


def _exact_bounds(
    a: sparse.csr_matrix, b: np.ndarray, eq: np.ndarray, lb: np.ndarray, ub: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """The exact range of every variable of ``A x (=|<=) b``, ``lb <= x <= ub``: two
    programmes each, on one warm-started model (``None``: a programme without optimum, e.g.
    an empty system; :func:`witness_bounds` then takes the general way)."""
    k = len(lb)
    lo, hi = np.empty(k), np.empty(k)
    model = Model(a, np.where(eq, b, -np.inf), b, lb, ub)
    for v in range(k):
        for sign, store in ((1.0, lo), (-1.0, hi)):
            got = model.value(v, sign)
            if got is None:
                return None
            store[v] = sign * got
    return lo, hi


def _unit_witnesses(
    members: np.ndarray,
    todo: np.ndarray,
    a_csc: sparse.csc_matrix,
    a_top: sparse.csr_matrix,
    top: np.ndarray,
    eq: np.ndarray,
    slack: np.ndarray,
    lb: np.ndarray,
    ub: np.ndarray,
    x0: np.ndarray,
    lo_all: np.ndarray,
    hi_all: np.ndarray,
    required: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Witnesses of the neighbourhood of ``members`` (:func:`witness_bounds`) for its open
    cells ``todo``: the neighbourhood's cells and their witnessed lowest and highest values."""
    cells = _cells_of_group(members, a_csc, a_top, top)
    lo, hi = lo_all[cells].copy(), hi_all[cells].copy()
    sub, rels = columns(a_csc, cells)
    model = Model(
        sub,
        np.where(eq[rels], 0.0, -np.inf),
        slack[rels],
        lb[cells] - x0[cells],
        ub[cells] - x0[cells],
    )
    local = np.searchsorted(cells, todo)
    if len(todo) > 1:  # two witnesses moving every open cell at once, each way
        weight = np.zeros(len(cells))
        weight[local] = 1.0 / required[todo]
        for sign in (1.0, -1.0):
            both = model.point(-sign * weight)
            if both is not None:
                np.minimum(lo, x0[cells] + both, out=lo)
                np.maximum(hi, x0[cells] + both, out=hi)
    for j, v in zip(local, todo, strict=True):
        for sign in (1.0, -1.0):
            if hi[j] - lo[j] >= required[v] - 1e-9:
                break
            got = model.optimum(j, sign)
            if got is None:
                continue
            if got[1] is None:  # unbounded: the range of the cell is infinite
                if sign > 0:
                    lo[j] = -np.inf
                else:
                    hi[j] = np.inf
                continue
            point = x0[cells] + got[1]
            np.minimum(lo, point, out=lo)
            np.maximum(hi, point, out=hi)
    return cells, lo, hi


def columns(
    a_csc: sparse.csc_matrix, cells: np.ndarray, keep: np.ndarray | None = None
) -> tuple[sparse.csc_matrix, np.ndarray]:
    """The rows of ``a`` touching columns ``cells`` (those with ``keep``), restricted to those
    columns, and the rows' numbers: in time of the columns' nonzeros, not of the rows'."""
    sub = a_csc[:, cells]
    rels = np.unique(sub.indices)
    if keep is not None:
        rels = rels[keep[rels]]
    inside = np.zeros(a_csc.shape[0], dtype=bool)
    inside[rels] = True
    mask = inside[sub.indices]
    indptr = np.concatenate([[0], np.cumsum(mask)])[sub.indptr].astype(np.int64)
    rows = np.searchsorted(rels, sub.indices[mask])
    out = sparse.csc_matrix((sub.data[mask], rows, indptr), shape=(len(rels), len(cells)))
    return out, rels


def _near_top(a: sparse.csr_matrix, group: np.ndarray) -> tuple[sparse.csr_matrix, np.ndarray]:
    """The columns of top variables of ``a`` (rows: relations), and their variable ids."""
    top = np.flatnonzero(group < 0)
    return a[:, top].tocsr(), top


def _cells_of_group(
    members: np.ndarray,
    a_csc: sparse.csc_matrix,
    a_top: sparse.csr_matrix,
    top: np.ndarray,
) -> np.ndarray:
    """A group's variables and the top variables sharing a relation with them."""
    rels = np.unique(a_csc[:, members].indices)
    return np.union1d(members, top[np.unique(a_top[rels].indices)])


class GroupLP:
    """One group's programme over deviations ``y = y_plus - y_minus`` from the true table:
    ``A y (=|<=) slack`` on every relation touching its cells, the others held."""

    def __init__(  # type: ignore[no-untyped-def]
        self, opt, cells: np.ndarray, *, time_limit: float | None = None
    ) -> None:
        self.opt, self.cells = opt, cells
        sub, rels = columns(opt.a_csc, cells, opt.active)
        self.sub, self.rels, self.k = sub, rels, len(cells)
        a2 = sparse.hstack([sub, -sub]).tocsc()
        zero = np.zeros(2 * self.k)
        self.model = Model(
            a2,
            np.where(opt.eq[rels], 0.0, -np.inf),
            opt.slack[rels],
            zero,
            zero.copy(),
            time_limit=time_limit,
        )
        self.h = self.model.h
        self.idx = np.arange(2 * self.k, dtype=np.int32)
        self.col_lo, self.col_hi = np.zeros(2 * self.k), np.zeros(2 * self.k)  # as passed

    def set_bounds(
        self, suppressed: np.ndarray, reason: np.ndarray, *, free: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """Column bounds from the cells' state (``free``: published cells held)."""
        cells = self.cells
        lb, ub = self.opt.bounds_of(cells, suppressed, reason)
        lo, hi = lb - self.opt.x[cells], ub - self.opt.x[cells]
        if free:
            pub = ~suppressed[cells]
            lo, hi = np.where(pub, 0.0, lo), np.where(pub, 0.0, hi)
        self.lo, self.hi = lo, hi
        self.apply(lo, hi)
        return lo, hi

    def apply(self, lo: np.ndarray, hi: np.ndarray) -> None:
        """Column bounds of the moves ``lo <= y <= hi`` (split into ``y_plus``, ``y_minus``)."""
        import highspy

        inf = highspy.kHighsInf
        up_lo, up_hi = np.maximum(lo, 0.0), np.maximum(hi, 0.0)
        dn_lo, dn_hi = np.maximum(-hi, 0.0), np.maximum(-lo, 0.0)
        col_lo = np.concatenate([up_lo, dn_lo])
        col_hi = np.concatenate([up_hi, dn_hi])
        col_hi = np.where(np.isfinite(col_hi), col_hi, inf)
        # only the columns whose bounds change (most stay between programmes)
        moved = np.flatnonzero((col_lo != self.col_lo) | (col_hi != self.col_hi))
        if len(moved):
            idx = moved.astype(np.int32)
            self.h.changeColsBounds(len(idx), idx, col_lo[moved], col_hi[moved])
            self.col_lo, self.col_hi = col_lo, col_hi

    def set_cost(self, cost: np.ndarray) -> None:
        self.h.changeColsCost(2 * self.k, self.idx, np.asarray(cost, dtype=float))

    def solve(self) -> np.ndarray | None:
        y = self.model._run()
        if y is None:
            return None
        out = y[: self.k] - y[self.k :]
        out[np.abs(out) <= 1e-7] = 0.0
        return out


def protect_by_groups(  # type: ignore[no-untyped-def]
    opt,
    groups: Groups,
    suppressed: np.ndarray,
    reason: np.ndarray,
    hide,
    mean_hidden,
    stats,
) -> list[tuple[int, str]]:
    """Complements chosen group by group (:func:`block_groups`): for each sensitive cell of
    a group, how far the hidden cells alone move it (witnesses around the true table, every
    cell outside the group's neighbourhood held), then the cheapest published cells of the
    neighbourhood that give the rest of its protection interval (the linear programme of
    :meth:`trustsurvey.publish.optimal.Optimiser.solve`: cost per unit of move is the cell's
    cost over the room it gives). ``hide(cell, protected_cell)`` tells which cells hiding a
    row hides, and why (``(cells, reason)``); they are hidden here (``suppressed`` and
    ``reason`` updated in place) and a hidden count that needs an interval itself joins the
    group's queue. Cells left unproven go to ``stats.failed`` (the writer's audit and greedy
    complements decide). Returns the complements, ``(cell, reason)`` in order.

    The groups are first protected each on its own, from the same state (the primary
    suppression), on :func:`~trustsurvey.publish.parallel.ordered_map`'s workers, and their
    complements are then joined in the groups' order: the result does not depend on the
    number of workers. Joining is sound: each group's witnesses hold every cell outside its
    neighbourhood at its true value, and a cell hidden by another group only widens the
    intruder's feasible set (its bounds contain its true value), so every witness stays
    feasible. What is left unproven is then tried with the top cells and with 2, 4 groups
    together, one neighbourhood after the other."""

    seen_lo, seen_hi = opt.x.copy(), opt.x.copy()  # the true table is a witness
    req = np.zeros(opt.n)
    a_top, top = _near_top(opt.a, groups.group)
    scale_of = np.where(opt.is_share, opt.policy.protection_share, opt.policy.protection_interval)
    log: list[tuple[int, str, np.ndarray, np.ndarray, np.ndarray]] = []

    def needs(v: int) -> bool:
        req[v] = opt.required(int(v), reason)
        return bool(req[v] > 0)

    def proven(v: int) -> bool:
        return bool(seen_hi[v] - seen_lo[v] >= req[v] - 1e-6)

    def do_hide(j: int, v: int) -> np.ndarray:
        cells, why = hide(j, v)
        cells = np.asarray(cells, dtype=int)
        log.append((j, why, cells, suppressed[cells].copy(), reason[cells].copy()))
        suppressed[cells] = True
        reason[cells] = why
        return cells

    def alone(i: int) -> tuple:  # type: ignore[type-arg]
        """Group ``i`` protected from the shared state, which is then restored."""
        members = groups.cells[i]
        own = type(stats)()
        mark = len(log)
        near = _cells_of_group(members, opt.a_csc, a_top, top)
        saved = seen_lo[near].copy(), seen_hi[near].copy()
        _protect_unit(
            opt, members, suppressed, reason, do_hide, mean_hidden, own, a_top, top,
            seen_lo, seen_hi, needs, proven, scale_of, req, first=True,
        )  # fmt: skip
        found = near, seen_lo[near].copy(), seen_hi[near].copy()
        hid = [(j, why, cells) for j, why, cells, _, _ in log[mark:]]
        for _, _, cells, was_sup, was_why in reversed(log[mark:]):
            suppressed[cells], reason[cells] = was_sup, was_why
        del log[mark:]
        seen_lo[near], seen_hi[near] = saved
        counts = (own.cells, own.proven, own.programmes, own.fallback)
        return hid, found, counts, own.failed

    for hid, (near, lo, hi), counts, failed in ordered_map(alone, groups.groups):
        for j, why, cells in hid:  # in the groups' order; a row stays as hidden as it is
            if suppressed[j] and not (reason[j] == N_WITHHELD and why != N_WITHHELD):
                continue
            log.append((j, why, cells, suppressed[cells].copy(), reason[cells].copy()))
            suppressed[cells] = True
            reason[cells] = why
        seen_lo[near] = np.minimum(seen_lo[near], lo)
        seen_hi[near] = np.maximum(seen_hi[near], hi)
        stats.cells += counts[0]
        stats.proven += counts[1]
        stats.programmes += counts[2]
        stats.fallback += counts[3]
        stats.failed.extend(failed)
    for v in np.flatnonzero(suppressed):  # what each cell needs in the joined state
        needs(int(v))
    for level in range(1, LEVELS):  # the top cells, then 2, 4 groups together
        if level == 1:  # the top cells, with the groups most tied to them
            unit = _top_unit(opt, groups, suppressed, needs)
            if len(unit):
                _protect_unit(
                    opt, unit, suppressed, reason, do_hide, mean_hidden, stats, a_top, top,
                    seen_lo, seen_hi, needs, proven, scale_of, req, first=True,
                )  # fmt: skip
        left = np.asarray([v for v in sorted(set(stats.failed)) if not proven(v)], dtype=int)
        left = left[groups.group[left] >= 0] if len(left) else left
        if len(left) == 0:
            break
        stats.failed.clear()
        wide = groups.group >> level
        for w in np.unique(wide[left]):
            _protect_unit(
                opt, np.flatnonzero(wide == w), suppressed, reason, do_hide, mean_hidden, stats,
                a_top, top, seen_lo, seen_hi, needs, proven, scale_of, req, first=False,
            )  # fmt: skip
    stats.failed = sorted({v for v in stats.failed if not proven(v)})
    stats.fallback = len(stats.failed)
    return [(j, why) for j, why, _, _, _ in log]


def _top_unit(opt, groups: Groups, suppressed: np.ndarray, needs) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The top cells and the :data:`TOP_PARTNERS` groups with the most hidden cells in the
    relations of the sensitive top cells (empty: no sensitive top cell)."""
    top = np.flatnonzero(groups.group < 0)
    sens = np.array([v for v in top[suppressed[top]] if needs(int(v))], dtype=int)
    if len(sens) == 0:
        return sens
    rels = np.unique(opt.a_csc[:, sens].indices)
    near = opt.a[rels].indices
    near = near[suppressed[near] & (groups.group[near] >= 0)]
    ids, counts = np.unique(groups.group[near], return_counts=True)
    best = ids[np.argsort(-counts, kind="stable")[:TOP_PARTNERS]]
    return np.union1d(top, np.concatenate([groups.cells[g] for g in best] + [top[:0]]))


def _protect_unit(  # type: ignore[no-untyped-def]
    opt, members, suppressed, reason, hide, mean_hidden, stats, a_top, top,
    seen_lo, seen_hi, needs, proven, scale_of, req, *, first,
) -> None:  # fmt: skip
    """:func:`protect_by_groups` for the blocks ``members`` (cells) of one neighbourhood."""
    from trustsurvey.publish.optimal import N_WITHHELD_KIND, WITHHELD_COST

    queue = [int(v) for v in members[suppressed[members]] if needs(int(v))]
    queue = [v for v in queue if not proven(v)] if not first else queue
    if not queue:
        return
    if first:
        stats.cells += len(queue)
    cells = _cells_of_group(members, opt.a_csc, a_top, top)
    lp = GroupLP(opt, cells)
    where = {int(c): j for j, c in enumerate(cells)}
    queue.sort(key=lambda v: (opt.x[v], v), reverse=True)
    if len(queue) > 1:  # two witnesses moving every open cell at once, each way (free)
        lp.set_bounds(suppressed, reason, free=True)
        weight = np.zeros(lp.k)
        local = np.array([where[v] for v in queue])
        weight[local] = 1.0 / req[np.asarray(queue)]
        for sign in (1.0, -1.0):
            lp.set_cost(np.concatenate([-sign * weight, sign * weight]))
            stats.programmes += 1
            y = lp.solve()
            if y is not None:
                point = opt.x[cells] + y
                seen_lo[cells] = np.minimum(seen_lo[cells], point)
                seen_hi[cells] = np.maximum(seen_hi[cells], point)
    while queue:
        v = queue.pop()
        if proven(v):
            stats.proven += 1
            continue
        j = where[v]
        lo, hi = lp.set_bounds(suppressed, reason, free=True)
        cap_lo, cap_hi = lo.copy(), hi.copy()
        cap_hi[j], cap_lo[j] = min(hi[j], req[v]), max(lo[j], -req[v])
        lp.apply(cap_lo, cap_hi)
        for sign in (1.0, -1.0):
            c = np.zeros(2 * lp.k)
            c[j], c[lp.k + j] = -sign, sign
            lp.set_cost(c)
            stats.programmes += 1
            y = lp.solve()
            if y is not None:
                point = opt.x[cells] + y
                seen_lo[cells] = np.minimum(seen_lo[cells], point)
                seen_hi[cells] = np.maximum(seen_hi[cells], point)
        if proven(v):
            continue
        lb, ub = opt.bounds(v, suppressed, reason)
        rooms = {1.0: ub - opt.x[v], -1.0: opt.x[v] - lb}
        withhold = not mean_hidden(v)
        for sign in sorted(rooms, key=lambda d: -rooms[d]):
            other = (opt.x[v] - seen_lo[v]) if sign > 0 else (seen_hi[v] - opt.x[v])
            target = min(req[v] - other, rooms[sign])
            if target <= 1e-9 or proven(v):
                continue
            lo, hi = lp.set_bounds(suppressed, reason, free=False)
            if sign > 0:
                lo[j] = max(lo[j], target)
            else:
                hi[j] = min(hi[j], -target)
            if lo[j] > hi[j] + 1e-9:
                continue
            lp.apply(lo, hi)
            pub = ~suppressed[cells]
            cost = opt.cost[cells]
            if withhold:
                cost = np.where(opt.kind[cells] == N_WITHHELD_KIND, cost * WITHHELD_COST, cost)
            scale = np.maximum(scale_of[cells], 1e-9)
            up = cost / np.minimum(np.clip(hi, 1e-9, None), scale)
            down = cost / np.minimum(np.clip(-lo, 1e-9, None), scale)
            lp.set_cost(np.concatenate([np.where(pub, up, 1e-6), np.where(pub, down, 1e-6)]))
            stats.programmes += 1
            y = lp.solve()
            if y is None:
                continue
            for jj in np.flatnonzero((y != 0) & pub):
                c_id = int(cells[jj])
                if suppressed[c_id]:
                    continue
                for h in hide(c_id, v).tolist():
                    if h in where and needs(h):
                        stats.cells += 1
                        queue.append(int(h))
            point = opt.x[cells] + y
            seen_lo[cells] = np.minimum(seen_lo[cells], point)
            seen_hi[cells] = np.maximum(seen_hi[cells], point)
        if not proven(v):
            stats.fallback += 1
            stats.failed.append(v)
