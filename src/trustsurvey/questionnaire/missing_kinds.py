"""Kinds of missing answers, and reading the kind from a code's label.

A missing-answer code is one of four kinds (:data:`MISSING_KINDS`): ``dont_know`` ("difficult
to answer", "don't know"), ``refused``, ``not_applicable`` (the question did not apply) and
plain ``missing`` (no answer, the default). Analyses read the kind, never the label: the
share of "difficult to answer" is the share of ``dont_know`` codes.

Questionnaire drafts made from SPSS files or XLSForms get their kinds from the labels
(:func:`infer_missing_kind`, Ukrainian, Russian and English wording) and print what they
inferred (:func:`missing_kind_lines`) for the researcher to check.

>>> infer_missing_kind("Важко відповісти")
'dont_know'
>>> infer_missing_kind("99. Відмова від відповіді (НЕ ЗАЧИТУВАТИ)")
'refused'
>>> infer_missing_kind("Скоріше довіряю") is None
True
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trustsurvey.questionnaire.model import Code, Questionnaire
    from trustsurvey.questionnaire.text import Text

#: the kinds of missing-answer codes; ``missing`` is the default
MISSING_KINDS: tuple[str, ...] = ("dont_know", "refused", "not_applicable", "missing")
DEFAULT_KIND = "missing"

# Phrases as they read after normalisation (lower case, apostrophes dropped, ё → е,
# single spaces); a label matches when it is one of them, or one of its parts is.
_PHRASES: dict[str, tuple[str, ...]] = {
    "dont_know": (
        # English
        "difficult to answer",
        "difficult to say",
        "hard to answer",
        "hard to say",
        "dont know",
        "do not know",
        "dk",
        "dunno",
        "cant say",
        "can not say",
        "cannot say",
        "cant choose",
        "can not choose",
        "cannot choose",
        "not sure",
        "unsure",
        "no opinion",
        "undecided",
        # Ukrainian
        "важко відповісти",
        "важко сказати",
        "складно відповісти",
        "складно сказати",
        "не знаю",
        "не можу відповісти",
        "не можу сказати",
        "не визначився",
        "не визначилася",
        "не визначилися",
        "не можу визначитися",
        "не можу визначитись",
        "важко визначитися",
        "важко визначитись",
        "затрудняюся відповісти",
        "не впевнений",
        "не впевнена",
        "немає думки",
        # Russian
        "затрудняюсь ответить",
        "затрудняюсь сказать",
        "затрудняюсь",
        "трудно ответить",
        "трудно сказать",
        "сложно ответить",
        "сложно сказать",
        "не могу ответить",
        "не могу сказать",
        "не определился",
        "не определилась",
        "нет мнения",
    ),
    "refused": (
        # English
        "refused",
        "refusal",
        "refuse",
        "refused to answer",
        "refuse to answer",
        "declined",
        "declined to answer",
        "prefer not to say",
        "prefer not to answer",
        "rather not say",
        # Ukrainian
        "відмова",
        "відмова від відповіді",
        "відмова відповідати",
        "відмовився",
        "відмовилася",
        "відмовився відповідати",
        "відмовилася відповідати",
        "відмовився від відповіді",
        "не хочу відповідати",
        "не бажаю відповідати",
        # Russian
        "отказ",
        "отказ от ответа",
        "отказ отвечать",
        "отказался",
        "отказалась",
        "отказался отвечать",
        "отказался от ответа",
        "не хочу отвечать",
        "не желаю отвечать",
    ),
    "not_applicable": (
        # English
        "not applicable",
        "n/a",
        "inapplicable",
        "does not apply",
        "not asked",
        # Ukrainian
        "не застосовно",
        "не застосовується",
        "не стосується",
        "не стосується мене",
        "питання не ставилося",
        "не ставилося",
        "не питали",
        # Russian
        "не применимо",
        "неприменимо",
        "не относится",
        "не относится ко мне",
        "вопрос не задавался",
        "не задавался",
    ),
    "missing": (
        # English
        "no answer",
        "not answered",
        "no response",
        "nonresponse",
        "non-response",
        "missing",
        "system missing",
        # Ukrainian
        "немає відповіді",
        "нема відповіді",
        "без відповіді",
        "не відповів",
        "не відповіла",
        "пропуск",
        "пропущено",
        # Russian
        "нет ответа",
        "без ответа",
        "не ответил",
        "не ответила",
    ),
}
_KIND_OF: dict[str, str] = {
    phrase: kind for kind, phrases in _PHRASES.items() for phrase in phrases
}
_APOSTROPHES = re.compile(r"[’'ʼ`´′‘]")
_BRACKETS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_NUMBERING = re.compile(r"^\s*[-+]?\d+(?:[.,]\d+)?\s*(?:[.):=]|[-–—]\s)?\s*")
_PARTS = re.compile(r"\s*(?:/|;|\||,|\s[-–—]\s|\sor\s|\sабо\s|\sчи\s|\sили\s)\s*")
_EDGES = ' .,:;!?"«»“”*-–—_'


def normalise_label(label: str) -> str:
    """A label as it is matched: lower case, without apostrophes, bracketed remarks,
    a leading code number or surrounding punctuation; ``ё`` read as ``е``.

    >>> normalise_label("  98. Don’t  KNOW (do not read out)")
    'dont know'
    """
    text = unicodedata.normalize("NFKC", label).casefold().replace("ё", "е")
    text = _APOSTROPHES.sub("", text)
    text = _BRACKETS.sub(" ", text)
    text = _NUMBERING.sub("", text)
    return " ".join(text.split()).strip(_EDGES)


def _infer_one(label: str) -> str | None:
    text = normalise_label(label)
    if not text:
        return None
    if text in _KIND_OF:
        return _KIND_OF[text]
    for part in _PARTS.split(text):
        kind = _KIND_OF.get(part.strip(_EDGES))
        if kind is not None:
            return kind
    return None


def infer_missing_kind(*labels: str | None) -> str | None:
    """The kind of missing answer that ``labels`` name, or None when none is recognised.

    Each label is tried in turn (e.g. the Ukrainian and the English label of one code); the
    first recognised one decides. A label matches when, ignoring case, apostrophes,
    spacing, bracketed remarks ("(не зачитувати)"), a leading code number and surrounding
    punctuation, it is a known phrase ("Важко відповісти", "Затрудняюсь ответить",
    "Don't know", "Відмова", "Not applicable", "No answer", …) or one of its parts split
    at ``/ ; , |``, dashes or "or" is; a label naming two kinds ("Важко відповісти /
    відмова") gets the first. Phrases inside a longer answer ("Ні, не знаю його") do not
    count, so substantive answers are not taken for missing ones.

    >>> infer_missing_kind("Затрудняюсь ответить"), infer_missing_kind(None, "Hard to say")
    ('dont_know', 'dont_know')
    >>> infer_missing_kind("Отказ от ответа"), infer_missing_kind("N/A")
    ('refused', 'not_applicable')
    >>> infer_missing_kind("No answer"), infer_missing_kind("Не знаю свого дільничного")
    ('missing', None)
    """
    for label in labels:
        if label is None:
            continue
        kind = _infer_one(str(label))
        if kind is not None:
            return kind
    return None


def infer_from_text(text: Text | None, code: Code | None = None) -> str | None:
    """:func:`infer_missing_kind` over both languages of ``text`` (and a string ``code``
    such as an XLSForm choice name ``dk``)."""
    labels: list[str | None] = []
    if text is not None:
        labels += [text.own("uk"), text.own("en")]
    if isinstance(code, str):
        labels.append(code.replace("_", " "))
    return infer_missing_kind(*labels)


def check_kind(kind: Any) -> str:
    """``kind`` itself when it is one of :data:`MISSING_KINDS`; ValueError otherwise.

    >>> check_kind("refused")
    'refused'
    """
    if kind not in MISSING_KINDS:
        raise ValueError(
            f"unknown missing-code kind {kind!r}; the kinds are {', '.join(MISSING_KINDS)}"
        )
    return str(kind)


def kind_hint(kind: Any) -> str:
    """What to write instead of an unknown kind (a did-you-mean when one is close)."""
    import difflib

    guess = infer_missing_kind(str(kind).replace("_", " ")) if kind is not None else None
    if guess is None:
        close = difflib.get_close_matches(str(kind), MISSING_KINDS, n=1, cutoff=0.6)
        guess = close[0] if close else None
    listed = f"kinds are: {', '.join(MISSING_KINDS)}"
    return f"did you mean {guess!r}? ({listed})" if guess else f"the {listed}"


def looks_like_missing_code(code: Code, valid: list[Code]) -> bool:
    """Is ``code`` where survey firms put missing answers: a whole number outside the range
    of the question's answer codes ``valid`` (8, 9, 98, 99 after 1–5; 6 after 1–5; 0 before
    1–5; -1)? A code among the answer codes (``2 = Не знаю`` between 1 and 3) is not.

    >>> looks_like_missing_code(98, [1, 2, 3, 4, 5]), looks_like_missing_code(2, [1, 3])
    (True, False)
    """
    if isinstance(code, bool) or not isinstance(code, int | float):
        return False
    if not float(code).is_integer():
        return False
    others = [
        float(c)
        for c in valid
        if isinstance(c, int | float) and not isinstance(c, bool) and c != code
    ]
    return not others or code > max(others) or code < min(others)


def missing_kind_lines(q: Questionnaire, lang: str = "uk") -> list[str]:
    """One line per scale or group of items with the same missing codes: each code, its
    label and its kind, e.g. ``scale agree: 8 = Важко відповісти → dont_know``.

    >>> from trustsurvey.questionnaire import loads_questionnaire
    >>> q = loads_questionnaire('''
    ... name: t
    ... items:
    ...   - {name: a, type: single, codes: {1: Так, 2: Ні},
    ...      missing: {8: {uk: Важко відповісти, kind: dont_know}, 9: Відмова}}
    ... ''')
    >>> missing_kind_lines(q)
    ['item a: 8 = Важко відповісти → dont_know; 9 = Відмова → missing']
    """
    lines: list[str] = []
    for name, scale in q.scales.items():
        if scale.missing:
            lines.append(f"scale {name}: {_shown(scale.missing, scale.missing_kinds, lang)}")
    groups: dict[str, list[str]] = {}
    for item in q.items.values():
        if not item.missing:
            continue
        own = q.scales.get(item.scale) if item.scale else None
        if (
            own is not None
            and own.missing == item.missing
            and own.missing_kinds == item.missing_kinds
        ):
            continue
        shown = _shown(item.missing, item.missing_kinds, lang)
        groups.setdefault(shown, []).append(item.name)
    for shown, names in groups.items():
        label = "item" if len(names) == 1 else "items"
        lines.append(f"{label} {', '.join(names)}: {shown}")
    return lines


def _shown(missing: dict[Code, Text], kinds: dict[Code, str], lang: str) -> str:
    return "; ".join(
        f"{code} = {text.get(lang) or '(no label)'} → {kinds.get(code, DEFAULT_KIND)}"
        for code, text in missing.items()
    )


def split_missing_codes(
    codes: dict[Code, Text],
    missing: dict[Code, Text],
    kinds: dict[Code, str] | None = None,
    *,
    where: str,
    notes: list[str],
    recognise: bool = True,
    text_codes: bool = False,
) -> tuple[dict[Code, Text], dict[Code, Text], dict[Code, str]]:
    """Codes, missing codes and kinds of a drafted question (SPSS or XLSForm reader).

    Missing codes without a kind get the one their label names (plain ``missing`` when the
    label names none). With ``recognise``, an answer code whose label names a kind becomes
    a missing code when it lies outside the range of the other answer codes
    (:func:`looks_like_missing_code`, where firms put missing answers; with
    ``text_codes`` also any text code such as ``dk``);
    elsewhere it stays an answer. Each such decision is added to ``notes`` (``where`` names
    the question).

    >>> from trustsurvey.questionnaire.text import Text
    >>> notes = []
    >>> codes = {1: Text(uk="Так"), 2: Text(uk="Ні"), 98: Text(uk="Важко відповісти")}
    >>> codes, missing, kinds = split_missing_codes(codes, {99: Text(uk="Відмова")},
    ...                                             where="q5", notes=notes)
    >>> list(codes), kinds
    ([1, 2], {99: 'refused', 98: 'dont_know'})
    """
    codes, missing = dict(codes), dict(missing)
    kinds = {c: k for c, k in (kinds or {}).items() if c in missing}
    for code, text in missing.items():
        if code not in kinds:
            kinds[code] = infer_from_text(text, code) or DEFAULT_KIND
    if not recognise:
        return codes, missing, kinds
    named = {code: infer_from_text(text, code) for code, text in codes.items()}
    valid = [code for code, kind in named.items() if kind is None]
    for code, text in list(codes.items()):
        kind = named[code]
        if kind is None:
            continue
        shown = f"{where}: code {code} {text.get('uk')!r}"
        if looks_like_missing_code(code, valid) or (text_codes and isinstance(code, str)):
            missing[code] = codes.pop(code)
            kinds[code] = kind
            notes.append(f"{shown} is read as a missing code ({kind}); it was not marked missing")
        else:
            notes.append(
                f"{shown} reads like a missing answer ({kind}) but is kept as an answer; "
                "move it under missing: if it is one"
            )
    return codes, missing, kinds


def kind_suggestions(q: Questionnaire) -> list[str]:
    """Missing codes left plain ``missing`` whose label names another kind: a hint to add
    ``kind:`` (analyses read the kind, never the label).

    >>> from trustsurvey.questionnaire import loads_questionnaire
    >>> q = loads_questionnaire('''
    ... name: t
    ... scales:
    ...   s: {codes: {1: "Yes", 2: "No"}, missing: {8: Difficult to answer}}
    ... items:
    ...   - {name: a, type: single, scale: s}
    ... ''')
    >>> kind_suggestions(q)
    ["scale s: missing code 8 'Difficult to answer' looks like dont_know; add kind: dont_know"]
    """
    out: list[str] = []
    owners: list[tuple[str, dict[Code, Text], dict[Code, str]]] = [
        (f"scale {name}", s.missing, s.missing_kinds) for name, s in q.scales.items()
    ]
    for item in q.items.values():
        scale = q.scales.get(item.scale) if item.scale else None
        if scale is None or scale.missing != item.missing:
            owners.append((f"item {item.name}", item.missing, item.missing_kinds))
    for owner, missing, kinds in owners:
        for code, text in missing.items():
            guess = infer_from_text(text, code)
            if kinds.get(code) == DEFAULT_KIND and guess not in (None, DEFAULT_KIND):
                out.append(
                    f"{owner}: missing code {code} {text.get('en')!r} looks like {guess}; "
                    f"add kind: {guess}"
                )
    return out
