"""The bundle's ``nonresponse_bounds`` table: what "difficult to answer" could hide.

For every outcome of the study's plan that is a questionnaire item with a numeric answer
scale and declared missing codes, the worst-case bounds on its mean
(:func:`trustsurvey.analysis.nonresponse.nonresponse_bounds`) in the cells the published
estimates use (wave; arm x wave; community x wave), from the run's one design. The
non-answerers are the respondents whose answer is a missing code of kind ``dont_know``,
``refused`` or ``missing`` (never the label text); ``not_applicable`` answers and answers
left blank are outside the population, as in the estimates. A study without missing codes
gets no table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from trustsurvey.design.base import Design
from trustsurvey.run.frame import missing_column

#: the kinds of missing codes counted as not answering
NONANSWER_KINDS = ("dont_know", "refused", "missing")


def scale_ends(q: Any, name: str) -> tuple[float, float] | None:
    """The smallest and largest answer code of item ``name`` when they are numbers (at least
    two codes), else None (an index, a text code, a numeric item without codes)."""
    item = q.items.get(name)
    if item is None or len(item.codes) < 2:
        return None
    codes = list(item.codes)
    if any(isinstance(c, bool) or not isinstance(c, int | float) for c in codes):
        return None
    return float(min(codes)), float(max(codes))


def nonresponse_table(
    study: Any,
    design: Design,
    frame: pd.DataFrame,
    echo: Callable[[str], None] | None = None,
) -> list[pd.DataFrame]:
    """Bounds rows per outcome and cell (``outcome, [community, arm,] wave, answered, lower,
    upper, lower_se, upper_se, ci_low, ci_high, share_missing, scale_low, scale_high,
    n_missing``); an empty list when no outcome qualifies. An outcome whose answers leave
    its scale (validation reports them) gets no bounds; ``echo`` says why."""
    from trustsurvey.analysis.nonresponse import nonresponse_bounds
    from trustsurvey.errors import AnalysisError

    q = study.questionnaire
    com = study.arms.community
    has_arms = "arm" in frame.columns and bool(frame["arm"].notna().any())
    groups: list[list[str]] = [["wave"], ["arm", "wave"]] if has_arms else [["wave"]]
    if com and com in frame.columns:
        groups.append([com, "wave"])
    parts = []
    for outcome in study.plan.present("outcomes", frame.columns):
        ends = scale_ends(q, outcome)
        beside = missing_column(outcome)
        codes = q.missing_codes_of_kind(outcome, *NONANSWER_KINDS) if outcome in q.items else []
        if ends is None or beside not in frame.columns or not codes:
            continue
        nonanswer = frame[beside].isin(codes)
        answered = frame[outcome].notna()
        for by in groups:
            # cells where nobody answered have no bounds worth publishing
            has_answer = answered.groupby([frame[c] for c in by], dropna=False).transform("any")
            population = nonanswer & has_answer.astype(bool)
            if not (answered | population).any():
                continue
            try:
                table = nonresponse_bounds(
                    design, outcome, low=ends[0], high=ends[1], by=by, nonresponse=population
                )
            except AnalysisError as err:
                if echo is not None:
                    echo(f"      no non-response bounds for {outcome}: {err}")
                break
            if table.empty:
                continue
            table = table.dropna(subset=by)
            table.insert(0, "outcome", outcome)
            if com and com != "community" and com in table.columns:
                table = table.rename(columns={com: "community"})
            table["n_missing"] = table["n"] - table["n_answered"]
            table["scale_low"], table["scale_high"] = ends
            table["wave"] = pd.to_numeric(table["wave"]).astype("Int64")
            keep = ["outcome", "community", "arm", "wave", "answered", "lower", "upper"]
            keep += ["lower_se", "upper_se", "ci_low", "ci_high", "share_missing"]
            keep += ["scale_low", "scale_high", "n_missing"]
            parts.append(table[[c for c in keep if c in table.columns]].reset_index(drop=True))
    return [p for p in parts if not p.empty and np.isfinite(p["lower"]).any()]
