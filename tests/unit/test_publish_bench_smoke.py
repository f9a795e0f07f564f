"""The disclosure-control benchmark runs end to end at a tiny size (no timing assertions)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import bench_publish as bp  # noqa: E402


def test_simulated_study_has_small_cells_and_margins():
    tables = bp.make_tables(3, 2, seed=2)
    ss = tables["sample_sizes"]
    assert set(ss["community"]) == {"c0000", "c0001", "c0002", "all"}
    weights = bp.weights_of(tables)
    assert set(weights) == {"estimates", "likert", "did", "problems", "sample_sizes"}
    assert all((w >= 1).all() for w in weights.values())


def test_benchmark_main_compares_both_methods_and_the_exact_audit_passes(tmp_path):
    code = bp.main(
        ["--communities", "3", "--waves", "2", "--timeout", "600", "--out", str(tmp_path)]
    )
    assert code == 0
    rows = json.loads((tmp_path / "publish_latest.json").read_text())
    assert [r["method"] for r in rows] == ["optimal", "greedy"]
    for r in rows:
        assert r["status"] == "ok", r
        assert r["recoverable"] == 0  # the exact LP audit of what would be published
        assert r["audited"] >= r["suppressed"] > r["complementary"] > 0
        assert 0 < r["info_lost"] < 1
    assert rows[0]["fallback"] == 0 and rows[0]["programmes"] > 0
    assert "| 3 | 2 | optimal | ok |" in (tmp_path / "publish_latest.md").read_text()
