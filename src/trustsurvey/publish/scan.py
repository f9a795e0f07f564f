"""Refuse anything that is not an aggregate: PII, free text, respondent-level tables.

Checks every table before it is written and again when a bundle is read:

* every column belongs to the table kind's declared schema;
* no column is named like personal data (``phone``, ``name``, ``respondent_id``, ...);
* no key value names an item flagged PII or free text in the questionnaire;
* no key value looks like free text (long, multi-line);
* no table has as many rows as the study has respondents.

>>> import pandas as pd
>>> scan_tables({"quality": pd.DataFrame({"wave": [1], "check": ["x"], "phone": [1]})})
Traceback (most recent call last):
...
trustsurvey.errors.PublishError: item phone: table 'quality' has a column that is not ...
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import pandas as pd

from trustsurvey.errors import PublishError
from trustsurvey.publish.schema import KINDS

PII_NAME = re.compile(
    r"(^|_)(id|uuid|respondent|resp|name|surname|phone|tel|mobile|email|e_mail|address|street|"
    r"house|passport|ipn|inn|birth|dob|lat|lon|lng|latitude|longitude|gps|geo|ip|device|imei|"
    r"comment|comments|text|open|other_specify|note|notes|quote|verbatim|interviewer)($|_)",
    re.IGNORECASE,
)
MAX_KEY_LENGTH = 120


def scan_tables(
    tables: Mapping[str, pd.DataFrame],
    *,
    n_respondents: int | None = None,
    pii_items: Iterable[str] = (),
    free_text_items: Iterable[str] = (),
    file: str | None = None,
) -> None:
    """Raise :class:`PublishError` at the first table that is not a pure aggregate."""
    banned = {str(i).lower() for i in (*pii_items, *free_text_items)}
    for kind, df in tables.items():
        spec = KINDS.get(kind)
        if spec is None:
            raise PublishError(
                f"unknown table {kind!r}", file=file, item=kind, hint="use a declared kind"
            )
        allowed = set(spec.columns)
        for col in df.columns:
            if col not in allowed or (PII_NAME.search(str(col)) and col not in allowed):
                raise PublishError(
                    f"table {kind!r} has a column that is not an aggregate of its kind ({col!r})",
                    file=file,
                    item=str(col),
                    hint="publish aggregates only: the columns of a "
                    f"'{kind}' table are {', '.join(spec.columns)}",
                )
        if n_respondents and len(df) >= n_respondents:
            raise PublishError(
                f"table {kind!r} has {len(df)} rows for {n_respondents} respondents: it looks "
                "like respondent-level data",
                file=file,
                item=kind,
                hint="publish tables aggregated by community, arm and wave",
            )
        for key in spec.keys:
            if key == "wave" or key not in df.columns:
                continue
            values = df[key].dropna().astype(str)
            hit = values[values.str.lower().isin(banned)]
            if len(hit):
                raise PublishError(
                    f"table {kind!r} publishes item {hit.iloc[0]!r}, which the questionnaire "
                    "flags as personal data or free text",
                    file=file,
                    item=str(hit.iloc[0]),
                    hint="remove that item from the published tables; it never leaves the "
                    "researcher's machine",
                )
            long = values[(values.str.len() > MAX_KEY_LENGTH) | values.str.contains("\n")]
            if len(long):
                raise PublishError(
                    f"table {kind!r}, column {key!r} holds free text ({long.iloc[0][:40]!r}...)",
                    file=file,
                    item=key,
                    row=int(long.index[0]) + 1,
                    hint="key columns hold short codes; labels go into study_meta['labels']",
                )
