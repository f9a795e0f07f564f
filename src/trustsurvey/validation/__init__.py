"""Validation: a pandera schema from the questionnaire, cross-field and data-quality checks,
the file's dictionary against the questionnaire, and a report of every problem.

Validation never drops rows; :func:`clean_study` writes a new dataset and an exclusion log.

>>> from trustsurvey.validation import CHECKS
>>> CHECKS["speeder"].severity
'warning'
"""

from __future__ import annotations

from trustsurvey.validation.checks import CHECKS, Check
from trustsurvey.validation.report import ValidationReport
from trustsurvey.validation.validate import validate_data, validate_file, validate_study

__all__ = [
    "CHECKS",
    "Check",
    "ValidationReport",
    "clean_study",
    "validate_data",
    "validate_file",
    "validate_study",
]


def __getattr__(name: str):
    if name == "clean_study":
        from trustsurvey.validation.clean import clean_study

        return clean_study
    raise AttributeError(name)
