"""Pipeline steps ``read``, ``validate``, ``clean`` and ``indices``: from the wave files to
the analysis frame.

``read`` reads each wave with the questionnaire's missing codes; ``validate`` writes
``out/validation/``; ``clean`` excludes the respondents the study's ``validation.exclude``
checks flag (``out/clean/``) and puts each wave's respondents in
:func:`~trustsurvey._order.canonical_order` (by respondent id), remembering each one's row in
its file; ``indices`` stacks the waves into the analysis frame
(:func:`trustsurvey.run.frame.analysis_frame`, written to ``out/analysis.parquet``).

Floating-point sums depend on the order of their terms, so the canonical order is what makes a
permuted data file give a byte-identical bundle. ``source_row`` still names each respondent's
row in its file.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from trustsurvey._files import atomic_path
from trustsurvey._order import canonical_order
from trustsurvey.io.survey_data import SurveyData
from trustsurvey.run.context import RunContext
from trustsurvey.run.frame import analysis_frame, file_name, respondent_id_column, source_rows_of
from trustsurvey.run.repeats import write_repeats
from trustsurvey.validation.clean import CleanResult


def read(ctx: RunContext) -> None:
    """Read every wave (``ctx.data``; a Kobo/ODK export with its repeat tables,
    ``ctx.exports``)."""
    from trustsurvey.validation.validate import read_export, read_wave

    for wave in ctx.study.waves:
        if wave.form is not None:
            export = read_export(ctx.study, wave)
            ctx.exports[wave.code] = export
            ctx.data[wave.code] = export.data
        else:
            ctx.data[wave.code] = read_wave(ctx.study, wave)
        ctx.echo(f"      wave {wave.code}: {len(ctx.data[wave.code].data)} rows ({wave.file.name})")
        if wave.code in ctx.exports:
            for repeat, sd in ctx.exports[wave.code].repeats.items():
                ctx.echo(
                    f"        repeat {repeat}: {len(sd.data)} rows ({Path(sd.meta.file).name})"
                )


def validate(ctx: RunContext) -> None:
    """Validate the waves against the questionnaire (``ctx.report``, ``out/validation/``),
    repeat groups included (their row counts in ``out/validation/repeats.csv``)."""
    from trustsurvey.validation import validate_study

    ctx.report = validate_study(ctx.study, data=dict(ctx.data), exports=dict(ctx.exports))
    paths = ctx.report.write(ctx.study.out_dir / "validation")
    ctx.outputs.update({f"validation_{k}": v for k, v in paths.items()})
    for line in ctx.report.summary().splitlines():
        ctx.echo(f"      {line}")


def clean(ctx: RunContext) -> None:
    """Exclude the flagged respondents (``ctx.cleaned``, ``out/clean/``), canonical order."""
    from trustsurvey.validation import clean_study

    cleaned = clean_study(ctx.study, ctx.report, data=dict(ctx.data))
    ctx.cleaned = cleaned
    for path in cleaned.files:
        ctx.outputs[f"clean_{path.stem}"] = path
    _canonical_cleaned(ctx, cleaned)
    ctx.echo(f"      {cleaned.summary()}")


def _canonical_cleaned(ctx: RunContext, cleaned: CleanResult) -> None:
    """Put the cleaned respondents of each wave in canonical order (the written
    ``out/clean/`` files keep the file order) and remember each one's file row."""
    study = ctx.study
    id_column = respondent_id_column(study.questionnaire)
    for wave in study.waves:
        sd = cleaned.data[wave.code]
        assert isinstance(sd, SurveyData)
        rows = source_rows_of(len(sd.data), file_name(study, wave.file), cleaned.exclusions)
        order = canonical_order(sd.data, id_column)
        cleaned.data[wave.code] = _reordered(sd, order)
        ctx.source_rows[wave.code] = [rows[i] for i in order]


def _reordered(sd: SurveyData, order: np.ndarray) -> SurveyData:
    """``sd`` with its rows in ``order`` (metadata unchanged)."""
    return dataclasses.replace(sd, data=sd.data.iloc[order].reset_index(drop=True))


def indices(ctx: RunContext) -> None:
    """Build the analysis frame (``ctx.analysis``, ``out/analysis.parquet``)."""
    if ctx.cleaned is not None:
        data = {k: v for k, v in ctx.cleaned.data.items() if isinstance(v, SurveyData)}
        ctx.analysis = analysis_frame(
            ctx.study, data, ctx.cleaned.exclusions, source_rows=ctx.source_rows
        )
    else:
        ctx.analysis = analysis_frame(ctx.study, ctx.data)
    target = ctx.study.out_dir / "analysis.parquet"
    with atomic_path(target) as tmp:
        ctx.analysis.to_parquet(tmp, index=False)
    ctx.outputs["analysis"] = target
    write_repeats(ctx)  # repeat groups beside it, one row per instance (out/repeats/)
    names = [n for n in ctx.study.questionnaire.indices if n in ctx.analysis.columns]
    for name in names:
        ctx.echo(f"      {name}: {int(ctx.analysis[name].notna().sum())} valid scores")
    _echo_plan(ctx, ctx.analysis)


def _echo_plan(ctx: RunContext, frame: pd.DataFrame) -> None:
    """Say what the analysis plan analyses, and which of its names the data lack."""
    plan = ctx.study.plan
    for key in ("outcomes", "subgroups", "adjust", "distributions", "multiple"):
        wanted = getattr(plan, key)
        if key == "multiple":
            q = ctx.study.questionnaire
            have = [n for n in wanted if all(c in frame.columns for c in q.columns_for(n))]
        else:
            have = plan.present(key, frame.columns)
        source = "study.yaml" if key in plan.declared else "questionnaire roles"
        line = f"      analysis.{key} ({source}): {', '.join(have) or 'none'}"
        lacking = [n for n in wanted if n not in have]
        if lacking:
            line += f"; not in the data, skipped: {', '.join(lacking)}"
        ctx.echo(line)
