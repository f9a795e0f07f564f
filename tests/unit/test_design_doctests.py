"""The runnable examples in the design modules' docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "trustsurvey.design",
    "trustsurvey.design.core",
    "trustsurvey.design.structure",
    "trustsurvey.design.variance",
    "trustsurvey.design.domains",
    "trustsurvey.design.results",
    "trustsurvey.design.estimators",
    "trustsurvey.design.proportion",
    "trustsurvey.design.quantile",
    "trustsurvey.design.contrast",
    "trustsurvey.design.expression",
    "trustsurvey.design.models",
    "trustsurvey.design.tests",
    "trustsurvey.design.replicate",
    "trustsurvey.design.profile",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no example"
    assert result.failed == 0
