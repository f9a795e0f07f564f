"""The scale of each outcome (lowest and highest valid code, yes/no or not), for the bundle.

A finding reads "0.28 points on the 1–5 scale" or, for a yes/no (0/1) outcome, "43 percentage
points"; charts start their axis at the scale's minimum. The scale of an item is its valid
codes (missing codes left out); of an index, the range of its items' scales (the mean of
items on 1–5 is on 1–5; a sum adds the ranges).

>>> from trustsurvey.questionnaire import loads_questionnaire
>>> q = loads_questionnaire('''
... name: t
... items:
...   - {name: a, type: single, text: {en: A}, codes: {1: "1", 2: "2", 3: "3", 4: "4", 5: "5"},
...      missing: {8: {en: Difficult to answer}}}
...   - {name: b, type: single, text: {en: B}, codes: {1: "1", 2: "2", 3: "3", 4: "4", 5: "5"}}
...   - {name: k, type: single, text: {en: Knows}, codes: {0: "No", 1: "Yes"}}
... indices:
...   - {name: ab, items: [a, b], method: mean}
... ''')
>>> s = outcome_scales(q)
>>> s["a"], s["ab"]
({'min': 1.0, 'max': 5.0, 'binary': False}, {'min': 1.0, 'max': 5.0, 'binary': False})
>>> s["k"]
{'min': 0.0, 'max': 1.0, 'binary': True}
"""

from __future__ import annotations

from typing import Any


def _numbers(codes: Any) -> list[float]:
    out = []
    for c in dict(codes or {}):
        try:
            out.append(float(c))
        except (TypeError, ValueError):
            return []
    return out


def outcome_scales(q: Any) -> dict[str, dict[str, Any]]:
    """``{name: {"min", "max", "binary"}}`` for every item with numeric codes and every
    index whose items all have one (duck-typed questionnaire)."""
    scales = getattr(q, "scales", {}) or {}
    out: dict[str, dict[str, Any]] = {}
    for name, item in (getattr(q, "items", {}) or {}).items():
        codes = dict(getattr(item, "codes", {}) or {})
        scale = scales.get(getattr(item, "scale", None) or "")
        if scale is not None:
            codes = {**dict(scale.codes), **codes}
        values = _numbers(codes)
        if getattr(item, "type", "") == "multiple" or len(values) < 2:
            continue
        lo, hi = min(values), max(values)
        out[name] = {"min": lo, "max": hi, "binary": sorted(values) == [0.0, 1.0]}
    indices = getattr(q, "indices", {}) or {}
    for _ in range(len(indices)):  # indices of indices: resolve in as many passes as needed
        for name, index in indices.items():
            parts = [out.get(i) for i in getattr(index, "items", [])]
            if name in out or not parts or any(p is None for p in parts):
                continue
            los, his = [p["min"] for p in parts], [p["max"] for p in parts]  # type: ignore[index]
            if getattr(index, "method", "mean") == "sum":
                lo, hi = sum(los), sum(his)
            else:
                lo, hi = min(los), max(his)
            out[name] = {"min": lo, "max": hi, "binary": False}
    return out
