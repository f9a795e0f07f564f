"""Commands of the study room: ``example``, ``init``, ``validate``, ``clean``, ``run``."""

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
    shape: Annotated[
        str | None,
        typer.Option(
            "--shape",
            help="Another study shape: renamed (a fieldwork firm's files, no study.yaml), "
            "one-wave, no-arms, staggered (3 waves, communities join at different waves, "
            "wave 3 a Kobo CSV).",
        ),
    ] = None,
    communities: Annotated[
        int | None,
        typer.Option(
            "--communities",
            help="A national-scale study of N communities (2-5000; Ukraine has 1,469) "
            "shaped like the example.",
        ),
    ] = None,
    waves: Annotated[
        int | None,
        typer.Option("--waves", help="Waves of the national-scale study (1-9; default 2)."),
    ] = None,
) -> None:
    """Write the synthetic example study, or a study of another shape.

    Without options: a pilot raion (Chuhuiv) and three control raions of Kharkiv oblast,
    baseline and follow-up waves of ~2,000 interviews as SPSS files with Ukrainian labels,
    population margins, programme records, focus-group records and a few deliberate data
    errors (see its README.md).

    Examples:

      trustsurvey example data/example

      trustsurvey example /tmp/firm --shape renamed

      trustsurvey init /tmp/firm --data /tmp/firm/data/wave1.sav --data /tmp/firm/data/wave2.sav

      trustsurvey example /tmp/stag --shape staggered

      trustsurvey example /tmp/national --communities 1469 --waves 4
    """
    from trustsurvey.example import DEFAULT_SEED, generate_example

    path = generate_example(
        folder,
        seed=DEFAULT_SEED if seed is None else seed,
        force=force,
        shape=shape,
        communities=communities,
        waves=waves,
    )
    typer.echo(f"Example study written to {path}")
    if shape == "renamed":
        typer.echo(
            f"Next: trustsurvey init {path} --data {path}/data/wave1.sav "
            f"--data {path}/data/wave2.sav   (or trustsurvey run {path}/ready)"
        )
    else:
        typer.echo(f"Next: trustsurvey validate {path}   or   trustsurvey run {path}")


def init(
    folder: Annotated[Path, typer.Argument(help="Study folder to draft (created if needed).")],
    data: Annotated[
        list[Path],
        typer.Option(
            "--data",
            "-d",
            help="A wave's data file (SPSS, CSV/Kobo export, Excel, Parquet); repeat in wave "
            "order.",
        ),
    ],
    form: Annotated[
        Path | None,
        typer.Option("--form", help="Take the questionnaire from this XLSForm instead."),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="The study's short name (default: FOLDER's).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing draft in FOLDER.")
    ] = False,
) -> None:
    """Draft a study from its data files: questionnaire.yaml and study.yaml.

    The questionnaire comes from the files' dictionaries (as `questionnaire from-spss`) or
    an XLSForm (--form); study.yaml gets the waves (one file per wave, codes from a wave
    column), the design columns (ids/PSU, strata, weights guessed by name and label in
    Ukrainian, Russian and English), the community and arms, margins found next to the
    data and the analysis plan. Every guess is commented with what it was guessed from and
    what to check. The data files are only read, never changed.

    Examples:

      trustsurvey init studies/kharkiv --data wave1.sav --data wave2.sav

      trustsurvey init studies/kobo --data export.csv --form form.xlsx

      trustsurvey init studies/kharkiv --data wave1.sav --data wave2.sav --force
    """
    from trustsurvey.questionnaire.missing_kinds import missing_kind_lines
    from trustsurvey.study.draft import draft_study

    draft = draft_study(folder, data, form=form, name=name)
    paths = draft.write(force=force)
    for note in draft.notes:
        typer.echo(f"note: {note}")
    lines = missing_kind_lines(draft.questionnaire)
    if lines:
        typer.echo("Missing-answer codes and their kinds (correct them in questionnaire.yaml):")
        for line in lines:
            typer.echo(f"  {line}")
    typer.echo(draft.summary())
    typer.echo("Wrote " + ", ".join(str(p) for p in paths))
    typer.echo(
        f"Next: review them, then trustsurvey validate {folder} and trustsurvey run {folder}"
    )


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


def _paragraphs(doc: str | None) -> str:
    """A docstring as help text: lines of a paragraph joined (the terminal wraps them)."""
    import inspect

    blocks = inspect.cleandoc(doc or "").split("\n\n")
    return "\n\n".join(" ".join(line.strip() for line in b.splitlines()) for b in blocks)


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
    app.command(
        "example",
        short_help="Write the synthetic example study (or another shape).",
        help=_paragraphs(example.__doc__),
    )(example)
    app.command(
        "init",
        short_help="Draft study.yaml and a questionnaire from data files.",
        help=_paragraphs(init.__doc__),
    )(init)
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
