"""Skip-logic expressions (``relevant:``): parsed with :mod:`ast` under a strict whitelist.

The language is a small, safe subset of Python syntax, never evaluated with ``eval``:

- comparisons ``==, !=, <, <=, >, >=`` between item names, numbers and strings;
- membership ``x in [1, 2]`` / ``x not in [1, 2]``;
- ``and``, ``or``, ``not`` and parentheses;
- arithmetic ``+ - * / %`` (dates count as days since 1970-01-01, as in XPath);
- ``selected(q15_issues, "theft")`` for multiple-choice items, and the functions
  ``count_selected(item)``, ``coalesce(a, b)``, ``string_length(a)``, ``if_else(c, a, b)``,
  ``number(a)``, ``int(a)`` and ``today()`` (the interview day: the row's ``today`` or
  ``start`` column when the data hold one), after the XPath functions of the same meaning
  (ODK XForms spec, "XPath functions").

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
#: function → (min, max) number of arguments
FUNCTIONS = {
    "selected": (2, 2),
    "count_selected": (1, 1),
    "coalesce": (2, 2),
    "string_length": (1, 1),
    "if_else": (3, 3),
    "number": (1, 1),
    "int": (1, 1),
    "today": (0, 0),
}
_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Mod: "%"}


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
        _check_call(node)
    elif isinstance(node, ast.Name | ast.Constant | ast.BinOp):
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
        _check_call(node)
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BINOPS:
            raise ExpressionError(f"operator {type(node.op).__name__} is not allowed")
        _check_operand(node.left)
        _check_operand(node.right)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        _check_operand(node.operand)
    elif isinstance(node, ast.BoolOp | ast.Compare | ast.UnaryOp):
        _check(node)  # e.g. the condition of if_else()
    else:
        raise ExpressionError(f"{type(node).__name__} is not allowed as a value")


def _check_call(node: ast.Call) -> None:
    name = node.func.id if isinstance(node.func, ast.Name) else None
    if name not in FUNCTIONS:
        raise ExpressionError(
            f"function {name or '?'}() is not allowed; the only functions allowed are "
            + ", ".join(FUNCTIONS)
        )
    low, high = FUNCTIONS[name]
    if node.keywords or not low <= len(node.args) <= high:
        if name == "selected":
            raise ExpressionError("selected() takes two arguments: selected(item, 'option')")
        raise ExpressionError(f"{name}() takes {low} argument{'s' if low != 1 else ''}")
    if name in ("selected", "count_selected") and not isinstance(node.args[0], ast.Name):
        raise ExpressionError(f"the first argument of {name}() must be an item name")
    if name == "selected":
        option = node.args[1]
        if not (isinstance(option, ast.Constant) and isinstance(option.value, str | int)):
            raise ExpressionError("the second argument of selected() must be an option code")
        return
    for arg in node.args[1:] if name == "count_selected" else node.args:
        _check_operand(arg)


def expression_names(text: str) -> set[str]:
    """Item names referenced by an expression (including ``selected``'s first argument)."""
    body = parse_expression(text)
    functions = {id(n.func) for n in ast.walk(body) if isinstance(n, ast.Call)}
    return {
        n.id
        for n in ast.walk(body)
        if isinstance(n, ast.Name) and id(n) not in functions and n.id not in RESERVED
    }


def selected_calls(text: str) -> list[tuple[str, str | int]]:
    """The ``(item, option)`` pairs of every ``selected()`` call in an expression."""
    body = parse_expression(text)
    return [
        (n.args[0].id, n.args[1].value)  # type: ignore[attr-defined]
        for n in ast.walk(body)
        if isinstance(n, ast.Call) and n.func.id == "selected"  # type: ignore[attr-defined]
    ]


# --------------------------------------------------------------------------- evaluation

SelectedResolver = Callable[[pd.DataFrame, str, "str | int"], pd.Series]
CountResolver = Callable[[pd.DataFrame, str], pd.Series]


def evaluate(
    text: str,
    frame: pd.DataFrame,
    selected: SelectedResolver | None = None,
    count: CountResolver | None = None,
) -> pd.Series:
    """Evaluate an expression row by row on ``frame``; a boolean Series, never NaN.

    ``selected(frame, item, option)`` returns the boolean Series for one option of a
    multiple-choice item; by default it looks for a 0/1 column ``item_option`` (or
    ``item/option``, as Kobo exports) or a space-separated ``item`` column.
    ``count(frame, item)`` returns the number of options ticked (``count_selected``).

    >>> f = pd.DataFrame({"p": ["a b", "", None], "n": [None, "x", "yy"]})
    >>> evaluate("count_selected(p) > 1 or string_length(coalesce(n, 'z')) == 2", f).tolist()
    [True, False, True]
    """
    body = parse_expression(text)
    resolver = selected or default_selected
    env = _Env(frame, resolver, count or default_count)
    result = _eval(body, env)
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


def default_count(frame: pd.DataFrame, item: str) -> pd.Series:
    """Options ticked of multiple-choice ``item``: its space-separated column, else its
    ``item_option`` / ``item/option`` 0/1 columns; 0 where nothing is ticked (XPath)."""
    if item in frame.columns:
        text = frame[item].astype("string").fillna("")
        return text.str.split().str.len().astype("float64")
    columns = [c for c in frame.columns if str(c).startswith((f"{item}_", f"{item}/"))]
    if not columns:
        raise KeyError(item)
    ticked = frame[columns].apply(pd.to_numeric, errors="coerce").fillna(0) != 0
    return ticked.sum(axis=1).astype("float64")


class _Env:
    def __init__(self, frame: pd.DataFrame, selected: SelectedResolver, count: CountResolver):
        self.frame, self.selected, self.count = frame, selected, count

    def today(self) -> pd.Series | pd.Timestamp:
        for column in ("today", "start"):
            if column in self.frame.columns:
                when = _as_dates(self.frame[column])
                if when.notna().any():
                    return when.dt.normalize()
        return pd.Timestamp.now().normalize()


def _as_dates(values: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        out = values
    else:
        out = pd.to_datetime(values, errors="coerce", utc=True, format="ISO8601")
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_localize(None)
    return out


def _days(value):
    """Dates as days since 1970-01-01 (XPath's number of a date); other values as numbers."""
    if isinstance(value, pd.Series):
        if pd.api.types.is_datetime64_any_dtype(value):
            return (_as_dates(value) - pd.Timestamp("1970-01-01")).dt.total_seconds() / 86400
        return pd.to_numeric(value, errors="coerce")
    if isinstance(value, pd.Timestamp):
        return (value - pd.Timestamp("1970-01-01")).total_seconds() / 86400
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return np.nan
    return value


def _call(node: ast.Call, env: _Env):
    name = node.func.id  # type: ignore[attr-defined]
    frame = env.frame
    if name == "selected":
        item, option = node.args[0].id, node.args[1].value  # type: ignore[attr-defined]
        return env.selected(frame, item, option)
    if name == "count_selected":
        return env.count(frame, node.args[0].id)  # type: ignore[attr-defined]
    if name == "today":
        return env.today()
    args = [_eval(a, env) for a in node.args]
    series = [pd.Series(a, index=frame.index) if not isinstance(a, pd.Series) else a for a in args]
    if name == "coalesce":
        first, second = series
        empty = first.isna() | (first.astype("string").str.strip() == "").fillna(True)
        return first.astype(object).where(~empty, second.astype(object))
    if name == "string_length":
        return series[0].astype("string").fillna("").str.len().astype("float64")
    if name == "if_else":
        cond = _as_bool(args[0], frame)
        return series[1].astype(object).where(cond, series[2].astype(object))
    number = _days(series[0])
    return number if name == "number" else np.trunc(number)


def _eval(node: ast.AST, env: _Env):
    frame = env.frame
    if isinstance(node, ast.BoolOp):
        parts = [_as_bool(_eval(v, env), frame) for v in node.values]
        out = parts[0]
        for part in parts[1:]:
            out = (out & part) if isinstance(node.op, ast.And) else (out | part)
        return out
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Not):
            return ~_as_bool(_eval(node.operand, env), frame)
        return -_days(_eval(node.operand, env))
    if isinstance(node, ast.BinOp):
        left, right = _days(_eval(node.left, env)), _days(_eval(node.right, env))
        with np.errstate(all="ignore"):
            if isinstance(node.op, ast.Add):
                return left + right
            if isinstance(node.op, ast.Sub):
                return left - right
            if isinstance(node.op, ast.Mult):
                return left * right
            if isinstance(node.op, ast.Div):
                return left / right
            return np.fmod(left, right)
    if isinstance(node, ast.Compare):
        out = None
        left = _eval(node.left, env)
        for op, comp in zip(node.ops, node.comparators, strict=True):
            right = _eval(comp, env)
            part = _compare(left, _COMPARE[type(op)], right, frame)
            out = part if out is None else out & part
            left = right
        return out
    if isinstance(node, ast.Call):
        return _call(node, env)
    if isinstance(node, ast.Name):
        return frame[node.id]
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List | ast.Tuple):
        return [_eval(e, env) for e in node.elts]
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


def _dates_or_days(left, right):
    """A date compared with a date string, a date or a number: both as days (XPath)."""
    is_date = [
        isinstance(v, pd.Timestamp)
        or (isinstance(v, pd.Series) and pd.api.types.is_datetime64_any_dtype(v))
        for v in (left, right)
    ]
    if not any(is_date):
        return left, right
    out = []
    for value, date in zip((left, right), is_date, strict=True):
        if not date and isinstance(value, str):
            parsed = pd.to_datetime(value, errors="coerce")
            value = parsed if not pd.isna(parsed) else value
        elif not date and isinstance(value, pd.Series) and not pd.api.types.is_numeric_dtype(value):
            value = _as_dates(value)
        out.append(_days(value))
    return out[0], out[1]


def _compare(left, op: str, right, frame: pd.DataFrame) -> pd.Series:
    left, right = _dates_or_days(left, right)
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

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<ref>\$\{\s*[^}\s]+\s*\})
      | (?P<str>'[^']*'|"[^"]*")
      | (?P<num>\d+(?:\.\d+)?|\.\d+)
      | (?P<op><=|>=|!=|=|<|>|\+|-|\*)
      | (?P<word>[A-Za-z_][\w.-]*)
      | (?P<punct>[(),])
    )""",
    re.VERBOSE,
)
#: XPath function → this language's function
XPATH_FUNCTIONS = {
    "selected": "selected",
    "count-selected": "count_selected",
    "coalesce": "coalesce",
    "string-length": "string_length",
    "if": "if_else",
    "number": "number",
    "int": "int",
    "today": "today",
    "not": "not",
}
_OURS_TO_XPATH = {v: k for k, v in XPATH_FUNCTIONS.items()}


def from_xlsform_expression(text: str, names: dict[str, str] | None = None) -> str:
    """Translate an XLSForm/XPath ``relevant`` expression into this package's syntax.

    ``${x}`` → ``x`` (or ``names[x]``), ``=`` → ``==``, ``div``/``mod`` → ``/``/``%``,
    ``not(…)``, ``count-selected(…)``, ``string-length(…)``, ``if(…)``, ``coalesce(…)``,
    ``number(…)``, ``int(…)``, ``today()`` to their counterparts; strings kept.
    Raises :class:`ExpressionError` on XPath this package cannot represent (``regex()``,
    ``pulldata()``, ``instance(…)``, paths).

    >>> from_xlsform_expression("count-selected(${p}) > 1 and ${age} mod 2 = 0")
    'count_selected(p) > 1 and age % 2 == 0'
    """
    names = names or {}
    src = text.strip()
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
        call = src[pos:].lstrip().startswith("(")
        if kind == "ref":
            ref = token[2:-1].strip()
            ref = names.get(ref, ref)
            if not re.fullmatch(r"[A-Za-z_]\w*", ref) or ref in RESERVED:
                raise ExpressionError(f"cannot translate XLSForm reference {ref!r}")
            out.append(ref)
        elif kind == "str":
            out.append("'" + token[1:-1].replace("\\", "\\\\").replace("'", "\\'") + "'")
        elif kind == "op":
            out.append("==" if token == "=" else token)
        elif kind == "word" and token in ("and", "or"):
            out.append(token)
        elif kind == "word" and token in ("div", "mod") and not call:
            out.append("/" if token == "div" else "%")
        elif kind == "word" and call:
            if token not in XPATH_FUNCTIONS:
                raise ExpressionError(f"XPath function {token}() is not supported")
            out.append(XPATH_FUNCTIONS[token])
        elif kind == "word":
            if not re.fullmatch(r"[A-Za-z_]\w*", token) or token in RESERVED:
                raise ExpressionError(f"cannot translate XLSForm reference {token!r}")
            out.append(names.get(token, token))
        else:
            out.append(token)
    result = _join_tokens(out)
    parse_expression(result)
    return result


def _join_tokens(tokens: list[str]) -> str:
    """Join tokens with single spaces, but none inside ``(…)`` edges, before ``,`` or
    between a function name and its ``(``; ``not`` keeps its space."""
    text = ""
    for i, tok in enumerate(tokens):
        prev = tokens[i - 1] if i else ""
        tight = (
            tok in (")", ",")
            or prev == "("
            or (tok == "(" and prev in FUNCTIONS)
            or (
                prev == "-"
                and (
                    i < 2
                    or tokens[i - 2]
                    in (
                        "(",
                        ",",
                        "==",
                        "!=",
                        "<",
                        ">",
                        "<=",
                        ">=",
                        "and",
                        "or",
                        "+",
                        "-",
                        "*",
                        "/",
                        "%",
                        "not",
                    )
                )
            )
        )
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
    if isinstance(node, ast.BinOp):
        symbol = {"/": "div", "%": "mod"}.get(_BINOPS[type(node.op)], _BINOPS[type(node.op)])
        return f"({_to_xpath(node.left, False)} {symbol} {_to_xpath(node.right, False)})"
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
        name = node.func.id  # type: ignore[attr-defined]
        args = ", ".join(_to_xpath(a, True) for a in node.args)
        return f"{_OURS_TO_XPATH[name]}({args})"
    if isinstance(node, ast.Name):
        return f"${{{node.id}}}"
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            return f'"{node.value}"' if "'" in node.value else f"'{node.value}'"
        return repr(node.value)
    raise ExpressionError(f"{type(node).__name__} cannot be written as XPath")  # pragma: no cover
