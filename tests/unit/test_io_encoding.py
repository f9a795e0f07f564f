"""Mojibake detection: Ukrainian text decoded with the wrong code page is recognised and the
right encoding suggested; genuine text (Ukrainian, English, accented Latin) is left alone."""

from __future__ import annotations

import pytest

from trustsurvey.errors import InputFileError
from trustsurvey.io.encoding import check_mojibake, detect_mojibake, normalise_encoding

PHRASES = ["Повністю довіряю", "Важко відповісти", "Поліція пояснює свої рішення"]


@pytest.mark.parametrize("phrase", PHRASES)
@pytest.mark.parametrize("written", ["utf-8", "cp1251", "koi8-u"])
@pytest.mark.parametrize("shown_as", ["latin-1", "cp1252"])
def test_cyrillic_shown_as_latin_is_detected(phrase: str, written: str, shown_as: str) -> None:
    # bytes cp1252 leaves undefined (0x81, 0x8D, …) are shown as Latin-1 controls
    garbled = "".join(
        bytes([b]).decode(shown_as, errors="ignore") or chr(b) for b in phrase.encode(written)
    )
    assert detect_mojibake(garbled) == written


def test_cp866_russian_shown_as_latin() -> None:
    # cp866 has no і/ї/є: DOS-era files are usually Russian
    garbled = "Доверие полиции".encode("cp866").decode("latin-1")
    assert detect_mojibake(garbled) == "cp866"


@pytest.mark.parametrize("phrase", PHRASES)
@pytest.mark.parametrize(("written", "read_as"), [("cp1251", "koi8-u"), ("koi8-u", "cp1251")])
def test_wrong_cyrillic_code_page(phrase: str, written: str, read_as: str) -> None:
    garbled = phrase.encode(written).decode(read_as)
    assert detect_mojibake(garbled, read_as) == written


@pytest.mark.parametrize("phrase", PHRASES)
def test_utf8_read_as_cp1251(phrase: str) -> None:
    garbled = phrase.encode("utf-8").decode("cp1251", errors="replace")
    assert detect_mojibake(garbled, "cp1251") == "utf-8"


@pytest.mark.parametrize(
    "text",
    [*PHRASES, "Київ", "Так", "Café crème", "Müller", "naïve", "Trust in police", "18-34", "—"],
)
@pytest.mark.parametrize("used", [None, "utf-8", "cp1251"])
def test_genuine_text_passes(text: str, used: str | None) -> None:
    assert detect_mojibake(text, used) is None


def test_check_names_variables_and_encoding() -> None:
    texts = [("trust", "Äîâ³ðà"), ("region", "Київ"), ("comment", "Ð”Ð¾Ð²Ñ–Ñ€Ð°")]
    with pytest.raises(InputFileError) as info:
        check_mojibake(texts, file="w1.sav", encoding="latin1")
    assert info.value.item == ["trust", "comment"]
    assert "encoding='utf-8'" in str(info.value) and "'cp1251'" in str(info.value)


def test_normalise_encoding_names() -> None:
    assert normalise_encoding("Windows-1251") == "cp1251"
    assert normalise_encoding("KOI8_U") == "koi8-u"
    assert normalise_encoding("utf8") == "utf-8"
    with pytest.raises(InputFileError, match="unknown text encoding"):
        normalise_encoding("klingon")
