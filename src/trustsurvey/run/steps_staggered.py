"""The staggered-adoption DiD of the ``analysis`` step: communities join the programme at
different waves (``arms.first_treated`` in study.yaml).

Each outcome of the plan gets :func:`trustsurvey.analysis.staggered.did_staggered`
(Callaway & Sant'Anna 2021: group-time effects of each cohort, aggregated to an overall, a
per-cohort and an event-time effect, doubly robust, comparing with the communities not yet
treated; never the two-way fixed-effects regression, whose weights can be negative under
staggered timing, Goodman-Bacon 2021). Written to ``out/analysis/did_staggered`` (one row per
estimate and outcome) and, as the overall effect per outcome, to ``out/analysis/did`` (model
``unadjusted``) so the bundle's ``did`` table holds every study's headline effect.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trustsurvey.analysis.staggered import COLUMNS
from trustsurvey.design.base import Design
from trustsurvey.errors import AnalysisError
from trustsurvey.run.context import RunContext

#: the cohort column added to the design: first treated wave, 0 = never treated
COHORT = "cohort"
#: columns of the published staggered table, in order
STAGGERED_COLUMNS = ("outcome", *COLUMNS)


def cohort_of(study: Any, frame: pd.DataFrame) -> pd.Series:
    """The first treated wave of each respondent's community (0: never treated)."""
    arms = study.arms
    table = arms.first_treated or {}
    keys = frame[arms.community].map(_key)
    unknown = sorted({str(k) for k in keys.dropna() if k not in table})
    if unknown:
        raise AnalysisError(
            f"communities {', '.join(unknown[:10])} are not in arms.first_treated",
            item="arms.first_treated",
            hint="give every community its first treated wave (null: never treated)",
        )
    return keys.map(lambda k: float(table.get(k) or 0) if pd.notna(k) else np.nan)


def _key(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def staggered_tables(ctx: RunContext, design: Design, outcomes: list[str], out_dir: Path) -> None:
    """Write ``did_staggered`` and the overall effects as ``did`` (see the module doc)."""
    from trustsurvey.analysis.staggered import did_staggered
    from trustsurvey.run.steps_analysis import write_table

    study = ctx.study
    frame = design.data
    cohort = cohort_of(study, frame)
    d = design.with_columns(**{COHORT: cohort.to_numpy()})
    parts, overall = [], []
    for outcome in outcomes:
        try:
            tab = did_staggered(
                d,
                outcome,
                cohort=COHORT,
                wave="wave",
                community=study.arms.community,
                control="notyet",
                method="dr",
            )
        except AnalysisError as exc:
            ctx.echo(f"        {outcome}: no staggered DiD ({exc.message})")
            overall.append({"outcome": outcome, "model": "unadjusted", "reason": exc.message})
            continue
        tab = tab.assign(outcome=outcome)
        parts.append(tab)
        row = tab[tab["type"] == "overall"].iloc[0]
        overall.append(
            {
                "outcome": outcome,
                "model": "unadjusted",
                "estimate": row["estimate"],
                "se": row["se"],
                "ci_low": row["ci_low"],
                "ci_high": row["ci_high"],
                "df": row["df"],
                "p": row.get("p", np.nan),
                "n": row["n"],
                "reason": "",
            }
        )
        ctx.echo(
            f"        {outcome}: overall {row['estimate']:.3f} "
            f"[{row['ci_low']:.3f}, {row['ci_high']:.3f}] (staggered adoption)"
        )
    if parts:
        table = pd.concat(parts, ignore_index=True)
        table = table[[c for c in STAGGERED_COLUMNS if c in table.columns]]
        write_table(out_dir, "did_staggered", table, ctx)
    write_table(out_dir, "did", pd.DataFrame(overall), ctx)
