"""Commands of the publish room: ``dashboard`` and ``publish audit|report|demo``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

publish_app = typer.Typer(
    help="Results bundles: audit disclosure control, write the report, make a demo bundle.",
    no_args_is_help=True,
)


def dashboard(
    bundle: Annotated[Path, typer.Argument(help="A results bundle folder, e.g. STUDY/out/bundle.")],
    host: Annotated[
        str, typer.Option(help="Address to listen on (loopback by default).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8050,
    lang: Annotated[str, typer.Option(help="Language shown first: uk or en.")] = "uk",
    config: Annotated[
        Path | None,
        typer.Option(
            help="Dashboard configuration YAML (default: dashboards/<study>.yaml if present)."
        ),
    ] = None,
    production: Annotated[
        bool, typer.Option("--production", help="Serve with gunicorn (several workers, no debug).")
    ] = False,
    workers: Annotated[
        int, typer.Option(help="gunicorn worker processes (with --production; ~2 per core).")
    ] = 2,
    threads: Annotated[
        int, typer.Option(help="Threads per gunicorn worker (gthread; with --production).")
    ] = 4,
    debug: Annotated[
        bool, typer.Option("--debug", help="Dash debug mode (never in production).")
    ] = False,
) -> None:
    """Serve the bilingual dashboard of a results bundle (reads only the bundle).

    HTTP basic auth is enabled when TRUSTSURVEY_DASHBOARD_USER and
    TRUSTSURVEY_DASHBOARD_PASSWORD are set.

    --production runs gunicorn on trustsurvey.dashboard.wsgi:application
    (TRUSTSURVEY_BUNDLE names the bundle): gthread workers, --preload,
    workers recycled after about 20,000 requests, keep-alive 5 s; callback
    answers and static files are cached in bounded memory.
    """
    from trustsurvey.errors import PublishError
    from trustsurvey.publish.bundle import read_bundle

    if lang not in ("uk", "en"):
        raise PublishError(f"unknown language {lang!r}", item="--lang", hint="use uk or en")
    read_bundle(bundle)  # fail early, with a clear message, on a bad bundle
    if production:
        if debug:
            raise PublishError(
                "--debug cannot be used with --production", item="--debug", hint="drop --debug"
            )
        env = dict(os.environ, TRUSTSURVEY_BUNDLE=str(bundle.resolve()))
        if config is not None:
            env["TRUSTSURVEY_DASHBOARD_CONFIG"] = str(config.resolve())
        from trustsurvey.dashboard.wsgi import gunicorn_argv

        cmd = gunicorn_argv(host, port, workers=workers, threads=threads)
        # replace this process so that signals (Ctrl+C, SIGTERM) reach gunicorn directly
        os.execvpe(cmd[0], cmd, env)
    from trustsurvey.dashboard.app import create_app

    app = create_app(bundle, config=config, lang=lang)
    typer.echo(f"Serving the dashboard on http://{host}:{port} (Ctrl+C to stop)")
    app.run(host=host, port=port, debug=debug)


@publish_app.command("audit")
def audit(
    bundle: Annotated[Path, typer.Argument(help="A results bundle folder.")],
    previous: Annotated[
        Path | None,
        typer.Option(
            help="The release before BUNDLE (publish.previous_bundle): audit both together, "
            "as an intruder who kept it would read them."
        ),
    ] = None,
) -> None:
    """Check checksums and re-run the LP disclosure audit; exit 2 if a cell is exposed."""
    from trustsurvey.publish.audit import audit_bundle

    result = audit_bundle(bundle, previous=previous)
    if result.empty:
        typer.echo("No suppressed cells; nothing to audit.")
        return
    keys = ["release", "table", "column"] if previous is not None else ["table", "column"]
    for key, g in result.groupby(keys):
        name = ".".join(map(str, key[-2:])) + (f" ({key[0]} release)" if previous else "")
        typer.echo(
            f"{name}: {len(g)} suppressed, smallest interval an intruder can derive "
            f"{g['width'].min():.4g} (required {g['required'].iloc[0]:.4g})"
        )
    typer.echo("OK: no suppressed value can be recomputed or narrowed below the interval.")


@publish_app.command("report")
def report(
    bundle: Annotated[Path, typer.Argument(help="A results bundle folder.")],
    out: Annotated[Path, typer.Option(help="Folder for report.html and tables.xlsx.")] = Path("."),
) -> None:
    """Write the self-contained bilingual HTML report and the Excel workbook of a bundle."""
    from trustsurvey.publish.report import write_report

    html_path, xlsx_path = write_report(bundle, out)
    typer.echo(f"Wrote {html_path} and {xlsx_path}")


@publish_app.command("demo")
def demo(
    out: Annotated[Path, typer.Argument(help="Output folder; the bundle goes to OUT/bundle.")],
    seed: Annotated[int, typer.Option(help="Random seed of the synthetic respondents.")] = 7,
) -> None:
    """Write the bundle of a small synthetic study (6 communities, 2 arms, 2 waves)."""
    from trustsurvey.publish.bundle import write_bundle
    from trustsurvey.publish.fixture import synthetic_meta, synthetic_tables

    path = write_bundle(synthetic_tables(seed=seed), out, study_meta=synthetic_meta())
    typer.echo(f"Wrote {path}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main ``trustsurvey`` app."""
    app.command("dashboard")(dashboard)
    app.add_typer(publish_app, name="publish")
