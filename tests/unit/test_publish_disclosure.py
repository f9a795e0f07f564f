"""Disclosure control: primary and complementary suppression, and the LP audit."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from trustsurvey.errors import PublishError
from trustsurvey.publish import audit_bundle, write_bundle
from trustsurvey.publish.audit import audit_tables
from trustsurvey.publish.fixture import demo_bundle, synthetic_meta
from trustsurvey.publish.normalize import normalize_table
from trustsurvey.publish.policy import DisclosurePolicy
from trustsurvey.publish.schema import ALL
from trustsurvey.publish.suppression import protect_tables

POLICY = DisclosurePolicy()


def sizes(counts: dict[str, int], arms: dict[str, str]) -> pd.DataFrame:
    """A sample-size table with communities, arm margins and the grand total."""
    rows = [{"community": c, "arm": arms[c], "wave": 1, "n": n} for c, n in counts.items()]
    for arm in sorted(set(arms.values())):
        total = sum(n for c, n in counts.items() if arms[c] == arm)
        rows.append({"community": ALL, "arm": arm, "wave": 1, "n": total})
    rows.append({"community": ALL, "arm": ALL, "wave": 1, "n": sum(counts.values())})
    return normalize_table("sample_sizes", pd.DataFrame(rows))


ARMS = {"a": "pilot", "b": "pilot", "c": "pilot", "d": "control", "e": "control"}


def test_small_cells_are_blanked_with_a_reason():
    out, _ = protect_tables(
        {"sample_sizes": sizes(dict(a=12, b=80, c=95, d=60, e=70), ARMS)}, POLICY
    )
    ss = out["sample_sizes"].set_index("community")
    assert ss.at["a", "suppressed"] and ss.at["a", "suppression_reason"] == "small_cell"
    assert np.isnan(ss.at["a", "n"])


def test_a_lone_small_cell_gets_a_complement_so_the_margin_does_not_give_it_away():
    table = sizes(dict(a=12, b=80, c=95, d=60, e=70), ARMS)
    out, audit = protect_tables({"sample_sizes": table}, POLICY)
    ss = out["sample_sizes"]
    pilot = ss[(ss["arm"] == "pilot") & (ss["community"] != ALL)]
    assert pilot["suppressed"].sum() == 2
    comp = pilot[pilot["suppression_reason"] == "complementary"]["community"].tolist()
    assert comp == ["b"]  # the smallest part large enough to protect
    margin = ss[(ss["community"] == ALL) & (ss["arm"] == "pilot")]["n"].iloc[0]
    # margin minus what is published is the sum of two cells, not the small one
    assert margin - pilot["n"].sum() == 12 + 80
    assert not audit["exposed"].any()


def test_audit_recomputes_a_cell_left_without_complement():
    table = sizes(dict(a=12, b=80, c=95, d=60, e=70), ARMS)
    published = table.assign(suppressed=table["community"] == "a", suppression_reason=None)
    published.loc[published["suppressed"], "suppression_reason"] = "small_cell"
    published.loc[published["suppressed"], "n"] = np.nan
    audit = audit_tables({"sample_sizes": published}, POLICY)
    row = audit.iloc[0]
    assert (
        row["exposed"] and row["lower"] == pytest.approx(12) and row["upper"] == pytest.approx(12)
    )


def test_audit_catches_a_complement_too_small_to_protect():
    # a: 3 respondents, complemented by b with 31: a + b = 34, b >= 30 so a <= 4
    table = sizes(dict(a=3, b=31, c=95, d=60, e=70), ARMS)
    published = table.copy()
    published["suppressed"] = published["community"].isin(["a", "b"])
    published["suppression_reason"] = published["community"].map(
        {"a": "small_cell", "b": "complementary"}
    )
    published.loc[published["suppressed"], "n"] = np.nan
    audit = audit_tables({"sample_sizes": published}, POLICY).set_index("row")
    a = audit.loc[0]
    assert a["exposed"] and a["upper"] == pytest.approx(4) and a["lower"] == pytest.approx(0)
    # the writer picks a complement large enough (c, 95 >= 30 + 10), so the audit passes
    out, final = protect_tables({"sample_sizes": table}, POLICY)
    ss = out["sample_sizes"].set_index("community")
    assert ss.at["c", "suppression_reason"] == "complementary" and not ss.at["b", "suppressed"]
    assert not final["exposed"].any()


def test_shares_that_add_to_one_are_protected():
    rows = [
        {"outcome": "q", "wave": 1, "category": str(k), "order": k, "share": n / 300, "n": n}
        for k, n in enumerate([10, 100, 90, 100])
    ]
    likert = normalize_table("likert", pd.DataFrame(rows))
    out, audit = protect_tables({"likert": likert}, POLICY)
    lik = out["likert"]
    assert lik["suppressed"].sum() == 2
    shares = audit[audit["column"] == "share"]
    assert (shares["width"] >= POLICY.protection_share).all()
    # without the complement, 1 - sum(others) gives the share away exactly
    bare = likert.assign(suppressed=likert["category"] == "0", suppression_reason="small_cell")
    bare.loc[bare["suppressed"], ["share", "n"]] = np.nan
    res = audit_tables({"likert": bare}, POLICY)
    share = res[res["column"] == "share"].iloc[0]
    assert share["exposed"] and share["lower"] == pytest.approx(10 / 300, abs=1e-9)


def test_demo_bundle_passes_the_audit_across_tables():
    b = demo_bundle()
    result = audit_bundle(b.path)
    assert len(result) == b.manifest["disclosure"]["audited_cells"]
    assert not result["exposed"].any()
    assert set(result["table"]) >= {"estimates", "likert", "sample_sizes"}
    # every cell with fewer than 30 respondents is suppressed in every table
    for kind in ("estimates", "likert", "sample_sizes", "problems"):
        df = b.tables[kind]
        shown = df.loc[~df["suppressed"]]
        withheld = shown["suppression_reason"] == "n_withheld"
        assert (shown.loc[~withheld, "n"] >= 30).all()
        assert shown.loc[withheld, "n"].isna().all()
        if kind == "estimates":  # the means stay published, only their n is withheld
            assert withheld.sum() >= 10 and shown.loc[withheld, "estimate"].notna().all()
    # a DiD's n less the published overall n would give back a withheld overall n
    est, did = b.tables["estimates"], b.tables["did"]
    overall = est[(est["community"] == ALL) & (est["subgroup"] == ALL)]
    hidden = set(overall.loc[overall["n"].isna(), "outcome"])
    assert hidden and set(did.loc[did["n"].isna(), "outcome"]) == hidden
    assert did["estimate"].notna().all()


def test_a_bundle_edited_to_reveal_a_cell_fails_the_audit(tmp_path):
    b = demo_bundle()
    path = tmp_path / "bundle"
    path.mkdir()
    for f in b.path.iterdir():
        (path / f.name).write_bytes(f.read_bytes())
    ss = pd.read_parquet(path / "sample_sizes.parquet")
    comp = ss.index[ss["suppression_reason"] == "complementary"][0]
    ss.loc[comp, ["suppressed", "suppression_reason", "n"]] = [False, None, 230.0]
    ss.to_parquet(path / "sample_sizes.parquet", index=False)
    manifest = json.loads((path / "manifest.json").read_text())
    digest = hashlib.sha256((path / "sample_sizes.parquet").read_bytes()).hexdigest()
    manifest["tables"]["sample_sizes"]["sha256"] = digest
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(PublishError, match="can be recomputed"):
        audit_bundle(path)


def test_min_cell_comes_from_the_policy(tmp_path):
    table = sizes(dict(a=40, b=80, c=95, d=60, e=70), ARMS)
    path = write_bundle(
        {"sample_sizes": table}, tmp_path, study_meta=synthetic_meta(), policy={"min_cell": 50}
    )
    ss = pd.read_parquet(path / "sample_sizes.parquet").set_index("community")
    assert ss.at["a", "suppression_reason"] == "small_cell"
    assert json.loads((path / "manifest.json").read_text())["policy"]["min_cell"] == 50


def test_unreliable_estimates_are_flagged_not_hidden():
    est = normalize_table(
        "estimates",
        pd.DataFrame(
            {
                "outcome": ["x", "x"],
                "wave": [1, 1],
                "community": ["a", "b"],
                "estimate": [0.10, 0.50],
                "se": [0.05, 0.05],
                "n": [200, 200],
            }
        ),
    )
    out, _ = protect_tables({"estimates": est}, POLICY)
    e = out["estimates"].set_index("community")
    assert e.at["a", "unreliable"] and not e.at["b", "unreliable"]
    assert e.at["a", "cv"] == pytest.approx(0.5) and e.at["a", "estimate"] == pytest.approx(0.1)


def _mean_with_distribution(dont_know: int, extra: int = 0) -> dict[str, pd.DataFrame]:
    """One community-wave: a 1-5 item answered 1..5 by 40 each (answer 1 by ``extra`` more),
    plus ``dont_know`` who found it difficult to answer; the mean's n counts the
    substantive answers."""
    counts = {"1": 40 + extra, "2": 40, "3": 40, "4": 40, "5": 40, "8": dont_know}
    total = sum(counts.values())
    likert = pd.DataFrame(
        {
            "outcome": "trust",
            "community": "a",
            "arm": "pilot",
            "wave": 1,
            "category": list(counts),
            "order": range(len(counts)),
            "share": [n / total for n in counts.values()],
            "n": list(counts.values()),
            "dont_know": [c == "8" for c in counts],
        }
    )
    est = pd.DataFrame(
        {
            "outcome": ["trust"],
            "community": ["a"],
            "arm": ["pilot"],
            "wave": [1],
            "estimate": [3.0],
            "se": [0.1],
            "n": [200 + extra],
        }
    )
    ss = pd.DataFrame({"community": ["a"], "arm": ["pilot"], "wave": [1], "n": [total]})
    return {
        "estimates": normalize_table("estimates", est),
        "likert": normalize_table("likert", likert),
        "sample_sizes": normalize_table("sample_sizes", ss),
    }


def test_the_n_beside_a_mean_is_withheld_when_it_would_reveal_a_difficult_to_answer_count():
    tables = _mean_with_distribution(dont_know=9)
    out, audit = protect_tables(tables, POLICY)
    est = out["estimates"].iloc[0]
    assert not est["suppressed"] and est["suppression_reason"] == "n_withheld"
    assert est["estimate"] == 3.0 and np.isnan(est["n"])  # the mean stays, its n goes
    lik = out["likert"]
    assert lik.loc[lik["dont_know"], "suppression_reason"].iloc[0] == "small_cell"
    assert not audit["exposed"].any()
    # the same tables with the n put back give the small count away: 209 - 200 = 9
    leaky = {k: df.copy() for k, df in out.items()}
    leaky["estimates"].loc[0, ["n", "suppression_reason"]] = [200.0, None]
    res = audit_tables(leaky, POLICY)
    dk = res[(res["table"] == "likert") & (res["reason"] == "small_cell")].iloc[0]
    assert dk["exposed"] and dk["upper"] - dk["lower"] < POLICY.protection_interval


def test_the_n_beside_a_mean_stays_when_its_distribution_is_fully_published():
    out, _ = protect_tables(_mean_with_distribution(dont_know=45), POLICY)
    est = out["estimates"].iloc[0]
    assert est["n"] == 200 and pd.isna(est["suppression_reason"])


def test_appeal_counts_use_the_records_threshold():
    """Hotline appeals are records, not respondents: suppressed below ``min_records``."""
    rows = [
        {"community": c, "category": k, "period": "p1", "n": n}
        for c, k, n in [
            ("a", "rudeness", 4),
            ("a", "inaction", 12),
            ("b", "rudeness", 15),
            ("b", "inaction", 25),
        ]
    ]
    for k in ("rudeness", "inaction"):
        rows.append({"community": ALL, "category": k, "period": "p1", "n": 0})
    appeals = pd.DataFrame(rows)
    for k in ("rudeness", "inaction"):
        parts = appeals[(appeals["category"] == k) & (appeals["community"] != ALL)]["n"].sum()
        appeals.loc[(appeals["category"] == k) & (appeals["community"] == ALL), "n"] = parts
    out, audit = protect_tables({"appeals": normalize_table("appeals", appeals)}, POLICY)
    got = out["appeals"].set_index(["community", "category"])
    assert got.at[("a", "rudeness"), "suppression_reason"] == "small_cell"  # 4 < 10
    assert not got.at[("a", "inaction"), "suppressed"]  # 12: shown, though < min_cell 30
    assert got["suppressed"].sum() >= 2  # with a complement
    assert not audit["exposed"].any()
    small = audit[audit["reason"] == "small_cell"].iloc[0]
    assert small["upper"] <= POLICY.min_records - 1  # the intruder knows it is below 10


def test_an_update_keeps_hidden_what_the_last_release_hid():
    """One respondent joins a small cell (29 -> 30). Published alone, the update shows it and
    its complement, and the two releases together give the old small cell back exactly
    (old margin 204 - old c 95 - new b 80 = 29). With the last release passed as
    ``previous`` both stay hidden, and the old small cell does not read "complementary" (at
    least 30): beside the old "small_cell" (below 30) and the one respondent more that the
    margins show, that label alone would give the 29 back."""
    old, _ = protect_tables({"sample_sizes": sizes(dict(a=29, b=80, c=95), ARMS3)}, POLICY)
    old_ss = old["sample_sizes"].set_index("community")
    assert old_ss.at["a", "suppression_reason"] == "small_cell"
    assert old_ss.at["b", "suppression_reason"] == "complementary"

    update = {"sample_sizes": sizes(dict(a=30, b=80, c=95), ARMS3)}
    alone, _ = protect_tables(update, POLICY)
    assert not alone["sample_sizes"]["suppressed"].any()  # the leak without `previous`
    kept, audit = protect_tables(update, POLICY, previous=old)
    ss = kept["sample_sizes"].set_index("community")
    assert ss.loc[["a", "b"], "suppression_reason"].tolist() == [
        "previous_release",
        "complementary",
    ]
    assert not ss.at["c", "suppressed"] and not audit["exposed"].any()


def test_an_update_lifts_the_old_pattern_where_the_sample_moved_by_the_interval():
    """Old release: 29 found it difficult to answer (hidden, with a complement and the n of
    the mean). One more such answer: the old pattern stays. Eleven more respondents in the
    community: differencing the releases leaves an interval of 11, so it is lifted."""
    old, _ = protect_tables(_mean_with_distribution(dont_know=29), POLICY)
    assert old["likert"]["suppressed"].sum() == 2
    assert old["estimates"].at[0, "suppression_reason"] == "n_withheld"

    one_more, _ = protect_tables(_mean_with_distribution(dont_know=30), POLICY, previous=old)
    reasons = one_more["likert"]["suppression_reason"].tolist()
    assert reasons.count("complementary") == reasons.count("previous_release") == 1
    assert one_more["estimates"].at[0, "suppression_reason"] == "n_withheld"

    moved, _ = protect_tables(_mean_with_distribution(dont_know=30, extra=10), POLICY, previous=old)
    assert not moved["likert"]["suppressed"].any()
    assert moved["estimates"].at[0, "n"] == 210


ARMS3 = {"a": "pilot", "b": "pilot", "c": "pilot"}


def test_a_previous_bundle_of_another_study_is_refused(tmp_path):
    from trustsurvey.publish.fixture import SYNTHETIC_META, synthetic_tables

    tables = synthetic_tables()
    first = write_bundle(tables, tmp_path / "one", study_meta=SYNTHETIC_META)
    other = dict(SYNTHETIC_META, study="another-study")
    with pytest.raises(PublishError, match="previous bundle is of study") as err:
        write_bundle(tables, tmp_path / "two", study_meta=other, previous=first)
    assert "publish.previous_bundle" in str(err.value)
    again = write_bundle(tables, tmp_path / "three", study_meta=SYNTHETIC_META, previous=first)
    same = [pd.read_parquet(p / "likert.parquet")["suppressed"] for p in (first, again)]
    assert same[0].equals(same[1])  # the same data: the same pattern
