"""Cross-field checks: skip logic and multiple-choice consistency.

* ``not_relevant``: an item answered (a valid or missing code; for multiple choice, an
  option ticked or a missing code) where its ``relevant`` expression is false, e.g.
  ``contact_satisfaction`` answered although ``contact_police`` is 0.
* ``relevant_missing``: a required item left empty (system-missing) where it is relevant.
* ``exclusive_option``: the exclusive option of a multiple-choice item ("none") ticked
  together with another option.

>>> import pandas as pd
>>> from trustsurvey.questionnaire import load_questionnaire, instrument_path
>>> q = load_questionnaire(instrument_path("police_trust_core"))
>>> f = pd.DataFrame({"resp_id": [1, 2], "contact_police": [0.0, 1.0],
...                   "contact_satisfaction": [4.0, 5.0]})
>>> skip_logic_issues(f, q)["resp_id"].tolist()
['1']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from trustsurvey.questionnaire import Questionnaire

import pandas as pd

from trustsurvey.errors import QuestionnaireError
from trustsurvey.validation.report import empty_table, issues, row_ids


def skip_logic_issues(
    frame: pd.DataFrame,
    q: Questionnaire,
    *,
    file: str = "",
    id_column: str | None = "resp_id",
) -> pd.DataFrame:
    """Answers where an item is not relevant; required relevant items left empty."""
    id_column = id_column if id_column in frame.columns else None
    parts = []
    for name, item in q.items.items():
        # a multiple-choice item is answered where any of its option columns is filled
        columns = [c for c in q.columns_for(name) if c in frame.columns]
        if not item.relevant or not columns or (item.type != "multiple" and name not in frame):
            continue
        try:
            relevant = q.relevant_mask(name, frame).to_numpy(bool)
        except QuestionnaireError:
            continue  # the filter question is not in this file; reported as missing_column
        answered = frame[columns].notna().any(axis=1).to_numpy()
        given = answered
        if item.type == "multiple":  # 0 everywhere also stands for "not asked" in many files
            ticked = frame[columns].apply(pd.to_numeric, errors="coerce")
            given = (ticked.notna() & (ticked != 0)).any(axis=1).to_numpy()
        rows = (given & ~relevant).nonzero()[0]
        if len(rows):
            values = [_shown(frame, columns, item.type, row) for row in rows]
            parts.append(
                issues(
                    file,
                    "not_relevant",
                    name,
                    rows,
                    values,
                    row_ids(frame, id_column, rows),
                    f"relevant only if {item.relevant}",
                    f"питання ставиться лише якщо {item.relevant}",
                )
            )
        if item.required:
            rows = (~answered & relevant).nonzero()[0]
            if len(rows):
                parts.append(
                    issues(
                        file,
                        "relevant_missing",
                        name,
                        rows,
                        [""] * len(rows),
                        row_ids(frame, id_column, rows),
                        f"asked because {item.relevant}",
                        f"ставилось, бо {item.relevant}",
                    )
                )
    return pd.concat(parts, ignore_index=True) if parts else empty_table()


def _shown(frame: pd.DataFrame, columns: list[str], kind: str, row: int) -> object:
    """The answer of one row: the value, or the ticked option columns of a multiple."""
    if kind != "multiple":
        return frame[columns[0]].iloc[row]
    values = pd.to_numeric(frame[columns].iloc[row], errors="coerce")
    return " ".join(c for c, v in zip(columns, values, strict=True) if v == 1) or "0"


def multiple_choice_issues(
    frame: pd.DataFrame,
    q: Questionnaire,
    *,
    file: str = "",
    id_column: str | None = "resp_id",
) -> pd.DataFrame:
    """The exclusive option ("none") ticked together with any other option."""
    id_column = id_column if id_column in frame.columns else None
    parts = []
    for name, item in q.items.items():
        if item.type != "multiple" or item.exclusive is None:
            continue
        cols = dict(zip(item.options, q.columns_for(name), strict=True))
        none_col = cols.get(item.exclusive)
        if none_col not in frame.columns:
            continue
        others = [c for opt, c in cols.items() if opt != item.exclusive and c in frame.columns]
        ticked = frame[others].apply(pd.to_numeric, errors="coerce").eq(1)
        exclusive = pd.to_numeric(frame[none_col], errors="coerce").eq(1)
        bad = (exclusive & ticked.any(axis=1)).to_numpy().nonzero()[0]
        if not len(bad):
            continue
        values, en, uk = [], [], []
        for pos in bad:
            with_ = [c.removeprefix(f"{name}_") for c in others if ticked[c].iloc[pos]]
            values.append(f"{item.exclusive} + {', '.join(with_)}")
            en.append(f"'{item.exclusive}' with {', '.join(with_)}")
            uk.append(f"«{item.exclusive}» разом з {', '.join(with_)}")
        parts.append(
            issues(
                file, "exclusive_option", name, bad, values, row_ids(frame, id_column, bad), en, uk
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else empty_table()
