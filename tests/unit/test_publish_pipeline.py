"""``trustsurvey run`` ends with the ``publish`` step: the example study's bundle and report.

The example study is generated and run once (module fixture); the tests read what the run
wrote, as a user would.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from trustsurvey.publish import audit_bundle, read_bundle
from trustsurvey.publish.schema import ALL


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from trustsurvey.example import generate_example
    from trustsurvey.run.pipeline import run_study

    folder = generate_example(tmp_path_factory.mktemp("pub") / "study")
    return run_study(folder, echo=lambda s: None)


@pytest.fixture(scope="module")
def bundle(run):
    return read_bundle(run.study.out_dir / "bundle")


def test_publish_is_the_last_step():
    from trustsurvey.run.pipeline import STEPS

    assert STEPS[-1].name == "publish"


def test_bundle_holds_every_kind_the_run_produces(run, bundle):
    expected = {
        "estimates", "likert", "did", "problems", "focus_groups", "sample_sizes", "weighting",
        "quality", "programme_activities", "programme_timeline", "programme_intensity",
        "appeals", "appeals_monthly", "resolution", "training", "dose_response", "dose_fit",
        "nonresponse_bounds",
        "small_area",
    }  # fmt: skip
    assert set(bundle.tables) == expected
    assert (run.study.out_dir / "report.html").stat().st_size > 0
    assert (run.study.out_dir / "tables.xlsx").stat().st_size > 0


def test_manifest_names_the_study_its_waves_and_policy(run, bundle):
    m = bundle.manifest
    assert m["study"] == run.study.name
    assert m["title"]["en"] == run.study.title["en"]
    assert [w["code"] for w in m["waves"]] == [w.code for w in run.study.waves]
    assert m["policy"]["min_cell"] == run.study.publish.min_cell
    assert m["policy"]["max_cv"] == run.study.publish.max_cv
    assert m["questionnaire_hash"]


def test_did_in_the_bundle_is_the_analysis_did(run, bundle):
    did = pd.read_parquet(run.study.out_dir / "analysis" / "did.parquet")
    pub = bundle.tables["did"].set_index(["outcome", "contrast"])
    for r in did.dropna(subset=["estimate"]).itertuples():
        got = pub.loc[(r.outcome, r.model)]
        assert got["estimate"] == pytest.approx(r.estimate)
        assert got["ci_low"] == pytest.approx(r.ci_low)


def test_estimates_cover_community_arm_wave_and_subgroups(run, bundle):
    est = bundle.tables["estimates"]
    com = est[(est["community"] != ALL) & (est["subgroup"] == ALL)]
    analysis = pd.read_parquet(run.study.out_dir / "analysis.parquet")
    assert set(com["community"]) == set(analysis["community"].dropna().astype(str))
    assert {"pilot", "control"} <= set(est["arm"])
    assert {"sex", "agegrp"} <= set(est["subgroup"])
    shown = est[~est["suppressed"]]
    withheld = shown["n"].isna()  # the mean stays, its n alone would reveal a suppressed cell
    assert (shown.loc[withheld, "suppression_reason"] == "n_withheld").all()
    assert shown.loc[withheld, "estimate"].notna().all()
    assert (shown.loc[~withheld, "n"] >= bundle.policy.min_cell).all()
    assert (shown["ci_low"] <= shown["estimate"]).all()


def test_likert_keeps_difficult_to_answer(bundle):
    lik = bundle.tables["likert"]
    assert lik["dont_know"].any()
    g = lik.groupby(["outcome", "arm", "wave"])
    total, hidden = g["share"].sum(), g["suppressed"].any()
    assert total[~hidden].to_numpy() == pytest.approx(1.0, abs=1e-6)  # "difficult" included
    assert (total[hidden] < 1.0).all()  # suppressed answers are blank, not renormalised


def test_no_personal_data_or_respondent_rows(run, bundle):
    q = run.study.questionnaire
    banned = {n.lower() for n in q.pii_items} | {"phone"}
    n_resp = len(pd.read_parquet(run.study.out_dir / "analysis.parquet"))
    for kind, df in bundle.tables.items():
        assert len(df) < n_resp / 2, kind
        assert not any("phone" in c.lower() for c in df.columns), kind
        for col in df.select_dtypes(exclude="number").columns:
            values = {str(v).lower() for v in df[col].dropna().unique()}
            assert not values & banned, (kind, col)
    labels = bundle.manifest["labels"]
    for kind in ("outcome", "category"):
        assert not set(labels.get(kind, {})) & banned, kind  # not even their labels
    assert "phone" in q.pii_items  # the example does have a PII item to keep out
    raw = b"".join(p.read_bytes() for p in Path(bundle.path).glob("*.parquet"))
    assert b"phone" not in raw.lower()


def test_programme_tables_have_no_notes_or_callers(bundle):
    for kind in ("programme_activities", "appeals", "appeals_monthly", "resolution"):
        cols = " ".join(bundle.tables[kind].columns).lower()
        assert "note" not in cols and "caller" not in cols and "id" not in cols.split()


def test_small_appeal_counts_are_suppressed_and_the_bundle_passes_the_audit(bundle):
    ap = bundle.tables["appeals"]
    assert ap["suppressed"].any()
    assert ap.loc[ap["suppressed"], "n"].isna().all()
    assert (ap.loc[~ap["suppressed"], "n"] >= bundle.policy.threshold("appeals")).all()
    audit = audit_bundle(bundle.path)  # exact LP bounds; raises if a cell is exposed
    assert not audit["exposed"].any()


def test_a_failed_publish_leaves_the_previous_bundle(run, bundle, monkeypatch):
    from trustsurvey.errors import PublishError
    from trustsurvey.run import steps_publish

    before = (Path(bundle.path) / "manifest.json").read_bytes()
    collect = steps_publish.collect_tables

    def broken(ctx):
        tables = collect(ctx)
        tables["estimates"] = [pd.DataFrame({"outcome": ["x"], "wave": [1], "phone": [1]})]
        return tables

    monkeypatch.setattr(steps_publish, "collect_tables", broken)
    with pytest.raises(PublishError):
        steps_publish.run_publish(run)
    assert (Path(bundle.path) / "manifest.json").read_bytes() == before


# --- every weighted number of the bundle uses the run's final (raked) weights -------------


def _reread_kept(run, item: str, codes: list[int]) -> pd.DataFrame:
    """``wave`` and ``item`` with ``codes`` kept, read again from the cleaned waves (an
    independent path to the analysis frame's ``<item>__missing`` columns)."""
    frames = []
    for wave in run.study.waves:
        f = run.cleaned.data[wave.code].analysis(keep={item: codes})
        frames.append(pd.DataFrame({"wave": wave.code, item: f[item].to_numpy()}))
    return pd.concat(frames, ignore_index=True)


def _trust_answers(run):
    """Trust in police with "difficult to answer" kept, arm, wave and both kinds of weights."""
    frame = run.analysis
    kept = _reread_kept(run, "trust_police", [8])
    assert len(kept) == len(frame)  # the same respondents, in the same order
    return kept.assign(
        arm=frame["arm"].to_numpy(),
        final=run.design.weights.to_numpy(),
        design=frame[run.study.design.weights].to_numpy(),
    ).dropna(subset=["trust_police"])


def test_likert_shares_are_hand_computed_with_the_final_weights(run, bundle):
    answers = _trust_answers(run)
    lik = bundle.tables["likert"]
    lik = lik[(lik["outcome"] == "trust_police") & ~lik["suppressed"]]
    assert len(lik) >= 20
    largest_gap = 0.0
    for r in lik.itertuples():
        part = answers if r.arm == ALL else answers[answers["arm"] == r.arm]
        part = part[part["wave"] == r.wave]
        hit = part["trust_police"] == float(r.category)
        share = {w: part.loc[hit, w].sum() / part[w].sum() for w in ("final", "design")}
        assert r.share == pytest.approx(share["final"], abs=1e-12), r
        assert r.n == hit.sum()  # unweighted
        largest_gap = max(largest_gap, abs(share["final"] - share["design"]))
    assert largest_gap > 1e-3  # the raked weights do move the shares: the test can tell


def test_likert_share_weighted_mean_is_the_published_mean(bundle):
    """Sum of code x share over the substantive answers / their total share = the mean."""
    lik, est = bundle.tables["likert"], bundle.tables["estimates"]
    lik = lik[lik["outcome"] == "trust_police"]
    est = est[
        (est["outcome"] == "trust_police") & (est["community"] == ALL) & (est["subgroup"] == ALL)
    ].set_index(["arm", "wave"])["estimate"]
    checked = 0
    for (arm, wave), g in lik.groupby(["arm", "wave"]):
        if g["suppressed"].any():
            continue
        sub = g[~g["dont_know"]]
        mean = (sub["category"].astype(float) * sub["share"]).sum() / sub["share"].sum()
        assert mean == pytest.approx(est.loc[(arm, wave)], abs=1e-9), (arm, wave)
        checked += 1
    assert checked >= 3  # both arms and all, at least one wave each


def test_weighted_sample_sizes_sum_the_final_weights(run, bundle):
    ss = bundle.tables["sample_sizes"]
    frame = run.analysis.assign(_w=run.design.weights.to_numpy())
    for r in ss[(ss["community"] == ALL) & ~ss["suppressed"]].itertuples():
        part = frame[frame["wave"] == r.wave]
        part = part if r.arm == ALL else part[part["arm"] == r.arm]
        assert r.n_weighted == pytest.approx(part["_w"].sum(), rel=1e-12)
        assert r.n == len(part)


def test_problem_shares_are_hand_computed_with_the_final_weights(run, bundle):
    q = run.study.questionnaire
    cols = dict(zip(q.items["problems"].options, q.columns_for("problems"), strict=True))
    frame = run.analysis.assign(_w=run.design.weights.to_numpy())
    pr = bundle.tables["problems"]
    pr = pr[(pr["community"] == ALL) & (pr["arm"] != ALL) & ~pr["suppressed"]]
    checked = 0
    for r in pr.itertuples():
        col = cols[r.problem]
        part = frame[(frame["wave"] == r.wave) & (frame["arm"] == r.arm)].dropna(subset=[col])
        assert r.share == pytest.approx((part[col] * part["_w"]).sum() / part["_w"].sum()), r
        checked += 1
    assert checked >= 10


def test_nonresponse_bounds_are_the_library_bounds_with_the_final_weights(run, bundle):
    """Overall rows per wave: ``nonresponse_bounds`` on the run's weighted design, the
    non-answerers those whose answer is a dont_know / refused / missing code."""
    from trustsurvey.analysis import nonresponse_bounds
    from trustsurvey.run.nonresponse import NONANSWER_KINDS, scale_ends

    nb = bundle.tables["nonresponse_bounds"]
    q = run.study.questionnaire
    frame = run.design.data
    overall = nb[(nb["community"] == ALL) & (nb["arm"] == ALL) & ~nb["suppressed"]]
    assert set(overall["outcome"]) == {
        o for o in run.study.plan.outcomes if scale_ends(q, o) and f"{o}__missing" in frame.columns
    }
    for outcome, rows in overall.groupby("outcome"):
        low, high = scale_ends(q, outcome)
        codes = q.missing_codes_of_kind(outcome, *NONANSWER_KINDS)
        mine = nonresponse_bounds(
            run.design, outcome, low=low, high=high, by="wave",
            nonresponse=frame[f"{outcome}__missing"].isin(codes),
        ).set_index("wave")  # fmt: skip
        for row in rows.itertuples():
            expected = mine.loc[row.wave]
            for col in ("answered", "lower", "upper", "lower_se", "upper_se", "share_missing"):
                assert getattr(row, col) == pytest.approx(expected[col], rel=1e-9), col
            assert row.n_missing == expected["n"] - expected["n_answered"]
            assert row.lower < row.answered < row.upper
            assert (row.scale_low, row.scale_high) == (low, high)


def test_nonresponse_bounds_stand_only_beside_a_published_estimate(run, bundle):
    nb, est = bundle.tables["nonresponse_bounds"], bundle.tables["estimates"]
    keys = ["outcome", "community", "arm", "wave"]
    whole = est[(est["subgroup"] == ALL) & (est["level"] == ALL)]
    open_est = whole[~whole["suppressed"] & whole["suppression_reason"].isna()]
    shown = nb[~nb["suppressed"]]
    assert len(shown) > 0
    both = shown[keys].merge(open_est[keys], on=keys, how="left", indicator=True)
    assert (both["_merge"] == "both").all()
    assert (shown["n_missing"] >= run.study.publish.min_cell).all()
    assert nb.loc[nb["suppressed"], ["lower", "upper", "share_missing"]].isna().all().all()


@pytest.fixture(scope="module")
def protected(run):
    """The example's tables as the publish step protects them, by each method."""
    from trustsurvey.publish.bundle import normalized_tables
    from trustsurvey.publish.policy import DisclosurePolicy
    from trustsurvey.publish.suppression import protect_tables
    from trustsurvey.run.steps_publish import collect_tables, study_meta

    arms = study_meta(run, run.analysis).get("arms") or {}
    tables = normalized_tables(collect_tables(run), arms)
    out = {}
    for method in ("greedy", "optimal"):
        policy = DisclosurePolicy.from_settings(run.study.publish)
        policy = DisclosurePolicy(**{**policy.to_dict(), "suppression_method": method})
        out[method] = protect_tables({k: v.copy() for k, v in tables.items()}, policy)[0]
    return tables, out


def test_optimal_complements_are_the_default_and_cost_less_than_greedy(run, bundle, protected):
    from trustsurvey.publish.audit import audit_tables
    from trustsurvey.publish.loss import information_lost

    assert bundle.manifest["policy"]["suppression_method"] == "optimal"
    tables, out = protected
    greedy = information_lost(tables, out["greedy"])
    optimal = information_lost(tables, out["optimal"])
    assert greedy["complementary"] > 0  # the example needs complements at all
    assert optimal["suppressed"] <= greedy["suppressed"]
    assert optimal["info_lost"] < greedy["info_lost"]
    audit = audit_tables(out["optimal"], bundle.policy, exact=True)
    assert len(audit) and not audit["exposed"].any()


def test_optimal_complements_leave_the_sample_sizes_published(bundle, protected):
    """The greedy method protects every small cell without hiding a sample size, so a
    sample size hidden as a complement would be information lost for nothing: the totals
    a reader needs to judge every other table."""
    _, out = protected
    keys = ["community", "arm", "wave"]

    def hidden(df: pd.DataFrame) -> set[tuple]:
        rows = df[df["suppression_reason"] == "complementary"]
        return set(map(tuple, rows[keys].astype(str).to_numpy().tolist()))

    assert hidden(out["greedy"]["sample_sizes"]) == set()
    assert hidden(out["optimal"]["sample_sizes"]) == set()
    assert hidden(bundle.tables["sample_sizes"]) == set()
