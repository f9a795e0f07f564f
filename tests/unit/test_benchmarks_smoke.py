"""Smoke tests of the estimation benchmark (no timing assertions, no peers).

The numpy bound is checked against R's survey (``svyby(..., svymean)`` on designs without fpc,
``tests/fixtures/r_extra/extra_reference.json``); the benchmark is run at 2,000 rows and
trustsurvey's domain means and SEs must equal the bound's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks._data import default_shape, make_survey, variable_names  # noqa: E402
from benchmarks._numpy_bound import domain_means  # noqa: E402

BENCH = ROOT / "benchmarks" / "bench_estimation.py"


@pytest.fixture(scope="module")
def extra_reference(fixtures_dir: Path) -> dict:
    return json.loads((fixtures_dir / "r_extra" / "extra_reference.json").read_text())


def _bound_vs_r(df: pd.DataFrame, by: str, strata: str, ref: dict, variables: list[str]) -> None:
    res = domain_means(df, variables, by=by, strata=strata, psu="psu", weights="pw")
    groups = ref[by]
    # R's svyby coef order: all groups of the first variable, then the next variable
    expected = pd.DataFrame(
        {
            by: groups * len(variables),
            "variable": np.repeat(variables, len(groups)),
            "estimate": ref["estimate"],
            "se": ref["se"],
        }
    )
    got = res.assign(**{by: res[by].astype(str)}).merge(expected, on=[by, "variable"])
    assert len(got) == len(expected) == len(res)
    np.testing.assert_allclose(got["estimate_x"], got["estimate_y"], rtol=1e-9)
    np.testing.assert_allclose(got["se_x"], got["se_y"], rtol=1e-9)


def test_numpy_bound_equals_r_cluster_design(fixtures_dir: Path, extra_reference: dict) -> None:
    # svyby(~api00 + api99, ~stype, svydesign(id = ~dnum, weights = ~pw, data = apiclus1), svymean)
    df = pd.read_csv(fixtures_dir / "r_survey" / "apiclus1.csv")
    df = df.assign(one=1, psu=df["dnum"])
    _bound_vs_r(
        df, "stype", "one", extra_reference["clus1_nofpc_by_stype_mean"], ["api00", "api99"]
    )


def test_numpy_bound_equals_r_stratified_design(fixtures_dir: Path, extra_reference: dict) -> None:
    # svyby(~api00 + api99, ~sch.wide, svydesign(id = ~1, strata = ~stype, weights = ~pw), svymean)
    df = pd.read_csv(fixtures_dir / "r_survey" / "apistrat.csv")
    df = df.assign(psu=np.arange(len(df)))
    ref = extra_reference["strat_nofpc_by_schwide_mean"]
    _bound_vs_r(df, "sch.wide", "stype", ref, ["api00", "api99"])


def test_numpy_bound_rejects_single_psu_stratum() -> None:
    df = pd.DataFrame(
        {"s": [1, 1, 2], "psu": [1, 2, 3], "pw": [1.0, 2.0, 3.0], "d": [0, 1, 0], "y": [1.0] * 3}
    )
    with pytest.raises(ValueError, match="single PSU"):
        domain_means(df, ["y"], by="d", strata="s", psu="psu", weights="pw")


def test_generator_is_seeded_and_well_formed() -> None:
    a, b = make_survey(3_000, seed=7), make_survey(3_000, seed=7)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(make_survey(3_000, seed=8))
    shape = default_shape(3_000)
    assert a["psu"].nunique() == shape.n_psu
    assert (a.groupby("psu")["stratum"].nunique() == 1).all()
    assert a.groupby("stratum")["psu"].nunique().min() >= 2
    assert set(variable_names()) <= set(a.columns)
    assert not a.isna().any().any()


def test_estimation_benchmark_runs_and_matches_bound(tmp_path: Path) -> None:
    out, dump = tmp_path / "results", tmp_path / "dump"
    cmd = [sys.executable, str(BENCH), "--sizes", "2000", "--no-peers", "--repeat", "1"]
    cmd += ["--out-dir", str(out), "--dump-dir", str(dump)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads((out / "estimation_latest.json").read_text())
    assert (out / "estimation_latest.md").read_text().startswith("# Estimation benchmark")
    (row,) = result["sizes"]
    assert row["rows"] == 2000 and row["bound_seconds"] > 0
    bound = pd.read_csv(dump / "bound_2000.csv")
    assert len(bound) == 50 * 10 and bound["se"].gt(0).all()
    ts = row["trustsurvey"]
    if ts["status"] != "ok":
        pytest.skip(f"trustsurvey engine not available: {ts.get('error')}")
    ours = pd.read_csv(dump / "trustsurvey_2000.csv")
    merged = bound.merge(ours, on=["domain", "variable"], suffixes=("_bound", "_ts"))
    assert len(merged) == len(bound) == len(ours)
    np.testing.assert_allclose(merged["estimate_ts"], merged["estimate_bound"], rtol=1e-9)
    np.testing.assert_allclose(merged["se_ts"], merged["se_bound"], rtol=1e-9)
    assert ts["agree"] is True
    assert ts["peak_bytes"] > 0
