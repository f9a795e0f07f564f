"""Pipeline step ``analysis``: DiD, comparisons, Likert distributions, ordinal models, figures.

Runs after ``estimates``. Writes under ``STUDY/out/analysis/`` (tidy CSV and Parquet per
table, plotly HTML figures sharing one ``plotly.min.js``):

- ``did`` — DiD of every outcome (indices, trust item, awareness share), unadjusted and
  adjusted for sex, age group and settlement type, with Holm and BH adjusted p-values; an
  outcome that cannot be estimated has NA and a ``reason``; ``did_cells`` — the 2 x 2 tables;
- ``compare_by_wave`` (pilot − control per wave, adjusted p), ``compare_communities``,
  ``compare_subgroups``, ``smd`` (standardised mean differences);
- ``likert_distribution`` (answer shares with "difficult to answer" kept as its own
  category) and ``likert_tests`` (Rao-Scott per wave), ``ordinal`` (proportional-odds DiD);
- ``problems`` and ``problems_difference`` (multiple-choice local security problems);
- ``event_study`` (three or more waves only);
- figures ``trend_<outcome>.html``, ``likert_<item>.html``, ``did_forest.html``,
  ``problems.html``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from trustsurvey.errors import AnalysisError
from trustsurvey.run.context import RunContext, shared_design
from trustsurvey.run.frame import dont_know_codes, kept_answers

#: outcomes for the DiD and the comparisons (those present in the data are used)
OUTCOMES = (
    "trust_index",
    "pj_index",
    "eff_index",
    "legit_index",
    "police_image",
    "trust_police",
    "safe_night",
    "aware_officer",
)
SUBGROUPS = ("sex", "agegrp", "settlement")
ADJUST = ("sex", "agegrp", "settlement")
MULTIPLE = "problems"


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


def kept_design(design: Any, q: Any, items: list[str]) -> Any:
    """``design`` with the ``items``' "difficult to answer" codes (kind ``dont_know``) put
    back as answers from the analysis frame's ``<item>__missing`` columns
    (:func:`~trustsurvey.run.frame.kept_answers`): the weights and the calibration of
    ``design`` are unchanged (``design.with_columns``), so SEs stay calibration-adjusted."""
    kept = kept_answers(design.data, {it: dont_know_codes(q.items[it]) for it in items})
    return design.with_columns(**{it: kept[it].to_numpy() for it in items})


def _did_table(design: Any, outcomes: list[str], treated: str, covs: list[str]) -> tuple:
    """Unadjusted and covariate-adjusted DiD of every outcome, and the 2 x 2 tables."""
    from trustsurvey.analysis.did import did_table

    parts = [did_table(design, outcomes, treated=treated).assign(model="unadjusted")]
    if covs:
        adj = did_table(design, outcomes, treated=treated, covariates=covs, categorical=covs)
        parts.append(adj.assign(model="adjusted"))
    cells = parts[0].attrs["cells"]
    table = _concat(parts).drop(columns=["p_holm", "p_bh"])
    lead = ["outcome", "model", "estimate", "se", "ci_low", "ci_high", "df", "p", "n"]
    return table[[*lead, *[c for c in table.columns if c not in lead]]], cells


def run_analysis(ctx: RunContext) -> None:
    """The step: every table and figure of the analysis for the study (see module doc)."""
    from trustsurvey.analysis import figures
    from trustsurvey.analysis.choices import multiple_choice, multiple_choice_difference
    from trustsurvey.analysis.compare import (
        compare_communities,
        compare_means,
        compare_subgroups,
        likert_distribution,
        likert_tests,
    )
    from trustsurvey.analysis.did import event_study
    from trustsurvey.analysis.effects import standardized_difference
    from trustsurvey.analysis.multiplicity import adjust_pvalues
    from trustsurvey.analysis.ordinal import proportional_odds

    frame = ctx.analysis
    study = ctx.study
    treated = study.arms.treatment
    if frame is None or not treated or treated not in frame.columns:
        ctx.echo("      skipped: no analysis data or no 0/1 treatment column (arms: treatment)")
        return
    missing = [c for c in study.design.columns() if c not in frame.columns]
    if missing:
        ctx.echo(f"      skipped: design columns {', '.join(missing)} not in the data")
        return
    out_dir = study.out_dir / "analysis"
    out_dir.mkdir(parents=True, exist_ok=True)
    frame = frame.assign(**{treated: (frame[treated] == study.arms.pilot_code).astype(float)})
    frame[treated] = frame[treated].where(frame["arm"].notna())
    # the pipeline's one (weighted) design, with the 0/1 treatment column added
    design = shared_design(ctx).with_columns(**{treated: frame[treated]})
    ctx.echo(f"      weights: {ctx.weights_note}")
    outcomes = [o for o in OUTCOMES if o in frame.columns]
    covs = [c for c in ADJUST if c in frame.columns]

    did_tab, cells = _did_table(design, outcomes, treated, covs)
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
    subs = [s for s in SUBGROUPS if s in frame.columns]
    if subs:
        sg = compare_subgroups(design, outcomes, subgroups=subs, group=treated)
        write_table(out_dir, "compare_subgroups", sg, ctx)

    for out in [o for o in ("trust_police", "trust_index") if o in frame.columns]:
        trend = design.mean(out, by=["arm", "wave"]).reset_index()
        write_figure(out_dir, f"trend_{out}", figures.trend_figure(trend, title=out), ctx)

    q = study.questionnaire
    likert = [n for n, it in q.items.items() if it.type == "likert" and n in frame.columns]
    if likert:
        kd = kept_design(design, q, likert)
        dist = _concat([likert_distribution(kd, it, by=[treated, "wave"]) for it in likert])
        write_table(out_dir, "likert_distribution", dist, ctx)
        tests = adjust_pvalues(likert_tests(kd, likert, group=treated), family="wave")
        write_table(out_dir, "likert_tests", tests, ctx)
        for it in [i for i in ("trust_police",) if i in likert]:
            labels = {c: t.en for c, t in q.items[it].codes.items()}
            labels |= {c: t.en for c, t in q.items[it].missing.items()}
            part = dist[dist["item"] == it]
            fig = figures.likert_figure(part, cell=(treated, "wave"), labels=labels, title=it)
            write_figure(out_dir, f"likert_{it}", fig, ctx)
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
        ordinal = _concat(rows)
        ordinal = ordinal[["item", *[c for c in ordinal if c != "item"]]]
        write_table(out_dir, "ordinal", ordinal, ctx)

    if MULTIPLE in q.items and q.items[MULTIPLE].type == "multiple":
        cols = q.columns_for(MULTIPLE)
        if all(c in frame.columns for c in cols):
            mc = multiple_choice(design, MULTIPLE, by=["arm", "wave"], questionnaire=q)
            write_table(out_dir, "problems", mc, ctx)
            if com and com in frame.columns:
                mcc = multiple_choice(design, MULTIPLE, by=[com, "wave"], questionnaire=q)
                write_table(out_dir, "problems_by_community", mcc, ctx)
            diff = multiple_choice_difference(design, MULTIPLE, group=treated, questionnaire=q)
            write_table(out_dir, "problems_difference", adjust_pvalues(diff, family="wave"), ctx)
            last = mc[(mc["wave"] == mc["wave"].max()) & ~mc["exclusive"]]
            labels = {o: t.en for o, t in q.items[MULTIPLE].options.items()}
            fig = figures.problems_figure(
                last, group="arm", labels=labels, title="Local security problems"
            )
            write_figure(out_dir, "problems", fig, ctx)

    if frame["wave"].nunique() >= 3:
        es = _concat([event_study(design, o, treated=treated) for o in outcomes])
        write_table(out_dir, "event_study", es, ctx)
    ctx.echo(f"      tables and figures in {out_dir}")
