"""The weighting benchmark runs end to end at a tiny size (no timing assertions)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import bench_weighting as bw  # noqa: E402


def test_data_and_margins_agree():
    frame = bw.make_weighting_data(3000, seed=1)
    margins = bw.population_margins(frame)
    totals = [sum(m.values()) for m in margins.values()]
    np.testing.assert_allclose(totals, 3000)
    # correlated characteristics: age depends on sex
    young = frame.groupby("sex")["agegrp"].mean()
    assert abs(young[1.0] - young[2.0]) > 0.05


def test_bound_and_trustsurvey_reach_the_same_weights():
    frame = bw.make_weighting_data(3000, seed=2)
    margins = bw.population_margins(frame)
    ours = bw.run_trustsurvey(frame, margins)
    bound = bw.numpy_bound(frame, bw.flat_margins(margins))
    assert bw.max_rel_diff(bound, ours) < 1e-8


def test_benchmark_main_writes_results(tmp_path):
    code = bw.main(["--rows", "2000", "--repeat", "1", "--no-peers", "--out", str(tmp_path)])
    assert code == 0
    res = json.loads((tmp_path / "weighting_latest.json").read_text())
    names = [r["name"] for r in res["rows"]]
    assert "numpy bound" in names and "trustsurvey (design + rake)" in names
    assert res["memory_ratio"] > 0
    assert (tmp_path / "weighting_latest.md").read_text().startswith("# Weighting benchmark")
