"""Pipeline step ``measurement``: reliability of the indices and the focus-group analysis.

Runs after ``analysis``. Writes under ``STUDY/out/analysis/`` beside the analysis step's tables:

- ``reliability`` — per questionnaire index present in the data, overall and by arm × wave:
  Cronbach's alpha with Feldt's interval (weighted with the run's final weights), omega total
  and pingouin's unweighted alpha as a cross-check (:func:`~trustsurvey.analysis.
  scale_reliability`); reverse-keyed items are reversed as the index reverses them
  ((min + max) − x over the item's valid codes);
- ``loadings`` — one-factor loadings per arm × wave side by side, per index with three or
  more items (:func:`~trustsurvey.analysis.factor_loadings_by_group`);
- ``fg_themes_by_arm``, ``fg_themes_by_community`` (share of groups and of segments mentioning
  each theme), ``fg_valence`` (valence balance per theme and arm), ``fg_agreement`` (Cohen's
  kappa and Krippendorff's alpha with bootstrap CIs) and the figure ``fg_themes.html`` (theme
  heatmap by arm), when the study declares focus groups.
"""

from __future__ import annotations

import pandas as pd

from trustsurvey.run.context import RunContext
from trustsurvey.run.steps_analysis import write_figure, write_table

#: bootstrap replicates for the intercoder-agreement intervals
N_BOOT = 500


def _index_items(ctx: RunContext, frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per index whose items are all plain items in ``frame``: the item columns, reversed."""
    q = ctx.study.questionnaire
    out: dict[str, pd.DataFrame] = {}
    for name, index in q.indices.items():
        items = list(index.items)
        if len(items) < 2 or not all(i in q.items and i in frame.columns for i in items):
            continue  # indices of indices are scored, but their reliability is their parts'
        block = frame[items].astype(float)
        for item in index.reversed:
            codes = [float(c) for c in q.item(item).codes]
            block[item] = min(codes) + max(codes) - block[item]
        out[name] = block
    return out


def reliability_tables(ctx: RunContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``reliability`` and ``loadings`` tables of the run (see the module doc)."""
    from trustsurvey.analysis import factor_loadings_by_group, scale_reliability

    frame = ctx.analysis
    weights = ctx.design.weights.to_numpy() if ctx.design is not None else None
    groups = [c for c in ("arm", "wave") if c in frame.columns]
    rel, load = [], []
    for name, block in _index_items(ctx, frame).items():
        data = pd.concat([block, frame[groups]], axis=1)
        w = None
        if weights is not None:
            data["_weight"] = weights
            w = "_weight"
        overall = scale_reliability(data, list(block.columns), weights=w)
        by = scale_reliability(data, list(block.columns), weights=w, by=groups) if groups else None
        rel.append(pd.concat([overall, by], ignore_index=True).assign(index=name))
        ctx.echo(f"      {name}: alpha {overall['alpha'].iloc[0]:.3f} ({block.shape[1]} items)")
        if block.shape[1] >= 3 and groups:
            tab = factor_loadings_by_group(data, list(block.columns), by=groups, wide=False)
            load.append(tab.assign(index=name))
    reliability = pd.concat(rel, ignore_index=True) if rel else pd.DataFrame()
    loadings = pd.concat(load, ignore_index=True) if load else pd.DataFrame()
    return reliability, loadings


def run_measurement(ctx: RunContext) -> None:
    """The step: reliability of every index and the focus-group tables and heatmap."""
    if ctx.analysis is None:
        ctx.echo("      skipped: no analysis data")
        return
    out_dir = ctx.study.out_dir / "analysis"
    out_dir.mkdir(parents=True, exist_ok=True)
    reliability, loadings = reliability_tables(ctx)
    if not reliability.empty:
        write_table(out_dir, "reliability", reliability, ctx)
    if not loadings.empty:
        write_table(out_dir, "loadings", loadings, ctx)
    spec = ctx.study.focus_groups
    if spec is None:
        ctx.echo("      focus groups: none declared in study.yaml")
        return
    from trustsurvey.analysis import (
        intercoder_agreement,
        read_focus_groups,
        theme_frequencies,
        theme_heatmap,
        valence_balance,
    )

    codebook = None
    if spec.codebook:
        from trustsurvey.study.instruments import resolve_questionnaire

        codebook = resolve_questionnaire(spec.codebook, ctx.study.folder, study_file=ctx.study.file)
    fg = read_focus_groups(spec.groups, spec.segments, codebook)
    by_arm = theme_frequencies(fg, "arm")
    write_table(out_dir, "fg_themes_by_arm", by_arm, ctx)
    if "community" in fg.groups.columns:
        write_table(out_dir, "fg_themes_by_community", theme_frequencies(fg, "community"), ctx)
    write_table(out_dir, "fg_valence", valence_balance(fg, "arm"), ctx)
    if fg.segments["coder"].nunique() > 1:
        write_table(out_dir, "fg_agreement", intercoder_agreement(fg, n_boot=N_BOOT), ctx)
    heatmap = theme_heatmap(by_arm, title="Focus-group themes by arm")
    write_figure(out_dir, "fg_themes", heatmap, ctx)
    ctx.echo(f"      focus groups: {len(fg.groups)} groups, {len(fg.segments)} coded segments")
