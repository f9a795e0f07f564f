"""The runnable examples in the weighting room's docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "adjustments",
    "calibration",
    "diagnostics",
    "groups",
    "margins",
    "methods",
    "nonresponse",
    "raking",
    "targets",
    "trimming",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"trustsurvey.weighting.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
