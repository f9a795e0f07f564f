"""Design-based tests: two-group t test (R's ``svyttest``) and Rao-Scott association tests
(R's ``svychisq``).

* ``ttest``: the coefficient of the second group's indicator in ``svyglm(y ~ group)``
  (levels sorted: the second level's mean minus the first's), t on the residual df
  (design df - 1).
* ``chisq``: Pearson's X^2 of the weighted table (scaled to the number of rows) with Rao &
  Scott's (1984) second-order correction: ``F = X^2 / tr(Delta)`` on
  ``d0 = tr(Delta)^2 / tr(Delta^2)`` and ``d0 * nu`` df, ``Delta`` the generalised design
  effect matrix of the interaction contrasts, ``nu`` the design df (``statistic="F"``, R's
  default); ``"Chisq"`` is the first-order ``X^2 / mean(diag Delta)`` on ``(r-1)(c-1)`` df;
  ``"Wald"`` and ``"adjWald"`` are the Koch et al. Wald tests of R.

>>> import pandas as pd
>>> from trustsurvey.design import SurveyDesign
>>> df = pd.DataFrame({"psu": range(8), "g": ["a", "b"] * 4,
...                    "y": [1.0, 2, 2, 3, 1, 3, 2, 4], "w": [1.0] * 8})
>>> tt = SurveyDesign(df, ids="psu", weights="w").ttest("y", group="g")
>>> round(float(tt["difference"].iloc[0]), 6)
1.5
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from trustsurvey.design.domains import Domains, check_columns
from trustsurvey.design.estimators import categories, numeric_column
from trustsurvey.design.models import fit_arrays
from trustsurvey.design.results import t_quantile
from trustsurvey.errors import DesignError

if TYPE_CHECKING:
    from trustsurvey.design.base import Design


def ttest(design: Design, y: str, group: str, level: float = 0.95) -> pd.DataFrame:
    """Difference of the two groups' means with its design-based t test."""
    yv = numeric_column(design.data, y)
    check_columns(design.data, [group], "group")
    g = design.data[group]
    levels = categories(g)
    if len(levels) != 2:
        raise DesignError(
            f"group column {group!r} has {len(levels)} levels, a t test needs exactly 2",
            item=group,
            hint="recode the group into two levels, or use design.glm() / design.chisq()",
        )
    gv = g.to_numpy()
    used = design.restrict(~np.isnan(yv) & g.notna().to_numpy())
    # svyglm(y ~ group): linearised, or refitted per replicate, by the design's engine
    x = np.column_stack([np.ones(len(yv)), (gv == levels[1]).astype(float)])
    fit = fit_arrays(design, x, np.nan_to_num(yv), used, "gaussian")
    diff, se, df = float(fit.beta[1]), float(np.sqrt(fit.cov[1, 1])), fit.df_residual
    t = diff / se
    half = t_quantile(level, df) * se
    return pd.DataFrame(
        {
            "difference": [diff],
            "se": [se],
            "t": [t],
            "df": [df],
            "p": [2 * stats.t.sf(abs(t), df)],
            "ci_low": [diff - half],
            "ci_high": [diff + half],
        },
        index=pd.Index([f"{y} ~ {group}: {levels[1]} - {levels[0]}"], name="test"),
    )


def chisq(design: Design, a: str, b: str, statistic: str = "F") -> pd.DataFrame:
    """Rao-Scott test of independence of ``a`` and ``b`` (see module docstring)."""
    if statistic not in ("F", "Chisq", "Wald", "adjWald"):
        raise DesignError(
            f"unknown statistic {statistic!r}",
            item="statistic",
            hint="use 'F' (default), 'Chisq', 'Wald' or 'adjWald'",
        )
    data = design.data
    check_columns(data, [a, b], "variable")
    ra, cb = categories(data[a]), categories(data[b])
    nr, nc = len(ra), len(cb)
    if nr < 2 or nc < 2:
        raise DesignError(
            f"{a!r} and {b!r} need at least two categories each (have {nr} and {nc})",
            item=[a, b],
            hint="a test of association needs variation in both items",
        )
    in_dom = design.restrict(np.ones(len(data), dtype=bool))
    av, bv = data[a].to_numpy(), data[b].to_numpy()
    ok = data[a].notna().to_numpy() & data[b].notna().to_numpy() & in_dom
    ia = np.full(len(data), -1)
    ib = np.full(len(data), -1)
    for i, lev in enumerate(ra):
        ia[(av == lev) & ok] = i
    for j, lev in enumerate(cb):
        ib[(bv == lev) & ok] = j
    cell = np.where(ok, ia + nr * ib, -1)  # rows vary fastest, as R's interaction()
    w = design.full_weights
    N = int(in_dom.sum())
    nu = design.degf
    k = nr * nc
    okw = w * ok
    W = okw.sum()
    counts = np.bincount(cell[ok], weights=w[ok], minlength=k)
    # Pearson X^2 on the weighted table scaled to N rows (R: svytable(Ntotal = N))
    table = (counts * N / W).reshape(nc, nr).T
    expected = np.outer(table.sum(1), table.sum(0)) / table.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        x2 = float(np.nansum((table - expected) ** 2 / expected))
    onehot = np.zeros((len(data), k))
    onehot[np.flatnonzero(ok), cell[ok]] = 1.0
    if statistic in ("Wald", "adjWald"):
        ra_ind = np.zeros((len(data), nr))
        ra_ind[np.flatnonzero(ok), ia[ok]] = 1.0
        cb_ind = np.zeros((len(data), nc))
        cb_ind[np.flatnonzero(ok), ib[ok]] = 1.0
        allx = np.column_stack([onehot, ra_ind, cb_ind, ok.astype(float)])
        tot = (allx * okw[:, None]).sum(0)
        vt = _covariance(design, allx, ok, "total")
        rows_of = np.tile(np.arange(nr), nc)
        cols_of = np.repeat(np.arange(nc), nr)
        grand = tot[-1]
        rt, ct = tot[k : k + nr], tot[k + nr : k + nr + nc]
        jac = np.hstack(
            [
                np.eye(k),
                -(rows_of[:, None] == np.arange(nr)[None, :]).astype(float)
                * (ct[cols_of] / grand)[:, None],
                -(cols_of[:, None] == np.arange(nc)[None, :]).astype(float)
                * (rt[rows_of] / grand)[:, None],
                (rt[rows_of] * ct[cols_of] / grand**2)[:, None],
            ]
        )
        yv = tot[:k] - rt[rows_of] * ct[cols_of] / grand
        V = jac @ vt @ jac.T
        use = np.array([i + nr * j for j in range(1, nc) for i in range(1, nr)])
        wald = float(yv[use] @ np.linalg.solve(V[np.ix_(use, use)], yv[use]))
        ndf = (nr - 1) * (nc - 1)
        if statistic == "Wald":
            f, ddf = wald / ndf, nu
        else:
            ddf = nu - ndf + 1
            f = wald * ddf / (ndf * nu)
        return _one_row(f, ndf, ddf, float(stats.f.sf(f, ndf, ddf)), statistic)
    # second-order Rao-Scott
    mean2 = counts / W
    V = _covariance(design, onehot, ok, "mean")
    rows_of = np.tile(np.arange(nr), nc)
    cols_of = np.repeat(np.arange(nc), nr)
    x1 = np.column_stack(
        [np.ones(k)]
        + [(rows_of == i).astype(float) for i in range(1, nr)]
        + [(cols_of == j).astype(float) for j in range(1, nc)]
    )
    x12 = np.column_stack(
        [
            ((rows_of == i) & (cols_of == j)).astype(float)
            for j in range(1, nc)
            for i in range(1, nr)
        ]
    )
    q, _ = np.linalg.qr(x1)
    C = x12 - q @ (q.T @ x12)
    with np.errstate(divide="ignore"):
        idm = np.diag(np.where(mean2 == 0, 0.0, 1.0 / mean2))
    denom = C.T @ (idm / N) @ C
    numr = C.T @ idm @ V @ idm @ C
    delta = np.linalg.solve(denom, numr)
    tr = float(np.trace(delta))
    if statistic == "Chisq":
        df = delta.shape[1]
        p = float(stats.chi2.sf(x2 / np.mean(np.diag(delta)), df))
        out = pd.DataFrame(
            {"X2": [x2], "df": [float(df)], "p": [p]}, index=pd.Index(["Chisq"], name="test")
        )
        return out
    d0 = tr**2 / float(np.trace(delta @ delta))
    f = x2 / tr
    return _one_row(f, d0, d0 * nu, float(stats.f.sf(f, d0, d0 * nu)), "F")


def _covariance(design: Design, x: np.ndarray, ok: np.ndarray, kind: str) -> np.ndarray:
    """Covariance of the means or totals of the columns of ``x`` over rows ``ok`` (R's
    ``svymean``/``svytotal`` with ``na.rm=TRUE``), from the design's variance engine."""
    doms = Domains(codes=np.zeros(len(ok), dtype=np.int64), keys=None, names=[])
    valid = np.repeat(ok[:, None], x.shape[1], axis=1)
    return design.linear_stats(x, valid, doms, kind, covmat=True)["cov"]


def _one_row(f: float, ndf: float, ddf: float, p: float, name: str) -> pd.DataFrame:
    return pd.DataFrame(
        {"F": [f], "ndf": [float(ndf)], "ddf": [float(ddf)], "p": [p]},
        index=pd.Index([name], name="test"),
    )
