"""The programme vocabulary: codes of activity types, appeal channels and categories, etc.

The vocabulary is an ordinary questionnaire file (single-choice items with text codes), by
default the bundled ``programme_vocabulary`` instrument, so it is read and checked by
:func:`trustsurvey.questionnaire.load_questionnaire` with the same errors (file, key path,
line, hint) as any questionnaire.

>>> vocab = load_vocabulary()
>>> "round_table" in vocab.codes("activity_type"), vocab.label("category", "rudeness", "uk")
(True, 'Грубість')
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from trustsurvey.errors import QuestionnaireError

#: items the vocabulary must define
REQUIRED_LISTS = ("activity_type", "channel", "category", "resolved", "test_phase")


@dataclass(frozen=True)
class Vocabulary:
    """Code lists (code -> {uk, en} label) by name."""

    lists: dict[str, dict[str, dict[str, str]]]
    source: str

    def codes(self, name: str) -> list[str]:
        """The codes of list ``name`` in vocabulary order."""
        return list(self.lists[name])

    def label(self, name: str, code: str, lang: str = "en") -> str:
        """The label of ``code`` in ``lang`` (the code itself when unknown)."""
        return self.lists.get(name, {}).get(code, {}).get(lang, code)


def load_vocabulary(
    ref: str | Path = "programme_vocabulary", folder: Path | None = None
) -> Vocabulary:
    """Read a vocabulary: a bundled instrument name or a YAML path (relative to ``folder``)."""
    from trustsurvey.questionnaire import instrument_path, load_questionnaire

    path = Path(ref)
    if folder is not None and not path.is_absolute() and (folder / path).is_file():
        path = folder / path
    elif not path.is_file():
        path = instrument_path(str(ref))
    q = load_questionnaire(path)
    lists = {
        name: {str(code): {"uk": t.uk, "en": t.en} for code, t in item.codes.items()}
        for name, item in q.items.items()
        if item.codes
    }
    missing = [n for n in REQUIRED_LISTS if n not in lists]
    if missing:
        raise QuestionnaireError(
            f"the programme vocabulary lacks code list(s) {', '.join(missing)}",
            file=path,
            item="items",
            hint="add single-choice items with these names and their codes "
            "(see the bundled programme_vocabulary.yaml)",
        )
    return Vocabulary(lists=lists, source=str(path))
