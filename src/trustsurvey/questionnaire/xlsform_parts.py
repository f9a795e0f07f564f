"""Pieces of the XLSForm reader: question types, choice files, XPath conjuncts.

- :func:`item_kind` maps an XLSForm question type to a questionnaire item type by the
  XForm data type pyxform gives it (``pyxform.question_type_dictionary``), so every type
  pyxform knows has a place: numbers → numeric, dates → date, everything else → text.
- :func:`file_choices` reads the choices of ``select_one_from_file`` /
  ``select_multiple_from_file`` from the CSV, XML or GeoJSON next to the form (ODK XLSForm
  spec, "External selects": ``name`` and ``label``; GeoJSON features' ``id`` and ``title``).
- :func:`conjuncts` splits an XPath condition at its top-level ``and`` so the parts that
  translate can be kept when another part (``regex()``, ``pulldata()``) cannot.

>>> conjuncts("${a} = 1 and (regex(${b}, 'x') or ${c} = 'and')")
['${a} = 1', "(regex(${b}, 'x') or ${c} = 'and')"]
>>> item_kind("geopoint"), item_kind("range"), item_kind("start"), item_kind("note")
('text', 'numeric', None, None)
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

#: form fields the device fills in: kept as metadata of the form, not as items
META_TYPES = frozenset(
    {
        "start",
        "end",
        "today",
        "deviceid",
        "username",
        "subscriberid",
        "simserial",
        "phonenumber",
        "email",
        "audit",
        "start-geopoint",
        "background-audio",
        "background-geopoint",
    }
)
#: question types with no answer in the data
NO_ANSWER_TYPES = frozenset({"note", "xml-external", "csv-external", "entity"})
_BIND_KIND = {"int": "numeric", "decimal": "numeric", "date": "date", "dateTime": "date"}


def xform_type(kind: str) -> tuple[str | None, str | None]:
    """(XForm data type, preload) pyxform gives an XLSForm question type."""
    from pyxform.question_type_dictionary import QUESTION_TYPE_DICT

    entry = QUESTION_TYPE_DICT.get(kind) or {}
    bind = entry.get("bind") or {}
    return bind.get("type"), bind.get("jr:preload")


def item_kind(kind: str) -> str | None:
    """Item type for a non-select XLSForm question type; None for metadata and notes."""
    bind, preload = xform_type(kind)
    if kind in META_TYPES or kind in NO_ANSWER_TYPES or preload in ("timestamp", "property"):
        return None
    if kind == "range":
        return "numeric"
    return _BIND_KIND.get(str(bind), "text")


def file_choices(form: Path, file_name: str) -> list[dict[str, Any]] | None:
    """Choices (``name`` and ``label*`` keys) of a choice file next to ``form``; None when
    the file is not there or has no ``name`` column/element."""
    path = form.parent / file_name
    if not path.is_file():
        return None
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        if not rows or "name" not in rows[0]:
            return None
        return [_choice(row) for row in rows if str(row.get("name") or "").strip()]
    if path.suffix.lower() == ".xml":
        from xml.etree import ElementTree

        try:
            root = ElementTree.parse(path).getroot()
        except ElementTree.ParseError:
            return None
        out = []
        for element in root.iter("item"):
            values = {child.tag: (child.text or "").strip() for child in element}
            if values.get("name"):
                out.append(_choice(values))
        return out or None
    if path.suffix.lower() == ".geojson":  # features: id (property or feature) and title
        import json

        try:
            features = json.loads(path.read_text(encoding="utf-8")).get("features") or []
        except (ValueError, AttributeError):
            return None
        out = []
        for feature in features:
            props = (feature or {}).get("properties") or {}
            name = props.get("id", (feature or {}).get("id"))
            if name is not None and str(name).strip():
                out.append(_choice({"name": name, "label": props.get("title")}))
        return out or None
    return None


def _choice(row: dict[str, Any]) -> dict[str, Any]:
    labels = {k: v for k, v in row.items() if k and k.startswith("label") and v}
    label: Any = labels.pop("label", None)
    if labels:  # label::English (en) → {"English (en)": ...}
        label = {k.split(":")[-1].strip(): v for k, v in labels.items()} | (
            {"default": label} if label else {}
        )
    return {"name": str(row["name"]).strip(), "label": label}


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def conjuncts(text: str) -> list[str]:
    """The top-level ``and`` parts of an XPath condition (one part if there is none, or if
    the condition has a top-level ``or``)."""
    masked = _QUOTED.sub(lambda m: "_" * len(m.group()), text)
    depth = 0
    cuts: list[tuple[int, int]] = []
    for match in re.finditer(r"[()]|\band\b|\bor\b", masked):
        token = match.group()
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
        elif depth == 0 and token == "or":
            return [text.strip()]
        elif depth == 0:
            cuts.append(match.span())
    parts, start = [], 0
    for begin, end in cuts:
        parts.append(text[start:begin].strip())
        start = end
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def clean_name(name: str) -> str:
    """A questionnaire name for an XML name: runs of other characters → ``_``."""
    clean = re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_")
    return clean if clean[:1].isalpha() else f"q_{clean}"
