"""A wave delivered as a Kobo CSV export validates with no false error or warning.

The staggered example study has its third wave as a Kobo export (group-path headers,
space-separated multiple choice, the server's ``_id``/``_uuid``/``start``/``end`` columns).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from trustsurvey.example import generate_example
from trustsurvey.study import load_study
from trustsurvey.validation import validate_study


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory):
    folder = Path(tmp_path_factory.mktemp("kobo")) / "study"
    generate_example(folder, shape="staggered")
    return validate_study(load_study(folder))


def test_the_kobo_wave_has_no_error_and_no_extra_column(report) -> None:
    table = report.table
    kobo = table[table["file"].astype(str).str.endswith(".csv")]
    assert kobo.empty, kobo[["check", "item", "message_en"]].to_string()


def test_the_planted_errors_are_still_found(report) -> None:
    assert {"duplicate", "invalid_code"} <= set(report.errors["check"])
