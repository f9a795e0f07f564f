"""Bilingual text: every label a person reads, in Ukrainian and English, or in one of them.

A text given in one language only is shown in that language wherever the other is asked
for: ``.get(lang)``, ``.uk`` and ``.en`` never return None. What was actually written is
``.own(lang)`` (used to write the YAML back).

Examples
--------
>>> t = Text(uk="Так", en="Yes")
>>> t.get("en"), t.get("uk")
('Yes', 'Так')
>>> Text(uk="Село").get("en")  # falls back to the other language
'Село'
>>> Text(en="Village").uk, Text(en="Village").own("uk") is None
('Village', True)
"""

from __future__ import annotations

from typing import Any

LANGUAGES: tuple[str, str] = ("uk", "en")


class Text:
    """A text in Ukrainian (``uk``) and English (``en``); either may be missing.

    Immutable and hashable; two texts are equal when they were written the same.
    """

    __slots__ = ("_en", "_uk")
    _uk: str | None
    _en: str | None

    def __init__(self, uk: str | None = None, en: str | None = None) -> None:
        object.__setattr__(self, "_uk", uk)
        object.__setattr__(self, "_en", en)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Text is immutable")

    def __reduce__(self) -> tuple[type[Text], tuple[str | None, str | None]]:
        return (Text, (self._uk, self._en))

    @property
    def uk(self) -> str:
        """The Ukrainian text, else the English one, else ""."""
        return self.get("uk")

    @property
    def en(self) -> str:
        """The English text, else the Ukrainian one, else ""."""
        return self.get("en")

    def own(self, lang: str) -> str | None:
        """The text as written in ``lang`` ("uk" or "en"), None when not given."""
        return self._en if lang == "en" else self._uk

    def get(self, lang: str = "uk") -> str:
        """The text in ``lang`` ("uk" or "en"), else in the other language, else ""."""
        first, second = (self._en, self._uk) if lang == "en" else (self._uk, self._en)
        return first or second or ""

    def __bool__(self) -> bool:
        return bool(self._uk or self._en)

    def __str__(self) -> str:
        return self.get("uk")

    def __repr__(self) -> str:
        return f"Text(uk={self._uk!r}, en={self._en!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Text):
            return NotImplemented
        return (self._uk, self._en) == (other._uk, other._en)

    def __hash__(self) -> int:
        return hash((self._uk, self._en))

    def to_data(self) -> str | dict[str, str]:
        """YAML form: one string when both languages agree, else ``{uk: ..., en: ...}``."""
        if self._uk == self._en and self._uk is not None:
            return self._uk
        return {k: v for k, v in (("uk", self._uk), ("en", self._en)) if v is not None}

    @classmethod
    def same(cls, value: str) -> Text:
        """The same (language-neutral) text in both languages, e.g. an age band "18-34"."""
        return cls(uk=value, en=value)
