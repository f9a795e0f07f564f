"""The analysis frame: the study's waves stacked, ready to estimate from.

One row per respondent, waves stacked in :func:`~trustsurvey._order.canonical_order` (by
wave, then respondent id, whatever the order of the rows in the files). Columns:

- every data column, with every declared missing code set to NaN (the analysis view);
- ``<item>__missing`` beside each column that holds a declared missing code: the raw code
  where the answer is a missing code, NaN elsewhere. With the questionnaire's kind of each
  code (``dont_know``, ``refused``, …) this is all a step needs to count or keep "difficult
  to answer" (:func:`kept_answers`); no step re-reads the data files;
- the questionnaire's index scores, ``arm`` (pilot / control / NA), ``source_file`` and
  ``source_row`` (the 1-based data row in the wave file, kept through cleaning);
- no personal data (items flagged ``pii``, and their missing-code columns, are dropped).

>>> import numpy as np
>>> f = pd.DataFrame({"q": [1.0, np.nan, np.nan], "q__missing": [np.nan, 8.0, 9.0]})
>>> kept_answers(f, {"q": [8]})["q"].tolist()
[1.0, 8.0, nan]
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from trustsurvey._order import canonical_order
from trustsurvey.study.model import Study, Wave

if TYPE_CHECKING:  # pragma: no cover
    from trustsurvey.io.survey_data import SurveyData
    from trustsurvey.questionnaire import Questionnaire
    from trustsurvey.questionnaire.model import Item

#: suffix of the column holding an item's raw missing codes beside its answers
MISSING_SUFFIX = "__missing"


def missing_column(column: str) -> str:
    """The name of the column holding ``column``'s raw missing codes."""
    return f"{column}{MISSING_SUFFIX}"


def respondent_id_column(q: Questionnaire) -> str | None:
    """The questionnaire's respondent-id item (role ``id``), if it has one."""
    names = q.items_with_role("id")
    return names[0] if names else None


def dont_know_codes(item: Item) -> list[Any]:
    """The item's missing codes of kind ``dont_know`` ("difficult to answer", "don't know"),
    as the questionnaire declares them (never read from label text)."""
    return [c for c, k in item.missing_kinds.items() if k == "dont_know"]


def kept_answers(frame: pd.DataFrame, keep: dict[str, list[Any]]) -> pd.DataFrame:
    """``frame`` with the codes ``keep`` names (``{item: [codes]}``) put back as answers from
    the items' ``<item>__missing`` columns (other missing codes stay NaN); a new frame."""
    out = frame.copy()
    for item, codes in keep.items():
        beside = missing_column(item)
        if not codes or beside not in frame.columns:
            continue
        raw = frame[beside]
        back = raw.where(raw.isin(list(codes)))
        out[item] = frame[item].where(frame[item].notna(), back)
    return out


def _with_missing_beside(sd: SurveyData) -> pd.DataFrame:
    """``sd``'s analysis view with ``<column>__missing`` beside each column holding a
    declared missing code."""
    mask = sd.missing_mask()
    frame = sd.data.copy()
    beside = {}
    for col in mask.columns[mask.any(axis=0).to_numpy()]:
        m = mask[col].to_numpy()
        beside[missing_column(col)] = sd.data[col].where(m)
        frame[col] = frame[col].mask(m)
    if beside:
        frame = pd.concat([frame, pd.DataFrame(beside, index=frame.index)], axis=1)
    return frame


def analysis_frame(
    study: Study,
    data: dict[int, SurveyData],
    exclusions: pd.DataFrame | None = None,
    *,
    source_rows: dict[int, list[int]] | None = None,
) -> pd.DataFrame:
    """Waves stacked, missing codes as NaN (the raw codes beside), index scores added, an
    ``arm`` column, no PII (see the module doc).

    ``source_file`` (the wave file, as in the validation report) and ``source_row`` (its
    1-based data row) say where each respondent came from, so errors can point there
    (:func:`trustsurvey.study.locate.locate`). For cleaned ``data`` in file order pass the
    exclusion log (``CleanResult.exclusions``) so the rows cleaning dropped are accounted
    for; for data already reordered, ``source_rows`` (wave code -> the file row of each row
    of ``data``, as :attr:`RunContext.source_rows <trustsurvey.run.context.RunContext>`).
    """
    q = study.questionnaire
    id_column = respondent_id_column(q)
    frames = []
    for wave in study.waves:
        sd = data[wave.code]
        name = file_name(study, wave.file)
        if source_rows is not None and wave.code in source_rows:
            rows = list(source_rows[wave.code])
        else:
            rows = source_rows_of(len(sd.data), name, exclusions)
        _check_wave_column(study, wave, sd, name, rows)
        order = canonical_order(sd.data, id_column)
        frame = _with_missing_beside(sd).iloc[order].reset_index(drop=True)
        if "wave" not in frame.columns:
            frame.insert(0, "wave", wave.code)
        frame["source_file"] = name
        frame["source_row"] = [rows[i] for i in order]
        frames.append(frame)
    frame = _harmonise(pd.concat(frames, ignore_index=True), q)
    present = [n for n in q.indices if all(m in frame.columns for m in _leaves(q, n))]
    if present:
        scores = _indices(q, frame, present)
        frame = pd.concat([frame, scores], axis=1)
    frame["arm"] = study.arms.arm_of(frame)
    pii = [c for name in q.pii_items for c in q.columns_for(name)]
    pii += [missing_column(c) for c in pii]
    return frame.drop(columns=[c for c in pii if c in frame.columns])


def _check_wave_column(
    study: Study, wave: Wave, sd: SurveyData, name: str, rows: list[int]
) -> None:
    """The wave column with the study's own name (the questionnaire's item with role
    ``wave``), where a file has one, must hold the wave's code: one file per wave."""
    for col in study.questionnaire.items_with_role("wave"):
        if col not in sd.data.columns:
            continue
        values = pd.to_numeric(sd.data[col], errors="coerce")
        bad = values.notna() & (values != wave.code)
        if bad.any():
            from trustsurvey.errors import StudyError

            found = sorted({_code_text(v) for v in values[bad]})
            raise StudyError(
                f"the wave column holds {', '.join(found[:5])} where study.yaml gives this "
                f"file wave code {wave.code}",
                file=name,
                row=[rows[i] for i in np.flatnonzero(bad.to_numpy())[:10]],
                item=col,
                hint="give each wave its own file in study.yaml (waves: one entry per file), "
                "with the code its wave column holds",
            )


def _code_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def file_name(study: Study, file: Path) -> str:
    """The wave file as the validation report and the exclusion log name it."""
    return str(file.relative_to(study.folder)) if file.is_relative_to(study.folder) else str(file)


def source_rows_of(n_kept: int, name: str, exclusions: pd.DataFrame | None) -> list[int]:
    """1-based data rows in the file of the ``n_kept`` rows left after cleaning excluded the
    log's rows of ``name`` (cleaning keeps the order)."""
    dropped: set[int] = set()
    if exclusions is not None and len(exclusions):
        rows = exclusions.loc[exclusions["file"] == name, "row"]
        dropped = {int(r) for r in rows}
    kept = (r for r in range(1, n_kept + len(dropped) + 1) if r not in dropped)
    return [next(kept) for _ in range(n_kept)]


def _harmonise(frame: pd.DataFrame, q: Questionnaire) -> pd.DataFrame:
    """One type per column when files of different formats are stacked (dates, text)."""
    frame = frame.copy()
    for col in frame.columns:
        if frame[col].dtype != object:
            continue
        item = q.items.get(col)
        if item is not None and item.type == "date":
            frame[col] = pd.to_datetime(frame[col], errors="coerce")
        else:
            frame[col] = frame[col].map(lambda v: v if pd.isna(v) else str(v)).astype("str")
    return frame


def _leaves(q: Questionnaire, name: str) -> list[str]:
    out = []
    for member in q.indices[name].items:
        out += _leaves(q, member) if member in q.indices else [member]
    return out


def _indices(q: Questionnaire, frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Index scores for the indices whose items the data hold."""
    sub = copy.copy(q)
    sub.indices = {n: q.indices[n] for n in names}
    return sub.compute_indices(frame)[names]
