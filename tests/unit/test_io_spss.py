"""SPSS reading: labels, user-missing codes, analysis view (tests on the reference file)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from trustsurvey.errors import InputFileError
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


# -- legacy encodings, portable files, multiple-response sets (PSPP-made fixtures) -----------
UKRAINIAN_TRUST = {
    1.0: "Зовсім не довіряю",
    2.0: "Скоріше не довіряю",
    4.0: "Скоріше довіряю",
    8.0: "Важко відповісти",
    9.0: "Відмова",
}


@pytest.mark.parametrize("encoding", ["cp1251", "windows-1251", None])
def test_cp1251_file_reads_ukrainian(fixtures_dir: Path, encoding: str | None) -> None:
    path = fixtures_dir / "spss" / "cp1251.sav"
    raw = path.read_bytes()
    assert "Довіра".encode("cp1251") in raw and "Довіра".encode() not in raw
    sd = read_survey(path, encoding=encoding)
    assert sd.meta.variable_labels["trust"] == "Довіра до поліції"
    assert sd.meta.value_labels["trust"] == UKRAINIAN_TRUST
    assert sd.meta.value_labels["obl"]["KYV"] == "Київська"
    assert sd.data["region"].tolist() == ["Київ", "Львів", "Одеса", "Харків", "Полтава"]
    assert sd.meta.missing_values["trust"] == [8.0, 9.0]
    assert sd.meta.missing_ranges["income"] == [(97.0, 99.0)]


def test_cp1251_and_utf8_fixtures_agree(fixtures_dir: Path) -> None:
    a = read_survey(fixtures_dir / "spss" / "cp1251.sav", encoding="cp1251")
    b = read_survey(fixtures_dir / "spss" / "utf8_mrsets.sav")
    pd.testing.assert_frame_equal(a.data, b.data)
    assert a.meta.value_labels == b.meta.value_labels
    assert a.meta.variable_labels == b.meta.variable_labels


def test_mr_sets_read(fixtures_dir: Path) -> None:
    sd = read_survey(fixtures_dir / "spss" / "utf8_mrsets.sav")
    problems = sd.meta.mr_sets["problems"]
    assert problems["variable_list"] == ["problems_theft", "problems_drugs"]
    assert problems["label"] == "Проблеми в громаді"
    assert problems["counted_value"] == 1


def test_portable_file_keeps_missing_codes(fixtures_dir: Path) -> None:
    path = fixtures_dir / "spss" / "legacy.por"
    before = sha256(path)
    sd = read_survey(path)
    assert sha256(path) == before
    assert sd.meta.format == "por"
    assert sd.data["TRUST"].tolist() == [4.0, 8.0, 9.0, 2.0]  # codes kept as values
    assert sd.meta.missing_values == {"TRUST": [8.0, 9.0]}
    assert sd.meta.missing_ranges == {"INCOME": [(97.0, 99.0)]}
    assert sd.analysis()["TRUST"].isna().tolist() == [False, True, True, False]
    assert sd.analysis()["INCOME"].isna().tolist() == [False, True, True, False]
    assert sd.meta.value_labels["TRUST"][8.0] == "Hard to say"
    assert sd.data["VISIT"].iloc[0] == pd.Timestamp("2024-03-01")


def test_dates_out_of_range_keep_their_spss_numbers_with_report(tmp_path: Path) -> None:
    path = tmp_path / "dates.sav"
    seconds = (pd.Timestamp("2024-03-01") - pd.Timestamp("1582-10-14")).total_seconds()
    frame = pd.DataFrame({"d": [seconds, -5e12, 1e15, np.nan]})
    pyreadstat.write_sav(frame, str(path), variable_format={"d": "DATE11"})
    with pytest.raises(OverflowError):  # what pyreadstat alone does
        pyreadstat.read_sav(str(path))
    with pytest.warns(UserWarning, match="outside"):
        sd = read_survey(path)
    assert sd.data["d"].tolist()[:3] == [seconds, -5e12, 1e15]  # never NaT
    assert sd.data["d"].isna().tolist() == [False, False, False, True]
    assert sd.meta.issues and "rows 2, 3" in sd.meta.issues[0]
    assert "kept as SPSS numbers" in sd.meta.issues[0]
    assert sd.meta.formats["d"] == "DATE11"


def test_dates_in_range_are_timestamps(tmp_path: Path) -> None:
    path = tmp_path / "dates.sav"
    seconds = (pd.Timestamp("2024-03-01 10:30:15.25") - pd.Timestamp("1582-10-14")).total_seconds()
    pyreadstat.write_sav(
        pd.DataFrame({"d": [seconds, np.nan]}), str(path), variable_format={"d": "DATETIME23.2"}
    )
    sd = read_survey(path)
    assert sd.data["d"].iloc[0] == pd.Timestamp("2024-03-01 10:30:15.25")
    assert sd.data["d"].isna().tolist() == [False, True]
    assert not sd.meta.issues


def test_chunked_read_equals_single_read(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    n = 2_503
    frame = pd.DataFrame(
        {
            "id": np.arange(n, dtype=float),
            "trust": rng.choice([1.0, 2.0, 3.0, 8.0, 9.0], n),
            "town": rng.choice(["Київ", "Львів", "Суми"], n),
            "when": pd.to_datetime("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 10**7, n), unit="s"),
        }
    )
    frame["when"] = frame["when"].astype("datetime64[us]")
    path = tmp_path / "big.sav"
    pyreadstat.write_sav(frame, str(path), missing_ranges={"trust": [8.0, 9.0]})
    whole = read_survey(path, chunksize=None)
    chunked = read_survey(path, chunksize=500, progress=False)
    pd.testing.assert_frame_equal(whole.data, chunked.data)
    assert whole.meta.missing_values == chunked.meta.missing_values
    assert len(chunked.data) == n
    pd.testing.assert_frame_equal(chunked.analysis(), whole.analysis())


def test_progress_bar_when_forced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "p.sav"
    pyreadstat.write_sav(pd.DataFrame({"x": np.arange(1000, dtype=float)}), str(path))
    read_survey(path, chunksize=100, progress=True)
    err = capsys.readouterr().err
    assert "reading p.sav" in err and "1000/1000" in err
    read_survey(path, chunksize=100, progress=False)
    assert "reading" not in capsys.readouterr().err
    read_survey(path, chunksize=100)  # auto: small file, stderr not a terminal → no bar
    assert "reading" not in capsys.readouterr().err


def test_zsav_reads_like_sav(tmp_path: Path, trust: SurveyData) -> None:
    from trustsurvey.io import write_survey

    out = write_survey(trust, tmp_path / "t.zsav")
    assert out.read_bytes()[:4] == b"$FL3"
    back = read_survey(out)
    assert back.meta.format == "zsav"
    pd.testing.assert_frame_equal(back.data, trust.data)
    assert back.meta.value_labels == trust.meta.value_labels


def test_inspect_counts_match_pyreadstat(trust_path: Path) -> None:
    from trustsurvey.io import inspect_file

    table = inspect_file(trust_path).set_index("variable")
    sysmis, _ = pyreadstat.read_sav(str(trust_path), user_missing=False)
    raw, _ = pyreadstat.read_sav(str(trust_path), user_missing=True)
    for col in raw.columns:
        assert table.loc[col, "n_valid"] == sysmis[col].notna().sum()
        assert table.loc[col, "n_missing_code"] == sysmis[col].isna().sum() - raw[col].isna().sum()
        assert table.loc[col, "n_distinct"] == raw[col].nunique()
    assert table.loc["trust_police", "missing_values"] == [8.0, 9.0]
    assert table.loc["trust_police", "label"] == "Наскільки Ви довіряєте поліції?"


def test_legacy_file_without_code_page_needs_encoding(fixtures_dir: Path) -> None:
    """Old SPSS files carry no encoding record: ReadStat falls back to Windows-1252 and
    Ukrainian turns into "Äîâ³ðà"; we refuse that and name the encoding to use."""
    path = fixtures_dir / "spss" / "cp1251_legacy.sav"
    before = sha256(path)
    with pytest.raises(InputFileError, match=r"encoding='cp1251'") as info:
        read_survey(path)
    assert "trust" in info.value.item and "region" in info.value.item
    sd = read_survey(path, encoding="cp1251")
    assert sd.meta.value_labels["trust"] == UKRAINIAN_TRUST
    assert sd.data["region"].tolist()[0] == "Київ"
    assert sha256(path) == before


def test_missing_code_counts_report_difficult_to_answer(trust: SurveyData) -> None:
    table = trust.missing_code_counts()
    row = table[(table["variable"] == "trust_police") & (table["code"] == 8.0)].iloc[0]
    n8 = int((trust.data["trust_police"] == 8).sum())
    assert row["n"] == n8 > 0
    assert row["label"] == "Важко відповісти"
    assert row["share"] == pytest.approx(n8 / len(trust.data))
    assert set(table["variable"]) == set(trust.meta.missing_values)
