"""Smoke version of benchmarks/sim_imputation.py: 12 replications (500 and 95 +- 3% there)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.sim_imputation import checks, draw, make_population, simulate  # noqa: E402


def test_the_population_and_the_missing_answers():
    pop = make_population()
    assert set(np.unique(pop.y)) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    rng = np.random.default_rng(1)
    mar = draw(pop, "mar", rng)
    assert mar.loc[mar["x"] > 0, "y"].isna().mean() > 3 * mar.loc[mar["x"] <= 0, "y"].isna().mean()


@pytest.mark.filterwarnings("ignore")
def test_smoke_run_covers_and_complete_cases_are_biased_under_mar():
    out = simulate(make_population(), reps=12, seed=7, m=5)
    for mechanism in ("mcar", "mar"):
        assert out[mechanism]["coverage"] >= 0.75, mechanism
    assert out["mar"]["cc_bias"] < out["mar"]["mi_bias"] - 0.05  # imputation moves it back
    assert checks({**out, "mar": {**out["mar"], "coverage": 0.5}})  # a failing check is told
