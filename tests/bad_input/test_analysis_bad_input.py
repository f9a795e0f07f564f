"""Bad input to the analysis room: every case is a documented error naming where and what."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trustsurvey.analysis import (
    allocate,
    cronbach_alpha,
    did_sample_size,
    draw_sample,
    icc_anova,
    intercoder_agreement,
    read_focus_groups,
    scale_score,
)
from trustsurvey.errors import AnalysisError, DataValidationError, InputFileError

CODES = {"trust": "Trust", "respect": "Respect"}
GROUPS = pd.DataFrame({"id": ["G1", "G2"], "community": ["A", "B"], "arm": ["pilot", "control"]})


def _segments(**changes) -> pd.DataFrame:
    seg = pd.DataFrame(
        {
            "group": ["G1", "G1", "G2"],
            "segment": [1, 2, 1],
            "coder": ["A", "A", "A"],
            "theme": ["trust", "respect", "trust"],
            "valence": ["positive", "negative", "neutral"],
        }
    )
    for col, (row, value) in changes.items():
        seg.loc[row, col] = value
    return seg


def test_outcome_with_no_valid_answers():
    df = pd.DataFrame({"a": [1.0, 2, 3], "b": [np.nan] * 3, "c": [2.0, 3, 4]})
    with pytest.raises(AnalysisError, match="no valid answers") as err:
        cronbach_alpha(df, ["a", "b", "c"])
    assert err.value.item == "b"
    with pytest.raises(AnalysisError, match="no valid answers"):
        icc_anova(df.assign(psu=[1, 1, 2]), "b", "psu")
    with pytest.raises(AnalysisError, match="no valid answers"):
        scale_score(df, ["b"])


def test_text_items_and_unknown_columns():
    df = pd.DataFrame({"a": ["yes", "no"], "b": [1, 2]})
    with pytest.raises(AnalysisError, match="not numeric"):
        cronbach_alpha(df, ["a", "b"])
    with pytest.raises(AnalysisError, match="not in the data") as err:
        cronbach_alpha(df, ["b", "zz"])
    assert err.value.item == ["zz"]


def test_too_few_complete_cases():
    df = pd.DataFrame({"a": [1.0, np.nan, 3], "b": [np.nan, 2.0, np.nan]})
    with pytest.raises(AnalysisError, match="answered every item"):
        cronbach_alpha(df, ["a", "b"])


def test_negative_weights_name_rows():
    df = pd.DataFrame({"a": [1.0, 2, 3], "b": [2.0, 2, 4], "w": [1.0, -1, 2]})
    with pytest.raises(AnalysisError, match="non-negative") as err:
        cronbach_alpha(df, ["a", "b"], weights="w")
    assert err.value.row == [2]


def test_theme_not_in_codebook_names_file_row_and_value(tmp_path):
    path = tmp_path / "segments.csv"
    _segments(theme=(2, "polce_trust")).to_csv(path, index=False)
    with pytest.raises(DataValidationError) as err:
        read_focus_groups(GROUPS, path, CODES)
    text = str(err.value)
    assert "segments.csv" in text and "polce_trust" in text and "row 3" in text


def test_missing_coder_column(tmp_path):
    path = tmp_path / "segments.csv"
    _segments().drop(columns="coder").to_csv(path, index=False)
    with pytest.raises(DataValidationError, match="coder") as err:
        read_focus_groups(GROUPS, path, CODES)
    assert err.value.file == str(path)


def test_segment_of_unknown_group_and_blank_coder():
    with pytest.raises(DataValidationError, match="G9") as err:
        read_focus_groups(GROUPS, _segments(group=(1, "G9")), CODES)
    assert err.value.row == [2]
    with pytest.raises(DataValidationError, match="blank coder"):
        read_focus_groups(GROUPS, _segments(coder=(0, "")), CODES)


def test_bad_valence_and_duplicate_group():
    with pytest.raises(DataValidationError, match="valence"):
        read_focus_groups(GROUPS, _segments(valence=(0, "very good")), CODES)
    dup = pd.concat([GROUPS, GROUPS.iloc[:1]], ignore_index=True)
    with pytest.raises(DataValidationError, match="duplicate group"):
        read_focus_groups(dup, _segments(), CODES)


def test_missing_files_and_no_double_coding(tmp_path):
    with pytest.raises(InputFileError, match="not found"):
        read_focus_groups(tmp_path / "nope.csv", _segments(), CODES)
    fg = read_focus_groups(GROUPS, _segments(), CODES)
    with pytest.raises(AnalysisError, match="two or more coders"):
        intercoder_agreement(fg, n_boot=10)


def test_frame_with_non_positive_sizes():
    frame = pd.DataFrame({"s": ["a", "a", "b"], "pop": [100, 0, -5]})
    with pytest.raises(AnalysisError, match="positive") as err:
        allocate(frame, 1, strata="s", size="pop")
    assert err.value.row == [2, 3]
    frame = pd.DataFrame({"s": ["a", "b"], "pop": [100, None]})
    with pytest.raises(AnalysisError, match="positive"):
        allocate(frame, 1, strata="s", size="pop")


def test_more_psus_than_exist_and_impossible_minimum():
    frame = pd.DataFrame({"s": ["a", "a", "b"], "pop": [100, 200, 300], "hh": [40, 80, 120]})
    with pytest.raises(AnalysisError, match="only 3") as err:
        draw_sample(frame, strata="s", size="pop", n_psu=4, take=5, households="hh")
    assert "--n-psu" in str(err.value)
    with pytest.raises(AnalysisError, match="minimum"):
        allocate(frame, 2, strata="s", size="pop", minimum=2)
    with pytest.raises(AnalysisError, match="households"):
        draw_sample(frame, strata="s", size="pop", n_psu=2, take=5)
    with pytest.raises(AnalysisError, match="Neyman"):
        allocate(frame, 2, strata="s", size="pop", method="neyman")


def test_planning_arguments():
    with pytest.raises(AnalysisError, match="non-zero"):
        did_sample_size(0)
    with pytest.raises(AnalysisError, match="ICC"):
        did_sample_size(0.3, icc=1.2)
    with pytest.raises(AnalysisError, match="never below 1"):
        did_sample_size(0.3, deff_weighting=0.8)


def test_participants_with_text_answers_or_one_answer():
    from trustsurvey.analysis import compare_with_survey

    survey = pd.DataFrame(
        {"community": ["A"], "estimate": [3.0], "ci_low": [2.8], "ci_high": [3.2]}
    )
    part = pd.DataFrame({"group_id": "G1", "community": "A", "phase": [1, 2, 2],
                         "trust_police": ["4", "five", "5"]})  # fmt: skip
    with pytest.raises(DataValidationError, match="five") as err:
        compare_with_survey(part, survey, item="trust_police")
    assert err.value.row == [2]
    one = part.assign(trust_police=[4, 5, 9])  # 9 "refused" leaves one valid post answer
    res = compare_with_survey(one, survey, item="trust_police")
    assert res["reading"].tolist() == ["NA: fewer than two valid answers"] * 2
    with pytest.raises(DataValidationError, match="phase"):
        compare_with_survey(one.assign(phase=[1, 2, 3]), survey, item="trust_police")
