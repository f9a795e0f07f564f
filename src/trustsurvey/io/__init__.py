"""Data ingest and export: SPSS (.sav/.zsav/.por), CSV/XLSX (incl. KoboToolbox), Parquet.

Reading keeps every variable label, value label and user-missing code; raw files are never
modified.

>>> from trustsurvey.io import read_survey
>>> sd = read_survey("tests/fixtures/trust/trust_two_waves.sav")      # doctest: +SKIP
>>> sd.data["q7_trust"].isin([8, 9]).sum() > 0                     # doctest: +SKIP
True
"""

from __future__ import annotations

# Submodules named like their main function (convert, inspect): the names bound here
# are the functions, not the modules.
from trustsurvey.io.convert import convert
from trustsurvey.io.form_export import FormExport, read_form_export, validate_form_export
from trustsurvey.io.inspect import inspect_file
from trustsurvey.io.kobo import expand_multiple
from trustsurvey.io.metadata import FileMetadata
from trustsurvey.io.read import read_survey
from trustsurvey.io.survey_data import SurveyData, normalise_missing_codes
from trustsurvey.io.write import write_survey

__all__ = [
    "FileMetadata",
    "FormExport",
    "SurveyData",
    "convert",
    "expand_multiple",
    "inspect_file",
    "normalise_missing_codes",
    "read_form_export",
    "read_survey",
    "validate_form_export",
    "write_survey",
]
