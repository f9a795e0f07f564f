"""Nothing but aggregates enters a bundle: PII, free text, respondent-level tables."""

from __future__ import annotations

import pandas as pd
import pytest

from trustsurvey.errors import PublishError
from trustsurvey.publish import write_bundle
from trustsurvey.publish.fixture import synthetic_meta, synthetic_tables
from trustsurvey.publish.scan import scan_tables


@pytest.fixture(scope="module")
def quality() -> pd.DataFrame:
    return synthetic_tables()["quality"]


@pytest.mark.parametrize("column", ["phone", "respondent_id", "full_name", "gps_lat", "comment"])
def test_pii_like_columns_are_refused(tmp_path, quality, column):
    with pytest.raises(PublishError, match=column) as err:
        write_bundle(
            {"quality": quality.assign(**{column: "x"})}, tmp_path, study_meta=synthetic_meta()
        )
    assert err.value.hint and "aggregates" in err.value.hint
    assert not (tmp_path / "bundle").exists()


def test_items_flagged_pii_or_free_text_never_enter(tmp_path):
    est = synthetic_tables()["estimates"]
    leak = est.assign(outcome=est["outcome"].where(est["outcome"] != "safe_night", "comment"))
    with pytest.raises(PublishError, match="personal data or free text"):
        write_bundle({"estimates": leak}, tmp_path, study_meta=synthetic_meta())


def test_free_text_in_a_key_is_refused(tmp_path, quality):
    text = "I saw the officer near my house on Shevchenka street at night\nand he said " * 3
    bad = quality.assign(check=[text, *list(quality["check"][1:])])
    with pytest.raises(PublishError, match="free text"):
        write_bundle({"quality": bad}, tmp_path, study_meta=synthetic_meta())


def test_a_table_with_a_row_per_respondent_is_refused(tmp_path):
    rows = pd.DataFrame({"wave": 1, "check": [f"c{i}" for i in range(50)], "n_flagged": 1.0})
    meta = dict(synthetic_meta(), n_respondents=50)
    with pytest.raises(PublishError, match="respondent-level"):
        write_bundle({"quality": rows}, tmp_path, study_meta=meta)


def test_scan_of_read_tables_refuses_undeclared_columns():
    with pytest.raises(PublishError, match="not an aggregate"):
        scan_tables(
            {
                "weighting": pd.DataFrame(
                    {"wave": [1], "statistic": ["x"], "value": [1.0], "weight": [3.2]}
                )
            }
        )


def test_every_published_column_is_declared():
    from trustsurvey.publish.fixture import demo_bundle
    from trustsurvey.publish.schema import KINDS

    for kind, df in demo_bundle().tables.items():
        assert list(df.columns) == [c for c in KINDS[kind].columns if c in df.columns]
