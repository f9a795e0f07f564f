"""Shared fixtures: paths to the reference data copied from R's survey package."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "example"
OUTPUT = Path(__file__).parent / "_output"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A copy of the committed example study, without its outputs (a test may change it)."""
    target = tmp_path / "study"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("out"))
    return target


@pytest.fixture(scope="session")
def api_reference() -> dict:
    return json.loads((FIXTURES / "r_survey" / "api_reference.json").read_text())


@pytest.fixture(scope="session")
def trust_reference() -> dict:
    return json.loads((FIXTURES / "trust" / "trust_reference.json").read_text())


# Every dashboard request of the suite comes from 127.0.0.1, so the per-client rate limit
# (tested on its own in tests/unit/test_dashboard_limits.py) would answer 429 to the
# intruder tests and browser tests that send hundreds of requests a second.
os.environ.setdefault("TRUSTSURVEY_DASHBOARD_RATE", "0")
