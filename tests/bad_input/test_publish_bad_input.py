"""Bad input to the publish room: every error names the place and what to do."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from trustsurvey.errors import PublishError
from trustsurvey.publish import DisclosurePolicy, read_bundle, write_bundle
from trustsurvey.publish.normalize import normalize_table

META = {"study": "s"}


def ss(**cols) -> pd.DataFrame:
    base = {"community": ["a", "b"], "arm": ["pilot", "pilot"], "wave": [1, 1], "n": [40, 50]}
    base.update(cols)
    return pd.DataFrame(base)


@pytest.mark.parametrize(
    ("table", "match"),
    [
        (ss(n=["forty", "50"]), "non-numeric"),
        (ss(n=[-1, 50]), "whole unweighted counts"),
        (ss(n=[40.5, 50]), "whole unweighted counts"),
        (ss(wave=["first", "first"]), "wave codes"),
        (ss(community=["a", "a"]), "duplicated"),
        (pd.DataFrame({"community": ["a"], "n": [40]}), "lacks required columns: wave"),
    ],
)
def test_bad_tables_are_refused_with_a_hint(table, match):
    with pytest.raises(PublishError, match=match) as err:
        normalize_table("sample_sizes", table)
    assert err.value.hint


def test_unknown_kind_and_non_frames(tmp_path):
    with pytest.raises(PublishError, match="unknown table kind 'maps'"):
        write_bundle({"maps": ss()}, tmp_path, study_meta=META)
    with pytest.raises(PublishError, match="not a DataFrame"):
        write_bundle({"sample_sizes": [{"n": 3}]}, tmp_path, study_meta=META)
    with pytest.raises(PublishError, match="no tables"):
        write_bundle({"did": None}, tmp_path, study_meta=META)


def test_study_meta_must_name_the_study(tmp_path):
    with pytest.raises(PublishError, match="study_meta must name the study"):
        write_bundle({"sample_sizes": ss()}, tmp_path, study_meta={})


@pytest.mark.parametrize(
    "settings", [{"min_cell": 0}, {"max_cv": -1}, {"protection_share": 1.5}, {"min_cell": "x"}]
)
def test_bad_policy(settings):
    with pytest.raises(PublishError, match=r"item publish\.") as err:
        DisclosurePolicy.from_settings(settings)
    assert err.value.hint


def test_margin_smaller_than_its_parts_is_reported(tmp_path):
    table = pd.DataFrame(
        {
            "community": ["a", "b", "all"],
            "arm": ["pilot", "pilot", "pilot"],
            "wave": [1, 1, 1],
            "n": [10, 80, 50],
        }
    )
    with pytest.raises(PublishError, match="parts add up to 90"):
        write_bundle({"sample_sizes": table}, tmp_path, study_meta=META)


def test_not_a_bundle(tmp_path):
    with pytest.raises(PublishError, match=r"no manifest\.json"):
        read_bundle(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(PublishError, match="not valid JSON"):
        read_bundle(tmp_path)
    (tmp_path / "manifest.json").write_text('{"format": "other"}')
    with pytest.raises(PublishError, match="not a trustsurvey bundle"):
        read_bundle(tmp_path)


def test_missing_table_file(tmp_path):
    path = write_bundle({"sample_sizes": ss()}, tmp_path, study_meta=META)
    (path / "sample_sizes.parquet").unlink()
    with pytest.raises(PublishError, match="missing") as err:
        read_bundle(path)
    assert "sample_sizes.parquet" in str(err.value)


def test_cli_reports_a_bad_bundle_in_one_line(tmp_path):
    for args in (["dashboard", str(tmp_path)], ["publish", "audit", str(tmp_path)]):
        run = subprocess.run(
            [sys.executable, "-m", "trustsurvey", *args], capture_output=True, text=True
        )
        assert run.returncode == 2, run.stderr
        lines = [ln for ln in run.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and "no manifest.json" in lines[0] and "What to do" in lines[0]


def test_cli_rejects_an_unknown_language(tmp_path):
    path = write_bundle({"sample_sizes": ss()}, tmp_path, study_meta=META)
    run = subprocess.run(
        [sys.executable, "-m", "trustsurvey", "dashboard", str(path), "--lang", "fr"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2 and "use uk or en" in run.stderr
