"""The runnable examples in the questionnaire room's docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib
import os
from pathlib import Path

import pytest

MODULES = [
    "",
    ".text",
    ".expressions",
    ".model",
    ".loader",
    ".render",
    ".xlsform",
    ".missing_kinds",
    ".xlsform_parts",
]
REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, monkeypatch):
    monkeypatch.chdir(REPO)  # examples name files relative to the repository
    module = importlib.import_module(f"trustsurvey.questionnaire{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, os.fspath(module.__file__)
    assert result.failed == 0
