"""A wave as a KoboToolbox CSV export ("XML values and headers", group names included).

What a Kobo export looks like: questions inside groups carry the group path in the header
(``police_views/pj_respect``, ``survey/trust_police``), a select-multiple question is one
column of space-separated option names (``survey/problems = "theft lighting"``), the
interview's ``start``/``end`` are ISO 8601 time stamps with the UTC offset, ``today`` the
date, and Kobo's meta columns follow (``_id``, ``_uuid``, ``_submission_time``,
``_index`` …). Codes are written as whole numbers; an unanswered question is an empty cell.

>>> import pandas as pd
>>> header = kobo_header("pj_respect", grid="police_views", roles=frozenset())
>>> header, kobo_header("resp_id", grid=None, roles=frozenset({"id"}))
('police_views/pj_respect', 'resp_id')
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from trustsurvey.questionnaire import Questionnaire

#: roles of the form's calculated top-level fields (no group)
TOP_LEVEL_ROLES = {"id", "wave", "design", "community", "treatment", "interviewer"}
DEMOGRAPHY = {"sex", "age", "agegrp", "education"}
KYIV = dt.timezone(dt.timedelta(hours=3))
FORM_VERSION = "vXk3pQ7hL2mN9rT4sW8yB"


def kobo_header(name: str, *, grid: str | None, roles: frozenset[str]) -> str:
    """The export header of item ``name``: its group path, or the bare name at top level."""
    if roles & TOP_LEVEL_ROLES or name in ("interview_date", "settlement", "duration_min"):
        return name
    if grid:
        return f"{grid}/{name}"
    if name in DEMOGRAPHY:
        return f"demography/{name}"
    if name == "phone":
        return f"contact/{name}"
    return f"survey/{name}"


def _whole(values: pd.Series) -> pd.Series:
    """Codes as whole numbers where they are; empty cells stay empty."""
    if not pd.api.types.is_float_dtype(values):
        return values
    whole = values.dropna().map(float.is_integer).all()
    return values.astype("Int64") if whole else values


def kobo_frame(frame: pd.DataFrame, q: Questionnaire, rng: np.random.Generator) -> pd.DataFrame:
    """One wave as a Kobo export table (headers with group paths, meta columns)."""
    n = len(frame)
    minutes = frame["duration_min"].to_numpy(float)
    dates = pd.to_datetime(pd.Series(frame["interview_date"]))
    seconds = rng.integers(9 * 3600, 18 * 3600, size=n)
    start = [
        dt.datetime.combine(d.date(), dt.time(), KYIV) + dt.timedelta(seconds=int(s))
        for d, s in zip(dates, seconds, strict=True)
    ]
    end = [s + dt.timedelta(seconds=round(m * 60)) for s, m in zip(start, minutes, strict=True)]
    out: dict[str, object] = {
        "start": [s.isoformat(timespec="milliseconds") for s in start],
        "end": [e.isoformat(timespec="milliseconds") for e in end],
        "today": [d.date().isoformat() for d in dates],
    }
    for name, item in q.items.items():
        header = kobo_header(name, grid=item.grid, roles=item.roles)
        if item.type == "multiple":
            cols = q.columns_for(name)
            if not all(c in frame.columns for c in cols):
                continue
            ticked = frame[cols].to_numpy(float) == 1
            options = [str(o) for o in item.options]
            out[header] = [
                " ".join(o for o, t in zip(options, row, strict=True) if t) for row in ticked
            ]
            continue
        if name == "duration_min" or name not in frame.columns:
            continue  # Kobo gives start and end; the reader derives the duration
        if name == "interview_date":
            out[header] = [d.date().isoformat() for d in dates]
            continue
        out[header] = _whole(frame[name]).to_numpy()
    submitted = [
        e + dt.timedelta(minutes=int(m)) for e, m in zip(end, rng.integers(5, 600, n), strict=True)
    ]
    uuids = rng.integers(0, 16, size=(n, 32))
    out |= {
        "_id": np.arange(40_000_001, 40_000_001 + n),
        "_uuid": [
            "{}-{}-4{}-a{}-{}".format(
                *(
                    "".join(f"{v:x}" for v in row[a:b])
                    for a, b in ((0, 8), (8, 12), (13, 16), (17, 20), (20, 32))
                )
            )
            for row in uuids
        ],
        "_submission_time": [
            s.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds")
            for s in submitted
        ],
        "_validation_status": "",
        "_notes": "[]",
        "_status": "submitted_via_web",
        "_submitted_by": "",
        "__version__": FORM_VERSION,
        "_tags": "[]",
        "_index": np.arange(1, n + 1),
    }
    return pd.DataFrame(out)


def write_kobo_csv(frame: pd.DataFrame, path: Path, q: Questionnaire, seed: int) -> None:
    """Write one wave as a Kobo CSV export (UTF-8, comma-separated), atomically."""
    from trustsurvey._files import atomic_write_csv as write_csv

    table = kobo_frame(frame, q, np.random.default_rng([seed, 31]))
    write_csv(path, table)
