"""Weight a whole study: the ``trustsurvey weight STUDY`` command as a function.

Takes the study's analysis frame (:func:`weight_frame`, also the ``weight`` step of
``trustsurvey run``, which weights the cleaned frame; :func:`weight_study` reads the waves
as they are first), builds the study's design, weights each group of ``margins.by`` (e.g.
wave × raion) to its own margins, and writes the weighted data (Parquet and SPSS, the
weight labelled), the diagnostics (CSV and a plotly HTML page) and snippets declaring the
same design in R (``svydesign``), Stata (``svyset``) and SPSS (Complex Samples ``CSPLAN``).

Examples
--------
>>> import tempfile
>>> from trustsurvey.example import generate_example
>>> from trustsurvey.study import load_study
>>> study = load_study(generate_example(tempfile.mkdtemp() + "/s"))
>>> res = weight_study(study, out_dir=tempfile.mkdtemp())
>>> sorted(p.name for p in res.files.values())[:3]
['design_r.R', 'design_spss.sps', 'design_stata.do']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trustsurvey._files import write_atomic
from trustsurvey.design.base import Design
from trustsurvey.errors import WeightingError
from trustsurvey.weighting.diagnostics import WeightingDiagnostics, weighting_diagnostics
from trustsurvey.weighting.groups import weight_by_group
from trustsurvey.weighting.methods import trim
from trustsurvey.weighting.targets import load_targets

WEIGHT_LABEL = "Підсумкова вага (зважено до населення) / Final weight (weighted to population)"


@dataclass
class WeightStudyResult:
    """The weighted design, its data with the weight column, diagnostics and files written."""

    design: Design
    data: pd.DataFrame
    diagnostics: WeightingDiagnostics
    files: dict[str, Path] = field(default_factory=dict)


def design_snippets(design_kwargs: dict[str, Any], weight: str, sav_name: str) -> dict[str, str]:
    """R, Stata and SPSS code declaring the weighted design (weights treated as given)."""
    ids = design_kwargs.get("ids")
    ids_list = [] if ids in (None, 1, "1") else ([ids] if isinstance(ids, str) else list(ids))
    strata = design_kwargs.get("strata")
    fpc = design_kwargs.get("fpc")
    nest = bool(design_kwargs.get("nest"))
    note = (
        "weights from trustsurvey (raked to population margins); this declaration treats them "
        "as fixed, so SEs omit the calibration gain that trustsurvey's own estimates include"
    )
    r_ids = " + ".join(ids_list) if ids_list else "1"
    r_parts = [f"ids = ~{r_ids}"]
    if strata:
        r_parts.append(f"strata = ~{strata}")
    r_parts.append(f"weights = ~{weight}")
    if fpc:
        r_parts.append(f"fpc = ~{fpc}")
    if nest:
        r_parts.append("nest = TRUE")
    r = (
        f"# {note}\nlibrary(haven)\nlibrary(survey)\n"
        f'd <- as.data.frame(zap_labels(read_sav("{sav_name}", user_na = FALSE)))\n'
        f"des <- svydesign({', '.join(r_parts)}, data = d)\n"
    )
    stata_psu = ids_list[0] if ids_list else "_n"
    stata = f'* {note}\nimport spss using "{sav_name}", clear\n'
    stata += f"svyset {stata_psu} [pweight = {weight}]"
    opts = []
    if strata:
        opts.append(f"strata({strata})")
    if fpc:
        opts.append(f"fpc({fpc})")
    if opts:
        stata += ", " + " ".join(opts)
    stata += "\n"
    if len(ids_list) > 1:
        stata += (
            f"* later stages: svyset {ids_list[0]} || {ids_list[1]} ... as the design requires\n"
        )
    plan = Path(sav_name).with_suffix(".csaplan").name
    design_line = "/DESIGN"
    if strata:
        design_line += f" STRATA={strata}"
    if ids_list:
        design_line += f" CLUSTER={ids_list[0]}"
    spss = (
        f"* {note}.\nGET FILE='{sav_name}'.\n"
        f"CSPLAN ANALYSIS\n  /PLAN FILE='{plan}'\n  /PLANVARS ANALYSISWEIGHT={weight}\n"
        f"  {design_line}\n  /ESTIMATOR TYPE={'EQUAL_WOR' if fpc else 'WR'}.\n"
    )
    return {"r": r, "stata": stata, "spss": spss}


def _value_labels(questionnaire: Any, frame: pd.DataFrame) -> dict[str, dict[float, str]]:
    out: dict[str, dict[float, str]] = {}
    for name, item in getattr(questionnaire, "items", {}).items():
        if name in frame.columns and pd.api.types.is_numeric_dtype(frame[name]):
            codes = {**(item.codes or {}), **(item.missing or {})}
            labels = {}
            for code, text in codes.items():
                try:
                    labels[float(code)] = text.get("uk") if hasattr(text, "get") else str(text)
                except (TypeError, ValueError):
                    continue
            if labels:
                out[name] = labels
    return out


def write_spss(frame: pd.DataFrame, path: Path, questionnaire: Any, weight: str) -> Path:
    """The weighted data as an SPSS file with variable and value labels."""
    import pyreadstat

    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.DatetimeTZDtype):  # SPSS has no time zones
            out[col] = out[col].dt.tz_convert("UTC").dt.tz_localize(None)
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            continue
        if not pd.api.types.is_numeric_dtype(out[col]):
            out[col] = out[col].astype(object).where(out[col].notna(), None)
        elif pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].astype(float)
    labels: dict[str, str] = {}
    for name, item in getattr(questionnaire, "items", {}).items():
        if name in out.columns and getattr(item, "text", None) is not None:
            labels[name] = item.text.get("uk") if hasattr(item.text, "get") else str(item.text)
    labels[weight] = WEIGHT_LABEL
    from trustsurvey.io.write import spss_names

    renamed = spss_names([str(c) for c in out.columns])  # Kobo's _id -> v_id, label keeps it
    column_labels = [labels.get(c, c) for c in out.columns]
    out = out.rename(columns=renamed)
    return write_atomic(
        path,
        lambda tmp: pyreadstat.write_sav(
            out,
            str(tmp),
            column_labels=column_labels,
            variable_value_labels=_value_labels(questionnaire, out),
        ),
    )


def _require_margins(study: Any) -> None:
    if study.margins is None:
        raise WeightingError(
            "the study has no population margins",
            file=getattr(study, "file", None),
            item="margins",
            hint="add a margins: section (a CSV of targets) to study.yaml",
        )


def study_frame(study: Any) -> pd.DataFrame:
    """The analysis frame ``trustsurvey run`` weights: waves read, the respondents flagged by
    the study's ``validation.exclude`` checks removed (as the ``clean`` step, nothing
    written; its ``out/clean/exclusions.csv`` lists them), stacked with index scores."""
    from trustsurvey.run.frame import analysis_frame
    from trustsurvey.validation import clean_study
    from trustsurvey.validation.validate import read_wave

    data = {wave.code: read_wave(study, wave) for wave in study.waves}
    cleaned = clean_study(study, data=data, write=False)
    return analysis_frame(study, cleaned.data, cleaned.exclusions)


def weight_frame(
    study: Any,
    frame: pd.DataFrame,
    *,
    out_dir: str | Path | None = None,
    method: str | None = None,
    lower: float | None = None,
    upper: float | None = None,
    fixed_weights: bool | None = None,
    weight_name: str = "weight_final",
) -> WeightStudyResult:
    """Weight ``frame`` (the study's analysis frame) to ``study.margins``; write the outputs.

    The one function behind ``trustsurvey weight`` and the ``weight`` step of ``trustsurvey
    run``. ``method`` (``"rake"``, ``"poststratify"``, ``"calibrate"``: see
    :func:`~trustsurvey.weighting.weight_by_group`), the trimming bounds ``lower`` / ``upper``
    (R's ``trimWeights``, strict) and ``fixed_weights`` default to the study's ``weighting:``
    section. Each group of ``margins.by`` (e.g. wave × raion) is weighted to its own
    population. The returned design carries calibration-adjusted SEs (Lumley 2010, §7.4)
    unless ``fixed_weights``. Outputs go to ``out_dir`` (default ``STUDY/out/weighting``).
    """
    from trustsurvey.design import SurveyDesign

    spec = getattr(study, "weighting", None)
    method = method or getattr(spec, "method", "rake")
    if lower is None and upper is None and spec is not None:
        lower, upper = spec.lower, spec.upper
    if fixed_weights is None:
        fixed_weights = bool(getattr(spec, "fixed_weights", False))
    _require_margins(study)
    targets = load_targets(study.margins)
    if weight_name in frame.columns:
        raise WeightingError(
            "the data already have a column with the weight's name",
            item=weight_name,
            hint="choose another name with --weight-name",
        )
    design = SurveyDesign(frame, **study.design.kwargs())
    if targets.by:
        weighted = weight_by_group(
            design, list(targets.by), targets, method=method, fixed_weights=fixed_weights
        )
    else:
        weighted = weight_by_group(
            design.with_columns(_all=1),
            "_all",
            {1: targets.margins_for({})},
            method=method,
            fixed_weights=fixed_weights,
        )
    if lower is not None or upper is not None:
        weighted = trim(weighted, lower, upper, strict=True, fixed_weights=fixed_weights)
    by = list(targets.by) or None
    diag = weighting_diagnostics(weighted, by=by)
    out = frame.copy()
    out[weight_name] = np.asarray(weighted.weights, dtype=float)
    result = WeightStudyResult(weighted, out, diag)
    if out_dir is None:
        out_dir = study.out_dir / "weighting"
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = result.files
    files["parquet"] = write_atomic(out_dir / "weighted.parquet", lambda p: out.to_parquet(p))
    files["sav"] = write_spss(out, out_dir / "weighted.sav", study.questionnaire, weight_name)
    for name, table in (
        ("weights", diag.weights),
        ("margins", diag.margins),
        ("steps", diag.steps),
    ):
        files[f"diagnostics_{name}"] = write_atomic(
            out_dir / f"diagnostics_{name}.csv", lambda p, t=table: t.to_csv(p, index=False)
        )
    fig = diag.figure()
    files["diagnostics_html"] = write_atomic(
        out_dir / "diagnostics.html", lambda p: fig.write_html(str(p), include_plotlyjs=True)
    )
    snippets = design_snippets(study.design.kwargs(), weight_name, "weighted.sav")
    for key, suffix in (("r", "R"), ("stata", "do"), ("spss", "sps")):
        text = snippets[key]
        files[f"design_{key}"] = write_atomic(
            out_dir / f"design_{key}.{suffix}",
            lambda p, t=text: Path(p).write_text(t, encoding="utf-8"),
        )
    return result


def weight_study(
    study: Any,
    *,
    out_dir: str | Path | None = None,
    method: str | None = None,
    lower: float | None = None,
    upper: float | None = None,
    fixed_weights: bool | None = None,
    weight_name: str = "weight_final",
    frame: pd.DataFrame | None = None,
) -> WeightStudyResult:
    """Weight ``study`` (a loaded ``Study``) to its margins and write the outputs.

    Without ``frame``, weights every respondent of the waves as read (``trustsurvey weight``:
    invalid weights or codes are errors, nothing is dropped); ``trustsurvey run`` weights the
    cleaned frame instead. Pass ``frame=study_frame(study)`` for the pipeline's weights. The
    other arguments are those of :func:`weight_frame`.
    """
    if frame is None:
        from trustsurvey.run.frame import analysis_frame
        from trustsurvey.validation.validate import read_wave

        _require_margins(study)
        data = {wave.code: read_wave(study, wave) for wave in study.waves}
        frame = analysis_frame(study, data)
    return weight_frame(
        study,
        frame,
        out_dir=out_dir,
        method=method,
        lower=lower,
        upper=upper,
        fixed_weights=fixed_weights,
        weight_name=weight_name,
    )
