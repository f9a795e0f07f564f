"""Audit of an update together with the release before it.

An intruder who kept the previous release of a study reads both: a count hidden in one may
be published in the other, and the two differ by no more than the respondents the update
added. The audit of one release (:func:`trustsurvey.publish.audit.audit_tables`) cannot see
that; this one joins the cells of both releases into one system:

* inside each release, the relations its tables declare
  (:func:`trustsurvey.publish.relations.build_cells`);
* between releases, for every count published under the same keys in both (an update adds
  respondents and records: late interviews, a new wave, new months of appeals):

  - a count of respondents within one community-arm-wave (``sample_sizes``, or a kind
    linked to it over the community-arm-wave) may only grow, and by no more than that
    sample grew: ``x_old + e = x_new``, ``0 <= e <= d`` with ``n_old + d = n_new`` for
    that row of ``sample_sizes`` (hidden or not);
  - a count pooled over waves (a DiD's n) likewise, within what all waves grew together,
    when both releases have the same waves; with a new wave it compares other waves and
    is not linked;
  - a count of records (hotline appeals) is the same in both when all its months were
    whole in the previous release (before its last month, read from the monthly series),
    else it may only grow; a month's records over all its periods (a month split by the
    start of a wave has a row in each) likewise. The open period after the previous
    release's last wave, which a new wave splits, is read under the name of the update's
    period that holds all its months (:func:`relabel_periods`).

The change ``e`` and the growth ``d`` are variables of the system (reason
:data:`~trustsurvey.publish.audit.UNPUBLISHED`, nothing to protect). Every small cell and
complement of either release must keep its protection interval in the joint system, as in
the audit of one release (same bounds, same criterion). A block whose published sample
shrank is not linked (the intruder cannot assume growth there). When the published
numbers contradict growth elsewhere (records corrected, respondents removed from a hidden
count), the intruder cannot use it either: the releases are then read with the counts of
records unlinked, and if that still contradicts them, with no link at all (each release
as its own audit saw it).

References: Hundepool et al. (2012) *Statistical Disclosure Control*, Wiley, sec. 4.3
(linked tables) and 4.6 (tables published over time).

>>> from trustsurvey.publish.fixture import synthetic_tables
>>> from trustsurvey.publish.policy import DisclosurePolicy
>>> from trustsurvey.publish.suppression import protect_tables
>>> policy = DisclosurePolicy()
>>> first, _ = protect_tables(synthetic_tables(seed=1), policy)
>>> second, _ = protect_tables(synthetic_tables(seed=1), policy, previous=first)
>>> bool(audit_update(first, second, policy)["exposed"].any())
False
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from trustsurvey.errors import PublishError
from trustsurvey.publish.audit import UNPUBLISHED, audit_index
from trustsurvey.publish.modular import block_groups, block_keys
from trustsurvey.publish.policy import DisclosurePolicy
from trustsurvey.publish.relations import CellIndex, Relation, build_cells
from trustsurvey.publish.schema import ALL, KINDS

BLOCK = ("community", "arm", "wave")
#: value of the ``release`` column of :func:`audit_update`
PREVIOUS, UPDATE = "previous", "update"
SAME_RECORDS = "update: same records"


@dataclass
class Joined:
    """The cells of two releases and their relations, in one :class:`CellIndex`: the
    previous release's cells first (ids ``0 .. start - 1``), then the update's (its own id
    plus ``start``), then the variables of the links."""

    index: CellIndex
    start: int
    #: previous release's cell id -> the update's cell id of the same count (own ids)
    counterpart: dict[int, int]
    groups: np.ndarray


def join_releases(
    previous: Mapping[str, pd.DataFrame],
    update: Mapping[str, pd.DataFrame],
    policy: DisclosurePolicy,
    *,
    update_index: CellIndex | None = None,
    links: str = "all",
) -> Joined:
    """Join the published tables of two releases (``update_index``: the update's cells as
    :func:`~trustsurvey.publish.relations.build_cells` gives them, when already built;
    ``links``: ``"all"``, ``"respondents"`` (counts of records not linked) or ``"none"``)."""
    previous = relabel_periods(previous, update)
    old = build_cells(previous)
    new = update_index or build_cells(update)
    start = len(old.cells)
    old_cells = _blank_as_unpublished(old.cells)
    new_cells = _blank_as_unpublished(
        new.cells.drop(columns=["known", "known_change"], errors="ignore")
    )
    new_cells["cell"] = new_cells["cell"].to_numpy(dtype=int) + start
    between = _Links(start + len(new_cells))
    counterpart = _link(previous, update, old, new, start, policy, between)
    if links != "all":
        drop_records = links == "respondents"
        between.relations = [
            r for r in between.relations if drop_records and r.label != SAME_RECORDS
        ]
    cells = pd.concat([old_cells, new_cells, between.frame()], ignore_index=True)
    shifted = [
        Relation(r.parent + start if r.parent >= 0 else -1,
                 tuple(c + start for c in r.children), r.const, r.label, r.sense)
        for r in new.relations
    ]  # fmt: skip
    index = CellIndex(cells, [*old.relations, *shifted, *between.relations])
    # a block's cells of both releases in one group: a witness moves them together
    grouped = block_groups(update, new)
    group_old = np.array(
        [-1 if k is None else grouped.of_block.get(k, -1) for k in block_keys(previous, old)],
        dtype=int,
    )
    top = np.full(len(between.value), -1)
    groups = np.concatenate([group_old, grouped.group, top])
    return Joined(index, start, counterpart, groups)


def _blank_as_unpublished(cells: pd.DataFrame) -> pd.DataFrame:
    """``cells`` with each blank value not hidden for disclosure (an unreliable estimate's
    n) made a variable with nothing to protect."""
    out = cells.copy()
    blank = out["value"].isna().to_numpy() & ~out["suppressed"].to_numpy(dtype=bool)
    out.loc[blank, "suppressed"] = True
    out.loc[blank, "reason"] = UNPUBLISHED
    return out


def audit_update(
    previous: Mapping[str, pd.DataFrame],
    update: Mapping[str, pd.DataFrame],
    policy: DisclosurePolicy,
    *,
    update_index: CellIndex | None = None,
    cache: dict | None = None,
    exact: bool = True,
) -> pd.DataFrame:
    """Bounds of every hidden cell of two releases from both together.

    ``previous`` and ``update`` are published tables (as :func:`read_bundle` gives them, or
    as :func:`~trustsurvey.publish.suppression.protect_tables` returns them). Returns the
    audit's table (:data:`~trustsurvey.publish.audit.AUDIT_COLUMNS`) for the cells of both,
    with ``release`` (``"previous"`` or ``"update"``) and ``cell`` (the cell id in its own
    release; ``update_cell``: the update's cell of the same count, ``-1`` when none).
    """
    for links in ("all", "respondents", "none"):
        joined = join_releases(previous, update, policy, update_index=update_index, links=links)
        try:
            result = audit_index(
                joined.index, policy, groups=lambda j=joined: j.groups, cache=cache, exact=exact
            )
            break
        except PublishError:  # growth contradicts the published numbers: not assumed
            if links == "none":
                raise
    result = result[result["reason"] != UNPUBLISHED].copy()
    cell = result["cell"].to_numpy(dtype=int)
    mine = cell >= joined.start
    result["release"] = np.where(mine, UPDATE, PREVIOUS)
    result["cell"] = np.where(mine, cell - joined.start, cell)
    result["update_cell"] = [
        c if m else joined.counterpart.get(c, -1) for c, m in zip(result["cell"], mine, strict=True)
    ]
    return result.reset_index(drop=True)


class _Links:
    """Variables (changes ``e``, growths ``d``) and relations between two releases."""

    def __init__(self, first: int) -> None:
        self.first = first
        self.value: list[float] = []
        self.hidden: list[bool] = []
        self.relations: list[Relation] = []

    def variable(self) -> int:
        self.value.append(np.nan)
        self.hidden.append(True)
        return self.first + len(self.value) - 1

    def constant(self, value: float) -> int:
        self.value.append(value)
        self.hidden.append(False)
        return self.first + len(self.value) - 1

    def frame(self) -> pd.DataFrame:
        n = len(self.value)
        return pd.DataFrame(
            {
                "cell": np.arange(self.first, self.first + n),
                "kind": "release_change",
                "row": np.arange(n),
                "column": "change",
                "value": np.asarray(self.value, dtype=float),
                "suppressed": np.asarray(self.hidden, dtype=bool),
                "reason": np.where(self.hidden, UNPUBLISHED, ""),
                "is_share": False,
            }
        )


def _keyed(tables: Mapping[str, pd.DataFrame], index: CellIndex) -> dict[tuple, int]:
    """(kind, key values) -> cell id of the count, for the count cells of ``tables``."""
    out: dict[tuple, int] = {}
    for kind, df in tables.items():
        spec = KINDS[kind]
        if not spec.count or (kind, spec.count) not in index.offsets:
            continue
        start = index.offsets[(kind, spec.count)]
        keys = df[list(spec.keys)].astype(str).itertuples(index=False, name=None)
        for row, key in enumerate(keys):
            out[(kind, key)] = start + row
    return out


def _block_of(kind: str, key: tuple) -> tuple | None:
    """The community-arm-wave of a row of ``kind`` (None without a wave: its counts pool
    waves, so no one sample's growth bounds their change)."""
    keys = KINDS[kind].keys
    if "wave" not in keys:
        return None
    values = dict(zip(keys, key, strict=True))
    return tuple(values.get(k, ALL) for k in BLOCK)


def _link(
    previous: Mapping[str, pd.DataFrame],
    update: Mapping[str, pd.DataFrame],
    old: CellIndex,
    new: CellIndex,
    start: int,
    policy: DisclosurePolicy,
    links: _Links,
) -> dict[int, int]:
    old_value = old.cells["value"].to_numpy(dtype=float)
    old_hidden = old.cells["suppressed"].to_numpy(dtype=bool) | np.isnan(old_value)
    new_value = new.cells["value"].to_numpy(dtype=float)
    new_hidden = new.cells["suppressed"].to_numpy(dtype=bool) | np.isnan(new_value)
    ka, kb = _keyed(previous, old), _keyed(update, new)
    pairs = [(key, ka[key], cb) for key, cb in kb.items() if key in ka]
    growth: dict[tuple, int] = {}  # block -> cell of d
    shrank = False
    for key, ca, cb in pairs:
        if key[0] != "sample_sizes" or (block := _block_of(key[0], key[1])) is None:
            continue
        if not (old_hidden[ca] or new_hidden[cb]):
            if new_value[cb] < old_value[ca]:
                shrank = True
                continue
            growth[block] = links.constant(new_value[cb] - old_value[ca])
            continue
        d = growth[block] = links.variable()
        links.relations.append(
            Relation(cb + start, (ca, d), label="update: sample growth", sense="eq")
        )
    same_waves = _waves(previous) == _waves(update)
    whole = [d for block, d in growth.items() if block[:2] == (ALL, ALL)]
    total = None
    if same_waves and whole and not shrank:  # what every wave grew together
        total = links.variable()
        links.relations.append(Relation(total, tuple(whole), label="update: growth", sense="eq"))
    time = Timeline(previous, update)
    for key, ca, cb in pairs:
        kind = key[0]
        hidden = bool(old_hidden[ca] or new_hidden[cb])
        if kind == "sample_sizes":
            continue
        if KINDS[kind].unit == "records":
            if hidden:
                row = dict(zip(KINDS[kind].keys, key[1], strict=True))
                sense = "eq" if time.unchanged(row) else "le"
                links.relations.append(Relation(cb + start, (ca,), label=SAME_RECORDS, sense=sense))
            continue
        if _within_block(kind):
            d = growth.get(_block_of(kind, key[1]) or ())
        elif same_waves and not shrank:  # pooled over the same waves
            d = total
        else:  # pooled over waves the releases do not share (a contrast of other waves)
            continue
        if d is None:
            if hidden and not shrank:
                links.relations.append(
                    Relation(cb + start, (ca,), label="update: counts grow", sense="le")
                )
            continue
        if not (hidden or links.hidden[d - links.first]):
            continue
        e = links.variable()
        links.relations += [
            Relation(cb + start, (ca, e), label="update: count change", sense="eq"),
            Relation(d, (e,), label="update: within sample growth", sense="le"),
        ]
    _link_month_sums(previous, update, old, new, start, links, time, old_hidden, new_hidden)
    return {ca: cb for _, ca, cb in pairs}


def _within_block(kind: str) -> bool:
    """Whether every count of ``kind`` lies within one community-arm-wave's sample (it is
    ``sample_sizes`` or declares a link to it over the community-arm-wave)."""
    links = KINDS[kind].links or ()
    caw = set(BLOCK)
    return kind == "sample_sizes" or any(
        link.parent == "sample_sizes" and set(link.on) == caw for link in links
    )


def _waves(tables: Mapping[str, pd.DataFrame]) -> set[str]:
    """The waves of a release (of its sample sizes)."""
    ss = tables.get("sample_sizes")
    if ss is None or "wave" not in ss:
        return set()
    return set(ss["wave"].astype(str)) - {ALL}


def _monthly_kind(tables: Mapping[str, pd.DataFrame]) -> str | None:
    """The kind of a release's monthly series of records: the table of records with
    ``month`` and ``period`` keys."""
    return next(
        (
            k
            for k in tables
            if KINDS[k].unit == "records" and {"month", "period"} <= set(KINDS[k].keys)
        ),
        None,
    )


def _monthly(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame | None:
    """The keys (as text) of a release's monthly series of records."""
    kind = _monthly_kind(tables)
    return None if kind is None else tables[kind][list(KINDS[kind].keys)].astype(str)


class Timeline:
    """What the monthly series of two releases say about their records: the first
    release's last month (perhaps cut short) and whether the update holds later months."""

    def __init__(
        self, previous: Mapping[str, pd.DataFrame], update: Mapping[str, pd.DataFrame]
    ) -> None:
        self.old, self.new = _monthly(previous), _monthly(update)
        self.months = sorted(set(self.old["month"])) if self.old is not None else []
        self.last = self.months[-1] if self.months else None
        if self.new is not None and self.last is not None:
            self.extended = bool((self.new["month"] > self.last).any())
        else:  # no monthly series: records may have been added unless the waves are the same
            self.extended = _waves(previous) != _waves(update)

    def unchanged(self, row: Mapping[str, str]) -> bool:
        """Whether the records of ``row`` (keys as text) are the same in both releases: all
        of them from months the first release held whole."""
        if not self.extended:
            return True
        if self.last is None or self.new is None:
            return False
        if "month" in row:
            return row["month"] < self.last
        if row.get("period", ALL) == ALL:
            return False
        hit = (self.new["period"] == row["period"]).to_numpy(dtype=bool, copy=True)
        for k in self.new.columns:
            if k not in ("month", "period") and row.get(k, ALL) != ALL:
                hit &= (self.new[k] == row[k]).to_numpy()
        return bool((self.new.loc[hit, "month"] < self.last).all())


def _link_month_sums(
    previous: Mapping[str, pd.DataFrame],
    update: Mapping[str, pd.DataFrame],
    old: CellIndex,
    new: CellIndex,
    start: int,
    links: _Links,
    time: Timeline,
    old_hidden: np.ndarray,
    new_hidden: np.ndarray,
) -> None:
    """A month's records over all its periods (a month split by the start of a wave has a
    row in each): the same in both releases for a month the first release held whole,
    else at least as many in the update."""
    kind = _monthly_kind(update)
    if kind is None or kind not in previous or time.last is None:
        return
    count = KINDS[kind].count or ""
    if (kind, count) not in old.offsets or (kind, count) not in new.offsets:
        return
    other = [k for k in KINDS[kind].keys if k != "period"]

    def cells(df: pd.DataFrame, offset: int) -> dict[tuple, list[int]]:
        out: dict[tuple, list[int]] = {}
        keys = df[other].astype(str).itertuples(index=False, name=None)
        for row, key in enumerate(keys):
            out.setdefault(key, []).append(offset + row)
        return out

    before = cells(previous[kind], old.offsets[(kind, count)])
    after = cells(update[kind], new.offsets[(kind, count)])
    at = other.index("month")
    for key, was in before.items():
        now = after.get(key, [])
        if len(was) == len(now) == 1 or not (
            old_hidden[was].any() or (len(now) and new_hidden[now].any())
        ):
            continue  # one row each: linked by its keys; or nothing hidden
        total = links.variable()
        whole = not time.extended or key[at] < time.last
        links.relations += [
            Relation(total, tuple(c + start for c in now), label="update: month", sense="eq"),
            Relation(total, tuple(was), label=SAME_RECORDS, sense="eq" if whole else "le"),
        ]


def relabel_periods(
    previous: Mapping[str, pd.DataFrame], update: Mapping[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """The previous release's tables with each period the update no longer has (the open
    period after the last wave, split by a new wave) named as the update's period that
    holds all its months (and no other new period does), so that the rows of the same
    records share their keys. Periods and months are read from the monthly series of
    records of both releases; without them nothing is renamed."""
    old_m, new_m = _monthly(previous), _monthly(update)
    if old_m is None or new_m is None:
        return dict(previous)
    old_p, new_p = set(old_m["period"]) - {ALL}, set(new_m["period"]) - {ALL}
    came = {q: set(new_m.loc[new_m["period"] == q, "month"]) for q in new_p - old_p}
    rename = {}
    for p in old_p - new_p:
        months = set(old_m.loc[old_m["period"] == p, "month"])
        into = [q for q, held in came.items() if months & held]
        if len(into) == 1 and months <= came[into[0]]:
            rename[p] = into[0]
    if not rename:
        return dict(previous)
    out = {}
    for kind, df in previous.items():
        if KINDS[kind].unit == "records" and "period" in df.columns:
            df = df.assign(period=df["period"].astype(object).replace(rename))
        out[kind] = df
    return out
