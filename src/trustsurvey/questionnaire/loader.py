"""Read and check a questionnaire YAML file.

Every problem raises :class:`~trustsurvey.errors.QuestionnaireError` naming the file, the
key path (e.g. ``items[12].relevant``), the line, and what to do.

Examples
--------
>>> q = loads_questionnaire('''
... name: mini
... scales:
...   yesno: {codes: {0: {uk: Ні, en: "No"}, 1: {uk: Так, en: "Yes"}}, missing: {9: Відмова}}
... items:
...   - {name: contact, type: single, scale: yesno, text: {uk: Контакт, en: Contact}}
...   - {name: sat, type: numeric, min: 0, max: 10, relevant: contact == 1}
... ''')
>>> list(q.items), q.item("contact").missing[9].get("en")
(['contact', 'sat'], 'Відмова')

A missing code may say what kind of missing answer it is (``dont_know``, ``refused``,
``not_applicable``; plain ``missing`` when it says nothing):

>>> q = loads_questionnaire('''
... name: mini
... items:
...   - name: contact
...     type: single
...     codes: {0: "No", 1: "Yes"}
...     missing: {8: {en: Difficult to answer, kind: dont_know}, 9: {en: No answer}}
... ''')
>>> q.item("contact").missing_kinds
{8: 'dont_know', 9: 'missing'}
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

import yaml

from trustsurvey._yaml import YamlLimitError, check_limits, index_lines
from trustsurvey.errors import QuestionnaireError
from trustsurvey.questionnaire import expressions
from trustsurvey.questionnaire.missing_kinds import MISSING_KINDS, kind_hint
from trustsurvey.questionnaire.model import (
    INDEX_METHODS,
    ITEM_TYPES,
    ROLES,
    Code,
    Codebook,
    Index,
    Item,
    Questionnaire,
    Scale,
    Theme,
    numeric_codes,
)
from trustsurvey.questionnaire.text import LANGUAGES, Text

TOP_KEYS = (
    "name",
    "version",
    "languages",
    "title",
    "description",
    "scales",
    "grids",
    "items",
    "indices",
    "codebook",
)
SCALE_KEYS = ("text", "codes", "missing", "ordered")
ITEM_KEYS = (
    "name",
    "type",
    "text",
    "scale",
    "codes",
    "missing",
    "ordered",
    "reverse",
    "min",
    "max",
    "required",
    "relevant",
    "pii",
    "roles",
    "grid",
    "options",
    "exclusive",
    "group",
    "repeat",
    "note",
    "choice_filter",
    "other",
    "option_columns",
)
INDEX_KEYS = ("name", "text", "items", "method", "min_valid", "reversed")
CODEBOOK_KEYS = ("text", "valence", "themes")
THEME_KEYS = ("code", "label", "description", "parent")
GRID_KEYS = ("text",)
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_TYPE_ALIASES = {
    "select_one": "single",
    "select_multiple": "multiple",
    "integer": "numeric",
    "decimal": "numeric",
    "rating": "likert",
    "string": "text",
    "id": "identifier",
}


def suggest(word: str, choices: list[str] | tuple[str, ...] | set[str]) -> str | None:
    """A "did you mean" phrase for ``word`` among ``choices``, or None."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


class _Context:
    """Where we are: the file, and the line of each key path."""

    def __init__(self, file: str | None, lines: dict[str, int] | None = None) -> None:
        self.file = file
        self.lines = lines or {}

    def line(self, path: str) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return None

    def error(self, path: str, message: str, hint: str | None = None) -> QuestionnaireError:
        line = self.line(path)
        if line is not None:
            message = f"{message} (line {line})"
        hint = hint or "correct this entry; questionnaires/police_trust_core.yaml shows the format"
        return QuestionnaireError(message, file=self.file, item=path or None, hint=hint)


# --------------------------------------------------------------------------- YAML


def _parse_yaml(text: str, ctx: _Context) -> Any:
    try:
        check_limits(text)
    except YamlLimitError as err:
        raise QuestionnaireError(
            f"{err} (line {err.line})",
            file=ctx.file,
            hint="write the structure out plainly (no deep nesting, no alias chains)",
        ) from None
    except yaml.YAMLError:
        pass  # reported with its line below
    try:
        loader = yaml.SafeLoader(text)  # rejects control characters before parsing
    except yaml.YAMLError as err:
        raise QuestionnaireError(
            f"not YAML text: {str(err).splitlines()[0]}",
            file=ctx.file,
            hint="remove the control characters (save the file as plain UTF-8 text)",
        ) from None
    try:
        node = loader.get_single_node()
        if node is None:
            raise QuestionnaireError(
                "the questionnaire file is empty",
                file=ctx.file,
                hint="write at least `name:` and `items:` (see questionnaires/ for examples)",
            )
        _index_lines(node, "", ctx)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        begun = err.context_mark
        if begun is not None and mark is not None and begun.line != mark.line:
            where += f" ({err.context} at line {begun.line + 1})"
        raise QuestionnaireError(
            f"YAML syntax error{where}: {err.problem or err.context}",
            file=ctx.file,
            hint="fix the YAML syntax there (indentation, a missing colon or quote)",
        ) from None
    except yaml.YAMLError as err:
        raise QuestionnaireError(
            f"YAML error: {err}", file=ctx.file, hint="fix the YAML syntax"
        ) from None
    finally:
        loader.dispose()


def _index_lines(node: yaml.Node, path: str, ctx: _Context) -> None:
    def duplicate(child: str, key: str, line: int, first: int) -> None:
        raise QuestionnaireError(
            f"duplicate key {key!r} (line {line}; first at line {first})",
            file=ctx.file,
            item=child,
            hint="keep one of the two entries",
        )

    index_lines(node, ctx.lines, path, on_duplicate=duplicate)


# --------------------------------------------------------------------------- helpers


def _mapping(value: Any, path: str, ctx: _Context, allowed: tuple[str, ...]) -> dict:
    if not isinstance(value, dict):
        raise ctx.error(path, f"expected a mapping (key: value), got {_kind(value)}")
    for key in value:
        if key not in allowed:
            hint = suggest(str(key), allowed) or f"allowed keys are: {', '.join(allowed)}"
            raise ctx.error(f"{path}.{key}" if path else str(key), f"unknown key {key!r}", hint)
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        bool: "true/false",
        int: "a number",
        float: "a number",
    }.get(type(value), type(value).__name__)


def _str(value: Any, path: str, ctx: _Context, *, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise ctx.error(path, "is required", "add it")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ctx.error(path, f"expected a string, got {_kind(value)}")
    return str(value)


def _bool(value: Any, path: str, ctx: _Context, default: bool = False) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ctx.error(path, f"expected true or false, got {value!r}", "write true or false")
    return value


def _number(value: Any, path: str, ctx: _Context) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ctx.error(
            path, f"expected a number, got {_kind(value)} {value!r}", "write a number, e.g. 18"
        )
    return value


def _name(value: Any, path: str, ctx: _Context) -> str:
    name = _str(value, path, ctx, required=True) or ""
    if not NAME_RE.match(name) or name in expressions.RESERVED:
        raise ctx.error(
            path,
            f"{name!r} is not a valid name",
            "use letters, digits and _ , starting with a letter (e.g. q7_trust)",
        )
    return name


def _text(value: Any, path: str, ctx: _Context) -> Text:
    if value is None:
        return Text()
    if isinstance(value, str):
        return Text.same(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Text.same(str(value))
    if not isinstance(value, dict):
        raise ctx.error(path, f"expected a text or {{uk: ..., en: ...}}, got {_kind(value)}")
    for key, text in value.items():
        if key == "kind":
            raise ctx.error(
                f"{path}.{key}",
                "kind: is given only to missing-answer codes",
                "move this code under missing:, or remove kind:",
            )
        if key not in LANGUAGES:
            hint = (
                "use 'uk', the ISO 639-1 code for Ukrainian"
                if str(key).lower() in ("ua", "ukr", "ukrainian")
                else suggest(str(key), LANGUAGES) or "use the language codes uk and en"
            )
            raise ctx.error(f"{path}.{key}", f"unknown language {key!r}", hint)
        if isinstance(text, bool):
            raise ctx.error(
                f"{path}.{key}",
                "YAML read this text as true/false (Yes, No, On and Off are booleans in YAML)",
                'put the text in quotes, e.g. en: "No"',
            )
        if not isinstance(text, str):
            raise ctx.error(f"{path}.{key}", f"expected a text, got {_kind(text)}")
    return Text(uk=value.get("uk"), en=value.get("en"))


def _code(key: Any, path: str, ctx: _Context) -> Code:
    if isinstance(key, bool) or key is None:
        raise ctx.error(
            path,
            f"code {key!r} is read by YAML as {_kind(key)}",
            "quote it (e.g. 'no': or 'yes':) or use a number",
        )
    if isinstance(key, float) and key.is_integer():
        return int(key)
    if not isinstance(key, int | float | str):
        raise ctx.error(path, f"a code must be a number or a string, got {_kind(key)}")
    return key


def _codes(value: Any, path: str, ctx: _Context) -> dict[Code, Text]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ctx.error(path, f"expected a mapping of code: label, got {_kind(value)}")
    out: dict[Code, Text] = {}
    for key, label in value.items():
        code = _code(key, f"{path}.{key}", ctx)
        if code in out:
            raise ctx.error(f"{path}.{key}", f"code {code!r} appears twice", "keep one")
        out[code] = _text(label, f"{path}.{key}", ctx)
    return out


def _missing(value: Any, path: str, ctx: _Context) -> tuple[dict[Code, Text], dict[Code, str]]:
    """Missing codes with their labels and kinds: ``8: {uk: ..., en: ..., kind: dont_know}``."""
    if value is None:
        return {}, {}
    if not isinstance(value, dict):
        raise ctx.error(path, f"expected a mapping of code: label, got {_kind(value)}")
    labels: dict[Any, Any] = {}
    kinds: dict[Code, str] = {}
    for key, label in value.items():
        if isinstance(label, dict) and "kind" in label:
            label = dict(label)
            kind = label.pop("kind")
            if kind not in MISSING_KINDS:
                raise ctx.error(
                    f"{path}.{key}.kind", f"unknown missing-code kind {kind!r}", kind_hint(kind)
                )
            kinds[_code(key, f"{path}.{key}", ctx)] = kind
        labels[key] = label
    return _codes(labels, path, ctx), kinds


def _overlap(codes: dict, missing: dict, path: str, ctx: _Context) -> None:
    both = [c for c in missing if c in codes]
    if both:
        raise ctx.error(
            f"{path}.missing",
            f"code {both[0]!r} is both a valid code and a missing-answer code",
            "remove it from codes or from missing",
        )


# --------------------------------------------------------------------------- sections


def _scale(name: str, value: Any, ctx: _Context) -> Scale:
    path = f"scales.{name}"
    data = _mapping(value, path, ctx, SCALE_KEYS)
    codes = _codes(data.get("codes"), f"{path}.codes", ctx)
    if not codes:
        raise ctx.error(f"{path}.codes", "a scale needs at least one code", "add codes:")
    missing, kinds = _missing(data.get("missing"), f"{path}.missing", ctx)
    _overlap(codes, missing, path, ctx)
    default_ordered = numeric_codes(codes) is not None
    ordered = _bool(data.get("ordered"), f"{path}.ordered", ctx, default_ordered)
    text = _text(data.get("text"), f"{path}.text", ctx)
    return Scale(name, codes, missing, ordered, text, missing_kinds=kinds)


def _item(i: int, value: Any, ctx: _Context, scales: dict[str, Scale], grids: dict) -> Item:
    path = f"items[{i}]"
    data = _mapping(value, path, ctx, ITEM_KEYS)
    name = _name(data.get("name"), f"{path}.name", ctx)
    kind = _str(data.get("type"), f"{path}.type", ctx, required=True)
    if kind not in ITEM_TYPES:
        hint = (
            f"use {_TYPE_ALIASES[kind]!r}"
            if kind in _TYPE_ALIASES
            else suggest(str(kind), ITEM_TYPES) or f"use one of {', '.join(ITEM_TYPES)}"
        )
        raise ctx.error(f"{path}.type", f"unknown item type {kind!r}", hint)
    scale_name = _str(data.get("scale"), f"{path}.scale", ctx)
    scale = None
    if scale_name is not None:
        if scale_name not in scales:
            hint = suggest(scale_name, list(scales)) or "define it under scales:"
            raise ctx.error(f"{path}.scale", f"unknown scale {scale_name!r}", hint)
        scale = scales[scale_name]
    inline_codes = _codes(data.get("codes"), f"{path}.codes", ctx)
    if scale is not None and inline_codes:
        raise ctx.error(f"{path}.codes", "give either scale: or codes:, not both")
    codes = dict(scale.codes) if scale else inline_codes
    if "missing" in data:
        missing, kinds = _missing(data.get("missing"), f"{path}.missing", ctx)
    else:
        missing = dict(scale.missing) if scale else {}
        kinds = dict(scale.missing_kinds) if scale else {}
    _overlap(codes, missing, path, ctx)
    if scale is not None:
        ordered = scale.ordered
    else:
        ordered = _bool(data.get("ordered"), f"{path}.ordered", ctx, kind == "likert")
    options = _codes(data.get("options"), f"{path}.options", ctx)

    if kind in ("single", "likert") and not codes:
        raise ctx.error(path, f"a {kind} item needs codes", "add scale: NAME or codes:")
    if kind == "likert" and (numeric_codes(codes) is None or not ordered):
        raise ctx.error(
            f"{path}.scale" if scale else f"{path}.codes",
            "a likert item needs an ordered scale of numeric codes",
            "use numbers as codes (e.g. 1..5), or make the item type single",
        )
    if kind == "multiple":
        if not options:
            raise ctx.error(path, "a multiple-choice item needs options", "add options:")
        if codes:
            raise ctx.error(f"{path}.codes", "a multiple-choice item has options, not codes")
    elif options:
        raise ctx.error(f"{path}.options", f"only multiple-choice items have options ({kind})")
    if kind in ("text", "date", "identifier") and codes:
        raise ctx.error(f"{path}.codes", f"a {kind} item has no codes", "remove codes:")

    low = _number(data.get("min"), f"{path}.min", ctx)
    high = _number(data.get("max"), f"{path}.max", ctx)
    if (low is not None or high is not None) and kind != "numeric":
        raise ctx.error(
            f"{path}.{'min' if low is not None else 'max'}",
            f"min/max are for numeric items; a {kind} item's valid values are its codes",
        )
    if low is not None and high is not None and low > high:
        raise ctx.error(f"{path}.min", f"min {low} is greater than max {high}")
    if kind == "numeric":
        for code in missing:
            inside = isinstance(code, int | float) and (low is None or code >= low)
            inside = inside and (high is None or code <= high)
            if inside and (low is not None or high is not None):
                raise ctx.error(
                    f"{path}.missing",
                    f"missing code {code!r} lies inside the valid range {low}–{high}",
                    "narrow min/max or choose a missing code outside the range (e.g. 999)",
                )

    reverse = _bool(data.get("reverse"), f"{path}.reverse", ctx)
    if reverse and not (ordered and numeric_codes(codes) and len(codes) > 1):
        raise ctx.error(
            f"{path}.reverse",
            "a reverse-keyed item needs an ordered numeric scale",
            "give the item a likert scale with numeric codes, or remove reverse:",
        )

    roles_raw = data.get("roles") or []
    if isinstance(roles_raw, str):
        roles_raw = [roles_raw]
    if not isinstance(roles_raw, list):
        raise ctx.error(f"{path}.roles", f"expected a list of roles, got {_kind(roles_raw)}")
    for j, role in enumerate(roles_raw):
        if role not in ROLES:
            hint = suggest(str(role), ROLES) or f"roles are: {', '.join(sorted(ROLES))}"
            raise ctx.error(f"{path}.roles[{j}]", f"unknown role {role!r}", hint)

    grid = _str(data.get("grid"), f"{path}.grid", ctx)
    if grid is not None and grid not in grids:
        hint = suggest(grid, list(grids)) or "declare it under grids:"
        raise ctx.error(f"{path}.grid", f"unknown grid {grid!r}", hint)

    exclusive = data.get("exclusive")
    if exclusive is not None:
        exclusive = _code(exclusive, f"{path}.exclusive", ctx)
        if kind != "multiple" or exclusive not in options:
            raise ctx.error(
                f"{path}.exclusive",
                f"exclusive option {exclusive!r} is not one of the item's options",
                suggest(str(exclusive), [str(o) for o in options]) or "name one of options:",
            )
    option_columns_raw = data.get("option_columns") or {}
    if not isinstance(option_columns_raw, dict):
        raise ctx.error(f"{path}.option_columns", "expected a mapping option: column")
    option_columns: dict[Code, str] = {}
    for key, column in option_columns_raw.items():
        code = _code(key, f"{path}.option_columns.{key}", ctx)
        if code not in options:
            raise ctx.error(f"{path}.option_columns.{key}", f"{code!r} is not an option")
        option_columns[code] = _str(column, f"{path}.option_columns.{key}", ctx) or ""

    relevant = _str(data.get("relevant"), f"{path}.relevant", ctx)
    if relevant is not None:
        try:
            expressions.parse_expression(relevant)
        except expressions.ExpressionError as err:
            raise ctx.error(
                f"{path}.relevant",
                f"expression {relevant!r} {err}",
                'write e.g. `q10_contact == 1 and q2_age >= 18` or `selected(q15_issues, "theft")`',
            ) from None

    return Item(
        name=name,
        type=kind,
        text=_text(data.get("text"), f"{path}.text", ctx),
        scale=scale_name,
        codes=codes,
        missing=missing,
        missing_kinds=kinds,
        reverse=reverse,
        min=low,
        max=high,
        required=_bool(data.get("required"), f"{path}.required", ctx),
        relevant=relevant,
        pii=_bool(data.get("pii"), f"{path}.pii", ctx),
        roles=frozenset(roles_raw),
        grid=grid,
        options=options,
        exclusive=exclusive,
        ordered=ordered,
        group=_str(data.get("group"), f"{path}.group", ctx),
        repeat=_str(data.get("repeat"), f"{path}.repeat", ctx),
        note=_str(data.get("note"), f"{path}.note", ctx),
        choice_filter=_str(data.get("choice_filter"), f"{path}.choice_filter", ctx),
        other=_bool(data.get("other"), f"{path}.other", ctx),
        option_columns=option_columns,
    )


def _check_relevance(items: dict[str, Item], paths: dict[str, str], ctx: _Context) -> None:
    for name, item in items.items():
        if not item.relevant:
            continue
        path = f"{paths[name]}.relevant"
        for ref in sorted(expressions.expression_names(item.relevant)):
            if ref == name:
                raise ctx.error(path, f"item {name!r} cannot depend on itself")
            if ref not in items:
                hint = suggest(ref, list(items)) or "use the name of an item defined in items:"
                raise ctx.error(path, f"expression names unknown item {ref!r}", hint)
        _check_compared_codes(item.relevant, items, path, ctx)
        for ref, option in expressions.selected_calls(item.relevant):
            target = items[ref]
            if target.type != "multiple":
                raise ctx.error(
                    path,
                    f"selected() needs a multiple-choice item; {ref!r} is {target.type}",
                    f"write `{ref} == {option!r}` for a single-choice item",
                )
            if option not in target.options and str(option) not in map(str, target.options):
                hint = suggest(str(option), [str(o) for o in target.options])
                raise ctx.error(
                    path, f"{option!r} is not an option of {ref!r}", hint or "check the options"
                )


def _check_compared_codes(text: str, items: dict[str, Item], path: str, ctx: _Context) -> None:
    """``contact == 7`` where 7 is no code of ``contact`` is a typo that hides a question."""
    import ast

    for node in ast.walk(expressions.parse_expression(text)):
        if not isinstance(node, ast.Compare) or not isinstance(node.left, ast.Name):
            continue
        item = items.get(node.left.id)
        if item is None or item.type not in ("single", "likert") or not item.codes:
            continue
        known = {_plain(c) for c in [*item.codes, *item.missing]}
        for op, right in zip(node.ops, node.comparators, strict=True):
            if not isinstance(op, ast.Eq | ast.NotEq | ast.In | ast.NotIn):
                continue
            values = right.elts if isinstance(right, ast.List | ast.Tuple) else [right]
            for value in values:
                constant = _constant(value)
                if constant is not None and _plain(constant) not in known:
                    shown = ", ".join(str(c) for c in [*item.codes, *item.missing])
                    raise ctx.error(
                        path,
                        f"{constant!r} is not a code of {item.name!r} (codes: {shown})",
                        "compare with one of the item's codes",
                    )


def _constant(node: Any) -> Any:
    import ast

    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
        return -node.operand.value
    return None


def _plain(code: Any) -> Any:
    """Codes compare by value: 1, 1.0 and "1" are the same code."""
    try:
        return float(code)
    except (TypeError, ValueError):
        return str(code)


def _index(i: int, value: Any, ctx: _Context) -> Index:
    path = f"indices[{i}]"
    data = _mapping(value, path, ctx, INDEX_KEYS)
    name = _name(data.get("name"), f"{path}.name", ctx)
    members = data.get("items")
    if not isinstance(members, list) or not members:
        raise ctx.error(f"{path}.items", "an index needs a non-empty list of items")
    members = [_name(m, f"{path}.items[{j}]", ctx) for j, m in enumerate(members)]
    if len(set(members)) != len(members):
        dup = next(m for m in members if members.count(m) > 1)
        raise ctx.error(f"{path}.items", f"item {dup!r} is listed twice", "list it once")
    method = _str(data.get("method"), f"{path}.method", ctx) or "mean"
    if method not in INDEX_METHODS:
        hint = suggest(method, INDEX_METHODS) or "use mean or sum"
        raise ctx.error(f"{path}.method", f"unknown method {method!r}", hint)
    min_valid = data.get("min_valid", len(members))
    if isinstance(min_valid, bool) or not isinstance(min_valid, int):
        raise ctx.error(f"{path}.min_valid", f"expected a whole number, got {min_valid!r}")
    if not 1 <= min_valid <= len(members):
        raise ctx.error(
            f"{path}.min_valid",
            f"min_valid {min_valid} must be between 1 and the number of items ({len(members)})",
            "lower min_valid or add items",
        )
    reversed_raw = data.get("reversed") or []
    if not isinstance(reversed_raw, list):
        raise ctx.error(f"{path}.reversed", "expected a list of item names")
    for j, rev in enumerate(reversed_raw):
        if rev not in members:
            raise ctx.error(
                f"{path}.reversed[{j}]",
                f"reversed item {rev!r} is not among the index's items",
                "add it to items: or remove it from reversed:",
            )
    return Index(
        name=name,
        items=members,
        method=method,
        min_valid=min_valid,
        reversed=list(reversed_raw),
        text=_text(data.get("text"), f"{path}.text", ctx),
    )


def _check_indices(
    indices: dict[str, Index], items: dict[str, Item], paths: dict[str, str], ctx: _Context
) -> None:
    for name, index in indices.items():
        path = paths[name]
        if name in items:
            raise ctx.error(f"{path}.name", f"index {name!r} has the same name as an item")
        for j, member in enumerate(index.items):
            if member in indices:
                if member in index.reversed:
                    raise ctx.error(f"{path}.reversed", f"index {member!r} cannot be reversed")
                continue
            if member not in items:
                known = list(items) + list(indices)
                hint = suggest(member, known) or "name an item or another index"
                raise ctx.error(f"{path}.items[{j}]", f"unknown item {member!r}", hint)
            item = items[member]
            scorable = item.type in ("likert", "numeric") or (
                item.type == "single" and numeric_codes(item.codes) is not None
            )
            if not scorable:
                raise ctx.error(
                    f"{path}.items[{j}]",
                    f"item {member!r} ({item.type}) has no numeric values to score",
                    "use likert, numeric or single items with numeric codes",
                )
            if member in index.reversed and not item.is_numeric_ordered:
                raise ctx.error(
                    f"{path}.reversed",
                    f"reversed item {member!r} has no ordered numeric scale",
                    "give it a likert scale or do not reverse it",
                )
    # cycles: an index over an index is fine only if the definitions are acyclic
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for member in indices[name].items:
            if member not in indices:
                continue
            if state.get(member) == 1:
                cycle = " → ".join([*trail[trail.index(member) :], member])
                raise ctx.error(
                    f"{paths[member]}.items",
                    f"circular index definition: {cycle}",
                    "an index may use other indices only if none of them uses it back",
                )
            if state.get(member) != 2:
                visit(member, [*trail, member])
        state[name] = 2

    for name in indices:
        if state.get(name) != 2:
            visit(name, [name])


def _codebook(value: Any, ctx: _Context, scales: dict[str, Scale]) -> Codebook:
    data = _mapping(value, "codebook", ctx, CODEBOOK_KEYS)
    valence = _str(data.get("valence"), "codebook.valence", ctx)
    if valence is not None and valence not in scales:
        hint = suggest(valence, list(scales)) or "define the valence scale under scales:"
        raise ctx.error("codebook.valence", f"unknown scale {valence!r}", hint)
    raw = data.get("themes")
    if not isinstance(raw, list) or not raw:
        raise ctx.error("codebook.themes", "a codebook needs a list of themes")
    themes: dict[str, Theme] = {}
    for i, entry in enumerate(raw):
        path = f"codebook.themes[{i}]"
        entry = _mapping(entry, path, ctx, THEME_KEYS)
        code = _name(entry.get("code"), f"{path}.code", ctx)
        if code in themes:
            raise ctx.error(f"{path}.code", f"duplicate theme code {code!r}", "keep one")
        label = _text(entry.get("label"), f"{path}.label", ctx)
        if not label:
            raise ctx.error(f"{path}.label", "a theme needs a label", "add label: {uk, en}")
        themes[code] = Theme(
            code,
            label,
            _text(entry.get("description"), f"{path}.description", ctx),
            _str(entry.get("parent"), f"{path}.parent", ctx),
        )
    for i, theme in enumerate(themes.values()):
        if theme.parent is not None and theme.parent not in themes:
            hint = suggest(theme.parent, list(themes)) or "name another theme's code"
            raise ctx.error(
                f"codebook.themes[{i}].parent", f"unknown parent {theme.parent!r}", hint
            )
    return Codebook(themes, valence, _text(data.get("text"), "codebook.text", ctx))


# --------------------------------------------------------------------------- entry points


def questionnaire_from_data(
    data: Any, *, file: str | Path | None = None, lines: dict[str, int] | None = None
) -> Questionnaire:
    """Build and check a questionnaire from already-parsed YAML data."""
    ctx = _Context(str(file) if file is not None else None, lines)
    top = _mapping(data, "", ctx, TOP_KEYS)
    name = _name(top.get("name"), "name", ctx)
    version = _str(top.get("version"), "version", ctx) or "1"
    languages = top.get("languages", list(LANGUAGES))
    if (
        not isinstance(languages, list)
        or not languages
        or not all(isinstance(lang, str) and lang in LANGUAGES for lang in languages)
    ):
        raise ctx.error("languages", f"languages must be a list of uk and/or en, got {languages!r}")

    scales_raw = top.get("scales") or {}
    if not isinstance(scales_raw, dict):
        raise ctx.error(
            "scales", f"expected a mapping of scale name: scale, got {_kind(scales_raw)}"
        )
    scales = {}
    for key, value in scales_raw.items():
        scales[_name(key, f"scales.{key}", ctx)] = _scale(str(key), value, ctx)

    grids_raw = top.get("grids") or {}
    if not isinstance(grids_raw, dict):
        raise ctx.error("grids", "expected a mapping of grid name: {text: ...}")
    grids = {}
    for key, value in grids_raw.items():
        entry = _mapping(value or {}, f"grids.{key}", ctx, GRID_KEYS)
        grids[_name(key, f"grids.{key}", ctx)] = _text(entry.get("text"), f"grids.{key}.text", ctx)

    items_raw = top.get("items")
    if not isinstance(items_raw, list):
        raise ctx.error("items", f"expected a list of items, got {_kind(items_raw)}", "add items:")
    items: dict[str, Item] = {}
    paths: dict[str, str] = {}
    for i, value in enumerate(items_raw):
        item = _item(i, value, ctx, scales, grids)
        if item.name in items:
            raise ctx.error(
                f"items[{i}].name",
                f"duplicate item name {item.name!r} (first defined at {paths[item.name]})",
                "rename one of them",
            )
        items[item.name] = item
        paths[item.name] = f"items[{i}]"
    _check_relevance(items, paths, ctx)
    for grid in grids:
        members = [it for it in items.values() if it.grid == grid]
        if members and any(m.codes != members[0].codes for m in members):
            odd = next(m for m in members if m.codes != members[0].codes)
            raise ctx.error(
                f"{paths[odd.name]}.grid",
                f"items of grid {grid!r} must share one scale; {odd.name!r} differs",
                "give all items of a grid the same scale",
            )

    indices_raw = top.get("indices") or []
    if not isinstance(indices_raw, list):
        raise ctx.error("indices", f"expected a list of indices, got {_kind(indices_raw)}")
    indices: dict[str, Index] = {}
    index_paths: dict[str, str] = {}
    for i, value in enumerate(indices_raw):
        index = _index(i, value, ctx)
        if index.name in indices:
            raise ctx.error(f"indices[{i}].name", f"duplicate index name {index.name!r}")
        indices[index.name] = index
        index_paths[index.name] = f"indices[{i}]"
    _check_indices(indices, items, index_paths, ctx)

    codebook = _codebook(top["codebook"], ctx, scales) if top.get("codebook") else None
    return Questionnaire(
        name=name,
        version=version,
        languages=tuple(languages),
        title=_text(top.get("title"), "title", ctx),
        description=_text(top.get("description"), "description", ctx),
        items=items,
        scales=scales,
        indices=indices,
        grids=grids,
        codebook=codebook,
        source=ctx.file,
    )


def loads_questionnaire(text: str, *, file: str | Path | None = None) -> Questionnaire:
    """Parse and check questionnaire YAML text (``file`` only names it in errors)."""
    ctx = _Context(str(file) if file is not None else None)
    data = _parse_yaml(text, ctx)
    return questionnaire_from_data(data, file=file, lines=ctx.lines)


def load_questionnaire(path: str | Path) -> Questionnaire:
    """Read and check a questionnaire YAML file.

    Raises :class:`~trustsurvey.errors.QuestionnaireError` naming the file, the key path
    (``items[12].relevant``) and line, and what to do.
    """
    path = Path(path)
    if not path.is_file():
        raise QuestionnaireError(
            "questionnaire file not found",
            file=path,
            hint="check the path; standard instruments are in questionnaires/",
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise QuestionnaireError(
            f"not UTF-8 text (byte {err.start})",
            file=path,
            hint="save the file as UTF-8",
        ) from None
    return loads_questionnaire(text, file=path)
