"""Settings declared once: a dataclass field carries its study.yaml type, its documentation
and its rule, and the study.yaml checker, the loader and the model all read them from there.

>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Demo:
...     size: int = setting(30, "int", "smallest cell", rule=lambda v: v >= 1, hint="e.g. 30")
>>> setting_problem(Demo, "size", 0)
'e.g. 30'
>>> settings_from(Demo, {"size": 5})
{'size': 5}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING, Field, field, fields
from typing import Any

#: study.yaml kinds whose values are converted on loading
_CONVERT: dict[str, Callable[[Any], Any]] = {"number": float, "list": tuple}


def setting(
    default: Any,
    kind: str,
    doc: str,
    *,
    rule: Callable[[Any], bool] | None = None,
    hint: str = "",
    elements: str | None = None,
    choices: tuple[Any, ...] | None = None,
) -> Any:
    """A dataclass field declaring one study.yaml setting.

    ``kind`` is the study.yaml type (``int``, ``number``, ``str``, ``list``, ``bool``: see
    :mod:`trustsurvey.study.spec`), ``doc`` what it means, ``rule`` a test its value must
    pass and ``hint`` what to write instead; ``elements`` the kind of a list's elements.
    """
    meta: dict[str, Any] = {"kind": kind, "doc": doc, "rule": rule, "hint": hint}
    meta.update(elements=elements, choices=choices)
    if isinstance(default, list | dict | set):
        raise TypeError("use a tuple or None as the default of a setting")
    return field(default=default, metadata=meta)


def setting_fields(cls: type) -> list[Field[Any]]:
    """The fields of ``cls`` declared with :func:`setting`."""
    return [f for f in fields(cls) if "kind" in f.metadata]


def setting_problem(cls: type, name: str, value: Any) -> str | None:
    """What to write instead when ``value`` breaks the rule of setting ``name`` (``None``
    when it is fine)."""
    f = next(f for f in setting_fields(cls) if f.name == name)
    rule = f.metadata["rule"]
    if rule is None or value is None:
        return None
    return None if rule(value) else (f.metadata["hint"] or f.metadata["doc"])


def settings_from(cls: type, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The values of ``cls``'s settings given in ``raw``, converted to the fields' types
    (numbers to float, lists to tuples); settings not in ``raw`` are left out (defaults)."""
    out = {}
    for f in setting_fields(cls):
        if f.name in raw and raw[f.name] is not None:
            convert = _CONVERT.get(f.metadata["kind"])
            out[f.name] = convert(raw[f.name]) if convert else raw[f.name]
    return out


def default_of(f: Field[Any]) -> Any:
    """The default value of field ``f``."""
    return f.default if f.default is not MISSING else None
