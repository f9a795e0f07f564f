"""Export helpers that neutralise spreadsheet formula injection (CSV, XLSX).

A text cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab / carriage return) would
be run as a formula by Excel or LibreOffice; it is prefixed with an apostrophe so it shows as
text (OWASP, "CSV Injection"). Numbers stay numbers.

>>> neutralise("=1+2")
"'=1+2"
>>> neutralise(-1.5)
-1.5
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

from trustsurvey._text import clean_text

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """``value`` cleaned, with a leading apostrophe if it is text starting like a formula."""
    if isinstance(value, str) and value.startswith(DANGEROUS):
        value = clean_text(value, max_length=None)
        return "'" + value
    value = clean_text(value, max_length=None)
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``df`` with text cells and column names neutralised."""
    out = df.copy()
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]) and not pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].astype(object).map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with BOM so Excel reads Cyrillic) of ``df``, formula-safe."""
    return neutralise_frame(df).to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """An XLSX workbook, one sheet per frame (names cut to 31 characters), formula-safe."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for name, df in sheets.items():
            sheet = neutralise(str(name))[:31].lstrip("'") or "table"
            neutralise_frame(df).to_excel(writer, sheet_name=sheet, index=False)
    return buf.getvalue()
