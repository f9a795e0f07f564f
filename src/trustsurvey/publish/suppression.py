"""Primary and complementary cell suppression, and reliability flags.

1. *Primary*: a row whose unweighted count (``n``) is below ``policy.min_cell`` (for tables of
   records such as hotline appeals, ``policy.min_records``) is suppressed
   (reason ``small_cell``): its estimate, interval, shares and ``n`` are blanked.
2. *Complementary*: a suppressed value must not be recomputable from a margin, a share total or
   another table. Every relation with a single suppressed member gets a second one (the
   smallest part large enough to protect, else the largest); then the LP audit
   (:func:`trustsurvey.publish.audit.audit_tables`) is run on the would-be published tables
   and each exposed cell gets another complement, until the audit passes (Hundepool et al.
   2012, sec. 4.4, the hypercube/"singleton" heuristic followed by an exact check).
   Complements are whole rows, except for estimates: the ``n`` beside a published mean is
   withheld on its own (reason ``n_withheld``, the estimate and its interval stay) when it
   would reveal a count: always when a count of the item's answer distribution is
   suppressed (the n is the sum of the substantive answers), and as the complement of
   another withheld n. A mean whose own row is suppressed gets whole-row complements within
   the estimates' margins, so that it cannot be recomputed from the others.
   With ``previous`` (the tables of the study's last released bundle), a row hidden there
   stays hidden (``complementary``, or ``previous_release`` for a small cell no longer
   small, which must not reveal that it crossed the threshold; an n withheld stays
   withheld) unless the sample of its
   community-arm-wave changed by at least the protection interval: otherwise the two
   releases differenced would narrow it to the few respondents that changed. The safety
   net then audits both releases together (:func:`trustsurvey.publish.update.audit_update`)
   and adds complements until neither release has a cell narrowed below its interval.
3. *Reliability*: ``cv = se / |estimate|``; ``unreliable`` when ``cv > policy.max_cv``
   (kept and flagged, not hidden).

>>> from trustsurvey.publish.fixture import synthetic_tables
>>> out, audit = protect_tables(synthetic_tables(seed=1), DisclosurePolicy())
>>> set(out["sample_sizes"]["suppression_reason"].dropna()) <= {"small_cell", "complementary"}
True
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from trustsurvey.errors import PublishError
from trustsurvey.publish.audit import COMPLEMENTARY, SMALL_CELL, _required, audit_tables
from trustsurvey.publish.modular import Groups, block_groups, protect_by_groups
from trustsurvey.publish.optimal import Optimiser, Stats, optimal_complements
from trustsurvey.publish.policy import DisclosurePolicy
from trustsurvey.publish.relations import N_WITHHELD, CellIndex, Relation, build_cells
from trustsurvey.publish.schema import ALL, KINDS
from trustsurvey.publish.update import Timeline, audit_update, relabel_periods

MAX_ROUNDS = 50
#: ``suppression_reason`` of a count hidden because the previous release hid it as a small
#: cell and the sample barely changed, though it is no longer small: its bounds say nothing
#: (``0 ..``), unlike a complement's (at least the threshold)
PREVIOUS_RELEASE = "previous_release"
#: studies of more blocks (community-arm-waves; communities of tables without arms and
#: waves) than this are protected group by group
#: (:func:`trustsurvey.publish.modular.protect_by_groups`); smaller ones by the programmes
#: of :func:`trustsurvey.publish.optimal.optimal_complements` (partners chosen per cell,
#: fixed charges, redundant complements published again: fewer cells hidden, slower; the
#: example study's 36 blocks lose 0.70 % of the information this way in 3 s, 0.88 % group
#: by group in 2 s, where greedy complements lose 0.84 %)
WHOLE_BLOCKS = 36


def protect_tables(
    tables: Mapping[str, pd.DataFrame],
    policy: DisclosurePolicy,
    *,
    previous: Mapping[str, pd.DataFrame] | None = None,
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Suppress small cells and their complements; flag unreliable estimates.

    ``tables`` are normalised tables (:func:`trustsurvey.publish.normalize.normalize_table`).
    Returns the tables as they will be published (suppressed values blanked, ``suppressed``
    and ``suppression_reason`` columns added) and the audit table of the final state.
    """
    check_declared(tables)
    check_margins(tables)
    reasons = {kind: _primary(kind, df, policy) for kind, df in tables.items()}
    check_policy(tables, reasons, policy)
    true = {kind: _with_flags(df, reasons[kind]) for kind, df in tables.items()}
    if previous:
        previous = relabel_periods(previous, tables)
        _carry_over(true, reasons, previous, policy)
    cache: dict = {}
    index = build_cells(true)  # relations depend on keys only; flags are updated in place
    change = _known_cells(index, true, previous or {}, policy)
    index.cells["known"] = ~np.isnan(change)
    index.cells["known_change"] = change
    if policy.suppression_method == "optimal":
        _withhold_answer_n(index, true, reasons)
        _withhold_did_n(index, true, reasons)
        _follow(index, true, reasons)
        _optimal(index, true, reasons, policy)
        _publish_known_complements(index, true, reasons)
    # the greedy method, and the safety net of the optimal one: the exact audit decides
    base = np.nan_to_num(index.cells["value"].to_numpy(dtype=float))
    for _ in range(MAX_ROUNDS):
        _withhold_answer_n(index, true, reasons)
        if policy.suppression_method == "greedy":
            _singletons(index, true, reasons, policy)
        _withhold_did_n(index, true, reasons)
        _follow(index, true, reasons)
        published = {k: _blank(k, df) for k, df in true.items()}
        audit = audit_tables(
            published,
            policy,
            true_values=_published_index(index, published),
            cache=cache,
            exact=False,
            base=base,
        )
        exposed = audit[audit["exposed"]]
        if exposed.empty and previous:
            exposed = _exposed_by_both(index, true, reasons, previous, published, policy, cache)
            if exposed is None:
                continue  # a count the previous release hid is hidden again
        if exposed.empty:
            return _finish_all(published, audit, policy)
        added = 0
        for t, r, col in zip(exposed["table"], exposed["row"], exposed["column"], strict=True):
            cell = index.offsets[(t, col)] + int(r)
            added += _add_complement(cell, index, true, reasons, policy, force=True)
        if not added:
            break
    raise PublishError(
        f"complementary suppression could not protect {len(exposed)} suppressed cell(s); "
        "nothing was published",
        item=_cell_names(exposed, true),
        hint="publish fewer breakdowns (margins or subgroups with small cells), or lower "
        "publish.protection_interval",
    )


def _exposed_by_both(
    index: CellIndex,
    true: dict[str, pd.DataFrame],
    reasons: dict[str, pd.Series],
    previous: Mapping[str, pd.DataFrame],
    published: Mapping[str, pd.DataFrame],
    policy: DisclosurePolicy,
    cache: dict,
) -> pd.DataFrame | None:
    """The update's cells to give a complement so that no cell of either release is exposed
    by the two together (:func:`trustsurvey.publish.update.audit_update`), as rows of the
    audit's table; None when a count the update publishes had to be hidden instead (a
    cell of the previous release narrowed by it), to audit again. A cell of the previous
    release whose count the update does not publish is refused (nothing in the update
    names it to protect)."""
    joint = audit_update(
        previous,
        published,
        policy,
        update_index=_published_index(index, published),
        cache=cache.setdefault("update", {}),
        exact=False,
    )
    joint = joint[joint["exposed"]]
    mine = joint["update_cell"].to_numpy(dtype=int)
    hidden = index.cells["suppressed"].to_numpy(dtype=bool)
    shown = [c for c in mine if c >= 0 and not hidden[c]]
    for c in shown:  # as the carry-over would have: hidden again, saying nothing new
        kind, row = str(index.cells.at[c, "kind"]), int(index.cells.at[c, "row"])
        df = true[kind]
        df.loc[row, "suppressed"] = True
        df.loc[row, "suppression_reason"] = PREVIOUS_RELEASE
        reasons[kind].iat[row] = PREVIOUS_RELEASE
        _mark(index, index.cells_of(kind, row), PREVIOUS_RELEASE)
    if shown:
        return None
    if len(joint) and (mine < 0).all():
        names = [f"{t} row {int(r) + 1} {col}" for t, r, col in
                 zip(joint["table"], joint["row"], joint["column"], strict=True)][:10]  # fmt: skip
        raise PublishError(
            f"{len(joint)} hidden cell(s) of the previous release can be narrowed below the "
            "protection interval with this update, and the update does not publish them; "
            "nothing was published",
            item=names,
            hint="publish the previous release's tables and breakdowns again in the update, "
            "and keep publish.min_cell, min_records and protection_interval as they were",
        )
    cells = index.cells.loc[[c if c >= 0 else 0 for c in mine]]
    out = pd.DataFrame(
        {"table": cells["kind"].to_numpy(), "row": cells["row"].to_numpy(),
         "column": cells["column"].to_numpy()}
    )  # fmt: skip
    return out[mine >= 0].reset_index(drop=True)


def _cell_names(exposed: pd.DataFrame, true: Mapping[str, pd.DataFrame]) -> list[str]:
    """``table row N (key=value, ...)`` of the first exposed cells."""
    out = []
    for t, r, col in list(zip(exposed["table"], exposed["row"], exposed["column"], strict=True))[
        :10
    ]:
        row = true[t].iloc[int(r)]
        keys = ", ".join(f"{k}={row[k]}" for k in KINDS[t].keys if k in row.index)
        out.append(f"{t} row {int(r) + 1} {col} ({keys})")
    return out


def _optimal(
    index: CellIndex,
    true: dict[str, pd.DataFrame],
    reasons: dict[str, pd.Series],
    policy: DisclosurePolicy,
) -> Stats:
    """Complements chosen by linear programming (:mod:`trustsurvey.publish.optimal`)."""
    cells = index.cells
    kind_of = cells["kind"].to_numpy(dtype=object)
    row_of = cells["row"].to_numpy(dtype=int)
    is_share = cells["is_share"].to_numpy(dtype=bool)
    floor_of = pd.Series(kind_of).map({k: policy.threshold(k) for k in set(kind_of)}).to_numpy()
    sup = cells["suppressed"].to_numpy(dtype=bool).copy()
    reason = cells["reason"].to_numpy(dtype=object).copy()

    def required(v: int, why: np.ndarray) -> float:
        return _required(v, is_share, why, floor_of, kind_of, policy)

    def mean_hidden(v: int) -> bool:
        return kind_of[v] == "estimates" and bool(
            true["estimates"]["suppressed"].iat[int(row_of[v])]
        )

    def hide(j: int, v: int) -> list[int]:
        kind, row = str(kind_of[j]), int(row_of[j])
        if kind == "estimates" and not mean_hidden(v):
            _withhold_n(row, index, true, reasons)
            hidden = index.cells_of(kind, row, KINDS[kind].count)
        else:
            df = true[kind]
            df.loc[row, "suppressed"] = True
            df.loc[row, "suppression_reason"] = COMPLEMENTARY
            reasons[kind].iat[row] = COMPLEMENTARY
            hidden = index.cells_of(kind, row)
            _mark(index, hidden, COMPLEMENTARY)
        sup[hidden] = True
        reason[hidden] = cells.loc[hidden, "reason"].to_numpy(dtype=object)
        return hidden

    def unhide(hidden: list[int]) -> None:
        kind, row = str(kind_of[hidden[0]]), int(row_of[hidden[0]])
        df = true[kind]
        df.loc[row, "suppressed"] = False
        df.loc[row, "suppression_reason"] = None
        reasons[kind].iat[row] = None
        index.cells.loc[hidden, "suppressed"] = False
        index.cells.loc[hidden, "reason"] = ""

    groups = block_groups(true, index)
    if groups.blocks > WHOLE_BLOCKS:
        return _modular(index, true, reasons, policy, groups, required, sup, reason)
    opt = Optimiser(index, true, policy, required)
    return optimal_complements(opt, sup, reason, hide, mean_hidden, unhide)


def _modular(
    index: CellIndex,
    true: dict[str, pd.DataFrame],
    reasons: dict[str, pd.Series],
    policy: DisclosurePolicy,
    groups: Groups,
    required: Callable[[int, np.ndarray], float],
    sup: np.ndarray,
    reason: np.ndarray,
) -> Stats:
    """Complements chosen group by group (:func:`trustsurvey.publish.modular.protect_by_groups`);
    the tables and the index are updated once at the end."""
    cells = index.cells
    kind_of = cells["kind"].to_numpy(dtype=object)
    row_of = cells["row"].to_numpy(dtype=int)
    hidden_rows: dict[str, dict[int, str]] = {}

    def mean_hidden(v: int) -> bool:
        """Whether cell ``v`` is the n of a hidden mean (its complements hide whole rows)."""
        return kind_of[v] == "estimates" and reason[v] != N_WITHHELD

    def hide(j: int, v: int) -> tuple[list[int], str]:
        kind, row = str(kind_of[j]), int(row_of[j])
        why = N_WITHHELD if kind == "estimates" and not mean_hidden(v) else COMPLEMENTARY
        column = KINDS[kind].count if why == N_WITHHELD else None
        return index.cells_of(kind, row, column), why

    opt = Optimiser(index, true, policy, required, blocks=False)
    stats = Stats()
    start = time.perf_counter()
    for j, why in protect_by_groups(opt, groups, sup, reason, hide, mean_hidden, stats):
        rows = hidden_rows.setdefault(str(kind_of[j]), {})
        if rows.get(int(row_of[j])) != COMPLEMENTARY:  # a whole row stays hidden
            rows[int(row_of[j])] = why
    for kind, rows in hidden_rows.items():
        df, pos = true[kind], np.fromiter(rows, dtype=int)
        why = np.array([rows[r] for r in pos], dtype=object)
        full = pos[why == COMPLEMENTARY]
        df.loc[full, "suppressed"] = True
        df.loc[pos, "suppression_reason"] = why
        reasons[kind].iloc[pos] = why
    cells["suppressed"] = sup
    cells["reason"] = reason
    stats.seconds = time.perf_counter() - start
    return stats


def check_declared(tables: Mapping[str, pd.DataFrame]) -> None:
    """Refuse a table whose kind does not declare how it relates to the others: the audit
    could not see what it adds up to (:attr:`~trustsurvey.publish.schema.TableKind.links`)."""
    for kind in tables:
        spec = KINDS[kind]
        if not spec.declared:
            raise PublishError(
                f"table kind {kind!r} does not declare how its numbers relate to the other "
                "tables, so the disclosure audit cannot check it",
                item=kind,
                hint="declare its links (sums over months, periods, communities; counts "
                "within sample sizes) in trustsurvey.publish.schema, or unrelated= with why it "
                "has none",
            )
        missing = [c for c in spec.derived if c not in spec.blank]
        if missing:
            raise PublishError(
                f"table kind {kind!r}: derived column(s) {missing} reveal its count but are "
                "not blanked with it",
                item=kind,
                hint="add them to the kind's blank columns",
            )


def check_policy(
    tables: Mapping[str, pd.DataFrame], reasons: Mapping[str, pd.Series], policy: DisclosurePolicy
) -> None:
    """Refuse a policy that hides every count of a table: nothing of it could be published."""
    for kind, df in tables.items():
        spec = KINDS[kind]
        if not spec.count or df.empty or not reasons[kind].notna().all():
            continue
        name = "min_records" if spec.unit == "records" else "min_cell"
        largest = float(np.nanmax(df[spec.count].to_numpy(dtype=float), initial=0.0))
        raise PublishError(
            f"every count of table {kind!r} is below publish.{name} = "
            f"{policy.threshold(kind)} (the largest is {largest:g}): nothing of it can be "
            "published",
            item=kind,
            hint=f"lower publish.{name} to at most {largest:g}, or leave the table (its "
            "breakdowns) out of the bundle",
        )


def check_margins(tables: Mapping[str, pd.DataFrame]) -> None:
    """Refuse counts whose margins do not add up (``all`` rows vs their parts)."""
    index = build_cells(tables)
    value = index.cells["value"].to_numpy(dtype=float)
    for r in index.relations:
        if r.parent < 0 or r.sense == "auto":
            continue
        parts = float(np.nansum(value[list(r.children)]))
        whole = value[r.parent]
        bad = abs(parts - whole) > 1e-6 if r.sense == "eq" else parts > whole + 1e-6
        if bad:
            kind, row = index.cells.at[r.parent, "kind"], int(index.cells.at[r.parent, "row"])
            raise PublishError(
                f"{r.label}: the margin row holds {whole:g} but its parts add up to {parts:g}",
                item=kind,
                row=row + 1,
                hint="compute margins ('all' rows) and their parts from the same respondents",
            )


def _carry_over(
    true: dict[str, pd.DataFrame],
    reasons: dict[str, pd.Series],
    previous: Mapping[str, pd.DataFrame],
    policy: DisclosurePolicy,
) -> None:
    """Keep hidden what the previous release hid where the sample barely changed."""
    moved = _sample_change(true.get("sample_sizes"), previous.get("sample_sizes"))
    for kind, df in true.items():
        spec, old = KINDS[kind], previous.get(kind)
        if old is None or not spec.count or "suppression_reason" not in old:
            continue
        why = old["suppression_reason"].astype(object)
        hidden = old.loc[why.notna(), [*spec.keys]].assign(_why=why[why.notna()])
        if hidden.empty:
            continue
        rows = df[list(spec.keys)].reset_index().merge(hidden, on=list(spec.keys))
        for row, was in zip(rows["index"], rows["_why"], strict=True):
            if df.at[row, "suppressed"] or pd.notna(df.at[row, "suppression_reason"]):
                continue
            if _changed_enough(df.loc[row], moved, policy):
                continue
            # a count that was a small cell and has reached the threshold must not say so:
            # "complementary" (at least the threshold) beside the old "small_cell" (below
            # it) and the few respondents the update added would pin the old count
            reason = {N_WITHHELD: N_WITHHELD, SMALL_CELL: PREVIOUS_RELEASE}.get(was, COMPLEMENTARY)
            df.loc[row, "suppression_reason"] = reason
            df.loc[row, "suppressed"] = reason != N_WITHHELD
            reasons[kind].iat[row] = reason


def _known_cells(
    index: CellIndex,
    true: Mapping[str, pd.DataFrame],
    previous: Mapping[str, pd.DataFrame],
    policy: DisclosurePolicy,
) -> np.ndarray:
    """Cells an intruder already knows from the previous release: the previous release
    published their row, and their community-arm-wave changed by less than the protection
    interval (as :func:`_carry_over` reads it), or they count records of months it held
    whole. Hiding one of them now protects little (no more than that change), so they are
    chosen as complements only when nothing else can be. Returns the change of each known
    cell's sample (NaN: not known; a cell whose sample did not change protects nothing)."""
    known = np.full(len(index.cells), np.nan)
    moved = _sample_change(true.get("sample_sizes"), previous.get("sample_sizes"))
    time = Timeline(previous, true)
    for kind, df in true.items():
        spec, old = KINDS[kind], previous.get(kind)
        if old is None or not spec.count or spec.count not in old:
            continue
        shown = old[spec.count].notna()
        if "suppression_reason" in old:
            shown &= old["suppression_reason"].isna()
        keys = [k for k in spec.keys if k in df.columns and k in old.columns]
        if not keys or not shown.any():
            continue
        rows = df[keys].reset_index().merge(old.loc[shown, keys], on=keys)["index"]
        for row in rows.to_numpy(dtype=int):
            if spec.unit == "records":  # records of months the previous release held whole
                text = {k: str(df.at[row, k]) for k in keys}
                if time.unchanged(text):
                    known[index.cells_of(kind, int(row))] = 0.0
                continue
            if not _changed_enough(df.loc[row], moved, policy):
                known[index.cells_of(kind, int(row))] = _change(df.loc[row], moved)
    return known


def _publish_known_complements(
    index: CellIndex, true: dict[str, pd.DataFrame], reasons: dict[str, pd.Series]
) -> None:
    """Publish again the complementary rows whose cells the previous release showed: they
    protect nothing (the audit that follows finds complements that do)."""
    cells = index.cells
    hit = cells["known"].to_numpy(dtype=bool) & (cells["reason"] == COMPLEMENTARY).to_numpy()
    for kind, row in set(zip(cells.loc[hit, "kind"], cells.loc[hit, "row"], strict=True)):
        df = true[kind]
        if df["suppression_reason"].iat[int(row)] != COMPLEMENTARY:
            continue
        df.loc[int(row), "suppressed"] = False
        df.loc[int(row), "suppression_reason"] = None
        reasons[kind].iat[int(row)] = None
        mine = index.cells_of(kind, int(row))
        index.cells.loc[mine, "suppressed"] = False
        index.cells.loc[mine, "reason"] = ""


def _sample_change(new: pd.DataFrame | None, old: pd.DataFrame | None) -> dict[tuple, float]:
    """|change in respondents| per published (community, arm, wave) of two releases."""
    if new is None or old is None:
        return {}
    keys = ["community", "arm", "wave"]
    both = new[[*keys, "n"]].merge(old[[*keys, "n"]], on=keys, suffixes=("", "_old"))
    both = both[both["n_old"].notna()]
    change = (both["n"] - both["n_old"]).abs().to_numpy(dtype=float)
    return dict(zip(map(tuple, both[keys].to_numpy(dtype=object).tolist()), change, strict=True))


def _change(row: pd.Series, moved: Mapping[tuple, float]) -> float:
    """The change of the row's community-arm-wave sample (0 when unknown)."""
    if not {"community", "arm", "wave"} <= set(row.index):
        return 0.0
    return moved.get((row["community"], row["arm"], row["wave"]), 0.0)


def _changed_enough(row: pd.Series, moved: Mapping[tuple, float], policy: DisclosurePolicy) -> bool:
    """Whether the row's community-arm-wave gained or lost at least the protection interval
    of respondents (unknown, e.g. without those keys or with a hidden sample size: no)."""
    if not {"community", "arm", "wave"} <= set(row.index):
        return False
    key = (row["community"], row["arm"], row["wave"])
    return moved.get(key, 0.0) >= policy.protection_interval


def _primary(kind: str, df: pd.DataFrame, policy: DisclosurePolicy) -> pd.Series:
    spec = KINDS[kind]
    reason = pd.Series(None, index=df.index, dtype=object)
    if spec.count:
        reason[df[spec.count] < policy.threshold(kind)] = SMALL_CELL
    return reason


def _with_flags(df: pd.DataFrame, reason: pd.Series) -> pd.DataFrame:
    return df.assign(suppressed=reason.notna().to_numpy(), suppression_reason=reason.to_numpy())


def _blank(kind: str, df: pd.DataFrame) -> pd.DataFrame:
    spec = KINDS[kind]
    if not spec.count:
        return df.drop(columns=["suppressed", "suppression_reason"])
    out = df.copy()
    out.loc[out["suppressed"], list(spec.blank)] = np.nan
    out.loc[(out["suppression_reason"] == N_WITHHELD).to_numpy(dtype=bool), spec.count] = np.nan
    return out


def _published_index(true_index: CellIndex, published: Mapping[str, pd.DataFrame]) -> CellIndex:
    """The index as an intruder sees it: suppressed values blank."""
    cells = true_index.cells.copy()
    cells["value"] = cells["value"].where(~cells["suppressed"].astype(bool))
    return CellIndex(cells, true_index.relations, true_index.offsets)


def _singletons(
    index: CellIndex,
    true: dict[str, pd.DataFrame],
    reasons: dict[str, pd.Series],
    policy: DisclosurePolicy,
) -> None:
    """Give every relation that adds up (``eq``/``auto``) with exactly one suppressed member a
    second one, to a fixpoint."""
    changed = True
    while changed:
        changed = False
        sup = index.cells["suppressed"].to_numpy(dtype=bool)
        for r in index.relations:
            if r.sense == "le":  # a part only bounds the whole from below: the audit decides
                continue
            members = (*r.children, r.parent) if r.parent >= 0 else r.children
            hits = [m for m in members if sup[m]]
            if len(hits) == 1 and _complement_in(r, hits[0], index, true, reasons, policy):
                changed = True
                sup = index.cells["suppressed"].to_numpy(dtype=bool)


def _withhold_answer_n(
    index: CellIndex, true: dict[str, pd.DataFrame], reasons: dict[str, pd.Series]
) -> None:
    """Withhold the n of every published whole-domain estimate whose item's answer
    distribution (likert, same outcome and domain) has a suppressed count."""
    if "estimates" not in true or "likert" not in true:
        return
    keys = ["outcome", "community", "arm", "wave"]
    lik, est = true["likert"], true["estimates"]
    hit = lik.loc[lik["suppressed"].to_numpy(dtype=bool), keys].drop_duplicates()
    if hit.empty:
        return
    whole = (est["subgroup"] == ALL) & (est["level"] == ALL) & ~est["suppressed"]
    open_rows = est.loc[whole & est["suppression_reason"].isna(), keys]
    rows = open_rows.reset_index().merge(hit, on=keys, how="inner")["index"].to_numpy()
    _withhold_n(rows, index, true, reasons)


def _withhold_did_n(
    index: CellIndex, true: dict[str, pd.DataFrame], reasons: dict[str, pd.Series]
) -> None:
    """Withhold the n of a DiD result (the respondents of both arms in its waves) when the n
    of an overall estimate of its outcome is hidden: their difference would give it back.

    The n of a staggered-adoption result (``did_staggered``) sums the answers of whole
    community-waves, different ones for each cohort and wave, so differences of two of them
    can isolate one community-wave: every n of an outcome is withheld there as soon as the n
    of any of its community-wave estimates is hidden."""
    if "estimates" not in true:
        return
    est = true["estimates"]
    whole = (est["subgroup"] == ALL) & (est["level"] == ALL)
    hidden = est["suppressed"] | (est["suppression_reason"] == N_WITHHELD)
    withheld = {
        "did": set(est.loc[whole & (est["community"] == ALL) & hidden, "outcome"]),
        "did_staggered": set(est.loc[whole & hidden, "outcome"]),
    }
    for kind, outcomes in withheld.items():
        if kind not in true:
            continue
        table = true[kind]
        open_rows = ~table["suppressed"] & table["suppression_reason"].isna()
        rows = np.flatnonzero(open_rows & table["outcome"].isin(outcomes))
        _withhold_n(rows, index, true, reasons, kind=kind)


def _follow(index: CellIndex, true: dict[str, pd.DataFrame], reasons: dict[str, pd.Series]) -> None:
    """Hide each open row of a kind that ``follows`` another (schema) whose row with the same
    keys (whole domain) is suppressed, has its n withheld or is absent."""
    for kind, df in true.items():
        parent_kind = KINDS[kind].follows
        if parent_kind is None:
            continue
        parent = true.get(parent_kind)
        keys = [k for k in KINDS[kind].keys if k in KINDS[parent_kind].keys]
        open_rows = ~df["suppressed"].to_numpy(dtype=bool) & df["suppression_reason"].isna()
        if parent is None:
            shown = pd.DataFrame(columns=keys)
        else:
            whole = np.ones(len(parent), dtype=bool)
            for extra in ("subgroup", "level"):
                if extra in parent.columns and extra not in keys:
                    whole &= (parent[extra] == ALL).to_numpy()
            fine = ~parent["suppressed"].to_numpy(dtype=bool) & parent["suppression_reason"].isna()
            shown = parent.loc[whole & fine.to_numpy(), keys].drop_duplicates()
        ok = df[keys].merge(shown.assign(_shown=True), on=keys, how="left")["_shown"]
        rows = np.flatnonzero(open_rows.to_numpy() & ok.isna().to_numpy())
        if len(rows) == 0:
            continue
        df.loc[df.index[rows], "suppressed"] = True
        df.loc[df.index[rows], "suppression_reason"] = COMPLEMENTARY
        reasons[kind].iloc[rows] = COMPLEMENTARY
        _mark(index, index.cells_of_rows(kind, rows), COMPLEMENTARY)


def _withhold_n(
    row: int | np.ndarray,
    index: CellIndex,
    true: dict[str, pd.DataFrame],
    reasons: dict[str, pd.Series],
    kind: str = "estimates",
) -> None:
    """Withhold the n of one row or of many rows (positions) of ``kind`` at once."""
    rows = np.atleast_1d(np.asarray(row, dtype=int))
    if len(rows) == 0:
        return
    df = true[kind]
    df.loc[df.index[rows], "suppression_reason"] = N_WITHHELD
    reasons[kind].iloc[rows] = N_WITHHELD
    _mark(index, index.cells_of_rows(kind, rows, KINDS[kind].count), N_WITHHELD)


def _mark(index: CellIndex, cells: list[int] | np.ndarray, reason: str) -> None:
    """Record cells as suppressed (``index.cells`` is indexed by cell id), all at once:
    each assignment rewrites the whole column, so one per call, not one per cell."""
    index.cells.loc[cells, "suppressed"] = True
    index.cells.loc[cells, "reason"] = reason


def _add_complement(
    cell: int,
    index: CellIndex,
    true: dict[str, pd.DataFrame],
    reasons: dict[str, pd.Series],
    policy: DisclosurePolicy,
    *,
    force: bool,
) -> int:
    """Suppress one more published cell that widens ``cell``'s bounds: in a relation of the
    cell, else (every member already suppressed) in a relation of a suppressed cell linked to
    it through such relations, nearest first (breadth-first). A cell the previous release
    showed is chosen only when no other can be: it widens nothing but the few respondents
    its sample changed by (enough when those are what must stay hidden)."""
    members_of = [(*r.children, r.parent) if r.parent >= 0 else r.children for r in index.relations]
    for known in (False, True) if "known" in index.cells else (True,):
        seen, frontier, used = {cell}, [cell], set()
        while frontier:
            front, nxt = set(frontier), []
            for i, members in enumerate(members_of):
                if i in used or not any(m in front for m in members):
                    continue
                used.add(i)
                r = index.relations[i]
                if _complement_in(r, cell, index, true, reasons, policy, known=known):
                    return 1
                for m in members:
                    if m not in seen:
                        seen.add(m)
                        nxt.append(m)
            frontier = nxt
    return 0


def _complement_in(
    r: Relation,
    cell: int,
    index: CellIndex,
    true: dict[str, pd.DataFrame],
    reasons: dict[str, pd.Series],
    policy: DisclosurePolicy,
    *,
    known: bool = False,
) -> bool:
    """Suppress one more published member of ``r`` (a part if any, else the margin); a cell
    the previous release showed only with ``known`` (it protects little)."""
    c = index.cells
    sup = c["suppressed"].to_numpy(dtype=bool)
    if "known" in c:
        sup = sup | (
            (c["known_change"].to_numpy(dtype=float) == 0)
            if known
            else c["known"].to_numpy(dtype=bool)
        )
    candidates = [m for m in r.children if m != cell and not sup[m]]
    if not candidates and r.parent >= 0 and r.parent != cell and not sup[r.parent]:
        candidates = [r.parent]
    if not candidates:
        return False
    counts = np.array([_row_count(c, m, true) for m in candidates])
    floor = np.array([policy.threshold(str(c.at[m, "kind"])) for m in candidates])
    enough = counts >= floor + policy.protection_interval
    pick = (
        candidates[int(np.argmin(np.where(enough, counts, np.inf)))]
        if enough.any()
        else candidates[int(np.argmax(counts))]
    )
    kind, row = c.at[pick, "kind"], int(c.at[pick, "row"])
    df = true[kind]
    if kind == "estimates" and not _protects_a_mean(r, cell, c, true):
        _withhold_n(row, index, true, reasons)
        return True
    df.loc[row, "suppressed"] = True
    df.loc[row, "suppression_reason"] = COMPLEMENTARY
    reasons[kind].iat[row] = COMPLEMENTARY
    _mark(index, index.cells_of(kind, row), COMPLEMENTARY)
    return True


def _protects_a_mean(
    r: Relation, cell: int, cells: pd.DataFrame, true: Mapping[str, pd.DataFrame]
) -> bool:
    """Whether ``r`` relates suppressed estimate ``cell``'s mean to others (a margin of the
    estimates table), so that its complement must hide a whole row, not only an n."""
    if cells.at[cell, "kind"] != "estimates" or not r.label.startswith("estimates: margin"):
        return False
    return bool(true["estimates"]["suppressed"].iat[int(cells.at[cell, "row"])])


def _row_count(cells: pd.DataFrame, cell: int, true: Mapping[str, pd.DataFrame]) -> float:
    kind, row = cells.at[cell, "kind"], int(cells.at[cell, "row"])
    spec = KINDS[kind]
    return float(true[kind][spec.count].iat[row]) if spec.count else 0.0


def _finish_all(
    published: Mapping[str, pd.DataFrame], audit: pd.DataFrame, policy: DisclosurePolicy
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """The published tables in their declared row order (published columns only, so that no
    order follows a hidden value), and the audit's rows renumbered to match."""
    out: dict[str, pd.DataFrame] = {}
    audit = audit.copy()
    for kind, df in published.items():
        spec = KINDS[kind]
        table = _finish(kind, df, policy)
        if spec.count and spec.order:
            order = [c for c in spec.row_order if c in table.columns]
            table = table.sort_values(order, na_position="last", kind="stable")
            new_row = np.empty(len(table), dtype=int)
            new_row[table.index.to_numpy()] = np.arange(len(table))
            mine = (audit["table"] == kind).to_numpy(dtype=bool)
            if mine.any():
                audit.loc[mine, "row"] = new_row[audit.loc[mine, "row"].to_numpy(dtype=int)]
            table = table.reset_index(drop=True)
        out[kind] = table
    return out, audit


def _finish(kind: str, df: pd.DataFrame, policy: DisclosurePolicy) -> pd.DataFrame:
    spec = KINDS[kind]
    out = df.copy()
    if spec.cv:
        with np.errstate(divide="ignore", invalid="ignore"):
            cv = out["se"] / out["estimate"].abs()
        out["cv"] = cv.where(np.isfinite(cv))
        out["unreliable"] = (out["cv"] > policy.max_cv).fillna(False).astype(bool)
    if spec.count:
        out["suppression_reason"] = out["suppression_reason"].astype(object)
        out["suppressed"] = out["suppressed"].astype(bool)
    return out[[c for c in spec.columns if c in out.columns]].reset_index(drop=True)
