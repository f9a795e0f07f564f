"""The example's area-level covariates (``area_covariates.csv``) for small-area estimates.

Illustrative figures, not official statistics: adults per community (the example's rounded
populations) and police records per 1,000 adults that follow the raion's term of the latent
trust (fewer calls where trust is higher), with seeded noise.

>>> table = area_covariates()
>>> list(table.columns), len(table)
(['community', 'population', 'calls_per_1000', 'crime_per_1000'], 12)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trustsurvey.example.geography import example_geography


def area_covariates(seed: int = 20240917) -> pd.DataFrame:
    """``community, population, calls_per_1000, crime_per_1000`` of the example's communities."""
    geo = example_geography()
    rng = np.random.default_rng(seed)
    pop = geo.population().set_index("community")["population"]
    order = list(geo.communities["community"])
    term = geo.communities.set_index("community")["raion"].map(geo.raion_term).reindex(order)
    calls = 140 - 400 * term.to_numpy() + rng.normal(scale=4, size=len(order))
    crime = 18 - 40 * term.to_numpy() + rng.normal(scale=2, size=len(order))
    return pd.DataFrame(
        {
            "community": order,
            "population": pop.reindex(order).fillna(0).astype(int).to_numpy(),
            "calls_per_1000": np.round(calls, 1),
            "crime_per_1000": np.round(crime, 1),
        }
    )
