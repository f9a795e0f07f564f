"""Programme periods relative to the survey waves, and community tables (arm, population).

Period of a date (waves sorted by fieldwork start ``s_1 < s_2 < ...``):
``before_wave_1`` (``d < s_1``), ``between_waves_k_{k+1}`` (``s_k <= d < s_{k+1}``),
``after_wave_K`` (``d >= s_K``). An activity during a wave's fieldwork thus counts towards the
next comparison, as the respondents interviewed later in that wave could not yet have met it.

>>> import pandas as pd, datetime as dt
>>> starts = [dt.date(2019, 3, 4), dt.date(2020, 9, 7)]
>>> assign_period(pd.Series(pd.to_datetime(["2019-01-01", "2019-06-01", "2021-01-01"])),
...               starts).tolist()
['before_wave_1', 'between_waves_1_2', 'after_wave_2']
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from trustsurvey.errors import StudyError

if TYPE_CHECKING:  # pragma: no cover
    from trustsurvey.study.model import Study


def assign_period(dates: pd.Series, starts: list[dt.date]) -> pd.Series:
    """The period label of each date (see the module doc)."""
    starts = sorted(starts)
    labels = ["before_wave_1"]
    labels += [f"between_waves_{k}_{k + 1}" for k in range(1, len(starts))]
    labels.append(f"after_wave_{len(starts)}")
    cuts = np.array([np.datetime64(s, "ns") for s in starts])
    idx = np.searchsorted(cuts, dates.to_numpy(dtype="datetime64[ns]"), side="right")
    out = pd.Series([labels[i] for i in idx], index=dates.index, dtype="str")
    return out.where(dates.notna())


def wave_starts(study: Study) -> list[dt.date]:
    """Fieldwork start of each wave (error if a wave lacks fieldwork dates)."""
    starts = []
    for i, w in enumerate(study.waves):
        if w.fieldwork_start is None:
            raise StudyError(
                f"wave {w.code} has no fieldwork dates",
                file=study.file,
                item=f"waves[{i}].fieldwork",
                hint="add 'fieldwork: {start: YYYY-MM-DD, end: YYYY-MM-DD}' to each wave",
            )
        starts.append(w.fieldwork_start)
    return starts


def community_table(study: Study) -> pd.DataFrame:
    """``community, arm, population`` of the study's communities.

    The arm comes from ``arms.communities``; in a staggered study from
    ``arms.first_treated`` (``pilot``: ever treated); in a study without arms every
    community of ``programme.population`` is ``pilot`` (all run the programme alike).

    Population comes from ``programme.population`` (columns ``community, population``), or
    from a ``population`` column of the communities table; missing population stays NA.
    """
    arms = study.arms.communities
    if arms is None and study.arms.first_treated is not None:  # staggered: ever treated
        ft = study.arms.first_treated
        arms = pd.DataFrame(
            {
                "community": list(ft),
                "arm": ["control" if w is None else "pilot" for w in ft.values()],
            }
        )
    elif arms is None and study.programme is not None and study.programme.population is not None:
        # no arms: every community of the programme runs it alike
        names = pd.read_csv(study.programme.population, dtype={"community": "str"})
        arms = pd.DataFrame({"community": names["community"], "arm": "pilot"})
    if arms is None:
        raise StudyError(
            "has no community table",
            file=study.file,
            item="arms.communities",
            hint="give arms.communities (a CSV with community and arm) for programme analysis",
        )
    table = arms[["community", "arm"]].astype({"community": "str", "arm": "str"})
    pop = None
    if study.programme is not None and study.programme.population is not None:
        pop = pd.read_csv(study.programme.population, dtype={"community": "str"})
        missing = {"community", "population"} - set(pop.columns)
        if missing:
            raise StudyError(
                f"lacks column(s) {', '.join(sorted(missing))}",
                file=study.programme.population,
                hint="give columns community and population (residents)",
            )
    elif "population" in arms.columns:
        pop = arms[["community", "population"]]
    if pop is None:
        return table.assign(population=pd.Series(np.nan, index=table.index))
    pop = pop.assign(population=pd.to_numeric(pop["population"], errors="coerce"))
    return table.merge(pop[["community", "population"]], on="community", how="left")
