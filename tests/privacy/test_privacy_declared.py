"""Leaks through what the audit did not model: a monthly series adding up to a suppressed
period count, and the order of suppressed rows following their hidden values.

The intruder here reads the written bundle (every table) and solves its own linear
programmes (``scipy.optimize.linprog``): the months of a period add up to the period's count
over all communities, the periods of a category to the category's appeals in the
time-to-resolution table, communities to their margin; a small count holds ``0 ..
min_records - 1`` appeals, a complementary one at least ``min_records``. Every suppressed
count must keep an interval at least ``min(protection_interval, min_records - 1)`` wide.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from trustsurvey.errors import PublishError
from trustsurvey.publish import read_bundle, write_bundle
from trustsurvey.publish.fixture import synthetic_meta, synthetic_tables
from trustsurvey.publish.schema import ALL, KINDS

COMMUNITIES = ("a", "b", "c", "d", "e")
CATEGORIES = ("rudeness", "corruption", "gratitude", "information")
PERIODS = {
    "before_wave_1": ("2019-01", "2019-02", "2019-03"),
    "between_waves_1_2": ("2019-03", "2019-04", "2019-05", "2019-06", "2019-07"),
    "after_wave_2": ("2019-08", "2019-09", "2019-10"),
}


def hotline_records(seed: int) -> pd.DataFrame:
    """Simulated appeals (in memory): community, category, period, month; one category is
    rare, so its period counts over all communities are small cells."""
    rng = np.random.default_rng(seed)
    rows = []
    for period, months in PERIODS.items():
        for month in months:
            for cat in CATEGORIES:
                rate = 0.35 if cat == "corruption" else 3.0
                for com in COMMUNITIES:
                    rows += [(com, cat, period, month)] * int(rng.poisson(rate))
    return pd.DataFrame(rows, columns=["community", "category", "period", "month"])


def hotline_tables(records: pd.DataFrame) -> dict[str, object]:
    """The programme step's appeal tables, aggregated as ``trustsurvey run`` does."""
    cc = records.groupby(["community", "category", "period"], as_index=False).size()
    cc = cc.rename(columns={"size": "n"})
    by_month = records.groupby(["month", "period", "category"], as_index=False).size()
    if "period" not in KINDS["appeals_monthly"].keys:  # a schema with a series by month only
        by_month = by_month.groupby(["month", "category"], as_index=False)["size"].sum()
    resolution = records.groupby("category", as_index=False).size().rename(columns={"size": "n"})
    return {
        "appeals": [
            cc,
            cc.groupby(["category", "period"], as_index=False)["n"].sum(),
            cc.groupby(["community", "period"], as_index=False)["n"].sum(),
        ],
        "appeals_monthly": by_month.rename(columns={"size": "n"}),
        "resolution": resolution.assign(median_days=12.0),
    }


def attack(bundle, months: pd.DataFrame | None = None) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """Bounds on every suppressed appeal count from the published tables: communities add up
    to their margin, categories to theirs, the months of a period to the period (the month's
    period is in the table, or public through the waves' dates: ``months``), and the periods
    of a category to its appeals in the time-to-resolution table."""
    policy = bundle.policy
    thr = policy.min_records
    ap, mo = bundle.tables["appeals"], bundle.tables["appeals_monthly"]
    res = bundle.tables.get("resolution")
    cells: dict[tuple, tuple[float, str]] = {}  # (table, keys) -> (value or nan, reason)
    for r in ap.itertuples():
        cells[("appeals", r.community, r.category, r.period)] = (r.n, r.suppression_reason)
    if "period" not in mo:  # a series by month only: the waves' dates say the period
        mo = mo.merge(months, on="month", how="left")
    reason_m = mo["suppression_reason"] if "suppression_reason" in mo else [None] * len(mo)
    for r, why in zip(mo.itertuples(), reason_m, strict=True):
        cells[("monthly", r.month, r.category, r.period)] = (r.n, why)
    if res is not None:
        for r in res[(res["arm"] == ALL) & (res["period"] == ALL)].itertuples():
            cells[("resolution", r.category)] = (r.n, getattr(r, "suppression_reason", None))
    unknown = [k for k, (v, _) in cells.items() if pd.isna(v)]
    pos = {k: j for j, k in enumerate(unknown)}
    eqs: list[tuple[dict[int, float], float]] = []

    def relation(parent: tuple, children: list[tuple]) -> None:
        children = [c for c in children if c in cells]
        if parent not in cells or not children:
            return
        coef: dict[int, float] = {}
        rhs = 0.0
        for key, sign in [(parent, -1.0)] + [(c, 1.0) for c in children]:
            if key in pos:
                coef[pos[key]] = coef.get(pos[key], 0.0) + sign
            else:
                rhs -= sign * cells[key][0]
        if coef:
            eqs.append((coef, rhs))

    communities = sorted(set(ap["community"]) - {ALL})
    categories = sorted(set(ap["category"]) - {ALL})
    periods = sorted(set(ap["period"]) - {ALL})
    month_of = mo.groupby(["category", "period"])["month"].apply(list).to_dict()
    for period in periods:
        for cat in categories:
            total = ("appeals", ALL, cat, period)
            relation(total, [("appeals", c, cat, period) for c in communities])
            relation(total, [("monthly", m, cat, period) for m in month_of.get((cat, period), [])])
        for com in communities:
            relation(
                ("appeals", com, ALL, period), [("appeals", com, c, period) for c in categories]
            )
    for cat in categories:
        relation(("resolution", cat), [("appeals", ALL, cat, p) for p in periods])
    a_eq = np.zeros((len(eqs), len(unknown)))
    for i, (coef, _) in enumerate(eqs):
        for j, v in coef.items():
            a_eq[i, j] = v
    b_eq = np.array([rhs for _, rhs in eqs])
    bounds = [
        (0.0, thr - 1.0) if cells[k][1] == "small_cell" else (float(thr), None) for k in unknown
    ]
    out = []
    for k, j in pos.items():
        ends = []
        for sign in (1.0, -1.0):
            c = np.zeros(len(unknown))
            c[j] = sign
            r = linprog(
                c,
                A_eq=a_eq if len(eqs) else None,
                b_eq=b_eq if len(eqs) else None,
                bounds=bounds,
                method="highs",
            )
            assert r.status in (0, 3), r.message
            ends.append(sign * r.fun if r.status == 0 else np.inf)
        out.append({"cell": k, "lower": ends[0], "upper": ends[1]})
    return pd.DataFrame(out)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_monthly_series_does_not_add_up_to_a_suppressed_period(tmp_path, seed) -> None:
    records = hotline_records(seed)
    meta = {"study": "hotline"}
    bundle = read_bundle(write_bundle(hotline_tables(records), tmp_path, study_meta=meta))
    months = records[["month", "period"]].drop_duplicates("month")
    bounds = attack(bundle, months)
    ap = bundle.tables["appeals"]
    assert ((ap["community"] == ALL) & (ap["suppression_reason"] == "small_cell")).any()
    policy = bundle.policy
    need = min(policy.protection_interval, policy.min_records - 1)
    exposed = bounds[bounds["upper"] - bounds["lower"] < need - 1e-9]
    assert exposed.empty, exposed.to_string()
    # what is published is true
    mo = bundle.tables["appeals_monthly"]
    shown = mo[~mo["suppressed"]]
    truth = records.groupby(["month", "period", "category"]).size()
    for r in shown.itertuples():
        assert r.n == truth[(r.month, r.period, r.category)]


def test_a_monthly_series_without_its_period_cannot_be_published(tmp_path) -> None:
    tables = hotline_tables(hotline_records(1))
    tables["appeals_monthly"] = tables["appeals_monthly"].drop(columns=["period"])
    with pytest.raises(PublishError, match="period"):
        write_bundle(tables, tmp_path, study_meta={"study": "hotline"})


def _permuted_hidden_problems(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The same study with the problem shares of its small community-wave permuted (rows
    re-ranked by share, as an analysis would write them)."""
    out = dict(tables)
    pr = tables["problems"].copy()
    small = pr["n"] < 30
    assert small.any()
    parts = []
    for _, g in pr.groupby(["community", "arm", "wave"], sort=False):
        if g["n"].iloc[0] < 30:
            g = g.assign(share=g["share"].to_numpy()[::-1])
            g = g.sort_values("share", ascending=False).assign(rank=np.arange(1, len(g) + 1))
        parts.append(g)
    out["problems"] = pd.concat(parts, ignore_index=True)
    return out


def test_order_of_suppressed_problems_follows_published_keys_only(tmp_path) -> None:
    """Changing a suppressed community's hidden shares changes nothing published, not even
    the order of its rows."""
    tables = synthetic_tables()
    a = read_bundle(write_bundle(tables, tmp_path / "a", study_meta=synthetic_meta()))
    b = read_bundle(
        write_bundle(_permuted_hidden_problems(tables), tmp_path / "b", study_meta=synthetic_meta())
    )
    pa, pb = a.tables["problems"], b.tables["problems"]
    assert pa["suppressed"].any()
    pd.testing.assert_frame_equal(pa, pb)
    for _, g in pa[pa["suppressed"]].groupby(["community", "arm", "wave"]):
        assert list(g["problem"]) == sorted(g["problem"])  # by the published code


def test_a_table_kind_without_declared_relations_cannot_be_published(tmp_path, monkeypatch) -> None:
    tables = synthetic_tables()
    undeclared = dataclasses.replace(KINDS["problems"], links=None)
    monkeypatch.setitem(KINDS, "problems", undeclared)
    with pytest.raises(PublishError, match="declare") as err:
        write_bundle(tables, tmp_path, study_meta=synthetic_meta())
    assert err.value.item == "problems"
    monkeypatch.setitem(KINDS, "problems", dataclasses.replace(undeclared, links=()))
    with pytest.raises(PublishError, match="declare"):  # no links and no reason why
        write_bundle(tables, tmp_path, study_meta=synthetic_meta())


def test_every_kind_declares_its_relations_and_blanks_what_reveals_its_count() -> None:
    for kind, spec in KINDS.items():
        assert spec.declared, kind
        assert set(spec.derived) <= set(spec.blank), kind
        for link in spec.links or ():
            assert KINDS[link.parent].count, (kind, link.parent)
            assert set(link.on) <= set(spec.keys) & set(KINDS[link.parent].keys), kind
        if spec.count:
            assert set(spec.row_order) <= set(spec.keys) | set(spec.values), kind
            assert not set(spec.row_order) & (set(spec.blank) - {"rank"}), kind


def test_a_policy_that_hides_every_count_names_the_table_and_what_to_relax(tmp_path) -> None:
    tables = synthetic_tables()
    with pytest.raises(PublishError) as err:
        write_bundle(tables, tmp_path, study_meta=synthetic_meta(), policy={"min_cell": 10**6})
    msg = str(err.value)
    assert "min_cell" in msg and err.value.item in tables
    assert "lower publish.min_cell" in (err.value.hint or "")
