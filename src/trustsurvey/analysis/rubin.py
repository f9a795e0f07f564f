"""Rubin's rules: one estimate from the analyses of m completed (imputed) data sets.

For each estimate ``Q`` with ``m`` completed-data estimates ``Q_i`` and variances ``U_i``
(Rubin 1987, ch. 3): ``Q̄ = mean(Q_i)``, within ``Ū = mean(U_i)``, between
``B = var(Q_i)`` (divisor ``m - 1``), total ``T = Ū + (1 + 1/m) B``, relative increase in
variance ``r = (1 + 1/m) B / Ū``. Degrees of freedom:

- ``rule="barnard-rubin"`` (Barnard & Rubin 1999; as R's ``mice::pool``):
  ``λ = (1 + 1/m) B / T``, ``ν_old = (m - 1) / λ²``,
  ``ν_obs = (ν_com + 1) / (ν_com + 3) · ν_com · (1 - λ)``,
  ``ν = ν_old ν_obs / (ν_old + ν_obs)`` (``ν_old`` when ``ν_com`` is infinite);
- ``rule="mitools"`` (R's ``mitools::MIcombine(df.complete=)``, which the ``survey``
  package's documentation uses): ``ν_old = (m - 1)(1 + 1/r)²`` and
  ``ν_obs = (ν_com + 1)/(ν_com + 3) · ν_com · Ū / (Ū + B)``.

The complete-data df ``ν_com`` of a design-based estimate is the design df (PSUs minus
strata; for a model, its residual df). The fraction of missing information is
``(r + 2/(ν + 3)) / (r + 1)`` and the interval ``Q̄ ± t_ν · √T``.

>>> import pandas as pd
>>> runs = [pd.DataFrame({"estimate": [q], "se": [0.1]}, index=["y"]) for q in (1.0, 1.2, 1.1)]
>>> out = mi_combine(runs, df_complete=20)
>>> round(float(out.loc["y", "estimate"]), 6), round(float(out.loc["y", "se"]), 6)
(1.1, 0.152753)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from trustsurvey.errors import AnalysisError

RULES = ("barnard-rubin", "mitools")

#: the columns of a combined result, in order
COLUMNS = (
    "estimate",
    "se",
    "df",
    "ci_low",
    "ci_high",
    "within",
    "between",
    "riv",
    "fmi",
    "m",
)


def _check_results(results: Sequence[pd.DataFrame]) -> list[pd.DataFrame]:
    runs = list(results)
    if len(runs) < 2:
        raise AnalysisError(
            f"Rubin's rules need at least 2 completed-data analyses, got {len(runs)}",
            item="m",
            hint="impute m >= 2 data sets (5 to 20 is usual)",
        )
    first = runs[0]
    for i, run in enumerate(runs):
        if not isinstance(run, pd.DataFrame) or not {"estimate", "se"} <= set(run.columns):
            raise AnalysisError(
                f"analysis {i + 1} did not give a frame with estimate and se columns",
                item="estimator",
                hint="the estimator must return a result frame such as design.mean(...)",
            )
        if not run.index.equals(first.index):
            raise AnalysisError(
                f"analysis {i + 1} has other rows than analysis 1 "
                f"({list(run.index)[:5]} vs {list(first.index)[:5]})",
                item="estimator",
                hint="every completed data set must give the same estimates (e.g. the same "
                "categories of a proportion; impute before recoding)",
            )
    return runs


def mi_combine(
    results: Sequence[pd.DataFrame],
    *,
    df_complete: float | Sequence[float] | None = None,
    level: float = 0.95,
    rule: str = "barnard-rubin",
) -> pd.DataFrame:
    """Combine the result frames of one estimator on m completed data sets (Rubin's rules).

    ``results`` are frames with ``estimate`` and ``se`` (e.g. ``design.mean("y")`` on each
    completed design), all with the same rows. ``df_complete`` is the complete-data df
    ``ν_com`` (one number, or one per row); by default the frames' own ``df`` column (the
    design df, or a model's residual df), or infinite when they have none. ``rule`` picks
    the df formula (module doc). One row per estimate, with the index of the results:
    ``estimate, se, df, ci_low, ci_high, within, between, riv, fmi, m``.

    >>> import pandas as pd
    >>> runs = [pd.DataFrame({"estimate": [q], "se": [0.2], "df": [30.0]}) for q in (2, 2.5)]
    >>> mi_combine(runs)[["estimate", "riv"]].round(4).to_numpy().tolist()
    [[2.25, 4.6875]]
    """
    if rule not in RULES:
        raise AnalysisError(
            f"unknown df rule {rule!r}", item="rule", hint=f"one of {', '.join(RULES)}"
        )
    if not 0 < level < 1:
        raise AnalysisError(f"level must lie in (0, 1), got {level}", item="level")
    runs = _check_results(results)
    m = len(runs)
    q = np.column_stack([r["estimate"].to_numpy(dtype=float) for r in runs])
    u = np.column_stack([r["se"].to_numpy(dtype=float) ** 2 for r in runs])
    nu_com = _complete_df(runs, df_complete)
    qbar = q.mean(axis=1)
    ubar = u.mean(axis=1)
    b = q.var(axis=1, ddof=1)
    t = ubar + (1 + 1 / m) * b
    with np.errstate(divide="ignore", invalid="ignore"):
        riv = (1 + 1 / m) * b / ubar
        if rule == "mitools":
            nu_old = (m - 1) * (1 + 1 / riv) ** 2
            nu_obs = (nu_com + 1) / (nu_com + 3) * nu_com * ubar / (ubar + b)
        else:
            lam = np.maximum((1 + 1 / m) * b / t, 1e-4)  # mice's floor on lambda
            nu_old = (m - 1) / lam**2
            nu_obs = (nu_com + 1) / (nu_com + 3) * nu_com * (1 - lam)
        nu = np.where(np.isfinite(nu_com), 1 / (1 / nu_obs + 1 / nu_old), nu_old)
        fmi = (riv + 2 / (nu + 3)) / (riv + 1)
    se = np.sqrt(t)
    crit = stats.t.isf((1 - level) / 2, nu)
    out = pd.DataFrame(
        {
            "estimate": qbar,
            "se": se,
            "df": nu,
            "ci_low": qbar - crit * se,
            "ci_high": qbar + crit * se,
            "within": ubar,
            "between": b,
            "riv": riv,
            "fmi": fmi,
            "m": m,
        },
        index=runs[0].index.copy(),
    )
    return out


def _complete_df(runs: list[pd.DataFrame], given: float | Sequence[float] | None) -> np.ndarray:
    n = len(runs[0])
    if given is not None:
        nu = np.broadcast_to(np.asarray(given, dtype=float), (n,)).copy()
    elif "df" in runs[0].columns:
        nu = np.min(np.column_stack([r["df"].to_numpy(dtype=float) for r in runs]), axis=1)
    else:
        nu = np.full(n, np.inf)
    if np.any(~(nu > 0)):
        raise AnalysisError(
            f"the complete-data df must be positive, got {nu.tolist()[:5]}",
            item="df_complete",
            hint="pass the design's df (design.degf), or None for the frames' df column",
        )
    return nu
