"""The NCHS Data Presentation Standards for Proportions (Parker et al. 2017).

National Center for Health Statistics, Vital Health Stat 2(175): whether a survey proportion
may be shown, from its effective sample size and its Korn-Graubard confidence interval:

1. *effective sample size* ``n_eff = n / deff``, here ``p (1 - p) / se^2`` (the design
   effect against simple random sampling), with ``deff < 1`` taken as 1 (``n_eff <= n``) and
   ``n_eff = n`` when ``p`` is 0 or 1: below 30, the proportion is **suppressed**;
2. the *Korn-Graubard interval* (Korn & Graubard 1998; R's ``svyciprop(method="beta")``,
   :func:`trustsurvey.design.proportion.proportion_intervals`) at the effective sample size
   adjusted for the design's degrees of freedom, ``n_eff (t_{n-1} / t_df)^2`` capped at
   ``n`` (as NCHS's adjusted ``svyciprop``): an *absolute width* of 0.30 or more is
   **suppressed**;
3. a width of at most 0.05 is shown; a width between 0.05 and 0.30 is shown unless the
   *relative width* ``width / p`` exceeds 130%, when it is **suppressed**;
4. a shown proportion is **flagged for statistical review** when the design has fewer than
   8 degrees of freedom, when it is 0 or 1 (judged by its effective sample size alone), or
   when its complement ``1 - p`` has a relative width above 130% (width between 0.05 and
   0.30).

The decisions follow the standard's flowchart as NCHS's own R package ``surveytable``
applies it (CDC, ``present_prop``).

Means are outside the standard (it covers proportions only): the coefficient-of-variation
rule stays for them (:mod:`trustsurvey.publish.suppression`).

>>> t = nchs_proportions([0.5, 0.04, 0.5], [0.02, 0.02, 0.2], [1000, 400, 40], [60, 60, 60])
>>> t[["suppress", "review", "reason"]].values.tolist()
[[False, False, ''], [True, False, 'relative_width'], [True, False, 'effective_n']]
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from trustsurvey.design.proportion import proportion_intervals

#: the standard's thresholds
MIN_EFFECTIVE_N = 30.0
MAX_WIDTH = 0.30
SHOWN_WIDTH = 0.05
MAX_RELATIVE_WIDTH = 1.30
MIN_DF = 8.0


def effective_n(p: np.ndarray, se: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``n / deff`` with ``deff`` at least 1 (``n`` where ``p`` is 0 or 1 or ``se`` is 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = p * (1 - p) / se**2
    inner = (p > 0) & (p < 1) & (se > 0) & np.isfinite(raw)
    return np.where(inner, np.minimum(raw, n), n)


def korn_graubard(
    p: np.ndarray, se: np.ndarray, n: np.ndarray, df: np.ndarray, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Korn-Graubard limits as NCHS computes them: R's ``svyciprop(method="beta")`` (the
    Clopper-Pearson limits at the effective sample size times ``(t_{n-1} / t_df)^2``), that
    adjusted size capped at ``n``; at ``p`` = 0 or 1 the Clopper-Pearson limits at ``n``."""
    a = (1 - level) / 2
    inner = (p > 0) & (p < 1) & (se > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = p * (1 - p) / se**2
        rat2 = np.where(df > 0, (stats.t.ppf(a, n - 1) / stats.t.ppf(a, np.abs(df))) ** 2, 0.0)
    m = np.where(inner, np.minimum(n, raw * rat2), n)
    pi = np.where(inner, p, 0.5)
    se_m = np.sqrt(pi * (1 - pi) * rat2 / np.where(m > 0, m, np.nan))
    # the interval of proportion_intervals (R's) at that size: p (1 - p) / se_m^2 * rat2 = m
    lo, hi = proportion_intervals(pi, se_m, df, "beta", level, n_rows=n)
    mm = np.maximum(m, 1e-12)
    lo = np.where(inner, lo, np.where(p <= 0, 0.0, stats.beta.ppf(a, mm, 1)))
    hi = np.where(inner, hi, np.where(p <= 0, stats.beta.ppf(1 - a, 1, mm), 1.0))
    return lo, hi


def nchs_proportions(
    p: Sequence[float] | np.ndarray,
    se: Sequence[float] | np.ndarray,
    n: Sequence[float] | np.ndarray,
    df: Sequence[float] | np.ndarray,
    *,
    level: float = 0.95,
) -> pd.DataFrame:
    """The standard's decision for each proportion (see the module docstring).

    Returns one row per proportion: ``n_eff``, ``kg_low``, ``kg_high``, ``width``,
    ``relative_width``, ``complement_relative_width``, ``suppress``, ``review`` and
    ``reason`` (the first failed criterion: ``effective_n``, ``width``,
    ``relative_width``; for a review ``df``, ``boundary``, ``complement``; ``""`` if none).
    """
    pa = np.asarray(p, dtype=float)
    sa = np.asarray(se, dtype=float)
    na = np.asarray(n, dtype=float)
    da = np.asarray(df, dtype=float)
    n_eff = effective_n(pa, sa, na)
    lo, hi = korn_graubard(pa, sa, na, da, level)
    boundary = (pa <= 0) | (pa >= 1)
    # at 0 or 1 the standard judges the size and flags the estimate, not its interval
    width = np.where(boundary, 0.0, hi - lo)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(pa > 0, width / pa, np.inf)
        rel_c = np.where(pa < 1, width / (1 - pa), np.inf)
    middle = (width > SHOWN_WIDTH) & (width < MAX_WIDTH)
    small = n_eff < MIN_EFFECTIVE_N
    wide = width >= MAX_WIDTH
    relative = middle & (rel > MAX_RELATIVE_WIDTH)
    suppress = small | wide | relative
    few_df = da < MIN_DF
    complement = middle & (rel_c > MAX_RELATIVE_WIDTH)
    review = ~suppress & (few_df | boundary | complement)
    reason = np.select(
        [small, wide, relative, review & few_df, review & boundary, review & complement],
        ["effective_n", "width", "relative_width", "df", "boundary", "complement"],
        default="",
    )
    return pd.DataFrame(
        {
            "n_eff": n_eff,
            "kg_low": lo,
            "kg_high": hi,
            "width": width,
            "relative_width": rel,
            "complement_relative_width": rel_c,
            "suppress": suppress,
            "review": review,
            "reason": reason,
        }
    )


#: the reason a row suppressed by the reliability rule carries
UNRELIABLE = "unreliable"
#: the published values of an estimate hidden by the rule (its n and df stay)
_HIDDEN = ("estimate", "se", "ci_low", "ci_high", "deff", "cv")


def binary_outcomes(study_meta: Mapping[str, Any]) -> set[str]:
    """The outcomes whose scale is yes/no (0/1), from ``study_meta["labels"]["scale"]``
    (:func:`trustsurvey.publish.scales.outcome_scales`)."""
    scales = (study_meta.get("labels") or {}).get("scale") or {}
    return {str(k) for k, v in scales.items() if isinstance(v, Mapping) and v.get("binary")}


def apply_reliability_rule(
    tables: Mapping[str, pd.DataFrame], policy: Any, proportions: Collection[str]
) -> dict[str, pd.DataFrame]:
    """Published tables judged by ``policy.reliability_rule``.

    With ``"nchs"`` the rows of the estimates table whose outcome is in ``proportions`` (and
    that disclosure control left shown) are judged by :func:`nchs_proportions`: a row the
    standard suppresses is hidden (``suppressed``, reason ``unreliable``; its estimate,
    interval, SE, design effect and CV blanked, its n and df kept), a row it sends to
    statistical review is flagged ``unreliable``, and a row that passes is not flagged,
    whatever its CV. Other rows keep the ``max_cv`` flag. Hiding an unreliable estimate
    reveals nothing, so it needs no complement. With ``"cv"`` the tables are returned as
    they are.
    """
    out = dict(tables)
    if getattr(policy, "reliability_rule", "cv") != "nchs" or not proportions:
        return out
    for kind, df in tables.items():
        if "unreliable" not in df.columns or "outcome" not in df.columns:
            continue
        shown = ~df["suppressed"].astype(bool) if "suppressed" in df else True
        rows = df["outcome"].astype(str).isin(set(proportions)) & shown
        rows &= df["estimate"].notna() & df["se"].notna() & df["n"].notna()
        if not rows.any():
            continue
        sel = df.loc[rows]
        dfree = sel["df"] if "df" in sel else pd.Series(np.inf, index=sel.index)
        judged = nchs_proportions(
            sel["estimate"].to_numpy(dtype=float),
            sel["se"].to_numpy(dtype=float),
            sel["n"].to_numpy(dtype=float),
            dfree.fillna(np.inf).to_numpy(dtype=float),
        )
        table = df.copy()
        idx = sel.index
        hide = idx[judged["suppress"].to_numpy()]
        table.loc[idx, "unreliable"] = judged["review"].to_numpy()
        table.loc[hide, "unreliable"] = False
        for col in _HIDDEN:
            if col in table.columns:
                table.loc[hide, col] = np.nan
        if "suppressed" in table.columns:
            table.loc[hide, "suppressed"] = True
            table["suppression_reason"] = table["suppression_reason"].astype(object)
            table.loc[hide, "suppression_reason"] = UNRELIABLE
        out[kind] = table
    return out


def without_unreliable(
    tables: Mapping[str, pd.DataFrame] | None,
) -> dict[str, pd.DataFrame] | None:
    """Tables of a previous release with the rows hidden by the reliability rule shown again
    (reason cleared): they hid nothing for confidentiality, so an update need not keep them
    hidden (:func:`trustsurvey.publish.suppression.protect_tables` keeps hidden what a
    previous release hid for disclosure control)."""
    if tables is None:
        return None
    out = dict(tables)
    for kind, df in tables.items():
        if "suppression_reason" not in df.columns:
            continue
        mine = (df["suppression_reason"] == UNRELIABLE).to_numpy(dtype=bool)
        if not mine.any():
            continue
        table = df.copy()
        table["suppression_reason"] = table["suppression_reason"].astype(object)
        table.loc[mine, "suppression_reason"] = None
        if "suppressed" in table.columns:
            table.loc[mine, "suppressed"] = False
        out[kind] = table
    return out
