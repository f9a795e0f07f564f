"""Pipeline step ``estimates``: design-based weighted means by arm x wave
(``out/estimates.csv``), from the run's one design (:func:`~trustsurvey.run.context.shared_design`).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from trustsurvey._files import atomic_write_csv
from trustsurvey.design import SurveyDesign
from trustsurvey.run.context import RunContext, shared_design
from trustsurvey.study.model import Study


def estimate_by_arm_wave(
    study: Study,
    frame: pd.DataFrame,
    design: SurveyDesign | None = None,
    variables: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Design-based weighted means (linearised SEs) of ``variables`` (default: the outcomes
    of the study's analysis plan) by arm x wave, tidy.

    Uses ``design`` (e.g. the pipeline's weighted ``ctx.design``, whose data is ``frame``) or,
    if not given, ``trustsurvey.design.SurveyDesign`` with the study's ``design`` columns on
    the whole sample; arm x wave are domains (``by``), so their SEs come from the full design
    (Lumley 2010, §2.3: subsetting before building the design would misstate them).
    Respondents whose arm is unknown stay in the design but in no domain. A study without
    arms gets ``arm = "all"``.
    """
    if design is None:
        design = SurveyDesign(frame, **study.design.kwargs())
    frame = design.data
    if "arm" not in frame.columns or frame["arm"].isna().all():
        design = design.with_columns(arm="all")
    wanted = study.plan.outcomes if variables is None else variables
    names = [v for v in wanted if v in frame.columns]
    result = design.mean(names, by=["arm", "wave"]).reset_index()
    if "variable" not in result.columns:
        result.insert(2, "variable", names[0])
    keep = ["variable", "arm", "wave", "estimate", "se", "ci_low", "ci_high", "df", "deff", "n"]
    result = result[[c for c in keep if c in result.columns]]
    result["wave"] = pd.to_numeric(result["wave"]).astype("Int64")
    return result.sort_values(["variable", "arm", "wave"], kind="stable").reset_index(drop=True)


def estimates(ctx: RunContext) -> None:
    """The step: ``ctx.estimates`` and ``out/estimates.csv``."""
    frame = ctx.analysis
    if frame is None:
        return
    missing = [c for c in ctx.study.design.columns() if c not in frame.columns]
    if missing:
        ctx.echo(f"      skipped: design columns {', '.join(missing)} not in the data")
        return
    design = shared_design(ctx)
    ctx.echo(f"      weights: {ctx.weights_note}")
    if not ctx.study.plan.present("outcomes", frame.columns):
        ctx.echo("      skipped: none of the plan's outcomes is in the data")
        return
    ctx.estimates = estimate_by_arm_wave(ctx.study, frame, design)
    ctx.outputs["estimates"] = atomic_write_csv(ctx.study.out_dir / "estimates.csv", ctx.estimates)
    shown = ctx.estimates.copy()
    for col in ("estimate", "se", "ci_low", "ci_high"):
        shown[col] = shown[col].map(lambda v: f"{v:.3f}")
    cols = ["variable", "arm", "wave", "estimate", "se", "ci_low", "ci_high", "n"]
    for line in shown[cols].to_string(index=False).splitlines():
        ctx.echo(f"      {line}")
