"""A study whose waves are Kobo and ODK Central exports, read with their XLSForm (``form:``).

The bundled core questionnaire, put into groups and written as an XLSForm, is the form; wave
1 is a KoboToolbox XLSX export (``grp/q`` headers, split ``q/option`` 0/1 columns, ``n/a``
for skipped questions, ``_id``… columns), wave 2 an ODK Central CSV export (``grp-q``
headers, one space-separated multiple-choice column, ``KEY``… columns). ``trustsurvey
validate`` and the run's reading step read both through the form: no error and no false
alarm, every skipped question "not relevant", the server columns kept out of the items.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_form_exports import (
    FALSE_ALARMS,
    PILOT,
    grouped_form,
    server_frame,
    study_wave,
    write_xlsx,
)
from typer.testing import CliRunner

from trustsurvey.cli import app
from trustsurvey.errors import StudyError
from trustsurvey.questionnaire import instrument_path, load_questionnaire
from trustsurvey.study import load_study
from trustsurvey.validation import validate_study
from trustsurvey.validation.validate import read_wave

CORE = "police_trust_core"
N_PER_WAVE = int(os.environ.get("TRUSTSURVEY_EXPORT_STUDY_ROWS", "120"))


STUDY = """\
name: exports
questionnaire: {core}
waves:
  - {{code: 1, file: data/wave1_kobo.xlsx, form: forms/core.xlsx, period: baseline}}
  - {{code: 2, file: data/wave2_odk.csv, form: forms/core.xlsx, period: follow-up}}
design: {{ids: psu, strata: stratum, weights: pw, nest: true}}
arms: {{community: raion, communities: communities.csv}}
"""


@pytest.fixture(scope="module")
def study_folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[int, pd.DataFrame]]:
    folder = tmp_path_factory.mktemp("exports") / "study"
    (folder / "data").mkdir(parents=True)
    (folder / "forms").mkdir()
    q, form = grouped_form(CORE, folder / "forms")
    form.rename(folder / "forms" / "core.xlsx")
    truths = {1: study_wave(q, 1, N_PER_WAVE, seed=21), 2: study_wave(q, 2, N_PER_WAVE, seed=22)}
    kobo = server_frame(
        q, truths[1], style="kobo", grouped=True, multiple="split", flags="01", skipped="n/a"
    )
    write_xlsx(folder / "data" / "wave1_kobo.xlsx", {"data": kobo})
    odk = server_frame(q, truths[2], style="odk", grouped=True, multiple="single")
    odk.to_csv(folder / "data" / "wave2_odk.csv", index=False)
    arms = ["pilot" if c in PILOT else "control" for c in range(1, 7)]
    pd.DataFrame({"community": range(1, 7), "arm": arms}).to_csv(
        folder / "communities.csv", index=False
    )
    (folder / "study.yaml").write_text(STUDY.format(core=CORE), encoding="utf-8")
    return folder, truths


def test_validate_finds_no_error_and_no_false_alarm(study_folder) -> None:
    folder, _ = study_folder
    report = validate_study(load_study(folder))
    assert report.errors.empty, report.errors.head(10).to_string()
    alarms = report.table[report.table["check"].isin(FALSE_ALARMS)]
    assert alarms.empty, alarms[["file", "check", "item", "message_en"]].head(10).to_string()


def test_the_command_line_validates_both_exports_clean(study_folder) -> None:
    folder, _ = study_folder
    result = CliRunner().invoke(app, ["validate", str(folder)])
    assert result.exit_code == 0, result.output
    assert "wave1_kobo.xlsx" in result.output or "0 errors" in result.output


@pytest.mark.parametrize("code", [1, 2])
def test_the_runs_reading_step_reads_through_the_form(study_folder, code: int) -> None:
    folder, truths = study_folder
    study = load_study(folder)
    sd = read_wave(study, study.wave(code))
    truth = truths[code]
    q = load_questionnaire(instrument_path(CORE))
    items = {c for name in q.items for c in q.columns_for(name)}
    assert items <= set(sd.data.columns)
    # the server's columns are kept, listed apart, never items
    assert not (set(sd.meta.form_columns) & items)
    assert {"_id", "KEY"} & set(sd.meta.form_columns)
    for column in truth.columns:  # every answer as given; skipped (n/a) ones empty
        got, want = sd.data[column], truth[column]
        if pd.api.types.is_numeric_dtype(want):
            assert np.allclose(
                pd.to_numeric(got).to_numpy(float), want.to_numpy(float), equal_nan=True
            )
        else:
            assert [None if pd.isna(v) else str(v) for v in got] == [
                None if pd.isna(v) else str(v) for v in want
            ], column


def test_without_the_form_the_n_a_cells_are_found(study_folder, tmp_path: Path) -> None:
    """The same Kobo export read without ``form:`` is not understood: that is what the key
    is for (and the test above is not passing by accident)."""
    folder, _ = study_folder
    text = (folder / "study.yaml").read_text(encoding="utf-8")
    other = tmp_path / "study"
    other.mkdir()
    for name in ("data", "forms"):
        shutil.copytree(folder / name, other / name)
    (other / "communities.csv").write_bytes((folder / "communities.csv").read_bytes())
    (other / "study.yaml").write_text(text.replace(", form: forms/core.xlsx", ""), encoding="utf-8")
    report = validate_study(load_study(other))
    assert not report.errors.empty


def test_a_form_for_an_spss_file_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "w.sav").write_bytes(b"")
    (folder / "form.xlsx").write_bytes(b"")
    (folder / "study.yaml").write_text(
        f"name: s\nquestionnaire: {CORE}\nwaves:\n"
        "  - {code: 1, file: data/w.sav, form: form.xlsx, period: baseline}\n"
        "design: {ids: psu}\n",
        encoding="utf-8",
    )
    with pytest.raises(StudyError, match=r"waves\[0\]\.form"):
        load_study(folder, check_columns=False)


def test_sample_sizes_with_an_item_named_community_beside_the_community_column() -> None:
    """The core questionnaire has a text item ``community`` beside the study's community
    column (``raion``): the published sample sizes count by the study's column."""
    from types import SimpleNamespace

    from trustsurvey.run.steps_publish import sample_size_table

    study = SimpleNamespace(
        arms=SimpleNamespace(community="raion"), design=SimpleNamespace(weights=None)
    )
    frame = pd.DataFrame(
        {"raion": [1, 1, 2], "community": ["a", "b", "c"], "wave": [1, 1, 1], "arm": "x"}
    )
    parts = sample_size_table(SimpleNamespace(study=study), frame)
    by_community = next(p for p in parts if "community" in p.columns)
    assert by_community["community"].tolist() == [1, 2]
    assert by_community["n"].tolist() == [2, 1]
