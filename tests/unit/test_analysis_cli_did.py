"""``trustsurvey did`` through the command line, on the trust reference file."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from trustsurvey.cli import app

DESIGN = ["--ids", "psu", "--strata", "stratum", "--weights", "pw", "--nest"]


def test_did_command_matches_reference(fixtures_dir, trust_reference, tmp_path):
    sav = fixtures_dir / "trust" / "trust_two_waves.sav"
    out = tmp_path / "did.csv"
    result = CliRunner().invoke(
        app, ["did", str(sav), "trust_police", "nothere", *DESIGN, "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "nothere: not estimated" in result.output
    table = pd.read_csv(out, keep_default_na=True)
    row = table.set_index("outcome").loc["trust_police"]
    assert row["estimate"] == pytest.approx(trust_reference["did"]["estimate"], rel=1e-6)
    assert row["se"] == pytest.approx(trust_reference["did"]["se"], rel=1e-6)


def test_did_command_missing_file_exits_2(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "trustsurvey", "did", str(tmp_path / "no.sav"), "y"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "not found" in (proc.stderr + proc.stdout)
