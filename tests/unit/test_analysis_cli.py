"""``trustsurvey plan`` and ``trustsurvey sample`` through the real command line."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from trustsurvey.cli import app


def run(*args: str) -> subprocess.CompletedProcess:
    """The installed command line in a subprocess (for exit codes of documented errors)."""
    return subprocess.run(
        [sys.executable, "-m", "trustsurvey", *args], capture_output=True, text=True, timeout=120
    )


def invoke(*args: str):
    """The same app in-process (faster; successful runs)."""
    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def test_plan_prints_sample_size_and_mde():
    out = invoke("plan", "--effect", "0.3", "--icc", "0.05", "--cluster-size", "10", "--n", "400")
    assert out.exit_code == 0, out.output
    assert "n_per_cell" in out.stdout and "506" in out.stdout
    assert "Minimum detectable DiD" in out.stdout and "0.3374" in out.stdout


def test_plan_binary_outcome_uses_bernoulli_sd():
    from trustsurvey.analysis import did_sample_size

    out = invoke("plan", "--effect", "0.1", "--proportion", "0.2", "--icc", "0.05",
                 "--cluster-size", "12")  # fmt: skip
    assert out.exit_code == 0, out.output
    expected = did_sample_size(0.1, sd=0.4, icc=0.05, cluster_size=12)["n_per_cell"].iloc[0]
    assert f" {expected} " in out.output


def test_plan_icc_from_earlier_wave(fixtures_dir):
    sav = fixtures_dir / "trust" / "trust_two_waves.sav"
    out = invoke("plan", "--effect", "0.3", "--icc-from", str(sav), "--item", "trust_police")
    assert out.exit_code == 0, out.output
    assert "ANOVA estimator" in out.stdout and "trust_police" in out.stdout


def test_plan_without_effect_or_n_is_a_clear_error():
    out = run("plan")
    assert out.returncode == 2
    assert "--effect" in out.stderr and "Traceback" not in out.stderr


def test_sample_writes_sheets_and_probabilities(tmp_path):
    rng = np.random.default_rng(8)
    pop = rng.integers(300, 9000, 24)
    frame = pd.DataFrame(
        {"code": [f"S{i}" for i in range(24)], "hromada": np.repeat(["Chuhuiv", "Zmiiv"], 12),
         "population": pop, "households": pop // 2}
    )  # fmt: skip
    path = tmp_path / "frame.csv"
    frame.to_csv(path, index=False)
    before = path.read_bytes()
    args = ["sample", str(path), "--strata", "hromada", "--size", "population", "--n-psu", "6",
            "--take", "8", "--households", "households", "--id", "code", "--seed", "3"]  # fmt: skip
    out = invoke(*args, "-o", str(tmp_path / "out"))
    assert out.exit_code == 0, out.output
    assert path.read_bytes() == before
    sett = pd.read_csv(tmp_path / "out" / "settlements.csv")
    sheets = pd.read_csv(tmp_path / "out" / "households.csv")
    kish = pd.read_csv(tmp_path / "out" / "kish_tables.csv")
    assert len(sett) == 6 and len(sheets) == 48 and len(kish) == 8
    assert {"pi1", "pi2", "weight_household"} <= set(sett.columns)
    assert {"kish_table", "select_adults_1", "pi1", "pi2", "pi3", "weight"} <= set(sheets.columns)
    assert pd.read_csv(tmp_path / "out" / "allocation.csv")["n"].sum() == 6
    sheets.loc[:, "adults"] = np.resize([1, 2, 3, np.nan], len(sheets))
    sheets.to_csv(tmp_path / "filled.csv", index=False)
    w = invoke("sample-weights", str(tmp_path / "filled.csv"), "-o", str(tmp_path / "w.csv"))
    assert w.exit_code == 0, w.output
    weights = pd.read_csv(tmp_path / "w.csv")
    np.testing.assert_allclose(
        weights["weight"], weights["adults"] / (weights["pi1"] * weights["pi2"])
    )
    assert weights["weight"].isna().sum() == len(sheets) // 4  # no interview, no weight
    again = invoke(*args, "-o", str(tmp_path / "again"))
    assert again.exit_code == 0
    assert (tmp_path / "again" / "households.csv").read_text() == (
        tmp_path / "out" / "households.csv"
    ).read_text()


@pytest.mark.parametrize(
    ("change", "message"),
    [({"population": 0}, "sizes must be positive"), ({}, "settlements requested")],
)
def test_sample_bad_frames_exit_2(tmp_path, change, message):
    frame = pd.DataFrame({"h": ["a", "a", "b"], "population": [100, 200, 300]})
    for col, value in change.items():
        frame.loc[1, col] = value
    path = tmp_path / "frame.csv"
    frame.to_csv(path, index=False)
    out = run("sample", str(path), "--strata", "h", "--size", "population", "--n-psu",
              "2" if change else "5", "--take", "4", "--household-size", "2.6",
              "-o", str(tmp_path / "o"))  # fmt: skip
    assert out.returncode == 2, out.stderr
    assert message in out.stderr and "Traceback" not in out.stderr


def test_help_shows_examples():
    out = invoke("sample", "--help")
    assert out.exit_code == 0 and "Kish" in out.output and "--n-psu" in out.output
