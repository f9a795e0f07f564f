"""Bundle format: write, read, checksums, atomic replacement, pipeline entry, report."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from trustsurvey.errors import PublishError
from trustsurvey.publish import publish_study_results, read_bundle, write_bundle
from trustsurvey.publish.fixture import demo_bundle, synthetic_meta, synthetic_tables
from trustsurvey.publish.report import write_report
from trustsurvey.publish.schema import ALL


@pytest.fixture(scope="module")
def all_tables() -> dict[str, pd.DataFrame]:
    return synthetic_tables()


@pytest.fixture(scope="module")
def tables(all_tables) -> dict[str, pd.DataFrame]:
    """A few kinds, enough for the format tests (disclosure control is tested elsewhere)."""
    return {k: all_tables[k] for k in ("sample_sizes", "quality", "weighting", "focus_groups")}


def test_manifest_describes_every_table_with_its_checksum():
    b = demo_bundle()
    m = b.manifest
    assert m["study"] == "synthetic"
    assert [w["code"] for w in m["waves"]] == [1, 2]
    assert m["questionnaire_hash"] == "sha256:synthetic"
    assert m["software"]["trustsurvey"]
    assert re.match(r"\d{4}-\d\d-\d\dT", m["created"])
    assert m["policy"]["min_cell"] == 30 and m["policy"]["max_cv"] == 0.3
    assert set(m["tables"]) == set(synthetic_tables())
    for kind, entry in m["tables"].items():
        file = b.path / entry["file"]
        assert hashlib.sha256(file.read_bytes()).hexdigest() == entry["sha256"]
        assert entry["rows"] == len(b.tables[kind])
        assert list(entry["schema"]) == list(b.tables[kind].columns)


def test_round_trip_keeps_published_numbers(all_tables):
    b = demo_bundle()
    ss_in = all_tables["sample_sizes"].set_index(["community", "arm", "wave"])["n"]
    ss = b.tables["sample_sizes"]
    shown = ss[~ss["suppressed"]].set_index(["community", "arm", "wave"])["n"]
    assert (shown == ss_in.loc[shown.index]).all()
    assert ss["suppressed"].any()  # boyarka wave 2 has 25 respondents


def test_tampered_table_is_refused(tmp_path, tables):
    path = write_bundle(tables, tmp_path, study_meta=synthetic_meta())
    df = pd.read_parquet(path / "sample_sizes.parquet")
    df.loc[0, "n"] = df.loc[0, "n"] + 1
    df.to_parquet(path / "sample_sizes.parquet", index=False)
    with pytest.raises(PublishError, match="checksum mismatch"):
        read_bundle(path)


def test_failed_write_leaves_previous_bundle_intact(tmp_path, tables, monkeypatch):
    path = write_bundle(tables, tmp_path, study_meta=synthetic_meta())
    before = (path / "manifest.json").read_bytes()
    bad = dict(tables, quality=tables["quality"].assign(respondent_id=1))
    with pytest.raises(PublishError):
        write_bundle(bad, tmp_path, study_meta=synthetic_meta())
    # a failure while the files are being written (disk full) must not touch it either
    calls = {"n": 0}
    real = pd.DataFrame.to_parquet

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", flaky)
    with pytest.raises(PublishError, match="previous bundle is unchanged"):
        write_bundle(tables, tmp_path, study_meta=synthetic_meta())
    assert (path / "manifest.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]
    read_bundle(path)


def test_second_write_replaces_the_bundle(tmp_path, tables):
    write_bundle(tables, tmp_path, study_meta=synthetic_meta())
    path = write_bundle(
        {"sample_sizes": tables["sample_sizes"]}, tmp_path, study_meta=synthetic_meta()
    )
    assert sorted(p.name for p in path.iterdir()) == ["manifest.json", "sample_sizes.parquet"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]


def test_publish_study_results_takes_whatever_exists(tmp_path, all_tables):
    # as SurveyDesign.mean(..., by=["arm", "wave"]) returns it: grouping in the index,
    # the outcome in "variable"
    est = all_tables["estimates"]
    by_arm = est[(est["community"] == ALL) & est["subgroup"].isna()]
    by_arm = by_arm.drop(columns=["community", "subgroup", "level"])
    by_arm = by_arm.rename(columns={"outcome": "variable"}).set_index(["arm", "wave"])
    by_sex = est[(est["community"] == ALL) & (est["subgroup"] == "sex")]
    by_sex = by_sex.rename(columns={"level": "sex"}).drop(columns=["community", "subgroup"])
    path = publish_study_results(
        {"estimates": [by_arm, by_sex], "did": None, "likert": None},
        tmp_path,
        study_meta=synthetic_meta(),
        policy={"min_cell": 300, "max_cv": 0.03},
    )
    b = read_bundle(path)
    assert sorted(b.tables) == ["estimates"]
    out = b.tables["estimates"]
    assert set(out["subgroup"]) == {ALL, "sex"}
    assert set(out.loc[out["subgroup"] == "sex", "level"]) == {"female", "male"}
    assert b.policy.min_cell == 300
    assert (out["community"] == ALL).all()
    small = out[out["suppression_reason"] == "small_cell"]
    assert len(small) and (by_sex["n"] < 300).sum() + (by_arm["n"] < 300).sum() == len(small)
    shown = out[~out["suppressed"]]
    flagged = shown["se"] / shown["estimate"].abs() > 0.03
    assert flagged.any() and (shown["unreliable"] == flagged).all()
    assert shown.loc[flagged, "estimate"].notna().all()  # flagged, not hidden


def test_report_is_self_contained_and_bilingual(tmp_path):
    b = demo_bundle()
    html_path, xlsx_path = write_report(b, tmp_path)
    text = html_path.read_text(encoding="utf-8")
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=['\"]?https?://", text)
    assert text.count("Plotly.newPlot") >= 4
    assert "Довіра до поліції" in text and "Trust in police" in text
    assert "fewer than 30 respondents" in text and "менше ніж 30 респондентів" in text
    wb = openpyxl.load_workbook(xlsx_path)
    assert set(wb.sheetnames) == set(b.tables)
    header = [c.value for c in next(wb["estimates"].iter_rows(max_row=1))]
    assert "outcome_uk" in header and "outcome_en" in header


def test_report_neutralises_formula_labels(tmp_path, tables):
    meta = synthetic_meta()
    meta["labels"] = json.loads(json.dumps(meta["labels"]))
    meta["labels"]["community"]["bucha"] = {"uk": "=HYPERLINK(1)", "en": "@SUM(A1)"}
    path = write_bundle(tables, tmp_path, study_meta=meta)
    _, xlsx_path = write_report(path, tmp_path / "rep")
    ws = openpyxl.load_workbook(xlsx_path)["sample_sizes"]
    values = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert "'=HYPERLINK(1)" in values and "'@SUM(A1)" in values
    assert not any(v.startswith(("=", "@", "+", "-")) for v in values)


def test_bundle_path_may_be_the_manifest(tmp_path):
    b = demo_bundle()
    assert read_bundle(Path(b.path) / "manifest.json").study == "synthetic"


def test_labels_and_exclusions_come_from_the_questionnaire():
    from trustsurvey.publish import meta_from_questionnaire
    from trustsurvey.questionnaire import instrument_path, load_questionnaire

    q = load_questionnaire(instrument_path("police_trust_core"))
    meta = meta_from_questionnaire(q)
    assert meta["pii_items"] == q.pii_items
    for name, item in q.items.items():
        if name in meta["pii_items"] or name in meta["free_text_items"]:
            assert name not in meta["labels"]["outcome"]  # not even its label is published
        elif item.text:
            assert meta["labels"]["outcome"][name]["uk"] == item.text.get("uk")
        for code, text in item.missing.items():
            assert meta["labels"]["category"][name][str(code)]["en"] == text.get("en")


def test_dataframe_attrs_never_reach_the_bundle(tmp_path):
    """``attrs`` (here a covariance matrix and a respondent list) would be written into the
    Parquet metadata; the writer drops them and pandas' concat no longer trips on arrays."""
    import numpy as np
    import pyarrow.parquet as pq

    from trustsurvey.publish.fixture import SYNTHETIC_META, synthetic_tables

    tables = synthetic_tables()
    tables["estimates"].attrs.update(cov=np.eye(2), respondents=["resp-0001", "resp-0002"])
    path = write_bundle(tables, tmp_path / "b", study_meta=SYNTHETIC_META)
    meta = pq.read_metadata(path / "estimates.parquet").metadata or {}
    assert not any(b"resp-0001" in v for v in meta.values())
    assert read_bundle(path).tables["estimates"].attrs == {}
