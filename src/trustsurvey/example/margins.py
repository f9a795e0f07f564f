"""Population margins of the example study: adults by sex x age group and settlement type.

Per wave and raion (each raion is weighted to its own population), as counts. The
settlement-type counts are the frame's adults in towns and villages; sex x age group
applies an illustrative regional structure to the same total, rounded by largest
remainder so that both margins add to the same total.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trustsurvey.example.geography import RAIONS, Geography, settlements

#: population shares of sex (1 man, 2 woman) x age group (1 18-34, 2 35-59, 3 60+)
POPULATION_SEX_AGE = {
    (1, 1): 0.135,
    (1, 2): 0.205,
    (1, 3): 0.115,
    (2, 1): 0.130,
    (2, 2): 0.220,
    (2, 3): 0.195,
}


def _largest_remainder(total: int, shares: list[float]) -> list[int]:
    raw = np.array(shares) * total
    base = np.floor(raw).astype(int)
    order = np.argsort(-(raw - base), kind="stable")
    base[order[: total - base.sum()]] += 1
    return base.tolist()


def population_margins(
    waves: tuple[int, ...] = (1, 2), geo: Geography | None = None
) -> pd.DataFrame:
    """Tidy margins: wave, raion, margin, sex, agegrp, settlement, target (counts).

    ``geo``: the study's geography (default the example's four raions).
    """
    frame = settlements() if geo is None else geo.settlements
    raions = list(RAIONS) if geo is None else list(geo.raions)
    rows = []
    for wave in waves:
        for raion in raions:
            part = frame[frame["raion"] == raion]
            total = int(part["adults"].sum())
            counts = _largest_remainder(total, list(POPULATION_SEX_AGE.values()))
            for (sex, agegrp), n in zip(POPULATION_SEX_AGE, counts, strict=True):
                rows.append((wave, raion, "sex*agegrp", sex, agegrp, None, n))
            for kind, n in part.groupby("settlement")["adults"].sum().items():
                rows.append((wave, raion, "settlement", None, None, int(kind), int(n)))
    out = pd.DataFrame(
        rows, columns=["wave", "raion", "margin", "sex", "agegrp", "settlement", "target"]
    )
    return out.astype({"sex": "Int64", "agegrp": "Int64", "settlement": "Int64"})
