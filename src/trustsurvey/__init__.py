"""trustsurvey: measure public trust in police and evaluate community-policing programmes.

The public entry points are imported lazily so that ``import trustsurvey`` stays fast and a
command that reads a questionnaire does not pay for the statistics stack.

>>> import trustsurvey
>>> trustsurvey.__version__
'0.1.0'
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "SurveyDesign": "trustsurvey.design",
    "did": "trustsurvey.analysis.did",
    "TrustSurveyError": "trustsurvey.errors",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'trustsurvey' has no attribute {name!r}")
    return getattr(import_module(module), name)
