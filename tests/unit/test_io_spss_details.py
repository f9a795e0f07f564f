"""What the SPSS writer keeps beyond pyreadstat's own writer: value labels longer than 120
bytes, alignments, blank document lines; and what it reports: strings widened for UTF-8,
a file's code page."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from trustsurvey.io import FileMetadata, SurveyData, read_survey
from trustsurvey.io.write import write_spss


def _data() -> SurveyData:
    frame = pd.DataFrame(
        {"q": [1.0, 2.0], "s": ["ab", "cd"], "long": ["x" * 300, "y"], "t": ["a", "b"]}
    )
    meta = FileMetadata(
        column_names=list(frame.columns),
        value_labels={
            "q": {1.0: " ".join(["Відмова"] * 13), 2.0: "short"},  # 194 bytes
            "s": {"ab": "ї" * 100},
            "long": {"y": "Відмова " * 30 + "end"},  # 453 bytes, a string of 300 bytes
        },
        alignment={"q": "center", "s": "right", "long": "center", "t": "center"},
        notes=["", "after a blank line"],
    )
    return SurveyData(frame, meta)


@pytest.mark.parametrize("target", ["o.sav", "o.zsav"])
def test_long_value_labels_alignment_and_blank_notes_are_kept(target: str, tmp_path: Path) -> None:
    sd = _data()
    out = write_spss(sd, tmp_path / target)
    frame, meta = pyreadstat.read_sav(str(out))
    assert frame["long"].iloc[0] == "x" * 300  # the data after the patched dictionary
    assert meta.variable_value_labels["q"] == sd.meta.value_labels["q"]
    assert meta.variable_value_labels["s"] == sd.meta.value_labels["s"]
    assert meta.variable_value_labels["long"] == sd.meta.value_labels["long"]
    assert meta.variable_alignment == {"q": "center", "s": "right", "long": "center", "t": "center"}
    again = read_survey(out)
    assert again.meta.notes == ["", "after a blank line"]
    assert again.meta.alignment == sd.meta.alignment


def test_labels_beyond_what_spss_holds_are_cut_with_a_warning(tmp_path: Path) -> None:
    sd = _data()
    sd.meta.value_labels["q"][1.0] = "я" * 200  # 400 bytes: the record holds 255
    with pytest.warns(UserWarning, match="value labels cut to the 255 bytes.*for q"):
        out = write_spss(sd, tmp_path / "o.sav")
    _, meta = pyreadstat.read_sav(str(out))
    assert meta.variable_value_labels["q"][1.0] == "я" * 127


def test_text_wider_in_utf8_and_code_page_are_reported(tmp_path: Path) -> None:
    frame = pd.DataFrame({"town": ["Montréal", "Zürich"]})
    meta = FileMetadata(column_names=["town"], formats={"town": "A8"}, encoding="WINDOWS-1252")
    with pytest.warns(UserWarning) as caught:
        out = write_spss(SurveyData(frame, meta), tmp_path / "o.sav")
    said = " ".join(str(w.message) for w in caught)
    assert "town: its text needs 9 bytes in UTF-8, more than its format A8 holds" in said
    assert "written in UTF-8 (the source was WINDOWS-1252)" in said
    _, back = pyreadstat.read_sav(str(out))
    assert back.original_variable_types["town"] == "A9"
