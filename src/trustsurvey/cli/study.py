"""Commands of the study room: ``example``, ``validate``, ``clean``, ``run``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperCommand

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
    """Run the whole study pipeline, from the raw waves to the published bundle."""
    from trustsurvey.run import run_study

    run_study(study, echo=typer.echo)


def run_help() -> str:
    """The help of ``trustsurvey run``: its steps, in order, from the pipeline itself.

    >>> print(run_help().splitlines()[2])
    1. read: read the waves with the questionnaire's missing codes
    """
    from trustsurvey.run.pipeline import STEPS

    steps = "\n\n".join(f"{i}. {s.name}: {s.description}" for i, s in enumerate(STEPS, 1))
    return (
        f"Run the whole study pipeline in {len(STEPS)} steps, from the raw waves to the "
        "published bundle; outputs go under STUDY/out/, written atomically (a failed run "
        f"keeps the previous outputs), and raw files are only read.\n\n{steps}"
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main trustsurvey app."""
    app.command("example", short_help="Write the synthetic example study.")(example)
    app.command("validate", short_help="Validate a study's data against its questionnaire.")(
        validate
    )
    app.command("clean", short_help="Write cleaned data and an exclusion log.")(clean)
    app.command(
        "run",
        short_help="Run the pipeline: validate, clean, weight, estimate, analyse, publish.",
        cls=_RunCommand,
    )(run)


class _RunCommand(TyperCommand):
    """``run``, whose help lists the pipeline's steps; built only when the help is shown,
    so that other commands do not import the pipeline."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self.help = run_help()
        super().format_help(ctx, formatter)
