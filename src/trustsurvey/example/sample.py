"""The example's two-stage stratified sample: settlements PPS, then households, one adult.

Per wave and raion (the stratum, coded ``wave * 100 + raion``), ``k_h`` clusters are drawn
by systematic PPS on adult population (Cochran 1977, §9A.5; a large town can be hit more than
once, each hit is its own PSU of ``m`` interviews, as in PPS with replacement). In each PSU
``m`` households are visited by random route and one adult is selected (Kish grid), so the
design weight is

    pw = M_h / (k_h * M_i) * (H_i / m) * A_j  with  H_i = M_i / 2.2,

i.e. ``M_h / (k_h * m) * A_j / 2.2`` (``A_j`` adults in the household; Kish 1965, §11.3).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trustsurvey.example.geography import RAIONS, settlements

#: interviews per raion and wave (the pilot raion is oversampled)
ALLOCATION = {1: 800, 2: 400, 3: 400, 4: 400}
#: interviews per PSU
CLUSTER_SIZE = 20
ADULTS_PER_HOUSEHOLD = 2.2

#: sample shares of sex x age group (women and older people answer more often)
SAMPLE_SEX_AGE = {
    (1, 1): 0.11,
    (1, 2): 0.17,
    (1, 3): 0.13,
    (2, 1): 0.12,
    (2, 2): 0.22,
    (2, 3): 0.25,
}
AGE_RANGES = {1: (18, 34), 2: (35, 59), 3: (60, 90)}


def pps_systematic(sizes: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``k`` systematic PPS hits (with repeats for units larger than the interval)."""
    cum = np.cumsum(sizes)
    step = cum[-1] / k
    points = rng.uniform(0, step) + step * np.arange(k)
    return np.searchsorted(cum, points, side="right")


def draw_sample(wave: int, rng: np.random.Generator, first_id: int) -> pd.DataFrame:
    """Respondents of one wave with their design variables (no answers yet)."""
    frame = settlements()
    parts = []
    for raion, n_h in ALLOCATION.items():
        units = frame[frame["raion"] == raion].reset_index(drop=True)
        k_h = n_h // CLUSTER_SIZE
        hits = pps_systematic(units["adults"].to_numpy(float), k_h, rng)
        m_h = units["adults"].sum()
        hit_no: dict[int, int] = {}
        for h in hits:
            hit_no[h] = hit_no.get(h, 0) + 1
            unit = units.iloc[h]
            psu = wave * 10000 + raion * 1000 + int(unit["settlement_id"]) * 10 + hit_no[h]
            adults = rng.choice([1, 2, 3, 4], size=CLUSTER_SIZE, p=[0.25, 0.43, 0.22, 0.10])
            parts.append(
                pd.DataFrame(
                    {
                        "wave": wave,
                        "raion": raion,
                        "community": str(unit["community"]),
                        "stratum": wave * 100 + raion,
                        "psu": psu,
                        "pilot": int(RAIONS[raion][2] == "pilot"),
                        "settlement": int(unit["settlement"]),
                        "adults_hh": adults,
                        "pw": m_h / (k_h * CLUSTER_SIZE) * adults / ADULTS_PER_HOUSEHOLD,
                    }
                )
            )
    sample = pd.concat(parts, ignore_index=True)
    n = len(sample)
    cells = list(SAMPLE_SEX_AGE)
    pick = rng.choice(len(cells), size=n, p=list(SAMPLE_SEX_AGE.values()))
    sample["sex"] = [cells[i][0] for i in pick]
    sample["agegrp"] = [cells[i][1] for i in pick]
    low = sample["agegrp"].map(lambda g: AGE_RANGES[g][0]).to_numpy()
    high = sample["agegrp"].map(lambda g: AGE_RANGES[g][1]).to_numpy()
    # older ages thin out: triangular-ish within the top group
    u = rng.uniform(size=n)
    u = np.where(sample["agegrp"].to_numpy() == 3, 1 - np.sqrt(1 - u), u)
    sample["age"] = np.floor(low + u * (high - low + 1)).astype(int).clip(low, high)
    sample.insert(0, "resp_id", np.arange(first_id, first_id + n))
    return sample
