"""``trustsurvey run STUDY``: the pipeline as a list of named steps.

Each step is a small function taking the shared :class:`RunContext`; later stages
(weighting, analysis, publishing) append their own :class:`Step` to :data:`STEPS` (or pass
``steps=`` to :func:`run_study`). Outputs go under ``STUDY/out/`` and are written
atomically; raw files are only read.

Steps so far: ``read`` (waves with the questionnaire's missing codes) -> ``validate``
(``out/validation/``) -> ``clean`` (``out/clean/``) -> ``indices`` (the analysis dataset
with index scores, personal data removed: ``out/analysis.parquet``) -> ``weight`` (raked to
the study's margins: ``out/weighting/``; puts the one weighted design on ``ctx.design``) ->
``estimates`` (design-based weighted means of trust by arm x wave: ``out/estimates.csv``).
Every step after ``weight`` estimates from ``ctx.design`` (:func:`shared_design`).

From ``clean`` on, respondents are in a canonical order (:func:`canonical_order`: by wave,
then respondent id), whatever the order of the rows in the data files: floating-point sums
depend on the order of their terms, so this is what makes a permuted data file give a
byte-identical bundle. ``source_row`` still names each respondent's row in its file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from trustsurvey.questionnaire import Questionnaire

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from trustsurvey._order import canonical_order
from trustsurvey.design.base import Design
from trustsurvey.errors import DesignError
from trustsurvey.study.loader import load_study
from trustsurvey.study.locate import locate
from trustsurvey.study.model import Study

#: variables estimated by arm x wave (those present in the data are used)
ESTIMATE_VARIABLES = ("trust_police", "trust_index", "pj_index", "aware_officer")


@dataclass
class RunContext:
    """What the steps share: the study, data, report, results and files written."""

    study: Study
    echo: Callable[[str], None] = print
    data: dict[int, Any] = field(default_factory=dict)  # wave code -> SurveyData (raw)
    report: Any = None
    cleaned: Any = None
    analysis: pd.DataFrame | None = None
    estimates: pd.DataFrame | None = None
    outputs: dict[str, Path] = field(default_factory=dict)
    design: Design | None = None  # the one design every estimating step uses (see shared_design)
    weighting: Any = None  # WeightingDiagnostics of the weight step (None: not weighted)
    weights_note: str = ""  # which weights ctx.design carries, for the progress lines
    source_rows: dict[int, list[int]] = field(default_factory=dict)  # wave -> file rows


@dataclass(frozen=True)
class Step:
    """A named pipeline step."""

    name: str
    description: str
    run: Callable[[RunContext], None]


def _read(ctx: RunContext) -> None:
    from trustsurvey.validation.validate import read_wave

    for wave in ctx.study.waves:
        ctx.data[wave.code] = read_wave(ctx.study, wave)
        ctx.echo(f"      wave {wave.code}: {len(ctx.data[wave.code].data)} rows ({wave.file.name})")


def _validate(ctx: RunContext) -> None:
    from trustsurvey.validation import validate_study

    ctx.report = validate_study(ctx.study, data=ctx.data)
    paths = ctx.report.write(ctx.study.out_dir / "validation")
    ctx.outputs.update({f"validation_{k}": v for k, v in paths.items()})
    for line in ctx.report.summary().splitlines():
        ctx.echo(f"      {line}")


def _clean(ctx: RunContext) -> None:
    from trustsurvey.validation import clean_study

    ctx.cleaned = clean_study(ctx.study, ctx.report, data=ctx.data)
    for path in ctx.cleaned.files:
        ctx.outputs[f"clean_{path.stem}"] = path
    _canonical_cleaned(ctx)
    ctx.echo(f"      {ctx.cleaned.summary()}")


def _canonical_cleaned(ctx: RunContext) -> None:
    """Put the cleaned respondents of each wave in :func:`canonical_order` (the written
    ``out/clean/`` files keep the file order) and remember each one's file row, so that
    every later step — including those re-reading ``ctx.cleaned`` — sees one order."""
    study, cleaned = ctx.study, ctx.cleaned
    id_column = respondent_id_column(study.questionnaire)
    for wave in study.waves:
        sd = cleaned.data[wave.code]
        rows = _source_rows(len(sd.data), _file_name(study, wave.file), cleaned.exclusions)
        order = canonical_order(sd.data, id_column)
        cleaned.data[wave.code] = _reordered(sd, order)
        ctx.source_rows[wave.code] = [rows[i] for i in order]


def _reordered(sd: Any, order: Any) -> Any:
    """``sd`` (a ``SurveyData``) with its rows in ``order`` (metadata unchanged)."""
    import dataclasses

    return dataclasses.replace(sd, data=sd.data.iloc[order].reset_index(drop=True))


def respondent_id_column(q: Questionnaire) -> str | None:
    """The questionnaire's respondent-id item (role ``id``), if it has one."""
    names = q.items_with_role("id")
    return names[0] if names else None


def analysis_frame(
    study: Study,
    data: dict[int, Any],
    exclusions: pd.DataFrame | None = None,
    *,
    source_rows: dict[int, list[int]] | None = None,
) -> pd.DataFrame:
    """Waves stacked, missing codes as NaN, index scores added, an ``arm`` column, no PII.

    Each wave's respondents are in :func:`canonical_order` (by respondent id), whatever
    their order in the file. ``source_file`` (the wave file, as in the validation report)
    and ``source_row`` (its 1-based data row) say where each respondent came from, so errors
    can point there (:func:`trustsurvey.study.locate.locate`). For cleaned ``data`` in file
    order pass the exclusion log (``CleanResult.exclusions``) so the rows cleaning dropped
    are accounted for; for data already reordered, ``source_rows`` (wave code -> the file
    row of each row of ``data``, as the pipeline's ``RunContext.source_rows``).
    """
    q = study.questionnaire
    id_column = respondent_id_column(q)
    frames = []
    for wave in study.waves:
        sd = data[wave.code]
        name = _file_name(study, wave.file)
        if source_rows is not None and wave.code in source_rows:
            rows = list(source_rows[wave.code])
        else:
            rows = _source_rows(len(sd.data), name, exclusions)
        order = canonical_order(sd.data, id_column)
        frame = sd.analysis().iloc[order].reset_index(drop=True)
        if "wave" not in frame.columns:
            frame.insert(0, "wave", wave.code)
        frame["source_file"] = name
        frame["source_row"] = [rows[i] for i in order]
        frames.append(frame)
    frame = _harmonise(pd.concat(frames, ignore_index=True), q)
    present = [n for n in q.indices if all(_has(frame, q, m) for m in _leaves(q, n))]
    if present:
        scores = _indices(q, frame, present)
        frame = pd.concat([frame, scores], axis=1)
    frame["arm"] = study.arms.arm_of(frame)
    pii = [c for name in q.pii_items for c in q.columns_for(name) if c in frame.columns]
    return frame.drop(columns=pii)


def _file_name(study: Study, file: Path) -> str:
    """The wave file as the validation report and the exclusion log name it."""
    return str(file.relative_to(study.folder)) if file.is_relative_to(study.folder) else str(file)


def _source_rows(n_kept: int, name: str, exclusions: pd.DataFrame | None) -> list[int]:
    """1-based data rows in the file of the ``n_kept`` rows left after cleaning excluded the
    log's rows of ``name`` (cleaning keeps the order)."""
    dropped: set[int] = set()
    if exclusions is not None and len(exclusions):
        rows = exclusions.loc[exclusions["file"] == name, "row"]
        dropped = {int(r) for r in rows}
    kept = (r for r in range(1, n_kept + len(dropped) + 1) if r not in dropped)
    return [next(kept) for _ in range(n_kept)]


def _harmonise(frame: pd.DataFrame, q: Questionnaire) -> pd.DataFrame:
    """One type per column when files of different formats are stacked (dates, text)."""
    frame = frame.copy()
    for col in frame.columns:
        if frame[col].dtype != object:
            continue
        item = q.items.get(col)
        if item is not None and item.type == "date":
            frame[col] = pd.to_datetime(frame[col], errors="coerce")
        else:
            frame[col] = frame[col].map(lambda v: v if pd.isna(v) else str(v)).astype("str")
    return frame


def _leaves(q: Questionnaire, name: str) -> list[str]:
    out = []
    for member in q.indices[name].items:
        out += _leaves(q, member) if member in q.indices else [member]
    return out


def _has(frame: pd.DataFrame, q: Questionnaire, member: str) -> bool:
    return member in frame.columns


def _indices(q: Questionnaire, frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Index scores for the indices whose items the data hold."""
    import copy

    sub = copy.copy(q)
    sub.indices = {n: q.indices[n] for n in names}
    return sub.compute_indices(frame)[names]


def _indices_step(ctx: RunContext) -> None:
    from trustsurvey.study.atomic import atomic_path

    data = ctx.cleaned.data if ctx.cleaned is not None else ctx.data
    exclusions = ctx.cleaned.exclusions if ctx.cleaned is not None else None
    rows = ctx.source_rows if ctx.cleaned is not None else None
    ctx.analysis = analysis_frame(ctx.study, data, exclusions, source_rows=rows)
    target = ctx.study.out_dir / "analysis.parquet"
    with atomic_path(target) as tmp:
        ctx.analysis.to_parquet(tmp, index=False)
    ctx.outputs["analysis"] = target
    names = [n for n in ctx.study.questionnaire.indices if n in ctx.analysis.columns]
    for name in names:
        ctx.echo(f"      {name}: {int(ctx.analysis[name].notna().sum())} valid scores")


def shared_design(ctx: RunContext) -> Any:
    """``ctx.design``: the weighted design of the ``weight`` step, or (no margins, or no
    ``weight`` step in the run) the study's design on ``ctx.analysis``, built once and kept.

    Later steps estimate from this one object (adding columns with ``design.with_columns``,
    which keeps the calibration), so every table uses the same weights and SEs.
    """
    from trustsurvey.design import SurveyDesign

    if ctx.design is None:
        ctx.design = SurveyDesign(ctx.analysis, **ctx.study.design.kwargs())
        w = ctx.study.design.weights
        ctx.weights_note = f"design weights ({w})" if w else "equal weights (no design weights)"
        ctx.weights_note += ", not weighted to population margins"
    return ctx.design


def estimate_by_arm_wave(
    study: Study, frame: pd.DataFrame, design: Design | None = None
) -> pd.DataFrame:
    """Design-based weighted means (linearised SEs) by arm x wave, tidy.

    Uses ``design`` (e.g. the pipeline's weighted ``ctx.design``, whose data is ``frame``) or,
    if not given, ``trustsurvey.design.SurveyDesign`` with the study's ``design`` columns on
    the whole sample; arm x wave are domains (``by``), so their SEs come from the full design
    (Lumley 2010, §2.3: subsetting before building the design would misstate them).
    Respondents whose arm is unknown stay in the design but in no domain. A study without
    arms gets ``arm = "all"``.
    """
    from trustsurvey.design import SurveyDesign

    if design is None:
        design = SurveyDesign(frame, **study.design.kwargs())
    frame = design.data
    if "arm" not in frame.columns or frame["arm"].isna().all():
        design = design.with_columns(arm="all")
    variables = [v for v in ESTIMATE_VARIABLES if v in frame.columns]
    result = design.mean(variables, by=["arm", "wave"]).reset_index()
    if "variable" not in result.columns:
        result.insert(2, "variable", variables[0])
    keep = ["variable", "arm", "wave", "estimate", "se", "ci_low", "ci_high", "df", "deff", "n"]
    result = result[[c for c in keep if c in result.columns]]
    result["wave"] = pd.to_numeric(result["wave"]).astype("Int64")
    return result.sort_values(["variable", "arm", "wave"], kind="stable").reset_index(drop=True)


def _estimates(ctx: RunContext) -> None:
    from trustsurvey.study.atomic import write_csv

    frame = ctx.analysis
    if frame is None:
        return
    missing = [c for c in ctx.study.design.columns() if c not in frame.columns]
    if missing:
        ctx.echo(f"      skipped: design columns {', '.join(missing)} not in the data")
        return
    design = shared_design(ctx)
    ctx.echo(f"      weights: {ctx.weights_note}")
    ctx.estimates = estimate_by_arm_wave(ctx.study, frame, design)
    ctx.outputs["estimates"] = write_csv(ctx.study.out_dir / "estimates.csv", ctx.estimates)
    shown = ctx.estimates.copy()
    for col in ("estimate", "se", "ci_low", "ci_high"):
        shown[col] = shown[col].map(lambda v: f"{v:.3f}")
    cols = ["variable", "arm", "wave", "estimate", "se", "ci_low", "ci_high", "n"]
    for line in shown[cols].to_string(index=False).splitlines():
        ctx.echo(f"      {line}")


STEPS: list[Step] = [
    Step("read", "read the waves with the questionnaire's missing codes", _read),
    Step("validate", "validate against the questionnaire (out/validation/)", _validate),
    Step("clean", "exclude flagged respondents (out/clean/)", _clean),
    Step("indices", "compute index scores (out/analysis.parquet)", _indices_step),
    Step("estimates", "weighted means by arm x wave (out/estimates.csv)", _estimates),
]


def add_step(step: Step, *, after: str | None = None) -> None:
    """Append ``step`` to the pipeline (or insert it after the step named ``after``).

    A step with the same name replaces the old one, so re-importing a module is harmless.

    >>> add_step(Step("noop", "does nothing", lambda ctx: None), after="clean")
    >>> [s.name for s in STEPS][:4]
    ['read', 'validate', 'clean', 'noop']
    >>> STEPS[:] = [s for s in STEPS if s.name != "noop"]
    """
    STEPS[:] = [s for s in STEPS if s.name != step.name]
    if after is None:
        STEPS.append(step)
        return
    names = [s.name for s in STEPS]
    if after not in names:
        from trustsurvey.errors import StudyError

        raise StudyError(
            f"no pipeline step named {after!r}", item=after, hint="use one of: " + ", ".join(names)
        )
    STEPS.insert(names.index(after) + 1, step)


def run_study(
    folder: str | Path | Study,
    *,
    steps: list[Step] | None = None,
    echo: Callable[[str], None] = print,
) -> RunContext:
    """Run the pipeline on a study folder; return the context with every result.

    Examples
    --------
    >>> import tempfile
    >>> from trustsurvey.example import generate_example
    >>> ctx = run_study(generate_example(tempfile.mkdtemp() + "/s"), echo=lambda s: None)
    >>> sorted(ctx.estimates["arm"].unique())
    ['control', 'pilot']
    """
    started = time.perf_counter()
    study = folder if isinstance(folder, Study) else load_study(folder)
    ctx = RunContext(study=study, echo=echo)
    steps = list(STEPS if steps is None else steps)
    echo(f"Study {study.name}: {len(study.waves)} wave(s), questionnaire {study.questionnaire_ref}")
    for i, step in enumerate(steps, 1):
        t0 = time.perf_counter()
        echo(f"[{i}/{len(steps)}] {step.name}: {step.description}")
        try:
            step.run(ctx)
        except DesignError as err:  # rows of the design's data -> wave file and data row
            frame = ctx.design.data if ctx.design is not None else ctx.analysis
            raise locate(frame, err) from err
        echo(f"      done in {time.perf_counter() - t0:.1f} s")
    echo(f"Finished in {time.perf_counter() - started:.1f} s; outputs in {study.out_dir}")
    return ctx


# Later stages register their steps on import (each module calls add_step).
from trustsurvey.study import (  # noqa: E402
    steps_analysis,  # noqa: F401
    steps_measurement,  # noqa: F401
    steps_programme,  # noqa: F401
    steps_publish,  # noqa: F401  (last: registers "publish")
    steps_weighting,  # noqa: F401
)
