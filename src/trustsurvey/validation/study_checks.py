"""Checks that need the study as well as the questionnaire.

* ``wave_mismatch``: the wave column of a file holds a code other than the wave code that
  ``study.yaml`` gives the file;
* ``arm_mismatch``: the treatment column (pilot = ``arms.pilot_code``) disagrees with the
  community -> arm table;
* ``unknown_community``: a community the table does not list (error: its arm is unknown);
* ``blank_community``: no community given, so no arm (error);
* ``outside_fieldwork``: an interview date before the wave's fieldwork start or after its
  end (warning).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Sequence

    from trustsurvey.questionnaire import Questionnaire
    from trustsurvey.study.model import Wave

import pandas as pd

from trustsurvey.study.model import ArmsSpec
from trustsurvey.validation.report import empty_table, issues


def _ids(frame: pd.DataFrame, id_column: str | None, rows: Sequence[int]) -> list:
    return list(frame[id_column].iloc[rows]) if id_column else [None] * len(rows)


def wave_issues(
    frame: pd.DataFrame,
    wave_column: str | None,
    code: int,
    *,
    file: str = "",
    id_column: str | None = None,
) -> pd.DataFrame:
    """Rows whose wave code is not the file's wave in study.yaml."""
    if not wave_column or wave_column not in frame.columns:
        return empty_table()
    values = pd.to_numeric(frame[wave_column], errors="coerce")
    rows = (values.notna() & (values != code)).to_numpy().nonzero()[0]
    if not len(rows):
        return empty_table()
    return issues(
        file,
        "wave_mismatch",
        wave_column,
        rows,
        values.iloc[rows].tolist(),
        _ids(frame, id_column, rows),
        f"study.yaml gives this file wave {code}",
        f"у study.yaml цей файл — хвиля {code}",
    )


def arm_issues(
    frame: pd.DataFrame, arms: ArmsSpec, *, file: str = "", id_column: str | None = None
) -> pd.DataFrame:
    """Rows whose treatment code disagrees with their community's arm; unknown communities."""
    if arms.communities is None or not arms.community or arms.community not in frame.columns:
        return empty_table()
    table = dict(zip(arms.communities["community"], arms.communities["arm"], strict=True))

    def key(value: object) -> object:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    communities = frame[arms.community].map(key)
    parts = []
    blank = communities.isna() | communities.astype("string").str.strip().eq("").fillna(True)
    rows = blank.to_numpy().nonzero()[0]
    if len(rows):
        parts.append(
            issues(
                file,
                "blank_community",
                arms.community,
                rows,
                [None] * len(rows),
                _ids(frame, id_column, rows),
                "fill in the respondent's community (a code of the community table)",
                "вкажіть громаду респондента (код із таблиці громад)",
            )
        )
    known = communities.map(lambda c: c in table) | blank
    rows = (~known).to_numpy().nonzero()[0]
    if len(rows):
        parts.append(
            issues(
                file,
                "unknown_community",
                arms.community,
                rows,
                communities.iloc[rows].tolist(),
                _ids(frame, id_column, rows),
                "add it to the community table",
                "додайте її до таблиці громад",
            )
        )
    if arms.treatment and arms.treatment in frame.columns:
        by_column = ArmsSpec(treatment=arms.treatment, pilot_code=arms.pilot_code).arm_of(frame)
        by_table = communities.map(lambda c: table.get(c))
        bad = by_column.notna() & by_table.notna() & (by_column != by_table)
        rows = bad.to_numpy().nonzero()[0]
        if len(rows):
            en = [f"{arms.treatment} says {a}, community {c} is {t}"
                  for a, c, t in zip(by_column.iloc[rows], communities.iloc[rows],
                                     by_table.iloc[rows], strict=True)]  # fmt: skip
            uk = [f"{arms.treatment}: {a}, але громада {c} — {t}"
                  for a, c, t in zip(by_column.iloc[rows], communities.iloc[rows],
                                     by_table.iloc[rows], strict=True)]  # fmt: skip
            parts.append(
                issues(
                    file,
                    "arm_mismatch",
                    arms.treatment,
                    rows,
                    frame[arms.treatment].iloc[rows].tolist(),
                    _ids(frame, id_column, rows),
                    en,
                    uk,
                )
            )
    return pd.concat(parts, ignore_index=True) if parts else empty_table()


def fieldwork_issues(
    frame: pd.DataFrame,
    q: Questionnaire,
    wave: Wave,
    *,
    file: str = "",
    id_column: str | None = None,
) -> pd.DataFrame:
    """Interview dates outside the wave's fieldwork period given in study.yaml."""
    if wave.fieldwork_start is None or wave.fieldwork_end is None:
        return empty_table()
    columns = [n for n, it in q.items.items() if it.type == "date" and n in frame.columns]
    parts = []
    start, end = pd.Timestamp(wave.fieldwork_start), pd.Timestamp(wave.fieldwork_end)
    for name in columns:
        dates = pd.to_datetime(frame[name], errors="coerce")
        rows = (dates.notna() & ((dates < start) | (dates > end))).to_numpy().nonzero()[0]
        if len(rows):
            parts.append(
                issues(
                    file,
                    "outside_fieldwork",
                    name,
                    rows,
                    [d.date().isoformat() for d in dates.iloc[rows]],
                    _ids(frame, id_column, rows),
                    f"fieldwork {wave.fieldwork_start}..{wave.fieldwork_end}",
                    f"польовий етап {wave.fieldwork_start}..{wave.fieldwork_end}",
                )
            )
    return pd.concat(parts, ignore_index=True) if parts else empty_table()
