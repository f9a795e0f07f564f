"""The runnable examples in the DiD / comparison / ordinal / margins modules' docstrings."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["did", "compare", "choices", "effects", "ordinal", "margins", "multiplicity", "figures"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"trustsurvey.analysis.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
