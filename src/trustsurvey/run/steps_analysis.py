"""Pipeline step ``analysis``: DiD, comparisons, Likert distributions, ordinal models, figures.

Runs after ``estimates``. Writes under ``STUDY/out/analysis/`` (tidy CSV and Parquet per
table, plotly HTML figures sharing one ``plotly.min.js``):

Everything follows the study's analysis plan (``study.plan``: ``analysis:`` of study.yaml
with the questionnaire's defaults), in its order:

- ``did`` — DiD of every outcome, unadjusted and adjusted for the plan's ``adjust``
  covariates, with Holm and BH adjusted p-values; an outcome that cannot be estimated has NA
  and a ``reason``; ``did_cells`` — the 2 x 2 tables;
- ``compare_by_wave`` (pilot − control per wave, adjusted p), ``compare_communities``,
  ``compare_subgroups`` (the plan's subgroups), ``smd`` (standardised mean differences);
- ``likert_distribution`` (answer shares of the plan's ``distributions``, "difficult to
  answer" — the codes of kind ``dont_know`` — kept as its own category) and
  ``likert_tests`` (Rao-Scott per wave), ``ordinal`` (proportional-odds DiD);
- ``multiple``, ``multiple_by_community`` and ``multiple_difference`` (the plan's
  multiple-choice items, shares per option);
- ``event_study`` (three or more waves only);
- figures ``trend_<outcome>.html``, ``likert_<item>.html``, ``did_forest.html``,
  ``multiple_<item>.html``.

A study with one wave, or without pilot and control communities, gets no DiD and no
comparisons (:func:`did_unavailable` says why): its distributions and shares are by wave
(and, with no arms, trends by wave).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from trustsurvey.design.base import Design
from trustsurvey.design.metadata import result_info
from trustsurvey.errors import AnalysisError
from trustsurvey.run.context import RunContext, shared_design
from trustsurvey.run.frame import dont_know_codes, kept_answers


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy without ``attrs`` (pandas compares attrs when concatenating)."""
    out = frame.copy()
    out.attrs = {}
    return out


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat([_plain(f) for f in frames], ignore_index=True)


def write_table(out_dir: Path, name: str, frame: pd.DataFrame, ctx: RunContext) -> None:
    from trustsurvey._files import atomic_path
    from trustsurvey._files import atomic_write_csv as write_csv

    frame = _plain(frame).reset_index(drop=True)
    ctx.outputs[f"analysis_{name}"] = write_csv(out_dir / f"{name}.csv", frame)
    target = out_dir / f"{name}.parquet"
    clean = frame.copy()
    for col in clean.columns:
        if clean[col].dtype == object:
            clean[col] = clean[col].map(lambda v: v if pd.isna(v) else str(v)).astype("str")
    with atomic_path(target) as tmp:
        clean.to_parquet(tmp, index=False)


def write_figure(out_dir: Path, name: str, fig: Any, ctx: RunContext) -> None:
    from trustsurvey._files import atomic_path

    target = out_dir / f"{name}.html"
    with atomic_path(target) as tmp:
        fig.write_html(tmp, include_plotlyjs="directory", full_html=True)
    ctx.outputs[f"figure_{name}"] = target


def kept_design(design: Design, q: Any, items: list[str]) -> Design:
    """``design`` with the ``items``' "difficult to answer" codes (kind ``dont_know``) put
    back as answers from the analysis frame's ``<item>__missing`` columns
    (:func:`~trustsurvey.run.frame.kept_answers`): the weights and the calibration of
    ``design`` are unchanged (``design.with_columns``), so SEs stay calibration-adjusted."""
    kept = kept_answers(design.data, {it: dont_know_codes(q.items[it]) for it in items})
    return design.with_columns(**{it: kept[it].to_numpy() for it in items})


def _did_table(
    design: Design, outcomes: list[str], treated: str, covs: list[str], q: Any
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Unadjusted and covariate-adjusted DiD of every outcome, and the 2 x 2 tables
    (covariates with answer codes enter as categories, numeric ones as they are)."""
    from trustsurvey.analysis.did import did_table

    first = did_table(design, outcomes, treated=treated)
    parts = [first.assign(model="unadjusted")]
    if covs:
        categorical = [c for c in covs if c in q.items and q.items[c].codes]
        adj = did_table(design, outcomes, treated=treated, covariates=covs, categorical=categorical)
        parts.append(adj.assign(model="adjusted"))
    cells = result_info(first)["cells"]
    table = _concat(parts).drop(columns=["p_holm", "p_bh"])
    lead = ["outcome", "model", "estimate", "se", "ci_low", "ci_high", "df", "p", "n"]
    return table[[*lead, *[c for c in table.columns if c not in lead]]], cells


def treated_column(study: Any) -> str:
    """The name of the 0/1 pilot column the comparisons use: the study's treatment column,
    else ``treated``."""
    return study.arms.treatment or "treated"


def did_unavailable(frame: pd.DataFrame) -> str | None:
    """Why the data allow no difference-in-differences (``None`` when they do)."""
    arms = set(frame["arm"].dropna()) if "arm" in frame.columns else set()
    if frame["wave"].nunique() < 2:
        return "one_wave"
    if arms != {"pilot", "control"}:
        return "no_arms"
    return None


#: what the outputs say when a study has no DiD
DID_REASONS = {
    "one_wave": {
        "uk": "Одна хвиля опитування: різницю різниць можна оцінити лише за двох і більше хвиль.",
        "en": "One survey wave: a difference-in-differences needs two waves or more.",
    },
    "no_arms": {
        "uk": "Немає пілотних і контрольних громад: показано тенденції за хвилями та громадами.",
        "en": "No pilot and control communities: trends by wave and community are shown.",
    },
}


def run_analysis(ctx: RunContext) -> None:
    """The step: every table and figure of the analysis for the study (see module doc)."""
    frame = ctx.analysis
    study = ctx.study
    if frame is None:
        ctx.echo("      skipped: no analysis data")
        return
    missing = [c for c in study.design.columns() if c not in frame.columns]
    if missing:
        ctx.echo(f"      skipped: design columns {', '.join(missing)} not in the data")
        return
    out_dir = study.out_dir / "analysis"
    out_dir.mkdir(parents=True, exist_ok=True)
    treated = treated_column(study)
    pilot = frame["arm"].map({"pilot": 1.0, "control": 0.0}).astype(float)
    # the pipeline's one (weighted) design, with the 0/1 treatment column added
    design = shared_design(ctx).with_columns(**{treated: pilot.to_numpy()})
    ctx.echo(f"      weights: {ctx.weights_note}")
    plan = study.plan
    outcomes = plan.present("outcomes", frame.columns)
    reason = did_unavailable(frame)
    staggered = study.arms.first_treated is not None
    if not outcomes:
        ctx.echo(
            "      no outcomes to compare: name them under analysis.outcomes in study.yaml, "
            "or give items the role outcome in the questionnaire"
        )
    elif reason is None and staggered:
        from trustsurvey.run.steps_staggered import staggered_tables

        ctx.echo("      staggered adoption: group-time DiD (Callaway & Sant'Anna 2021)")
        staggered_tables(ctx, design, outcomes, out_dir)
    elif reason is None:
        _contrasts(ctx, design, frame, outcomes, treated, out_dir)
    else:
        ctx.echo(f"      no DiD: {DID_REASONS[reason]['en']}")
    contrasts = reason is None and not staggered  # 2 x 2 comparisons of pilot and control
    if outcomes:
        _trends(ctx, design, outcomes, out_dir, by_arm=reason is None)
    _distributions(ctx, design, frame, treated, out_dir, contrasts=contrasts)
    _multiple(ctx, design, frame, treated, out_dir, contrasts=contrasts)
    ctx.echo(f"      tables and figures in {out_dir}")


def _contrasts(
    ctx: RunContext,
    design: Design,
    frame: pd.DataFrame,
    outcomes: list[str],
    treated: str,
    out_dir: Path,
) -> None:
    """DiD (unadjusted and adjusted), pilot - control comparisons and the event study."""
    from trustsurvey.analysis import figures
    from trustsurvey.analysis.compare import (
        compare_communities,
        compare_means,
        compare_subgroups,
    )
    from trustsurvey.analysis.did import event_study
    from trustsurvey.analysis.effects import standardized_difference
    from trustsurvey.analysis.multiplicity import adjust_pvalues

    study = ctx.study
    plan = study.plan
    covs = plan.present("adjust", frame.columns)
    did_tab, cells = _did_table(design, outcomes, treated, covs, study.questionnaire)
    did_tab = adjust_pvalues(did_tab, family="model")
    write_table(out_dir, "did", did_tab, ctx)
    write_table(out_dir, "did_cells", cells, ctx)
    ok = did_tab[(did_tab["model"] == "unadjusted") & did_tab["estimate"].notna()]
    ctx.echo(f"      DiD for {len(ok)} of {len(outcomes)} outcomes")
    for r in ok.itertuples():
        ctx.echo(f"        {r.outcome}: {r.estimate:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}]")
    write_figure(
        out_dir, "did_forest", figures.forest_figure(ok, title="Difference-in-differences"), ctx
    )

    comp = adjust_pvalues(compare_means(design, outcomes, group=treated), family="wave")
    write_table(out_dir, "compare_by_wave", comp, ctx)
    write_table(out_dir, "smd", standardized_difference(design, outcomes, group=treated), ctx)
    com = study.arms.community
    if com and com in frame.columns:
        parts = [compare_communities(design, o, community=com, group=treated) for o in outcomes]
        write_table(out_dir, "compare_communities", _concat(parts), ctx)
    subs = plan.present("subgroups", frame.columns)
    if subs:
        sg = compare_subgroups(design, outcomes, subgroups=subs, group=treated)
        write_table(out_dir, "compare_subgroups", sg, ctx)
    if frame["wave"].nunique() >= 3:
        es = _concat([event_study(design, o, treated=treated) for o in outcomes])
        write_table(out_dir, "event_study", es, ctx)


def _trends(
    ctx: RunContext, design: Design, outcomes: list[str], out_dir: Path, *, by_arm: bool
) -> None:
    """A trend figure per outcome: by arm and wave, or (no arms) by wave."""
    from trustsurvey.analysis import figures

    arm = design.data["arm"]
    d = design if by_arm else design.with_columns(arm=arm.where(arm.notna(), "all").to_numpy())
    for out in outcomes:
        trend = d.mean(out, by=["arm", "wave"]).reset_index()
        write_figure(out_dir, f"trend_{out}", figures.trend_figure(trend, title=out), ctx)


def _distributions(
    ctx: RunContext,
    design: Design,
    frame: pd.DataFrame,
    treated: str,
    out_dir: Path,
    *,
    contrasts: bool,
) -> None:
    """Answer shares ("difficult to answer" kept), their tests and the ordinal DiD."""
    from trustsurvey.analysis import figures
    from trustsurvey.analysis.compare import likert_distribution, likert_tests
    from trustsurvey.analysis.multiplicity import adjust_pvalues
    from trustsurvey.analysis.ordinal import proportional_odds

    q = ctx.study.questionnaire
    items = ctx.study.plan.present("distributions", frame.columns)
    if not items:
        return
    kd = kept_design(design, q, items)
    cell = [treated, "wave"] if contrasts else ["wave"]
    dist = _concat(
        [
            likert_distribution(kd, it, by=cell, dont_know=dont_know_codes(q.items[it]))
            for it in items
        ]
    )
    write_table(out_dir, "likert_distribution", dist, ctx)
    for it in items:
        labels = {c: t.get("en") for c, t in q.items[it].codes.items()}
        labels |= {c: t.get("en") for c, t in q.items[it].missing.items()}
        part = dist[dist["item"] == it]
        fig = figures.likert_figure(part, cell=tuple(cell), labels=labels, title=it)
        write_figure(out_dir, f"likert_{it}", fig, ctx)
    if not contrasts:
        return
    tests = adjust_pvalues(likert_tests(kd, items, group=treated), family="wave")
    write_table(out_dir, "likert_tests", tests, ctx)
    likert = [it for it in items if q.items[it].type == "likert"]
    periods = sorted(frame["wave"].dropna().unique())
    post = frame["wave"].map(lambda w: float(w == periods[-1]) if pd.notna(w) else w)
    od = design.with_columns(post=post)
    rows = []
    for it in likert:
        try:
            fit = proportional_odds(od, f"{it} ~ {treated} * post")
        except AnalysisError as exc:
            rows.append(pd.DataFrame([{"item": it, "reason": str(exc)}]))
            continue
        rows.append(fit.assign(item=it, reason=""))
    if rows:
        ordinal = _concat(rows)
        ordinal = ordinal[["item", *[c for c in ordinal if c != "item"]]]
        write_table(out_dir, "ordinal", ordinal, ctx)


def _multiple(
    ctx: RunContext,
    design: Design,
    frame: pd.DataFrame,
    treated: str,
    out_dir: Path,
    *,
    contrasts: bool,
) -> None:
    """Shares per option of each multiple-choice item of the plan: ``multiple`` (by arm, or
    all respondents, and wave), ``multiple_by_community``, ``multiple_difference``."""
    from trustsurvey.analysis import figures
    from trustsurvey.analysis.choices import multiple_choice, multiple_choice_difference
    from trustsurvey.analysis.multiplicity import adjust_pvalues

    q = ctx.study.questionnaire
    com = ctx.study.arms.community
    items = [
        it for it in ctx.study.plan.multiple if all(c in frame.columns for c in q.columns_for(it))
    ]
    if not items:
        return
    arm = design.data["arm"]
    d = design if contrasts else design.with_columns(arm=arm.where(arm.notna(), "all").to_numpy())
    by_arm, by_com, diffs = [], [], []
    for it in items:
        mc = multiple_choice(d, it, by=["arm", "wave"], questionnaire=q)
        by_arm.append(mc)
        if com and com in frame.columns:
            by_com.append(multiple_choice(d, it, by=[com, "wave"], questionnaire=q))
        if contrasts:
            diff = multiple_choice_difference(d, it, group=treated, questionnaire=q)
            diffs.append(adjust_pvalues(diff, family="wave"))
        last = mc[(mc["wave"] == mc["wave"].max()) & ~mc["exclusive"]]
        labels = {o: t.get("en") for o, t in q.items[it].options.items()}
        title = q.items[it].text.get("en") or it
        fig = figures.problems_figure(last, group="arm", labels=labels, title=title)
        write_figure(out_dir, f"multiple_{it}", fig, ctx)
    write_table(out_dir, "multiple", _concat(by_arm), ctx)
    if by_com:
        write_table(out_dir, "multiple_by_community", _concat(by_com), ctx)
    if diffs:
        write_table(out_dir, "multiple_difference", _concat(diffs), ctx)
