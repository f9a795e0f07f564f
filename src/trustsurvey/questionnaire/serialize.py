"""Questionnaire → canonical YAML (the same format :func:`load_questionnaire` reads).

Output is canonical (fixed key order, defaults left out) so that :meth:`Questionnaire.hash`
identifies an instrument, and ``load(dump(q))`` gives back the same questionnaire.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from trustsurvey import _files
from trustsurvey.errors import QuestionnaireError
from trustsurvey.questionnaire.text import Text

if TYPE_CHECKING:
    from trustsurvey.questionnaire.model import Code, Item, Questionnaire


class _Flow(dict):
    """A mapping written on one line: ``{uk: Так, en: "Yes"}``."""


def _t(text: Text) -> str | dict[str, str]:
    data = text.to_data()
    return _Flow(data) if isinstance(data, dict) else data


def _codes(codes: dict[Code, Text]) -> dict:
    return {_code_out(k): _t(v) for k, v in codes.items()}


def _missing(missing: dict[Code, Text], kinds: dict[Code, str]) -> dict:
    """Missing codes; a kind other than plain ``missing`` goes beside the label."""
    out: dict = {}
    for code, text in missing.items():
        kind = kinds.get(code, "missing")
        if kind == "missing":
            out[_code_out(code)] = _t(text)
        else:
            data = text.to_data()
            if isinstance(data, str):
                data = {"uk": data, "en": data}
            out[_code_out(code)] = _Flow({**data, "kind": kind})
    return out


def _code_out(code: Code) -> Code:
    if isinstance(code, float) and code.is_integer():
        return int(code)
    return code


def _number(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else float(value)


def item_to_data(item: Item, q: Questionnaire) -> dict:
    """One item as a YAML mapping, leaving out defaults and what its scale already says."""
    out: dict = {"name": item.name, "type": item.type}
    if item.text:
        out["text"] = _t(item.text)
    scale = q.scales.get(item.scale) if item.scale else None
    if scale is not None:
        out["scale"] = item.scale
    if item.codes and (scale is None or item.codes != scale.codes):
        out["codes"] = _codes(item.codes)
    if item.missing and (
        scale is None or item.missing != scale.missing or item.missing_kinds != scale.missing_kinds
    ):
        out["missing"] = _missing(item.missing, item.missing_kinds)
    elif scale is not None and scale.missing and not item.missing:
        out["missing"] = {}
    if item.type == "single" and item.ordered and scale is None:
        out["ordered"] = True
    if item.options:
        out["options"] = _codes(item.options)
    if item.exclusive is not None:
        out["exclusive"] = _code_out(item.exclusive)
    for key in ("min", "max"):
        value = getattr(item, key)
        if value is not None:
            out[key] = _number(value)
    for key in ("reverse", "required", "pii", "other"):
        if getattr(item, key):
            out[key] = True
    for key in ("relevant", "grid", "group", "repeat", "note", "choice_filter"):
        value = getattr(item, key)
        if value:
            out[key] = value
    if item.roles:
        out["roles"] = sorted(item.roles)
    if item.option_columns:
        out["option_columns"] = {_code_out(k): v for k, v in item.option_columns.items()}
    return out


def questionnaire_to_data(q: Questionnaire) -> dict:
    """The whole questionnaire as plain data."""
    out: dict = {"name": q.name, "version": str(q.version), "languages": list(q.languages)}
    if q.title:
        out["title"] = _t(q.title)
    if q.description:
        out["description"] = _t(q.description)
    if q.scales:
        scales = {}
        for name, s in q.scales.items():
            entry: dict = {}
            if s.text:
                entry["text"] = _t(s.text)
            if not s.ordered:
                entry["ordered"] = False
            entry["codes"] = _codes(s.codes)
            if s.missing:
                entry["missing"] = _missing(s.missing, s.missing_kinds)
            scales[name] = entry
        out["scales"] = scales
    if q.grids:
        out["grids"] = {name: {"text": _t(t)} for name, t in q.grids.items()}
    out["items"] = [item_to_data(i, q) for i in q.items.values()]
    if q.indices:
        out["indices"] = [
            {
                "name": ix.name,
                **({"text": _t(ix.text)} if ix.text else {}),
                "items": list(ix.items),
                "method": ix.method,
                "min_valid": ix.min_valid,
                **({"reversed": list(ix.reversed)} if ix.reversed else {}),
            }
            for ix in q.indices.values()
        ]
    if q.codebook is not None:
        cb: dict = {}
        if q.codebook.text:
            cb["text"] = _t(q.codebook.text)
        if q.codebook.valence:
            cb["valence"] = q.codebook.valence
        cb["themes"] = [
            {
                "code": t.code,
                "label": _t(t.label),
                **({"description": _t(t.description)} if t.description else {}),
                **({"parent": t.parent} if t.parent else {}),
            }
            for t in q.codebook.themes.values()
        ]
        out["codebook"] = cb
    return out


class _Dumper(yaml.SafeDumper):
    pass


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)
_Dumper.add_representer(
    _Flow, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True)
)
_Dumper.add_representer(
    list,
    lambda d, v: d.represent_sequence(
        "tag:yaml.org,2002:seq", v, flow_style=all(isinstance(x, str) for x in v) or None
    ),
)


def dump_yaml(data: dict) -> str:
    """YAML text: UTF-8 (Ukrainian stays readable), insertion order, block style."""
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100, indent=2)


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (:mod:`trustsurvey._files`); the folder must exist."""
    target = Path(path)
    if not target.parent.exists():
        raise QuestionnaireError(
            "the output folder does not exist",
            file=target,
            hint="create the folder first or choose another output path",
        )
    return _files.atomic_write_text(target, text, mkdir=False)
