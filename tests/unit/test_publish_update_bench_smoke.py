"""The benchmark of an update's disclosure control runs end to end at a tiny size (no timing
assertions): the update written without the previous release is exposed by the two
releases together, the one written with it is not."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import bench_publish_update as bpu  # noqa: E402


def test_the_update_benchmark_runs_and_its_negative_control_is_exposed(tmp_path: Path) -> None:
    assert bpu.main(["--communities", "4", "--waves", "2", "--out", str(tmp_path)]) == 0
    (row,) = json.loads((tmp_path / "publish_update_latest.json").read_text())
    assert row["with_previous_exposed"] == 0
    assert row["alone_exposed"] > 0
    assert row["with_previous_suppressed"] >= row["alone_suppressed"] > 0
    assert "| 4 | 2 |" in (tmp_path / "publish_update_latest.md").read_text()
