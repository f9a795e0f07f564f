"""A starting questionnaire from an SPSS file's dictionary.

Fieldwork firms deliver .sav files whose dictionary already holds most of a codebook:
variable labels (question text), value labels (codes), user-missing values (8 "difficult
to answer", 9 "refused"), measure levels and multiple-response sets. This module turns that
dictionary into a :class:`~trustsurvey.questionnaire.Questionnaire` to review and complete
(the other language's texts, roles, indices) — it is a draft, not a final instrument.

Rules: value labels → ``single`` (``likert`` when the measure level is ordinal, or — when
the file declares no measure — four or more consecutive integer codes); no value labels →
``numeric``, ``text`` (string format) or ``date`` (date format); user-missing values and
ranges → missing codes (labelled from the value labels); dichotomous multiple-response sets
→ ``multiple`` items over their 0/1 variables.

Missing codes: each gets the kind its label names (``dont_know`` for "Важко відповісти",
``refused`` for "Відмова", …; see :mod:`~trustsurvey.questionnaire.missing_kinds`), plain
``missing`` otherwise. A labelled code the file does not declare user-missing is made a
missing code when its label names a kind and the code lies outside the range of the other
answer codes (8, 9, 98 or 99 after 1–5, 0 before 1–5, -1); a code whose label names a kind
among the answer codes (``2 = Не знаю`` between 1 and 3) stays an answer, with a note.
Everything inferred is listed by
:func:`~trustsurvey.questionnaire.missing_kinds.missing_kind_lines` for review.

Accepts :class:`trustsurvey.io.FileMetadata` or any object with its attributes
(``column_names, variable_labels, value_labels, missing_values, missing_ranges, measure,
formats, mr_sets``).

>>> from trustsurvey.io import read_survey
>>> meta = read_survey("tests/fixtures/trust/trust_two_waves.sav").meta  # doctest: +SKIP
>>> from_spss_metadata(meta).name                                       # doctest: +SKIP
'trust_two_waves'
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from trustsurvey.errors import QuestionnaireError
from trustsurvey.questionnaire.missing_kinds import split_missing_codes
from trustsurvey.questionnaire.model import Code, Item, Questionnaire, Scale, numeric_codes
from trustsurvey.questionnaire.text import Text

_DATE_FORMAT = re.compile(r"^(DATE|ADATE|EDATE|SDATE|JDATE|DATETIME|YMDHMS|MOYR|QYR|WKYR)")
_ID_NAMES = re.compile(r"^(resp_?id|respondent_?id|id|case_?id)$", re.IGNORECASE)
MAX_RANGE_CODES = 20


def _code(value: Any) -> Code:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return value.strip()
    return value


def _label(text: str | None, language: str) -> Text:
    if not text:
        return Text()
    return Text(uk=text) if language == "uk" else Text(en=text)


def _clean_name(name: str) -> str:
    clean = re.sub(r"\W", "_", name.lstrip("$")).strip("_") or "item"
    return clean if clean[0].isalpha() else f"v_{clean}"


def _missing(meta: Any, column: str) -> tuple[list[Code], list[str]]:
    codes = [_code(c) for c in (getattr(meta, "missing_values", {}) or {}).get(column, [])]
    notes = []
    for lo, hi in (getattr(meta, "missing_ranges", {}) or {}).get(column, []):
        if lo == hi:
            codes.append(_code(lo))
        elif (
            isinstance(lo, int | float)
            and isinstance(hi, int | float)
            and float(lo).is_integer()
            and float(hi).is_integer()
            and hi - lo < MAX_RANGE_CODES
        ):
            codes.extend(range(int(lo), int(hi) + 1))
        else:
            notes.append(f"{column}: user-missing range {lo}–{hi} kept only in the data file")
    seen: list[Code] = []
    for code in codes:
        if code not in seen:
            seen.append(code)
    return seen, notes


def _is_likert(codes: dict[Code, Text], measure: str | None) -> bool:
    values = numeric_codes(codes)
    if values is None or len(values) < 2:
        return False
    if measure == "ordinal":
        return True
    if measure in ("nominal", "scale"):
        return False
    ints = sorted(values)
    consecutive = all(float(v).is_integer() for v in ints) and ints == list(
        range(int(ints[0]), int(ints[0]) + len(ints))
    )
    return consecutive and len(ints) >= 4


def from_spss_metadata(
    meta: Any, *, name: str | None = None, language: str = "uk"
) -> Questionnaire:
    """Draft a questionnaire from an SPSS dictionary; texts are put in ``language``."""
    needed = ("column_names", "variable_labels", "value_labels")
    lacking = [a for a in needed if not hasattr(meta, a)]
    if lacking:
        raise QuestionnaireError(
            f"the metadata object has no {', '.join(lacking)}",
            hint="pass trustsurvey.io.read_survey(path).meta (a FileMetadata)",
        )
    if language not in ("uk", "en"):
        raise QuestionnaireError(
            f"unknown language {language!r}", item="language", hint="use uk or en"
        )
    file = str(getattr(meta, "file", "") or "") or None
    value_labels = getattr(meta, "value_labels", {}) or {}
    measures = getattr(meta, "measure", {}) or {}
    formats = getattr(meta, "formats", {}) or {}
    var_labels = getattr(meta, "variable_labels", {}) or {}
    notes: list[str] = []

    in_sets: dict[str, str] = {}
    sets: dict[str, dict] = {}
    for set_name, spec in (getattr(meta, "mr_sets", {}) or {}).items():
        variables = list(spec.get("variable_list") or spec.get("variables") or [])
        if spec.get("is_dichotomy", spec.get("type") == "D") and variables:
            clean = _clean_name(set_name)
            sets[clean] = {**spec, "variable_list": variables}
            for var in variables:
                in_sets[var] = clean
        else:
            notes.append(
                f"multiple-response set {set_name!r} is a category set; its variables "
                "are kept as separate single-choice items"
            )

    items: dict[str, Item] = {}
    for column in list(meta.column_names):
        if column in in_sets:
            set_name = in_sets[column]
            if set_name not in items:
                items[set_name] = _mr_item(set_name, sets[set_name], var_labels, language)
            continue
        item_name = _clean_name(column)
        if item_name != column:
            notes.append(f"column {column!r} named {item_name!r} in the questionnaire")
        missing_codes, range_notes = _missing(meta, column)
        notes.extend(range_notes)
        labels = {_code(k): v for k, v in (value_labels.get(column) or {}).items()}
        missing = {c: _label(labels.get(c) or str(c), language) for c in missing_codes}
        codes = {c: _label(v, language) for c, v in labels.items() if c not in missing}
        codes, missing, kinds = split_missing_codes(codes, missing, where=column, notes=notes)
        fmt = str(formats.get(column, "") or "").upper()
        roles: frozenset[str] = frozenset()
        if codes:
            kind = "likert" if _is_likert(codes, measures.get(column)) else "single"
        elif fmt.startswith("A"):
            kind = "text"
        elif _DATE_FORMAT.match(fmt):
            kind = "date"
        else:
            kind = "numeric"
        if _ID_NAMES.match(column) and not codes:
            kind, roles = "identifier", frozenset({"id"})
        ordered = kind == "likert" or (kind == "single" and measures.get(column) == "ordinal")
        items[item_name] = Item(
            name=item_name,
            type=kind,
            text=_label(var_labels.get(column), language),
            codes=codes,
            missing=missing if kind != "identifier" else {},
            missing_kinds=kinds if kind != "identifier" else {},
            ordered=ordered,
            roles=roles,
        )
    q_name = name or _clean_name(Path(file).stem if file else "spss_file")
    scales = _shared_scales(items)
    q = Questionnaire(name=q_name, version="draft", items=items, scales=scales, source=file)
    q.notes = notes
    # the result passes the same checks as a YAML file
    from trustsurvey.questionnaire.loader import questionnaire_from_data

    checked = questionnaire_from_data(q.to_data(), file=file)
    checked.notes = notes
    return checked


def _mr_item(name: str, spec: dict, var_labels: dict[str, str], language: str) -> Item:
    variables = spec["variable_list"]
    options: dict[Code, Text] = {}
    columns: dict[Code, str] = {}
    for var in variables:
        option: Code = var[len(name) + 1 :] if var.startswith(f"{name}_") else var
        option = _code(option) if not str(option).isdigit() else int(option)
        options[option] = _label(var_labels.get(var) or var, language)
        if var != f"{name}_{option}":
            columns[option] = var
    return Item(
        name=name,
        type="multiple",
        text=_label(spec.get("label") or name, language),
        options=options,
        option_columns=columns,
    )


def _shared_scales(items: dict[str, Item]) -> dict[str, Scale]:
    """Code sets used by two or more items become a reusable scale named after the first."""
    groups: dict[str, list[str]] = {}
    for item in items.values():
        if item.type in ("single", "likert") and item.codes:
            key = repr(
                (
                    list(item.codes.items()),
                    list(item.missing.items()),
                    list(item.missing_kinds.items()),
                    item.ordered,
                )
            )
            groups.setdefault(key, []).append(item.name)
    scales: dict[str, Scale] = {}
    for names in groups.values():
        if len(names) < 2:
            continue
        first = items[names[0]]
        scale = Scale(
            f"{first.name}_scale",
            first.codes,
            first.missing,
            ordered=first.ordered,
            missing_kinds=first.missing_kinds,
        )
        scales[scale.name] = scale
        for member in names:
            items[member] = replace(items[member], scale=scale.name)
    return scales
