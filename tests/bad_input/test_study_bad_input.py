"""Bad study folders: each error names study.yaml (or the file), the key path, and the fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from trustsurvey.errors import QuestionnaireError, StudyError
from trustsurvey.study import load_study
from trustsurvey.validation import validate_study

REPO = Path(__file__).resolve().parents[2]


def _edit(folder: Path, old: str, new: str) -> None:
    path = folder / "study.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_missing_data_file(example: Path) -> None:
    _edit(example, "file: data/wave2_followup.sav", "file: data/wave2_final.sav")
    with pytest.raises(StudyError) as info:
        load_study(example)
    text = str(info.value)
    assert "study.yaml" in text and "waves[1].file" in text and "wave2_final.sav" in text
    lines = (example / "study.yaml").read_text(encoding="utf-8").splitlines()
    line = next(i for i, s in enumerate(lines, 1) if "wave2_final.sav" in s)
    assert f"line {line}" in text
    assert info.value.hint


def test_yaml_syntax_error_gives_the_line(example: Path) -> None:
    _edit(example, "  strata: stratum\n", "  strata: [stratum\n")
    with pytest.raises(StudyError) as info:
        load_study(example)
    text = str(info.value)
    assert "study.yaml" in text and "YAML syntax error" in text
    line = int(text.split("line ")[1].split(",")[0])
    lines = (example / "study.yaml").read_text(encoding="utf-8").splitlines()
    assert abs(line - next(i for i, s in enumerate(lines, 1) if "[stratum" in s)) <= 1


def test_unknown_key_with_suggestion(example: Path) -> None:
    _edit(example, "publish:\n  min_cell: 30", "publish:\n  min_cel: 30")
    with pytest.raises(StudyError) as info:
        load_study(example)
    assert "publish.min_cel" in str(info.value)
    assert "did you mean 'min_cell'" in str(info.value)


def test_wrong_type_names_key_and_line(example: Path) -> None:
    _edit(example, "min_cell: 30", "min_cell: thirty")
    with pytest.raises(StudyError) as info:
        load_study(example)
    text = str(info.value)
    assert "publish.min_cell" in text and "whole number" in text and "line " in text


def test_wrong_period(example: Path) -> None:
    _edit(example, "period: follow-up", "period: endline")
    with pytest.raises(StudyError, match=r"waves\[1\]\.period.*'endline' is not allowed"):
        load_study(example)


def test_design_column_not_in_questionnaire(example: Path) -> None:
    _edit(example, "strata: stratum", "strata: stratum_id")
    with pytest.raises(StudyError) as info:
        load_study(example)
    text = str(info.value)
    assert "design.strata" in text and "stratum_id" in text and "did you mean 'stratum'" in text


def test_unknown_exclusion_check(example: Path) -> None:
    _edit(example, "exclude: [duplicate, hard_error]", "exclude: [duplicates]")
    with pytest.raises(StudyError, match="did you mean 'duplicate'"):
        load_study(example)


def test_missing_questionnaire(example: Path) -> None:
    _edit(example, "questionnaire: police_trust_core", "questionnaire: police_trust_kore")
    with pytest.raises(StudyError, match="police_trust_kore"):
        load_study(example)


def test_questionnaire_naming_an_unknown_item(example: Path) -> None:
    text = (
        "name: broken\nitems:\n"
        "  - {name: resp_id, type: identifier, roles: [id]}\n"
        "  - name: sat\n    type: single\n    codes: {1: bad, 2: good}\n"
        "    relevant: contact_polic == 1\n"
    )
    (example / "broken.yaml").write_text(text, encoding="utf-8")
    _edit(example, "questionnaire: police_trust_core", "questionnaire: broken.yaml")
    with pytest.raises(QuestionnaireError) as info:
        load_study(example)
    assert "contact_polic" in str(info.value) and "broken.yaml" in str(info.value)


def test_no_study_yaml(tmp_path: Path) -> None:
    with pytest.raises(StudyError, match=r"no study\.yaml"):
        load_study(tmp_path)
    with pytest.raises(StudyError, match="does not exist"):
        load_study(tmp_path / "nowhere")


def test_bad_community_table(example: Path) -> None:
    table = pd.read_csv(example / "communities.csv")
    table.loc[0, "arm"] = "treated"
    table.to_csv(example / "communities.csv", index=False)
    with pytest.raises(StudyError, match=r"unknown arm.*treated"):
        load_study(example)


def test_margins_with_a_negative_target(example: Path) -> None:
    margins = pd.read_csv(example / "margins.csv")
    margins.loc[4, "target"] = -5
    margins.to_csv(example / "margins.csv", index=False)
    with pytest.raises(StudyError) as info:
        load_study(example)
    assert "margins.csv" in str(info.value) and "row 6" in str(info.value)


def test_data_lacking_a_required_column(example: Path) -> None:
    import pyreadstat

    path = example / "data" / "wave2_followup.sav"
    df, meta = pyreadstat.read_sav(str(path), user_missing=True)
    df = df.drop(columns=["sex"])
    pyreadstat.write_sav(
        df,
        str(path),
        column_labels={k: v for k, v in meta.column_names_to_labels.items() if k != "sex"},
    )
    report = validate_study(load_study(example))
    missing = report.errors[report.errors["check"] == "missing_column"]
    assert missing[["file", "item"]].values.tolist() == [["data/wave2_followup.sav", "sex"]]
    assert "column sex not in the file" in missing["message_en"].iloc[0]


def test_margin_code_the_questionnaire_does_not_know(example: Path) -> None:
    margins = pd.read_csv(example / "margins.csv")
    row = margins.index[margins["margin"] == "settlement"][0]
    margins.loc[row, "settlement"] = 3
    margins.to_csv(example / "margins.csv", index=False)
    with pytest.raises(StudyError) as info:
        load_study(example)
    text = str(info.value)
    assert "margins.csv" in text and "item settlement" in text and f"row {row + 2}" in text


def test_focus_group_codes_checked_against_the_codebook(example: Path) -> None:
    segments = pd.read_csv(example / "focus_groups" / "segments.csv")
    segments.loc[0, "theme"] = "bribes"
    segments.loc[1, "valence"] = 2
    segments.loc[2, "group"] = "FG99"
    segments.to_csv(example / "focus_groups" / "segments.csv", index=False)
    report = validate_study(load_study(example))
    fg = report.table[report.table["file"] == "focus_groups/segments.csv"]
    got = sorted(zip(fg["check"], fg["item"], fg["value"], fg["row"].astype(int), strict=True))
    assert got == [
        ("fg_unknown_code", "theme", "bribes", 1),
        ("fg_unknown_code", "valence", "2", 2),
        ("fg_unknown_group", "group", "FG99", 3),
    ]


def test_absolute_path_outside_the_study_folder_is_refused(example: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.csv"
    shutil.copy(example / "margins.csv", outside)
    _edit(example, "file: margins.csv", f"file: '{outside}'")
    with pytest.raises(StudyError) as info:
        load_study(example)
    text = str(info.value)
    assert "margins.file" in text and "outside the study folder" in text
    assert "files_outside_folder: true" in text


def test_symlink_out_of_the_study_folder_is_refused(example: Path, tmp_path: Path) -> None:
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    (example / "margins.csv").unlink()
    (example / "margins.csv").symlink_to(secret)
    with pytest.raises(StudyError) as info:
        load_study(example)
    text = str(info.value)
    assert "margins.file" in text and "symbolic link" in text and "root:x" not in text


def test_files_outside_the_folder_when_the_study_says_so(example: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.csv"
    shutil.copy(example / "margins.csv", outside)
    _edit(example, "file: margins.csv", f"file: '{outside}'")
    path = example / "study.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "files_outside_folder: true\n")
    assert load_study(example).margins.file == outside


def test_symlink_inside_the_study_folder_is_fine(example: Path) -> None:
    (example / "targets").mkdir()
    (example / "margins.csv").rename(example / "targets" / "margins.csv")
    (example / "margins.csv").symlink_to(example / "targets" / "margins.csv")
    load_study(example)
