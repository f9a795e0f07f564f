"""Commands of the weighting room: ``trustsurvey weight STUDY``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def weight(
    study: Annotated[Path, typer.Argument(help="Study folder (holding study.yaml).")],
    out: Annotated[
        Path | None,
        typer.Option("-o", "--out", help="Output folder (default STUDY/out/weighting)."),
    ] = None,
    method: Annotated[
        str | None,
        typer.Option(
            "--method",
            help="rake (iterative proportional fitting), poststratify (one crossed margin per "
            "group) or calibrate (linear GREG). Default: study.yaml's weighting.method, else rake.",
        ),
    ] = None,
    lower: Annotated[
        float | None, typer.Option("--lower", help="Trim weights below this value (strict).")
    ] = None,
    upper: Annotated[
        float | None, typer.Option("--upper", help="Trim weights above this value (strict).")
    ] = None,
    weight_name: Annotated[
        str, typer.Option("--weight-name", help="Name of the weight column written.")
    ] = "weight_final",
) -> None:
    """Weight a study's respondents to its population margins.

    Each group of the study's margins (e.g. wave × raion) is weighted to its own population.
    Writes weighted.parquet and weighted.sav (the weight labelled), diagnostics (achieved vs
    target for every margin cell, Kish design effect, effective sample size, weight spread per
    group: CSV and diagnostics.html) and design_r.R, design_stata.do, design_spss.sps
    declaring the same design in R, Stata and SPSS.
    """
    import pandas as pd

    from trustsurvey.errors import WeightingError
    from trustsurvey.run.weighting import weight_study
    from trustsurvey.study import load_study

    if method is not None and method not in ("rake", "poststratify", "calibrate"):
        raise WeightingError(
            f"unknown method {method!r}",
            item="--method",
            hint="use rake, poststratify or calibrate",
        )
    s = load_study(study)
    res = weight_study(
        s, out_dir=out, method=method, lower=lower, upper=upper, weight_name=weight_name
    )
    w = res.diagnostics.weights
    cols = [c for c in w.columns if c in (*(s.margins.by if s.margins else ()), "group")]
    shown = w[[*cols, "n", "min", "max", "ratio", "deff_kish", "n_eff"]].copy()
    for col in [*cols, "n"]:
        if pd.api.types.is_float_dtype(shown[col]) and (shown[col] % 1 == 0).all():
            shown[col] = shown[col].astype(int)
    typer.echo(shown.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    worst = res.diagnostics.margins["rel_error"].max()
    typer.echo(f"Largest relative margin error: {worst:.2e}")
    folder = res.files["parquet"].parent
    typer.echo(f"Weighted data and diagnostics written to {folder}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main ``trustsurvey`` app."""
    app.command("weight")(weight)
