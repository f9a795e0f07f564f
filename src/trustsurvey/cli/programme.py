"""Commands of the programme room: ``trustsurvey programme validate|report STUDY``.

Heavy libraries are imported inside the commands so ``trustsurvey --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

programme_app = typer.Typer(
    help=(
        "Programme monitoring: activities, hotline appeals and training tests declared under "
        "'programme:' in study.yaml. Callers' personal details (caller_* columns) are dropped "
        "on reading and never written."
    ),
    no_args_is_help=True,
)

StudyArg = Annotated[Path, typer.Argument(help="The study folder (holding study.yaml).")]


@programme_app.command("validate")
def validate_cmd(
    study: StudyArg,
    out: Annotated[
        Path | None,
        typer.Option(
            "-o", "--out", help="Also write validation.csv/.html and exclusions.csv here."
        ),
    ] = None,
) -> None:
    """Check the programme records: unknown codes, communities, dates, ids, counts, tests.

    Prints a summary and every error with file, row and value; exits 1 when there are errors.

    Example: trustsurvey programme validate data/example
    """
    from trustsurvey._files import atomic_write_csv as write_csv
    from trustsurvey.programme import validate_programme
    from trustsurvey.study import load_study

    result = validate_programme(load_study(study))
    typer.echo(result.report.summary())
    shown = result.report.table[["file", "row", "resp_id", "item", "value", "check", "severity"]]
    if len(shown):
        typer.echo(shown.to_string(index=False))
    if out is not None:
        result.report.write(out)
        write_csv(out / "exclusions.csv", result.exclusions)
        typer.echo(f"written to {out}")
    if not result.report.ok:
        raise typer.Exit(1)


@programme_app.command("report")
def report_cmd(
    study: StudyArg,
    out: Annotated[
        Path | None,
        typer.Option("-o", "--out", help="Output folder (default STUDY/out/programme)."),
    ] = None,
    no_survey: Annotated[
        bool, typer.Option("--no-survey", help="Skip the dose-response (no survey data read).")
    ] = False,
) -> None:
    """Write programme tables (CSV, with unweighted counts) and figures (HTML).

    Activities by community, type, arm and period; intensity per 1,000 residents; hotline
    appeals per month and per 1,000 by community and category, share resolved and
    Kaplan-Meier time to resolution; paired training effects; and the (observational)
    dose-response of the change in weighted trust against programme intensity. Rows with
    validation errors are left out and listed in exclusions.csv.

    Example: trustsurvey programme report data/example -o /tmp/programme
    """
    import pandas as pd

    from trustsurvey.programme import write_programme_report
    from trustsurvey.study import load_study

    st = load_study(study)
    survey = None
    if not no_survey:
        cached = st.out_dir / "analysis.parquet"
        if cached.is_file():
            survey = pd.read_parquet(cached)
        else:
            from trustsurvey.run.frame import analysis_frame
            from trustsurvey.validation.validate import read_wave

            survey = analysis_frame(st, {w.code: read_wave(st, w) for w in st.waves})
    paths = write_programme_report(st, out, survey=survey)
    typer.echo(f"{len(paths)} file(s) written to {Path(next(iter(paths.values()))).parent}")


def register(app: typer.Typer) -> None:
    """Add the ``programme`` command group."""
    app.add_typer(programme_app, name="programme")
