"""Multiple-choice items (e.g. local security problems): share naming each option.

A multiple-choice question is stored as one 0/1 column per option, ``<item>_<option>``
(the questionnaire's ``columns_for(item)``). Rules, following the questionnaire:

* **answered** = at least one option column is 1 (the exclusive option included). A
  respondent with every option column 0 or missing did not answer the question (item
  non-response) and is left out of the denominator; their count is reported as
  ``n_unanswered``, never dropped silently.
* the **exclusive** option ("none") is reported as its own row. A respondent who ticked it
  together with other options contradicts the questionnaire; their other options are counted
  and their "none" is not (the validation report flags these rows), ``n_inconsistent``.
* the share of an option is the weighted mean of its 0/1 column over answered respondents:
  a design-based domain mean (Lumley 2010, 2.3), with linearised SE and t interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from trustsurvey.analysis.compare import _as_list, compare_means
from trustsurvey.analysis.did import _data, _require
from trustsurvey.design.base import Design
from trustsurvey.design.metadata import annotate
from trustsurvey.errors import AnalysisError

__all__ = ["multiple_choice", "multiple_choice_difference", "option_columns"]


def option_columns(
    item: str, questionnaire: Any = None, data: pd.DataFrame | None = None
) -> tuple[dict[str, str], str | None]:
    """``{option: column}`` and the exclusive option of a multiple-choice ``item``.

    From the questionnaire when given (``questionnaire.items[item].options`` and
    ``.exclusive``), otherwise every data column named ``<item>_<option>`` (exclusive: a
    ``none`` option if present).
    """
    if questionnaire is not None:
        if item not in questionnaire.items:
            raise AnalysisError(
                "item not in the questionnaire", item=item, hint="check the item name"
            )
        it = questionnaire.items[item]
        if it.type != "multiple":
            raise AnalysisError(
                f"item is of type {it.type!r}, not a multiple-choice question",
                item=item,
                hint="use likert_distribution for single-choice items",
            )
        cols = questionnaire.columns_for(item)
        options = list(it.options)
        mapping = {o: c for o, c in zip(options, cols, strict=False)}
        return mapping, it.exclusive
    if data is None:
        raise AnalysisError("give a questionnaire or data", item=item, hint="pass questionnaire=")
    prefix = f"{item}_"
    mapping = {c[len(prefix) :]: c for c in data.columns if str(c).startswith(prefix)}
    if not mapping:
        raise AnalysisError(
            f"no columns named {prefix}<option> in the data",
            item=item,
            hint="pass the questionnaire, or check the column names",
        )
    return mapping, "none" if "none" in mapping else None


def _indicators(
    data: pd.DataFrame, mapping: dict[str, str], exclusive: str | None
) -> tuple[pd.DataFrame, dict[str, int]]:
    _require(data, list(mapping.values()))
    x = pd.DataFrame({o: pd.to_numeric(data[c], errors="coerce") for o, c in mapping.items()})
    bad = x.notna() & ~x.isin([0, 1])
    if bad.any().any():
        col = mapping[bad.any().idxmax()]
        raise AnalysisError(
            "option column is not 0/1",
            item=col,
            row=list(data.index[bad.any(axis=1).to_numpy()][:10]),
            hint="code every option 1 = named, 0 = not named",
        )
    answered = (x == 1).any(axis=1)
    others = [o for o in mapping if o != exclusive]
    inconsistent = pd.Series(False, index=data.index)
    if exclusive is not None and exclusive in x:
        inconsistent = (x[exclusive] == 1) & (x[others] == 1).any(axis=1)
        x.loc[inconsistent, exclusive] = 0.0
    x = x.fillna(0.0).where(answered)
    counts = {
        "n_answered": int(answered.sum()),
        "n_unanswered": int((~answered).sum()),
        "n_inconsistent": int(inconsistent.sum()),
    }
    return x, counts


def multiple_choice(
    design: Design,
    item: str,
    by: str | Sequence[str] | None = ("pilot", "wave"),
    *,
    questionnaire: Any = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Share of respondents naming each option, per ``by`` cell, ranked.

    Parameters
    ----------
    design : SurveyDesign
    item : str
        The question's name (columns ``<item>_<option>``).
    by : str or list of str
        Cells (default arm and wave; add ``"community"`` for communities).
    questionnaire : Questionnaire, optional
        Gives the options and the exclusive one (see the module docstring for the rules).

    Returns
    -------
    DataFrame
        ``by..., item, option, estimate, se, ci_low, ci_high, n, rank, exclusive``; ``rank``
        1 = most named within the cell (the exclusive option is not ranked);
        ``result_info(res)["counts"]``: answered, unanswered and inconsistent respondents.
        R: ``svyby(~problems_drinking + ..., ~pilot + wave, subset(d, answered), svymean)``.

    Examples
    --------
    >>> import pandas as pd
    >>> from trustsurvey.design import SurveyDesign
    >>> df = pd.DataFrame({"psu": range(4), "w": 1.0, "g": 1, "p_a": [1, 0, 0, 0],
    ...                    "p_b": [1, 1, 0, 0], "p_none": [0, 0, 1, 0]})
    >>> r = multiple_choice(SurveyDesign(df, ids="psu", weights="w"), "p", by="g")
    >>> r[["option", "estimate", "rank"]].round(3).values.tolist()
    [['b', 0.667, 1.0], ['a', 0.333, 2.0], ['none', 0.333, nan]]
    """
    data = _data(design)
    bys = _as_list(by)
    _require(data, bys)
    mapping, exclusive = option_columns(item, questionnaire, data)
    x, counts = _indicators(data, mapping, exclusive)
    if counts["n_answered"] == 0:
        raise AnalysisError(
            "nobody answered the question (every option column is 0 or missing)",
            item=item,
            hint="check that the option columns were read correctly",
        )
    cols = {f"_mc_{i}": x[o] for i, o in enumerate(mapping)}
    d = design.with_columns(**cols)
    res = d.mean(list(cols), by=bys or None, level=level)
    res = res.reset_index()
    if "variable" not in res.columns:
        res = res.rename(columns={"index": "variable"})
    names = {f"_mc_{i}": o for i, o in enumerate(mapping)}
    res["option"] = res["variable"].map(names)
    res["item"] = item
    res["exclusive"] = res["option"] == exclusive
    keep = [*bys, "item", "option", "estimate", "se", "ci_low", "ci_high", "n", "exclusive"]
    res = res[keep]
    ranked = res[~res["exclusive"]].copy()
    grp = ranked.groupby(bys, sort=False)["estimate"] if bys else ranked["estimate"]
    res["rank"] = np.nan
    res.loc[ranked.index, "rank"] = grp.rank(ascending=False, method="min")
    res = res.sort_values([*bys, "exclusive", "rank"], kind="stable").reset_index(drop=True)
    return annotate(res, counts=counts)


def multiple_choice_difference(
    design: Design,
    item: str,
    group: str = "pilot",
    by: str | Sequence[str] | None = "wave",
    *,
    questionnaire: Any = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Pilot − control difference of the share naming each option (design-based contrast).

    Returns the :func:`~trustsurvey.analysis.compare.compare_means` table with ``option``.

    Examples
    --------
    >>> import pandas as pd
    >>> from trustsurvey.design import SurveyDesign
    >>> df = pd.DataFrame({"psu": range(4), "w": 1.0, "pilot": [0, 0, 1, 1], "wave": 1,
    ...                    "p_a": [1, 0, 1, 1], "p_none": [0, 1, 0, 0]})
    >>> r = multiple_choice_difference(SurveyDesign(df, ids="psu", weights="w"), "p")
    >>> r[["option", "difference"]].values.tolist()
    [['a', 0.5], ['none', -0.5]]
    """
    data = _data(design)
    mapping, exclusive = option_columns(item, questionnaire, data)
    x, counts = _indicators(data, mapping, exclusive)
    cols = {f"_mc_{i}": x[o] for i, o in enumerate(mapping)}
    res = compare_means(design.with_columns(**cols), list(cols), group=group, by=by, level=level)
    names = {f"_mc_{i}": o for i, o in enumerate(mapping)}
    res.insert(res.columns.get_loc("outcome") + 1, "option", res["outcome"].map(names))
    res["outcome"] = item
    order = {o: i for i, o in enumerate(mapping)}
    res = res.sort_values(
        [*_as_list(by), "option"],
        key=lambda s: s.map(order) if s.name == "option" else s,
        kind="stable",
    ).reset_index(drop=True)
    return annotate(res, counts=counts)
