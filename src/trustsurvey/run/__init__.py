"""``trustsurvey run``: the pipeline that takes a study folder from its raw wave files to the
published bundle. Only :mod:`trustsurvey.cli` imports this package; the statistics layers
below it (design, weighting, analysis, publish) and the study settings
(:mod:`trustsurvey.study`) never do.

- :mod:`~trustsurvey.run.pipeline`: :data:`~trustsurvey.run.pipeline.STEPS`, the ordered list
  of steps, and :func:`~trustsurvey.run.pipeline.run_study`;
- :mod:`~trustsurvey.run.context`: the typed :class:`~trustsurvey.run.context.RunContext` the
  steps share;
- :mod:`~trustsurvey.run.frame`: the analysis frame (waves stacked, missing codes beside);
- ``steps_*``: one module per stage; :mod:`~trustsurvey.run.weighting`: weighting a whole
  study (``trustsurvey weight`` and the ``weight`` step).
"""

from __future__ import annotations

from trustsurvey.run.context import RunContext, Step, shared_design
from trustsurvey.run.frame import analysis_frame
from trustsurvey.run.pipeline import STEPS, run_study, steps_until

__all__ = [
    "STEPS",
    "RunContext",
    "Step",
    "analysis_frame",
    "run_study",
    "shared_design",
    "steps_until",
]
