"""Safe arithmetic expressions of estimates with exact derivatives, for non-linear contrasts.

An expression such as ``"a / b"``, ``"exp(x)"`` or ``"log(p / (1 - p))"`` names rows of a
result (or model coefficients). It is parsed with Python's :mod:`ast` and only a whitelist is
accepted: numbers, names, ``+ - * / **``, unary minus and the functions of :data:`FUNCTIONS`;
nothing is ever evaluated by Python (no attribute access, no calls of anything else, no
subscripts). Names that are not identifiers (``C(sex)[T.2]``, ``(Intercept)``) are written
between backticks, as in R: ```C(sex)[T.2]` - `C(sex)[T.3]``.

Evaluation is forward-mode automatic differentiation: every node carries its value and its
gradient with respect to the estimates, so the gradient is exact (to rounding), as R's
``svycontrast`` gets it from ``deriv`` (symbolic differentiation).

>>> e = parse("a / b")
>>> value, grad = evaluate(e, {"a": 2.0, "b": 4.0}, ["a", "b"])
>>> value, grad.tolist()
(0.5, [0.25, -0.125])
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special

from trustsurvey.errors import DesignError


def _d_expit(x: float) -> float:
    p = float(special.expit(x))
    return p * (1 - p)


#: function name -> (value, derivative)
FUNCTIONS: dict[str, tuple[Callable[[float], float], Callable[[float], float]]] = {
    "exp": (np.exp, np.exp),
    "log": (np.log, lambda x: 1.0 / x),
    "log10": (np.log10, lambda x: 1.0 / (x * np.log(10.0))),
    "log2": (np.log2, lambda x: 1.0 / (x * np.log(2.0))),
    "sqrt": (np.sqrt, lambda x: 0.5 / np.sqrt(x)),
    "expit": (lambda x: float(special.expit(x)), _d_expit),
    "plogis": (lambda x: float(special.expit(x)), _d_expit),
    "logit": (lambda x: float(special.logit(x)), lambda x: 1.0 / (x * (1 - x))),
    "qlogis": (lambda x: float(special.logit(x)), lambda x: 1.0 / (x * (1 - x))),
    "sin": (np.sin, np.cos),
    "cos": (np.cos, lambda x: -np.sin(x)),
    "tan": (np.tan, lambda x: 1.0 / np.cos(x) ** 2),
    "asin": (np.arcsin, lambda x: 1.0 / np.sqrt(1 - x * x)),
    "atan": (np.arctan, lambda x: 1.0 / (1 + x * x)),
    "abs": (abs, np.sign),
}

_BACKTICK = re.compile(r"`([^`]*)`")


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its text, its tree and the names it uses (in order of use)."""

    text: str
    tree: ast.expr
    names: tuple[str, ...]
    aliases: Mapping[str, str]


def _problem(text: str, what: str) -> DesignError:
    return DesignError(
        f"expression {text!r}: {what}",
        item="contrast",
        hint="use numbers, names of the result's rows (`name` in backticks if it is not a "
        "plain word), + - * / ** (or ^) and " + ", ".join(sorted(FUNCTIONS)),
    )


def parse(text: str) -> Expression:
    """Parse ``text`` into an :class:`Expression`; a :class:`DesignError` for anything outside
    the whitelist (see the module docstring)."""
    if not isinstance(text, str) or not text.strip():
        raise _problem(str(text), "empty")
    aliases: dict[str, str] = {}

    def alias(m: re.Match[str]) -> str:
        key = f"_q{len(aliases)}_"
        aliases[key] = m.group(1)
        return key

    src = _BACKTICK.sub(alias, text).replace("^", "**")
    try:
        tree = ast.parse(src.strip(), mode="eval").body
    except SyntaxError as exc:
        raise _problem(text, f"not an arithmetic expression ({exc.msg})") from exc
    used = sorted(
        (n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id not in FUNCTIONS),
        key=lambda n: n.col_offset,
    )
    names = list(dict.fromkeys(aliases.get(n.id, n.id) for n in used))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            continue
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                raise _problem(text, f"unknown function {ast.unparse(node.func)!r}")
            if len(node.args) != 1 or node.keywords:
                raise _problem(text, f"{node.func.id}() takes one argument")
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise _problem(text, f"{node.value!r} is not a number")
        elif isinstance(node, ast.BinOp):
            if not isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.Div | ast.Pow):
                raise _problem(text, f"operator {type(node.op).__name__} is not allowed")
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub | ast.UAdd):
                raise _problem(text, f"operator {type(node.op).__name__} is not allowed")
        elif not isinstance(node, ast.Load | ast.operator | ast.unaryop):
            raise _problem(text, f"{type(node).__name__} is not allowed")
    return Expression(text=text, tree=tree, names=tuple(names), aliases=aliases)


def evaluate(
    expr: Expression | str, values: Mapping[str, float], order: Sequence[str]
) -> tuple[float, np.ndarray]:
    """Value of ``expr`` at ``values`` and its gradient with respect to the names ``order``
    (one entry per name; zero for names the expression does not use)."""
    e = parse(expr) if isinstance(expr, str) else expr
    pos = {nm: i for i, nm in enumerate(order)}
    k = len(order)

    def leaf(name: str) -> tuple[float, np.ndarray]:
        if name not in pos or name not in values:
            raise _problem(e.text, f"{name!r} is not a row of the result")
        g = np.zeros(k)
        g[pos[name]] = 1.0
        return float(values[name]), g

    def walk(node: ast.expr) -> tuple[float, np.ndarray]:
        if isinstance(node, ast.Constant):
            return float(node.value), np.zeros(k)
        if isinstance(node, ast.Name):
            return leaf(e.aliases.get(node.id, node.id))
        if isinstance(node, ast.UnaryOp):
            v, g = walk(node.operand)
            return (-v, -g) if isinstance(node.op, ast.USub) else (v, g)
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            f, df = FUNCTIONS[node.func.id]
            v, g = walk(node.args[0])
            with np.errstate(all="ignore"):
                return float(f(v)), float(df(v)) * g
        if isinstance(node, ast.BinOp):
            a, ga = walk(node.left)
            b, gb = walk(node.right)
            with np.errstate(all="ignore"):
                if isinstance(node.op, ast.Add):
                    return a + b, ga + gb
                if isinstance(node.op, ast.Sub):
                    return a - b, ga - gb
                if isinstance(node.op, ast.Mult):
                    return a * b, b * ga + a * gb
                if isinstance(node.op, ast.Div):
                    return a / b, ga / b - a * gb / (b * b)
                if isinstance(node.op, ast.Pow):
                    val = float(np.power(a, b))
                    grad = b * np.power(a, b - 1) * ga
                    if np.any(gb != 0):
                        grad = grad + val * np.log(a) * gb
                    return val, grad
        raise _problem(e.text, f"{type(node).__name__} is not allowed")  # pragma: no cover

    return walk(e.tree)
