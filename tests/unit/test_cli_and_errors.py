"""The command line answers --help and --version; errors name where and what to do."""

from __future__ import annotations

import subprocess
import sys

from trustsurvey.errors import InputFileError, TrustSurveyError


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trustsurvey", *args], capture_output=True, text=True, check=False
    )


def test_help_lists_the_tool() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    assert "trust in police" in result.stdout


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip().startswith("trustsurvey ")


def test_error_names_file_row_item_and_hint() -> None:
    err = InputFileError(
        "value out of range", file="w1.sav", row=[3, 7], item="trust_police", hint="recode it"
    )
    text = str(err)
    assert text.startswith("w1.sav, item trust_police, row 3, 7: value out of range.")
    assert text.endswith("What to do: recode it")
    assert isinstance(err, TrustSurveyError)


def test_error_shortens_long_row_lists() -> None:
    err = TrustSurveyError("duplicate ids", row=list(range(1, 100)))
    assert "(99 in all)" in str(err)
