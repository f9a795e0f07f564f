"""Design-based generalised linear models, as R's ``svyglm`` (Binder 1983; Lumley 2010 ch. 5).

The coefficients solve the weighted estimating equations ``sum_i w_i x_i (y_i - mu_i) = 0``
(weighted least squares for ``gaussian``; IRLS with the logit link for ``binomial``, which is
R's ``quasibinomial``). Their covariance is the sandwich ``A^-1 V(U) A^-1`` with ``A`` the
weighted information ``X' W X`` and ``V(U)`` the design covariance of the score totals: the
influence values ``w_i x_i (y_i - mu_i) A^-1`` go through the design's variance routine
(R's ``svy.varcoef``), so calibration adjustments apply too.

Rows with a missing value in any model variable are out of the domain (zero influence, the
design kept whole). Residual df = design df of the rows used + 1 - number of coefficients
(R's ``df.residual``); t tests and intervals use it.

Formulas use formulaic's syntax: ``y ~ pilot * wave + C(sex)``; categorical terms are
treatment-coded against their first level; coefficient names are formulaic's (``Intercept``,
``C(sex)[T.2]``, ``pilot:wave``).

>>> import pandas as pd
>>> from trustsurvey.design import SurveyDesign
>>> df = pd.DataFrame({"psu": range(8), "x": [0.0, 1, 2, 3, 0, 1, 2, 3],
...                    "y": [1.0, 3, 5, 7, 1, 3, 5, 7], "w": [1.0] * 8})
>>> fit = SurveyDesign(df, ids="psu", weights="w").glm("y ~ x")
>>> fit["estimate"].round(6).tolist()
[1.0, 2.0]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import special, stats

from trustsurvey.design.metadata import annotate
from trustsurvey.design.results import t_quantile
from trustsurvey.errors import DesignError

if TYPE_CHECKING:
    from trustsurvey.design.base import Design

FAMILIES = ("gaussian", "binomial", "quasibinomial")


@dataclass
class GlmFit:
    """Coefficients, their design covariance and bookkeeping of one fit."""

    beta: np.ndarray
    cov: np.ndarray
    df_residual: float
    n: int
    used: np.ndarray


def used_degf(design: Design, used: np.ndarray) -> int:
    """The design df on which a model fitted on rows ``used`` bases its residual df: PSUs
    minus strata among those rows (R's ``degf`` after ``na.action``) for a linearisation
    design, the replicate df for a replicate design."""
    return design.model_degf(used)


def _binomial_deviance(y: np.ndarray, mu: np.ndarray, w: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(y > 0, y * np.log(y / mu), 0.0)
        b = np.where(y < 1, (1 - y) * np.log((1 - y) / (1 - mu)), 0.0)
    return float(np.sum(2 * w * (a + b)))


def _irls_logit(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, epsilon: float = 1e-8, max_iter: int = 25
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """IRLS exactly as R's ``glm.fit`` (same start, same deviance stopping rule), so that the
    coefficients and the working weights used for the sandwich match R's to ~1e-10.

    Returns the coefficients, the fitted means and the working weights of the last iteration
    (R's ``glm.object$weights``).
    """
    mu = (w * y + 0.5) / (w + 1)
    eta = special.logit(mu)
    mu = special.expit(eta)
    dev_old = _binomial_deviance(y, mu, w)
    beta = np.zeros(X.shape[1])
    wt = w * mu * (1 - mu)
    for _ in range(max_iter):
        mu_eta = mu * (1 - mu)
        z = eta + (y - mu) / mu_eta
        wt = w * mu_eta
        sw = np.sqrt(wt)
        beta, *_ = np.linalg.lstsq(X * sw[:, None], z * sw, rcond=None)
        eta = X @ beta
        mu = special.expit(eta)
        dev = _binomial_deviance(y, mu, w)
        if abs(dev - dev_old) / (abs(dev) + 0.1) < epsilon:
            break
        dev_old = dev
    return beta, mu, wt


def _check_model(X: np.ndarray, yy: np.ndarray, family: str) -> None:
    """DesignError unless ``X`` has full column rank and a binomial response is in [0, 1]."""
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise DesignError(
            "the model matrix is not of full rank (collinear or empty terms)",
            item="formula",
            hint="drop a redundant term or a category with no respondents",
        )
    if family == "binomial" and np.any((yy < 0) | (yy > 1)):
        raise DesignError(
            "a binomial model needs a response between 0 and 1",
            item="formula",
            hint="code the outcome as 0/1 (e.g. I(x == 'Yes'))",
        )


def fit_arrays(
    design: Design, x: np.ndarray, y: np.ndarray, used: np.ndarray, family: str
) -> GlmFit:
    """Fit on rows ``used`` (boolean, data order) of model matrix ``x`` and response ``y``;
    the covariance comes from the design's engine (:meth:`Design.model_covariance`)."""
    w_all = design.full_weights
    w = w_all[used] / w_all.mean()  # R rescales weights to mean 1; it cancels in the sandwich
    X = x[used]
    yy = y[used]
    p = X.shape[1]
    _check_model(X, yy, family)
    logit = family != "gaussian"
    if logit:
        beta, mu, work_w = _irls_logit(X, yy, w)
    else:
        sw = np.sqrt(w)
        beta, *_ = np.linalg.lstsq(X * sw[:, None], yy * sw, rcond=None)
        mu = X @ beta
        work_w = w

    def influence() -> np.ndarray:
        # R's estfun: X * working residual * working weight; for the logit link the working
        # residual is (y - mu) / (mu (1 - mu)) with the final mu, the weight from the last
        # iteration; back on the design's weights scale (the 1/mean(w) cancels)
        info = (X * work_w[:, None]).T @ X
        resid_w = work_w * (yy - mu) / (mu * (1 - mu)) if logit else w * (yy - mu)
        scores = np.zeros((len(y), p))
        scores[used] = (X * resid_w[:, None]) @ np.linalg.inv(info)
        return scores

    def refit(wr: np.ndarray) -> np.ndarray:
        # R's svyglm.svyrep.design: the model again with a replicate's weights, converged
        # tightly so that the replicate spread is not convergence noise
        wr = wr / wr.mean()
        if logit:
            return _irls_logit(X, yy, wr, epsilon=1e-14, max_iter=100)[0]
        swr = np.sqrt(wr)
        return np.linalg.lstsq(X * swr[:, None], yy * swr, rcond=None)[0]

    cov = design.model_covariance(beta, used, influence=influence, refit=refit)
    df = used_degf(design, used) + 1 - p
    return GlmFit(beta=beta, cov=cov, df_residual=float(df), n=int(used.sum()), used=used)


def coefficient_frame(names: list[str], fit: GlmFit, level: float = 0.95) -> pd.DataFrame:
    """Tidy coefficient table: ``estimate, se, t, p, ci_low, ci_high, df``."""
    se = np.sqrt(np.diag(fit.cov))
    t = fit.beta / se
    df = fit.df_residual
    if df > 0:
        pval = 2 * stats.t.sf(np.abs(t), df)
        half = t_quantile(level, df) * se
    else:
        pval = np.full(len(t), np.nan)
        half = np.full(len(t), np.nan)
    frame = pd.DataFrame(
        {
            "estimate": fit.beta,
            "se": se,
            "t": t,
            "p": pval,
            "ci_low": fit.beta - half,
            "ci_high": fit.beta + half,
            "df": float(df),
        },
        index=pd.Index(names, name="term"),
    )
    annotate(frame, covmat=fit.cov, df_residual=df, n=fit.n, level=level)
    return frame


@dataclass
class ModelArrays:
    """The model matrix and response of a formula on the design's rows (zeros where unused)."""

    names: list[str]
    x: np.ndarray
    y: np.ndarray
    used: np.ndarray
    terms: dict[str, list[str]]


def model_arrays(design: Design, formula: str) -> ModelArrays:
    """Build ``x``/``y`` with formulaic; rows with a missing model variable are unused."""
    import formulaic

    frame = design.data.reset_index(drop=True)
    try:
        mm = formulaic.model_matrix(formula, frame, na_action="drop")
    except Exception as exc:  # formulaic raises many kinds; report them as one
        raise DesignError(
            f"cannot build the model matrix of {formula!r}: {exc}",
            item="formula",
            hint="check variable names and formulaic syntax, e.g. 'y ~ pilot * wave + C(sex)'",
        ) from exc
    if not hasattr(mm, "lhs"):
        raise DesignError(
            f"formula {formula!r} has no response", item="formula", hint="write 'y ~ x1 + x2'"
        )
    lhs, rhs = mm.lhs, mm.rhs
    if lhs.shape[1] != 1:
        raise DesignError(
            f"the response of {formula!r} gives {lhs.shape[1]} columns",
            item="formula",
            hint="use a numeric (0/1 for binomial) response, e.g. I(x == 'Yes')",
        )
    rows = rhs.index.to_numpy()
    n = len(frame)
    used = np.zeros(n, dtype=bool)
    used[rows] = True
    used = design.restrict(used)
    x = np.zeros((n, rhs.shape[1]))
    x[rows] = rhs.to_numpy(dtype=float)
    y = np.zeros(n)
    y[rows] = lhs.to_numpy(dtype=float).ravel()
    names = list(rhs.columns)
    terms = {
        str(term): [names[i] for i in idx] for term, idx in rhs.model_spec.term_indices.items()
    }
    return ModelArrays(names=names, x=x, y=y, used=used, terms=terms)


def family_name(family: str) -> str:
    if family not in FAMILIES:
        raise DesignError(
            f"unknown family {family!r}", item="family", hint="use 'gaussian' or 'binomial'"
        )
    return "gaussian" if family == "gaussian" else "binomial"


def glm(
    design: Design, formula: str, family: str = "gaussian", level: float = 0.95
) -> pd.DataFrame:
    """Fit ``formula`` on the design (see module docstring); one row per coefficient. On a
    replicate design the model is refitted with every replicate's weights and the variance is
    R's ``svrVar`` of the replicate coefficients (``svyglm.svyrep.design``); residual df =
    replicate df + 1 - number of coefficients."""
    fam = family_name(family)
    arrays = model_arrays(design, formula)
    fit = fit_arrays(design, arrays.x, arrays.y, arrays.used, fam)
    out = coefficient_frame(arrays.names, fit, level)
    annotate(out, terms=arrays.terms, formula=formula, family=family)
    return out


replicate_glm = glm  # the name of earlier releases
