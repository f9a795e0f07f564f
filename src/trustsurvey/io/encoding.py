"""Text encodings of legacy Ukrainian survey files and detection of mojibake.

Fieldwork firms still deliver SPSS files written in Windows-1251, DOS 866 or KOI8-U. Read
with the wrong code page, Cyrillic turns into Latin-1-looking text ("Äîâ³ðà" is
"Довіра" in cp1251 bytes shown as Latin-1; "Ð”Ð¾Ð²Ñ–Ñ€Ð°" is UTF-8 bytes shown as
cp1252) or into Cyrillic gibberish ("Р”РѕРІС–СЂР°" is UTF-8 read as cp1251). We detect
these by re-encoding the text the way it was probably mis-decoded and checking whether the
other code page gives mostly Cyrillic letters.

Examples
--------
>>> detect_mojibake("Äîâ³ðà")
'cp1251'
>>> detect_mojibake("Ð”Ð¾Ð²Ñ–Ñ€Ð°")
'utf-8'
>>> detect_mojibake("Довіра") is None
True
>>> detect_mojibake("Café") is None
True
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable

from trustsurvey.errors import InputFileError

CYRILLIC = re.compile(r"[\u0400-\u04FF]")
LETTER = re.compile(r"[^\W\d_]")
# Latin-1 supplement letters and the cp1252 punctuation that UTF-8 lead/continuation bytes
# become when mis-decoded.
HIGH_LATIN = re.compile(
    r"[\u0080-\u00FF\u0152\u0153\u0160\u0161\u0178\u017D\u017E\u0192\u02C6\u02DC\u2013-\u203A\u20AC\u2122]"
)

#: legacy code pages to try, most common first (Ukraine: Windows, then DOS, then KOI8-U)
CANDIDATES = ("utf-8", "cp1251", "cp866", "koi8-u")


def normalise_encoding(name: str | None, *, file: str | None = None) -> str | None:
    """A codec name both Python and iconv (pyreadstat) understand, e.g. ``"windows-1251"``
    → ``"cp1251"``, ``"koi8_u"`` → ``"koi8-u"``.

    >>> normalise_encoding("Windows-1251"), normalise_encoding("KOI8_U")
    ('cp1251', 'koi8-u')
    """
    if name is None:
        return None
    try:
        canonical = codecs.lookup(name).name
    except LookupError as err:
        raise InputFileError(
            f"unknown text encoding {name!r}",
            file=file,
            hint="use one of utf-8, cp1251 (Windows Cyrillic), cp866 (DOS), koi8-u",
        ) from err
    return {"iso8859-1": "latin1", "iso8859-5": "iso-8859-5"}.get(canonical, canonical)


def _share(pattern: re.Pattern[str], text: str) -> float:
    letters = LETTER.findall(text)
    if not letters:
        return 0.0
    return sum(1 for ch in letters if pattern.match(ch)) / len(letters)


#: the most frequent lower-case letters of Ukrainian and Russian prose (about 3/4 of letters)
FREQUENT = set("оаеінтирсвлкдпмуяз")


def _frequent_share(text: str) -> float:
    """Share of frequent Cyrillic letters among all visible characters."""
    visible = [ch for ch in text if not ch.isspace()]
    return sum(ch in FREQUENT for ch in visible) / len(visible) if visible else 0.0


def _wrong_cyrillic_page(text: str, used: str) -> str | None:
    """Cyrillic read with the wrong Cyrillic code page (e.g. cp1251 bytes as KOI8-U) gives
    Cyrillic gibberish; another code page then gives far more frequent letters."""
    if len(CYRILLIC.findall(text)) < 4:
        return None
    try:
        raw = text.encode(used)
    except (UnicodeEncodeError, LookupError):
        return None
    here = _frequent_share(text)
    best: tuple[float, str] | None = None
    for enc in CANDIDATES:
        if enc == used:
            continue
        try:
            fixed = raw.decode(enc)
        except UnicodeDecodeError:
            continue
        score = _frequent_share(fixed)
        if score >= 0.5 and score > here + 0.25 and (best is None or score > best[0]):
            best = (score, enc)
    return best[1] if best else None


def detect_mojibake(text: str, used: str | None = None) -> str | None:
    """The encoding ``text`` was probably written in, if it looks mis-decoded; else None.

    ``used`` is the encoding the text was decoded with, if known (enables the check for
    Cyrillic decoded with the wrong Cyrillic code page).
    """
    if not text or len(text) < 2:
        return None
    if used and CYRILLIC.search(text):
        norm = normalise_encoding(used)
        if norm in CANDIDATES and norm != "utf-8":
            guess = _wrong_cyrillic_page(text, norm)
            if guess:
                return guess
    if CYRILLIC.search(text):
        # UTF-8 bytes decoded as cp1251: "Р”РѕРІС–..." re-encodes to valid UTF-8 Cyrillic
        try:
            fixed = text.encode("cp1251").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return None
        if fixed != text and _share(CYRILLIC, fixed) >= 0.6:
            return "utf-8"
        return None
    high = sum(1 for ch in text if HIGH_LATIN.match(ch))
    letters_and_high = len(LETTER.findall(text))
    if high < 2 or high < 0.5 * max(letters_and_high, 1):
        return None
    best: tuple[float, str] | None = None
    for raw in _byte_readings(text):
        for enc in CANDIDATES:
            try:
                fixed = raw.decode(enc)
            except UnicodeDecodeError:
                continue
            if _share(CYRILLIC, fixed) >= 0.6:
                score = _plausibility(fixed)
                if best is None or score > best[0]:
                    best = (score, enc)
    return best[1] if best else None


def _byte_readings(text: str) -> list[bytes]:
    """The bytes ``text`` came from if it was mis-decoded as cp1252 or Latin-1 (or a mix:
    bytes cp1252 leaves undefined are often shown as Latin-1 controls)."""
    out = []
    for source in ("cp1252", "latin-1"):
        try:
            out.append(text.encode(source))
        except UnicodeEncodeError:
            continue
    if not out:
        mixed = bytearray()
        for ch in text:
            try:
                mixed += ch.encode("cp1252")
            except UnicodeEncodeError:
                if ord(ch) > 0xFF:
                    return out
                mixed.append(ord(ch))
        out.append(bytes(mixed))
    return out


def _plausibility(text: str) -> float:
    """How much ``text`` looks like natural Cyrillic prose: Cyrillic letters among visible
    characters, plus a bonus for lower case (wrong Cyrillic code pages swap case)."""
    visible = [ch for ch in text if not ch.isspace()]
    cyr = [ch for ch in visible if CYRILLIC.match(ch)]
    if not visible or not cyr:
        return 0.0
    return len(cyr) / len(visible) + 0.5 * sum(ch.islower() for ch in cyr) / len(cyr)


def check_mojibake(
    texts: Iterable[tuple[str, str]], *, file: str | None, encoding: str | None
) -> None:
    """Raise :class:`InputFileError` if any ``(variable, text)`` looks mis-decoded.

    ``encoding`` is the encoding the texts were decoded with. The error names the variables
    affected and the encoding to try.
    """
    affected: dict[str, str] = {}
    for variable, text in texts:
        if variable in affected or not isinstance(text, str):
            continue
        guess = detect_mojibake(text, encoding)
        if guess is not None:
            affected[variable] = guess
    if not affected:
        return
    guesses = sorted(set(affected.values()), key=list(CANDIDATES).index)
    used = f"read as {encoding}" if encoding else "read with the file's declared encoding"
    raise InputFileError(
        f"text looks garbled ({used}), e.g. labels or values are mojibake, not Ukrainian",
        file=file,
        item=list(affected),
        hint=f"read it again with encoding={guesses[0]!r}"
        + (f" (or {', '.join(repr(g) for g in guesses[1:])})" if len(guesses) > 1 else ""),
    )
