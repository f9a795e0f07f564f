"""Smoke version of benchmarks/sim_staggered.py: 30 replications (1,000 and 95 +- 2% there)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.sim_staggered import make_population, simulate, truth  # noqa: E402


def test_population_truth():
    pop = make_population()
    true = truth(pop)
    assert true["event_-2"] == 0.0 and true["event_-1"] == 0.0
    assert true["event_0"] < true["event_1"] < true["event_2"]  # effects grow with time
    assert set(np.unique(pop.cohort)) == {0, 2, 3, 4}


@pytest.mark.filterwarnings("ignore")
def test_smoke_run_covers_and_twfe_is_biased():
    out = simulate(make_population(), reps=30, seed=7)
    for key, v in out["did_staggered"].items():
        assert v["coverage"] >= 0.8, key
        assert abs(v["bias"]) < 4 * v["mc_se"] + 1e-9, key
    tw = out["twfe"]
    assert tw["bias"] < -3 * tw["mc_se"]  # already-treated cohorts as controls pull it down
