"""Bilingual text: every label a person reads exists in Ukrainian and English.

Examples
--------
>>> t = Text(uk="Так", en="Yes")
>>> t.get("en"), t.get("uk")
('Yes', 'Так')
>>> Text(uk="Село").get("en")  # falls back to the other language
'Село'
"""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES: tuple[str, str] = ("uk", "en")


@dataclass(frozen=True)
class Text:
    """A text in Ukrainian (``uk``) and English (``en``); either may be missing."""

    uk: str | None = None
    en: str | None = None

    def get(self, lang: str = "uk") -> str:
        """The text in ``lang`` ("uk" or "en"), else in the other language, else ""."""
        first, second = (self.en, self.uk) if lang == "en" else (self.uk, self.en)
        return first or second or ""

    def __bool__(self) -> bool:
        return bool(self.uk or self.en)

    def __str__(self) -> str:
        return self.get("uk")

    def to_data(self) -> str | dict[str, str]:
        """YAML form: one string when both languages agree, else ``{uk: ..., en: ...}``."""
        if self.uk == self.en and self.uk is not None:
            return self.uk
        return {k: v for k, v in (("uk", self.uk), ("en", self.en)) if v is not None}

    @classmethod
    def same(cls, value: str) -> Text:
        """The same (language-neutral) text in both languages, e.g. an age band "18-34"."""
        return cls(uk=value, en=value)
