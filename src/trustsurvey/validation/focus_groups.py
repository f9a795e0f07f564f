"""Focus-group records checked against the study and the codebook.

``fg_unknown_group``: a segment names a group that ``groups.csv`` lacks;
``fg_unknown_code``: a theme that is not a codebook theme, or a valence that is not a code
of the codebook's valence scale; ``missing_column``: a required column is absent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from trustsurvey.study.model import Study

from pathlib import Path

import pandas as pd

from trustsurvey.validation.report import empty_table, issues

GROUP_COLUMNS = ("id", "community", "arm", "date", "participants", "composition")
SEGMENT_COLUMNS = ("group", "segment", "coder", "theme", "valence")


def focus_group_issues(study: Study) -> pd.DataFrame:
    """Report rows for the study's focus-group files (empty when it has none)."""
    spec = study.focus_groups
    if spec is None:
        return empty_table()
    groups, segments = spec.read()
    gname, sname = _name(study, spec.groups), _name(study, spec.segments)
    parts = []
    for name, frame, needed in ((gname, groups, GROUP_COLUMNS), (sname, segments, SEGMENT_COLUMNS)):
        absent = [c for c in needed if c not in frame.columns]
        if absent:
            parts.append(
                issues(
                    name,
                    "missing_column",
                    "",
                    [-1] * len(absent),
                    absent,
                    [None] * len(absent),
                    [f"column {c} not in the file" for c in absent],
                    [f"стовпця {c} немає у файлі" for c in absent],
                )
            )
    if parts:
        return pd.concat(parts, ignore_index=True)
    rows = (~segments["group"].isin(groups["id"])).to_numpy().nonzero()[0]
    if len(rows):
        parts.append(
            issues(
                sname,
                "fg_unknown_group",
                "group",
                rows,
                segments["group"].iloc[rows].tolist(),
                [None] * len(rows),
                "add the group to groups.csv",
                "додайте групу до groups.csv",
            )
        )
    codebook = _codebook(study)
    if codebook is not None:
        themes, valence = codebook
        rows = (~segments["theme"].isin(themes)).to_numpy().nonzero()[0]
        if len(rows):
            parts.append(
                issues(
                    sname,
                    "fg_unknown_code",
                    "theme",
                    rows,
                    segments["theme"].iloc[rows].tolist(),
                    [None] * len(rows),
                    "use a theme code of the codebook",
                    "використайте код теми з кодувальника",
                )
            )
        if valence:
            values = pd.to_numeric(segments["valence"], errors="coerce")
            rows = (~values.isin(valence)).to_numpy().nonzero()[0]
            if len(rows):
                allowed = ", ".join(f"{v:g}" for v in valence)
                parts.append(
                    issues(
                        sname,
                        "fg_unknown_code",
                        "valence",
                        rows,
                        segments["valence"].iloc[rows].tolist(),
                        [None] * len(rows),
                        f"valence codes: {allowed}",
                        f"коди ставлення: {allowed}",
                    )
                )
    return pd.concat(parts, ignore_index=True) if parts else empty_table()


def _name(study: Study, path: Path) -> str:
    return str(path.relative_to(study.folder)) if path.is_relative_to(study.folder) else str(path)


def _codebook(study: Study) -> tuple[list[str], list[float]] | None:
    ref = study.focus_groups.codebook
    if not ref:
        return None
    from trustsurvey.questionnaire import load_questionnaire
    from trustsurvey.study.instruments import resolve_questionnaire

    q = load_questionnaire(resolve_questionnaire(ref, study.folder, study_file=study.file))
    if q.codebook is None:
        return None
    valence: list[float] = []
    scale = q.scales.get(q.codebook.valence) if q.codebook.valence else None
    if scale is not None:
        valence = [float(c) for c in scale.codes if isinstance(c, int | float)]
    return list(q.codebook.themes), valence
