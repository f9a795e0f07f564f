"""The runnable examples in the docstrings of the study, run, example and validation packages."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import trustsurvey.example
import trustsurvey.run
import trustsurvey.study
import trustsurvey.validation


def _modules() -> list[str]:
    names = []
    for package in (
        trustsurvey.study,
        trustsurvey.run,
        trustsurvey.example,
        trustsurvey.validation,
    ):
        names.append(package.__name__)
        for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            names.append(info.name)
    return names


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"
