"""``trustsurvey inspect`` and ``trustsurvey convert`` through the real command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from trustsurvey.io import read_survey
from trustsurvey.io.files import sha256


class _Result:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def run_cli(*args: str | Path) -> _Result:
    """In-process run (fast); documented errors exit 2 as ``trustsurvey.cli.main`` does."""
    from typer.testing import CliRunner

    from trustsurvey.cli import app
    from trustsurvey.errors import TrustSurveyError

    result = CliRunner().invoke(app, [str(a) for a in args])
    if isinstance(result.exception, TrustSurveyError):
        return _Result(2, result.stdout, f"error: {result.exception}")
    return _Result(result.exit_code, result.stdout, result.stderr)


def run_process(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trustsurvey", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_inspect_json_and_csv(fixtures_dir: Path, tmp_path: Path) -> None:
    src = fixtures_dir / "trust" / "trust_two_waves.sav"
    before = sha256(src)
    result = run_cli("inspect", src, "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = {r["variable"]: r for r in json.loads(result.stdout)}
    assert rows["trust_police"]["missing_values"] == [8.0, 9.0]
    assert [8.0, "Важко відповісти"] in rows["trust_police"]["value_labels"]
    out = tmp_path / "dict.csv"
    result = run_cli("inspect", src, "-f", "csv", "-o", out)
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(out)
    assert table.shape[0] == 20
    assert set(table.columns) >= {"variable", "label", "n_valid", "n_missing_code"}
    assert sha256(src) == before


def test_inspect_table_with_encoding(fixtures_dir: Path) -> None:
    result = run_cli("inspect", fixtures_dir / "spss" / "cp1251.sav", "--encoding", "cp1251")
    assert result.returncode == 0, result.stderr
    assert "Довіра до поліції" in result.stdout
    assert "97–99" in result.stdout


def test_convert_and_force(fixtures_dir: Path, tmp_path: Path) -> None:
    src = fixtures_dir / "spss" / "utf8_mrsets.sav"
    out = tmp_path / "x.parquet"
    assert run_cli("convert", src, out).returncode == 0
    assert read_survey(out).meta.mr_sets == read_survey(src).meta.mr_sets
    again = run_cli("convert", src, out)
    assert again.returncode == 2
    assert "already exists" in again.stderr and "--force" in again.stderr
    assert run_cli("convert", src, out, "--force").returncode == 0


def test_documented_errors_exit_2_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "broken.sav"
    bad.write_text("id,trust\n1,2\n", encoding="utf-8")
    result = run_process("inspect", bad)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "broken.sav" in lines[0] and "What to do:" in lines[0]
    wrong = run_cli(
        "inspect", Path(__file__).parents[1] / "fixtures/spss/cp1251.sav", "-e", "latin1"
    )
    assert wrong.returncode == 2 and "cp1251" in wrong.stderr


def test_help_texts() -> None:
    for command in ("inspect", "convert"):
        result = run_cli(command, "--help")
        assert result.returncode == 0
        assert "--encoding" in result.stdout
