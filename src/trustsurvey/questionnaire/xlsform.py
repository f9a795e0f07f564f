"""XLSForm (Kobo/ODK) ⇄ questionnaire.

Forms are parsed by ODK's own ``pyxform`` (``xls2json.parse_file_to_json``), so what Kobo
accepts, trustsurvey accepts, and pyxform's own checks (unknown list names, duplicate
choices, bad references) apply. This module maps pyxform's JSON form to a
:class:`~trustsurvey.questionnaire.Questionnaire`:

- ``select_one`` → single, ``select_multiple`` → multiple, ``integer``/``decimal`` → numeric,
  ``text`` → text, ``date``/``datetime`` → date; notes, ``calculate`` and metadata are left
  out (listed in ``q.notes``).
- labels per language: ``label::Ukrainian (uk)`` and the older ``label:Ukrainian`` both work.
- groups are flattened (``item.group`` keeps the path, group relevance is combined with the
  item's); items inside a repeat are kept with ``item.repeat`` and a note, since survey data
  are one row per respondent and repeat data come in a separate table.
- ``relevant`` is translated to the questionnaire's expression language; a simple
  ``constraint`` like ``. >= 18 and . <= 99`` becomes min/max.
- optional extra columns written by :func:`to_xlsform` (``trustsurvey_type``,
  ``trustsurvey_roles``, ``trustsurvey_pii``, ``trustsurvey_reverse``, ``trustsurvey_grid``,
  ``trustsurvey_exclusive`` on *survey*; ``trustsurvey_missing`` on *choices*) carry what an
  XLSForm has no column for, so questionnaire → XLSForm → questionnaire keeps everything.
- missing codes: choices flagged in ``trustsurvey_missing`` (``yes``, or the kind itself:
  ``dont_know``, ``refused``, ``not_applicable``, ``missing``); in a form without that column,
  single-choice answers whose label or name says "Важко відповісти", "Don't know", "Відмова",
  … (see :func:`~trustsurvey.questionnaire.missing_kinds.infer_missing_kind`) at a text code
  (``dk``) or a number outside the range of the answer codes (98/99 after 1–5) become
  missing codes; kinds not given are inferred from the labels; every decision is listed in
  ``q.notes``.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path
from typing import Any

from trustsurvey.errors import QuestionnaireError
from trustsurvey.questionnaire import expressions
from trustsurvey.questionnaire.missing_kinds import MISSING_KINDS, split_missing_codes
from trustsurvey.questionnaire.model import Code, Item, Questionnaire, Scale, numeric_codes
from trustsurvey.questionnaire.text import Text

EXTRA = "trustsurvey_"
_TYPE_MAP = {
    "select one": "single",
    "select all that apply": "multiple",
    "integer": "numeric",
    "decimal": "numeric",
    "range": "numeric",
    "text": "text",
    "date": "date",
    "datetime": "date",
}
_SKIPPED = {"note", "calculate", "start", "end", "today", "deviceid", "username", "audit"}
_LANG_NAMES = {
    "ukrainian": "uk",
    "українська": "uk",
    "english": "en",
    "англійська": "en",
}
_RANGE = re.compile(
    r"^\s*\.\s*(>=|>)\s*(-?\d+(?:\.\d+)?)\s+and\s+\.\s*(<=|<)\s*(-?\d+(?:\.\d+)?)\s*$"
)
_ONE_SIDE = re.compile(r"^\s*\.\s*(>=|<=)\s*(-?\d+(?:\.\d+)?)\s*$")
_TRUE = {"yes", "true", "true()", "1", "y"}
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
OTHER_LABEL = Text(uk="Інше", en="Other")
SPECIFY_OTHER = Text(uk="Уточніть, що саме", en="Specify other")


def _lang(key: str) -> str | None:
    """Language code of a pyxform label key: "Ukrainian (uk)" → uk, "English" → en."""
    match = re.search(r"\(([A-Za-z-]+)\)\s*$", key)
    if match:
        code = match.group(1).lower().split("-")[0]
        return {"ua": "uk"}.get(code, code)
    return _LANG_NAMES.get(key.strip().lower(), None if key != "default" else "default")


def _text(label: Any) -> Text:
    if label is None:
        return Text()
    if isinstance(label, str):
        return Text.same(label)
    values: dict[str, str] = {}
    default = None
    for key, value in label.items():
        code = _lang(str(key))
        if code in ("uk", "en") and value:
            values[code] = str(value)
        elif code == "default":
            default = str(value)
    if not values and default is not None:
        return Text.same(default)
    return Text(uk=values.get("uk"), en=values.get("en"))


def _label_of(element: dict) -> Text:
    """Label of a question or choice; old-style ``label:English`` columns left over by
    pyxform in a form that also uses ``label::`` columns are merged in."""
    label = element.get("label")
    merged: dict[str, Any] = {}
    if isinstance(label, dict):
        merged.update(label)
    elif label is not None:
        merged["default"] = label
    for key, value in element.items():
        if key.startswith("label:") and not key.startswith("label::") and value:
            merged[key[len("label:") :]] = value
    if set(merged) == {"default"}:
        return _text(merged["default"])
    return _text(merged)


def _code(name: Any) -> Code:
    text = str(name).strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d+", text):
        value = float(text)
        return int(value) if value.is_integer() else value
    return text


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in _TRUE


def _raw_rows(path: Path) -> dict[str, dict[str, Any]]:
    """Sheet rows (1-based, header = row 1) of survey names and (list, choice) pairs,
    and the raw ``type`` cell of each survey name (pyxform's JSON drops ``or_other``)."""
    rows: dict[str, dict[str, Any]] = {"survey": {}, "choices": {}, "types": {}}
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return rows
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        for sheet in ("survey", "choices"):
            if sheet not in book.sheetnames:
                continue
            header: list[str] = []
            for number, values in enumerate(book[sheet].iter_rows(values_only=True), start=1):
                if number == 1:
                    header = [str(v).strip() if v is not None else "" for v in values]
                    continue
                record = dict(zip(header, values, strict=False))
                name = record.get("name")
                if name is None:
                    continue
                key = str(name) if sheet == "survey" else f"{record.get('list_name')}/{name}"
                rows[sheet].setdefault(key, number)
                if sheet == "survey":
                    rows["types"].setdefault(key, str(record.get("type") or ""))
    finally:
        book.close()
    return rows


def _pyxform_error(err: Exception, path: Path) -> QuestionnaireError:
    text = str(err)
    row_match = re.search(r"\[row\s*:\s*(\d+)\]", text)
    row = int(row_match.group(1)) if row_match else None
    text = re.sub(r"\[row\s*:\s*\d+\]\s*", "", text).strip()
    sheet_match = re.search(r"'(survey|choices|settings)' sheet|sheet: '(\w+)'", text)
    if sheet_match:
        sheet = sheet_match.group(1) or sheet_match.group(2)
    elif "List name" in text or (row is not None and "choice" not in text.lower()):
        sheet = "survey"  # a question names a list
    elif "choices sheet" in text or "choice" in text.lower():
        sheet = "choices"
    else:
        sheet = None
    where = f"sheet '{sheet}'" + (f", row {row}" if row is not None else "") if sheet else ""
    return QuestionnaireError(
        f"{where}: {text}" if where else text,
        file=path,
        hint="fix the form in Excel (or Kobo's form builder) and export it again; "
        "https://xlsform.org explains each column",
    )


def from_xlsform(path: str | Path, *, name: str | None = None) -> Questionnaire:
    """Read an XLSForm (.xlsx/.xls/.csv/.md as pyxform reads them) into a questionnaire.

    Raises :class:`~trustsurvey.errors.QuestionnaireError` naming the file, sheet and row.

    >>> import tempfile, pathlib
    >>> from trustsurvey.questionnaire import load_questionnaire, instrument_path, to_xlsform
    >>> q = load_questionnaire(instrument_path("police_trust_core"))
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "core.xlsx"
    >>> back = from_xlsform(to_xlsform(q, out))
    >>> back.item("contact_satisfaction").relevant
    'contact_police == 1'
    """
    from pyxform.errors import PyXFormError
    from pyxform.xls2json import parse_file_to_json

    path = Path(path)
    if not path.is_file():
        raise QuestionnaireError(
            "XLSForm file not found", file=path, hint="check the path to the .xlsx form"
        )
    warnings: list[str] = []
    try:
        form = parse_file_to_json(str(path), warnings=warnings)
    except PyXFormError as err:
        raise _pyxform_error(err, path) from None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as err:
        raise QuestionnaireError(
            f"cannot read the form: {err}",
            file=path,
            hint="save it as an .xlsx XLSForm with survey and choices sheets",
        ) from None
    return _FormReader(form, path, name).build(warnings)


class _FormReader:
    def __init__(self, form: dict, path: Path, name: str | None) -> None:
        self.form = form
        self.path = path
        self.name = name
        self.rows = _raw_rows(path)
        self.items: dict[str, Item] = {}
        self.scales: dict[str, Scale] = {}
        self.notes: list[str] = []
        self.grids: dict[str, Text] = {}
        self.renamed: dict[str, str] = {}
        # a form written by to_xlsform says which choices are missing codes
        self.flags_missing = any(
            f"{EXTRA}missing" in choice
            for choices in (form.get("choices") or {}).values()
            for choice in choices or []
            if isinstance(choice, dict)
        )

    def error(self, name: str, message: str, column: str | None = None) -> QuestionnaireError:
        original = {v: k for k, v in self.renamed.items()}.get(name, name)
        row = self.rows["survey"].get(original)
        where = "sheet 'survey'" + (f", row {row}" if row else "")
        where += f", column '{column}'" if column else ""
        return QuestionnaireError(
            f"{where}: {message}",
            file=self.path,
            item=name,
            hint="fix that cell in the form and export it again",
        )

    def _collect_renames(self, children: list[dict]) -> None:
        """XML names may hold ``.`` and ``-`` (``Q1.2``); questionnaire names may not."""
        for child in children:
            name = str(child.get("name", ""))
            if name and not _NAME.fullmatch(name):
                # as trustsurvey.io normalises Kobo column names: runs of other characters → _
                clean = re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_")
                clean = clean if clean[:1].isalpha() else f"q_{clean}"
                self.renamed[name] = clean
                self.notes.append(f"question {name!r} is named {clean!r} in the questionnaire")
            self._collect_renames(child.get("children", []) or [])

    def build(self, warnings: list[str]) -> Questionnaire:
        self.notes.extend(f"pyxform: {w}" for w in warnings)
        self._collect_renames(self.form.get("children", []))
        self._walk(self.form.get("children", []), group=None, repeat=None, relevant=None)
        self._unused_lists()
        if not self.items:
            raise QuestionnaireError(
                "the form has no questions",
                file=self.path,
                item="survey",
                hint="add the questions to the survey sheet (one row per question)",
            )
        title = self.form.get("title") or self.form.get("name") or self.path.stem
        form_name = self.name or self.form.get("id_string") or self.path.stem
        form_name = re.sub(r"\W", "_", str(form_name)) or "form"
        if not form_name[0].isalpha():
            form_name = "form_" + form_name
        q = Questionnaire(
            name=form_name,
            version=str(self.form.get("version") or "1"),
            title=_text(title),
            items=self.items,
            scales=self.scales,
            grids=self.grids,
            source=str(self.path),
        )
        # check what we built with the YAML checks (unknown names in relevance etc.)
        from trustsurvey.questionnaire.loader import questionnaire_from_data

        try:
            checked = questionnaire_from_data(q.to_data(), file=self.path)
        except QuestionnaireError as err:
            item = err.item if isinstance(err.item, str) else None
            name = None
            if item and item.startswith("items["):
                index = int(item[6 : item.index("]")])
                name = list(self.items)[index]
            if name:
                raise self.error(name, err.message) from None
            raise
        checked.source = str(self.path)
        checked.notes = self.notes
        return checked

    def _walk(
        self, children: list[dict], group: str | None, repeat: str | None, relevant: str | None
    ) -> None:
        for child in children:
            kind = child.get("type", "")
            name = str(child.get("name", ""))
            bind = child.get("bind", {}) or {}
            own = self._relevant(name, bind.get("relevant"))
            combined = own
            if relevant and own:
                combined = f"({relevant}) and ({own})"
            elif relevant:
                combined = relevant
            if kind == "group":
                if child.get("control", {}).get("bodyless"):
                    continue  # the form's meta block (instanceID)
                path = f"{group}/{name}" if group else name
                self._walk(child.get("children", []), path, repeat, combined)
            elif kind == "repeat":
                path = f"{group}/{name}" if group else name
                self.notes.append(
                    f"repeat {name!r}: its items are listed with repeat: {name}; their answers "
                    "come in a separate table (one row per repeat instance), not in the "
                    "respondent-level data"
                )
                self._walk(child.get("children", []), path, name, combined)
            elif kind in _TYPE_MAP:
                self._item(child, _TYPE_MAP[kind], group, repeat, combined)
            elif kind in _SKIPPED or not kind:
                if kind not in ("note",):
                    self.notes.append(f"{kind} {name!r} left out (no survey answer)")
            else:
                self.notes.append(f"{kind} {name!r} left out (type not used in survey analysis)")

    def _relevant(self, name: str, text: str | None) -> str | None:
        if not text:
            return None
        # or_other's generated question refers to its parent as ../name
        text = re.sub(r"\.\./([\w.-]+)", r"${\1}", text)
        text = re.sub(
            r"\$\{\s*([\w.-]+)\s*\}", lambda m: "${" + self.renamed.get(m[1], m[1]) + "}", text
        )
        try:
            return expressions.from_xlsform_expression(text)
        except expressions.ExpressionError as err:
            raise self.error(name, f"relevant {text!r}: {err}", "relevant") from None

    def _choices(
        self, child: dict, list_name: str, recognise: bool = False
    ) -> tuple[dict, dict, dict]:
        codes: dict[Code, Text] = {}
        missing: dict[Code, Text] = {}
        kinds: dict[Code, str] = {}
        for choice in child.get("choices", []) or []:
            code = _code(choice.get("name"))
            flag = str(choice.get(f"{EXTRA}missing", "") or "").strip().lower()
            target = missing if flag in MISSING_KINDS or _truthy(flag) else codes
            target[code] = _label_of(choice)
            if flag in MISSING_KINDS:
                kinds[code] = flag
            if code == "other" and self._or_other(child):
                target[code] = OTHER_LABEL  # pyxform's untranslated "Other"
        return split_missing_codes(
            codes,
            missing,
            kinds,
            where=f"choice list {list_name!r}",
            notes=self.notes,
            recognise=recognise and not self.flags_missing,
            text_codes=True,
        )

    def _item(
        self, child: dict, kind: str, group: str | None, repeat: str | None, relevant: str | None
    ) -> None:
        name = self.renamed.get(str(child["name"]), str(child["name"]))
        if name.endswith("_other") and name[: -len("_other")] in self.items:
            parent = self.items[name[: -len("_other")]]
            if parent.other:
                relevant = (
                    f"selected({parent.name}, 'other')"
                    if parent.type == "multiple"
                    else f"{parent.name} == 'other'"
                )
                if relevant and parent.relevant:
                    relevant = f"({parent.relevant}) and ({relevant})"
                child = {**child, "label": None, "trustsurvey_generated_label": True}
        if name in self.items:
            raise self.error(name, f"the name {name!r} is used twice (in different groups)")
        bind = child.get("bind", {}) or {}
        declared = str(child.get(f"{EXTRA}type", "") or "").strip()
        if declared:
            kind = declared
        list_name = child.get("list_name") or child.get("itemset")
        codes: dict = {}
        missing: dict = {}
        kinds: dict = {}
        options: dict = {}
        other = False
        scale = None
        if kind in ("single", "likert", "multiple"):
            codes, missing, kinds = self._choices(child, str(list_name), kind != "multiple")
            other = self._or_other(child)
            if kind == "multiple":
                options, codes = codes, {}
            elif list_name and list_name != name:
                scale = self._scale(str(list_name), codes, missing, kind, kinds)
            declared_scale = str(child.get(f"{EXTRA}scale", "") or "")
            known = self.scales.get(declared_scale)
            if scale is None and known is not None and known.codes == codes:
                scale = declared_scale
        low = high = None
        constraint = bind.get("constraint")
        if constraint and kind == "numeric":
            low, high = self._range(str(constraint))
        elif constraint and kind != "multiple":
            self.notes.append(f"{name}: constraint {constraint!r} kept only in the form")
        roles = str(child.get(f"{EXTRA}roles", "") or "").split()
        exclusive = child.get(f"{EXTRA}exclusive") or None
        ordered = kind == "likert" or (kind == "single" and _truthy(child.get(f"{EXTRA}ordered")))
        if scale is not None:
            ordered = self.scales[scale].ordered
        grid = child.get(f"{EXTRA}grid") or None
        if grid:
            self.grids.setdefault(str(grid), Text.same(str(grid)))
        self.items[name] = Item(
            name=name,
            type=kind,
            text=SPECIFY_OTHER if child.get("trustsurvey_generated_label") else _label_of(child),
            scale=scale,
            codes=codes,
            missing=missing,
            missing_kinds=kinds,
            reverse=_truthy(child.get(f"{EXTRA}reverse", "")),
            min=low,
            max=high,
            required=_truthy(bind.get("required", "")),
            relevant=relevant,
            pii=_truthy(child.get(f"{EXTRA}pii", "")),
            roles=frozenset(roles),
            grid=str(grid) if grid else None,
            options=options,
            exclusive=_code(exclusive) if exclusive is not None else None,
            ordered=ordered,
            group=group,
            repeat=repeat,
            note=(
                f"inside repeat {repeat!r}: one answer per repeat instance, not per respondent"
                if repeat
                else None
            ),
            choice_filter=child.get("choice_filter") or None,
            other=other,
        )

    def _unused_lists(self) -> None:
        """Choice lists no question uses (e.g. a valence scale) are kept as scales."""
        used = {str(i.scale) for i in self.items.values() if i.scale} | set(self.items)
        for list_name, choices in (self.form.get("choices") or {}).items():
            if list_name in used or list_name in self.scales:
                continue
            if not re.fullmatch(r"[A-Za-z]\w*", str(list_name)):
                continue
            codes, missing, kinds = self._choices({"name": "", "choices": choices}, list_name)
            if codes:
                ordered = numeric_codes(codes) is not None
                self.scales[list_name] = Scale(
                    list_name, codes, missing, ordered=ordered, missing_kinds=kinds
                )

    def _or_other(self, child: dict) -> bool:
        """Was the question written with ``or_other``? (pyxform adds an "other" choice.)"""
        raw = self.rows["types"].get(str(child["name"]))
        if raw is not None:
            return "or_other" in raw.split()
        last = (child.get("choices") or [{}])[-1]
        return last.get("name") == "other" and _text(last.get("label")) == Text.same("Other")

    def _scale(
        self, list_name: str, codes: dict, missing: dict, kind: str, kinds: dict
    ) -> str | None:
        if not re.fullmatch(r"[A-Za-z]\w*", list_name):
            return None
        ordered = numeric_codes(codes) is not None  # the YAML loader's default
        known = self.scales.get(list_name)
        if known is None:
            self.scales[list_name] = Scale(
                list_name, codes, missing, ordered=ordered, missing_kinds=kinds
            )
        elif known.codes != codes or known.missing != missing or known.missing_kinds != kinds:
            return None
        return list_name

    def _range(self, constraint: str) -> tuple[float | None, float | None]:
        match = _RANGE.match(constraint)
        if match:
            return _num(match.group(2)), _num(match.group(4))
        match = _ONE_SIDE.match(constraint)
        if match:
            value = _num(match.group(2))
            return (value, None) if match.group(1) == ">=" else (None, value)
        self.notes.append(f"constraint {constraint!r} kept only in the form")
        return None, None


def _num(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() else value


# --------------------------------------------------------------------------- writing

_OUT_TYPE = {
    "single": "select_one",
    "likert": "select_one",
    "multiple": "select_multiple",
    "numeric": "decimal",
    "text": "text",
    "date": "date",
    "identifier": "text",
}
_LABEL_COLUMNS = {"uk": "label::Ukrainian (uk)", "en": "label::English (en)"}


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def _switch_groups(sheet: Any, old: str | None, new: str | None, repeats: set[str]) -> None:
    """Close the groups/repeats of path ``old`` not shared with ``new``, open the new ones."""
    before = old.split("/") if old else []
    after = new.split("/") if new else []
    shared = 0
    while shared < min(len(before), len(after)) and before[shared] == after[shared]:
        shared += 1
    for part in reversed(before[shared:]):
        sheet.append(["end_repeat" if part in repeats else "end_group"])
    for part in after[shared:]:
        kind = "begin_repeat" if part in repeats else "begin_group"
        sheet.append([kind, part, part, part])


def to_xlsform(q: Questionnaire, path: str | Path) -> Path:
    """Write ``q`` as an XLSForm workbook (survey, choices, settings) that Kobo accepts.

    Labels go to ``label::Ukrainian (uk)`` / ``label::English (en)``; relevance to XPath;
    numeric ranges to ``constraint``; missing codes become ordinary choices flagged in a
    ``trustsurvey_missing`` column; roles, PII, grids, reverse keying and the exact item type
    go to ``trustsurvey_*`` columns that Kobo ignores; scales no item uses are written as
    choice lists. A focus-group ``codebook`` and indices have no place in an XLSForm and are
    not written. Written atomically.
    """
    import openpyxl

    from trustsurvey._files import atomic_path

    target = Path(path)
    if q.source and target.resolve() == Path(q.source).resolve():
        raise QuestionnaireError(
            "refusing to overwrite the questionnaire's own source file",
            file=target,
            hint="choose another output path",
        )
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    extra = ["type", "scale", "roles", "pii", "reverse", "grid", "exclusive", "ordered"]
    header = [
        "type",
        "name",
        *_LABEL_COLUMNS.values(),
        "relevant",
        "required",
        "constraint",
        "choice_filter",
        *[f"{EXTRA}{e}" for e in extra],
    ]
    survey.append(header)
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", *_LABEL_COLUMNS.values(), f"{EXTRA}missing"])
    written_lists: set[str] = set()
    group: str | None = None
    repeats = {item.repeat for item in q.items.values() if item.repeat}
    for item in q.items.values():
        parent = item.name[: -len("_other")]
        if item.name.endswith("_other") and parent in q.items and q.items[parent].other:
            continue  # pyxform's or_other generates it
        if item.group != group:
            _switch_groups(survey, group, item.group, repeats)
            group = item.group
        kind = _OUT_TYPE[item.type]
        if item.type == "numeric" and all(
            v is None or float(v).is_integer() for v in (item.min, item.max)
        ):
            kind = "integer" if item.min is not None or item.max is not None else "decimal"
        if item.type in ("single", "likert", "multiple"):
            scale = q.scales.get(item.scale) if item.scale else None
            own = scale is None or (scale.codes, scale.missing, scale.missing_kinds) != (
                item.codes,
                item.missing,
                item.missing_kinds,
            )
            list_name = item.name if own else scale.name  # type: ignore[union-attr]
            kind = f"{kind} {list_name}" + (" or_other" if item.other else "")
            if list_name not in written_lists:
                written_lists.add(list_name)
                values = item.options if item.type == "multiple" else item.codes
                for code, label in values.items():
                    if item.other and code == "other":
                        continue
                    choices.append([list_name, str(code), label.get("uk"), label.get("en"), ""])
                for code, label in item.missing.items():
                    flag = item.missing_kinds.get(code, "missing")
                    choices.append([list_name, str(code), label.get("uk"), label.get("en"), flag])
        constraint = ""
        if item.min is not None and item.max is not None:
            constraint = f". >= {_fmt(item.min)} and . <= {_fmt(item.max)}"
        elif item.min is not None:
            constraint = f". >= {_fmt(item.min)}"
        elif item.max is not None:
            constraint = f". <= {_fmt(item.max)}"
        if item.exclusive is not None:
            constraint = f"not(selected(., '{item.exclusive}') and count-selected(.) > 1)"
        if item.missing and item.type == "numeric":
            constraint = ""  # a missing code such as 999 lies outside the range
        survey.append(
            [
                kind,
                item.name,
                item.text.get("uk") if item.text else "",
                item.text.get("en") if item.text else "",
                expressions.to_xlsform_expression(item.relevant) if item.relevant else "",
                "yes" if item.required else "",
                constraint,
                item.choice_filter or "",
                item.type,
                item.scale or "",
                " ".join(sorted(item.roles)),
                "yes" if item.pii else "",
                "yes" if item.reverse else "",
                item.grid or "",
                "" if item.exclusive is None else str(item.exclusive),
                "yes" if item.ordered and item.type == "single" else "",
            ]
        )
    _switch_groups(survey, group, None, repeats)
    for scale in q.scales.values():  # lists no item uses (e.g. a valence scale)
        if scale.name not in written_lists:
            for code, label in scale.codes.items():
                choices.append([scale.name, str(code), label.get("uk"), label.get("en"), ""])
            for code, label in scale.missing.items():
                flag = scale.missing_kinds.get(code, "missing")
                choices.append([scale.name, str(code), label.get("uk"), label.get("en"), flag])
    settings = book.create_sheet("settings")
    settings.append(["form_title", "form_id", "version", "default_language"])
    settings.append([q.title.get("uk") or q.name, q.name, str(q.version), "Ukrainian (uk)"])
    with atomic_path(target, mkdir=False) as tmp:
        book.save(tmp)
    return target
