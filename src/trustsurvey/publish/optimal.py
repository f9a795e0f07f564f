"""Complementary suppression by linear programming: the cheapest complements that give every
sensitive cell its protection interval.

For a sensitive (suppressed) cell ``i`` with true value ``x_i`` and protection interval
``req``, the intruder's interval is at least ``req`` wide when two tables consistent with
everything published exist, one with cell ``i`` raised by ``u`` and one with it lowered by
``d`` (``u + d = req``, within the cell's known bounds). Each such table is ``x + y`` with
``A y = 0`` on every relation that adds up (``A y <= slack`` on those that only bound), ``y``
within every cell's bounds, and ``y_j = 0`` on every published cell. Publishing a cell with
``y_j != 0`` is what must be given up, so each direction is the linear programme

    minimise  sum_j c_j |y_j|   (published cells j; suppressed cells cost nothing)
    s.t.      A y (=, <=) slack,  lb_j - x_j <= y_j <= ub_j - x_j,  y_i >= u  (or <= -d)

and the cells with ``y_j != 0`` become complements (Fischetti & Salazar-González 1999,
*Math. Programming* 84; 2000, *Management Science* 46(7): the attacker subproblem of their
model; its LP solution heuristic). ``c_j`` is the information lost by hiding ``j``
(:func:`row_costs`: its weighted count by default) per unit of deviation. A table ``x + y``
found for one cell is a witness for every cell it moves far enough, so cells already proven
in both directions need no programme of their own, and the witnesses stay valid as more cells
are hidden (hiding only widens the intruder's feasible set).

The programmes are local: the variables are the cells of the cell's *block* (cells tied by
small relations, e.g. one community-wave: its sample size, answer counts, estimates and
problems) and of a few partner blocks sharing its large relations (margins over communities),
the others held at their true values. A witness of the local programme is a witness of the
whole system (every relation touching a variable is in it), so this is exact for proving
protection and only costs optimality; a cell whose local programme fails gets more partners,
then is left to the greedy complement of :mod:`trustsurvey.publish.suppression` (and the exact
audit decides in every case). Solved with HiGHS: one model per neighbourhood, kept between
the programmes of its cells, whose bounds and objective alone change (warm starts), as the
groups of :mod:`trustsurvey.publish.modular` are.

>>> from trustsurvey.publish.fixture import synthetic_tables
>>> from trustsurvey.publish.suppression import protect_tables
>>> policy = DisclosurePolicy(suppression_method="optimal")
>>> out, audit = protect_tables(synthetic_tables(seed=1), policy)
>>> bool(audit["exposed"].any())
False
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from trustsurvey.publish.modular import GroupLP, highs_model
from trustsurvey.publish.policy import DisclosurePolicy
from trustsurvey.publish.relations import N_WITHHELD, CellIndex
from trustsurvey.publish.schema import KINDS

SMALL_CELL = "small_cell"
COMPLEMENTARY = "complementary"

#: largest block (cells) built from small relations; larger relations link blocks
BLOCK_CELLS = 120
#: partner blocks of a cell's local programme, then wider attempts (``None``: every cell)
PARTNERS: tuple[int | None, ...] = (3, 12, None)
TOL = 1e-7
#: the kind whose complements withhold only the n beside a published mean, and the share of
#: the row's cost that costs (the estimate stays)
N_WITHHELD_KIND = "estimates"
WITHHELD_COST = 0.1
#: local programmes with at most this many published cells are solved with their fixed
#: charge (mixed-integer); larger ones as linear programmes
MILP_CELLS = 200
#: branch and bound stops within this relative gap of the optimum, or after this many nodes
MIP_GAP = 0.05
MIP_NODES = 100
#: a wider local programme is tried after a feasible one only up to this many cells
WIDE_CELLS = 4000
#: redundant complements are looked for when there are at most this many
ELIMINATE = 400
#: HiGHS models of neighbourhoods kept for their next solve (the least recently used go)
MODELS = 512


@dataclass
class Stats:
    """What the optimiser did (for the benchmark and the manifest)."""

    cells: int = 0  # sensitive cells considered
    proven: int = 0  # already protected by an earlier witness
    programmes: int = 0  # linear programmes solved
    fallback: int = 0  # cells left to the greedy complement
    removed: int = 0  # redundant complements published again
    seconds: float = 0.0
    failed: list[int] = field(default_factory=list)


def row_costs(
    true: Mapping[str, pd.DataFrame], index: CellIndex, policy: DisclosurePolicy
) -> np.ndarray:
    """Information lost by hiding each cell's row: ``policy.suppression_cost`` is
    ``"weighted"`` (the row's count times its sample's mean weight ``n_weighted / n`` from
    ``sample_sizes`` where the row has a community, arm and wave; else its count), ``"count"``
    (the count) or ``"rows"`` (1: fewest rows).

    >>> from trustsurvey.publish.fixture import synthetic_tables
    >>> from trustsurvey.publish.relations import build_cells
    >>> t = synthetic_tables()
    >>> c = row_costs(t, build_cells(t), DisclosurePolicy(suppression_cost="rows"))
    >>> float(c.min()), float(c.max())
    (1.0, 1.0)
    """
    cells = index.cells
    out = np.ones(len(cells))
    if policy.suppression_cost == "rows":
        return out
    factor = {}
    ss = true.get("sample_sizes")
    if policy.suppression_cost == "weighted" and ss is not None and "n_weighted" in ss:
        keys = ["community", "arm", "wave"]
        w = ss["n_weighted"].to_numpy(dtype=float) / ss["n"].to_numpy(dtype=float)
        w = np.where(np.isfinite(w) & (w > 0), w, 1.0)  # no weighted count: the count
        factor = dict(zip(map(tuple, ss[keys].to_numpy(dtype=object).tolist()), w, strict=True))
    for (kind, _col), start in index.offsets.items():
        df, spec = true[kind], KINDS[kind]
        if not spec.count:
            continue
        count = df[spec.count].to_numpy(dtype=float)
        if factor and {"community", "arm", "wave"} <= set(df.columns):
            keys = map(tuple, df[["community", "arm", "wave"]].to_numpy(dtype=object).tolist())
            count = count * np.array([factor.get(k, 1.0) for k in keys])
        out[start : start + len(df)] = np.nan_to_num(np.maximum(count, 1.0), nan=1.0)
    return out


class Optimiser:
    """The intruder's system over every cell, and the local programmes of its cells."""

    def __init__(
        self,
        index: CellIndex,
        true: Mapping[str, pd.DataFrame],
        policy: DisclosurePolicy,
        required: Callable[[int, np.ndarray], float],
        *,
        blocks: bool = True,
    ) -> None:
        self.index, self.true, self.policy, self.required = index, true, policy, required
        cells = index.cells
        self.n = len(cells)
        self.x = np.nan_to_num(cells["value"].to_numpy(dtype=float))
        self.is_share = cells["is_share"].to_numpy(dtype=bool)
        self.kind = cells["kind"].to_numpy(dtype=object)
        self.row = cells["row"].to_numpy(dtype=int)
        self.thr = pd.Series(self.kind).map({k: policy.threshold(k) for k in set(self.kind)})
        self.thr = self.thr.to_numpy(dtype=float)
        self.cost = row_costs(true, index, policy)
        self.row_id = pd.factorize(pd.Series(list(zip(self.kind, self.row, strict=True))))[0]
        first = np.full(int(self.row_id.max()) + 1 if self.n else 0, -1)
        first[self.row_id[::-1]] = np.arange(self.n)[::-1]
        self.row_first = first  # a cell of each row (for its cost)
        self._models: dict[bytes, GroupLP] = {}
        self._matrix()
        if blocks:  # the local blocks of optimal_complements (not of the modular method)
            self._blocks()

    # -- the system -------------------------------------------------------------------
    def _matrix(self) -> None:
        rows, cols, vals, rhs = [], [], [], []
        for k, r in enumerate(self.index.relations):
            for c in r.children:
                rows.append(k)
                cols.append(c)
                vals.append(1.0)
            if r.parent >= 0:
                rows.append(k)
                cols.append(r.parent)
                vals.append(-1.0)
            rhs.append(r.const if r.parent < 0 else 0.0)
        m = len(self.index.relations)
        a = sparse.coo_matrix((vals, (rows, cols)), shape=(m, self.n)).tocsr()
        a.sum_duplicates()
        self.a, self.a_csc = a, a.tocsc()
        b = np.asarray(rhs, dtype=float)
        ax = a @ self.x
        sense = np.array([r.sense for r in self.index.relations], dtype=object)
        # the intruder's first reading (the audit's): margins add up, and so do the "auto"
        # relations, even where the true values leave a gap (item non-response): a witness
        # keeps the total of every such relation, so that it holds under either reading
        self.eq = sense != "le"
        self.slack = np.where(self.eq, 0.0, np.maximum(b - ax, 0.0))
        self.active = self.eq | (ax <= b + 1e-6)
        self.size = np.diff(a.indptr)

    def _blocks(self) -> None:
        """Union cells through relations, smallest first, while a block stays small."""
        parent = np.arange(self.n)
        size = np.ones(self.n, dtype=int)

        def find(v: int) -> int:
            while parent[v] != v:
                parent[v] = parent[parent[v]]
                v = parent[v]
            return int(v)

        indptr, indices = self.a.indptr, self.a.indices
        for k in np.argsort(self.size, kind="stable"):
            members = indices[indptr[k] : indptr[k + 1]]
            roots = {find(int(v)) for v in members}
            if len(roots) < 2 or sum(size[r] for r in roots) > BLOCK_CELLS:
                continue
            top = roots.pop()
            for r in roots:
                parent[r] = top
                size[top] += size[r]
        self.block = np.array([find(v) for v in range(self.n)])
        order = np.argsort(self.block, kind="stable")
        bounds = np.flatnonzero(np.diff(self.block[order])) + 1
        self.block_cells = {int(self.block[g[0]]): g for g in np.split(order, bounds) if len(g)}
        # a relation links blocks when its members are in more than one
        self.linking = np.zeros(len(self.size), dtype=bool)
        for k in range(len(self.size)):
            members = indices[indptr[k] : indptr[k + 1]]
            if len(members) and (self.block[members] != self.block[members[0]]).any():
                self.linking[k] = True

    # -- bounds -----------------------------------------------------------------------
    def bounds(self, j: int, suppressed: np.ndarray, reason: np.ndarray) -> tuple[float, float]:
        """The intruder's bounds of cell ``j`` if hidden (its reason, else a complement)."""
        if self.is_share[j]:
            return 0.0, 1.0
        if suppressed[j] and reason[j] == SMALL_CELL:
            return 0.0, self.thr[j] - 1.0
        if suppressed[j] and reason[j] not in (COMPLEMENTARY, N_WITHHELD):
            return 0.0, np.inf
        return min(self.thr[j], self.x[j]), np.inf

    def bounds_of(
        self, cells: np.ndarray, suppressed: np.ndarray, reason: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`bounds` of many cells at once."""
        sup, why = suppressed[cells], reason[cells]
        small = sup & (why == SMALL_CELL)
        other = sup & ~small & (why != COMPLEMENTARY) & (why != N_WITHHELD)
        share = self.is_share[cells]
        lb = np.where(share | small | other, 0.0, np.minimum(self.thr[cells], self.x[cells]))
        ub = np.where(share, 1.0, np.where(small, self.thr[cells] - 1.0, np.inf))
        return lb, ub

    # -- neighbourhoods ---------------------------------------------------------------
    def _partners(self, i: int, suppressed: np.ndarray, k: int) -> list[int]:
        """Blocks with the most hidden cells in the large relations of cell ``i``'s block."""
        own = self.block[i]
        cells = self.block_cells[own]
        rels = np.unique(self.a_csc[:, cells].indices)
        rels = rels[self.linking[rels]]
        score: dict[int, int] = {}
        indptr, indices = self.a.indptr, self.a.indices
        for r in rels:
            members = indices[indptr[r] : indptr[r + 1]]
            for b in set(self.block[members[suppressed[members]]].tolist()):
                if b != own:
                    score[b] = score.get(b, 0) + 1
        return sorted(score, key=lambda b: (-score[b], b))[:k]

    def neighbourhood(self, i: int, suppressed: np.ndarray, k: int | None) -> np.ndarray:
        """Cells of the local programme of cell ``i``: its block and ``k`` partner blocks
        (``None``: every cell of the system)."""
        if k is None:
            return np.arange(self.n)
        blocks = [self.block[i], *self._partners(i, suppressed, k)]
        cells = np.concatenate([self.block_cells[b] for b in blocks])
        # the margins that link the cell to other blocks may be hidden too (at their cost)
        rels = self.a_csc[:, [i]].indices
        rels = rels[self.linking[rels]]
        extra = [
            self.a.indices[self.a.indptr[r] : self.a.indptr[r + 1]][
                self.a.data[self.a.indptr[r] : self.a.indptr[r + 1]] < 0
            ]
            for r in rels
        ]
        return np.unique(np.concatenate([cells, *extra]))

    # -- one programme ----------------------------------------------------------------
    def solve(
        self,
        i: int,
        target: float,
        cells: np.ndarray,
        suppressed: np.ndarray,
        reason: np.ndarray,
        *,
        free: bool = False,
        withhold: bool = False,
    ) -> tuple[np.ndarray, float, float] | None:
        """Deviation ``y`` over ``cells`` moving cell ``i`` by ``target`` (its sign the
        direction) at least cost, and how far it and its mirror stretch (``a * y`` for
        ``0 <= a <= a_plus`` and ``-a * y`` for ``0 <= a <= a_minus`` are witnesses too:
        within every bound and slack); ``None`` when the local system cannot move cell ``i``
        that far. With ``free`` only hidden cells move and the move of cell ``i`` is
        maximised up to ``|target|`` instead (what is protected without new complements).
        With ``withhold`` a complement among the estimates withholds only its n (the mean
        stays), so it costs :data:`WITHHELD_COST` of its row."""
        lp = self._model(cells)
        rels, sub = lp.rels, lp.sub
        nv = len(cells)
        lb, ub = self.bounds_of(cells, suppressed, reason)
        lo, hi = lb - self.x[cells], ub - self.x[cells]
        pub = ~suppressed[cells]
        pos = int(np.searchsorted(cells, i))
        free_lo, free_hi = lo.copy(), hi.copy()
        if free:
            lo[pub], hi[pub] = 0.0, 0.0
            if target > 0:
                hi[pos] = min(hi[pos], target)
            else:
                lo[pos] = max(lo[pos], target)
            c = np.zeros(2 * nv)
            c[pos], c[nv + pos] = (-1.0, 1.0) if target > 0 else (1.0, -1.0)
        else:
            if target > 0:
                lo[pos] = max(lo[pos], target)
            else:
                hi[pos] = min(hi[pos], target)
            if lo[pos] > hi[pos] + 1e-9:
                return None
            scale = np.where(
                self.is_share[cells], self.policy.protection_share, self.policy.protection_interval
            )
            # y = y_plus - y_minus. Hiding a cell costs its whole cost whatever it moves, so
            # the cost per unit is spread over the room it gives (at most one interval): the
            # linear stand-in for a fixed charge, preferring one cell with room to several
            cost = self.cost[cells]
            if withhold:
                cost = np.where(self.kind[cells] == N_WITHHELD_KIND, cost * WITHHELD_COST, cost)
            up = cost / np.minimum(np.clip(hi, 1e-9, None), np.maximum(scale, 1e-9))
            down = cost / np.minimum(np.clip(-lo, 1e-9, None), np.maximum(scale, 1e-9))
            c = np.concatenate([np.where(pub, up, 1e-6), np.where(pub, down, 1e-6)])
        le = ~self.eq[rels]
        y = None
        if not free and 0 < int(pub.sum()) <= MILP_CELLS:
            y = self._fixed_charge(lp, pub, target, lo, hi, cost)
        if y is None:
            lp.apply(lo, hi)
            lp.set_cost(c)
            y = lp.solve()
            if y is None:
                return None
        ay, slack = (sub @ y)[le], self.slack[rels][le]
        return (
            y,
            _stretch(y, free_lo, free_hi, ay, slack),
            _stretch(-y, free_lo, free_hi, -ay, slack),
        )

    def _model(self, cells: np.ndarray) -> GroupLP:
        """The programme over ``cells`` (one HiGHS model per neighbourhood, kept and
        warm-started: only its bounds and objective change between solves)."""
        key = cells.tobytes()
        lp = self._models.pop(key, None)
        if lp is None:
            lp = GroupLP(self, cells, time_limit=float(self.policy.block_seconds))
            if len(self._models) >= MODELS:
                self._models.pop(next(iter(self._models)))
        self._models[key] = lp  # the most recently used last
        return lp

    def _fixed_charge(
        self,
        lp: GroupLP,
        pub: np.ndarray,
        target: float,
        lo: np.ndarray,
        hi: np.ndarray,
        cost: np.ndarray,
    ) -> np.ndarray | None:
        """The programme with its fixed charge: a binary per published row (hidden or
        not, at its cost) bounds the moves of the row's cells (Fischetti & Salazar-González
        1999, the model per sensitive cell and direction); HiGHS branch and bound."""
        import highspy

        cells, rels, nv = lp.cells, lp.rels, lp.k
        rows, zpos = np.unique(self.row_id[cells[pub]], return_inverse=True)
        nz = len(rows)
        zcost = np.zeros(nz)
        np.maximum.at(zcost, zpos, cost[pub])
        big = 4.0 * max(abs(target), self.policy.protection_interval)
        col_lo = np.concatenate([np.maximum(lo, 0.0), np.maximum(-hi, 0.0)])
        col_hi = np.minimum(np.concatenate([np.maximum(hi, 0.0), np.maximum(-lo, 0.0)]), big)
        pub_idx = np.flatnonzero(pub)
        k = len(pub_idx)
        # y_plus and y_minus of each published cell at most its bound times its row's binary
        link = sparse.coo_matrix(
            (
                np.concatenate([np.ones(2 * k), -col_hi[pub_idx], -col_hi[nv + pub_idx]]),
                (
                    np.concatenate([np.arange(2 * k), np.arange(2 * k)]),
                    np.concatenate([pub_idx, nv + pub_idx, 2 * nv + zpos, 2 * nv + zpos]),
                ),
            ),
            shape=(2 * k, 2 * nv + nz),
        )
        eq = self.eq[rels]
        a2 = sparse.hstack([lp.sub, -lp.sub, sparse.csr_matrix((len(rels), nz))]).tocsr()
        n_eq, n_le = int(eq.sum()), int((~eq).sum())
        h = highs_model(
            sparse.vstack([link, a2[eq], a2[~eq]]),
            np.concatenate([np.full(2 * nv, 1e-6), zcost]),
            np.concatenate([col_lo, np.zeros(nz)]),
            np.concatenate([col_hi, np.ones(nz)]),
            np.concatenate([np.full(2 * k, -np.inf), np.zeros(n_eq), np.full(n_le, -np.inf)]),
            np.concatenate([np.zeros(2 * k + n_eq), self.slack[rels][~eq]]),
            integer=np.arange(2 * nv + nz) >= 2 * nv,
            time_limit=float(self.policy.block_seconds),
            mip_rel_gap=MIP_GAP,
            mip_max_nodes=MIP_NODES,
        )
        h.run()
        status, done = h.getModelStatus(), highspy.HighsModelStatus
        stopped = (done.kTimeLimit, done.kIterationLimit, done.kSolutionLimit)
        if status != done.kOptimal and not (
            status in stopped and h.getInfo().objective_function_value < highspy.kHighsInf
        ):
            return None
        x = np.asarray(h.getSolution().col_value, dtype=float)
        y = x[:nv] - x[nv : 2 * nv]
        y[np.abs(y) <= TOL] = 0.0
        return y


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence the solver's own diagnostics on the process's standard output (HiGHS' branch
    and bound prints some even with ``disp=False``)."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):  # no real standard output (e.g. captured): nothing to do
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _stretch(
    y: np.ndarray, lo: np.ndarray, hi: np.ndarray, ay: np.ndarray, slack: np.ndarray
) -> float:
    """Largest ``a`` (at most 1e6) with ``lo <= a * y <= hi`` and ``a * ay <= slack``."""
    a = 1e6
    with np.errstate(divide="ignore", invalid="ignore"):
        pos, neg = y > TOL, y < -TOL
        if pos.any():
            a = min(a, float(np.min(hi[pos] / y[pos])))
        if neg.any():
            a = min(a, float(np.min(lo[neg] / y[neg])))
        up = ay > TOL
        if up.any():
            a = min(a, float(np.min(slack[up] / ay[up])))
    return max(a, 0.0)


def optimal_complements(
    opt: Optimiser,
    suppressed: np.ndarray,
    reason: np.ndarray,
    hide: Callable[[int, int], list[int]],
    mean_hidden: Callable[[int], bool] = lambda v: False,
    unhide: Callable[[list[int]], None] | None = None,
) -> Stats:
    """Give every sensitive cell witnesses ``x + y`` that move it up and down by a total of
    its protection interval, hiding the cheapest complements. ``hide(cell, protected_cell)``
    hides a cell's row (or withheld n), updates ``suppressed``/``reason`` in place and
    returns the cells it hid; a hidden count that needs an interval itself joins the queue.
    ``mean_hidden(cell)``: whether protecting the cell needs whole rows among the estimates
    (its own mean is hidden), not only withheld n.

    Per cell: first how far the hidden cells alone move it each way (no cost); then, if
    that is not enough, the cheapest complements for the rest, in the direction with more
    room, then the other. Last, with ``unhide`` (publishes a hidden row's cells again), each
    complement, the costliest first, is published again when every cell whose witnesses
    moved it is still protected without it (redundant complements; at most
    :data:`ELIMINATE` of them are tried)."""
    stats = Stats()
    start = time.perf_counter()
    best_up = np.zeros(opt.n)
    best_down = np.zeros(opt.n)
    req = np.zeros(opt.n)

    def needs(v: int) -> bool:
        req[v] = opt.required(v, reason)
        return bool(req[v] > 0)

    def proven(v: int) -> bool:
        return bool(best_up[v] + best_down[v] >= req[v] - 1e-6)

    witnesses: list[np.ndarray] = []  # the cells each witness moves
    src_up = np.full(opt.n, -1)  # the witness behind best_up / best_down
    src_down = np.full(opt.n, -1)
    complements: list[list[int]] = []  # rows hidden here, in order

    def credit(cells: np.ndarray, found: tuple[np.ndarray, float, float]) -> None:
        y, a_plus, a_minus = found
        moved = y != 0
        j, dy = cells[moved], y[moved]
        wid = len(witnesses)
        witnesses.append(j)
        up = np.maximum(a_plus * dy, -a_minus * dy)
        down = np.maximum(-a_plus * dy, a_minus * dy)
        better_up, better_down = up > best_up[j], down > best_down[j]
        best_up[j[better_up]] = up[better_up]
        src_up[j[better_up]] = wid
        best_down[j[better_down]] = down[better_down]
        src_down[j[better_down]] = wid

    def reach(v: int) -> None:
        """Witnesses of ``v`` from the hidden cells alone, locally then (small) widely."""
        for k in PARTNERS:
            cells = opt.neighbourhood(v, suppressed, k)
            if k is None and len(cells) > WIDE_CELLS:
                return
            for sign in (1.0, -1.0):
                stats.programmes += 1
                found = opt.solve(v, sign * req[v], cells, suppressed, reason, free=True)
                if found is not None:
                    credit(cells, found)
            if proven(v):
                return

    queue = [int(v) for v in np.flatnonzero(suppressed) if needs(int(v))]
    # blocks in order, larger counts first within a block (popped from the end)
    queue.sort(key=lambda v: (int(opt.block[v]), opt.x[v], v), reverse=True)
    stats.cells = len(queue)
    while queue:
        v = queue.pop()
        if proven(v):
            stats.proven += 1
            continue
        cells = opt.neighbourhood(v, suppressed, PARTNERS[0])
        for sign in (1.0, -1.0):
            stats.programmes += 1
            found = opt.solve(v, sign * req[v], cells, suppressed, reason, free=True)
            if found is not None:
                credit(cells, found)
        if proven(v):
            continue
        lb, ub = opt.bounds(v, suppressed, reason)
        rooms = {1.0: ub - opt.x[v], -1.0: opt.x[v] - lb}
        withhold = not mean_hidden(v)
        for sign in sorted(rooms, key=lambda d: -rooms[d]):
            other = best_down[v] if sign > 0 else best_up[v]
            target = min(req[v] - other, rooms[sign])
            if target <= 1e-9 or proven(v):
                continue
            # the cheapest of the local programmes (a wider one may find a cheaper circuit)
            found, best = None, np.inf
            for k in PARTNERS:
                wider = opt.neighbourhood(v, suppressed, k)
                if found is not None and len(wider) > WIDE_CELLS:
                    break
                stats.programmes += 1
                got = opt.solve(v, sign * target, wider, suppressed, reason, withhold=withhold)
                if got is None:
                    continue
                moved = wider[(got[0] != 0) & ~suppressed[wider]]
                cost = float(opt.cost[np.unique(opt.row_first[opt.row_id[moved]])].sum())
                if cost < best - 1e-9:
                    found, best, cells = got, cost, wider
                if cost <= 0:
                    break
            if found is None:
                continue
            y = found[0]
            for j in cells[(y != 0) & ~suppressed[cells]]:
                if not suppressed[j]:
                    hidden = hide(int(j), v)
                    complements.append(hidden)
                    for h in hidden:
                        if needs(h):
                            stats.cells += 1
                            queue.append(h)
            credit(cells, found)
        if not proven(v):
            stats.fallback += 1
            stats.failed.append(v)
    if unhide is not None and not stats.failed and len(complements) <= ELIMINATE:
        order = sorted(complements, key=lambda r: -float(opt.cost[r[0]]))
        for row in order:
            row_cells = np.asarray(row)
            # the witnesses that moved a cell of the row
            moved = np.concatenate([*witnesses, np.zeros(0, dtype=int)])
            owner = np.repeat(np.arange(len(witnesses)), [len(w) for w in witnesses])
            used = np.unique(owner[np.isin(moved, row_cells)])
            sens = np.flatnonzero(suppressed & (req > 0))
            sens = sens[~np.isin(sens, row_cells)]
            hit = sens[np.isin(src_up[sens], used) | np.isin(src_down[sens], used)]
            saved = (
                best_up[hit].copy(),
                best_down[hit].copy(),
                src_up[hit].copy(),
                src_down[hit].copy(),
                reason[row_cells].copy(),
                req[row_cells].copy(),
            )
            suppressed[row_cells] = False
            reason[row_cells] = ""
            req[row_cells] = 0.0
            best_up[hit] = best_down[hit] = 0.0
            src_up[hit] = src_down[hit] = -1
            ok = True
            for v in hit:
                reach(int(v))
                if not proven(int(v)):
                    ok = False
                    break
            if ok:
                unhide(row)
                stats.removed += 1
                continue
            suppressed[row_cells] = True  # keep it: restore what the old witnesses proved
            reason[row_cells] = saved[4]
            req[row_cells] = saved[5]
            best_up[hit] = np.maximum(best_up[hit], saved[0])
            best_down[hit] = np.maximum(best_down[hit], saved[1])
            src_up[hit] = np.where(best_up[hit] == saved[0], saved[2], src_up[hit])
            src_down[hit] = np.where(best_down[hit] == saved[1], saved[3], src_down[hit])
    stats.seconds = time.perf_counter() - start
    return stats
