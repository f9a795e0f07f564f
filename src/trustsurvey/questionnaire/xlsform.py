"""XLSForm (Kobo/ODK) ⇄ questionnaire.

Forms are parsed by ODK's own ``pyxform`` (``xls2json.parse_file_to_json``), so what Kobo
accepts, trustsurvey accepts, and pyxform's own checks (unknown list names, duplicate
choices, bad references) apply. This module maps pyxform's JSON form to a
:class:`~trustsurvey.questionnaire.Questionnaire`:

- ``select_one`` → single, ``select_multiple`` → multiple (also ``*_from_file`` with the
  CSV/XML/GeoJSON beside the form), ``integer``/``decimal``/``range`` → numeric,
  ``date``/``datetime`` → date, every other question type (``time``, ``geopoint``,
  media, ``calculate``, ``hidden``, ``rank`` …) → text with its XLSForm type in
  ``item.note`` (:func:`~trustsurvey.questionnaire.xlsform_parts.item_kind`); notes and
  device metadata (``start``, ``end``, ``deviceid`` …) are listed in ``q.form_fields``.
- labels per language: ``label::Ukrainian (uk)``, ``label::uk`` and the older
  ``label:Ukrainian`` all work; a form in other languages keeps its first language.
- groups are flattened (``item.group`` keeps the path, group relevance is combined with the
  item's); items inside a repeat are kept with ``item.repeat`` and a note, since survey data
  are one row per respondent and repeat data come in a separate table; questions of a
  ``begin loop over`` are repeated per choice. A name used in several groups is named by its
  group path (``child/age`` → ``child_age``).
- ``relevant`` is translated to the questionnaire's expression language part by part (its
  top-level ``and``); a part that cannot be (``regex()``, ``pulldata()``…) is kept verbatim in
  ``q.not_enforced`` and the item is then not required; a simple ``constraint`` like
  ``. >= 18 and . <= 99`` becomes min/max, other constraints, choice filters and
  calculations are listed in ``q.not_enforced``. Only what pyxform refuses is refused.
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

import ast
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trustsurvey.errors import QuestionnaireError
from trustsurvey.questionnaire import expressions
from trustsurvey.questionnaire.expressions import RESERVED
from trustsurvey.questionnaire.missing_kinds import MISSING_KINDS, split_missing_codes
from trustsurvey.questionnaire.model import Code, Item, Questionnaire, Scale, numeric_codes
from trustsurvey.questionnaire.text import Text
from trustsurvey.questionnaire.xlsform_parts import clean_name, conjuncts, file_choices, item_kind

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
    bare = key.strip().lower()
    if re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]+)?", bare) and bare not in _LANG_NAMES:
        code = bare.split("-")[0]  # label::uk, label::en-GB
        return {"ua": "uk"}.get(code, code)
    return _LANG_NAMES.get(bare, None if key != "default" else "default")


def _text(label: Any) -> Text:
    if label is None:
        return Text()
    if isinstance(label, str):
        return Text.same(label)
    values: dict[str, str] = {}
    default = None
    others: list[str] = []
    for key, value in label.items():
        code = _lang(str(key))
        if code in ("uk", "en") and value:
            values[code] = str(value)
        elif code == "default" and value:
            default = str(value)
        elif value:
            others.append(str(value))  # a language other than Ukrainian and English
    if not values and (default is not None or others):
        return Text.same(default if default is not None else others[0])
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
    if path.suffix.lower() == ".xls":  # types only: pyxform's reader drops blank rows
        from pyxform.xls2json_backends import xls_to_dict

        try:
            for record in xls_to_dict(str(path)).get("survey", []):
                if record.get("name") is not None:
                    rows["types"].setdefault(str(record["name"]), str(record.get("type") or ""))
        except Exception:  # pyxform has read it already; only the types are missing
            pass
        return rows
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

    Every form pyxform accepts is read: what the questionnaire cannot check (``regex()``,
    ``pulldata()``, dynamic ``required``, other constraints, choice filters) is kept in
    ``q.not_enforced``; fields without an answer (notes, ``start``/``end``…) are listed in
    ``q.form_fields``. Raises :class:`~trustsurvey.errors.QuestionnaireError` naming the
    file, sheet and row only where pyxform itself refuses the form.

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
    except (
        OSError,
        ValueError,
        KeyError,
        EOFError,
        NotImplementedError,  # zipfile: a damaged header naming an unknown zip version
        zipfile.BadZipFile,
        zlib.error,
    ) as err:
        raise QuestionnaireError(
            f"cannot read the form: {err}",
            file=path,
            hint="save it as an .xlsx XLSForm with survey and choices sheets",
        ) from None
    return _FormReader(form, path, name).build(warnings)


@dataclass
class _Field:
    """One answer-bearing question of the form, before it becomes an item."""

    xml: str  # name in the form
    child: dict
    kind: str  # item type
    group: str | None
    repeat: str | None
    conditions: list[str]  # raw XPath relevant of enclosing groups, then its own
    name: str = ""


class _FormReader:
    def __init__(self, form: dict, path: Path, name: str | None) -> None:
        self.form = form
        self.path = path
        self.name = name
        self.rows = _raw_rows(path)
        self.fields: list[_Field] = []
        self.items: dict[str, Item] = {}
        self.scales: dict[str, Scale] = {}
        self.notes: list[str] = []
        self.not_enforced: list[str] = []
        self.form_fields: dict[str, str] = {}
        self.grids: dict[str, Text] = {}
        self.names: dict[str, str] = {}  # XML name → item name (when unambiguous)
        # a form written by to_xlsform says which choices are missing codes
        self.flags_missing = any(
            f"{EXTRA}missing" in choice
            for choices in (form.get("choices") or {}).values()
            for choice in choices or []
            if isinstance(choice, dict)
        )

    def error(self, name: str, message: str, column: str | None = None) -> QuestionnaireError:
        original = next((f.xml for f in self.fields if f.name == name), name)
        row = self.rows["survey"].get(original)
        where = "sheet 'survey'" + (f", row {row}" if row else "")
        where += f", column '{column}'" if column else ""
        return QuestionnaireError(
            f"{where}: {message}",
            file=self.path,
            item=name,
            hint="fix that cell in the form and export it again",
        )

    def skip(self, name: str, what: str, verbatim: str) -> None:
        """Record a form rule kept verbatim and not checked on the data."""
        self.not_enforced.append(f"{name}: {what} {verbatim!r} not enforced")

    # ------------------------------------------------------------------ pass 1: fields
    def _collect(
        self,
        children: list[dict],
        group: str | None,
        repeat: str | None,
        conditions: list[str],
    ) -> None:
        for child in children:
            kind = str(child.get("type", ""))
            xml = str(child.get("name", ""))
            own = str((child.get("bind") or {}).get("relevant") or "").strip()
            inner = [*conditions, own] if own else conditions
            path = f"{group}/{xml}" if group else xml
            if kind == "group":
                if (child.get("control") or {}).get("bodyless"):
                    for meta in child.get("children", []) or []:
                        self.form_fields[f"{path}/{meta.get('name')}"] = str(meta.get("type"))
                    continue  # the form's meta block (instanceID)
                self._collect(child.get("children", []) or [], path, repeat, inner)
            elif kind == "repeat":
                self.notes.append(
                    f"repeat {xml!r}: its items are listed with repeat: {xml}; their answers "
                    "come in a separate table (one row per repeat instance), not in the "
                    "respondent-level data"
                )
                self._collect(child.get("children", []) or [], path, xml, inner)
            elif kind == "loop":
                for column in child.get("columns", []) or []:
                    step = f"{path}/{column.get('name')}"
                    self._collect(child.get("children", []) or [], step, repeat, inner)
                self.notes.append(
                    f"loop {xml!r}: its questions are asked once per choice and named "
                    f"{xml}_<choice>_<question>"
                )
            elif kind.startswith("select") or kind == "rank":
                self._select_field(child, kind, xml, group, repeat, inner)
            else:
                item_type = item_kind(kind)
                if item_type is None:
                    self.form_fields[path] = kind
                    if kind != "note":
                        self.notes.append(f"{kind} {xml!r} kept as form metadata (not an item)")
                    continue
                self.fields.append(_Field(xml, child, item_type, group, repeat, inner))

    def _select_field(
        self,
        child: dict,
        kind: str,
        xml: str,
        group: str | None,
        repeat: str | None,
        conditions: list[str],
    ) -> None:
        itemset = str(child.get("itemset") or child.get("list_name") or "")
        choices = child.get("choices")
        if choices is None and itemset:
            choices = (self.form.get("choices") or {}).get(itemset)
        if choices is None and "." in itemset:  # select_*_from_file
            choices = file_choices(self.path, itemset)
            if choices is None:
                self.notes.append(
                    f"{xml}: choices come from {itemset!r}, which is not next to the form; "
                    "answers are kept as text and not checked"
                )
        if kind == "rank" or choices is None or kind == "select one external":
            if kind == "select one external":
                self.notes.append(f"{xml}: choices on the external_choices sheet, kept as text")
            if kind == "rank":
                self.notes.append(f"{xml}: a ranking (ordered option names), kept as text")
            self.fields.append(_Field(xml, child, "text", group, repeat, conditions))
            return
        item_type = "multiple" if "all that apply" in kind or "multiple" in kind else "single"
        child = {**child, "choices": choices}
        self.fields.append(_Field(xml, child, item_type, group, repeat, conditions))

    def _name_fields(self) -> None:
        """Unique XML names keep their (cleaned) name; a name used in several groups is
        named by its group path, as exports with group names name the column."""
        counts: dict[str, int] = {}
        for f in self.fields:
            counts[f.xml] = counts.get(f.xml, 0) + 1
        taken: set[str] = set()
        for f in self.fields:
            if counts[f.xml] > 1 and f.group:
                base = clean_name("_".join([*f.group.split("/"), f.xml]))
            else:
                base = clean_name(f.xml)
            name, n = base, 2
            while name in taken or name in RESERVED:
                name, n = f"{base}_{n}", n + 1
            taken.add(name)
            f.name = name
            if name != f.xml:
                why = "used in several groups" if counts[f.xml] > 1 else "not a plain name"
                self.notes.append(f"question {f.xml!r} is named {name!r} ({why})")
            if counts[f.xml] == 1:
                self.names[f.xml] = name

    # ------------------------------------------------------------------ build
    def build(self, warnings: list[str]) -> Questionnaire:
        self.notes.extend(f"pyxform: {w}" for w in warnings)
        self._collect(self.form.get("children", []) or [], None, None, [])
        self._name_fields()
        for f in self.fields:
            self._item(f)
        self._relevance()
        self._unused_lists()
        if not self.items:
            raise QuestionnaireError(
                "the form has no questions with answers (only notes or device metadata)",
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
        checked = self._check(q)
        checked.source = str(self.path)
        checked.notes = self.notes
        checked.not_enforced = self.not_enforced
        checked.form_fields = self.form_fields
        return checked

    def _check(self, q: Questionnaire) -> Questionnaire:
        """Check with the YAML loader; a relevant it refuses (e.g. it compares a code the
        list lacks) is kept verbatim as not enforced instead of refusing the form."""
        from dataclasses import replace

        from trustsurvey.questionnaire.loader import questionnaire_from_data

        for _ in range(len(q.items) + 1):
            try:
                return questionnaire_from_data(q.to_data(), file=self.path)
            except QuestionnaireError as err:
                item = err.item if isinstance(err.item, str) else ""
                match = re.match(r"items\[(\d+)\]\.relevant", item or "")
                if not match:
                    name = None
                    if item.startswith("items["):
                        name = list(q.items)[int(item[6 : item.index("]")])]
                    if name:
                        raise self.error(name, err.message) from None
                    raise
                name = list(q.items)[int(match.group(1))]
                old = q.items[name]
                self.skip(name, f"relevant ({err.message})", str(old.relevant))
                q.items[name] = replace(old, relevant=None, required=False)
        raise AssertionError("unreachable")  # pragma: no cover

    # ------------------------------------------------------------------ relevance
    def _relevance(self) -> None:
        """Translate each field's conditions; keep what translates, list the rest."""
        from dataclasses import replace

        by_name = {f.name: f for f in self.fields}
        for name, item in list(self.items.items()):
            f = by_name.get(name)
            if f is None or not f.conditions:
                continue
            kept: list[str] = []
            dropped = False
            for condition in f.conditions:
                for part in conjuncts(condition):
                    ours = self._translate(f, part)
                    if ours is None:
                        dropped = True
                    else:
                        kept.append(ours)
            relevant = " and ".join(f"({k})" if len(kept) > 1 else k for k in kept) or None
            if item.relevant and relevant:  # or_other's "specify" question
                relevant = f"({relevant}) and ({item.relevant})"
            elif item.relevant:
                relevant = item.relevant
            required = item.required and not dropped
            if dropped and item.required:
                self.notes.append(f"{name}: required only where its full relevant holds")
            self.items[name] = replace(item, relevant=relevant, required=required)

    def _names_for(self, f: _Field) -> dict[str, str]:
        """XML name → item name as seen from ``f``: a name used in several groups means
        the one sharing most of ``f``'s group path (XPath's nearest ``${}`` reference)."""
        names = dict(self.names)
        here = (f.group or "").split("/")
        best: dict[str, tuple[int, str]] = {}
        for other in self.fields:
            if other.xml in self.names:
                continue
            there = (other.group or "").split("/")
            shared = 0
            while shared < min(len(here), len(there)) and here[shared] == there[shared]:
                shared += 1
            if other.xml not in best or shared > best[other.xml][0]:
                best[other.xml] = (shared, other.name)
        names.update({xml: name for xml, (_, name) in best.items()})
        return names

    def _translate(self, f: _Field, xpath: str) -> str | None:
        name, repeat = f.name, f.repeat
        text = re.sub(r"\.\./([\w.-]+)", r"${\1}", xpath)
        try:
            ours = expressions.from_xlsform_expression(text, self._names_for(f))
            body = expressions.parse_expression(ours)
        except expressions.ExpressionError as err:
            self.skip(name, f"relevant part ({err})", xpath)
            return None
        refs = expressions.expression_names(ours)
        for ref in sorted(refs):
            target = self.items.get(ref)
            if target is None or ref == name:
                self.skip(name, f"relevant part (names {ref!r}, no item)", xpath)
                return None
            if target.repeat and target.repeat != repeat:
                self.skip(name, f"relevant part (names {ref!r} inside a repeat)", xpath)
                return None
        return _single_selected(ours, body, self.items)

    # ------------------------------------------------------------------ items
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

    def _item(self, f: _Field) -> None:
        child, kind, name = f.child, f.kind, f.name
        relevant = None
        text = _label_of(child)
        parent = self.items.get(name[: -len("_other")]) if name.endswith("_other") else None
        if parent is not None and parent.other:
            relevant = (
                f"selected({parent.name}, 'other')"
                if parent.type == "multiple"
                else f"{parent.name} == 'other'"
            )
            text = SPECIFY_OTHER
            f.conditions = [c for c in f.conditions if "../" not in c or "'other'" not in c]
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
        option_columns: dict[Code, str] = {}
        if kind in ("single", "likert", "multiple"):
            codes, missing, kinds = self._choices(child, str(list_name), kind != "multiple")
            other = self._or_other(child)
            if kind == "multiple":
                options, codes = codes, {}
                taken = {g.name for g in self.fields}
                for option in options:  # e.g. or_other's "specify" question name_other
                    if f"{name}_{option}" in taken:
                        option_columns[option] = f"{name}_{option}_chosen"
            elif list_name and list_name != name:
                scale = self._scale(str(list_name), codes, missing, kind, kinds)
            declared_scale = str(child.get(f"{EXTRA}scale", "") or "")
            known = self.scales.get(declared_scale)
            if scale is None and known is not None and known.codes == codes:
                scale = declared_scale
        low = high = None
        constraint = bind.get("constraint")
        if child.get("type") == "range":
            params = child.get("parameters") or {}
            low, high = _num(str(params.get("start", 1))), _num(str(params.get("end", 10)))
            low, high = min(low, high), max(low, high)
        elif constraint and kind == "numeric":
            low, high = self._range(name, str(constraint))
        elif constraint and not (kind == "multiple" and "count-selected(.)" in constraint):
            self.skip(name, "constraint", str(constraint))
        if bind.get("calculate"):  # the value the form computed is read from the data
            self.skip(name, "calculation (not recomputed)", str(bind["calculate"]))
        required_raw = str(bind.get("required", "") or "").strip()
        if required_raw and not _truthy(required_raw) and required_raw.lower() not in _FALSE:
            self.skip(name, "required", required_raw)
        if child.get("choice_filter"):
            self.skip(name, "choice_filter (answers checked against the whole list)", "")
            self.not_enforced[-1] = f"{name}: choice_filter {child['choice_filter']!r} not enforced"
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
            text=text,
            scale=scale,
            codes=codes,
            missing=missing,
            missing_kinds=kinds,
            reverse=_truthy(child.get(f"{EXTRA}reverse", "")),
            min=low,
            max=high,
            required=_truthy(required_raw),
            relevant=relevant,
            pii=_truthy(child.get(f"{EXTRA}pii", "")),
            roles=frozenset(roles),
            grid=str(grid) if grid else None,
            options=options,
            exclusive=_code(exclusive) if exclusive is not None else None,
            ordered=ordered,
            group=f.group,
            repeat=f.repeat,
            note=_item_note(child, f.repeat, self.rows["types"].get(f.xml)),
            choice_filter=child.get("choice_filter") or None,
            other=other,
            option_columns=option_columns,
        )

    def _unused_lists(self) -> None:
        """Choice lists no question uses (e.g. a valence scale) are kept as scales."""
        used = {str(i.scale) for i in self.items.values() if i.scale} | set(self.items)
        used |= {str(f.child.get("itemset") or f.child.get("list_name")) for f in self.fields}
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
            return " ".join(raw.split()).endswith(("or_other", "or specify other"))
        last = (child.get("choices") or [{}])[-1]
        return last.get("name") == "other" and _text(last.get("label")) == Text.same("Other")

    def _scale(
        self, list_name: str, codes: dict, missing: dict, kind: str, kinds: dict
    ) -> str | None:
        if not re.fullmatch(r"[A-Za-z]\w*", list_name) or list_name in self.items:
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

    def _range(self, name: str, constraint: str) -> tuple[float | None, float | None]:
        match = _RANGE.match(constraint)
        if match:
            return _num(match.group(2)), _num(match.group(4))
        match = _ONE_SIDE.match(constraint)
        if match:
            value = _num(match.group(2))
            return (value, None) if match.group(1) == ">=" else (None, value)
        self.skip(name, "constraint", constraint)
        return None, None


_FALSE = {"no", "false", "false()", "0", "n", ""}


def _item_note(child: dict, repeat: str | None, raw: str | None) -> str | None:
    parts = []
    kind = str(child.get("type", ""))
    plain = kind in _TYPE_MAP or kind in ("string", "text") or item_kind(kind) != "text"
    if not plain and not kind.startswith("select"):
        written = raw.split()[0] if raw and raw.split() else kind
        parts.append(f"XLSForm type {written}")
    calculation = (child.get("bind") or {}).get("calculate")
    if calculation:
        parts.append(f"calculated by the form: {calculation}")
    if repeat:
        parts.append(
            f"inside repeat {repeat!r}: one answer per repeat instance, not per respondent"
        )
    return "; ".join(parts) or None


def _single_selected(text: str, body: ast.expr, items: dict[str, Item]) -> str:
    """``selected(x, 'v')`` on a single-choice ``x`` (as ODK allows) → ``x == v``."""

    changed = []

    class Rewrite(ast.NodeTransformer):
        def visit_Call(self, node: ast.Call) -> ast.AST:
            if isinstance(node.func, ast.Name) and node.func.id == "selected":
                target = items.get(node.args[0].id)  # type: ignore[attr-defined]
                if target is not None and target.type != "multiple":
                    value = _code(node.args[1].value)  # type: ignore[attr-defined]
                    if str(value) not in map(str, target.codes) and target.codes:
                        value = node.args[1].value  # type: ignore[attr-defined]
                    changed.append(node)
                    return ast.Compare(
                        left=node.args[0], ops=[ast.Eq()], comparators=[ast.Constant(value)]
                    )
            return self.generic_visit(node)

    rewritten = Rewrite().visit(body)
    return ast.unparse(rewritten) if changed else text


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


def _source_type(item: Item, kind: str) -> tuple[str, str]:
    """The XLSForm type a text item was read from (``geopoint``, ``calculate``…, kept in its
    note) and its calculation, so a form read and written again keeps its question types."""
    match = re.search(r"XLSForm type (\S+?)(?:;|$)", item.note or "")
    if item.type != "text" or not match or item_kind(match.group(1)) != "text":
        return kind, ""
    found = re.search(r"calculated by the form: (.*?)(?:; inside repeat|$)", item.note or "")
    calculation = found.group(1) if found else ""
    if match.group(1) in ("calculate", "hidden") and not calculation:
        return kind, ""  # pyxform wants a calculation for a calculate
    if match.group(1) == "rank" or match.group(1).startswith("select"):
        return kind, ""  # a choice list would be needed
    return match.group(1), calculation


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
        "calculation",
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
        kind, calculation = _source_type(item, kind)
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
                calculation,
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
