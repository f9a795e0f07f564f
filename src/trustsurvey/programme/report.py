"""All programme tables and figures of a study, written under ``out/programme/``.

Tables are tidy CSVs of aggregates, each with the unweighted count (``n``, ``activities`` or
``n_1``/``n_2``) so the publishing step can suppress small cells; no record-level data, no
``notes`` and no caller details are ever written. Figures are self-contained plotly HTML.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from trustsurvey.errors import AnalysisError
from trustsurvey.programme.activities import activity_counts, programme_intensity
from trustsurvey.programme.hotline import (
    appeal_rates,
    hotline_change,
    resolution_curve,
    resolution_summary,
)
from trustsurvey.programme.periods import assign_period, community_table, wave_starts
from trustsurvey.programme.training import training_effects
from trustsurvey.programme.validate import ProgrammeValidation, validate_programme

if TYPE_CHECKING:  # pragma: no cover
    import plotly.graph_objects as go

    from trustsurvey.study.model import Study


def _with_context(frame: pd.DataFrame, date: str, arms: pd.DataFrame, starts: list) -> pd.DataFrame:
    arm = arms.set_index("community")["arm"]
    return frame.assign(arm=frame["community"].map(arm), period=assign_period(frame[date], starts))


def programme_tables(
    study: Study,
    validation: ProgrammeValidation | None = None,
    survey: pd.DataFrame | None = None,
    min_n: int | None = None,
    outcome: str | None = None,
) -> tuple[dict[str, pd.DataFrame], dict[str, go.Figure]]:
    """Every programme table and figure; ``survey`` = the analysis frame for dose-response,
    whose change in ``outcome`` (default: the first outcome of the study's analysis plan
    that ``survey`` holds) is regressed on programme intensity.

    ``min_n`` (default the study's ``publish.min_cell``): communities with fewer respondents
    in a wave are flagged ``small_cell`` and left out of the dose-response meta-regression
    (:func:`trustsurvey.programme.dose.dose_response`).
    """
    from trustsurvey.programme import figures

    validation = validation or validate_programme(study)
    clean = validation.clean
    starts = wave_starts(study)
    communities = community_table(study)
    between = f"between_waves_1_{len(starts)}" if len(starts) > 1 else "after_wave_1"
    tables: dict[str, pd.DataFrame] = {"exclusions": validation.exclusions}
    figs: dict[str, go.Figure] = {}
    acts = clean.get("activities")
    if acts is not None:
        acts = _with_context(acts, "date", communities, starts)
        for name, by in {
            "activities_by_community": ["community", "arm", "period"],
            "activities_by_type": ["type", "arm", "period"],
            "activities_by_arm": ["arm", "period"],
        }.items():
            tables[name] = activity_counts(acts, by)
        tables["intensity"] = programme_intensity(acts, communities, between)
        monthly = activity_counts(
            acts.assign(month=acts["date"].dt.strftime("%Y-%m")), ["community", "month"]
        )
        tables["activities_by_month"] = monthly
        waves = [(w.fieldwork_start, w.fieldwork_end) for w in study.waves]
        figs["activity_timeline"] = figures.timeline_figure(monthly, waves)
    hot = clean.get("hotline")
    if hot is not None and len(hot):
        hot = _with_context(hot, "date_received", communities, starts)
        tables["appeals_by_month_category"] = appeal_rates(
            hot, communities, ["month", "period", "category"]
        )
        tables["appeals_by_community_category"] = appeal_rates(
            hot, communities, ["community", "category", "period"]
        )
        tables["appeals_by_community"] = appeal_rates(hot, communities, ["community", "period"])
        tables["resolution_by_arm"] = resolution_summary(hot, ["arm", "period"])
        tables["resolution_by_category"] = resolution_summary(hot, ["category"])
        tables["resolution_curve"] = resolution_curve(hot, "arm")
        tables["hotline_change"] = hotline_change(hot, communities, ("before_wave_1", between))
        figs["hotline_categories"] = figures.categories_figure(tables["appeals_by_month_category"])
        figs["resolution_curves"] = figures.resolution_figure(tables["resolution_curve"])
    tr = clean.get("trainings")
    if tr is not None and acts is not None and len(tr):
        tables["training_effects"] = training_effects(tr, clean["activities"])
    if survey is not None and outcome is None:
        outcome = next((o for o in study.plan.outcomes if o in survey.columns), None)
    if survey is not None and outcome is not None and "intensity" in tables:
        from trustsurvey.programme.dose import dose_response, trust_change

        change = trust_change(
            survey, study.design.kwargs(), outcome, community=study.arms.community
        )
        if min_n is None:
            min_n = getattr(getattr(study, "publish", None), "min_cell", None)
        try:
            table, fit = dose_response(change, tables["intensity"], min_n=min_n)
        except AnalysisError as exc:  # e.g. one intensity for all: say why there is none
            tables["dose_response_note"] = pd.DataFrame(
                [{"outcome": outcome, "reason": exc.message}]
            )
        else:
            tables["dose_response"], tables["dose_response_fit"] = table, fit
            figs["dose_response"] = figures.dose_figure(table)
    return tables, figs


def write_programme_report(
    study: Study,
    out_dir: str | Path | None = None,
    *,
    validation: ProgrammeValidation | None = None,
    survey: pd.DataFrame | None = None,
) -> dict[str, Path]:
    """Write validation, tables (CSV) and figures (HTML) into ``out_dir``.

    Default ``out_dir`` is ``STUDY/out/programme``. Returns name -> path of every file.
    """
    from trustsurvey._files import atomic_write_csv as write_csv
    from trustsurvey._files import atomic_write_text as write_text

    out = Path(out_dir) if out_dir is not None else study.out_dir / "programme"
    validation = validation or validate_programme(study)
    paths = {f"validation_{k}": v for k, v in validation.report.write(out).items()}
    tables, figs = programme_tables(study, validation, survey)
    for name, table in tables.items():
        paths[name] = write_csv(out / f"{name}.csv", table)
    for name, fig in figs.items():
        paths[f"figure_{name}"] = write_text(
            out / f"{name}.html", fig.to_html(include_plotlyjs="cdn", full_html=True)
        )
    return paths
