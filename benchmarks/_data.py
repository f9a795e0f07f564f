"""Seeded synthetic survey data for the benchmarks.

A stratified two-level sample shaped like a national police-trust survey: respondents nested in
PSUs (settlements / polling districts) nested in strata (oblast x urbanity), with a PSU random
effect so that design effects are realistic, unequal weights, and domains (e.g. community x
sex) that cut across strata and PSUs.

Example
-------
>>> from benchmarks._data import make_survey
>>> df = make_survey(2_000, seed=1)
>>> sorted(df.columns)[:4], len(df)
(['domain', 'psu', 'stratum', 'weight'], 2000)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

N_VARS = 10


@dataclass(frozen=True)
class Shape:
    """Size of a synthetic survey: rows, strata, PSUs and domains."""

    n: int
    n_strata: int
    n_psu: int
    n_domains: int


def default_shape(n: int) -> Shape:
    """The issue's shape (200 strata, 4,000 PSUs, 50 domains), scaled down for small ``n``.

    At least 5 respondents per PSU and 2 PSUs per stratum, so no stratum is a singleton.

    >>> default_shape(1_000_000)
    Shape(n=1000000, n_strata=200, n_psu=4000, n_domains=50)
    >>> default_shape(2_000)
    Shape(n=2000, n_strata=20, n_psu=400, n_domains=50)
    """
    n_psu = int(min(4000, max(4, n // 5)))
    n_strata = int(min(200, max(2, n_psu // 20)))
    return Shape(n=n, n_strata=n_strata, n_psu=n_psu, n_domains=50)


def variable_names(k: int = N_VARS) -> list[str]:
    """Names of the outcome columns: ``y0 .. y{k-1}``."""
    return [f"y{j}" for j in range(k)]


def make_survey(n: int, *, seed: int = 20261122, shape: Shape | None = None) -> pd.DataFrame:
    """Make ``n`` respondents with columns ``stratum, psu, weight, domain, y0..y9``.

    Every PSU holds at least one respondent and sits in exactly one stratum; PSU codes are
    globally unique (``nest`` is irrelevant). ``y0..y4`` are 1-5 Likert items, ``y5..y7`` 0/1
    indicators, ``y8..y9`` continuous; all float64 with no missing values. ``domain`` is an
    int64 code 0..49 drawn independently of the strata.
    """
    shape = shape or default_shape(n)
    rng = np.random.default_rng(seed)
    # every PSU gets >= 1 row; the rest are spread at random
    psu = np.concatenate([np.arange(shape.n_psu), rng.integers(0, shape.n_psu, n - shape.n_psu)])
    rng.shuffle(psu)
    stratum = psu % shape.n_strata
    psu_effect = rng.normal(0.0, 0.6, shape.n_psu)[psu]
    psu_weight = rng.lognormal(5.0, 0.4, shape.n_psu)[psu]
    weight = psu_weight * rng.uniform(0.5, 1.5, n)
    domain = rng.integers(0, shape.n_domains, n)
    dom_effect = rng.normal(0.0, 0.3, shape.n_domains)[domain]
    cols: dict[str, np.ndarray] = {
        "stratum": stratum.astype(np.int64),
        "psu": psu.astype(np.int64),
        "weight": weight,
        "domain": domain.astype(np.int64),
    }
    latent = psu_effect + dom_effect
    for j, name in enumerate(variable_names()):
        noise = rng.normal(0.0, 1.0, n)
        if j < 5:
            cols[name] = np.clip(np.rint(3.0 + latent + noise), 1, 5).astype(np.float64)
        elif j < 8:
            cols[name] = (latent + noise > 0.3).astype(np.float64)
        else:
            cols[name] = 50.0 + 10.0 * latent + 15.0 * noise
    return pd.DataFrame(cols)
