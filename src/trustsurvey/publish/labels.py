"""Bundle labels and exclusions from a questionnaire (duck-typed: any object shaped like
:class:`trustsurvey.questionnaire.Questionnaire`).

Returns the part of ``study_meta`` that comes from the questionnaire: bilingual labels of
items and indices (``outcome``), of answer codes including missing codes such as "difficult
to answer" (``category``), of multiple-choice options (``option``, per item) and of
focus-group themes (``theme``), plus the items that must never be published (``pii_items``,
``free_text_items``).

>>> from trustsurvey.questionnaire import loads_questionnaire
>>> q = loads_questionnaire('''
... name: t
... items:
...   - {name: trust, type: single, text: {uk: Довіра, en: Trust},
...      codes: {1: {uk: Ні, en: "No"}, 2: {uk: Так, en: "Yes"}},
...      missing: {8: {uk: Важко відповісти, en: Difficult to answer}}}
...   - {name: phone, type: text, pii: true}
... ''')
>>> meta = meta_from_questionnaire(q)
>>> meta["labels"]["category"]["trust"]["8"]["en"], meta["pii_items"], meta["free_text_items"]
('Difficult to answer', ['phone'], ['phone'])
"""

from __future__ import annotations

from typing import Any


def _text(t: Any) -> dict[str, str]:
    if t is None:
        return {}
    if isinstance(t, str):
        return {"uk": t, "en": t}
    uk, en = getattr(t, "uk", None), getattr(t, "en", None)
    out = {k: v for k, v in (("uk", uk or en), ("en", en or uk)) if v}
    return out


def meta_from_questionnaire(q: Any) -> dict[str, Any]:
    """``labels``, ``pii_items`` and ``free_text_items`` for ``study_meta``."""
    outcome: dict[str, dict[str, str]] = {}
    category: dict[str, dict[str, dict[str, str]]] = {}
    option: dict[str, dict[str, dict[str, str]]] = {}
    scales = getattr(q, "scales", {}) or {}
    for name, item in (getattr(q, "items", {}) or {}).items():
        if getattr(item, "pii", False) or _free_text(item):
            continue  # never published, so not even their labels go into the bundle
        label = _text(getattr(item, "text", None))
        if label:
            outcome[name] = label
        codes = dict(getattr(item, "codes", {}) or {})
        missing = dict(getattr(item, "missing", {}) or {})
        scale = scales.get(getattr(item, "scale", None) or "")
        if scale is not None:
            codes = {**dict(scale.codes), **codes}
            missing = {**dict(getattr(scale, "missing", {}) or {}), **missing}
        cats = {str(c): _text(t) for c, t in {**codes, **missing}.items() if _text(t)}
        if cats:
            category[name] = cats
        opts = {str(c): _text(t) for c, t in (getattr(item, "options", {}) or {}).items()}
        if opts:
            option[name] = {c: t for c, t in opts.items() if t}
    for name, index in (getattr(q, "indices", {}) or {}).items():
        label = _text(getattr(index, "text", None))
        if label:
            outcome[name] = label
    theme: dict[str, dict[str, str]] = {}
    codebook = getattr(q, "codebook", None)
    if codebook is not None:
        for code, th in (getattr(codebook, "themes", {}) or {}).items():
            label = _text(getattr(th, "label", None))
            if label:
                theme[str(code)] = label
    items = (getattr(q, "items", {}) or {}).values()
    return {
        "labels": {"outcome": outcome, "category": category, "option": option, "theme": theme},
        "pii_items": [i.name for i in items if getattr(i, "pii", False)],
        "free_text_items": [i.name for i in items if _free_text(i)],
    }


def _free_text(item: Any) -> bool:
    return getattr(item, "type", "") == "text" and not getattr(item, "roles", None)


# --- per-variable labels of the subgroup variables; labels made safe for every output ---


def subgroup_labels(labels: dict[str, Any], variables: list[str]) -> dict[str, Any]:
    """``subgroup`` (each variable's own label) and ``level`` (each variable's own value
    labels, keyed by variable then code) for the breakdown ``variables``, read from the
    ``outcome`` and ``category`` labels of :func:`meta_from_questionnaire`. Keyed per
    variable so that two variables sharing a code (1 = village, 1 = man) keep their own.

    >>> labs = {"outcome": {"g": {"uk": "Стать", "en": "Sex"}},
    ...         "category": {"g": {"1": {"uk": "Чоловік", "en": "Man"}},
    ...                      "h": {"1": {"uk": "Село", "en": "Village"}}}}
    >>> out = subgroup_labels(labs, ["g", "h"])
    >>> out["level"]["g"]["1"]["en"], out["level"]["h"]["1"]["en"], out["subgroup"]["g"]["uk"]
    ('Man', 'Village', 'Стать')
    """
    outcome, category = labels.get("outcome", {}), labels.get("category", {})
    return {
        "subgroup": {v: outcome[v] for v in variables if v in outcome},
        "level": {v: category[v] for v in variables if v in category},
    }


def clean_labels(labels: Any) -> Any:
    """Every text of a labels mapping through :func:`trustsurvey._text.clean_text`
    (control characters and bidi overrides removed, length capped).

    >>> out = clean_labels({"community": {"a": {"uk": "Нова\\r\\x00", "en": "x" * 400}}})
    >>> out["community"]["a"]["uk"], len(out["community"]["a"]["en"])
    ('Нова\\n', 300)
    """
    from trustsurvey._text import clean_text

    if isinstance(labels, dict):
        return {k: clean_labels(v) for k, v in labels.items()}
    return clean_text(labels)
