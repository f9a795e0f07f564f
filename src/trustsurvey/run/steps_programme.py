"""Pipeline step ``programme``: validate the programme records and write their tables.

Runs after ``estimates``. A study without a ``programme:`` section skips it. Writes under
``STUDY/out/programme/``: the validation report, the excluded rows, tidy aggregate tables with
unweighted counts, and plotly figures (see
:func:`trustsurvey.programme.write_programme_report`). The dose-response relates the change in
the first outcome of the study's analysis plan, from the analysis dataset of the ``indices``
step (cleaned survey data) with the pipeline's final weights, to programme intensity; a
community with fewer than ``publish.min_cell`` respondents in a wave is flagged ``small_cell``
and left out of its meta-regression (the publish step blanks its change)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from trustsurvey.run.context import RunContext


def _with_final_weights(ctx: RunContext, survey: pd.DataFrame) -> tuple[pd.DataFrame, Any]:
    """The survey frame carrying the pipeline design's weights (``ctx.design``) as a column,
    and a study whose design names that column, for the dose-response's own design.

    The dose-response builds its design from a frame, so the weighted weights enter as a
    column: its SEs treat them as fixed (no calibration adjustment; Lumley 2010, §7.4).
    """
    import copy
    import dataclasses

    name = "_pipeline_weight"
    assert ctx.design is not None
    weights = ctx.design.weights.reindex(survey.index)
    study = copy.copy(ctx.study)
    study.design = dataclasses.replace(ctx.study.design, weights=name)
    ctx.echo("      dose-response: the pipeline's weights as a column (SEs treat them as fixed)")
    return survey.assign(**{name: weights.to_numpy(float)}), study


def study_outcomes(study: Any, frame: pd.DataFrame) -> list[str]:
    """The plan's outcomes in ``frame``; the dose-response uses the first."""
    return study.plan.present("outcomes", frame.columns)


def run_programme(ctx: RunContext) -> None:
    """Validate the programme records and write their tables and figures."""
    from trustsurvey.programme import validate_programme, write_programme_report

    if ctx.study.programme is None:
        ctx.echo("      skipped: study.yaml has no programme section")
        return
    validation = validate_programme(ctx.study)
    for line in validation.report.summary().splitlines():
        ctx.echo(f"      {line}")
    survey = ctx.analysis
    if survey is not None and not study_outcomes(ctx.study, survey):
        survey = None
    study = ctx.study
    if survey is not None and ctx.design is not None:
        survey, study = _with_final_weights(ctx, survey)
    out = ctx.study.out_dir / "programme"
    paths = write_programme_report(study, out, validation=validation, survey=survey)
    ctx.outputs.update({f"programme_{k}": v for k, v in paths.items()})
    if "dose_response_note" in paths:
        note = pd.read_csv(paths["dose_response_note"])
        ctx.echo(f"      no dose-response: {note['reason'].iloc[0]}")
    if "dose_response" in paths:
        dose = pd.read_csv(paths["dose_response"])
        small = dose.loc[dose["small_cell"].astype(bool), "community"].astype(str).tolist()
        used = int(dose["in_fit"].astype(bool).sum())
        ctx.echo(
            f"      dose-response: {used} of {len(dose)} communities in the meta-regression"
            + (
                f"; left out (fewer than {ctx.study.publish.min_cell} respondents in a wave, "
                f"change not published): {', '.join(small)}"
                if small
                else ""
            )
        )
    ctx.echo(f"      {len(validation.exclusions)} row(s) excluded; tables and figures in {out}")
