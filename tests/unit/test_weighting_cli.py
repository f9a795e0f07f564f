"""``trustsurvey weight STUDY`` through a subprocess, on the generated example study."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "trustsurvey", *args], capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("weight") / "study"
    proc = _run("example", str(folder))
    assert proc.returncode == 0, proc.stderr
    return folder


def test_weight_command_writes_data_diagnostics_and_snippets(study, tmp_path):
    out = tmp_path / "w"
    proc = _run("weight", str(study), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "Largest relative margin error" in proc.stdout
    frame = pd.read_parquet(out / "weighted.parquet")
    margins = pd.read_csv(study / "margins.csv")
    # every wave x raion group sums to its population (the settlement margin's total)
    pop = margins[margins["margin"] == "settlement"].groupby(["wave", "raion"])["target"].sum()
    got = frame.groupby(["wave", "raion"])["weight_final"].sum()
    for key, value in pop.items():
        assert got[key] == pytest.approx(value, rel=1e-9)
    _, meta = pyreadstat.read_sav(str(out / "weighted.sav"), metadataonly=True)
    assert "Final weight" in meta.column_names_to_labels["weight_final"]
    diag = pd.read_csv(out / "diagnostics_margins.csv")
    assert (diag["rel_error"] <= 1e-10).all()
    weights = pd.read_csv(out / "diagnostics_weights.csv")
    assert {"deff_kish", "n_eff", "ratio", "p50"} <= set(weights.columns)
    r_code = (out / "design_r.R").read_text()
    assert "svydesign(ids = ~psu, strata = ~stratum, weights = ~pw, nest = TRUE" in r_code
    assert "des <- rake(des0, list(~tsgroup + " in r_code
    stata = (out / "design_stata.do").read_text()
    assert "svyset psu [pweight = pw], strata(stratum) rake(i.tsgroup#" in stata
    _, dta = pyreadstat.read_dta(str(out / "weighted.dta"), metadataonly=True)
    assert "Final weight" in dta.column_names_to_labels["weight_final"]
    assert dta.variable_value_labels["wave"] and set(dta.column_names) == set(frame.columns)
    assert "ANALYSISWEIGHT=weight_final" in (out / "design_spss.sps").read_text()
    assert (out / "diagnostics.html").stat().st_size > 1000


def test_weight_command_trims(study, tmp_path):
    out = tmp_path / "t"
    proc = _run("weight", str(study), "-o", str(out), "--upper", "200")
    assert proc.returncode == 0, proc.stderr
    frame = pd.read_parquet(out / "weighted.parquet")
    assert frame["weight_final"].max() <= 200 + 1e-9


def test_weight_command_error_is_one_line(study, tmp_path):
    proc = _run("weight", str(study), "--method", "magic")
    assert proc.returncode == 2
    assert "unknown method 'magic'" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_weight_help():
    proc = _run("weight", "--help")
    assert proc.returncode == 0
    assert "population margins" in proc.stdout


def test_weight_command_follows_the_method_in_study_yaml(study, tmp_path):
    """Without --method the command uses study.yaml's weighting.method (here linear GREG)."""
    copy = tmp_path / "study"
    shutil.copytree(study, copy)
    text = (copy / "study.yaml").read_text(encoding="utf-8")
    (copy / "study.yaml").write_text(text + "weighting:\n  method: calibrate\n", encoding="utf-8")
    out = tmp_path / "c"
    proc = _run("weight", str(copy), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    steps = pd.read_csv(out / "diagnostics_steps.csv")
    assert set(steps["method"]) == {"calibrate by wave × raion"}
