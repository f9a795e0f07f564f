"""SPSS reading: labels, user-missing codes, analysis view (tests on the reference file)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from trustsurvey.io import FileMetadata, SurveyData, read_survey
from trustsurvey.io.files import sha256


@pytest.fixture(scope="module")
def trust_path(fixtures_dir: Path) -> Path:
    return fixtures_dir / "trust" / "trust_two_waves.sav"


@pytest.fixture(scope="module")
def trust(trust_path: Path) -> SurveyData:
    return read_survey(trust_path)


def test_reference_file_raw_view_keeps_missing_codes(trust: SurveyData, trust_path: Path) -> None:
    plain, _ = pyreadstat.read_sav(str(trust_path), user_missing=True)
    pd.testing.assert_frame_equal(trust.data, plain)
    assert trust.data["trust_police"].isin([8.0, 9.0]).any()
    assert isinstance(trust.data.index, pd.RangeIndex)


def test_reference_file_labels_are_ukrainian(trust: SurveyData, trust_path: Path) -> None:
    _, meta = pyreadstat.read_sav(str(trust_path), user_missing=True)
    assert trust.meta.variable_labels == meta.column_names_to_labels
    assert trust.meta.value_labels == meta.variable_value_labels
    assert trust.meta.value_labels["trust_police"][8.0] == "Важко відповісти"
    assert trust.meta.encoding.upper().replace("-", "") == "UTF8"


def test_discrete_missing_normalised_from_ranges(trust: SurveyData) -> None:
    assert trust.meta.missing_values["trust_police"] == [8.0, 9.0]
    assert "trust_police" not in trust.meta.missing_ranges


def test_analysis_view_matches_pyreadstat_system_missing(
    trust: SurveyData, trust_path: Path
) -> None:
    sysmis, _ = pyreadstat.read_sav(str(trust_path), user_missing=False)
    analysis = trust.analysis()
    pd.testing.assert_series_equal(analysis.isna().sum(), sysmis.isna().sum())
    pd.testing.assert_frame_equal(analysis, sysmis)
    # the raw frame is untouched by the analysis view
    assert trust.data["trust_police"].isin([8.0]).sum() > 0


def test_keep_treats_codes_as_substantive(trust: SurveyData) -> None:
    kept = trust.analysis(keep={"trust_police": [8]})
    n8 = int((trust.data["trust_police"] == 8).sum())
    assert int((kept["trust_police"] == 8).sum()) == n8 > 0
    assert not (kept["trust_police"] == 9).any()
    assert kept["trust_police"].isna().sum() == (trust.data["trust_police"] == 9).sum()


def test_missing_codes_from_questionnaire_added(trust_path: Path) -> None:
    sd = read_survey(trust_path, missing_codes={"age": {99: "no answer"}, "sex": [2]})
    mask = sd.missing_mask()
    assert mask["sex"].sum() == (sd.data["sex"] == 2).sum() > 0
    assert sd.analysis()["sex"].isna().sum() == mask["sex"].sum()
    assert sd.data["sex"].isna().sum() == 0


def test_reading_does_not_modify_file(trust_path: Path) -> None:
    before = sha256(trust_path)
    read_survey(trust_path).analysis()
    assert sha256(trust_path) == before


def test_surveydata_ranges_and_strings() -> None:
    frame = pd.DataFrame({"inc": [10.0, 97.0, 98.0, 99.0, np.nan], "s": ["a", "x", "b", "x", ""]})
    meta = FileMetadata(
        column_names=["inc", "s"],
        missing_ranges={"inc": [(97.0, 99.0)]},
        missing_values={"s": ["x"]},
    )
    sd = SurveyData(frame, meta)
    mask = sd.missing_mask()
    assert mask["inc"].tolist() == [False, True, True, True, False]
    assert mask["s"].tolist() == [False, True, False, True, False]
    counts = sd.missing_counts().set_index("variable")
    assert counts.loc["inc"].tolist() == [1, 3, 1]
