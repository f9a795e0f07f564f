"""The ``trustsurvey`` command line.

Each room of the package contributes its commands from its own module in this folder
through a ``register(app)`` function, so commands stay next to nothing but their own
arguments and the logic lives in the library.
"""

from __future__ import annotations

import sys
from importlib import import_module

import typer

from trustsurvey import __version__
from trustsurvey.errors import TrustSurveyError


def _hide_flag_type() -> None:
    """Show no ``<bool>`` placeholder beside flags (``--help``, ``--force``) in ``--help``.

    typer prints the type of every option in its rich help, and a flag takes no value.
    """
    from typer.core import TyperOption

    shown = TyperOption.display_type_rich

    def display_type_rich(self: TyperOption, ctx: typer.Context) -> str | None:
        return None if self.is_flag else shown(self, ctx)

    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_hide_flag_type()

app = typer.Typer(
    name="trustsurvey",
    help=(
        "Measure public trust in police and evaluate community-policing programmes: read SPSS, "
        "CSV and Kobo files with their questionnaire, validate, weight, estimate with "
        "design-based standard errors, and publish a bilingual dashboard."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Modules in this folder that add commands; each defines ``register(app)``.
COMMAND_MODULES = (
    "data",
    "questionnaire",
    "study",
    "weighting",
    "analysis",
    "publish",
    "programme",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"trustsurvey {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """trustsurvey command line."""


for _name in COMMAND_MODULES:
    import_module(f"trustsurvey.cli.{_name}").register(app)


def main() -> None:
    """Run the command line; documented errors print one clear message and exit 2."""
    try:
        app(standalone_mode=True)
    except TrustSurveyError as err:  # pragma: no cover - exercised through subprocess tests
        typer.secho(f"error: {err}", err=True, fg=typer.colors.RED)
        sys.exit(2)
