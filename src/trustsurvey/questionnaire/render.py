"""A questionnaire as a readable plain-text codebook (for the terminal or a report).

>>> from trustsurvey.questionnaire import loads_questionnaire
>>> q = loads_questionnaire('''
... name: t
... scales:
...   trust5:
...     codes: {1: Не довіряю, 5: Довіряю}
...     missing:
...       8: {uk: Важко відповісти, en: difficult to answer, kind: dont_know}
...       9: {uk: Відмова, en: refused, kind: refused}
... items:
...   - {name: q7_trust, type: likert, scale: trust5, text: {en: Trust in the police}}
... ''')
>>> print(render_codebook(q, "en"))
t  (t 1)
<BLANKLINE>
== Items ==
q7_trust [likert, scale trust5]
    Trust in the police
      1 = Не довіряю
      5 = Довіряю
    missing: 8 = difficult to answer [dont_know]; 9 = refused [refused]
"""

from __future__ import annotations

from trustsurvey.questionnaire.model import Questionnaire

_HEAD = {
    "uk": {
        "items": "Запитання",
        "indices": "Індекси",
        "codebook": "Кодувальна книга",
        "missing": "пропуски",
        "asked": "запитувати, якщо",
        "roles": "ролі",
        "pii": "ПЕРСОНАЛЬНІ ДАНІ",
        "reverse": "зворотне кодування",
        "mean": "середнє",
        "sum": "сума",
        "min_valid": "мін. дійсних",
        "reversed": "зворотні",
        "valence": "оцінка",
        "options": "варіанти (можна кілька)",
        "exclusive": "виключний",
        "range": "діапазон",
    },
    "en": {
        "items": "Items",
        "indices": "Indices",
        "codebook": "Codebook",
        "missing": "missing",
        "asked": "asked if",
        "roles": "roles",
        "pii": "PERSONAL DATA",
        "reverse": "reverse-keyed",
        "mean": "mean",
        "sum": "sum",
        "min_valid": "min valid",
        "reversed": "reversed",
        "valence": "valence",
        "options": "options (several allowed)",
        "exclusive": "exclusive",
        "range": "range",
    },
}


def _fmt(value: float | None) -> str:
    if value is None:
        return "…"
    return str(int(value)) if float(value).is_integer() else str(value)


def _kind(kind: str | None) -> str:
    """`` [kind]`` after a missing code's label, as written in the YAML (not for plain
    ``missing``)."""
    return f" [{kind}]" if kind and kind != "missing" else ""


def render_codebook(q: Questionnaire, lang: str = "uk") -> str:
    """The questionnaire as text in ``lang`` ("uk" or "en")."""
    h = _HEAD.get(lang, _HEAD["en"])
    lines = [f"{q.title.get(lang) or q.name}  ({q.name} {q.version})", ""]
    lines.append(f"== {h['items']} ==")
    for item in q.items.values():
        kind = item.type + (f", scale {item.scale}" if item.scale else "")
        flags = []
        if item.pii:
            flags.append(h["pii"])
        if item.reverse:
            flags.append(h["reverse"])
        lines.append(f"{item.name} [{kind}]" + (f"  ({'; '.join(flags)})" if flags else ""))
        if item.text:
            lines.append(f"    {item.text.get(lang)}")
        if item.relevant:
            lines.append(f"    {h['asked']}: {item.relevant}")
        for code, label in item.codes.items():
            lines.append(f"      {code} = {label.get(lang)}")
        if item.options:
            lines.append(f"    {h['options']}:")
            for code, label in item.options.items():
                mark = f"  ({h['exclusive']})" if code == item.exclusive else ""
                lines.append(f"      {code} = {label.get(lang)}{mark}")
        if item.min is not None or item.max is not None:
            lines.append(f"    {h['range']}: {_fmt(item.min)}–{_fmt(item.max)}")
        if item.missing:
            shown = "; ".join(
                f"{c} = {t.get(lang)}" + _kind(item.missing_kinds.get(c))
                for c, t in item.missing.items()
            )
            lines.append(f"    {h['missing']}: {shown}")
        if item.roles:
            lines.append(f"    {h['roles']}: {', '.join(sorted(item.roles))}")
    if q.indices:
        lines += ["", f"== {h['indices']} =="]
        for ix in q.indices.values():
            lines.append(f"{ix.name}: {ix.text.get(lang)}")
            rev = f"; {h['reversed']}: {', '.join(ix.reversed)}" if ix.reversed else ""
            lines.append(
                f"    {h[ix.method]}({', '.join(ix.items)}); {h['min_valid']} {ix.min_valid}{rev}"
            )
    if q.codebook:
        lines += ["", f"== {h['codebook']} =="]
        for theme in q.codebook.themes.values():
            indent = "    " if theme.parent else ""
            lines.append(f"{indent}{theme.code}: {theme.label.get(lang)}")
            if theme.description:
                lines.append(f"{indent}    {theme.description.get(lang)}")
        if q.codebook.valence and q.codebook.valence in q.scales:
            scale = q.scales[q.codebook.valence]
            shown = "; ".join(f"{c} = {t.get(lang)}" for c, t in scale.codes.items())
            lines.append(f"{h['valence']}: {shown}")
    return "\n".join(lines)
