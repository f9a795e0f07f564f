"""``trustsurvey run STUDY``: the pipeline as one ordered list of named steps.

Each step is a function taking the shared, typed :class:`~trustsurvey.run.context.RunContext`.
:data:`STEPS` below is the whole pipeline, in order; pass ``steps=`` to :func:`run_study` to
run part of it. Outputs go under ``STUDY/out/`` and are written atomically; raw files are
only read.

``read`` (waves with the questionnaire's missing codes) -> ``validate`` (``out/validation/``)
-> ``clean`` (``out/clean/``) -> ``indices`` (the analysis frame with index scores, the raw
missing codes beside, personal data removed: ``out/analysis.parquet``) -> ``weight`` (raked
to the study's margins: ``out/weighting/``; puts the one weighted design on ``ctx.design``)
-> ``estimates`` (``out/estimates.csv``) -> ``programme`` (``out/programme/``) -> ``analysis``
(``out/analysis/``) -> ``measurement`` (index reliability, focus groups) -> ``publish``
(``out/bundle/``, ``out/report.html``, ``out/tables.xlsx``). Every step after ``weight``
estimates from ``ctx.design`` (:func:`~trustsurvey.run.context.shared_design`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from trustsurvey.errors import DesignError
from trustsurvey.run import (
    steps_analysis,
    steps_data,
    steps_estimates,
    steps_measurement,
    steps_programme,
    steps_publish,
    steps_weighting,
)
from trustsurvey.run.context import RunContext, Step
from trustsurvey.study.loader import load_study
from trustsurvey.study.locate import locate
from trustsurvey.study.model import Study

#: the pipeline, in order
STEPS: tuple[Step, ...] = (
    Step("read", "read the waves with the questionnaire's missing codes", steps_data.read),
    Step("validate", "validate against the questionnaire (out/validation/)", steps_data.validate),
    Step("clean", "exclude flagged respondents (out/clean/)", steps_data.clean),
    Step("indices", "compute index scores (out/analysis.parquet)", steps_data.indices),
    Step(
        "weight",
        "weight to the population margins (out/weighting/)",
        steps_weighting.run_weighting,
    ),
    Step(
        "estimates",
        "weighted means by arm x wave (out/estimates.csv)",
        steps_estimates.estimates,
    ),
    Step(
        "programme",
        "programme activities, hotline, trainings (out/programme/)",
        steps_programme.run_programme,
    ),
    Step("analysis", "DiD, comparisons and figures (out/analysis/)", steps_analysis.run_analysis),
    Step(
        "measurement",
        "index reliability and focus groups (out/analysis/)",
        steps_measurement.run_measurement,
    ),
    Step("publish", "results bundle, report and workbook (out/bundle/)", steps_publish.run_publish),
)


def steps_until(name: str) -> list[Step]:
    """The steps of :data:`STEPS` up to and including the one called ``name``.

    >>> [s.name for s in steps_until("clean")]
    ['read', 'validate', 'clean']
    """
    names = [s.name for s in STEPS]
    if name not in names:
        from trustsurvey.errors import StudyError

        raise StudyError(
            f"no pipeline step named {name!r}", item=name, hint="use one of: " + ", ".join(names)
        )
    return list(STEPS[: names.index(name) + 1])


def run_study(
    folder: str | Path | Study,
    *,
    steps: Sequence[Step] | None = None,
    echo: Callable[[str], None] = print,
) -> RunContext:
    """Run the pipeline on a study folder; return the context with every result.

    Examples
    --------
    >>> import tempfile
    >>> from trustsurvey.example import generate_example
    >>> ctx = run_study(generate_example(tempfile.mkdtemp() + "/s"), echo=lambda s: None)
    >>> sorted(ctx.estimates["arm"].unique())
    ['control', 'pilot']
    """
    started = time.perf_counter()
    study = folder if isinstance(folder, Study) else load_study(folder)
    ctx = RunContext(study=study, echo=echo)
    chosen = list(STEPS if steps is None else steps)
    echo(f"Study {study.name}: {len(study.waves)} wave(s), questionnaire {study.questionnaire_ref}")
    for i, step in enumerate(chosen, 1):
        t0 = time.perf_counter()
        echo(f"[{i}/{len(chosen)}] {step.name}: {step.description}")
        try:
            step.run(ctx)
        except DesignError as err:  # rows of the design's data -> wave file and data row
            frame = ctx.design.data if ctx.design is not None else ctx.analysis
            raise locate(frame, err) from err
        echo(f"      done in {time.perf_counter() - t0:.1f} s")
    echo(f"Finished in {time.perf_counter() - started:.1f} s; outputs in {study.out_dir}")
    return ctx
