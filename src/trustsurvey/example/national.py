"""A national-scale study shaped like the example: N communities in raions, any number of waves.

The geography is synthetic (``Громада 0001`` / ``Community 0001`` in raions of about ten
communities; one town and up to four villages per community, adults log-normal). About a
third of the communities are pilot. Each community is a stratum per wave; it gets 15–200
interviews (drawn per community and wave) in PSUs of about ten interviews, PSUs drawn by
systematic PPS of settlements (Cochran 1977, §9A.5), so the design weight is
``pw = M_h / (k_h * m_i) * A_j / 2.2`` as in the example (Kish 1965, §11.3), with ``m_i``
the PSU's interviews.

>>> import numpy as np
>>> geo = national_geography(30, np.random.default_rng(1))
>>> len(geo.communities), sorted(set(geo.communities["arm"]))
(30, ['control', 'pilot'])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trustsurvey.example.geography import Geography
from trustsurvey.example.sample import (
    ADULTS_PER_HOUSEHOLD,
    AGE_RANGES,
    SAMPLE_SEX_AGE,
    pps_systematic,
)

#: communities per raion
RAION_SIZE = 10
#: interviews per community and wave (inclusive bounds)
MIN_N, MAX_N = 15, 200
#: interviews per PSU (about)
PSU_SIZE = 10
PILOT_SHARE = 1 / 3


def national_geography(n_communities: int, rng: np.random.Generator) -> Geography:
    """A synthetic geography of ``n_communities`` communities (at least two)."""
    n = int(n_communities)
    raion_of = np.arange(n) // RAION_SIZE + 1
    n_raions = int(raion_of.max())
    n_pilot = min(n - 1, max(1, round(n * PILOT_SHARE)))
    pilot = np.zeros(n, dtype=bool)
    pilot[rng.choice(n, size=n_pilot, replace=False)] = True
    codes = [f"h{i:04d}" for i in range(1, n + 1)]
    communities = pd.DataFrame(
        {
            "community": codes,
            "raion": raion_of,
            "name_uk": [f"Громада {i:04d}" for i in range(1, n + 1)],
            "name_en": [f"Community {i:04d}" for i in range(1, n + 1)],
            "arm": np.where(pilot, "pilot", "control"),
        }
    )
    n_villages = rng.integers(1, 5, size=n)
    town = np.round(np.exp(rng.normal(np.log(9000), 0.8, size=n)), -2).clip(1500, 400000)
    rows = []
    for i, code in enumerate(codes):
        rows.append((int(raion_of[i]), code, f"Місто {i + 1:04d}", f"Town {i + 1:04d}", 2, town[i]))
        sizes = np.round(rng.uniform(300, 3000, size=n_villages[i]), -1)
        for j, adults in enumerate(sizes, start=1):
            rows.append(
                (
                    int(raion_of[i]),
                    code,
                    f"Село {i + 1:04d}-{j}",
                    f"Village {i + 1:04d}-{j}",
                    1,
                    adults,
                )
            )
    frame = pd.DataFrame(
        rows, columns=["raion", "community", "name_uk", "name_en", "settlement", "adults"]
    )
    frame["adults"] = frame["adults"].astype(int)
    frame.insert(0, "settlement_id", range(1, len(frame) + 1))
    raions = {r: (f"Район {r}", f"Raion {r}") for r in range(1, n_raions + 1)}
    terms = rng.normal(0, 0.05, size=n_raions)
    return Geography(
        raions=raions,
        communities=communities,
        settlements=frame,
        raion_term={r: float(terms[r - 1]) for r in raions},
    )


def draw_national_sample(
    geo: Geography, wave: int, rng: np.random.Generator, first_id: int
) -> pd.DataFrame:
    """Respondents of one wave: every community a stratum, PPS clusters of settlements."""
    frame = geo.settlements
    arm = dict(zip(geo.communities["community"], geo.communities["arm"], strict=True))
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("community", "psu", "pw", "row")}
    settlement_type = frame["settlement"].to_numpy()
    adults = frame["adults"].to_numpy(float)
    ids = frame["settlement_id"].to_numpy()
    for community, rows in frame.groupby("community", sort=False).indices.items():
        n_h = int(rng.integers(MIN_N, MAX_N + 1))
        k_h = max(2, n_h // PSU_SIZE)
        sizes = np.full(k_h, n_h // k_h) + (np.arange(k_h) < n_h % k_h)
        hits = rows[pps_systematic(adults[rows], k_h, rng)]
        m_h = adults[rows].sum()
        hit_no = np.zeros(k_h, dtype=int)
        for i in range(k_h):
            hit_no[i] = int(np.sum(hits[:i] == hits[i])) + 1
        psu = wave * 10_000_000 + ids[hits] * 10 + hit_no
        parts["community"].append(np.full(n_h, community, dtype=object))
        parts["psu"].append(np.repeat(psu, sizes))
        parts["pw"].append(np.repeat(m_h / (k_h * sizes), sizes))
        parts["row"].append(np.repeat(hits, sizes))
    row = np.concatenate(parts["row"])
    n = len(row)
    community = np.concatenate(parts["community"])
    raion = frame["raion"].to_numpy()[row]
    index = {c: i + 1 for i, c in enumerate(geo.communities["community"])}
    household = rng.choice([1, 2, 3, 4], size=n, p=[0.25, 0.43, 0.22, 0.10])
    sample = pd.DataFrame(
        {
            "wave": wave,
            "raion": raion,
            "community": community,
            "stratum": wave * 10_000 + np.array([index[c] for c in community]),
            "psu": np.concatenate(parts["psu"]),
            "pilot": np.array([int(arm[c] == "pilot") for c in community]),
            "settlement": settlement_type[row],
            "adults_hh": household,
            "pw": np.concatenate(parts["pw"]) * household / ADULTS_PER_HOUSEHOLD,
        }
    )
    cells = list(SAMPLE_SEX_AGE)
    pick = rng.choice(len(cells), size=n, p=list(SAMPLE_SEX_AGE.values()))
    sample["sex"] = np.array([c[0] for c in cells])[pick]
    sample["agegrp"] = np.array([c[1] for c in cells])[pick]
    low = np.array([AGE_RANGES[g][0] for g in (1, 2, 3)])[sample["agegrp"].to_numpy() - 1]
    high = np.array([AGE_RANGES[g][1] for g in (1, 2, 3)])[sample["agegrp"].to_numpy() - 1]
    u = rng.uniform(size=n)
    u = np.where(sample["agegrp"].to_numpy() == 3, 1 - np.sqrt(1 - u), u)
    sample["age"] = np.floor(low + u * (high - low + 1)).astype(int).clip(low, high)
    sample.insert(0, "resp_id", np.arange(first_id, first_id + n))
    return sample


def interviewers(frame: pd.DataFrame) -> pd.Series:
    """One interviewer per four PSUs within a raion and wave (vectorised)."""
    psus = frame[["wave", "raion", "psu"]].drop_duplicates()
    rank = psus.groupby(["wave", "raion"], sort=False).cumcount().to_numpy()
    code = psus["wave"].to_numpy() * 1_000_000 + psus["raion"].to_numpy() * 1000 + rank // 4 + 1
    lookup = pd.Series(code, index=psus["psu"].to_numpy())
    return pd.Series(lookup.loc[frame["psu"].to_numpy()].to_numpy(), index=frame.index)
