"""The runnable examples of the imputation, Rubin's rules and non-response bounds modules."""

from __future__ import annotations

import doctest
import importlib
import warnings

import pytest

MODULES = [
    "trustsurvey.analysis.imputation",
    "trustsurvey.analysis.rubin",
    "trustsurvey.analysis.nonresponse",
    "trustsurvey.dashboard.nonresponse",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the examples give no warning either
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
