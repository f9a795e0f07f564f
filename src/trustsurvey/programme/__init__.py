"""Programme monitoring: activities, hotline appeals and trainings beside the survey.

Declared in ``study.yaml`` under ``programme:`` (activities, hotline, trainings, population
files); read with personal data dropped (:mod:`.read`), validated into the survey's report
format (:mod:`.validate`), summarised (:mod:`.activities`, :mod:`.hotline`, :mod:`.training`)
and related to the change in trust (:mod:`.dose`, observational).
"""

from __future__ import annotations

from trustsurvey.programme.activities import activity_counts, programme_intensity
from trustsurvey.programme.dose import dose_response, meta_regression, trust_change
from trustsurvey.programme.hotline import (
    appeal_rates,
    hotline_change,
    km_quantiles,
    resolution_curve,
    resolution_summary,
)
from trustsurvey.programme.model import ProgrammeData, pii_columns
from trustsurvey.programme.read import read_programme, read_records
from trustsurvey.programme.report import programme_tables, write_programme_report
from trustsurvey.programme.training import training_effects
from trustsurvey.programme.validate import (
    ProgrammeValidation,
    validate_programme,
    validate_records,
)
from trustsurvey.programme.vocabulary import load_vocabulary

__all__ = [
    "ProgrammeData",
    "ProgrammeValidation",
    "activity_counts",
    "appeal_rates",
    "dose_response",
    "hotline_change",
    "km_quantiles",
    "load_vocabulary",
    "meta_regression",
    "pii_columns",
    "programme_intensity",
    "programme_tables",
    "read_programme",
    "read_records",
    "resolution_curve",
    "resolution_summary",
    "training_effects",
    "trust_change",
    "validate_programme",
    "validate_records",
    "write_programme_report",
]
