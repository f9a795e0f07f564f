"""Text from data files made safe for every output format, in one place.

Labels, community names and other text that a data file or a study's tables carry end up in
HTML, XLSX, CSV, Markdown and the dashboard. This removes what no reader wants there:

- control characters (C0 and C1, except tab and newline; a carriage return becomes a line
  break), which openpyxl refuses (``IllegalCharacterError``) and which break table rows;
- Unicode bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069), which can make
  a name display as something else ("Trojan Source", CVE-2021-42574);
- text over ``max_length`` characters, cut with an ellipsis (a 100,000-character community
  name would stall a browser).

>>> clean_text("Чугуїв\\x00\\x1b громада\\r\\nпілот")
'Чугуїв громада\\nпілот'
>>> clean_text("abc\\u202edef")
'abcdef'
>>> clean_text("x" * 10, max_length=5)
'xxxx…'
>>> clean_text(3.5)
3.5
"""

from __future__ import annotations

import re
from typing import Any

#: longest label kept whole in published output
MAX_LABEL = 300

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean_text(value: Any, *, max_length: int | None = MAX_LABEL) -> Any:
    """``value`` without control characters and bidi overrides, at most ``max_length`` long.

    Anything that is not a string is returned as it is.
    """
    if not isinstance(value, str):
        return value
    text = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    if max_length is not None and len(text) > max_length:
        text = text[: max_length - 1] + "…"
    return text


def needs_cleaning(value: Any, *, max_length: int | None = MAX_LABEL) -> bool:
    """Whether :func:`clean_text` would change ``value``.

    >>> needs_cleaning("ok"), needs_cleaning("a\\x07")
    (False, True)
    """
    return isinstance(value, str) and clean_text(value, max_length=max_length) != value
