"""Smoke version of benchmarks/sim_did.py: 100 replications from the fixed finite population.

The full run (1,000 replications) is a benchmark, not part of the suite. Here the coverage of
the 95% interval must lie within 3 binomial SEs of 0.95 (SE = sqrt(0.95 * 0.05 / 100) =
0.022, so [0.885, 1]) and the mean estimate within 4 Monte-Carlo SEs of the population DiD.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.sim_did import make_population, simulate  # noqa: E402

REPS = 100


def test_population_did_is_fixed_across_calls():
    a, b = make_population(7), make_population(7)
    assert a.did() == b.did()
    np.testing.assert_array_equal(a.y, b.y)


def test_did_interval_covers_population_did():
    res = simulate(reps=REPS, seed=20261122)
    se = np.sqrt(0.95 * 0.05 / REPS)
    assert abs(res["coverage"] - 0.95) <= 3 * se, res
    assert abs(res["bias"]) <= 4 * res["bias_mc_se"], res
    assert res["population_did"] > 0
