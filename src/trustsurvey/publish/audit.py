"""Linear-programming audit of suppressed cells (the τ-Argus / Fischetti-Salazar check).

For each suppressed count or share the audit asks: given every value published and every
relation that adds up (:mod:`trustsurvey.publish.relations`), what are the smallest and largest
values it can take? Two linear programmes per cell (HiGHS through ``highspy``) give the
bounds; the cell is *exposed* when ``upper - lower`` is below the protection interval. Every
small cell and every complementary count of answers, sample sizes or appeals must keep it;
the n withheld beside a published mean, and the n of an estimate hidden as a complement,
need not (they are not sensitive: they are hidden only so that the small cells keep theirs).

The intruder is assumed to know the suppression reasons (a small cell holds ``0 ..
min_cell - 1`` respondents, a complementary one, or a published estimate whose n alone is
withheld, at least ``min_cell``; ``min_records`` for counts of records such as appeals) and
to assume that margins over communities and arms add up exactly, subgroups and shares too
unless that contradicts the published numbers (item non-response; then they are read as ``<=``), and
counts stay within their sample sizes.

References: Hundepool et al. (2012) *Statistical Disclosure Control*, Wiley, sec. 4.3-4.4;
Fischetti & Salazar-González (2000), *Management Science* 46(7); de Wolf (2002) τ-Argus.

>>> from trustsurvey.publish.fixture import synthetic_tables
>>> from trustsurvey.publish.suppression import protect_tables
>>> protected, _ = protect_tables(synthetic_tables(seed=1), DisclosurePolicy())
>>> bool(audit_tables(protected, DisclosurePolicy())["exposed"].any())
False
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from trustsurvey.errors import PublishError
from trustsurvey.publish.modular import block_groups, component_system, witness_bounds
from trustsurvey.publish.parallel import ordered_map
from trustsurvey.publish.policy import DisclosurePolicy
from trustsurvey.publish.relations import N_WITHHELD, CellIndex, Relation, build_cells

AUDIT_COLUMNS = (
    "table",
    "row",
    "column",
    "reason",
    "lower",
    "upper",
    "width",
    "required",
    "exposed",
    "relations",
)

COMPLEMENTARY = "complementary"
#: reason of a variable of the audit that is not a published cell to protect: the change of
#: a count between two releases (:mod:`trustsurvey.publish.update`), or a value a previous
#: release left out for another reason than disclosure (an unreliable estimate's n)
UNPUBLISHED = "unpublished"
#: connected groups of more hidden cells than this are solved by neighbourhoods
LARGE = 300
SMALL_CELL = "small_cell"


def audit_tables(
    tables: Mapping[str, pd.DataFrame],
    policy: DisclosurePolicy,
    *,
    true_values: CellIndex | None = None,
    cache: dict | None = None,
    exact: bool = True,
    base: np.ndarray | None = None,
) -> pd.DataFrame:
    """Bounds an intruder can derive for every suppressed cell of ``tables``.

    Returns a tidy table with one row per suppressed count or share: ``table, row`` (0-based
    row in the table), ``column, reason, lower, upper, width`` (``upper - lower``),
    ``required`` (protection interval), ``exposed`` (``width < required``) and ``relations``
    (how many relations involve the cell). ``cache`` (a dict kept between calls) reuses the
    bounds of connected groups of cells that have not changed.

    With ``exact=False`` (the writer) a cell is proven safe without its own two LPs when the
    feasible points already found for its group (each LP's optimum is one) differ in that cell
    by at least the protection interval: the true interval contains them, so it is at least as
    wide. ``lower``/``upper`` are then those witnessed values (``width`` a lower bound of the
    true width), and only cells not proven safe this way are solved exactly. The verdict
    (``exposed``) is the same as with ``exact=True``.

    A connected group of more than :data:`LARGE` hidden cells (a national study: margins
    over communities tie every community of an arm and wave) is solved by neighbourhoods
    (:func:`trustsurvey.publish.modular.witness_bounds`): witnesses around a feasible point
    (``base``, the true values of every cell when the writer knows them, else an interior
    point), each cell moved within its group of communities, and the whole programmes
    only for cells those witnesses do not prove. The verdict is still exact; ``lower`` and
    ``upper`` are witnessed values (inside the intruder's interval) for the cells proven by
    witnesses, the exact bounds for the others.

    Connected groups are independent: the small ones are solved on worker processes
    (:func:`trustsurvey.publish.parallel.ordered_map`), the neighbourhoods of the large ones
    too; the result is the same whatever the number of workers.
    """
    index = true_values or build_cells(tables)
    result = audit_index(
        index,
        policy,
        groups=lambda: block_groups(tables, index).group,
        cache=cache,
        exact=exact,
        base=base,
    )
    return result.drop(columns="cell")


def audit_index(
    index: CellIndex,
    policy: DisclosurePolicy,
    *,
    groups: Callable[[], np.ndarray] | None = None,
    cache: dict | None = None,
    exact: bool = True,
    base: np.ndarray | None = None,
) -> pd.DataFrame:
    """:func:`audit_tables` of the cells and relations of ``index`` (one release, or
    several joined as :mod:`trustsurvey.publish.update` joins them), with a ``cell``
    column (the cell id in ``index``). ``groups`` gives the block group of every cell, for
    connected groups of more than :data:`LARGE` hidden cells (none: solved whole)."""
    cells = index.cells
    sup_ids = cells.loc[cells["suppressed"], "cell"].to_numpy()
    if len(sup_ids) == 0:
        return pd.DataFrame({c: [] for c in (*AUDIT_COLUMNS, "cell")})
    value = cells["value"].to_numpy(dtype=float)
    suppressed = cells["suppressed"].to_numpy(dtype=bool)
    is_share = cells["is_share"].to_numpy(dtype=bool)
    reason = cells["reason"].to_numpy(dtype=object)
    kind_of = cells["kind"].to_numpy(dtype=object)
    row_of = cells["row"].to_numpy(dtype=int)
    column_of = cells["column"].to_numpy(dtype=object)
    floor_of = pd.Series(kind_of).map({k: policy.threshold(k) for k in set(kind_of)}).to_numpy()
    required_of = np.zeros(len(cells))
    for v in sup_ids:
        required_of[v] = _required(v, is_share, reason, floor_of, kind_of, policy)
    rels = [r for r in index.relations if _touches(r, suppressed)]
    comps = _components(sup_ids, rels)
    group_of = None
    if groups is not None and any(len(vs) > LARGE for vs, _ in comps):
        group_of = groups()
    keys: list = []
    found: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for i, (comp_vars, comp_rels) in enumerate(comps):
        key = None
        if cache is not None:
            key = (
                exact,
                tuple(comp_vars),
                tuple(reason[v] for v in comp_vars),
                tuple(
                    (
                        r.parent,
                        r.children,
                        r.const,
                        r.sense,
                        tuple(value[m] for m in _members(r) if not suppressed[m]),
                    )
                    for r in comp_rels
                ),
            )
            if key in cache:
                found[i] = cache[key]
        keys.append(key)

    def solve(i: int) -> tuple[np.ndarray, np.ndarray]:
        comp_vars, comp_rels = comps[i]
        local = group_of is not None and len(comp_vars) > LARGE
        return _bounds(
            comp_vars, comp_rels, value, suppressed, is_share, reason, floor_of,
            required_of, group_of if local else None, base, exact=exact and not local,
        )  # fmt: skip

    def attempt(i: int) -> tuple[np.ndarray, np.ndarray] | None:
        try:
            return solve(i)
        except PublishError:  # raised again in this process, with its details
            return None

    # connected groups are independent: the small ones on the workers (in order); several
    # large ones each on a worker, one large one here (its neighbourhoods on the workers)
    open_ = [i for i in range(len(comps)) if i not in found]
    small = [i for i in open_ if len(comps[i][0]) <= LARGE]
    for i, got in zip(small, ordered_map(lambda j: attempt(small[j]), len(small)), strict=True):
        found[i] = solve(i) if got is None else got
    large = [i for i in open_ if i not in found]
    if len(large) > 1:
        each = ordered_map(lambda j: attempt(large[j]), len(large), chunk=1)
        for i, got in zip(large, each, strict=True):
            if got is not None:
                found[i] = got
    for i in open_:
        if i not in found:
            found[i] = solve(i)
    out = []
    for i, (comp_vars, comp_rels) in enumerate(comps):
        lo, hi = found[i]
        if cache is not None and keys[i] is not None and len(lo) == len(comp_vars):
            cache[keys[i]] = (lo, hi)
        nrel = {v: 0 for v in comp_vars}
        for r in comp_rels:
            for m in _members(r):
                if m in nrel:
                    nrel[m] += 1
        for j, v in enumerate(comp_vars[: len(lo)]):
            req = required_of[v]
            out.append(
                {
                    "table": kind_of[v],
                    "row": int(row_of[v]),
                    "column": column_of[v],
                    "reason": reason[v],
                    "lower": lo[j],
                    "upper": hi[j],
                    "width": hi[j] - lo[j],
                    "required": req,
                    "exposed": bool(hi[j] - lo[j] < req - 1e-9),
                    "relations": nrel[v],
                    "cell": int(v),
                }
            )
    res = pd.DataFrame(out, columns=[*AUDIT_COLUMNS, "cell"])
    return res.sort_values(["table", "column", "row"], ignore_index=True)


def audit_bundle(path: str | Path, *, previous: str | Path | None = None) -> pd.DataFrame:
    """Audit a written bundle; raise :class:`PublishError` when a suppressed cell is exposed.

    With ``previous`` (the release before it), the two are audited together
    (:func:`trustsurvey.publish.update.audit_update`; the result then has a ``release``
    column).

    >>> import tempfile
    >>> from trustsurvey.publish import write_bundle
    >>> from trustsurvey.publish.fixture import synthetic_tables, SYNTHETIC_META
    >>> out = write_bundle(synthetic_tables(), tempfile.mkdtemp(), study_meta=SYNTHETIC_META)
    >>> audit_bundle(out)["exposed"].any()
    np.False_
    >>> again = write_bundle(synthetic_tables(), tempfile.mkdtemp(), study_meta=SYNTHETIC_META,
    ...                      previous=out)
    >>> sorted(set(audit_bundle(again, previous=out)["release"]))
    ['previous', 'update']
    """
    from trustsurvey.publish.bundle import read_bundle

    bundle = read_bundle(path)
    if previous is None:
        result = audit_tables(bundle.tables, bundle.policy)
    else:
        from trustsurvey.publish.update import audit_update

        result = audit_update(read_bundle(previous).tables, bundle.tables, bundle.policy)
    exposed = result[result["exposed"]]
    if len(exposed):
        first = exposed.iloc[0]
        of = f" of the {first['release']} release" if previous is not None else ""
        raise PublishError(
            f"{len(exposed)} suppressed cell(s) can be recomputed or narrowed below the "
            f"protection interval (e.g. table {first['table']}{of} row {first['row'] + 1}: "
            f"{first['column']} within [{first['lower']:.4g}, {first['upper']:.4g}])",
            file=path,
            item=[f"{t}:{r + 1}" for t, r in zip(exposed["table"], exposed["row"], strict=True)],
            hint="write the bundle again with write_bundle (with previous= the release "
            "before it, publish.previous_bundle in study.yaml), which adds complementary "
            "suppression, and do not edit published tables by hand",
        )
    return result


def _members(r: Relation) -> tuple[int, ...]:
    return (*r.children, r.parent) if r.parent >= 0 else r.children


def _touches(r: Relation, suppressed: np.ndarray) -> bool:
    return any(suppressed[m] for m in _members(r))


def _components(
    sup_ids: np.ndarray, rels: list[Relation]
) -> list[tuple[list[int], list[Relation]]]:
    parent = {int(v): int(v) for v in sup_ids}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    rel_vars = []
    for r in rels:
        vs = [m for m in _members(r) if m in parent]
        rel_vars.append(vs)
        for a, b in itertools.pairwise(vs):
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[ra] = rb
    groups: dict[int, list[int]] = {}
    for v in parent:
        groups.setdefault(find(v), []).append(v)
    grels: dict[int, list[Relation]] = {}
    for r, vs in zip(rels, rel_vars, strict=True):
        grels.setdefault(find(vs[0]), []).append(r)
    return [(sorted(vs), grels.get(root, [])) for root, vs in groups.items()]


def _required(
    v: int,
    is_share: np.ndarray,
    reason: np.ndarray,
    floor_of: np.ndarray,
    kind_of: np.ndarray,
    policy: DisclosurePolicy,
) -> float:
    """Protection interval a suppressed cell needs: none for a withheld n, nor for the n of an
    estimate hidden as a complement (not sensitive values, at least ``min_cell``: they are
    hidden only to protect others, whose own bounds the LPs check); for a count, at most
    ``threshold - 1``, the whole range the small-cell rule already reveals
    (``0 .. threshold - 1``), so that a threshold below the interval can still be met."""
    if reason[v] in (N_WITHHELD, UNPUBLISHED) or (
        reason[v] == COMPLEMENTARY and kind_of[v] == "estimates"
    ):
        return 0.0
    if is_share[v]:
        return policy.protection_share
    return min(policy.protection_interval, float(floor_of[v] - 1))


def _var_bounds(
    v: int, is_share: np.ndarray, reason: np.ndarray, threshold: int
) -> tuple[float, float | None]:
    if is_share[v]:
        return (0.0, 1.0)
    if reason[v] == SMALL_CELL:
        return (0.0, float(threshold - 1))
    if reason[v] in (COMPLEMENTARY, N_WITHHELD):  # a published row is not a small cell
        return (float(threshold), None)
    return (0.0, None)


def _bounds(
    comp_vars: list[int],
    comp_rels: list[Relation],
    value: np.ndarray,
    suppressed: np.ndarray,
    is_share: np.ndarray,
    reason: np.ndarray,
    floor_of: np.ndarray,
    required_of: np.ndarray,
    groups: np.ndarray | None,
    base: np.ndarray | None,
    *,
    exact: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of the hidden cells of one connected group under the intruder's strongest
    consistent reading: margins add up exactly, then the "auto" relations relaxed (item
    non-response), then everything (inconsistent inputs). With ``groups`` (the block group of
    every cell) by neighbourhoods first; with ``exact`` every bound is the exact one."""
    vars_ = np.asarray(comp_vars)
    group = np.full(len(vars_), -1) if groups is None else groups[vars_]
    a, b, sense = component_system(vars_, comp_rels, value, suppressed)
    bounds = [_var_bounds(v, is_share, reason, int(floor_of[v])) for v in comp_vars]
    lb = np.array([lo for lo, _ in bounds], dtype=float)
    ub = np.array([np.inf if hi is None else hi for _, hi in bounds], dtype=float)
    for eq in (sense != "le", sense == "eq", np.zeros(len(sense), dtype=bool)):
        lo, hi, _exact = witness_bounds(
            a, b, eq, lb, ub, required_of[vars_], group,
            None if base is None else base[vars_], exact=exact,
        )  # fmt: skip
        if not np.isnan(lo).any():
            return lo, hi
    raise PublishError(
        "the disclosure audit found published numbers that contradict each "
        "other (no feasible value for a suppressed cell)",
        item=str(comp_vars[0]),
        hint="check that margins (rows with 'all') are not smaller than their parts",
    )
