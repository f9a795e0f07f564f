"""Activity counts, participants and programme intensity (per 1,000 residents).

Intensity of community *c* in a period = ``1000 * activities_c / population_c`` (and the same
for participants); ``population`` is the residents (adults) of the community.

>>> import pandas as pd
>>> acts = pd.DataFrame({"community": ["a", "a", "b"], "type": ["round_table"] * 3,
...                      "participants": [10, 20, 5], "arm": ["pilot", "pilot", "control"],
...                      "period": ["between_waves_1_2"] * 3})
>>> t = activity_counts(acts, by=["community"])
>>> t[["community", "activities", "participants"]].values.tolist()
[['a', 2, 30], ['b', 1, 5]]
"""

from __future__ import annotations

import pandas as pd

from trustsurvey.programme.model import ROLE_COLUMNS, SEX_COLUMNS


def activity_counts(activities: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Activities (``n`` rows = the unweighted count) and participants, total, by sex and role."""
    cols = [c for c in ("participants", *SEX_COLUMNS, *ROLE_COLUMNS) if c in activities.columns]
    grouped = activities.groupby(by, sort=True, dropna=False)
    out = grouped[cols].sum(min_count=1).astype("Int64")
    out.insert(0, "activities", grouped.size().astype("int64"))
    return out.reset_index()


def programme_intensity(
    activities: pd.DataFrame, communities: pd.DataFrame, period: str
) -> pd.DataFrame:
    """Per community: activities and participants in ``period``, and both per 1,000 residents.

    Every community of the study appears (zero when it had no activity).
    """
    part = activities[activities["period"] == period]
    counts = part.groupby("community")["participants"].agg(["size", "sum"])
    counts.columns = ["activities", "participants"]
    table = communities.merge(counts.reset_index(), on="community", how="left")
    table[["activities", "participants"]] = table[["activities", "participants"]].fillna(0)
    table = table.astype({"activities": "int64", "participants": "int64"})
    table["activities_per_1000"] = 1000 * table["activities"] / table["population"]
    table["participants_per_1000"] = 1000 * table["participants"] / table["population"]
    table.insert(1, "period", period)
    return table
