"""The project's own errors.

Every error a user can meet is a :class:`TrustSurveyError`. It names *where* the problem
is (file, row, item or key path) and *what to do*, so the command line can print it as is
and exit non-zero, and a notebook user reads the same sentence.

Examples
--------
>>> err = InputFileError("not an SPSS file", file="wave1.sav", hint="export it again as .sav")
>>> print(err)
wave1.sav: not an SPSS file. What to do: export it again as .sav
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class TrustSurveyError(Exception):
    """Base class of every documented trustsurvey error.

    Parameters
    ----------
    message
        What is wrong, in one sentence.
    file
        The file concerned, if any.
    row
        Row number(s) in the file (1-based data rows) or respondent ids.
    item
        The questionnaire item, column or key path concerned.
    hint
        What the user should do about it.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | str | Sequence[int | str] | None = None,
        item: str | Sequence[str] | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.row = row
        self.item = item
        self.hint = hint
        super().__init__(self._render())

    @staticmethod
    def _join(value: object, limit: int = 10) -> str:
        if isinstance(value, str | int):
            return str(value)
        values = list(value)  # type: ignore[call-overload]
        shown = ", ".join(str(v) for v in values[:limit])
        if len(values) > limit:
            shown += f", … ({len(values)} in all)"
        return shown

    def _render(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.item is not None:
            where.append(f"item {self._join(self.item)}")
        if self.row is not None:
            where.append(f"row {self._join(self.row)}")
        text = (": ".join([", ".join(where), self.message]) if where else self.message).rstrip()
        if not text.endswith((".", "!", "?")):
            text += "."
        if self.hint:
            text += f" What to do: {self.hint}"
        return text


class InputFileError(TrustSurveyError):
    """A data file cannot be read: missing, empty, truncated, wrong format or encoding."""


class QuestionnaireError(TrustSurveyError):
    """A questionnaire definition is invalid (YAML syntax, unknown item, bad codes)."""


class StudyError(TrustSurveyError):
    """A study folder or its ``study.yaml`` is invalid or points to missing files."""


class DataValidationError(TrustSurveyError):
    """Data fail validation in a way that stops the pipeline (errors, not warnings)."""


class DesignError(TrustSurveyError):
    """A survey design or an estimator's arguments are invalid (weights, strata, columns)."""


class WeightingError(TrustSurveyError):
    """Weighting targets are invalid, or calibration did not converge."""


class AnalysisError(TrustSurveyError):
    """An analysis cannot be computed from the data given (e.g. an empty cell)."""


class PublishError(TrustSurveyError):
    """A results bundle cannot be written, or would disclose what it must not."""
