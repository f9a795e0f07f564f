"""Smoke version of the dashboard load test: gunicorn on 127.0.0.1, a few clients, 10 s.

Asserts zero errors, that every kind of request was made and that the server's memory was
sampled; no timing assertion (the full 60-second run is ``benchmarks/bench_load.py``).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.bench_load import markdown, memory_growth, run_load  # noqa: E402

GUNICORN = Path(sys.executable).with_name("gunicorn")


@pytest.mark.skipif(
    not (GUNICORN.exists() or shutil.which("gunicorn")), reason="gunicorn is not installed"
)
def test_ten_seconds_of_mixed_load_give_no_errors(tmp_path: Path) -> None:
    res = run_load(clients=8, duration=10, workers=2, think=0.2, out=tmp_path)
    assert res["errors"] == 0, res["error_examples"]
    kinds = res["by_kind"]
    for kind in ("page", "callback", "download", "asset"):
        assert kinds[kind]["requests"] > 0, kind
    assert res["all"]["requests"] == sum(
        kinds[k]["requests"] for k in ("page", "callback", "download")
    )
    mem = res["memory"]
    assert mem["samples"] >= 10 and mem["processes"] == 3  # master + 2 workers
    assert mem["first_mib"] > 20  # real processes were measured
    saved = json.loads((tmp_path / "load_latest.json").read_text())
    assert saved["errors"] == 0 and len(saved["memory_samples"]) == mem["samples"]
    assert "p95 ms" in (tmp_path / "load_latest.md").read_text()
    assert "errors: 0" in markdown(res)


def test_memory_growth_compares_the_first_and_last_ten_seconds() -> None:
    flat = [{"t": float(t), "rss_mib": 300.0} for t in range(61)]
    assert memory_growth(flat)["growth_mib"] == 0.0
    leak = [{"t": float(t), "rss_mib": 300.0 + 2 * t} for t in range(61)]
    g = memory_growth(leak)
    assert g["first_mib"] == 310.0 and g["last_mib"] == 410.0 and g["growth_mib"] == 100.0
