"""KoboToolbox / ODK CSV and XLSX exports: both multiple-choice styles, label exports,
meta columns and interview duration."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trustsurvey.errors import InputFileError
from trustsurvey.io import expand_multiple, read_survey, write_survey
from trustsurvey.io.files import sha256

SPLIT = "\n".join(
    [
        "start;end;today;age;sex;problems;problems/theft;problems/drugs;problems/none;"
        "trust_police;_id;_uuid;_submission_time;_index",
        "2024-03-01T10:00:00.000+02:00;2024-03-01T10:25:30.000+02:00;2024-03-01;34;2;"
        "theft drugs;1;1;0;4;101;a1;2024-03-01T08:30:00;1",
        "2024-03-01T11:00:00.000+02:00;2024-03-01T11:12:00.000+02:00;2024-03-01;61;1;"
        "none;0;0;1;8;102;a2;2024-03-01T09:15:00;2",
        "2024-03-02T09:00:00.000+02:00;2024-03-02T09:40:00.000+02:00;2024-03-02;19;2;"
        ";;;;5;103;a3;2024-03-02T07:45:00;3",
        "",
    ]
)

SINGLE = """age,sex,problems,trust_police,_id
34,2,theft drugs,4,101
61,1,none,8,102
19,2,,5,103
"""

LABELS = """Вік,Стать,Наскільки Ви довіряєте поліції?
34,Жінка,Скоріше довіряю
61,Чоловік,Важко відповісти
19,Жінка,Повністю довіряю
"""

VALUE_LABELS = {
    "sex": {1: "Чоловік", 2: "Жінка"},
    "trust_police": {4: "Скоріше довіряю", 5: "Повністю довіряю", 8: "Важко відповісти"},
}
VARIABLE_LABELS = {"age": "Вік", "sex": "Стать", "trust_police": "Наскільки Ви довіряєте поліції?"}


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_split_columns_normalised_and_reported(tmp_path: Path) -> None:
    src = _write(tmp_path / "kobo_split.csv", SPLIT)
    before = sha256(src)
    sd = read_survey(src, missing_codes={"trust_police": [8]})
    assert sha256(src) == before
    cols = list(sd.data.columns)
    assert {"problems_theft", "problems_drugs", "problems_none"} <= set(cols)
    assert "problems/theft" not in cols
    assert sd.meta.renamed["problems/theft"] == "problems_theft"
    assert sd.data["problems_theft"].tolist()[:2] == [1.0, 0.0]
    assert np.isnan(sd.data["problems_theft"].iloc[2])
    assert sd.data["age"].dtype == "float64"
    assert sd.analysis()["trust_police"].isna().tolist() == [False, True, False]
    assert len(sd.data) == 3


def test_kobo_meta_columns_and_duration(tmp_path: Path) -> None:
    sd = read_survey(_write(tmp_path / "kobo_split.csv", SPLIT))
    assert str(sd.data["start"].dtype).startswith("datetime64")
    assert sd.data["duration_min"].tolist() == [25.5, 12.0, 40.0]
    assert "duration_min" in sd.meta.derived
    assert sd.meta.variable_labels["duration_min"]
    assert sd.data["_uuid"].tolist() == ["a1", "a2", "a3"]
    # kept as they are: meta columns start with "_"
    assert "_submission_time" in sd.data.columns


def test_single_column_expanded_with_options(tmp_path: Path) -> None:
    src = _write(tmp_path / "kobo_single.csv", SINGLE)
    sd = read_survey(src, multiple={"problems": ["theft", "drugs", "none"]})
    cols = list(sd.data.columns)
    assert cols[cols.index("problems") + 1 : cols.index("problems") + 4] == [
        "problems_theft",
        "problems_drugs",
        "problems_none",
    ]
    assert sd.data["problems_drugs"].tolist()[:2] == [1.0, 0.0]
    assert sd.data["problems_none"].tolist()[:2] == [0.0, 1.0]
    assert sd.data.loc[2, ["problems_theft", "problems_drugs"]].isna().all()
    assert sd.data["problems"].tolist()[0] == "theft drugs"  # raw column kept


def test_both_styles_give_the_same_dummies(tmp_path: Path) -> None:
    split = read_survey(_write(tmp_path / "a.csv", SPLIT))
    single = read_survey(
        _write(tmp_path / "b.csv", SINGLE), multiple={"problems": ["theft", "drugs", "none"]}
    )
    cols = ["problems_theft", "problems_drugs", "problems_none"]
    pd.testing.assert_frame_equal(split.data[cols], single.data[cols])


def test_unknown_option_names_rows() -> None:
    frame = pd.DataFrame({"problems": ["theft", "vandalism theft", None]})
    with pytest.raises(InputFileError, match=r"item problems, row 2.*vandalism"):
        expand_multiple(frame, "problems", ["theft", "drugs"])


def test_labels_export_mapped_back_to_codes(tmp_path: Path) -> None:
    src = _write(tmp_path / "kobo_labels.csv", LABELS)
    sd = read_survey(src, value_labels=VALUE_LABELS, variable_labels=VARIABLE_LABELS)
    assert list(sd.data.columns) == ["age", "sex", "trust_police"]
    assert sd.data["sex"].tolist() == [2.0, 1.0, 2.0]
    assert sd.data["trust_police"].tolist() == [4.0, 8.0, 5.0]
    assert sd.meta.renamed["Стать"] == "sex"
    assert sd.meta.value_labels["sex"][2] == "Жінка"


def test_labels_export_with_unknown_label_names_rows(tmp_path: Path) -> None:
    src = _write(tmp_path / "kobo_labels.csv", LABELS.replace("Повністю довіряю", "Так"))
    with pytest.raises(InputFileError, match=r"item trust_police, row 3"):
        read_survey(src, value_labels=VALUE_LABELS, variable_labels=VARIABLE_LABELS)


def test_kobo_xlsx_export(tmp_path: Path) -> None:
    frame = pd.read_csv(pd.io.common.StringIO(SPLIT), sep=";", dtype=str, keep_default_na=False)
    src = tmp_path / "kobo.xlsx"
    frame.to_excel(src, index=False, sheet_name="police_trust")
    sd = read_survey(src)
    assert sd.data["problems_drugs"].tolist()[:2] == [1.0, 0.0]
    assert sd.data["duration_min"].tolist() == [25.5, 12.0, 40.0]


def test_kobo_to_sav_keeps_labels(tmp_path: Path) -> None:
    sd = read_survey(
        _write(tmp_path / "k.csv", SPLIT),
        value_labels={"sex": {1: "Чоловік", 2: "Жінка"}},
        variable_labels={"sex": "Стать"},
        missing_codes={"trust_police": [8]},
    )
    with pytest.warns(UserWarning, match="_id → v_id"):
        out = write_survey(sd, tmp_path / "k.sav")
    back = read_survey(out)
    assert back.meta.variable_labels["v_id"] == "_id"
    assert back.data["v_id"].tolist() == [101.0, 102.0, 103.0]
    assert back.meta.value_labels["sex"] == {1.0: "Чоловік", 2.0: "Жінка"}
    assert back.meta.variable_labels["duration_min"] == "Interview duration (minutes)"
    assert back.meta.missing_values["trust_police"] == [8.0]
    assert back.data["duration_min"].tolist() == [25.5, 12.0, 40.0]
