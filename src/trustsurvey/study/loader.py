"""``load_study(folder)``: read and check a study folder's ``study.yaml``.

Checks, each a :class:`~trustsurvey.errors.StudyError` naming ``study.yaml``, the key path
and its line: YAML syntax (line and column), unknown keys (with a suggestion), wrong types,
files that do not exist, duplicate wave codes, and design / arm / margin columns that the
questionnaire does not define.

The optional ``weighting:`` section says how ``trustsurvey run`` (step ``weight``) and
``trustsurvey weight`` weight to the ``margins``; unknown keys are rejected like any other::

    weighting:
      method: rake          # rake (default) | poststratify | calibrate (linear GREG)
      trim: {lower: 0.3, upper: 300}   # optional bounds on the final weights (strict)
      fixed_weights: false  # true: SEs treat the weights as fixed (no calibration gain)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path
from typing import Any

import pandas as pd

from trustsurvey._settings import setting_problem, settings_from
from trustsurvey.errors import StudyError
from trustsurvey.study._yaml import load_yaml_with_lines
from trustsurvey.study.instruments import bundled_dirs, resolve_questionnaire
from trustsurvey.study.model import (
    ArmsSpec,
    DesignSpec,
    FocusGroupSpec,
    MarginsSpec,
    ProgrammeSpec,
    PublishSpec,
    Study,
    ValidationSettings,
    Wave,
    WeightingSpec,
)
from trustsurvey.study.spec import STUDY_SPEC, check_against_spec, fail_at
from trustsurvey.study.tables import check_area_covariates, check_files, check_table

STUDY_FILE = "study.yaml"

#: files a wave's ``form:`` can read (Kobo/ODK/Ona exports)
EXPORT_SUFFIXES = (".csv", ".xlsx", ".xlsm")


def _text(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, str):
        return {"uk": value, "en": value}
    return {str(k): str(v) for k, v in value.items()}


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


class _Loader:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.file = folder / STUDY_FILE
        self.lines: dict[str, int] = {}
        self.outside_allowed = False

    def fail(self, path: str, message: str, hint: str) -> StudyError:
        return fail_at(self.file, self.lines, path, message, hint)

    def existing(self, value: str, key: str) -> Path:
        path = Path(value)
        if not path.is_absolute():
            path = self.folder / path
        if not path.is_file():
            raise self.fail(
                key,
                f"file '{value}' does not exist (looked for {path})",
                f"put the file there or correct {key} (paths are relative to the study folder)",
            )
        self.inside(path, value, key)
        return path

    def inside(self, path: Path, value: str, key: str) -> None:
        """Refuse a file outside the study folder (after resolving symlinks) unless the
        study sets ``files_outside_folder: true``: a stray absolute path or symlink must not
        make the pipeline read, and publish from, a file nobody meant to give it."""
        if self.outside_allowed:
            return
        real, home = path.resolve(), self.folder.resolve()
        if not real.is_relative_to(home):
            link = (
                " (through a symbolic link)"
                if Path(os.path.normpath(path.absolute())) != real
                else ""
            )
            raise self.fail(
                key,
                f"'{value}' lies outside the study folder{link}: {real}",
                "copy the file into the study folder, or set files_outside_folder: true in "
                "study.yaml if reading it from there is intended",
            )

    def read_table(self, path: Path, key: str) -> pd.DataFrame:
        """A CSV named at ``key``; unreadable or malformed files raise StudyError."""
        try:
            return pd.read_csv(path)
        except (OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
            detail = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
            raise StudyError(
                f"cannot read this CSV file ({detail})",
                file=path,
                item=key,
                hint="save it as UTF-8 CSV with one header row and the same number of fields "
                "on every line",
            ) from None
        except pd.errors.EmptyDataError:
            raise StudyError(
                "the file is empty", file=path, item=key, hint="give the header row and the data"
            ) from None

    def load(self, check_columns: bool) -> Study:
        if not self.folder.exists():
            raise StudyError(
                "study folder does not exist",
                file=self.folder,
                hint="give the folder holding study.yaml (create one: 'trustsurvey example DIR')",
            )
        if not self.file.is_file():
            raise StudyError(
                f"no {STUDY_FILE} in the study folder",
                file=self.folder,
                hint=f"create {STUDY_FILE} (see 'trustsurvey example' for a complete one)",
            )
        data, self.lines = load_yaml_with_lines(self.file)
        if data is None:
            raise StudyError("is empty", file=self.file, hint="write the study definition")
        check_against_spec(data, STUDY_SPEC, self.file, self.lines)
        self.outside_allowed = bool(data.get("files_outside_folder", False))
        qpath = resolve_questionnaire(data["questionnaire"], self.folder, study_file=self.file)
        if not any(qpath.is_relative_to(d) for d in bundled_dirs()):
            self.inside(qpath, data["questionnaire"], "questionnaire")
        study = Study(
            folder=self.folder,
            file=self.file,
            name=data["name"],
            title=_text(data.get("title")) or {"uk": data["name"], "en": data["name"]},
            questionnaire_ref=data["questionnaire"],
            questionnaire_path=qpath,
            waves=self.waves(data["waves"]),
            design=self.design(data["design"]),
            arms=self.arms(data.get("arms") or {}, [w["code"] for w in data["waves"]]),
            margins=self.margins(data.get("margins")),
            weighting=self.weighting(data.get("weighting") or {}),
            focus_groups=self.focus_groups(data.get("focus_groups")),
            programme=self.programme(data.get("programme")),
            **self.area_covariates(data.get("area_covariates")),
            validation=self.validation(data.get("validation") or {}),
            publish=self.publish(data.get("publish") or {}),
            raw=data,
            lines=self.lines,
        )
        if check_columns:
            self.check_columns(study)
            if study.arms.community is None:
                study.arms = dataclasses.replace(
                    study.arms, community=default_community(study.questionnaire)
                )
            _ = study.plan  # checks analysis: against the questionnaire
        return study

    def waves(self, raw: list[dict[str, Any]]) -> list[Wave]:
        if not raw:
            raise self.fail("waves", "lists no data files", "add at least one wave with its file")
        waves, seen = [], set()
        for i, w in enumerate(raw):
            if w["code"] in seen:
                raise self.fail(
                    f"waves[{i}].code", f"wave code {w['code']} is used twice", "give unique codes"
                )
            seen.add(w["code"])
            fieldwork = w.get("fieldwork") or {}
            start, end = _date(fieldwork.get("start")), _date(fieldwork.get("end"))
            if start and end and end < start:
                raise self.fail(
                    f"waves[{i}].fieldwork", f"ends ({end}) before it starts ({start})", "swap them"
                )
            waves.append(
                Wave(
                    code=w["code"],
                    file=self.existing(w["file"], f"waves[{i}].file"),
                    label=_text(w.get("label")) or {"uk": str(w["code"]), "en": str(w["code"])},
                    period=w["period"],
                    fieldwork_start=start,
                    fieldwork_end=end,
                    encoding=w.get("encoding"),
                    form=self.form(w, i),
                )
            )
        return waves

    def form(self, wave: dict[str, Any], i: int) -> Path | None:
        """``waves[i].form``: the XLSForm of a CSV/XLSX export."""
        if not wave.get("form"):
            return None
        if Path(str(wave["file"])).suffix.lower() not in EXPORT_SUFFIXES:
            raise self.fail(
                f"waves[{i}].form",
                f"a form applies to a CSV or XLSX export, not to {wave['file']}",
                "remove form: (an SPSS export carries its own labels), or give the CSV/XLSX "
                "export as the file",
            )
        return self.existing(str(wave["form"]), f"waves[{i}].form")

    def design(self, raw: dict[str, Any]) -> DesignSpec:
        ids = raw["ids"]
        if isinstance(ids, int) or ids in ("1", "~1"):
            ids_t: tuple[str, ...] = ()
        else:
            ids_t = (ids,) if isinstance(ids, str) else tuple(ids)
        return DesignSpec(
            ids=ids_t,
            strata=raw.get("strata"),
            weights=raw.get("weights"),
            fpc=raw.get("fpc"),
            nest=bool(raw.get("nest", False)),
        )

    def first_treated(self, raw: dict[str, Any], waves: list[int]) -> dict[Any, int | None]:
        """``arms.first_treated``: community code -> first treated wave code (None: never)."""
        out: dict[Any, int | None] = {}
        if not raw.get("community"):
            raise self.fail(
                "arms.first_treated",
                "needs arms.community, the column holding the community codes",
                "add 'community: <column>' under arms",
            )
        for key, wave in raw["first_treated"].items():
            path = f"arms.first_treated.{key}"
            if wave is not None and (isinstance(wave, bool) or wave not in waves):
                raise self.fail(
                    path,
                    f"{wave!r} is not a wave code of the study",
                    "give the code of the first wave the community runs the programme in "
                    f"({', '.join(map(str, waves))}), or null for never",
                )
            out[_code(key)] = wave
        if waves and all(w is not None and w == min(waves) for w in out.values()):
            raise self.fail(
                "arms.first_treated",
                "every community is treated from the first wave: there is nothing to compare",
                "name the communities never or later treated",
            )
        return out

    def arms(self, raw: dict[str, Any], waves: list[int]) -> ArmsSpec:
        table, file = None, None
        communities = raw.get("communities")
        if isinstance(communities, str):
            file = self.existing(communities, "arms.communities")
            table = self.read_table(file, "arms.communities")
            where = "arms.communities"
        elif isinstance(communities, dict):
            table = pd.DataFrame(
                {"community": list(communities), "arm": [str(v) for v in communities.values()]}
            )
            where = "arms.communities"
        if table is not None:
            missing = {"community", "arm"} - set(table.columns)
            if missing:
                raise self.fail(
                    where,
                    f"the community table lacks column(s) {', '.join(sorted(missing))}",
                    "give columns community and arm (pilot or control)",
                )
            check_table(table, "communities", file=file or self.file, key=None if file else where)
            bad = sorted(set(table["arm"].astype(str)) - {"pilot", "control"})
            if bad:
                raise self.fail(
                    where, f"unknown arm(s) {', '.join(bad)}", "use 'pilot' or 'control' as arm"
                )
            table = table.assign(community=table["community"].map(_code))
        first = self.first_treated(raw, waves) if raw.get("first_treated") else None
        if (
            not raw.get("treatment")
            and table is None
            and first is None
            and not raw.get("community")
            and raw
        ):
            raise self.fail(
                "arms",
                "names neither a treatment column, a community table, first treated waves "
                "nor a community column",
                "give one",
            )
        return ArmsSpec(
            first_treated=first,
            treatment=raw.get("treatment"),
            pilot_code=raw.get("pilot_code", 1),
            community=raw.get("community"),
            communities=table,
            communities_file=file,
        )

    def margins(self, raw: dict[str, Any] | None) -> MarginsSpec | None:
        if raw is None:
            return None
        file = None
        if raw.get("file") and raw.get("rows"):
            raise self.fail("margins", "has both file and rows", "give one of them")
        if raw.get("file"):
            file = self.existing(raw["file"], "margins.file")
            table = self.read_table(file, "margins.file")
            where = "margins.file"
        elif raw.get("rows"):
            table = pd.DataFrame(raw["rows"])
            where = "margins.rows"
        else:
            raise self.fail("margins", "has neither file nor rows", "give a CSV file or rows")
        by = tuple(raw.get("by") or ())
        needed = {"margin", "target", *by}
        missing = needed - set(table.columns)
        if missing:
            raise self.fail(
                where,
                f"margins lack column(s) {', '.join(sorted(missing))}",
                "give columns margin, target, the 'by' columns and each margin's variables",
            )
        check_table(table, "margins", file=file or self.file, key=None if file else where)
        for margin in table["margin"].astype(str).unique():
            for var in margin.split("*"):
                if var not in table.columns:
                    raise self.fail(
                        where,
                        f"margin '{margin}' names column '{var}' that the margins do not have",
                        f"add a column {var} with its codes",
                    )
        kind = raw.get("kind", "counts")
        target = pd.to_numeric(table["target"], errors="coerce")
        if target.isna().any() or (target < 0).any():
            rows = [int(i) + 2 for i in table.index[target.isna() | (target < 0)]]
            raise StudyError(
                "margin targets must be non-negative numbers",
                file=file or self.file,
                row=rows,
                item="target",
                hint="correct the targets",
            )
        return MarginsSpec(table=table.assign(target=target), kind=kind, by=by, file=file)

    def weighting(self, raw: dict[str, Any]) -> WeightingSpec:
        trim = raw.get("trim") or {}
        lower, upper = trim.get("lower"), trim.get("upper")
        for key, value in (("lower", lower), ("upper", upper)):
            if value is not None and value <= 0:
                raise self.fail(f"weighting.trim.{key}", "must be positive", "e.g. lower: 0.3")
        if lower is not None and upper is not None and lower >= upper:
            raise self.fail(
                "weighting.trim", f"lower ({lower}) is not below upper ({upper})", "swap them"
            )
        return WeightingSpec(
            method=raw.get("method", "rake"),
            lower=None if lower is None else float(lower),
            upper=None if upper is None else float(upper),
            fixed_weights=bool(raw.get("fixed_weights", False)),
        )

    def focus_groups(self, raw: dict[str, Any] | None) -> FocusGroupSpec | None:
        if raw is None:
            return None
        codebook = raw.get("codebook")
        if codebook:
            resolve_questionnaire(
                codebook, self.folder, study_file=self.file, key="focus_groups.codebook"
            )
        spec = FocusGroupSpec(
            groups=self.existing(raw["groups"], "focus_groups.groups"),
            segments=self.existing(raw["segments"], "focus_groups.segments"),
            codebook=codebook,
        )
        check_files(spec)
        return spec

    def programme(self, raw: dict[str, Any] | None) -> ProgrammeSpec | None:
        if raw is None:
            return None
        files = {
            k: self.existing(raw[k], f"programme.{k}")
            for k in ("activities", "hotline", "trainings", "population")
            if raw.get(k)
        }
        period = raw.get("period") or {}
        start, end = _date(period.get("start")), _date(period.get("end"))
        if start and end and end < start:
            raise self.fail("programme.period", f"ends ({end}) before it starts ({start})", "swap")
        spec = ProgrammeSpec(
            **files,
            vocabulary=raw.get("vocabulary", "programme_vocabulary"),
            start=start,
            end=end,
        )
        check_files(spec)
        return spec

    def area_covariates(self, value: str | None) -> dict[str, Any]:
        """``area_covariates:``: the checked table (``community`` + numeric columns)."""
        if value is None:
            return {}
        file = self.existing(value, "area_covariates")
        table = self.read_table(file, "area_covariates")
        check_area_covariates(table, file=file)
        return {"area_covariates": table, "area_covariates_file": file}

    def settings(self, cls: type, section: str, raw: dict[str, Any]) -> dict[str, Any]:
        """The values ``raw`` gives for the settings of ``cls`` (``section:`` of study.yaml),
        each checked against the rule its field declares."""
        values = settings_from(cls, raw)
        for name, value in values.items():
            hint = setting_problem(cls, name, value)
            if hint is not None:
                raise self.fail(f"{section}.{name}", f"{value!r} is not allowed", f"use {hint}")
        return values

    def validation(self, raw: dict[str, Any]) -> ValidationSettings:
        from trustsurvey.validation.checks import CHECKS

        values = self.settings(ValidationSettings, "validation", raw)
        for i, name in enumerate(values.get("exclude", ())):
            if name not in CHECKS and name != "hard_error":
                import difflib

                close = difflib.get_close_matches(name, list(CHECKS), n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                raise self.fail(
                    f"validation.exclude[{i}]",
                    f"unknown check '{name}'",
                    hint + "known checks: hard_error, " + ", ".join(CHECKS),
                )
        return ValidationSettings(**values)

    def publish(self, raw: dict[str, Any]) -> PublishSpec:
        values = self.settings(PublishSpec, "publish", raw)
        previous = values.get("previous_bundle")
        if previous is not None:
            values["previous_bundle"] = self.existing(
                str(Path(previous) / "manifest.json"), "publish.previous_bundle"
            ).parent
        return PublishSpec(**values)

    def check_columns(self, study: Study) -> None:
        q = study.questionnaire
        known: set[str] = set()
        for name in q.items:
            known.update(q.columns_for(name))
        checks: list[tuple[str, str | None]] = []
        design = study.raw["design"]
        ids = design["ids"]
        if isinstance(ids, list):
            checks += [(f"design.ids[{i}]", c) for i, c in enumerate(ids)]
        elif isinstance(ids, str) and ids not in ("1", "~1"):
            checks.append(("design.ids", ids))
        checks += [(f"design.{k}", design.get(k)) for k in ("strata", "weights", "fpc")]
        checks += [
            ("arms.treatment", study.arms.treatment),
            ("arms.community", study.arms.community),
        ]
        if study.margins is not None:
            checks += [("margins", v) for v in [*study.margins.variables(), *study.margins.by]]
        for key, column in checks:
            if column and column not in known:
                import difflib

                close = difflib.get_close_matches(column, sorted(known), n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                raise self.fail(
                    key,
                    f"column '{column}' is not in questionnaire {study.questionnaire_path.name}",
                    hint + "name a questionnaire item, or add the item to the questionnaire",
                )
        if study.margins is not None:
            self.check_margin_codes(study)

    def check_margin_codes(self, study: Study) -> None:
        """Every code in the margins is a valid code of its questionnaire item."""
        q = study.questionnaire
        table = study.margins.table
        for column in [*study.margins.variables(), *study.margins.by]:
            item = q.items.get(column)
            if item is None or not item.codes:
                continue
            valid = {_code(float(c)) if isinstance(c, int | float) else c for c in item.codes}
            values = table[column].dropna().map(lambda v: _code(float(v)))
            bad = sorted(set(values) - valid, key=str)
            if bad:
                rows = [int(i) + 2 for i in values.index[values.isin(bad)]]
                raise StudyError(
                    f"margin code(s) {', '.join(map(str, bad))} of {column} are not codes of the "
                    "questionnaire item",
                    file=study.margins.file or self.file,
                    row=rows,
                    item=column,
                    hint="use the questionnaire's codes: " + ", ".join(map(str, item.codes)),
                )


def default_community(q: Any) -> str | None:
    """The community column of a study whose ``arms:`` names none: the questionnaire's item
    with role ``community`` (of several, the first that is not also a ``grouping``)."""
    names = q.items_with_role("community")
    plain = [n for n in names if "grouping" not in q.items[n].roles]
    return (plain or names or [None])[0]


def _code(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def load_study(folder: str | Path, *, check_columns: bool = True) -> Study:
    """Read and check the study in ``folder`` (a folder holding ``study.yaml``, or that file).

    Parameters
    ----------
    folder
        The study folder, or the path of its ``study.yaml``.
    check_columns
        Also load the questionnaire and check that the design, arm and margin columns
        are its items (default).

    Examples
    --------
    >>> import tempfile
    >>> from trustsurvey.example import generate_example
    >>> folder = generate_example(tempfile.mkdtemp() + "/study")
    >>> study = load_study(folder)
    >>> [w.period for w in study.waves]
    ['baseline', 'follow-up']
    """
    path = Path(folder)
    if path.name == STUDY_FILE and path.is_file():
        path = path.parent
    return _Loader(path).load(check_columns)
