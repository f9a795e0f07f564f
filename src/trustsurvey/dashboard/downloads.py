"""Downloads of exactly the tables shown, made for a reader of each language.

CSV in Ukrainian uses ``;`` between fields and a decimal comma (what Excel and LibreOffice
expect under a Ukrainian locale); in English ``,`` and a point. Both are UTF-8 with a BOM
(so Excel reads Cyrillic). A page with several tables gives one CSV block per table, each
under its translated name, and an XLSX sheet per table. File names carry the language.
Text cells that would start a formula are neutralised (:mod:`trustsurvey.publish.safe`).

>>> import pandas as pd
>>> df = pd.DataFrame({"Оцінка": [2.5, 3.25], "n": [1200, 30]})
>>> csv_bytes({"Вибірка": df}, "uk").decode("utf-8-sig").splitlines()
['Оцінка;n', '2,5;1200', '3,25;30']
>>> csv_bytes({"Sample": df}, "en").decode("utf-8-sig").splitlines()[1]
'2.5,1200'
>>> file_name("demo", "overview", "uk", "csv")
'demo-overview-uk.csv'
"""

from __future__ import annotations

import csv
import io
import re

import pandas as pd

from trustsurvey.publish.safe import neutralise_frame, to_xlsx_bytes

SEPARATOR = {"uk": ";", "en": ","}
DECIMAL = {"uk": ",", "en": "."}


def file_name(study: str, page: str, lang: str, ext: str) -> str:
    """``<study>-<page>-<lang>.<ext>``, with anything but letters, digits, ``-`` and ``_``
    replaced in the study's name."""
    return f"{file_stem(study, page)}-{lang}.{ext}"


def file_stem(study: str, page: str) -> str:
    """``<study>-<page>`` safe as a file name."""
    return re.sub(r"[^\w-]+", "_", f"{study}-{page}") or "table"


def csv_bytes(frames: dict[str, pd.DataFrame], lang: str) -> bytes:
    """One CSV of the ``frames`` (name -> table) in ``lang``'s separators; several tables
    follow each other, each under a line with its name and after an empty line."""
    sep, dec = SEPARATOR.get(lang, ","), DECIMAL.get(lang, ".")
    buf = io.StringIO()
    several = len(frames) > 1
    for i, (name, df) in enumerate(frames.items()):
        if several:
            if i:
                buf.write("\n")
            csv.writer(buf, delimiter=sep, lineterminator="\n").writerow(
                neutralise_frame(pd.DataFrame(columns=[name])).columns
            )
        neutralise_frame(df).to_csv(buf, sep=sep, decimal=dec, index=False, lineterminator="\n")
    return buf.getvalue().encode("utf-8-sig")


def xlsx_bytes(frames: dict[str, pd.DataFrame]) -> bytes:
    """An XLSX workbook with one sheet per table (headers already translated)."""
    return to_xlsx_bytes(frames)
