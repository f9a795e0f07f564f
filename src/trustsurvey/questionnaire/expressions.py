"""Skip-logic expressions (``relevant:``): parsed with :mod:`ast` under a strict whitelist.

The language is a small, safe subset of Python syntax, never evaluated with ``eval``:

- comparisons ``==, !=, <, <=, >, >=`` between item names, numbers and strings;
- membership ``x in [1, 2]`` / ``x not in [1, 2]``;
- ``and``, ``or``, ``not`` and parentheses;
- ``selected(q15_issues, "theft")`` for multiple-choice items.

On data, a comparison with a missing operand (NaN) is False, so an item whose filter
question was not answered is not expected (SQL-like "unknown is not true").

XLSForm expressions (``${contact} = 1 and not(selected(${q15_issues}, 'theft'))``) are
translated with :func:`from_xlsform_expression` and back with :func:`to_xlsform_expression`.

Examples
--------
>>> import pandas as pd
>>> sorted(expression_names('q10_contact == 1 and selected(q15_issues, "theft")'))
['q10_contact', 'q15_issues']
>>> frame = pd.DataFrame({"q10_contact": [1, 0, None]})
>>> evaluate("q10_contact == 1", frame).tolist()
[True, False, False]
>>> from_xlsform_expression("${a} = 1 and not(${b} != 'x')")
"a == 1 and not (b != 'x')"
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

import numpy as np
import pandas as pd

_COMPARE = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
}
RESERVED = frozenset({"and", "or", "not", "in", "selected", "True", "False", "None"})


class ExpressionError(ValueError):
    """An expression does not parse or uses something outside the whitelist."""


def parse_expression(text: str) -> ast.expr:
    """Parse ``text`` and check every node against the whitelist; return the AST body."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("the expression is empty")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise ExpressionError(f"does not parse ({err.msg} at column {err.offset})") from None
    _check(tree.body)
    return tree.body


def _check(node: ast.AST) -> None:
    if isinstance(node, ast.BoolOp):
        for value in node.values:
            _check(value)
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.Not | ast.USub):
            raise ExpressionError(f"operator {type(node.op).__name__} is not allowed")
        if isinstance(node.op, ast.USub) and not _is_number(node.operand):
            raise ExpressionError("unary minus is allowed only before a number")
        _check(node.operand)
    elif isinstance(node, ast.Compare):
        for op in node.ops:
            if type(op) not in _COMPARE:
                raise ExpressionError(f"comparison {type(op).__name__} is not allowed")
        operands = [node.left, *node.comparators]
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn) and not isinstance(right, ast.List | ast.Tuple):
                raise ExpressionError("`in` needs a list of values, e.g. `x in [1, 2]`")
        for operand in operands:
            _check_operand(operand)
    elif isinstance(node, ast.Call):
        _check_selected(node)
    elif isinstance(node, ast.Name | ast.Constant):
        _check_operand(node)
    else:
        raise ExpressionError(f"{type(node).__name__} is not allowed in an expression")


def _is_number(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    )


def _check_operand(node: ast.AST) -> None:
    if isinstance(node, ast.Name):
        if node.id in RESERVED:
            raise ExpressionError(f"`{node.id}` cannot be used as a value")
    elif isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float | str):
            raise ExpressionError(f"constant {node.value!r} is not allowed (numbers and strings)")
    elif (
        isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and _is_number(node.operand)
    ):
        return
    elif isinstance(node, ast.List | ast.Tuple):
        for elt in node.elts:
            number = _is_number(elt) or (isinstance(elt, ast.UnaryOp) and _is_number(elt.operand))
            string = isinstance(elt, ast.Constant) and isinstance(elt.value, str)
            if not (number or string):
                raise ExpressionError("a list may hold only numbers and strings")
    elif isinstance(node, ast.Call):
        _check_selected(node)
    else:
        raise ExpressionError(f"{type(node).__name__} is not allowed as a value")


def _check_selected(node: ast.Call) -> None:
    if not (isinstance(node.func, ast.Name) and node.func.id == "selected"):
        raise ExpressionError("the only function allowed is selected(item, 'option')")
    if node.keywords or len(node.args) != 2:
        raise ExpressionError("selected() takes two arguments: selected(item, 'option')")
    item, option = node.args
    if not isinstance(item, ast.Name):
        raise ExpressionError("the first argument of selected() must be an item name")
    if not (isinstance(option, ast.Constant) and isinstance(option.value, str | int)):
        raise ExpressionError("the second argument of selected() must be an option code")


def expression_names(text: str) -> set[str]:
    """Item names referenced by an expression (including ``selected``'s first argument)."""
    body = parse_expression(text)
    return {
        n.id
        for n in ast.walk(body)
        if isinstance(n, ast.Name) and n.id != "selected" and n.id not in RESERVED
    }


def selected_calls(text: str) -> list[tuple[str, str | int]]:
    """The ``(item, option)`` pairs of every ``selected()`` call in an expression."""
    body = parse_expression(text)
    return [
        (n.args[0].id, n.args[1].value)  # type: ignore[attr-defined]
        for n in ast.walk(body)
        if isinstance(n, ast.Call)
    ]


# --------------------------------------------------------------------------- evaluation

SelectedResolver = Callable[[pd.DataFrame, str, "str | int"], pd.Series]


def evaluate(text: str, frame: pd.DataFrame, selected: SelectedResolver | None = None) -> pd.Series:
    """Evaluate an expression row by row on ``frame``; a boolean Series, never NaN.

    ``selected(frame, item, option)`` returns the boolean Series for one option of a
    multiple-choice item; by default it looks for a 0/1 column ``item_option`` (or
    ``item/option``, as Kobo exports) or a space-separated ``item`` column.
    """
    body = parse_expression(text)
    resolver = selected or default_selected
    result = _eval(body, frame, resolver)
    if not isinstance(result, pd.Series):
        return pd.Series(bool(result), index=frame.index, dtype=bool)
    return result.fillna(False).astype(bool)


def default_selected(frame: pd.DataFrame, item: str, option: str | int) -> pd.Series:
    """Rows where ``option`` of multiple-choice ``item`` is ticked (see :func:`evaluate`)."""
    for column in (f"{item}_{option}", f"{item}/{option}"):
        if column in frame.columns:
            values = pd.to_numeric(frame[column], errors="coerce")
            return (values.fillna(0) != 0).astype(bool)
    if item in frame.columns:
        text = frame[item].astype("string")
        return text.fillna("").str.split().apply(lambda opts: str(option) in opts).astype(bool)
    raise KeyError(f"{item}_{option}")


def _eval(node: ast.AST, frame: pd.DataFrame, resolver: SelectedResolver):
    if isinstance(node, ast.BoolOp):
        parts = [_as_bool(_eval(v, frame, resolver), frame) for v in node.values]
        out = parts[0]
        for part in parts[1:]:
            out = (out & part) if isinstance(node.op, ast.And) else (out | part)
        return out
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Not):
            return ~_as_bool(_eval(node.operand, frame, resolver), frame)
        return -_eval(node.operand, frame, resolver)
    if isinstance(node, ast.Compare):
        out = None
        left = _eval(node.left, frame, resolver)
        for op, comp in zip(node.ops, node.comparators, strict=True):
            right = _eval(comp, frame, resolver)
            part = _compare(left, _COMPARE[type(op)], right, frame)
            out = part if out is None else out & part
            left = right
        return out
    if isinstance(node, ast.Call):
        item, option = node.args[0].id, node.args[1].value  # type: ignore[attr-defined]
        return resolver(frame, item, option)
    if isinstance(node, ast.Name):
        return frame[node.id]
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List | ast.Tuple):
        return [_eval(e, frame, resolver) for e in node.elts]
    raise ExpressionError(f"{type(node).__name__} is not allowed")  # pragma: no cover


def _as_bool(value, frame: pd.DataFrame) -> pd.Series:
    if isinstance(value, pd.Series):
        if value.dtype == bool:
            return value
        numeric = pd.to_numeric(value, errors="coerce")
        return (numeric.fillna(0) != 0).astype(bool)
    return pd.Series(bool(value), index=frame.index, dtype=bool)


def _align(series: pd.Series, value):
    """Make a column and a constant comparable: numbers against numbers, text against text."""
    if isinstance(value, str):
        if pd.api.types.is_numeric_dtype(series):
            try:
                return series, float(value)
            except ValueError:
                return series.astype("string"), value
        return series.astype("string"), value
    if isinstance(value, int | float) and not pd.api.types.is_numeric_dtype(series):
        return pd.to_numeric(series, errors="coerce"), value
    return series, value


def _compare(left, op: str, right, frame: pd.DataFrame) -> pd.Series:
    if op in ("in", "not in"):
        if not isinstance(left, pd.Series):
            left = pd.Series(left, index=frame.index)
        values = list(right)
        numeric = [v for v in values if isinstance(v, int | float)]
        strings = [v for v in values if isinstance(v, str)]
        as_num = pd.to_numeric(left, errors="coerce")
        hit = as_num.isin(numeric) | left.astype("string").isin(strings).fillna(False)
        hit = hit.fillna(False).astype(bool)
        present = left.notna()
        return (hit if op == "in" else ~hit & present).astype(bool)
    if isinstance(left, pd.Series) and not isinstance(right, pd.Series):
        left, right = _align(left, right)
    elif isinstance(right, pd.Series) and not isinstance(left, pd.Series):
        right, left = _align(right, left)
    elif (
        isinstance(left, pd.Series)
        and isinstance(right, pd.Series)
        and pd.api.types.is_numeric_dtype(left) != pd.api.types.is_numeric_dtype(right)
    ):
        left, right = (
            pd.to_numeric(left, errors="coerce"),
            pd.to_numeric(right, errors="coerce"),
        )
    present = pd.Series(True, index=frame.index)
    for side in (left, right):
        if isinstance(side, pd.Series):
            present &= side.notna()
    ops = {
        "==": np.equal,
        "!=": np.not_equal,
        "<": np.less,
        "<=": np.less_equal,
        ">": np.greater,
        ">=": np.greater_equal,
    }
    with np.errstate(invalid="ignore"):
        try:
            raw = ops[op](left, right)
        except TypeError:
            raw = pd.Series(False, index=frame.index)
    if not isinstance(raw, pd.Series):
        raw = pd.Series(bool(raw), index=frame.index)
    return (raw.fillna(False).astype(bool) & present).astype(bool)


# --------------------------------------------------------------------------- XLSForm

_XLS_REF = re.compile(r"\$\{\s*([A-Za-z_][\w.-]*)\s*\}")
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>'[^']*'|"[^"]*")
      | (?P<num>\d+(?:\.\d+)?)
      | (?P<op><=|>=|!=|=|<|>)
      | (?P<word>[A-Za-z_][\w.-]*)
      | (?P<punct>[(),])
    )""",
    re.VERBOSE,
)


def from_xlsform_expression(text: str) -> str:
    """Translate an XLSForm/XPath ``relevant`` expression into this package's syntax.

    ``${x}`` → ``x``, ``=`` → ``==``, ``not(...)`` → ``not (...)``, ``'a'`` kept as strings.
    Raises :class:`ExpressionError` on XPath this package cannot represent (e.g. ``count()``).
    """
    src = _XLS_REF.sub(lambda m: m.group(1), text.strip())
    out: list[str] = []
    pos = 0
    while pos < len(src):
        match = _TOKEN.match(src, pos)
        if not match or match.end() == pos:
            if src[pos:].strip() == "":
                break
            raise ExpressionError(f"cannot translate XLSForm expression near {src[pos:]!r}")
        pos = match.end()
        kind = match.lastgroup
        token = match.group(kind)  # type: ignore[arg-type]
        if kind == "str":
            out.append("'" + token[1:-1].replace("'", "\\'") + "'")
        elif kind == "op":
            out.append("==" if token == "=" else token)
        elif kind == "word":
            if token in ("and", "or", "not", "selected"):
                out.append(token)
            elif (
                token in ("true", "false") and pos < len(src) and src[pos:].lstrip().startswith("(")
            ):
                raise ExpressionError(f"XPath function {token}() is not supported")
            else:
                if not re.fullmatch(r"[A-Za-z_]\w*", token):
                    raise ExpressionError(f"cannot translate XLSForm reference {token!r}")
                nxt = src[pos:].lstrip()
                if nxt.startswith("("):
                    raise ExpressionError(f"XPath function {token}() is not supported")
                out.append(token)
        else:
            out.append(token)
    result = _join_tokens(out)
    parse_expression(result)
    return result


def _join_tokens(tokens: list[str]) -> str:
    """Join tokens with single spaces, but none inside ``(…)`` edges, before ``,`` or
    between ``selected`` and its ``(``."""
    text = ""
    for i, tok in enumerate(tokens):
        prev = tokens[i - 1] if i else ""
        tight = tok in (")", ",") or prev == "(" or (tok == "(" and prev == "selected")
        text += tok if (not text or tight) else " " + tok
    return text


def to_xlsform_expression(text: str) -> str:
    """Translate an expression of this package into XLSForm/XPath syntax (``${x} = 1``)."""
    return _to_xpath(parse_expression(text))


def _to_xpath(node: ast.AST, top: bool = True) -> str:
    if isinstance(node, ast.BoolOp):
        word = " and " if isinstance(node.op, ast.And) else " or "
        inner = word.join(_to_xpath(v, False) for v in node.values)
        return inner if top else f"({inner})"
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Not):
            return f"not({_to_xpath(node.operand, True)})"
        return f"-{_to_xpath(node.operand, False)}"
    if isinstance(node, ast.Compare):
        parts = []
        left = node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            symbol = _COMPARE[type(op)]
            lhs = _to_xpath(left, False)
            if symbol in ("in", "not in"):
                values = right.elts  # type: ignore[attr-defined]
                ors = " or ".join(f"{lhs} = {_to_xpath(v, False)}" for v in values)
                part = f"({ors})" if symbol == "in" else f"not({ors})"
            else:
                part = f"{lhs} {'=' if symbol == '==' else symbol} {_to_xpath(right, False)}"
            parts.append(part)
            left = right
        return " and ".join(parts)
    if isinstance(node, ast.Call):
        item, option = node.args  # type: ignore[misc]
        return f"selected(${{{item.id}}}, {_to_xpath(option, False)})"  # type: ignore[attr-defined]
    if isinstance(node, ast.Name):
        return f"${{{node.id}}}"
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            return f'"{node.value}"' if "'" in node.value else f"'{node.value}'"
        return repr(node.value)
    raise ExpressionError(f"{type(node).__name__} cannot be written as XPath")  # pragma: no cover
