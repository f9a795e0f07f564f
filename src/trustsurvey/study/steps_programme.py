"""Pipeline step ``programme``: validate the programme records and write their tables.

Registered after ``estimates`` when imported (``trustsurvey.study.pipeline`` imports it). A
study without a ``programme:`` section skips it. Writes under ``STUDY/out/programme/``: the
validation report, the excluded rows, tidy aggregate tables with unweighted counts, and plotly
figures (see :func:`trustsurvey.programme.write_programme_report`). The dose-response uses the
analysis dataset of the ``indices`` step (cleaned survey data).
"""

from __future__ import annotations

from trustsurvey.study.pipeline import RunContext, Step, add_step


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
    if survey is not None and "trust_police" not in survey.columns:
        survey = None
    out = ctx.study.out_dir / "programme"
    paths = write_programme_report(ctx.study, out, validation=validation, survey=survey)
    ctx.outputs.update({f"programme_{k}": v for k, v in paths.items()})
    ctx.echo(f"      {len(validation.exclusions)} row(s) excluded; tables and figures in {out}")


add_step(
    Step("programme", "programme activities, hotline, trainings (out/programme/)", run_programme),
    after="estimates",
)
