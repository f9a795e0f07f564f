"""Kobo-style and ODK-style exports of every bundled questionnaire read and validate clean.

Each bundled questionnaire is put into groups (so the two header styles differ), written as
an XLSForm, read back with pyxform, and answered by simulated respondents who follow its
skip logic. The answers are written as the servers write them: KoboToolbox/Ona (``grp/q``
or bare headers, select_multiple as one column and/or ``q/option`` with 0/1,
``True``/``False`` or 1/blank, ``n/a`` for skipped questions, ``_id``… columns, label
exports) and ODK Central (``grp-q`` headers, ``KEY``/``SubmissionDate``…, one
space-separated select_multiple column). Read with the form, not one error and no column
or skip-logic warning: every column is known, every skipped question is "not relevant".
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from trustsurvey.io.form_export import read_form_export, validate_form_export
from trustsurvey.questionnaire import from_xlsform, instrument_path, load_questionnaire, to_xlsform

BUNDLED = ["police_trust_core", "focus_group_protocol", "programme_vocabulary"]
FALSE_ALARMS = {
    "extra_column",
    "missing_column",
    "not_relevant",
    "relevant_missing",
    "required_missing",
    "invalid_code",
    "wrong_type",
    "out_of_range",
    "exclusive_option",
    "duplicate_id",
}


# ------------------------------------------------------------------ simulated answers


def answers(q, n: int, seed: int, repeat: str | None = None) -> pd.DataFrame:
    """Answers in the questionnaire's columns that follow its skip logic (NaN = skipped)."""
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {}
    for name, item in q.items.items():
        if item.repeat != repeat:
            continue
        kind = item.type
        if kind in ("single", "likert"):
            codes = list(item.codes) + list(item.missing)
            data[name] = [codes[i] for i in rng.integers(0, len(codes), n)]
        elif kind == "multiple":
            options = list(item.options)
            ticks = rng.integers(0, 2, (n, len(options))).astype(float)
            ticks[np.arange(n), rng.integers(0, len(options), n)] = 1.0  # at least one
            if item.exclusive is not None:
                none = options.index(item.exclusive)
                alone = ticks[:, none] == 1
                ticks[alone] = 0.0
                ticks[alone, none] = 1.0
            for j, column in enumerate(q.columns_for(name)):
                data[column] = ticks[:, j]
        elif kind == "numeric":
            low = 0 if item.min is None else math.ceil(item.min)
            high = low + 90 if item.max is None else math.floor(item.max)
            data[name] = rng.integers(low, high + 1, n).astype(float)
        elif kind == "date":
            data[name] = [f"2024-05-{d:02d}" for d in rng.integers(1, 29, n)]
        elif "geopoint" in (item.note or ""):
            data[name] = [f"50.{d} 30.{d} 120 5" for d in rng.integers(10, 99, n)]
        elif kind == "identifier" or "id" in item.roles:
            data[name] = [f"{name}{seed}-{i}" for i in range(n)]
        else:
            data[name] = [f"answer {i}" for i in rng.integers(0, 5, n)]
    frame = pd.DataFrame(data)
    for _ in range(2):  # skip logic may refer to later items
        for name, item in q.items.items():
            if item.repeat != repeat or not item.relevant:
                continue
            try:
                asked = q.relevant_mask(name, frame).to_numpy()
            except Exception:  # refers to the parent: filled in by the caller
                continue
            for column in q.columns_for(name):
                frame.loc[~asked, column] = np.nan
    # two respondents with identical answers are a real finding (duplicate): none here
    ids = [n for n, i in q.items.items() if i.type == "identifier" or "id" in i.roles]
    frame = frame[~frame.drop(columns=[c for c in ids if c in frame]).duplicated()]
    return frame.reset_index(drop=True)


# ------------------------------------------------------------------ export writers


#: communities 1-3 of a study wave (``study_wave``) are the pilot arm
PILOT = {1, 2, 3}


def study_wave(q, code: int, n: int, seed: int) -> pd.DataFrame:
    """``n`` answers of wave ``code`` that follow the form's skip logic, with a respondent id,
    a community (``raion`` 1-6), its arm (``pilot``) and a sound design (stratum, PSU,
    weight)."""
    truth = answers(q, n, seed=seed)
    raion = np.resize(np.arange(1, 7), len(truth))
    truth["resp_id"] = [f"w{code}-{i:03d}" for i in range(len(truth))]
    truth["wave"] = code
    truth["raion"] = raion
    truth["pilot"] = [1 if r in PILOT else 0 for r in raion]
    truth["stratum"] = [f"s{r}" for r in raion]
    truth["psu"] = [f"p{r}-{(i // 6) % 2}" for i, r in enumerate(raion)]
    truth["pw"] = 1.0
    return truth


def _path(item, grouped: bool, sep: str) -> str:
    parts = [*(item.group.split("/") if item.group and grouped else []), item.name]
    return sep.join(parts)


def _text(value, skipped: str) -> object:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return skipped
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value


def _label(item, code, lang="uk") -> str:
    labels = {**item.codes, **item.missing}
    return labels[code].get(lang) if code in labels else str(code)


def server_frame(
    q,
    frame: pd.DataFrame,
    *,
    style: str,
    grouped: bool,
    multiple: str,
    flags: str = "01",
    skipped: str = "",
    labels: bool = False,
    repeat: str | None = None,
) -> pd.DataFrame:
    """``frame`` (questionnaire columns) as a server writes it."""
    sep = "-" if style == "odk" else "/"
    out: dict[str, list] = {}
    n = len(frame)
    if style == "kobo" and repeat is None:
        out["start"] = ["2024-05-01T10:00:00.000+03:00"] * n
        out["end"] = ["2024-05-01T10:40:00.000+03:00"] * n
    for name, item in q.items.items():
        if item.repeat != repeat:
            continue
        head = _path(item, grouped, sep)
        if labels:
            head = (f"{item.group}/" if grouped and item.group else "") + item.text.get("uk")
        if item.type == "multiple":
            columns = q.columns_for(name)
            block = frame[columns]
            answered = block.notna().any(axis=1)
            if multiple in ("single", "both"):
                out[head] = [
                    " ".join(
                        str(o) if not labels else item.options[o].get("uk")
                        for o, c in zip(item.options, columns, strict=True)
                        if row[c] == 1
                    )
                    if ok
                    else skipped
                    for (_, row), ok in zip(block.iterrows(), answered, strict=True)
                ]
            if multiple in ("split", "both"):
                for option, column in zip(item.options, columns, strict=True):
                    key = (
                        f"{head}/{option}"
                        if not labels
                        else (f"{head}/{item.options[option].get('uk')}")
                    )
                    values = []
                    for value, ok in zip(frame[column], answered, strict=True):
                        if not ok:
                            values.append("" if flags == "1blank" else skipped)
                        elif flags == "truefalse":
                            values.append("True" if value == 1 else "False")
                        elif flags == "1blank":
                            values.append("1" if value == 1 else "")
                        else:
                            values.append("1" if value == 1 else "0")
                    out[key] = values
            continue
        if labels and (item.codes or item.missing):
            out[head] = [skipped if pd.isna(v) else _label(item, v) for v in frame[name]]
        else:
            out[head] = [_text(v, skipped) for v in frame[name]]
        if "geopoint" in (item.note or ""):
            parts = frame[name].str.split(expand=True)
            for index, part in enumerate(("latitude", "longitude", "altitude", "precision")):
                geo = f"_{head}_{part}" if style == "kobo" else f"{head}-{part.title()}"
                if style == "odk" and part == "precision":
                    geo = f"{head}-Accuracy"
                out[geo] = [_text(v, "") for v in parts[index]]
    ids = list(range(1, n + 1))
    if style == "kobo":
        out |= {
            "_id": [1000 + i for i in ids],
            "_uuid": [f"uuid-{repeat}-{i}" for i in ids],
            "_submission_time": ["2024-05-01T11:00:00"] * n,
            "_validation_status": [""] * n,
            "_notes": [""] * n,
            "_status": ["submitted_via_web"] * n,
            "_submitted_by": ["enumerator1"] * n,
            "__version__": ["v1"] * n,
            "_version": ["v1"] * n,
            "_duration": [2400] * n,
            "_tags": [""] * n,
            "_index": ids,
            "meta/instanceID": [f"uuid:{i}" for i in ids],
        }
    else:
        out |= {
            "SubmissionDate": ["2024-05-01T11:00:00.000Z"] * n,
            "meta-instanceID": [f"uuid:{i}" for i in ids],
            "KEY": [f"uuid:{i}" for i in ids],
            "SubmitterID": [5] * n,
            "SubmitterName": ["enumerator1"] * n,
            "AttachmentsPresent": [0] * n,
            "AttachmentsExpected": [0] * n,
            "Status": [""] * n,
            "ReviewState": [""] * n,
            "DeviceID": ["collect:abc"] * n,
            "Edits": [0] * n,
            "FormVersion": ["1"] * n,
        }
    return pd.DataFrame(out)


def write_xlsx(path: Path, sheets: dict[str, pd.DataFrame]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, frame in sheets.items():
        sheet = book.create_sheet(title[:31])
        sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            sheet.append(["" if v is None else v for v in row])
    book.save(path)
    return path


# ------------------------------------------------------------------ forms


def grouped_form(name: str, tmp_path: Path):
    """The bundled questionnaire with its items in two groups (one nested), as an XLSForm
    read back with pyxform."""
    q = load_questionnaire(instrument_path(name))
    names = list(q.items)
    half = len(names) // 2
    items = {}
    for index, item_name in enumerate(names):
        group = "block_a" if index < half else "block_b/inner"
        items[item_name] = dataclasses.replace(q.items[item_name], group=group)
    q = dataclasses.replace(q, items=items, indices={}, codebook=None, source=None)
    form = to_xlsform(q, tmp_path / f"{name}.xlsx")
    return from_xlsform(form), form


def assert_clean(report) -> None:
    alarms = report.table[report.table["check"].isin(FALSE_ALARMS)]
    assert report.errors.empty, report.errors.head(10).to_string()
    assert alarms.empty, alarms.head(10).to_string()


STYLES = [
    # (server, grouped headers, select_multiple, flags, skipped, file)
    ("kobo", True, "both", "01", "", "xlsx"),
    ("kobo", False, "split", "truefalse", "n/a", "csv"),
    ("kobo", True, "split", "1blank", "", "xlsx"),
    ("kobo", False, "single", "01", "n/a", "xlsx"),
    ("odk", True, "single", "01", "", "csv"),
    ("odk", False, "single", "01", "", "csv"),
    ("odk", True, "split", "01", "", "csv"),
]


@pytest.mark.parametrize("name", BUNDLED)
@pytest.mark.parametrize("style", STYLES, ids=lambda s: "-".join(map(str, s)))
def test_bundled_questionnaire_exports_validate_clean(name, style, tmp_path):
    server, grouped, multiple, flags, skipped, kind = style
    q, _ = grouped_form(name, tmp_path)
    truth = answers(q, 60, seed=7)
    frame = server_frame(
        q, truth, style=server, grouped=grouped, multiple=multiple, flags=flags, skipped=skipped
    )
    path = tmp_path / f"export.{kind}"
    if kind == "csv":
        frame.to_csv(path, index=False, sep=";" if server == "kobo" else ",")
    else:
        write_xlsx(path, {"data": frame})
    export = read_form_export(path, q)
    data = export.data.data
    # every answer comes back as it was given, skipped ones empty
    for column in truth.columns:
        got = data[column].to_numpy()
        want = truth[column].to_numpy()
        if pd.api.types.is_numeric_dtype(truth[column]):
            assert np.allclose(
                pd.to_numeric(pd.Series(got)).to_numpy(float), want.astype(float), equal_nan=True
            ), column
        else:
            assert [None if pd.isna(v) else str(v) for v in got] == [
                None if pd.isna(v) else str(v) for v in want
            ], column
    assert set(export.data.meta.form_columns) | set(truth.columns) >= set(data.columns)
    assert export.style == server
    assert_clean(validate_form_export(export, q))
    # the bundled questionnaire itself (no groups, YAML) reads the export as well
    bundled = load_questionnaire(instrument_path(name))
    assert_clean(validate_form_export(read_form_export(path, bundled), bundled))


def test_label_export_of_the_core_questionnaire(tmp_path):
    q, _ = grouped_form("police_trust_core", tmp_path)
    truth = answers(q, 40, seed=3)
    frame = server_frame(q, truth, style="kobo", grouped=True, multiple="both", labels=True)
    path = write_xlsx(tmp_path / "labels.xlsx", {"data": frame})
    export = read_form_export(path, q)
    for column in truth.columns:
        if pd.api.types.is_numeric_dtype(truth[column]):
            assert np.allclose(
                pd.to_numeric(export.data.data[column]).to_numpy(float),
                truth[column].to_numpy(float),
                equal_nan=True,
            ), column
    assert_clean(validate_form_export(export, q))


def test_skipped_questions_are_not_relevant_not_missing(tmp_path):
    q, _ = grouped_form("police_trust_core", tmp_path)
    truth = answers(q, 60, seed=11)
    skipped = {
        n
        for n, i in q.items.items()
        if i.relevant and i.type != "multiple" and truth[n].isna().any()
    }
    assert skipped  # the simulated data do skip questions
    frame = server_frame(q, truth, style="kobo", grouped=True, multiple="split", skipped="n/a")
    path = write_xlsx(tmp_path / "na.xlsx", {"data": frame})
    export = read_form_export(path, q)
    assert any("'n/a' cells" in issue for issue in export.data.meta.issues)
    assert_clean(validate_form_export(export, q))
    # an answer given although the skip logic says "not asked" is still found
    name = sorted(skipped)[0]
    row = int(np.flatnonzero(truth[q.columns_for(name)[0]].isna().to_numpy())[0])
    item = q.items[name]
    bad = truth.copy()
    column = q.columns_for(name)[0]
    bad.loc[row, column] = next(iter(item.codes)) if item.codes else 1.0
    frame = server_frame(q, bad, style="kobo", grouped=True, multiple="split")
    report = validate_form_export(
        read_form_export(write_xlsx(tmp_path / "bad.xlsx", {"data": frame}), q), q
    )
    found = report.table[report.table["check"] == "not_relevant"]
    assert found["item"].tolist() == [column] and found["row"].tolist() == [row + 1]


# ------------------------------------------------------------------ a form with a repeat

# the committed household form (tests/fixtures/xlsform/household_form.xlsx) is the form
# with a repeat; the committed export is one export of it, the tests here write others
HOUSEHOLD_FORM = Path(__file__).resolve().parents[1] / "fixtures/xlsform/household_form.xlsx"


@pytest.fixture(scope="module")
def repeat_form():
    return from_xlsform(HOUSEHOLD_FORM)


def skip(q, frame: pd.DataFrame, repeat: str | None) -> pd.DataFrame:
    for _ in range(2):
        for name, item in q.items.items():
            if item.repeat == repeat and item.relevant:
                asked = q.relevant_mask(name, frame).to_numpy()
                for column in q.columns_for(name):
                    frame.loc[~asked, column] = np.nan
    return frame


def household_data(q, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    main = answers(q, 30, seed)
    main["n_members"] = np.random.default_rng(seed).integers(0, 8, len(main)).astype(float)
    main["many"] = np.where(main["n_members"] > 5, "1", "0")
    main["contact_email"] = [f"p{i}@example.org" for i in range(len(main))]
    main = skip(q, main, None)
    parents = np.repeat(np.arange(len(main)), np.minimum(main["n_members"].fillna(0), 3))
    rows = answers(q, len(parents), seed + 1, repeat="member")
    rows["n_members"] = main["n_members"].to_numpy()[parents]
    rows = skip(q, rows, "member").drop(columns="n_members")
    return main, rows, parents


@pytest.mark.parametrize("grouped", [True, False], ids=["group-paths", "no-group-names"])
@pytest.mark.parametrize("server", ["kobo", "odk"])
def test_a_form_with_a_repeat_reads_and_validates_clean(repeat_form, tmp_path, server, grouped):
    q = repeat_form
    assert q.item("member_age").repeat == "member" and q.item("resp_age").group == "resp"
    assert any("regex(" in rule for rule in q.not_enforced)
    main, rows, parents = household_data(q, seed=5)
    assert rows["pregnant"].notna().any() and rows["pregnant"].isna().any()
    path = write_household(q, main, rows, parents, tmp_path, server, grouped)
    export = read_form_export(path, q)
    assert list(export.repeats) == ["member"]
    members = export.repeats["member"].data
    assert members["_parent_row"].tolist() == parents.astype(float).tolist()
    assert members["member_age"].tolist() == pytest.approx(rows["member_age"].tolist(), nan_ok=True)
    assert members["pregnant"].isna().tolist() == rows["pregnant"].isna().tolist()
    text = export.data.data["assets_other"]
    assert text.isna().tolist() == main["assets_other"].isna().tolist()
    geo = [c for c, what in export.data.meta.form_columns.items() if "geopoint loc" in what]
    assert len(geo) == 4
    assert_clean(validate_form_export(export, q))
    # an answer the skip logic rules out is found, in the repeat table, on its row
    row = int(np.flatnonzero(rows["pregnant"].isna().to_numpy())[0])
    wrong = rows.copy()
    wrong.loc[row, "pregnant"] = 1.0
    path = write_household(q, main, wrong, parents, tmp_path / "wrong", server, grouped)
    report = validate_form_export(read_form_export(path, q), q)
    found = report.table[report.table["check"] != "straightlining"]
    assert found[["item", "check", "row"]].values.tolist() == [
        ["pregnant", "not_relevant", row + 1]
    ]
    assert "member" in found["file"].iloc[0]


def write_household(q, main, rows, parents, folder: Path, server: str, grouped: bool) -> Path:
    folder.mkdir(exist_ok=True)
    top = server_frame(q, main, style=server, grouped=grouped, multiple="both")
    sub = server_frame(q, rows, style=server, grouped=grouped, multiple="both", repeat="member")
    if server == "kobo":
        sub["_parent_index"] = (parents + 1).tolist()
        sub["_parent_table_name"] = "household"
        sub["_submission__uuid"] = [f"uuid-None-{p + 1}" for p in parents]
        return write_xlsx(folder / "household.xlsx", {"household": top, "member": sub})
    sub["PARENT_KEY"] = [f"uuid:{p + 1}" for p in parents]
    sub["KEY"] = [f"uuid:{p + 1}/member[{i}]" for i, p in enumerate(parents)]
    sub = sub.drop(columns=["SubmissionDate", "meta-instanceID", "SubmitterID"])
    path = folder / "household.csv"
    top.to_csv(path, index=False)
    sub.to_csv(folder / "household-member.csv", index=False)
    return path


def test_orphan_repeat_rows_are_reported_not_dropped(repeat_form, tmp_path):
    q = repeat_form
    main, rows, parents = household_data(q, seed=9)
    top = server_frame(q, main, style="kobo", grouped=True, multiple="split")
    sub = server_frame(q, rows, style="kobo", grouped=True, multiple="split", repeat="member")
    sub["_parent_index"] = (parents + 1).tolist()
    sub.loc[0, "_parent_index"] = 999
    export = read_form_export(write_xlsx(tmp_path / "h.xlsx", {"h": top, "member": sub}), q)
    members = export.repeats["member"].data
    assert len(members) == len(rows) and np.isnan(members["_parent_row"].iloc[0])
    assert any("not in the main table" in issue for issue in export.repeats["member"].meta.issues)


def test_a_name_used_in_two_groups_without_group_names_in_the_headers(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "survey"
    for row in [
        ["type", "name", "label", "relevant"],
        ["integer", "n_children", "Children", ""],
        ["begin_group", "head", "Head", ""],
        ["integer", "age", "Age", ""],
        ["end_group", "", "", ""],
        ["begin_group", "child", "Child", "${n_children} > 0"],
        ["integer", "age", "Age of the eldest child", ""],
        ["end_group", "", "", ""],
    ]:
        sheet.append(row)
    book.create_sheet("choices").append(["list_name", "name", "label"])
    book.save(tmp_path / "form.xlsx")
    q = from_xlsform(tmp_path / "form.xlsx")
    rows = "n_children,age,age,_id\n2,40,12,1\n0,35,n/a,2\n"
    (tmp_path / "bare.csv").write_text(rows, encoding="utf-8")
    (tmp_path / "paths.csv").write_text(
        rows.replace("age,age", "head-age,child-age").replace("_id", "KEY"), encoding="utf-8"
    )
    for name in ("bare.csv", "paths.csv"):
        export = read_form_export(tmp_path / name, q)
        data = export.data.data
        assert data["head_age"].tolist() == [40.0, 35.0], name
        assert data["child_age"].tolist()[0] == 12.0 and np.isnan(data["child_age"].iloc[1])
        assert_clean(validate_form_export(export, q))


def test_module_examples_run():
    import doctest

    from trustsurvey.io import form_export

    result = doctest.testmod(form_export, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# ------------------------------------------------------------------ pyxform's forms

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpora" / "pyxform"


def _accepted_forms() -> list[Path]:
    from pyxform.errors import PyXFormError
    from pyxform.xls2json import parse_file_to_json

    out = []
    for path in sorted(CORPUS.rglob("*.xls*")):
        try:
            parse_file_to_json(str(path), warnings=[])
        except PyXFormError:
            continue
        out.append(path)
    return out


def _repeat_rows(q, main: pd.DataFrame, repeat: str, seed: int):
    """Answers of a repeat's items, following skip logic that may name the parent's."""
    rows = answers(q, 2 * len(main), seed, repeat=repeat)
    parents = np.arange(len(rows)) % len(main)
    extra = [c for c in main.columns if c not in rows.columns]
    for column in extra:
        rows[column] = main[column].to_numpy()[parents]
    for _ in range(2):
        for name, item in q.items.items():
            if item.repeat == repeat and item.relevant:
                try:
                    asked = q.relevant_mask(name, rows).to_numpy()
                except Exception:  # names another repeat: not enforced
                    continue
                for column in q.columns_for(name):
                    rows.loc[~asked, column] = np.nan
    return rows.drop(columns=extra), parents


@pytest.mark.parametrize("server", ["kobo", "odk"])
@pytest.mark.parametrize("path", _accepted_forms(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_pyxform_form_and_its_export_validate_clean(path, server, tmp_path):
    q = from_xlsform(path)
    main = answers(q, 20, seed=1)
    options = {"grouped": server == "kobo", "multiple": "both" if server == "kobo" else "single"}
    top = server_frame(q, main, style=server, skipped="n/a" if server == "kobo" else "", **options)
    sheets = {"data": top}
    for number, repeat in enumerate(dict.fromkeys(i.repeat for i in q.items.values() if i.repeat)):
        rows, parents = _repeat_rows(q, main, repeat, seed=2 + number)
        sub = server_frame(q, rows, style=server, repeat=repeat, **options)
        if server == "kobo":
            sub["_parent_index"] = (parents + 1).tolist()
        else:
            sub["PARENT_KEY"] = [f"uuid:{p + 1}" for p in parents]
            sub["KEY"] = [f"uuid:{p + 1}/{repeat}[{i}]" for i, p in enumerate(parents)]
            sub = sub.drop(columns=["meta-instanceID"])
        sheets[repeat] = sub
    if server == "kobo":
        export = write_xlsx(tmp_path / "export.xlsx", sheets)
    else:
        export = tmp_path / "export.csv"
        top.to_csv(export, index=False)
        for repeat, sub in list(sheets.items())[1:]:
            sub.to_csv(tmp_path / f"export-{repeat}.csv", index=False)
    read = read_form_export(export, q)
    assert sorted(read.repeats) == sorted(list(sheets)[1:])
    assert_clean(validate_form_export(read, q))
