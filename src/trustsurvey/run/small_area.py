"""Small-area estimates for the bundle (``small_area`` table), from the study's
``area_covariates:`` and the protected estimates.

For each outcome of the plan and each wave, a Fay-Herriot EBLUP
(:func:`trustsurvey.analysis.small_area.small_area`) per community. Disclosure: the model is
fitted only on direct estimates the bundle publishes. A community whose direct estimate is
suppressed (small cell or complement) enters with no direct estimate, so its published figure
is the synthetic (regression) estimate of a model that never saw its respondents, and no
other community's EBLUP depends on them either: nothing published lets an intruder undo the
shrinkage and recover the hidden direct estimate.

For a 0/1 outcome (a share) the estimate and its normal-approximation interval are clipped to
[0, 1].
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from trustsurvey.design.base import Design
from trustsurvey.errors import AnalysisError
from trustsurvey.publish.schema import ALL
from trustsurvey.run.context import RunContext


def _key(value: object) -> str:
    """One spelling per code: ``1``, ``1.0`` and ``"1.0"`` are all ``"1"``."""
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
        return str(int(number)) if number.is_integer() else value
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def published_directs(estimates: pd.DataFrame | None) -> set[tuple[str, str, int]]:
    """``(outcome, community, wave)`` of every community estimate the bundle shows."""
    if estimates is None or "community" not in estimates.columns:
        return set()
    rows = estimates[(estimates["community"] != ALL) & (estimates["subgroup"] == ALL)]
    shown = rows[~rows["suppressed"].astype(bool) & rows["estimate"].notna()]
    return {
        (str(o), _key(c), int(w))
        for o, c, w in zip(shown["outcome"], shown["community"], shown["wave"], strict=True)
    }


def small_area_table(
    design: Design,
    community: str,
    covariates: pd.DataFrame,
    outcomes: list[str],
    published: set[tuple[str, str, int]],
    echo: Callable[[str], None] = lambda _: None,
) -> pd.DataFrame:
    """The ``small_area`` rows: outcome, community, wave, method, basis, estimate, rmse,
    ci_low, ci_high, gamma (see the module docstring)."""
    from trustsurvey.analysis.small_area import small_area

    cov = covariates.rename(columns={"community": community})
    cov[community] = cov[community].map(_key)
    data = design.data
    keys = data[community].map(lambda v: _key(v) if pd.notna(v) else v)
    # the published spelling of each community code (as the estimates table writes it)
    spelling = {_key(v): str(v) for v in data[community].dropna().unique()}
    parts = []
    waves = sorted(int(w) for w in pd.to_numeric(data["wave"], errors="coerce").dropna().unique())
    for outcome in outcomes:
        for wave in waves:
            shown = {_key(c) for o, c, w in published if o == outcome and w == wave}
            in_wave = pd.to_numeric(data["wave"], errors="coerce").eq(wave).fillna(False)
            masked = data[outcome].where(keys.isin(shown))
            part = design.with_columns(**{outcome: masked, community: keys})
            part = part.subset(in_wave.to_numpy())
            try:
                res = small_area(part, outcome, area=community, covariates=cov)
            except AnalysisError as err:
                echo(f"      small-area estimates of {outcome}, wave {wave} skipped: {err.message}")
                continue
            res = res[res["source"] == "model"]
            if set(data[outcome].dropna().unique()) <= {0, 1}:  # a share: keep it in [0, 1]
                res = res.assign(
                    **{c: res[c].clip(0, 1) for c in ("estimate", "ci_low", "ci_high")}
                )
            parts.append(
                pd.DataFrame(
                    {
                        "outcome": outcome,
                        "community": res[community].map(lambda k: spelling.get(k, k)),
                        "wave": wave,
                        "method": "fay_herriot",
                        "basis": np.where(res["gamma"] > 0, "eblup", "synthetic"),
                        "estimate": res["estimate"],
                        "rmse": res["rmse"],
                        "ci_low": res["ci_low"],
                        "ci_high": res["ci_high"],
                        "gamma": res["gamma"],
                    }
                )
            )
    if not parts:
        return pd.DataFrame()
    return pd.concat(parts, ignore_index=True)


def small_area_deriver(
    ctx: RunContext, design: Design
) -> Callable[[Mapping[str, pd.DataFrame]], dict[str, pd.DataFrame]] | None:
    """What the bundle writer calls with the protected tables, or ``None`` when the study
    declares no area covariates (or has no community column)."""
    study = ctx.study
    cov = study.area_covariates
    com = study.arms.community
    frame = design.data
    if cov is None or not com or com not in frame.columns or "wave" not in frame.columns:
        return None
    outcomes = study.plan.present("outcomes", frame.columns)
    numeric = [o for o in outcomes if pd.api.types.is_numeric_dtype(frame[o])]

    known = set(cov["community"].map(_key))
    missing = sorted({_key(c) for c in frame[com].dropna().unique()} - known)
    if missing:
        ctx.echo(
            f"      small-area estimates: no area covariates for {', '.join(missing[:10])} "
            "(add them to the area covariates file to model them)"
        )

    def derive(tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        shown = published_directs(tables.get("estimates"))
        table = small_area_table(design, com, cov, numeric, shown, ctx.echo)
        return {"small_area": table}

    return derive
