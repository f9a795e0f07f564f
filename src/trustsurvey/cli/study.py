"""Commands of the study room: ``example``, ``validate``, ``clean``, ``run``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DEFAULT_EXAMPLE_DIR = Path("data") / "example"

StudyArg = Annotated[Path, typer.Argument(help="Study folder (holding study.yaml).")]


def example(
    folder: Annotated[
        Path, typer.Argument(help="Folder to write the example study into (created if needed).")
    ] = DEFAULT_EXAMPLE_DIR,
    seed: Annotated[
        int | None,
        typer.Option("--seed", help="Random seed; the same seed gives the same data."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing study in FOLDER.")
    ] = False,
) -> None:
    """Write the synthetic example study.

    A pilot raion (Chuhuiv) and three control raions of Kharkiv oblast, baseline and
    follow-up waves of ~2,000 interviews as SPSS files with Ukrainian labels, population
    margins, focus-group records and a few deliberate data errors (see its README.md).
    """
    from trustsurvey.example import DEFAULT_SEED, generate_example

    path = generate_example(folder, seed=DEFAULT_SEED if seed is None else seed, force=force)
    typer.echo(f"Example study written to {path}")
    typer.echo(f"Next: trustsurvey validate {path}   or   trustsurvey run {path}")


def validate(
    study: StudyArg,
    out: Annotated[
        Path | None,
        typer.Option("-o", "--out", help="Report folder (default STUDY/out/validation)."),
    ] = None,
) -> None:
    """Check every data file of a study against its questionnaire.

    Writes validation.csv and a readable validation.html listing every problem (file, row,
    respondent, item, value, check, severity, message in English and Ukrainian) and prints
    a summary. Exit status 1 if there are errors, 0 with warnings only.
    """
    from trustsurvey.study import load_study
    from trustsurvey.validation import validate_study

    s = load_study(study)
    report = validate_study(s)
    paths = report.write(out if out is not None else s.out_dir / "validation")
    typer.echo(report.summary())
    typer.echo(f"Report: {paths['html']}  ({paths['csv'].name})")
    if not report.ok:
        raise typer.Exit(1)


def clean(
    study: StudyArg,
    out: Annotated[
        Path | None,
        typer.Option("-o", "--out", help="Folder for cleaned files (default STUDY/out/clean)."),
    ] = None,
) -> None:
    """Write cleaned copies of the waves and an exclusion log.

    Respondents flagged by the checks listed in study.yaml (validation.exclude; default
    duplicates and hard errors) are left out; exclusions.csv names each one and why.
    Raw files are never changed.
    """
    from trustsurvey.study import load_study
    from trustsurvey.validation import clean_study

    result = clean_study(load_study(study), out_dir=out)
    typer.echo(result.summary())
    for path in result.files:
        typer.echo(f"  {path}")


def run(study: StudyArg) -> None:
    """Run the study pipeline step by step.

    Read the waves with the questionnaire's missing codes, validate (STUDY/out/validation/),
    clean (STUDY/out/clean/), compute indices (STUDY/out/analysis.parquet) and estimate
    trust by arm x wave with design-based standard errors (STUDY/out/estimates.csv).
    """
    from trustsurvey.run import run_study

    run_study(study, echo=typer.echo)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main trustsurvey app."""
    app.command("example", short_help="Write the synthetic example study.")(example)
    app.command("validate", short_help="Validate a study's data against its questionnaire.")(
        validate
    )
    app.command("clean", short_help="Write cleaned data and an exclusion log.")(clean)
    app.command("run", short_help="Run the study pipeline (validate, clean, estimate).")(run)
