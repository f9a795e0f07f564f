"""write_bundle(derived=): tables computed from the protected ones, kinds without a count."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from trustsurvey.errors import PublishError
from trustsurvey.publish.bundle import read_bundle, write_bundle
from trustsurvey.publish.fixture import synthetic_meta, synthetic_tables
from trustsurvey.publish.schema import ALL


def _model_rows(tables) -> dict[str, pd.DataFrame]:
    est = tables["estimates"]
    rows = est[(est["community"] != ALL) & (est["subgroup"] == ALL)]
    return {
        "small_area": pd.DataFrame(
            {
                "outcome": rows["outcome"],
                "community": rows["community"],
                "wave": rows["wave"],
                "method": "fay_herriot",
                # what the derived table sees is the protected table: hidden rows are blank
                "basis": rows["suppressed"].map({True: "synthetic", False: "eblup"}),
                "estimate": rows["estimate"].fillna(0.5),
            }
        )
    }


def test_derived_tables_see_the_protected_tables_and_are_written(tmp_path: Path) -> None:
    seen = {}

    def derive(tables):
        seen.update(tables)
        return _model_rows(tables)

    path = write_bundle(synthetic_tables(), tmp_path, study_meta=synthetic_meta(), derived=derive)
    bundle = read_bundle(path)
    assert "small_area" in bundle.tables and "small_area" in bundle.manifest["tables"]
    hidden = seen["estimates"][seen["estimates"]["suppressed"]]
    assert not hidden.empty and hidden["estimate"].isna().all()
    sa = bundle.tables["small_area"]
    assert set(sa["basis"]) == {"synthetic", "eblup"}


def test_a_derived_table_that_counts_respondents_is_refused(tmp_path: Path) -> None:
    def derive(tables):
        return {"sample_sizes": tables["sample_sizes"]}

    with pytest.raises(PublishError, match="counts respondents"):
        write_bundle(synthetic_tables(), tmp_path, study_meta=synthetic_meta(), derived=derive)
    assert not (tmp_path / "bundle").exists()
