"""Repeat groups of Kobo and ODK exports inside a study (``form:``), validated and run.

The form is the bundled core questionnaire put into groups, with a repeat of household
members added (age, sex, a trust question asked of adults, a contact question asked only
where the respondent had contact with the police: skip logic on the parent's answer).
Wave 1 is a KoboToolbox XLSX export (the repeat on its own sheet, ``_parent_index`` →
``_index``), wave 2 an ODK Central CSV export (``wave2_odk-member.csv``, ``PARENT_KEY`` →
``KEY``). ``trustsurvey validate`` and ``trustsurvey run`` check the repeat rows against the
repeat's items with no false alarm, count them, report a row whose parent is missing (file,
row, link value), and keep estimation one row per respondent.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_form_exports import (
    FALSE_ALARMS,
    PILOT,
    answers,
    server_frame,
    skip,
    study_wave,
    write_xlsx,
)
from typer.testing import CliRunner

from trustsurvey.cli import app
from trustsurvey.questionnaire import from_xlsform, instrument_path, load_questionnaire, to_xlsform
from trustsurvey.questionnaire.serialize import dump_yaml, questionnaire_to_data
from trustsurvey.study import load_study
from trustsurvey.validation import clean_study, validate_study

CORE = "police_trust_core"
REPEAT = "member"
#: enough respondents that the published tables are aggregates, not row-like
N_PER_WAVE = int(os.environ.get("TRUSTSURVEY_REPEAT_STUDY_ROWS", "300"))
KOBO_SHEET = f"data/wave1_kobo.xlsx, sheet '{REPEAT}'"
ODK_FILE = f"data/wave2_odk-{REPEAT}.csv"


def core_with_repeat(folder: Path):
    """The core questionnaire in two groups plus a repeat of household members, as an
    XLSForm read back with pyxform."""
    q = load_questionnaire(instrument_path(CORE))
    names = list(q.items)
    items = {
        name: dataclasses.replace(
            q.items[name], group="block_a" if index < len(names) // 2 else "block_b/inner"
        )
        for index, name in enumerate(names)
    }
    inside = {"group": REPEAT, "repeat": REPEAT, "roles": frozenset()}
    new = {
        "member_age": dataclasses.replace(q.items["age"], name="member_age", **inside),
        "member_sex": dataclasses.replace(q.items["sex"], name="member_sex", **inside),
        "member_trust": dataclasses.replace(
            q.items["trust_police"], name="member_trust", relevant="member_age >= 50", **inside
        ),
        "member_contact": dataclasses.replace(
            q.items["contact_police"],
            name="member_contact",
            relevant="contact_police == 1",  # the parent's answer
            **inside,
        ),
    }
    q = dataclasses.replace(q, items={**items, **new}, indices={}, codebook=None, source=None)
    form = to_xlsform(q, folder / "core_member.xlsx")
    return from_xlsform(form), form


def _members(q, main: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """0–3 members per respondent, answers following the skip logic (parent's included)."""
    rng = np.random.default_rng(seed)
    parents = np.repeat(np.arange(len(main)), rng.integers(0, 4, len(main)))
    rows = answers(q, 3 * len(parents), seed + 1, repeat=REPEAT).iloc[: len(parents)]
    assert len(rows) == len(parents)
    rows = rows.reset_index(drop=True)
    rows["contact_police"] = main["contact_police"].to_numpy()[parents]
    rows = skip(q, rows, REPEAT).drop(columns="contact_police")
    return rows, parents


STUDY = """\
name: repeats
questionnaire: questionnaire.yaml
waves:
  - {code: 1, file: data/wave1_kobo.xlsx, form: forms/core_member.xlsx, period: baseline}
  - {code: 2, file: data/wave2_odk.csv, form: forms/core_member.xlsx, period: follow-up}
design: {ids: psu, strata: stratum, weights: pw, nest: true}
arms: {community: raion, communities: communities.csv}
"""


def write_study(folder: Path) -> dict:
    (folder / "data").mkdir(parents=True)
    (folder / "forms").mkdir()
    q, _ = core_with_repeat(folder / "forms")
    (folder / "questionnaire.yaml").write_text(
        dump_yaml(questionnaire_to_data(q)), encoding="utf-8"
    )
    truth = {}
    for code, style in ((1, "kobo"), (2, "odk")):
        main = study_wave(q, code, N_PER_WAVE, seed=30 + code)
        rows, parents = _members(q, main, seed=40 + code)
        truth[code] = (main, rows, parents)
        multiple = "split" if style == "kobo" else "single"
        top = server_frame(q, main, style=style, grouped=True, multiple=multiple, skipped="")
        sub = server_frame(q, rows, style=style, grouped=True, multiple=multiple, repeat=REPEAT)
        if style == "kobo":
            sub["_parent_index"] = (parents + 1).tolist()
            sub["_parent_table_name"] = "core_member"
            write_xlsx(folder / "data" / "wave1_kobo.xlsx", {"core_member": top, REPEAT: sub})
        else:
            sub["PARENT_KEY"] = [f"uuid:{p + 1}" for p in parents]
            sub["KEY"] = [f"uuid:{p + 1}/{REPEAT}[{i}]" for i, p in enumerate(parents)]
            sub = sub.drop(columns=["SubmissionDate", "meta-instanceID", "SubmitterID"])
            top.to_csv(folder / "data" / "wave2_odk.csv", index=False)
            sub.to_csv(folder / "data" / f"wave2_odk-{REPEAT}.csv", index=False)
    arms = ["pilot" if c in PILOT else "control" for c in range(1, 7)]
    pd.DataFrame({"community": range(1, 7), "arm": arms}).to_csv(
        folder / "communities.csv", index=False
    )
    (folder / "study.yaml").write_text(STUDY, encoding="utf-8")
    return truth


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("repeats") / "study"
    return folder, write_study(folder)


@pytest.fixture(scope="module")
def clean_report(study):
    return validate_study(load_study(study[0]))


def _copy(folder: Path, to: Path) -> Path:
    shutil.copytree(folder, to, ignore=shutil.ignore_patterns("out"))
    return to


def test_the_form_has_the_repeat_and_the_data_use_its_skip_logic(study) -> None:
    folder, truth = study
    q = load_study(folder).questionnaire
    assert {n for n, i in q.items.items() if i.repeat == REPEAT} == {
        "member_age",
        "member_sex",
        "member_trust",
        "member_contact",
    }
    for _main, rows, _parents in truth.values():  # both answered and skipped rows exist
        assert rows["member_contact"].isna().any() and rows["member_contact"].notna().any()
        assert rows["member_trust"].isna().any() and rows["member_trust"].notna().any()


def test_validate_checks_the_repeat_rows_with_no_false_alarm(study, clean_report) -> None:
    _folder, truth = study
    report = clean_report
    assert report.errors.empty, report.errors.head(10).to_string()
    alarms = report.table[report.table["check"].isin(FALSE_ALARMS)]
    assert alarms.empty, alarms[["file", "check", "item", "message_en"]].head(10).to_string()
    assert report.files == ["data/wave1_kobo.xlsx", KOBO_SHEET, "data/wave2_odk.csv", ODK_FILE]
    assert report.n_rows[KOBO_SHEET] == len(truth[1][1])
    assert report.n_rows[ODK_FILE] == len(truth[2][1])
    counts = report.repeats.set_index("wave")
    for code in (1, 2):
        main, rows, parents = truth[code]
        assert counts.loc[code, "rows"] == len(rows)
        assert counts.loc[code, "parent_rows"] == len(main)
        assert counts.loc[code, "parents_with_rows"] == len(np.unique(parents))
        assert counts.loc[code, "rows_without_parent"] == 0


@pytest.mark.parametrize("code", [1, 2], ids=["kobo", "odk"])
def test_an_answer_the_repeat_skip_logic_rules_out_is_found_on_its_row(
    study, clean_report, tmp_path, code
):
    """The check is not passing by accident: a member's contact answer where the parent
    had no contact with the police is found, named by the repeat's file and row."""
    folder, truth = study
    other = _copy(folder, tmp_path / "study")
    _main, rows, _parents = truth[code]
    row = int(np.flatnonzero(rows["member_contact"].isna().to_numpy())[0])
    if code == 1:
        book = pd.read_excel(other / "data/wave1_kobo.xlsx", sheet_name=None, dtype=object)
        sheet = book[REPEAT]
        head = next(c for c in sheet.columns if c.endswith("member_contact"))
        sheet.loc[row, head] = 1
        write_xlsx(other / "data/wave1_kobo.xlsx", book)
        where = KOBO_SHEET
    else:
        sheet = pd.read_csv(other / ODK_FILE, dtype=str, keep_default_na=False)
        head = next(c for c in sheet.columns if c.endswith("member_contact"))
        sheet.loc[row, head] = "1"
        sheet.to_csv(other / ODK_FILE, index=False)
        where = ODK_FILE
    report = validate_study(load_study(other))
    new = report.table.merge(clean_report.table, how="left", indicator=True)
    found = new[new["_merge"] == "left_only"]
    assert found[["file", "row", "item", "check"]].values.tolist() == [
        [where, row + 1, "member_contact", "not_relevant"]
    ]


@pytest.mark.parametrize("code", [1, 2], ids=["kobo", "odk"])
def test_a_repeat_row_whose_parent_is_missing_is_an_error(study, tmp_path, code) -> None:
    folder, truth = study
    other = _copy(folder, tmp_path / "study")
    if code == 1:
        book = pd.read_excel(other / "data/wave1_kobo.xlsx", sheet_name=None, dtype=object)
        book[REPEAT].loc[2, "_parent_index"] = 999
        write_xlsx(other / "data/wave1_kobo.xlsx", book)
        where, link, value = KOBO_SHEET, "_parent_index", "999"
    else:
        sheet = pd.read_csv(other / ODK_FILE, dtype=str, keep_default_na=False)
        sheet.loc[2, "PARENT_KEY"] = "uuid:999"
        sheet.to_csv(other / ODK_FILE, index=False)
        where, link, value = ODK_FILE, "PARENT_KEY", "uuid:999"
    report = validate_study(load_study(other))
    errors = report.errors
    assert errors[["file", "row", "item", "value", "check"]].values.tolist() == [
        [where, 3, link, value, "repeat_parent_missing"]
    ]
    message = errors["message_en"].iloc[0]
    assert value in message and "What to do" in message
    assert errors["message_uk"].iloc[0]
    # the row is kept and counted, never dropped
    counts = report.repeats.set_index("wave")
    assert counts.loc[code, "rows"] == len(truth[code][1])
    assert counts.loc[code, "rows_without_parent"] == 1
    # a repeat row's error excludes no respondent
    cleaned = clean_study(load_study(other), report, write=False)
    assert cleaned.exclusions.empty
    assert len(cleaned.data[code].data) == len(truth[code][0])
    # the command line names the file, the row and the link's value
    result = CliRunner().invoke(app, ["validate", str(other)])
    assert result.exit_code == 1, result.output
    table = pd.read_csv(other / "out/validation/validation.csv", dtype=str)
    errors = table[table["severity"] == "error"]
    assert errors[["file", "row", "item", "value"]].values.tolist() == [[where, "3", link, value]]
    assert "1 without a parent" in result.output


def test_two_odk_exports_in_one_folder_take_their_own_repeat_file(study, tmp_path) -> None:
    from trustsurvey.io.form_export import read_form_export

    folder, truth = study
    other = _copy(folder, tmp_path / "study")
    data = other / "data"
    (data / "a_wave2_odk.csv").write_bytes((data / "wave2_odk.csv").read_bytes())
    sheet = pd.read_csv(data / ODK_FILE.split("/")[1], dtype=str)
    sheet.iloc[:5].to_csv(data / f"a_wave2_odk-{REPEAT}.csv", index=False)
    q = load_study(other).questionnaire
    for name, n in (("wave2_odk.csv", len(truth[2][1])), ("a_wave2_odk.csv", 5)):
        export = read_form_export(data / name, q)
        assert len(export.repeats[REPEAT].data) == n, name


def test_run_validates_counts_and_keeps_the_repeat_rows(study, tmp_path) -> None:
    folder, truth = study
    other = _copy(folder, tmp_path / "study")
    result = CliRunner().invoke(app, ["run", str(other)])
    assert result.exit_code == 0, result.output[-3000:]
    n_members = {code: len(rows) for code, (_m, rows, _p) in truth.items()}
    assert f"repeat {REPEAT}: {n_members[1]} rows (wave1_kobo.xlsx, sheet '{REPEAT}')" in (
        result.output
    )
    assert f"repeat {REPEAT}: {n_members[2]} rows (wave2_odk-{REPEAT}.csv)" in result.output
    assert "Validation: 0 error(s)" in result.output
    out = other / "out"
    counts = pd.read_csv(out / "validation" / "repeats.csv")
    assert counts["rows"].tolist() == [n_members[1], n_members[2]]
    assert counts["file"].tolist() == [KOBO_SHEET, ODK_FILE]
    # estimation stays one row per respondent, with no repeat item in it
    analysis = pd.read_parquet(out / "analysis.parquet")
    assert len(analysis) == sum(len(m) for m, _r, _p in truth.values())
    assert not {c for c in analysis.columns if c.startswith("member_")}
    assert analysis["resp_id"].is_unique
    # every repeat row is kept beside it, linked to its respondent
    members = pd.read_parquet(out / "repeats" / f"{REPEAT}.parquet")
    assert len(members) == sum(n_members.values())
    for code, (main, rows, parents) in truth.items():
        mine = members[members["wave"] == code]
        assert mine["respondent_row"].tolist() == (parents + 1).tolist()
        assert mine["resp_id"].tolist() == main["resp_id"].to_numpy()[parents].tolist()
        assert np.allclose(
            mine["member_age"].to_numpy(float), rows["member_age"].to_numpy(float), equal_nan=True
        )
    per = pd.read_csv(out / "repeats" / "per_respondent.csv")
    assert len(per) == len(analysis) and per[REPEAT].sum() == len(members)
    for code, (main, _rows, parents) in truth.items():
        want = np.bincount(parents, minlength=len(main))
        assert per.loc[per["wave"] == code, REPEAT].tolist() == want.tolist()
    # joined by wave and file row, the counts meet the analysis frame's respondents
    joined = analysis.merge(
        per.rename(columns={"row": "source_row"}), on=["wave", "source_row"], how="left"
    )
    assert joined[REPEAT].notna().all()
    assert (joined["resp_id_x"] == joined["resp_id_y"]).all()


def test_init_with_a_form_guesses_no_role_for_a_repeat_item(tmp_path) -> None:
    """`init --form` on the committed household export: the members' sex (inside the
    repeat) is not guessed a respondent subgroup, and the draft validates both tables."""
    import yaml

    from trustsurvey.study.draft import draft_study

    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "xlsform"
    for name in ("household_form.xlsx", "household_export.xlsx"):
        shutil.copy(fixtures / name, tmp_path / name)
    draft = draft_study(
        tmp_path / "s", [tmp_path / "household_export.xlsx"], form=tmp_path / "household_form.xlsx"
    )
    draft.write()
    inside = {n: i for n, i in draft.questionnaire.items.items() if i.repeat}
    assert set(inside) == {"m_name", "member_age", "sex", "pregnant"}
    assert not any(i.roles for i in inside.values())
    plan = yaml.safe_load((tmp_path / "s" / "study.yaml").read_text(encoding="utf-8"))
    named = [n for names in plan["analysis"].values() for n in names or []]
    assert not set(named) & set(inside)
    report = validate_study(load_study(tmp_path / "s"))
    assert report.table.empty, report.table.head().to_string()
    assert report.n_rows == {
        "../household_export.xlsx": 3,
        "../household_export.xlsx, sheet 'member'": 5,
    }
