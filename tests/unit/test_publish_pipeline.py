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
    from trustsurvey.study.pipeline import run_study

    folder = generate_example(tmp_path_factory.mktemp("pub") / "study")
    return run_study(folder, echo=lambda s: None)


@pytest.fixture(scope="module")
def bundle(run):
    return read_bundle(run.study.out_dir / "bundle")


def test_publish_is_the_last_step():
    from trustsurvey.study.pipeline import STEPS

    assert STEPS[-1].name == "publish"


def test_bundle_holds_every_kind_the_run_produces(run, bundle):
    expected = {
        "estimates", "likert", "did", "problems", "focus_groups", "sample_sizes", "weighting",
        "quality", "programme_activities", "programme_timeline", "programme_intensity",
        "appeals", "appeals_monthly", "resolution", "training", "dose_response", "dose_fit",
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
    assert (shown["n"] >= bundle.policy.min_cell).all()
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
    assert (ap.loc[~ap["suppressed"], "n"] >= bundle.policy.min_cell).all()
    audit = audit_bundle(bundle.path)  # exact LP bounds; raises if a cell is exposed
    assert not audit["exposed"].any()


def test_a_failed_publish_leaves_the_previous_bundle(run, bundle, monkeypatch):
    from trustsurvey.errors import PublishError
    from trustsurvey.study import steps_publish

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
