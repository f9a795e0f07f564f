"""Commands of the questionnaire room: ``trustsurvey questionnaire check|show|from-xlsform|
validate-export|from-spss``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from trustsurvey.questionnaire import Questionnaire

questionnaire_app = typer.Typer(
    name="questionnaire",
    help=(
        "Questionnaire definitions (YAML): check one, print it as a readable codebook, or draft "
        "one from a Kobo/ODK XLSForm or an SPSS file's dictionary."
    ),
    no_args_is_help=True,
)


def _output_path(source: Path, output: Path, force: bool) -> Path:
    from trustsurvey.errors import QuestionnaireError

    if output.resolve() == source.resolve():
        raise QuestionnaireError(
            "the output would overwrite the input file",
            file=output,
            hint="choose another name with -o",
        )
    if output.exists() and not force:
        raise QuestionnaireError(
            "the output file already exists",
            file=output,
            hint="choose another name with -o, or add --force to replace it",
        )
    return output


def _print_notes(q: object) -> None:
    for note in getattr(q, "notes", []) or []:
        typer.echo(f"note: {note}", err=True)


def _print_missing_kinds(q: Questionnaire, lang: str = "uk") -> None:
    """What the draft says each missing code is, for the researcher to check."""
    from trustsurvey.questionnaire import missing_kind_lines

    lines = missing_kind_lines(q, lang)
    if not lines:
        typer.echo("missing codes: none found (add missing: with kind: to the YAML if needed)")
        return
    typer.echo(
        "missing codes and their kinds, inferred from the labels (check them; correct "
        "kind: in the YAML — dont_know, refused, not_applicable or missing):"
    )
    for line in lines:
        typer.echo(f"  {line}")


@questionnaire_app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="Questionnaire YAML file or XLSForm.")],
) -> None:
    """Check a questionnaire YAML file (or an XLSForm) and print a summary.

    Prints the number of items by type, the scales, indices, items with skip logic and the
    items flagged as personal data (PII); for an XLSForm also the form rules kept but not
    enforced. A bad file prints one error naming the file, the key path (e.g.
    items[12].relevant) and line, and exits with status 2.
    """
    from trustsurvey.questionnaire import from_xlsform, load_questionnaire
    from trustsurvey.questionnaire.missing_kinds import kind_suggestions

    if file.suffix.lower() in (".xlsx", ".xls", ".xlsm"):
        q = from_xlsform(file)
        for rule in q.not_enforced:
            typer.echo(f"not enforced: {rule}")
    else:
        q = load_questionnaire(file)
    s = q.summary()
    typer.echo(f"{file}: OK — {q.name} version {q.version}")
    types = ", ".join(f"{k} {v}" for k, v in s["types"].items())  # type: ignore[union-attr]
    typer.echo(f"items: {s['items']} ({types})")
    typer.echo(f"scales: {len(q.scales)} ({', '.join(q.scales) or '-'})")
    typer.echo(f"indices: {len(q.indices)} ({', '.join(q.indices) or '-'})")
    typer.echo(f"skip logic: {', '.join(s['with_skip_logic']) or '-'}")  # type: ignore[arg-type]
    typer.echo(f"PII items: {', '.join(q.pii_items) or '-'}")
    if q.codebook:
        typer.echo(f"codebook themes: {len(q.codebook.themes)}")
    for role in ("outcome", "covariate"):
        typer.echo(f"{role} items: {', '.join(q.items_with_role(role)) or '-'}")
    for hint in kind_suggestions(q):
        typer.echo(f"hint: {hint}")
    typer.echo(f"sha256: {q.hash()}")


@questionnaire_app.command("show")
def show(
    file: Annotated[Path, typer.Argument(help="Questionnaire YAML file.")],
    lang: Annotated[
        str, typer.Option("--lang", "-l", help="Language of the texts: uk or en.")
    ] = "uk",
) -> None:
    """Print a questionnaire as a readable codebook in Ukrainian (uk) or English (en)."""
    from trustsurvey.errors import QuestionnaireError
    from trustsurvey.questionnaire import load_questionnaire
    from trustsurvey.questionnaire.render import render_codebook

    if lang not in ("uk", "en"):
        raise QuestionnaireError(f"unknown language {lang!r}", item="--lang", hint="use uk or en")
    typer.echo(render_codebook(load_questionnaire(file), lang))


@questionnaire_app.command("from-xlsform")
def from_xlsform_cmd(
    form: Annotated[Path, typer.Argument(help="XLSForm (.xlsx) as used by KoboToolbox/ODK.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Questionnaire YAML to write.")],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing output.")] = False,
) -> None:
    """Draft a questionnaire YAML from an XLSForm (parsed with ODK's pyxform).

    Groups are flattened, repeats reported, relevance translated; what cannot be checked
    on data (regex(), pulldata(), other constraints) is printed as "not enforced". The form
    is never changed.
    """
    from trustsurvey.questionnaire import from_xlsform

    target = _output_path(form, output, force)
    q = from_xlsform(form)
    _print_notes(q)
    for rule in q.not_enforced:
        typer.echo(f"not enforced: {rule}", err=True)
    _print_missing_kinds(q)
    q.to_yaml(target)
    typer.echo(f"wrote {target}: {len(q.items)} items, {len(q.scales)} scales")


@questionnaire_app.command("validate-export")
def validate_export_cmd(
    form: Annotated[
        Path, typer.Argument(help="The XLSForm (.xlsx/.xls) the data were collected with.")
    ],
    export: Annotated[Path, typer.Argument(help="Kobo/ODK Central/Ona export (.xlsx or .csv).")],
    out: Annotated[
        Path | None, typer.Option("-o", "--out", help="Folder for validation.csv and .html.")
    ] = None,
) -> None:
    """Read a Kobo/ODK/Ona export with its form and validate every table of it.

    Repeat groups are read from the workbook's other sheets or from the CSV files next to
    the export. Prints what the form asks that cannot be checked (not enforced), the rows
    per table and the report summary; exit status 1 if there are errors.
    """
    from trustsurvey.io.form_export import read_form_export, validate_form_export
    from trustsurvey.questionnaire import from_xlsform

    q = from_xlsform(form)
    for rule in q.not_enforced:
        typer.echo(f"not enforced: {rule}")
    data = read_form_export(export, q)
    typer.echo(f"{export}: {len(data.data.data)} submissions ({data.style} export)")
    for name, table in data.repeats.items():
        typer.echo(f"  repeat {name}: {len(table.data)} rows")
    for issue in data.data.meta.issues + [i for t in data.repeats.values() for i in t.meta.issues]:
        typer.echo(f"note: {issue}")
    report = validate_form_export(data, q)
    if out is not None:
        paths = report.write(out)
        typer.echo(f"Report: {paths['html']}  ({paths['csv'].name})")
    typer.echo(report.summary())
    if not report.ok:
        raise typer.Exit(1)


@questionnaire_app.command("from-spss")
def from_spss_cmd(
    file: Annotated[Path, typer.Argument(help="SPSS file (.sav, .zsav, .por).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Questionnaire YAML to write.")],
    lang: Annotated[
        str, typer.Option("--lang", "-l", help="Language of the file's labels: uk or en.")
    ] = "uk",
    encoding: Annotated[
        str | None, typer.Option("--encoding", "-e", help="Text encoding, e.g. cp1251.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing output.")] = False,
) -> None:
    """Draft a questionnaire YAML from an SPSS file's dictionary.

    Variable labels become question texts, value labels codes, user-missing values missing
    codes, multiple-response sets multiple-choice items. Review the draft: add the other
    language, roles and indices.
    """
    from trustsurvey.io import read_survey
    from trustsurvey.questionnaire import from_spss_metadata

    target = _output_path(file, output, force)
    meta = read_survey(file, encoding=encoding).meta
    q = from_spss_metadata(meta, language=lang)
    _print_notes(q)
    _print_missing_kinds(q, lang)
    q.to_yaml(target)
    typer.echo(f"wrote {target}: {len(q.items)} items")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main trustsurvey app."""
    app.add_typer(questionnaire_app, name="questionnaire")
