"""The ``study.yaml`` format, declared as data, and the checker that enforces it.

Each key has a type and whether it is required; nested sections list their own keys. The
checker reports the first problem as a :class:`StudyError` naming ``study.yaml``, the key path
(e.g. ``waves[1].period``) and its line, and suggests the closest known key for a typo.

>>> try:
...     check_against_spec({"name": "x", "questionnaire": "q", "wavs": []}, STUDY_SPEC, "s.yaml")
... except StudyError as err:
...     print(err.message, "|", err.hint.split("?")[0])
unknown key 'wavs' | did you mean 'waves'
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trustsurvey._settings import default_of, setting_fields
from trustsurvey.errors import StudyError
from trustsurvey.publish.policy import PublishSettings
from trustsurvey.study.model import ValidationSettings


@dataclass(frozen=True)
class Key:
    """One key of the format: its type, whether required, its sub-keys, allowed values."""

    kind: str  # str, int, number, bool, date, text, list, mapping, str_or_list, str_or_mapping
    required: bool = False
    doc: str = ""
    children: dict[str, Key] | None = None  # for mapping, or for each element of a list
    choices: tuple[Any, ...] | None = None
    elements: str | None = None  # kind of list elements when not mappings


TEXT_DOC = "text: a string, or a mapping of language code to text (uk, en)"


def keys_of(cls: type) -> dict[str, Key]:
    """The study.yaml keys of a settings dataclass (its :func:`~trustsurvey._settings.setting`
    fields: kind, documentation with the default, choices, list elements)."""
    out = {}
    for f in setting_fields(cls):
        meta = f.metadata
        default = default_of(f)
        doc = meta["doc"] + (f" (default {default!r})" if default is not None else "")
        out[f.name] = Key(
            meta["kind"], False, doc, choices=meta["choices"], elements=meta["elements"]
        )
    return out


WAVE = {
    "code": Key("int", True, "wave code as stored in the data's wave column"),
    "file": Key("str", True, "data file (SPSS .sav/.zsav/.por, CSV, Excel, Parquet), relative"),
    "label": Key("text", False, TEXT_DOC),
    "period": Key("str", True, "baseline or follow-up", choices=("baseline", "follow-up")),
    "fieldwork": Key(
        "mapping",
        False,
        "fieldwork dates",
        children={"start": Key("date", True), "end": Key("date", True)},
    ),
    "encoding": Key("str", False, "text encoding of the file when it does not declare one"),
    "form": Key(
        "str",
        False,
        "the XLSForm the file was collected with, when the file is a KoboToolbox, ODK "
        "Central or Ona export (CSV or XLSX): it is read with the form (group-path and label "
        "headers, split multiple-choice columns, n/a = not asked, server columns kept "
        "apart), relative",
    ),
}

STUDY_SPEC: dict[str, Key] = {
    "name": Key("str", True, "short identifier of the study"),
    "title": Key("text", False, TEXT_DOC),
    "description": Key("text", False, TEXT_DOC),
    "questionnaire": Key("str", True, "a path relative to the study or a bundled instrument name"),
    "files_outside_folder": Key(
        "bool",
        False,
        "allow files named here to lie outside the study folder (symlinks are resolved first; "
        "default false)",
    ),
    "waves": Key("list", True, "the data files, one per wave", children=WAVE),
    "design": Key(
        "mapping",
        True,
        "the sampling design (column names)",
        children={
            "ids": Key("str_or_list", True, "cluster (PSU) column(s), or 1 for none"),
            "strata": Key("str", False, "stratum column"),
            "weights": Key("str", False, "design weight column"),
            "fpc": Key("str", False, "finite population correction column"),
            "nest": Key("bool", False, "PSU codes are only unique within strata"),
        },
    ),
    "arms": Key(
        "mapping",
        False,
        "pilot and control communities",
        children={
            "treatment": Key("str", False, "the treatment column (1 = pilot, 0 = control)"),
            "pilot_code": Key("int", False, "the code of pilot in the treatment column"),
            "community": Key("str", False, "the community column"),
            "communities": Key(
                "str_or_mapping", False, "community -> arm table: a CSV file or a mapping"
            ),
            "first_treated": Key(
                "mapping",
                False,
                "staggered adoption: community -> first treated wave code (null: never)",
            ),
        },
    ),
    "area_covariates": Key(
        "str",
        False,
        "area-level covariates for small-area estimates: a CSV with a community column and "
        "numeric columns (population, registered crime, calls to police, ...)",
    ),
    "margins": Key(
        "mapping",
        False,
        "population margins for weighting",
        children={
            "file": Key("str", False, "a CSV next to study.yaml"),
            "kind": Key("str", False, "counts or shares", choices=("counts", "shares")),
            "by": Key("list", False, "columns the margins are given per", elements="str"),
            "rows": Key("list", False, "inline rows, same columns as the CSV"),
        },
    ),
    "weighting": Key(
        "mapping",
        False,
        "how the pipeline weights to the margins (default: rake, no trimming)",
        children={
            "method": Key(
                "str",
                False,
                "rake, poststratify or calibrate",
                choices=("rake", "poststratify", "calibrate"),
            ),
            "trim": Key(
                "mapping",
                False,
                "bounds on the final weights (R's trimWeights, strict)",
                children={"lower": Key("number", False), "upper": Key("number", False)},
            ),
            "fixed_weights": Key("bool", False, "SEs treat the weights as fixed (default false)"),
        },
    ),
    "focus_groups": Key(
        "mapping",
        False,
        "focus-group records",
        children={
            "groups": Key("str", True, "groups CSV"),
            "segments": Key("str", True, "coded segments CSV"),
            "codebook": Key("str", False, "questionnaire with the theme codebook"),
        },
    ),
    "programme": Key(
        "mapping",
        False,
        "programme-monitoring records (trustsurvey.programme)",
        children={
            "activities": Key("str", False, "activities log (CSV/XLSX)"),
            "hotline": Key("str", False, "hotline and appeals log (CSV/XLSX; holds PII)"),
            "trainings": Key("str", False, "training pre/post test scores (CSV/XLSX)"),
            "population": Key("str", False, "community, population CSV (residents)"),
            "vocabulary": Key("str", False, "vocabulary instrument (default programme_vocabulary)"),
            "period": Key(
                "mapping",
                False,
                "programme period (default: a year around the waves' fieldwork)",
                children={"start": Key("date", True), "end": Key("date", True)},
            ),
        },
    ),
    "validation": Key(
        "mapping", False, "validation and cleaning settings", children=keys_of(ValidationSettings)
    ),
    "publish": Key("mapping", False, "what to publish", children=keys_of(PublishSettings)),
    "analysis": Key(
        "mapping",
        False,
        "the analysis plan (each key optional; defaults from the questionnaire's roles)",
        children={
            "outcomes": Key("list", False, "items or indices, in reading order", elements="str"),
            "subgroups": Key("list", False, "breakdowns published by group", elements="str"),
            "adjust": Key("list", False, "covariates of the adjusted DiD", elements="str"),
            "distributions": Key("list", False, "items published as answer shares", elements="str"),
            "multiple": Key(
                "list", False, "multiple-choice items: shares per option", elements="str"
            ),
        },
    ),
}


@dataclass
class _Ctx:
    file: str
    lines: dict[str, int] = field(default_factory=dict)

    def fail(self, path: str, message: str, hint: str) -> StudyError:
        line = self.lines.get(path)
        where = f" (line {line})" if line else ""
        return StudyError(f"{message}{where}", file=self.file, item=path, hint=hint)


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "str":
        return isinstance(value, str) and value.strip() != ""
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "date":
        if isinstance(value, dt.date):
            return True
        if isinstance(value, str):
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                return False
            return True
        return False
    if kind == "text":
        return isinstance(value, str) or (
            isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
        )
    if kind == "list":
        return isinstance(value, list)
    if kind == "mapping":
        return isinstance(value, dict)
    if kind == "str_or_list":
        return isinstance(value, str | int) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        )
    if kind == "str_or_mapping":
        return isinstance(value, str | dict)
    raise ValueError(kind)


_KIND_WORDS = {
    "str": "a non-empty string",
    "int": "a whole number",
    "number": "a number",
    "bool": "true or false",
    "date": "a date YYYY-MM-DD",
    "text": "a string or a mapping {uk: ..., en: ...}",
    "list": "a list",
    "mapping": "a mapping of keys to values",
    "str_or_list": "a column name or a list of column names",
    "str_or_mapping": "a file name or a mapping",
}


def _check(value: Any, spec: dict[str, Key], path: str, ctx: _Ctx) -> None:
    if not isinstance(value, dict):
        raise ctx.fail(
            path or "(top level)",
            f"must be a mapping of keys to values, not {type(value).__name__}",
            "write 'key: value' lines (see the study.yaml format in the README)",
        )
    for key in value:
        if key not in spec:
            sub = f"{path}.{key}" if path else str(key)
            close = difflib.get_close_matches(str(key), list(spec), n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'? " if close else ""
            hint += "Known keys here: " + ", ".join(spec)
            raise ctx.fail(sub, f"unknown key '{key}'", hint)
    for key, rule in spec.items():
        sub = f"{path}.{key}" if path else key
        if key not in value or value[key] is None:
            if rule.required:
                raise ctx.fail(
                    sub, f"required key '{key}' is missing", f"add '{key}:' ({rule.doc})"
                )
            continue
        item = value[key]
        if not _type_ok(rule.kind, item):
            raise ctx.fail(
                sub,
                f"must be {_KIND_WORDS[rule.kind]}, not {item!r}",
                f"give {sub} as {_KIND_WORDS[rule.kind]} ({rule.doc})",
            )
        if rule.choices is not None and item not in rule.choices:
            raise ctx.fail(
                sub,
                f"'{item}' is not allowed",
                "use one of: " + ", ".join(str(c) for c in rule.choices),
            )
        if rule.kind == "mapping" and rule.children is not None:
            _check(item, rule.children, sub, ctx)
        if rule.kind == "list":
            for i, element in enumerate(item):
                esub = f"{sub}[{i}]"
                if rule.children is not None:
                    _check(element, rule.children, esub, ctx)
                elif rule.elements is not None and not _type_ok(rule.elements, element):
                    raise ctx.fail(
                        esub,
                        f"must be {_KIND_WORDS[rule.elements]}, not {element!r}",
                        f"give each element of {sub} as {_KIND_WORDS[rule.elements]}",
                    )


def check_against_spec(
    data: Any, spec: dict[str, Key], file: str | Path, lines: dict[str, int] | None = None
) -> None:
    """Raise StudyError for the first unknown key, missing required key or wrong type."""
    _check(data, spec, "", _Ctx(str(file), lines or {}))


def fail_at(
    file: str | Path, lines: dict[str, int], path: str, message: str, hint: str
) -> StudyError:
    """A StudyError for key ``path`` of ``file`` with its line number when known."""
    return _Ctx(str(file), lines).fail(path, message, hint)
