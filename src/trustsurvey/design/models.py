"""Design-based generalised linear models, as R's ``svyglm`` (Binder 1983; Lumley 2010 ch. 5).

The coefficients solve the weighted estimating equations ``sum_i w_i x_i (y_i - mu_i) = 0``
(weighted least squares for ``gaussian``; IRLS with the logit link for ``binomial``, which is
R's ``quasibinomial``; IRLS with the log link for ``poisson`` and ``quasipoisson``, which give
the same coefficients and design-based SEs, as in R's ``svyglm``). A Poisson model of counts
per exposure takes an offset (``log`` of the population, of the months observed): the
``offset=`` argument or an ``offset(...)`` term of the formula, as R's
``svyglm(y ~ x + offset(log(pop)), family = quasipoisson)``. Their covariance is the
sandwich ``A^-1 V(U) A^-1`` with ``A`` the weighted information ``X' W X`` and ``V(U)`` the
design covariance of the score totals: the influence values ``w_i x_i (y_i - mu_i) A^-1`` go
through the design's variance routine (R's ``svy.varcoef``), so calibration adjustments apply
too.

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

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import special, stats

from trustsurvey.design.metadata import annotate
from trustsurvey.design.results import t_quantile
from trustsurvey.errors import DesignError

if TYPE_CHECKING:
    from trustsurvey.design.base import Design

FAMILIES = ("gaussian", "binomial", "quasibinomial", "poisson", "quasipoisson")
#: the link of each family's canonical name
LINKS = {"gaussian": "identity", "binomial": "logit", "poisson": "log"}


@dataclass
class GlmFit:
    """Coefficients, their design covariance and bookkeeping of one fit."""

    beta: np.ndarray
    cov: np.ndarray
    df_residual: float
    n: int
    used: np.ndarray
    family: str = "gaussian"
    offset: np.ndarray | None = None
    #: the coefficients' influence values (n x p, data order) and a refit with the weights of
    #: the used rows: what :meth:`Design.model_covariance` took, for estimators built on the fit
    influence: Callable[[], np.ndarray] | None = None
    refit: Callable[[np.ndarray], np.ndarray] | None = None


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


def _poisson_deviance(y: np.ndarray, mu: np.ndarray, w: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(y > 0, y * np.log(y / mu), 0.0)
    return float(np.sum(2 * w * (a - (y - mu))))


def link_inverse(eta: np.ndarray, link: str) -> np.ndarray:
    """``mu`` from the linear predictor."""
    if link == "logit":
        return special.expit(eta)
    if link == "log":
        return np.exp(eta)
    return eta


def mu_eta(eta: np.ndarray, link: str) -> np.ndarray:
    """``d mu / d eta`` (R's ``family$mu.eta``)."""
    if link == "logit":
        m = special.expit(eta)
        return m * (1 - m)
    if link == "log":
        return np.exp(eta)
    return np.ones_like(eta)


def _irls(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    link: str,
    offset: np.ndarray | None = None,
    epsilon: float = 1e-8,
    max_iter: int = 25,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """IRLS exactly as R's ``glm.fit`` (same start, same deviance stopping rule) for the logit
    (binomial) and log (Poisson) links, so that the coefficients and the working weights used
    for the sandwich match R's to ~1e-10.

    Returns the coefficients, the fitted means and the working weights of the last iteration
    (R's ``glm.object$weights``).
    """
    off = np.zeros(len(y)) if offset is None else offset
    if link == "logit":
        mu = (w * y + 0.5) / (w + 1)
        eta = special.logit(mu)
        deviance = _binomial_deviance
    else:
        mu = y + 0.1
        eta = np.log(mu)
        deviance = _poisson_deviance
    mu = link_inverse(eta, link)
    dev_old = deviance(y, mu, w)
    beta = np.zeros(X.shape[1])
    wt = w * mu_eta(eta, link)
    for _ in range(max_iter):
        me = mu_eta(eta, link)
        z = eta - off + (y - mu) / me
        wt = w * me**2 / (mu * (1 - mu) if link == "logit" else mu)
        sw = np.sqrt(wt)
        beta, *_ = np.linalg.lstsq(X * sw[:, None], z * sw, rcond=None)
        eta = X @ beta + off
        mu = link_inverse(eta, link)
        dev = deviance(y, mu, w)
        if abs(dev - dev_old) / (abs(dev) + 0.1) < epsilon:
            break
        dev_old = dev
    return beta, mu, wt


def _irls_logit(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, epsilon: float = 1e-8, max_iter: int = 25
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_irls` with the logit link."""
    return _irls(X, y, w, "logit", epsilon=epsilon, max_iter=max_iter)


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
    if family == "poisson" and np.any(yy < 0):
        raise DesignError(
            "a Poisson model needs a response of counts or rates not below 0",
            item="formula",
            hint="model a count (appeals, incidents) with the exposure as offset",
        )


def fit_arrays(
    design: Design,
    x: np.ndarray,
    y: np.ndarray,
    used: np.ndarray,
    family: str,
    offset: np.ndarray | None = None,
) -> GlmFit:
    """Fit on rows ``used`` (boolean, data order) of model matrix ``x`` and response ``y``
    (``family`` a canonical name: gaussian, binomial, poisson; ``offset`` in data order);
    the covariance comes from the design's engine (:meth:`Design.model_covariance`)."""
    w_all = design.full_weights
    w = w_all[used] / w_all.mean()  # R rescales weights to mean 1; it cancels in the sandwich
    X = x[used]
    yy = y[used]
    off = None if offset is None else offset[used]
    p = X.shape[1]
    _check_model(X, yy, family)
    link = LINKS[family]
    if link != "identity":
        beta, mu, work_w = _irls(X, yy, w, link, off)
    else:
        sw = np.sqrt(w)
        yo = yy if off is None else yy - off
        beta, *_ = np.linalg.lstsq(X * sw[:, None], yo * sw, rcond=None)
        mu = X @ beta + (0 if off is None else off)
        work_w = w

    def influence() -> np.ndarray:
        # R's estfun: X * working residual * working weight; for the logit (log) link the
        # working residual is (y - mu) / mu_eta with the final mu, the weight from the last
        # iteration; back on the design's weights scale (the 1/mean(w) cancels)
        info = (X * work_w[:, None]).T @ X
        if link == "identity":
            resid_w = w * (yy - mu)
        else:
            resid_w = work_w * (yy - mu) / (mu * (1 - mu) if link == "logit" else mu)
        scores = np.zeros((len(y), p))
        scores[used] = (X * resid_w[:, None]) @ np.linalg.inv(info)
        return scores

    def refit(wr: np.ndarray) -> np.ndarray:
        # R's svyglm.svyrep.design: the model again with a replicate's weights, converged
        # tightly so that the replicate spread is not convergence noise
        wr = wr / wr.mean()
        if link != "identity":
            return _irls(X, yy, wr, link, off, epsilon=1e-14, max_iter=100)[0]
        swr = np.sqrt(wr)
        yo = yy if off is None else yy - off
        return np.linalg.lstsq(X * swr[:, None], yo * swr, rcond=None)[0]

    cov = design.model_covariance(beta, used, influence=influence, refit=refit)
    df = used_degf(design, used) + 1 - p
    return GlmFit(
        beta=beta,
        cov=cov,
        df_residual=float(df),
        n=int(used.sum()),
        used=used,
        family=family,
        offset=offset,
        influence=influence,
        refit=refit,
    )


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
    """The model matrix and response of a formula on the design's rows (zeros where unused);
    ``spec`` is formulaic's model spec of the right-hand side (to build the model matrix of
    new data), ``offset`` the offset in data order (``None`` without one)."""

    names: list[str]
    x: np.ndarray
    y: np.ndarray
    used: np.ndarray
    terms: dict[str, list[str]]
    spec: Any = None
    offset: np.ndarray | None = None


def split_offset(formula: str) -> tuple[str, str | None]:
    """``formula`` without its ``offset(...)`` term, and that term's expression.

    >>> split_offset("y ~ x + offset(log(pop))")
    ('y ~ x', 'log(pop)')
    """
    at = formula.find("offset(")
    if at < 0:
        return formula, None
    depth, end = 0, -1
    for i in range(at + len("offset"), len(formula)):
        depth += {"(": 1, ")": -1}.get(formula[i], 0)
        if depth == 0:
            end = i
            break
    if end < 0:
        raise DesignError(
            f"unbalanced parentheses in the offset of {formula!r}",
            item="formula",
            hint="write offset(log(population))",
        )
    expr = formula[at + len("offset(") : end].strip()
    rest = (formula[:at].rstrip().rstrip("+").rstrip() + " " + formula[end + 1 :]).strip()
    if rest.endswith("~"):
        rest += " 1"
    return rest.replace("~ +", "~").strip(), expr


def offset_values(frame: pd.DataFrame, expr: str) -> np.ndarray:
    """The offset ``expr`` (a column or a formulaic expression such as ``log(pop)``) of every
    row of ``frame``; NaN where it cannot be computed."""
    import formulaic

    if expr in frame.columns:
        return pd.to_numeric(frame[expr], errors="coerce").to_numpy(dtype=float)
    try:
        mm = formulaic.model_matrix(f"0 + {expr}", frame, na_action="ignore")
    except Exception as exc:  # formulaic raises many kinds; report them as one
        raise DesignError(
            f"cannot compute the offset {expr!r}: {exc}",
            item="offset",
            hint="name a column or write e.g. log(population)",
        ) from exc
    if mm.shape[1] != 1:
        raise DesignError(
            f"the offset {expr!r} gives {mm.shape[1]} columns",
            item="offset",
            hint="give one numeric expression, e.g. log(population)",
        )
    out = np.full(len(frame), np.nan)
    out[mm.index.to_numpy()] = mm.to_numpy(dtype=float).ravel()
    return out


def model_arrays(design: Design, formula: str, offset: str | None = None) -> ModelArrays:
    """Build ``x``/``y`` with formulaic; rows with a missing model variable (or offset) are
    unused. The offset is ``offset`` or the formula's ``offset(...)`` term."""
    import formulaic

    formula, in_formula = split_offset(formula)
    if offset is not None and in_formula is not None:
        raise DesignError(
            "the offset is given twice (offset= and an offset(...) term)",
            item="offset",
            hint="give it once",
        )
    offset = offset if offset is not None else in_formula
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
    off = None
    if offset is not None:
        off = offset_values(frame, offset)
        used &= np.isfinite(off)
        off = np.where(np.isfinite(off), off, 0.0)
    used = design.restrict(used)
    x = np.zeros((n, rhs.shape[1]))
    x[rows] = rhs.to_numpy(dtype=float)
    y = np.zeros(n)
    y[rows] = lhs.to_numpy(dtype=float).ravel()
    names = list(rhs.columns)
    terms = {
        str(term): [names[i] for i in idx] for term, idx in rhs.model_spec.term_indices.items()
    }
    return ModelArrays(
        names=names, x=x, y=y, used=used, terms=terms, spec=rhs.model_spec, offset=off
    )


def family_name(family: str) -> str:
    """The canonical family of one of R's names: ``gaussian``, ``binomial``
    (``quasibinomial``), ``poisson`` (``quasipoisson``)."""
    if family not in FAMILIES:
        raise DesignError(
            f"unknown family {family!r}",
            item="family",
            hint="use gaussian, binomial, quasibinomial, poisson or quasipoisson",
        )
    return family.removeprefix("quasi")


def glm(
    design: Design,
    formula: str,
    family: str = "gaussian",
    level: float = 0.95,
    *,
    offset: str | None = None,
) -> pd.DataFrame:
    """Fit ``formula`` on the design (see module docstring); one row per coefficient. On a
    replicate design the model is refitted with every replicate's weights and the variance is
    R's ``svrVar`` of the replicate coefficients (``svyglm.svyrep.design``); residual df =
    replicate df + 1 - number of coefficients. ``offset`` names a column or an expression
    (``"log(pop)"``) added to the linear predictor with coefficient 1.

    >>> import numpy as np, pandas as pd
    >>> from trustsurvey.design import SurveyDesign
    >>> df = pd.DataFrame({"psu": range(6), "n": [2, 3, 6, 8, 1, 2], "pop": [100.0, 100, 200,
    ...                    200, 50, 50], "x": [0, 0, 1, 1, 0, 0], "w": 1.0})
    >>> fit = glm(SurveyDesign(df, ids="psu", weights="w"), "n ~ x + offset(log(pop))",
    ...           family="quasipoisson")
    >>> np.exp(fit["estimate"]).round(4).tolist()  # rate per person in x = 0, rate ratio
    [0.0267, 1.3125]
    """
    fam = family_name(family)
    arrays = model_arrays(design, formula, offset)
    fit = fit_arrays(design, arrays.x, arrays.y, arrays.used, fam, arrays.offset)
    out = coefficient_frame(arrays.names, fit, level)
    annotate(out, terms=arrays.terms, formula=formula, family=family)
    if arrays.offset is not None:
        annotate(out, offset=offset or split_offset(formula)[1])
    return out


replicate_glm = glm  # the name of earlier releases
