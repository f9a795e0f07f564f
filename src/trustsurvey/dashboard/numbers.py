"""Numbers as a reader of each language writes them.

Ukrainian: decimal comma, a narrow no-break (thin) space between thousands, the minus sign
U+2212; English: decimal point, comma thousands. Percent and p-values likewise.

>>> fmt_number(1234.5, "uk", 1), fmt_number(1234.5, "en", 1)
('1\\u202f234,5', '1,234.5')
>>> fmt_number(-0.0381, "uk", 2, sign=True), fmt_number(0.278, "en", 2, sign=True)
('\\u22120,04', '+0.28')
>>> fmt_p(0.00045, "uk"), fmt_p(0.0449, "en")
('< 0,001', '= 0.045')
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import pandas as pd

THIN = "\u202f"  # narrow no-break space: thousands in Ukrainian (CLDR uk)
MINUS = "\u2212"


def fmt_number(x: Any, lang: str, digits: int = 2, *, sign: bool = False) -> str:
    """``x`` rounded to ``digits`` decimals in ``lang``'s format ("" for missing values)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    value = round(float(x), digits)
    text = f"{abs(value):,.{digits}f}"
    if lang == "uk":
        text = text.replace(",", THIN).replace(".", ",")
    if value < 0:
        return MINUS + text
    return ("+" + text) if sign and value > 0 else text


def fmt_count(x: Any, lang: str) -> str:
    """A whole number with the thousands separator of ``lang``."""
    return fmt_number(x, lang, 0)


def fmt_p(p: float, lang: str) -> str:
    """A p-value with its relation: "= 0.031" (three decimals) or "< 0.001"."""
    if p < 0.001:
        return "< " + fmt_number(0.001, lang, 3)
    return "= " + fmt_number(p, lang, 3)


def fmt_cell(value: Any, lang: str, digits: int = 3) -> str:
    """A table cell: whole numbers with thousands, other numbers with ``digits`` decimals,
    both in ``lang``'s format; text as it is; missing values empty.

    >>> fmt_cell(3956, "uk"), fmt_cell(2.7131, "uk"), fmt_cell(None, "en"), fmt_cell("a", "en")
    ('3\u202f956', '2,713', '', 'a')
    """
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool | str):
        return str(value)
    if isinstance(value, numbers.Integral):
        return fmt_count(value, lang)
    if isinstance(value, numbers.Real):
        return fmt_number(value, lang, digits)
    return str(value)
