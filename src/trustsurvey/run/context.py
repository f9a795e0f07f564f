"""What the steps of ``trustsurvey run`` share: :class:`RunContext`, :class:`Step` and the
one weighted design every estimating step uses (:func:`shared_design`).

Every field of the context has its type; a field a step fills is ``None`` until that step
has run (the step that fills it is named beside it).

>>> import tempfile
>>> from trustsurvey.example import generate_example
>>> from trustsurvey.study import load_study
>>> ctx = RunContext(study=load_study(generate_example(tempfile.mkdtemp() + "/s")))
>>> ctx.analysis is None, ctx.design is None
(True, True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from trustsurvey.study.model import Study

if TYPE_CHECKING:  # pragma: no cover
    from trustsurvey.design import SurveyDesign
    from trustsurvey.io.form_export import FormExport
    from trustsurvey.io.survey_data import SurveyData
    from trustsurvey.validation.clean import CleanResult
    from trustsurvey.validation.report import ValidationReport
    from trustsurvey.weighting.diagnostics import WeightingDiagnostics


@dataclass
class RunContext:
    """The study, the data of each stage, the results and the files written."""

    study: Study
    echo: Callable[[str], None] = print
    #: wave code -> the wave as read (step ``read``)
    data: dict[int, SurveyData] = field(default_factory=dict)
    #: wave code -> the whole Kobo/ODK export of a wave with ``form:``, repeat tables
    #: included (step ``read``)
    exports: dict[int, FormExport] = field(default_factory=dict)
    #: the validation report (step ``validate``)
    report: ValidationReport | None = None
    #: the cleaned waves and the exclusion log (step ``clean``)
    cleaned: CleanResult | None = None
    #: wave code -> the file row of each cleaned respondent, in canonical order (``clean``)
    source_rows: dict[int, list[int]] = field(default_factory=dict)
    #: the analysis frame: waves stacked, index scores, ``arm``, missing codes beside
    #: (:func:`trustsurvey.run.frame.analysis_frame`; step ``indices``)
    analysis: pd.DataFrame | None = None
    #: the one design every estimating step uses (step ``weight``, or :func:`shared_design`)
    design: SurveyDesign | None = None
    #: diagnostics of the weights (step ``weight``; ``None``: not weighted to margins)
    weighting: WeightingDiagnostics | None = None
    #: which weights ``design`` carries, for the progress lines
    weights_note: str = ""
    #: weighted means by arm x wave (step ``estimates``)
    estimates: pd.DataFrame | None = None
    #: every file written, by a short name
    outputs: dict[str, Path] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    """A named pipeline step."""

    name: str
    description: str
    run: Callable[[RunContext], None]


def shared_design(ctx: RunContext) -> SurveyDesign:
    """``ctx.design``: the weighted design of the ``weight`` step, or (no margins, or no
    ``weight`` step in the run) the study's design on ``ctx.analysis``, built once and kept.

    Later steps estimate from this one object (adding columns with ``design.with_columns``,
    which keeps the calibration), so every table uses the same weights and SEs.
    """
    from trustsurvey.design import SurveyDesign

    if ctx.design is None:
        if ctx.analysis is None:
            from trustsurvey.errors import StudyError

            raise StudyError(
                "no analysis data to build the design on",
                file=ctx.study.file,
                hint="run the indices step first (trustsurvey run runs every step in order)",
            )
        ctx.design = SurveyDesign(ctx.analysis, **ctx.study.design.kwargs())
        w = ctx.study.design.weights
        ctx.weights_note = f"design weights ({w})" if w else "equal weights (no design weights)"
        ctx.weights_note += ", not weighted to population margins"
    return ctx.design
