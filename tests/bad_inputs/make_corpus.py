"""Build the bad-input cases that are too big (or too derived) to commit.

Each ``build_*`` function writes one case into a folder and returns the path a case's
command reads. A small valid study (:func:`mini_study`: a 7-item questionnaire, two waves
of 120 respondents as CSV, margins, arms) is the base that study-level cases break.

>>> import tempfile
>>> from pathlib import Path
>>> folder = mini_study(Path(tempfile.mkdtemp()) / "study")
>>> sorted(p.name for p in folder.iterdir())
['communities.csv', 'data', 'margins.csv', 'q.yaml', 'study.yaml']

Run as a script to write every built case into a folder for manual inspection::

    python tests/bad_inputs/make_corpus.py /tmp/corpus
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

QUESTIONNAIRE = """\
name: mini
languages: [uk, en]
title: {uk: Міні, en: Mini}
scales:
  trust5:
    codes: {1: Not at all, 2: Rather not, 3: Neither, 4: Rather, 5: Fully}
    missing: {8: difficult to answer, 9: refused}
items:
  - {name: resp_id, type: identifier, required: true, roles: [id]}
  - name: wave
    type: single
    codes: {1: Baseline, 2: Follow-up}
    required: true
    roles: [wave]
  - name: raion
    type: single
    codes: {1: Raion 1, 2: Raion 2}
    required: true
    roles: [community, grouping]
  - {name: stratum, type: identifier, required: true, roles: [design]}
  - {name: psu, type: identifier, required: true, roles: [design]}
  - {name: pw, type: numeric, min: 0, required: true, roles: [design, weighting]}
  - name: sex
    type: single
    codes: {1: Male, 2: Female}
    roles: [grouping, weighting]
  - name: agegrp
    type: single
    codes: {1: 18-39, 2: 40-59, 3: 60+}
    roles: [grouping, weighting]
  - {name: trust_police, type: likert, scale: trust5, roles: [outcome]}
"""

STUDY = """\
name: mini_study
questionnaire: q.yaml
waves:
  - {code: 1, file: data/wave1.csv, period: baseline}
  - {code: 2, file: data/wave2.csv, period: follow-up}
design:
  ids: psu
  strata: stratum
  weights: pw
  nest: true
arms:
  community: raion
  communities: communities.csv
margins:
  file: margins.csv
  kind: counts
  by: [wave, raion]
publish:
  min_cell: 5
"""

N_PER_WAVE = 120


def wave_frame(wave: int, n: int = N_PER_WAVE, seed: int = 0) -> pd.DataFrame:
    """One wave of the mini study: 2 raions (strata) x 6 PSUs x n/12 respondents."""
    rng = np.random.default_rng(seed + wave)
    raion = np.repeat([1, 2], n // 2)
    psu = np.repeat(np.arange(1, 13), n // 12)
    return pd.DataFrame(
        {
            "resp_id": [f"w{wave}-{i:04d}" for i in range(1, n + 1)],
            "wave": wave,
            "raion": raion,
            "stratum": wave * 100 + raion,
            "psu": psu,
            "pw": np.round(rng.uniform(50, 150, n), 2),
            "sex": rng.integers(1, 3, n),
            "agegrp": rng.integers(1, 4, n),
            "trust_police": rng.integers(1, 6, n),
        }
    )


def margins_frame() -> pd.DataFrame:
    """Population counts by sex and by age group per wave and raion (tidy margins CSV)."""
    rows = []
    for w in (1, 2):
        for r in (1, 2):
            for s, t in ((1, 4600), (2, 5400)):
                rows.append({"wave": w, "raion": r, "margin": "sex", "sex": s, "target": t})
            for a, t in ((1, 3500), (2, 3500), (3, 3000)):
                rows.append({"wave": w, "raion": r, "margin": "agegrp", "agegrp": a, "target": t})
    return pd.DataFrame(rows, columns=["wave", "raion", "margin", "sex", "agegrp", "target"])


def mini_study(folder: Path) -> Path:
    """Write the small valid study into ``folder`` and return the folder."""
    folder = Path(folder)
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "q.yaml").write_text(QUESTIONNAIRE, encoding="utf-8")
    (folder / "study.yaml").write_text(STUDY, encoding="utf-8")
    pd.DataFrame({"community": [1, 2], "arm": ["pilot", "control"]}).to_csv(
        folder / "communities.csv", index=False
    )
    margins_frame().astype({"sex": "Int64", "agegrp": "Int64"}).to_csv(
        folder / "margins.csv", index=False
    )
    for wave in (1, 2):
        wave_frame(wave).to_csv(folder / "data" / f"wave{wave}.csv", index=False)
    return folder


def edit_wave(folder: Path, wave: int, change: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    """Rewrite ``data/wave{wave}.csv`` of a mini study with ``change`` applied."""
    path = folder / "data" / f"wave{wave}.csv"
    change(pd.read_csv(path)).to_csv(path, index=False)


# -- study-level cases ---------------------------------------------------------------------
def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    if old not in text:
        raise ValueError(f"{old!r} not in {path}")
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _set(column: str, row: int, value: object, wave: int = 1) -> Callable[[Path], None]:
    """Set one cell (0-based ``row`` of the frame; data row ``row + 1`` of the file)."""

    def change(df: pd.DataFrame) -> pd.DataFrame:
        df = df.astype({column: object})
        df.loc[row, column] = value
        return df

    return lambda folder: edit_wave(folder, wave, change)


def _study(*changes: Callable[[Path], None]) -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        folder = mini_study(tmp / "study")
        for change in changes:
            change(folder)
        return folder

    return build


def _yaml(old: str, new: str) -> Callable[[Path], None]:
    return lambda folder: _replace(folder / "study.yaml", old, new)


def _q(old: str, new: str) -> Callable[[Path], None]:
    return lambda folder: _replace(folder / "q.yaml", old, new)


def _cp1251_yaml(folder: Path) -> None:
    path = folder / "study.yaml"
    path.write_bytes((path.read_text(encoding="utf-8") + "# Київ\n").encode("cp1251"))


def _margins(change: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        path = folder / "margins.csv"
        table = change(pd.read_csv(path)).astype({"sex": "Int64", "agegrp": "Int64"})
        table.to_csv(path, index=False)

    return apply


def _age_total_off(table: pd.DataFrame) -> pd.DataFrame:
    """Age-group targets of wave 1, raion 2 sum to 11,000 while sex sums to 10,000."""
    cell = (table.wave == 1) & (table.raion == 2) & (table.margin == "agegrp") & (table.agegrp == 3)
    return table.assign(target=table.target.where(~cell, 4000))


def _unknown_raion(table: pd.DataFrame) -> pd.DataFrame:
    extra = table[(table.wave == 1) & (table.raion == 1)].assign(raion=3)
    return pd.concat([table, extra], ignore_index=True)


def _ragged_margins(folder: Path) -> None:
    with open(folder / "margins.csv", "a", encoding="utf-8") as out:
        out.write("1,1,sex,1,,4600,extra\n")


def _one_psu(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(psu=df.psu.where(df.raion != 1, 1))


def _fieldwork_date(folder: Path) -> None:
    _q("  - {name: trust_police", "  - {name: idate, type: date}\n  - {name: trust_police")(folder)
    _yaml(
        "{code: 1, file: data/wave1.csv, period: baseline}",
        "{code: 1, file: data/wave1.csv, period: baseline,"
        " fieldwork: {start: 2019-03-01, end: 2019-04-30}}",
    )(folder)
    for wave in (1, 2):
        edit_wave(folder, wave, lambda df: df.assign(idate="2019-03-15"))
    _set("idate", 9, "1066-10-14")(folder)


def _invalid_date(folder: Path) -> None:
    _q("  - {name: trust_police", "  - {name: idate, type: date}\n  - {name: trust_police")(folder)
    for wave in (1, 2):
        edit_wave(folder, wave, lambda df: df.assign(idate="2019-03-15"))
    _set("idate", 11, "2019-13-45")(folder)


def _duplicate_id(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df.loc[5, "resp_id"] = df.loc[4, "resp_id"]
    return df


def _all_pilot_in_wave2(folder: Path) -> None:
    _yaml("communities: communities.csv", "communities: {1: pilot, 2: control}")(folder)


BOMB = 'lol: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + "".join(
    f"l{i}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(9)
)
DEEP = "x:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(500)) + "  " * 501 + "v: 1\n"


def _append(name: str, text: str) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        path = folder / name
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")

    return apply


def _write(name: str, text: str) -> Callable[[Path], None]:
    return lambda folder: (folder / name).write_text(text, encoding="utf-8")


def _outside_wave(link: bool) -> Callable[[Path], None]:
    """Wave 2 read from a file beside (outside) the study folder, by path or by symlink."""

    def apply(folder: Path) -> None:
        outside = folder.parent.resolve() / "elsewhere.csv"
        (folder / "data" / "wave2.csv").rename(outside)
        if link:
            (folder / "data" / "wave2.csv").symlink_to(outside)
        else:
            _yaml("data/wave2.csv", str(outside))(folder)

    return apply


def _xlsx_wave(merge: str | None = None, formula: str | None = None) -> Callable[[Path], None]:
    """Wave 1 as an XLSX workbook (sheet 'data'), with merged cells or a formula cell."""

    def apply(folder: Path) -> None:
        import openpyxl

        frame = pd.read_csv(folder / "data" / "wave1.csv")
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "data"
        sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            sheet.append([v.item() if hasattr(v, "item") else v for v in row])
        if merge:
            sheet.merge_cells(merge)
        if formula:
            sheet[formula] = f"={formula[0]}2"
        book.save(folder / "data" / "wave1.xlsx")
        (folder / "data" / "wave1.csv").unlink()
        _yaml("data/wave1.csv", "data/wave1.xlsx")(folder)

    return apply


def _community_optional(folder: Path) -> None:
    """The community item is not required (so blank is not a required_missing error)."""
    _q("    required: true\n    roles: [community, grouping]", "    roles: [community, grouping]")(
        folder
    )


def _raion_code_3(folder: Path) -> None:
    """Raion 3 is a code of the questionnaire but not in the community table."""
    _q("codes: {1: Raion 1, 2: Raion 2}", "codes: {1: Raion 1, 2: Raion 2, 3: Raion 3}")(folder)
    _set("raion", 4, 3)(folder)


GROUPS = "id,community,arm,date,participants,composition\nG1,1,pilot,2019-05-01,8,mixed\n"
SEGMENTS = "group,segment,coder,theme,valence\nG1,1,A,trust,1\n"


def _focus_groups(groups: str = GROUPS, segments: str = SEGMENTS) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        (folder / "groups.csv").write_text(groups, encoding="utf-8")
        (folder / "segments.csv").write_text(segments, encoding="utf-8")
        _append("study.yaml", "focus_groups: {groups: groups.csv, segments: segments.csv}\n")(
            folder
        )

    return apply


def _population(text: str) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        (folder / "population.csv").write_text(text, encoding="utf-8")
        _append("study.yaml", "programme: {population: population.csv}\n")(folder)

    return apply


def _out_is_a_file(folder: Path) -> None:
    (folder / "out").write_text("a file where the output folder should be\n", encoding="utf-8")


STUDY_BUILDERS: dict[str, Callable[[Path], Path]] = {
    "study_ok": _study(),
    "study_yaml_syntax": _study(_yaml("  strata: stratum", "  strata: [stratum")),
    "study_yaml_tab": _study(_yaml("  strata: stratum", "\tstrata: stratum")),
    "study_unknown_key": _study(_yaml("  nest: true", "  nested: true")),
    "study_wrong_type": _study(_yaml("  min_cell: 5", "  min_cell: [5]")),
    "study_missing_wave_file": _study(_yaml("data/wave2.csv", "data/wave3.csv")),
    "study_cp1251_yaml": _study(_cp1251_yaml),
    "study_unknown_design_column": _study(_yaml("strata: stratum", "strata: stratum_id")),
    "study_duplicate_ids": _study(lambda f: edit_wave(f, 1, _duplicate_id)),
    "study_unknown_code": _study(_set("trust_police", 7, 7)),
    "study_weight_negative": _study(_set("pw", 3, -5.0)),
    "study_weight_nan": _study(_set("pw", 3, "")),
    "study_weight_infinite": _study(_set("pw", 3, "inf")),
    "study_weight_all_zero": _study(lambda f: edit_wave(f, 2, lambda df: df.assign(pw=0.0))),
    "study_one_psu_stratum": _study(lambda f: edit_wave(f, 1, _one_psu)),
    "study_margins_do_not_sum": _study(_margins(_age_total_off)),
    "study_margin_unknown_code": _study(_margins(_unknown_raion)),
    "study_margins_ragged": _study(_ragged_margins),
    "study_date_outside_fieldwork": _study(_fieldwork_date),
    "study_date_invalid": _study(_invalid_date),
    "study_script_value": _study(_set("pw", 2, "<script>alert(1)</script>")),
    "study_formula_value": _study(_set("pw", 2, '=HYPERLINK("http://evil.example","x")')),
    "study_script_label": _study(
        _q("1: Male", '1: "<script>alert(1)</script>"'), _set("sex", 2, 3)
    ),
    # hostile YAML and paths
    "study_alias_bomb": _study(_append("study.yaml", BOMB)),
    "study_deep_nesting": _study(_append("study.yaml", DEEP)),
    "study_repeated_publish": _study(_append("study.yaml", "publish:\n  min_cell: 3\n")),
    "study_q_alias_bomb": _study(_append("q.yaml", BOMB)),
    "study_q_deep_nesting": _study(_append("q.yaml", DEEP)),
    "study_wave_outside_folder": _study(_outside_wave(link=False)),
    "study_wave_symlink_outside": _study(_outside_wave(link=True)),
    "study_empty_yaml": _study(_write("study.yaml", "")),
    "study_duplicate_wave_code": _study(
        _yaml("{code: 2, file: data/wave2.csv", "{code: 1, file: data/wave2.csv")
    ),
    "study_fieldwork_reversed": _study(
        _yaml(
            "period: baseline}",
            "period: baseline, fieldwork: {start: 2019-04-30, end: 2019-03-01}}",
        )
    ),
    "study_trim_reversed": _study(
        _append("study.yaml", "weighting: {trim: {lower: 5, upper: 2}}\n")
    ),
    "study_unknown_exclude": _study(
        _append("study.yaml", "validation: {exclude: [duplicate_ids]}\n")
    ),
    "study_margins_file_and_rows": _study(
        _yaml("  kind: counts", "  kind: counts\n  rows: [{margin: sex, sex: 1, target: 5}]")
    ),
    # study-level tables
    "communities_blank_arm": _study(_write("communities.csv", "community,arm\n1,pilot\n2,\n")),
    "communities_unknown_arm": _study(
        _write("communities.csv", "community,arm\n1,pilot\n2,treated\n")
    ),
    "communities_blank_community": _study(
        _write("communities.csv", "community,arm\n1,pilot\n2,control\n,control\n")
    ),
    "communities_listed_twice": _study(
        _write("communities.csv", "community,arm\n1,pilot\n2,control\n2,pilot\n")
    ),
    "communities_inline_blank_arm": _study(
        _yaml("communities: communities.csv", "communities: {1: pilot, 2: }")
    ),
    "margins_blank_target": _study(
        _margins(lambda t: t.assign(target=t.target.where(t.index != 3)))
    ),
    "margins_text_target": _study(
        _margins(
            lambda t: t.astype({"target": object}).assign(
                target=lambda d: d.target.where(d.index != 6, "many")
            )
        )
    ),
    "margins_blank_margin": _study(
        _margins(lambda t: t.assign(margin=t.margin.where(t.index != 2)))
    ),
    "margins_infinite_target": _study(
        _margins(
            lambda t: t.astype({"target": object}).assign(
                target=lambda d: d.target.where(d.index != 1, "inf")
            )
        )
    ),
    "fg_blank_group_id": _study(_focus_groups(GROUPS + ",2,control,2019-05-02,7,women\n")),
    "fg_duplicate_group_id": _study(_focus_groups(GROUPS + "G1,2,control,2019-05-02,7,women\n")),
    "fg_unknown_arm": _study(_focus_groups(GROUPS + "G2,2,both,2019-05-02,7,women\n")),
    "fg_segment_blank_group": _study(_focus_groups(segments=SEGMENTS + ",2,A,trust,1\n")),
    "population_negative": _study(_population("community,population\n1,12000\n2,-5\n")),
    "population_blank_community": _study(_population("community,population\n1,12000\n,800\n")),
    # community values in the data
    "data_blank_community": _study(_community_optional, _set("raion", 3, "")),
    "data_unknown_community": _study(_raion_code_3),
    "data_blank_community_run": _study(_community_optional, _set("raion", 3, "")),
    # XLSX wave files
    "xlsx_wave_merged_cells": _study(_xlsx_wave(merge="C2:C5")),
    "xlsx_wave_formula_cell": _study(_xlsx_wave(formula="F7")),
    # outputs
    "study_out_is_a_file": _study(_out_is_a_file),
    "study_control_characters_in_labels": _study(
        _q(
            "{name: trust_police, type: likert, scale: trust5, roles: [outcome]}",
            "{name: trust_police, type: likert, scale: trust5, roles: [outcome], "
            'text: {uk: "Дові\\x07ра\\u202e", en: "Tru\\x1bst\\x0b in police"}}',
        ),
    ),
}


# -- file-level cases ----------------------------------------------------------------------
def _fixture(name: str) -> bytes:
    return (Path(__file__).resolve().parents[1] / "fixtures" / name).read_bytes()


def truncated_sav_header(tmp: Path) -> Path:
    """The first 1,000 bytes of a real .sav (the dictionary is cut)."""
    path = tmp / "truncated_header.sav"
    path.write_bytes(_fixture("trust/trust_two_waves.sav")[:1000])
    return path


def truncated_sav_data(tmp: Path) -> Path:
    """A real .sav cut in the middle of its data."""
    data = _fixture("trust/trust_two_waves.sav")
    path = tmp / "truncated_data.sav"
    path.write_bytes(data[: len(data) // 2])
    return path


def truncated_zsav(tmp: Path) -> Path:
    """A compressed .zsav cut after its header."""
    import pyreadstat

    full = tmp / "full.zsav"
    pyreadstat.write_sav(wave_frame(1), str(full), compress=True)
    path = tmp / "truncated.zsav"
    path.write_bytes(full.read_bytes()[:400])
    full.unlink()
    return path


def wide_sav(tmp: Path, columns: int = 5000) -> Path:
    """A .sav with 5,000 numeric columns (SPSS allows far more): it must read."""
    import pyreadstat

    frame = pd.DataFrame(np.arange(3 * columns, dtype=float).reshape(3, columns))
    frame.columns = [f"v{i}" for i in range(columns)]
    path = tmp / "wide.sav"
    pyreadstat.write_sav(frame, str(path))
    return path


LONG_TEXT = ["x" * 32767, "ї" * 16383, ""]


def long_strings_sav(tmp: Path) -> Path:
    """A .sav whose string column holds 32,767-byte values (SPSS's maximum)."""
    import pyreadstat

    path = tmp / "long_strings.sav"
    pyreadstat.write_sav(pd.DataFrame({"comment": LONG_TEXT}), str(path))
    return path


def dates_out_of_range_sav(tmp: Path) -> Path:
    """SPSS dates beyond 9999-12-31 and before 1582-10-15, and one valid date."""
    import pyreadstat

    path = tmp / "dates.sav"
    frame = pd.DataFrame({"interview_date": [1e15, -1e13, 13.6e9]})
    pyreadstat.write_sav(frame, str(path), variable_format={"interview_date": "DATE11"})
    return path


def existing_output(tmp: Path) -> Path:
    """A valid CSV input and an existing output file that must stay untouched."""
    (tmp / "out.csv").write_text("keep,me\n1,2\n", encoding="utf-8")
    path = tmp / "input.csv"
    wave_frame(1).to_csv(path, index=False)
    return path


def formula_csv(tmp: Path) -> Path:
    """Text answers that a spreadsheet would run as formulas."""
    path = tmp / "formula.csv"
    pd.DataFrame({"resp_id": ["a", "b", "c"], "comment": FORMULAS}).to_csv(path, index=False)
    return path


FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+2", "<script>alert(1)</script>"]


def formula_labels_sav(tmp: Path) -> Path:
    """A .sav whose variable and value labels start like spreadsheet formulas or hold HTML."""
    import pyreadstat

    path = tmp / "formula_labels.sav"
    pyreadstat.write_sav(
        pd.DataFrame({"q1": [1.0, 2.0, 1.0]}),
        str(path),
        column_labels={"q1": "=1+2"},
        variable_value_labels={"q1": {1.0: "=cmd|' /C calc'!A0", 2.0: "<script>x()</script>"}},
    )
    return path


def _xlsform(tmp: Path, name: str, sheets: dict[str, list[list[object]]]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path = tmp / name
    book.save(path)
    return path


def _merged_xlsx(tmp: Path) -> Path:
    """A data sheet whose B2:B3 is merged (B3 would read as blank)."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "data"
    for row in (["id", "raion", "x"], [1, 1, 2], [2, None, 3], [3, 2, 4]):
        sheet.append(row)
    sheet.merge_cells("B2:B3")
    book.save(tmp / "merged.xlsx")
    return tmp / "merged.xlsx"


def _formula_xlsx(tmp: Path) -> Path:
    """A data sheet with a formula cell and no stored value (as programs write them)."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in (["id", "x"], [1, 2], [2, "=B2*2"]):
        sheet.append(row)
    book.save(tmp / "formula.xlsx")
    return tmp / "formula.xlsx"


SURVEY = [["type", "name", "label"], ["select_one yn", "q1", "Q1"], ["integer", "age", "Age"]]
CHOICES = [["list_name", "name", "label"], ["yn", "1", "Yes"], ["yn", "0", "No"]]

FILE_BUILDERS: dict[str, Callable[[Path], Path]] = {
    "truncated_sav_header": truncated_sav_header,
    "truncated_sav_data": truncated_sav_data,
    "truncated_zsav": truncated_zsav,
    "wide_sav": wide_sav,
    "long_strings_sav": long_strings_sav,
    "dates_out_of_range_sav": dates_out_of_range_sav,
    "existing_output": existing_output,
    "formula_csv": formula_csv,
    "formula_labels_sav": formula_labels_sav,
    "xlsform_no_survey": lambda t: _xlsform(t, "no_survey.xlsx", {"choices": CHOICES}),
    "xlsform_no_choices": lambda t: _xlsform(t, "no_choices.xlsx", {"survey": SURVEY}),
    "xlsform_duplicate_choices": lambda t: _xlsform(
        t, "dup_choices.xlsx", {"survey": SURVEY, "choices": [*CHOICES, ["yn", "1", "Again"]]}
    ),
    "xlsform_unknown_list": lambda t: _xlsform(
        t,
        "unknown_list.xlsx",
        {"survey": [*SURVEY, ["select_one nolist", "q2", "Q2"]], "choices": CHOICES},
    ),
    "xlsform_duplicate_names": lambda t: _xlsform(
        t, "dup_names.xlsx", {"survey": [*SURVEY, ["text", "q1", "Again"]], "choices": CHOICES}
    ),
    "xlsx_merged_cells": lambda t: _merged_xlsx(t),
    "xlsx_formula_cells": lambda t: _formula_xlsx(t),
    "xlsform_no_questions": lambda t: _xlsform(
        t, "no_questions.xlsx", {"survey": [SURVEY[0]], "choices": CHOICES}
    ),
}

BUILDERS: dict[str, Callable[[Path], Path]] = {**STUDY_BUILDERS, **FILE_BUILDERS}


# -- checks of cases that must work ----------------------------------------------------------
def check_wide(tmp: Path) -> None:
    """The 5,000-column file converted to Parquet keeps every column and value."""
    from trustsurvey.io import read_survey

    data = read_survey(tmp / "wide.parquet").data
    if data.shape != (3, 5000) or data["v4999"].tolist() != [4999.0, 9999.0, 14999.0]:
        raise AssertionError(f"wide file not kept: shape {data.shape}")


def check_long_strings(tmp: Path) -> None:
    """32,767-byte strings survive .sav -> .csv unchanged."""
    text = pd.read_csv(tmp / "long.csv", keep_default_na=False)["comment"].tolist()
    if text != LONG_TEXT:
        raise AssertionError(f"long strings changed: lengths {[len(s) for s in text]}")


def check_formula_xlsx(tmp: Path) -> None:
    """Formula-like text is stored as text cells (shown, never run), values unchanged."""
    import openpyxl

    sheet = openpyxl.load_workbook(tmp / "formula.xlsx")["data"]
    cells = [row[1] for row in sheet.iter_rows(min_row=2)]
    if [c.value for c in cells] != FORMULAS or {c.data_type for c in cells} != {"s"}:
        raise AssertionError(f"formula cells: {[(c.value, c.data_type) for c in cells]}")


def check_formula_labels_xlsx(tmp: Path) -> None:
    """No cell of any sheet is a formula; the labels are kept as text, unchanged."""
    import openpyxl

    book = openpyxl.load_workbook(tmp / "labels.xlsx")
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    formulas = [c.value for c in cells if c.data_type == "f"]
    if formulas:
        raise AssertionError(f"formula cells in the workbook: {formulas}")
    text = " ".join(str(c.value) for c in cells if c.value is not None)
    if "=1+2" not in text or "=cmd|" not in text:
        raise AssertionError("the labels were lost")


def check_html_escaped(tmp: Path) -> None:
    """The validation report shows the script as text and never as markup."""
    html = (tmp / "study" / "out" / "validation" / "validation.html").read_text(encoding="utf-8")
    if "<script>alert" in html or "&lt;script&gt;alert(1)&lt;/script&gt;" not in html:
        raise AssertionError("validation.html does not escape the value")


def check_csv_neutralised(tmp: Path) -> None:
    """validation.csv (opened in Excel by users) cannot start a formula in any cell."""
    table = pd.read_csv(tmp / "study" / "out" / "validation" / "validation.csv", dtype=str)
    cells = [c for c in table.to_numpy().ravel() if isinstance(c, str)]
    if any(c.startswith(("=", "+", "@")) for c in cells):
        raise AssertionError(f"formula-like cell in validation.csv: {cells}")
    if not any("HYPERLINK" in c for c in cells):
        raise AssertionError("the bad value is not reported at all")


# -- cases that are Python calls ---------------------------------------------------------------
def call_empty_domain(tmp: Path) -> None:
    """DiD where the pilot arm has no respondents at follow-up (an empty domain)."""
    from trustsurvey.analysis.did import did
    from trustsurvey.design import SurveyDesign

    data = pd.concat([wave_frame(1), wave_frame(2)], ignore_index=True)
    data["pilot"] = ((data.raion == 1) & (data.wave == 1)).astype(int)
    design = SurveyDesign(data, ids="psu", strata="stratum", weights="pw", nest=True)
    did(design, "trust_police", treated="pilot", period="wave")


def call_one_psu_design(tmp: Path) -> None:
    """A stratum with a single PSU (R survey's 'lonely PSU'), default lonely_psu='fail'."""
    from trustsurvey.design import SurveyDesign

    data = _one_psu(wave_frame(1))
    SurveyDesign(data, ids="psu", strata="stratum", weights="pw").mean("trust_police")


def call_rake_margins_do_not_sum(tmp: Path) -> None:
    """Raking to two margins whose totals differ (10,000 by sex, 11,000 by age)."""
    from trustsurvey.design import SurveyDesign
    from trustsurvey.weighting import rake

    design = SurveyDesign(wave_frame(1), ids="psu", strata="stratum", weights="pw")
    rake(design, {"sex": {1: 4600, 2: 5400}, "agegrp": {1: 3500, 2: 3500, 3: 4000}})


CALLS: dict[str, Callable[[Path], None]] = {
    "empty_domain": call_empty_domain,
    "one_psu_design": call_one_psu_design,
    "rake_margins_do_not_sum": call_rake_margins_do_not_sum,
}


def check_labels_cleaned(tmp: Path) -> None:
    """Control characters and bidi overrides in labels never reach tables.xlsx, which exists."""
    import openpyxl

    book = openpyxl.load_workbook(tmp / "study" / "out" / "tables.xlsx")
    text = " ".join(
        str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row
    )
    if "in police" not in text or any(ch in text for ch in "\x07\x0b\x1b\u202e"):
        raise AssertionError("tables.xlsx lacks the labels or keeps control characters")


def check_blank_excluded(tmp: Path) -> None:
    """The respondent without a community is excluded, and said to be, not dropped silently."""
    out = tmp / "study" / "out"
    excluded = pd.read_csv(out / "clean" / "exclusions.csv")
    if excluded["resp_id"].tolist() != ["w1-0004"] or "blank_community" not in excluded.iloc[0, 3]:
        raise AssertionError(f"exclusions: {excluded.to_dict('records')}")
    if not (out / "report.html").is_file() or not (out / "bundle" / "manifest.json").is_file():
        raise AssertionError("the run did not publish")


CHECKS: dict[str, Callable[[Path], None]] = {
    "labels_cleaned": check_labels_cleaned,
    "blank_excluded": check_blank_excluded,
    "wide": check_wide,
    "long_strings": check_long_strings,
    "formula_xlsx": check_formula_xlsx,
    "formula_labels_xlsx": check_formula_labels_xlsx,
    "html_escaped": check_html_escaped,
    "csv_neutralised": check_csv_neutralised,
}


if __name__ == "__main__":  # pragma: no cover - manual use
    target = Path(sys.argv[1])
    for name, build in BUILDERS.items():
        (target / name).mkdir(parents=True, exist_ok=True)
        print(name, build(target / name))
