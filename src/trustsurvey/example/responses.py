"""Answers of the example's respondents, with a known programme effect.

Model (documented in the study's README):

* a latent trust level per respondent ``m = 2.95 + age/settlement/raion terms + u_psu``
  (``u_psu ~ N(0, 0.25)``), and the answer to ``trust_police`` is ``round(m + e)`` clipped to
  1–5 with ``e ~ N(0, 0.9)``;
* in wave 2 the latent level is moved so that the *expected answer* rises by exactly
  ``TREND`` (+0.05, every raion) plus ``EFFECT`` (+0.25, pilot only): the true
  difference-in-differences on the 1–5 scale among substantive answers is +0.25;
* the other attitude items load on the same latent level with their own noise (so
  procedural justice, effectiveness and legitimacy move with trust), ``abuse_power`` is
  reverse-keyed;
* awareness of the community officer rises from ~20% to ~60% in the pilot raion only;
* "difficult to answer" (8) is drawn per item at the rates in ``DK_RATE`` and refusals (9)
  at 1%, at random.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

TREND = 0.05
EFFECT = 0.25
TRUST_SD = 0.9

DK, REFUSED = 8, 9

#: share of "difficult to answer" per item
DK_RATE = {
    "trust_police": 0.06,
    "trust_local": 0.09,
    "trust_police_10": 0.06,
    "pj_respect": 0.08,
    "pj_fair": 0.10,
    "pj_explain": 0.11,
    "pj_listen": 0.10,
    "eff_response": 0.09,
    "eff_crime": 0.10,
    "abuse_power": 0.12,
    "legit_obey": 0.06,
    "legit_cooperate": 0.05,
    "safe_night": 0.05,
    "contact_satisfaction": 0.05,
    "will_report": 0.07,
    "will_join_group": 0.09,
}
REFUSAL_RATE = 0.01

#: attitude items: (loading on latent trust, shift, noise sd, reversed)
LIKERT_MODEL = {
    "pj_respect": (0.85, 0.25, 0.75, False),
    "pj_fair": (0.85, 0.0, 0.75, False),
    "pj_explain": (0.80, -0.20, 0.80, False),
    "pj_listen": (0.80, -0.10, 0.80, False),
    "eff_response": (0.75, -0.10, 0.85, False),
    "eff_crime": (0.70, -0.25, 0.85, False),
    "abuse_power": (0.70, -0.30, 0.90, True),
    "legit_obey": (0.50, 0.80, 0.80, False),
    "legit_cooperate": (0.55, 0.60, 0.80, False),
}

#: multiple-choice local problems: option -> probability of being named
PROBLEM_RATE = {
    "drinking": 0.30,
    "drugs": 0.12,
    "theft": 0.25,
    "road": 0.28,
    "domestic": 0.07,
    "lighting": 0.33,
    "dogs": 0.20,
    "vandalism": 0.10,
    "fraud": 0.12,
    "fights": 0.08,
    "explosives": 0.05,
    "other": 0.02,
}
#: missing codes (difficult to answer, refused) of the 0-10 ESS scale
ESS_DK, ESS_REFUSED = 88, 77


def _expected(m: np.ndarray, lo: int = 1, hi: int = 5, sd: float = TRUST_SD) -> np.ndarray:
    """E[clip(round(m + e), lo, hi)] for e ~ N(0, sd): lo + sum_k P(m + e >= k - 0.5)."""
    out = np.full_like(m, float(lo))
    for k in range(lo + 1, hi + 1):
        out += norm.sf((k - 0.5 - m) / sd)
    return out


def _shift_to(m: np.ndarray, target: np.ndarray, sd: float = TRUST_SD) -> np.ndarray:
    """Latent levels whose expected answer equals ``target`` (Newton iterations)."""
    x = m.copy()
    for _ in range(30):
        f = _expected(x, sd=sd) - target
        deriv = sum(norm.pdf((k - 0.5 - x) / sd) / sd for k in range(2, 6))
        x -= f / np.maximum(deriv, 1e-9)
        if np.max(np.abs(f)) < 1e-12:
            break
    return x


def _discrete(values: np.ndarray, lo: int, hi: int) -> np.ndarray:
    return np.clip(np.round(values), lo, hi)


def _missing(
    values: np.ndarray,
    rate: float,
    rng: np.random.Generator,
    dk_boost: np.ndarray,
    dk_code: int = DK,
    refused_code: int = REFUSED,
) -> np.ndarray:
    """Replace answers by 8 / 9 at random; ``dk_boost`` is an extra DK rate per row."""
    u = rng.uniform(size=len(values))
    dk = u < rate + dk_boost
    refused = (~dk) & (rng.uniform(size=len(values)) < REFUSAL_RATE)
    out = values.astype(float).copy()
    out[dk] = dk_code
    out[refused] = refused_code
    return out


#: the raion terms of the latent trust level in the example's four raions
RAION_TERM = {1: 0.0, 2: 0.05, 3: -0.05, 4: 0.02}


@dataclass(frozen=True)
class Exposure:
    """Per respondent: the programme's true effect, the common trend, and the area term.

    ``effect`` is the rise of the expected ``trust_police`` answer due to the programme
    (0 where not exposed), ``trend`` the rise every community shares since the first wave,
    ``area`` a fixed term of the latent level per area.
    """

    effect: np.ndarray
    trend: np.ndarray
    area: np.ndarray

    @property
    def exposed(self) -> np.ndarray:
        """Rows whose community runs the programme at this wave."""
        return self.effect != 0

    @property
    def later(self) -> np.ndarray:
        """Rows of a wave after the first (shifted from the baseline level)."""
        return (self.trend != 0) | (self.effect != 0)


def pilot_exposure(frame: pd.DataFrame) -> Exposure:
    """The example's two-wave design: +TREND everywhere, +EFFECT in the pilot, in wave 2."""
    wave2 = (frame["wave"] == 2).to_numpy()
    pilot = (frame["pilot"] == 1).to_numpy()
    return Exposure(
        effect=wave2 * pilot * EFFECT,
        trend=wave2 * TREND,
        area=frame["raion"].map(RAION_TERM).to_numpy(),
    )


def answer(
    sample: pd.DataFrame,
    rng: np.random.Generator,
    dk_boost: np.ndarray,
    exposure: Exposure | None = None,
) -> pd.DataFrame:
    """Add every questionnaire answer to ``sample`` (one wave).

    ``exposure`` gives the true effects (default :func:`pilot_exposure`, the example's).
    """
    n = len(sample)
    frame = sample.copy()
    exp = pilot_exposure(frame) if exposure is None else exposure
    later, exposed = exp.later, exp.exposed
    psus = frame["psu"].to_numpy()
    _, psu_idx = np.unique(psus, return_inverse=True)
    u_psu = rng.normal(0, 0.25, size=psu_idx.max() + 1)[psu_idx]
    age_term = frame["agegrp"].map({1: -0.10, 2: 0.0, 3: 0.15}).to_numpy()
    rural = (frame["settlement"] == 1).to_numpy() * 0.08
    m = 2.95 + exp.area + age_term + rural + u_psu
    target = _expected(m) + (exp.trend + exp.effect)
    m = np.where(later, _shift_to(m, target), m)
    latent = m + rng.normal(0, TRUST_SD, size=n)
    frame["trust_police"] = _missing(
        _discrete(latent, 1, 5), DK_RATE["trust_police"], rng, dk_boost
    )
    t10 = _discrete(2.5 * (latent - 1) + rng.normal(0, 1.0, size=n), 0, 10)
    frame["trust_police_10"] = _missing(
        t10, DK_RATE["trust_police_10"], rng, dk_boost, ESS_DK, ESS_REFUSED
    )
    local = _discrete(latent + 0.15 + 0.25 * exposed + rng.normal(0, 0.7, size=n), 1, 5)
    frame["trust_local"] = _missing(local, DK_RATE["trust_local"], rng, dk_boost)
    for name, (load, shift, sd, rev) in LIKERT_MODEL.items():
        star = 3 + load * (latent - 3) + shift + rng.normal(0, sd, size=n)
        values = _discrete(star, 1, 5)
        if rev:
            values = 6 - values
        frame[name] = _missing(values, DK_RATE[name], rng, dk_boost)
    town = (frame["settlement"] == 2).to_numpy()
    female = (frame["sex"] == 2).to_numpy()
    safe = 2.9 - 0.25 * town - 0.2 * female + 0.2 * (latent - 3) + rng.normal(0, 0.8, size=n)
    frame["safe_night"] = _missing(_discrete(safe, 1, 4), DK_RATE["safe_night"], rng, dk_boost)
    victim = rng.uniform(size=n) < 0.09 + 0.05 * town
    frame["victim_12m"] = victim.astype(float)
    reported = (rng.uniform(size=n) < 0.35 + 0.1 * (latent > 3)).astype(float)
    reported[rng.uniform(size=n) < REFUSAL_RATE * 3] = REFUSED
    frame["victim_reported"] = np.where(victim, reported, np.nan)
    contact = rng.uniform(size=n) < 0.2 + 0.08 * exposed
    frame["contact_police"] = contact.astype(float)
    sat = _discrete(3 + 0.7 * (latent - 3) + 0.2 + rng.normal(0, 0.8, size=n), 1, 5)
    sat = _missing(sat, DK_RATE["contact_satisfaction"], rng, dk_boost)
    frame["contact_satisfaction"] = np.where(contact, sat, np.nan)
    aware_p = np.where(exposed, 0.60, 0.20)
    frame["aware_officer"] = (rng.uniform(size=n) < aware_p).astype(float)
    any_problem = np.zeros(n, dtype=bool)
    for option, p in PROBLEM_RATE.items():
        ticked = rng.uniform(size=n) < p * (0.8 + 0.4 * town)
        frame[f"problems_{option}"] = ticked.astype(float)
        any_problem |= ticked
    frame["problems_none"] = (~any_problem).astype(float)
    rep = _discrete(2.9 + 0.5 * (latent - 3) + rng.normal(0, 0.8, size=n), 1, 4)
    frame["will_report"] = _missing(rep, DK_RATE["will_report"], rng, dk_boost)
    join_star = 2.0 + 0.4 * (latent - 3) + 0.3 * exposed + rng.normal(0, 0.8, size=n)
    join = _discrete(join_star, 1, 4)
    frame["will_join_group"] = _missing(join, DK_RATE["will_join_group"], rng, dk_boost)
    edu_p = {
        1: [0.04, 0.22, 0.34, 0.18, 0.22],
        2: [0.04, 0.20, 0.38, 0.12, 0.26],
        3: [0.20, 0.30, 0.30, 0.05, 0.15],
    }
    edu = np.empty(n)
    for g, p in edu_p.items():
        rows = (frame["agegrp"] == g).to_numpy()
        edu[rows] = rng.choice([1, 2, 3, 4, 5], size=rows.sum(), p=p)
    edu[rng.uniform(size=n) < REFUSAL_RATE] = REFUSED
    frame["education"] = edu
    return frame
