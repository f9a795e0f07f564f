"""Smoke version of benchmarks/sim_small_area.py: 12 replications (400 there)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.sim_small_area import areas, checks, simulate  # noqa: E402


def test_areas_are_fixed_by_the_seed():
    a, b = areas(3), areas(3)
    np.testing.assert_array_equal(a["x"], b["x"])
    assert a["clusters"].between(6, 15).all()


def test_smoke_run_eblup_beats_direct():
    result = simulate(12, 20261204)
    assert result["reps"] == 12
    assert result["median_deff"] > 2  # a design effect the direct estimate pays for
    assert result["mse_ratio_eblup_direct"] < 0.8
    assert result["coverage_eblup"] > 0.8
    assert set(checks(result)) == {"eblup_more_precise", "covers_as_well_as_direct"}
