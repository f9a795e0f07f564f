"""``validate_study`` and ``validate_data``: every check on every file, one report.

Validation never drops or changes rows; :func:`trustsurvey.validation.clean_study` does
that, separately, with a log.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from trustsurvey.io import FileMetadata, FormExport, SurveyData
    from trustsurvey.questionnaire import Questionnaire
    from trustsurvey.study.model import Wave

from pathlib import Path

import pandas as pd

from trustsurvey.study.model import Study, ValidationSettings
from trustsurvey.validation.crossfield import multiple_choice_issues, skip_logic_issues
from trustsurvey.validation.metadata import metadata_issues
from trustsurvey.validation.quality import (
    duplicate_issues,
    interviewer_issues,
    speeder_issues,
    straightlining_issues,
)
from trustsurvey.validation.report import ValidationReport, empty_table
from trustsurvey.validation.schema import schema_issues


def _role_column(q: Questionnaire, frame: pd.DataFrame, role: str) -> str | None:
    for name in q.items_with_role(role):
        if name in frame.columns:
            return name
    return None


def validate_data(
    frame: pd.DataFrame,
    q: Questionnaire,
    *,
    meta: FileMetadata | None = None,
    file: str = "",
    settings: ValidationSettings | None = None,
    only_present: bool = False,
) -> pd.DataFrame:
    """All report rows for one data frame of raw codes (missing codes kept as values).

    Parameters
    ----------
    frame
        The data as read (``SurveyData.data``): codes, not labels; 8/9 kept.
    q
        The questionnaire.
    meta
        The file's ``FileMetadata`` (for the dictionary comparison), if any.
    only_present
        Judge only the items the data hold (no ``missing_column`` findings).

    Examples
    --------
    >>> import pandas as pd
    >>> from trustsurvey.questionnaire import load_questionnaire, instrument_path
    >>> q = load_questionnaire(instrument_path("police_trust_core"))
    >>> f = pd.DataFrame({"resp_id": [1, 2], "trust_police": [3.0, 7.0]})
    >>> validate_data(f, q, only_present=True)["check"].tolist()
    ['invalid_code']
    """
    settings = settings or ValidationSettings()
    id_column = _role_column(q, frame, "id")
    parts = [
        schema_issues(frame, q, file=file, id_column=id_column),
        skip_logic_issues(frame, q, file=file, id_column=id_column),
        multiple_choice_issues(frame, q, file=file, id_column=id_column),
        duplicate_issues(frame, q, file=file, id_column=id_column),
        straightlining_issues(
            frame, q, file=file, id_column=id_column, min_items=settings.straightline_min_items
        ),
        speeder_issues(
            frame,
            _role_column(q, frame, "duration"),
            file=file,
            id_column=id_column,
            fraction=settings.speeder_fraction,
        ),
        interviewer_issues(
            frame,
            q,
            _role_column(q, frame, "interviewer"),
            file=file,
            z=settings.interviewer_z,
            min_interviews=settings.interviewer_min_interviews,
        ),
    ]
    if meta is not None or not only_present:
        parts.append(metadata_issues(meta, q, frame, file=file, only_present=only_present))
    parts = [p for p in parts if not p.empty]
    return pd.concat(parts, ignore_index=True) if parts else empty_table()


def read_wave(study: Study, wave: Wave) -> SurveyData:
    """Read one wave's file with the questionnaire's missing codes declared.

    A KoboToolbox export names questions inside groups with their group path
    (``demography/sex``, read as ``demography_sex``) and writes multiple-choice answers
    space-separated in one column: such columns get the questionnaire's names and
    ``<item>_<option>`` 0/1 columns (:func:`questionnaire_names`). A wave with ``form:``
    (the export's XLSForm) is read with the form (:func:`read_export_wave`).
    """
    import dataclasses

    from trustsurvey.io import read_survey

    q = study.questionnaire
    if wave.form is not None:
        return read_export_wave(study, wave)
    sd = read_survey(wave.file, encoding=wave.encoding, missing_codes=q.missing_codes())
    from trustsurvey.io.form_export import server_column

    data = questionnaire_names(sd.data, q, file=str(wave.file))
    # a Kobo/ODK export's own columns (_id, _uuid, start, …) are known, not extra
    known = {c for name in q.items for c in q.columns_for(name)}
    server = {
        c: kind
        for c in data.columns
        if c not in known and (kind := server_column(str(c))) is not None
    }
    if data is sd.data and not server:
        return sd
    # the file's dictionary names the renamed columns too, so the metadata check compares
    # the questionnaire with the columns the data now have
    meta = dataclasses.replace(
        sd.meta,
        column_names=list(data.columns),
        form_columns={**sd.meta.form_columns, **server},
    )
    return dataclasses.replace(sd, data=data, meta=meta, extra_missing=q.missing_codes())


@functools.lru_cache(maxsize=8)
def _form(path: str, mtime_ns: int) -> Questionnaire:
    from trustsurvey.questionnaire import from_xlsform

    del mtime_ns  # part of the cache key only: an edited form is read again
    return from_xlsform(path)


def read_export_wave(study: Study, wave: Wave) -> SurveyData:
    """A Kobo/ODK Central/Ona export read with its XLSForm (``waves[i].form``).

    :func:`~trustsurvey.io.form_export.read_form_export` matches group-path, bare and label
    headers, turns split ``q/option`` columns and space-separated answers into the
    questionnaire's 0/1 option columns, reads ``n/a`` as "not asked" and lists the server's
    columns (``_id``, ``KEY``, ``start`` …) in ``meta.form_columns``, so the metadata check
    knows them. The respondent table; :func:`read_export` gives the repeat tables too.
    """
    return read_export(study, wave).data


def read_export(study: Study, wave: Wave) -> FormExport:
    """The whole export of a wave with ``form:``: the respondent table (with the
    questionnaire's missing codes declared) and one table per repeat group."""
    import dataclasses

    from trustsurvey.io.form_export import read_form_export

    assert wave.form is not None
    export = read_form_export(wave.file, wave_form(wave))
    export.data = dataclasses.replace(
        export.data, extra_missing=study.questionnaire.missing_codes()
    )
    return export


def wave_form(wave: Wave) -> Questionnaire:
    """The questionnaire of a wave's XLSForm (read once per edit of the form)."""
    assert wave.form is not None
    return _form(str(wave.form), wave.form.stat().st_mtime_ns)


def study_file_name(study: Study, file: str | Path) -> str:
    """A file (or ``file, sheet 'x'``) named as the report names it: relative to the study
    folder when inside it."""
    text = str(file)
    folder = str(study.folder)
    if text.startswith(folder + "/") or text.startswith(folder + "\\"):
        return text[len(folder) + 1 :]
    return text


def questionnaire_names(
    frame: pd.DataFrame, q: Questionnaire, *, file: str | None = None
) -> pd.DataFrame:
    """``frame`` with group-path columns renamed to the questionnaire's items (a column
    ``<group>_<item>`` that the questionnaire lacks, for an ``item`` it has and the data do
    not) and space-separated multiple-choice answers expanded into 0/1 option columns (the
    answers' column dropped, as SPSS files hold only the option columns);
    ``frame`` itself when nothing changes.

    >>> from trustsurvey.questionnaire import instrument_path, load_questionnaire
    >>> q = load_questionnaire(instrument_path("police_trust_core"))
    >>> f = pd.DataFrame({"demography_sex": [1, 2], "survey_problems": ["theft", "theft drugs"]})
    >>> out = questionnaire_names(f, q)
    >>> [c for c in out.columns if c in ("sex", "problems_theft", "problems_drugs")]
    ['sex', 'problems_drugs', 'problems_theft']
    """
    from trustsurvey.io.kobo import expand_multiple

    known: set[str] = set()
    for name in q.items:
        known.update(q.columns_for(name))
    known.update(q.items)
    present = set(frame.columns)
    rename: dict[str, str] = {}
    for col in frame.columns:
        if col in known:
            continue
        hits = [k for k in known if col.endswith("_" + k) and k not in present]
        if hits:
            rename[col] = max(hits, key=len)
    if len(set(rename.values())) < len(rename):  # two columns for one item: leave them
        rename = {}
    out = frame.rename(columns=rename) if rename else frame
    for name, item in q.items.items():
        cols = q.columns_for(name)
        if item.type != "multiple" or name not in out.columns or all(c in out for c in cols):
            continue
        if not pd.api.types.is_numeric_dtype(out[name]):
            out = expand_multiple(out, name, list(item.options), file=file).drop(columns=name)
    return out


def validate_study(
    study: Study,
    *,
    data: dict[int, object] | None = None,
    exports: dict[int, FormExport] | None = None,
) -> ValidationReport:
    """Validate every wave file of ``study`` against its questionnaire.

    ``data`` may hold already read ``SurveyData`` per wave code (to avoid reading twice),
    ``exports`` the whole export of each wave with ``form:``. The repeat groups of such a
    wave are validated against the form's repeat items
    (:func:`~trustsurvey.validation.repeats.validate_repeats`): their problems name the
    repeat's sheet or file and its row, and ``report.repeats`` counts their rows.

    Examples
    --------
    >>> import tempfile
    >>> from trustsurvey.example import generate_example
    >>> from trustsurvey.study import load_study
    >>> report = validate_study(load_study(generate_example(tempfile.mkdtemp() + "/s")))
    >>> sorted(set(report.errors["check"]))
    ['duplicate', 'exclusive_option', 'invalid_code']
    """
    from trustsurvey.validation.repeats import REPEAT_ROW_COLUMNS, validate_repeats

    q = study.questionnaire
    parts, files, n_rows = [], [], {}
    WAVE_REPEAT_COLUMNS = ["wave", *REPEAT_ROW_COLUMNS]
    repeat_counts = [pd.DataFrame(columns=WAVE_REPEAT_COLUMNS)]
    for wave in study.waves:
        export = (exports or {}).get(wave.code)
        if wave.form is not None and export is None:
            export = read_export(study, wave)
        if data and wave.code in data:
            sd = data[wave.code]
        else:
            sd = export.data if export is not None else read_wave(study, wave)
        name = (
            str(wave.file.relative_to(study.folder))
            if wave.file.is_relative_to(study.folder)
            else str(wave.file)
        )
        files.append(name)
        n_rows[name] = len(sd.data)
        parts.append(validate_data(sd.data, q, meta=sd.meta, file=name, settings=study.validation))
        parts.append(_study_issues(study, wave, sd.data, name))
        if export is not None:  # the repeat groups (a warning for one missing)
            sub = validate_repeats(
                export, wave_form(wave), name=lambda f: study_file_name(study, f)
            )
            parts.append(sub.table)
            files += sub.files
            n_rows.update(sub.n_rows)
            assert sub.repeats is not None
            repeat_counts.append(sub.repeats.assign(wave=wave.code)[WAVE_REPEAT_COLUMNS])
    if study.focus_groups is not None:
        from trustsurvey.validation.focus_groups import focus_group_issues

        parts.append(focus_group_issues(study))
    parts = [p for p in parts if not p.empty]
    table = pd.concat(parts, ignore_index=True) if parts else empty_table()
    counts = [c for c in repeat_counts if len(c)]
    repeats = pd.concat(counts, ignore_index=True) if counts else repeat_counts[0]
    return ValidationReport(table, files=files, n_rows=n_rows, repeats=repeats)


def _study_issues(study: Study, wave: Wave, frame: pd.DataFrame, file: str) -> pd.DataFrame:
    """Wave code, arm and fieldwork-date checks of one wave against study.yaml."""
    from trustsurvey.validation.study_checks import arm_issues, fieldwork_issues, wave_issues

    q = study.questionnaire
    id_column = _role_column(q, frame, "id")
    wave_column = _role_column(q, frame, "wave")
    found = [
        wave_issues(frame, wave_column, wave.code, file=file, id_column=id_column),
        arm_issues(frame, study.arms, file=file, id_column=id_column),
        fieldwork_issues(frame, q, wave, file=file, id_column=id_column),
    ]
    found = [f for f in found if not f.empty]
    return pd.concat(found, ignore_index=True) if found else empty_table()


def validate_file(
    path: str | Path, q: Questionnaire, *, only_present: bool = True
) -> ValidationReport:
    """Validate one data file against a questionnaire (no study folder needed).

    With a questionnaire read from an XLSForm (it lists the form's own fields), a CSV or XLSX
    file is read as that form's Kobo/ODK export, repeat tables included
    (:func:`trustsurvey.io.form_export.read_form_export`).
    """
    from trustsurvey.io import read_survey

    if q.form_fields and Path(path).suffix.lower() in (".csv", ".xlsx", ".xlsm"):
        from trustsurvey.io.form_export import read_form_export, validate_form_export

        return validate_form_export(read_form_export(path, q), q)
    sd = read_survey(path, missing_codes=q.missing_codes())
    table = validate_data(sd.data, q, meta=sd.meta, file=str(path), only_present=only_present)
    return ValidationReport(table, files=[str(path)], n_rows={str(path): len(sd.data)})
