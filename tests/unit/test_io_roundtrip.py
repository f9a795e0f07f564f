"""Round trips: .sav → .sav/.zsav/.parquet/.csv/.xlsx → .sav keep values, labels and missing
codes (compared as pyreadstat reads the files)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from conftest_io import assert_same_spss, make_feature_sav

from trustsurvey.errors import InputFileError
from trustsurvey.io import convert, read_survey, write_survey
from trustsurvey.io.files import sha256


@pytest.fixture
def feature_sav(tmp_path: Path) -> Path:
    return make_feature_sav(tmp_path / "features.sav")


def _features(fixtures_dir: Path, tmp_path: Path) -> list[Path]:
    return [
        make_feature_sav(tmp_path / "features.sav"),
        fixtures_dir / "spss" / "utf8_mrsets.sav",
        fixtures_dir / "spss" / "cp1251.sav",
        fixtures_dir / "trust" / "trust_two_waves.sav",
    ]


@pytest.mark.parametrize("ext", [".sav", ".zsav"])
def test_sav_to_sav_keeps_everything(fixtures_dir: Path, tmp_path: Path, ext: str) -> None:
    for src in _features(fixtures_dir, tmp_path):
        out = tmp_path / f"{src.stem}_copy{ext}"
        before = sha256(src)
        convert(src, out)
        assert sha256(src) == before
        assert_same_spss(src, out)


def test_features_read_as_declared(feature_sav: Path) -> None:
    sd = read_survey(feature_sav)
    assert sd.meta.missing_values == {"trust": [8.0, 9.0], "income": [0.0], "oblast": ["XXX"]}
    assert sd.meta.missing_ranges == {"income": [(97.0, 99.0)]}
    assert sd.meta.measure == {"trust": "ordinal", "income": "scale", "oblast": "nominal"}
    assert sd.meta.value_labels["oblast"]["KYV"] == "Київська"
    assert sd.meta.file_label == "Тестовий файл"
    assert str(sd.data["visit"].dtype).startswith("datetime64")
    assert sd.data["visit"].iloc[0] == pd.Timestamp("2024-03-01")
    assert sd.data["started"].iloc[1] == pd.Timestamp("2024-04-15 08:00:30")
    mask = sd.missing_mask()
    assert mask["income"].tolist() == [False, True, True, True, False, True]
    assert mask["oblast"].tolist() == [False, False, True, False, False, False]
    analysis = sd.analysis()
    assert analysis["oblast"].isna().tolist() == [False, False, True, False, False, False]
    # raw codes stay available after the analysis view was made
    assert sd.data["income"].tolist()[1:4] == [97.0, 98.0, 99.0]


def test_mr_sets_survive_sav_round_trip(fixtures_dir: Path, tmp_path: Path) -> None:
    src = fixtures_dir / "spss" / "utf8_mrsets.sav"
    original = read_survey(src).meta.mr_sets
    assert original["problems"]["variable_list"] == ["problems_theft", "problems_drugs"]
    out = tmp_path / "copy.sav"
    convert(src, out)
    assert read_survey(out).meta.mr_sets == original
    # a real MRSETS record (added after ReadStat writes the file): pyreadstat and SPSS see it
    meta = pyreadstat.read_sav(str(out))[1]
    assert meta.mr_sets == original
    assert not any("trustsurvey:mr_sets=" in n for n in meta.notes)


def test_mr_sets_in_notes_of_older_files_are_still_read(tmp_path: Path) -> None:
    import json

    sets = {"p": {"type": "D", "is_dichotomy": True, "counted_value": 1, "label": "P"}}
    sets["p"]["variable_list"] = ["a", "b"]
    text = json.dumps(sets, separators=(",", ":"))
    width = 80 - len("trustsurvey:mr_sets=")
    notes = ["trustsurvey:mr_sets=" + text[i : i + width] for i in range(0, len(text), width)]
    path = tmp_path / "old.sav"
    pyreadstat.write_sav(pd.DataFrame({"a": [1.0], "b": [0.0]}), str(path), note=notes)
    sd = read_survey(path)
    assert sd.meta.mr_sets == sets
    assert sd.meta.notes == []


@pytest.mark.parametrize("ext", [".parquet", ".csv", ".xlsx"])
def test_via_other_format_back_to_sav(fixtures_dir: Path, tmp_path: Path, ext: str) -> None:
    for src in _features(fixtures_dir, tmp_path):
        middle = tmp_path / f"{src.stem}{ext}"
        back = tmp_path / f"{src.stem}_back.sav"
        convert(src, middle)
        convert(middle, back)
        if ext == ".xlsx":
            # Excel keeps 15 significant digits: compare values with tolerance, rest exactly
            da = pyreadstat.read_sav(str(src), user_missing=True)[0]
            db = pyreadstat.read_sav(str(back), user_missing=True)[0]
            pd.testing.assert_frame_equal(da, db, check_exact=False, rtol=1e-12)
        else:
            assert_same_spss(src, back)
        a, b = read_survey(src), read_survey(back)
        for key in (
            "variable_labels",
            "value_labels",
            "missing_values",
            "missing_ranges",
            "measure",
            "mr_sets",
        ):
            assert getattr(a.meta, key) == getattr(b.meta, key), (ext, src.name, key)


def test_parquet_schema_holds_metadata(feature_sav: Path, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    out = tmp_path / "x.parquet"
    convert(feature_sav, out)
    stored = json.loads(pq.read_schema(out).metadata[b"trustsurvey"])
    assert stored["missing_values"]["oblast"] == ["XXX"]
    sd = read_survey(out)
    pd.testing.assert_frame_equal(sd.data, read_survey(feature_sav).data)
    assert sd.meta.format == "parquet"


def test_csv_gets_sidecar_dictionary(feature_sav: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    convert(feature_sav, out)
    side = tmp_path / "x.dictionary.json"
    assert side.exists()
    assert json.loads(side.read_text(encoding="utf-8"))["variable_labels"]["oblast"] == "Область"
    back = read_survey(out)
    pd.testing.assert_frame_equal(back.data, read_survey(feature_sav).data)


def test_xlsx_has_dictionary_sheet(feature_sav: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.xlsx"
    convert(feature_sav, out)
    sheets = pd.read_excel(out, sheet_name=None)
    assert list(sheets)[:2] == ["data", "dictionary"]
    dictionary = sheets["dictionary"].set_index("variable")
    assert dictionary.loc["trust", "label"] == "Наскільки Ви довіряєте поліції?"
    assert json.loads(dictionary.loc["trust", "missing_values"]) == [8.0, 9.0]


def test_questionnaire_missing_codes_written_as_user_missing(
    feature_sav: Path, tmp_path: Path
) -> None:
    sd = read_survey(feature_sav, missing_codes={"id": [6]})
    out = write_survey(sd, tmp_path / "q.sav")
    back = read_survey(out)
    assert back.meta.missing_values["id"] == [6.0]
    assert back.analysis()["id"].isna().sum() == 1


def test_added_columns_are_labelled(feature_sav: Path, tmp_path: Path) -> None:
    sd = read_survey(feature_sav)
    sd2 = sd.add_column("weight", [1.0, 2.0, 1.5, 1.0, 0.5, 1.0], label="Вага", measure="scale")
    out = write_survey(sd2, tmp_path / "w.sav")
    _, meta = pyreadstat.read_sav(str(out))
    assert meta.column_names_to_labels["weight"] == "Вага"
    assert meta.variable_measure["weight"] == "scale"
    assert "weight" not in sd.data.columns  # the original is unchanged


def test_convert_refuses_to_overwrite(feature_sav: Path, tmp_path: Path) -> None:
    before = sha256(feature_sav)
    with pytest.raises(InputFileError, match="overwrite the input"):
        convert(feature_sav, feature_sav, force=True)
    out = tmp_path / "x.parquet"
    convert(feature_sav, out)
    with pytest.raises(InputFileError, match="already exists"):
        convert(feature_sav, out)
    convert(feature_sav, out, force=True)
    assert sha256(feature_sav) == before
    assert not list(tmp_path.glob(".*.tmp*"))  # no temporary files left behind


def test_too_many_missing_codes_for_spss_is_an_error(feature_sav: Path, tmp_path: Path) -> None:
    sd = read_survey(feature_sav, missing_codes={"trust": [7, 6]})
    out = tmp_path / "bad.sav"
    with pytest.raises(Exception, match="item trust"):
        write_survey(sd, out)
    assert not out.exists()
    # Parquet holds any number of codes
    back = read_survey(write_survey(sd, tmp_path / "ok.parquet"))
    assert back.declared_missing()["trust"]["values"] == [8.0, 9.0, 7, 6]


def test_por_to_sav_keeps_missing_codes(fixtures_dir: Path, tmp_path: Path) -> None:
    src = fixtures_dir / "spss" / "legacy.por"
    before = sha256(src)
    out = tmp_path / "legacy.sav"
    convert(src, out)
    assert sha256(src) == before
    a, b = read_survey(src), read_survey(out)
    pd.testing.assert_frame_equal(a.data, b.data)
    for key in ("variable_labels", "value_labels", "missing_values", "missing_ranges"):
        assert getattr(a.meta, key) == getattr(b.meta, key), key
    _, meta = pyreadstat.read_sav(str(out), user_missing=True)
    assert meta.missing_ranges["INCOME"] == [{"lo": 97.0, "hi": 99.0}]
