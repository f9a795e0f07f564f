"""Commands of the data room: ``inspect`` (data dictionary) and ``convert``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer


def _json_cell(value: object) -> object:
    if isinstance(value, dict):
        return [[k, v] for k, v in value.items()]
    if isinstance(value, list | tuple):
        return [list(v) if isinstance(v, tuple) else v for v in value]
    return value


def _code(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _short(value: object) -> str:
    """A cell of the dictionary table as short text: ``1=Так; 2=Ні``, ``8, 9``, ``97–99``."""
    if isinstance(value, dict):
        text = "; ".join(f"{_code(k)}={v}" for k, v in value.items())
    elif isinstance(value, list | tuple):
        text = ", ".join(
            f"{_code(v[0])}–{_code(v[1])}" if isinstance(v, tuple | list) else _code(v)
            for v in value
        )
    else:
        text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def inspect(
    file: Annotated[Path, typer.Argument(help="Data file: .sav .zsav .por .csv .xlsx .parquet")],
    encoding: Annotated[
        str | None,
        typer.Option("--encoding", "-e", help="Text encoding, e.g. cp1251, cp866, koi8-u."),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="Output: table, csv or json.")
    ] = "table",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file instead of the screen."),
    ] = None,
) -> None:
    """Show the data dictionary of a survey file.

    One row per variable with its label, type, measure, format, value labels, user-missing
    codes and ranges, and counts of valid answers, missing-answer codes, empty cells and
    distinct values. The file is never modified.
    """
    import pandas as pd

    from trustsurvey.errors import InputFileError
    from trustsurvey.io.inspect import inspect_file

    if fmt not in ("table", "csv", "json"):
        raise InputFileError(
            f"unknown output format {fmt!r}", item="--format", hint="use table, csv or json"
        )
    table = inspect_file(file, encoding=encoding)
    if fmt == "json":
        records = [{k: _json_cell(v) for k, v in row.items()} for row in table.to_dict("records")]
        text = json.dumps(records, ensure_ascii=False, indent=1, default=str)
    elif fmt == "csv":
        flat = table.copy()
        for col in ("value_labels", "missing_values", "missing_ranges"):
            flat[col] = flat[col].map(lambda v: json.dumps(_json_cell(v), ensure_ascii=False))
        text = flat.to_csv(index=False)
    else:
        shown = table.copy()
        for col in ("value_labels", "missing_values", "missing_ranges"):
            shown[col] = shown[col].map(_short)
        with pd.option_context(
            "display.max_rows", None, "display.width", 250, "display.max_colwidth", 60
        ):
            text = shown.to_string(index=False)
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)


def convert(
    in_file: Annotated[Path, typer.Argument(help="Input: .sav .zsav .por .csv .xlsx .parquet")],
    out_file: Annotated[Path, typer.Argument(help="Output: .sav .zsav .csv .xlsx .parquet")],
    encoding: Annotated[
        str | None,
        typer.Option("--encoding", "-e", help="Text encoding of the input, e.g. cp1251."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace OUT_FILE if it exists.")] = False,
) -> None:
    """Convert a survey file to another format, keeping labels and missing codes.

    Formats by extension. Labels and missing codes go wherever the target can hold them
    (CSV: a NAME.dictionary.json sidecar; XLSX: a "dictionary" sheet). The input is never
    modified; the output is written atomically.
    """
    from trustsurvey.io.convert import convert as do_convert

    out = do_convert(in_file, out_file, encoding=encoding, force=force)
    typer.echo(f"wrote {out}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main trustsurvey app."""
    app.command("inspect")(inspect)
    app.command("convert")(convert)
