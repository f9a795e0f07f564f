"""Pipeline step ``weight``: weight the analysis frame to the study's population margins.

Runs after ``indices`` (before ``estimates``). Weights ``ctx.analysis`` (cleaned, stacked
waves) with the method of the study's ``weighting:`` section (default raking; Deville &
Särndal 1992) per group of ``margins.by`` (e.g. wave × raion) through
:func:`trustsurvey.run.weighting.weight_frame` — the function behind ``trustsurvey weight`` —
and writes ``STUDY/out/weighting/`` (weighted data as Parquet and SPSS, diagnostics CSV and
HTML, R / Stata / SPSS design snippets).

It puts ONE weighted :class:`~trustsurvey.design.SurveyDesign` on ``ctx.design``
(calibration-adjusted SEs, as R's ``rake`` / ``calibrate`` designs; weights treated as fixed
if ``weighting.fixed_weights: true``) and the diagnostics on ``ctx.weighting``; every later
step estimates from that object. A study without ``margins:`` skips the weighting and
``ctx.design`` is the study's design on the analysis frame (design weights), built once.

>>> import tempfile
>>> from trustsurvey.example import generate_example
>>> from trustsurvey.run.pipeline import run_study, steps_until
>>> steps = steps_until("weight")
>>> ctx = run_study(generate_example(tempfile.mkdtemp() + "/s"), steps=steps, echo=print)
Study ...
[5/5] weight: ...
      weights: weight_final (rake to the margins by wave x raion; calibration-adjusted SEs)
...
>>> float(ctx.weighting.margins["rel_error"].max()) < 1e-9
True
"""

from __future__ import annotations

from trustsurvey.run.context import RunContext, shared_design

#: name of the final weight column in the weighted data written under out/weighting/
WEIGHT_NAME = "weight_final"


def weights_note(
    method: str, by: tuple[str, ...], lower: float | None, upper: float | None, fixed: bool
) -> str:
    """One line saying which weights the estimates use."""
    where = f"the margins by {' x '.join(by)}" if by else "the margins"
    trimmed = ""
    if lower is not None or upper is not None:
        trimmed = f", trimmed to [{lower if lower is not None else '-'}, "
        trimmed += f"{upper if upper is not None else '-'}]"
    ses = "weights treated as fixed in SEs" if fixed else "calibration-adjusted SEs"
    return f"{WEIGHT_NAME} ({method} to {where}{trimmed}; {ses})"


def run_weighting(ctx: RunContext) -> None:
    """The step: weight ``ctx.analysis``; set ``ctx.design`` and ``ctx.weighting``."""
    from trustsurvey.run.weighting import weight_frame

    study = ctx.study
    if ctx.analysis is None:
        ctx.echo("      skipped: no analysis data (run the indices step first)")
        return
    missing = [c for c in study.design.columns() if c not in ctx.analysis.columns]
    if missing:
        ctx.echo(f"      skipped: design columns {', '.join(missing)} not in the data")
        return
    if study.margins is None:
        shared_design(ctx)
        ctx.echo("      skipped: study.yaml has no margins section (population targets)")
        ctx.echo(f"      weights: {ctx.weights_note}")
        return
    spec = study.weighting
    result = weight_frame(study, ctx.analysis, weight_name=WEIGHT_NAME)
    ctx.design = result.design
    ctx.weighting = result.diagnostics
    ctx.weights_note = weights_note(
        spec.method, study.margins.by, spec.lower, spec.upper, spec.fixed_weights
    )
    ctx.outputs.update({f"weighting_{k}": v for k, v in result.files.items()})
    w = result.diagnostics.weights
    worst = float(result.diagnostics.margins["rel_error"].max())
    ctx.echo(
        f"      {len(w)} group(s); Kish deff {w['deff_kish'].min():.2f}-"
        f"{w['deff_kish'].max():.2f}; largest relative margin error {worst:.1e}"
    )
    ctx.echo(f"      weights: {ctx.weights_note}")
    ctx.echo(f"      weighted data and diagnostics in {result.files['parquet'].parent}")
