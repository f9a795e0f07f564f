"""Design-based proportional-odds model for ordinal outcomes (R's ``svyolr``).

Cumulative logit model ``logit P(Y <= k | x) = zeta_k - x'beta`` (McCullagh 1980; the
parametrisation of ``MASS::polr``): a positive ``beta`` shifts answers to higher categories.
The coefficients maximise the weighted pseudo-log-likelihood ``sum_i w_i log P(Y = y_i)``
(Binder 1983), solved here by Newton's method with the analytic Hessian (R uses BFGS on the
same objective; both stop at the same optimum). The variance is the sandwich
``H^-1 V(U) H^-1``: the influence values ``U_i H^-1`` (``U_i`` the weighted score of
respondent ``i``, ``H`` the Hessian of the pseudo-log-likelihood in ``(beta, zeta)``) go
through the design's variance routine, as in R's ``svyolr.survey.design2`` (Lumley 2010,
ch. 6). Residual df = design df of the rows used − number of slopes (R's ``df.residual``).
On a replicate design the model is refitted with every replicate's weights and the variance is
that of the replicate estimates (R's ``svyolr.svyrep.design``; df = replicate df − slopes).

Rows with a missing response or covariate are out of the domain (zero influence, the design
kept whole); R drops them from the design, which gives the same numbers unless a whole PSU
is dropped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special, stats

from trustsurvey.analysis.did import _data
from trustsurvey.design.base import Design
from trustsurvey.design.metadata import annotate
from trustsurvey.design.results import t_quantile
from trustsurvey.errors import AnalysisError, DesignError

__all__ = ["proportional_odds", "svyolr"]


def _pieces(
    X: np.ndarray, y: np.ndarray, beta: np.ndarray, zeta: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Per-row ``pr``, ``l_a``, ``l_b`` and second derivatives, and the design rows ``Da/Db``."""
    n, p = X.shape
    q = len(zeta)
    eta = X @ beta if p else np.zeros(n)
    upper = np.append(zeta, np.inf)[y]  # y in 0..q
    lower = np.insert(zeta, 0, -np.inf)[y]
    a, b = upper - eta, lower - eta
    Fa, Fb = special.expit(a), special.expit(b)
    fa, fb = Fa * (1 - Fa), Fb * (1 - Fb)
    pr = Fa - Fb
    if np.any(pr <= 0):
        raise AnalysisError(
            "the proportional-odds fit reached a zero probability",
            item="formula",
            hint="a covariate separates the categories; merge sparse categories or drop it",
        )
    dfa, dfb = fa * (1 - 2 * Fa), fb * (1 - 2 * Fb)
    la, lb = fa / pr, -fb / pr
    laa = dfa / pr - la**2
    lbb = -dfb / pr - lb**2
    lab = -la * lb
    Da = np.zeros((n, p + q))
    Db = np.zeros((n, p + q))
    Da[:, :p] = -X
    Db[:, :p] = -X
    rows = np.arange(n)
    has_up = y < q
    has_lo = y > 0
    Da[rows[has_up], p + y[has_up]] = 1.0
    Db[rows[has_lo], p + y[has_lo] - 1] = 1.0
    return pr, la, lb, laa, lbb, lab, Da, Db


def _fit(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    q: int,
    tol: float = 1e-12,
    start: np.ndarray | None = None,
) -> tuple:
    p = X.shape[1]
    if start is None:
        shares = np.bincount(y, weights=w, minlength=q + 1) / w.sum()
        zeta = special.logit(np.cumsum(shares)[:q])
        beta = np.zeros(p)
    else:
        beta, zeta = start[:p].copy(), start[p:].copy()

    def loglik(b: np.ndarray, z: np.ndarray) -> float:
        eta = X @ b if p else 0.0
        upper = special.expit(np.append(z, np.inf)[y] - eta)
        lower = special.expit(np.insert(z, 0, -np.inf)[y] - eta)
        pr = upper - lower
        return -np.inf if np.any(pr <= 0) else float(np.sum(w * np.log(pr)))

    ll = loglik(beta, zeta)
    for _ in range(200):
        _, la, lb, laa, lbb, lab, Da, Db = _pieces(X, y, beta, zeta)
        grad = Da.T @ (w * la) + Db.T @ (w * lb)
        H = (Da * (w * laa)[:, None]).T @ Da + (Db * (w * lbb)[:, None]).T @ Db
        cross = (Da * (w * lab)[:, None]).T @ Db
        H = H + cross + cross.T
        step = np.linalg.solve(H, -grad)
        t = 1.0
        while t > 1e-10:
            nb, nz = beta + t * step[:p], zeta + t * step[p:]
            if np.all(np.diff(nz) > 0):
                new = loglik(nb, nz)
                if new >= ll - 1e-12 * abs(ll):
                    break
            t /= 2
        beta, zeta, ll_old, ll = nb, nz, ll, new
        if np.max(np.abs(t * step)) < tol or abs(ll - ll_old) < 1e-15 * abs(ll):
            break
    _, la, lb, laa, lbb, lab, Da, Db = _pieces(X, y, beta, zeta)
    H = (Da * (w * laa)[:, None]).T @ Da + (Db * (w * lbb)[:, None]).T @ Db
    cross = (Da * (w * lab)[:, None]).T @ Db
    H = H + cross + cross.T
    scores = Da * (w * la)[:, None] + Db * (w * lb)[:, None]
    return beta, zeta, H, scores, ll


def _response_codes(values: pd.Series, name: str) -> tuple[np.ndarray, list]:
    if isinstance(values.dtype, pd.CategoricalDtype):
        levels = [c for c in values.cat.categories if (values == c).any()]
    else:
        levels = sorted(values.dropna().unique().tolist())
    if len(levels) < 3:
        raise AnalysisError(
            f"an ordinal model needs 3 or more answer categories; {name!r} has {len(levels)}",
            item=name,
            hint="use did(..., family='binomial') or a share comparison for two categories",
        )
    codes = values.map({lev: i for i, lev in enumerate(levels)})
    return codes.to_numpy(dtype=float, na_value=np.nan), levels


def proportional_odds(design: Design, formula: str, *, level: float = 0.95) -> pd.DataFrame:
    """Design-based proportional-odds (cumulative logit) model, as R's ``svyolr``.

    Parameters
    ----------
    design : SurveyDesign
        The full design (domains are rows with every model variable valid).
    formula : str
        ``"item ~ terms"`` in formulaic syntax; the response's ordered categories are its
        sorted codes (or the categories of an ordered Categorical). E.g. ``"q7_trust ~
        pilot * wave + C(sex)"``.
    level : float
        Confidence level of the t intervals.

    Returns
    -------
    DataFrame
        One row per slope then per threshold (``term`` e.g. ``pilot``, ``"1|2"``), with
        ``kind`` ("coefficient"/"threshold"), ``estimate, se, t, p, ci_low, ci_high, df`` and
        ``odds_ratio`` (``exp(estimate)`` for slopes). ``attrs``: ``covmat``, ``n``,
        ``levels``, ``loglik``.

    Notes
    -----
    See the module docstring. R: ``svyolr(factor(item) ~ terms, design)``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from trustsurvey.design import SurveyDesign
    >>> rng = np.random.default_rng(3)
    >>> x = rng.normal(size=300)
    >>> y = np.digitize(x + rng.logistic(size=300), [-1.0, 0.0, 1.0]) + 1
    >>> df = pd.DataFrame({"psu": np.arange(300) // 3, "x": x, "y": y, "w": 1.0})
    >>> fit = proportional_odds(SurveyDesign(df, ids="psu", weights="w"), "y ~ x")
    >>> fit["term"].tolist()
    ['x', '1|2', '2|3', '3|4']
    >>> bool(0.6 < fit.loc[0, "estimate"] < 1.4)
    True
    """
    from trustsurvey.design.models import model_arrays, used_degf

    data = _data(design)
    if "~" not in formula:
        raise AnalysisError(
            f"formula {formula!r} has no response", item="formula", hint="write 'item ~ x1 + x2'"
        )
    lhs, rhs = (s.strip() for s in formula.split("~", 1))
    if lhs not in data.columns:
        raise AnalysisError(
            "response not in the design's data", item=lhs, hint="check the item name"
        )
    codes, levels = _response_codes(data[lhs], lhs)
    d = design.with_columns(_olr_y=codes)
    try:
        arrays = model_arrays(d, f"_olr_y ~ {rhs}")
    except DesignError as exc:
        raise AnalysisError(str(exc), item="formula", hint=exc.hint) from exc
    keep = [i for i, nm in enumerate(arrays.names) if nm != "Intercept"]
    names = [arrays.names[i] for i in keep]
    used = arrays.used
    X = arrays.x[used][:, keep]
    if X.shape[1] and np.linalg.matrix_rank(X) < X.shape[1]:
        raise AnalysisError(
            "the model matrix is not of full rank (collinear or empty terms)",
            item="formula",
            hint="drop a redundant term or a category with no respondents",
        )
    y = arrays.y[used].astype(int)
    q = len(levels) - 1
    present = np.unique(y)
    if len(present) < len(levels):
        gone = [levels[i] for i in range(len(levels)) if i not in present]
        raise AnalysisError(
            f"categories {gone} have no respondents among the rows used",
            item=lhs,
            hint="merge empty categories or drop the covariate that removes them",
        )
    w = design.full_weights[used]
    beta, zeta, H, sc, ll = _fit(X, y, w, q)
    p = len(beta)
    est = np.concatenate([beta, zeta])

    def influence() -> np.ndarray:
        scores = np.zeros((len(data), p + q))
        scores[used] = sc @ np.linalg.inv(H)
        return scores

    def refit(wr: np.ndarray) -> np.ndarray:
        # R's svyolr.svyrep.design: refit from the full-sample estimates
        return np.concatenate(_fit(X, y, wr, q, start=est)[:2])

    cov = design.model_covariance(est, used, influence=influence, refit=refit)
    df = float(used_degf(design, used) - p)
    se = np.sqrt(np.diag(cov))
    t = est / se
    pv = 2 * stats.t.sf(np.abs(t), df) if df > 0 else np.full(len(t), np.nan)
    half = t_quantile(level, df) * se if df > 0 else np.full(len(t), np.nan)
    thresholds = [
        f"{levels[k]:g}|{levels[k + 1]:g}"
        if isinstance(levels[k], float)
        else f"{levels[k]}|{levels[k + 1]}"
        for k in range(q)
    ]
    terms = names + thresholds
    out = pd.DataFrame(
        {
            "term": terms,
            "kind": ["coefficient"] * p + ["threshold"] * q,
            "estimate": est,
            "se": se,
            "t": t,
            "p": pv,
            "ci_low": est - half,
            "ci_high": est + half,
            "df": df,
            "odds_ratio": np.concatenate([np.exp(beta), np.full(q, np.nan)]),
        }
    )
    return annotate(
        out,
        covmat=pd.DataFrame(cov, index=terms, columns=terms),
        n=int(used.sum()),
        levels=levels,
        loglik=ll,
        formula=formula,
    )


svyolr = proportional_odds
