"""Predictive margins and average marginal effects after a design-based model.

After ``glm`` (gaussian, binomial, poisson and their quasi families, with an offset) or the
proportional-odds model (``family="olr"``, :mod:`trustsurvey.analysis.ordinal`):

* :func:`predictive_margins`: for every value ``v`` of a variable, the weighted mean over the
  respondents of the model's prediction with the variable set to ``v`` and every other
  covariate as observed (R's ``svypredmeans``, Stata's ``margins v``; Graubard & Korn 1999).
  For ``olr`` one margin per value and answer category: the mean predicted probability.
* :func:`marginal_effects`: average marginal effects (Stata's ``margins, dydx()``): for a
  continuous variable the weighted mean of ``d mu_i / d x`` (central differences of the
  model matrix, so interactions and transformations of ``x`` are followed); for a
  categorical one the differences of its predictive margins from the first level.

Variance (R's ``svypredmeans``, Lumley 2010 sec. 5.4): the estimate ``m(b) = sum_i w_i
f_i(b) / sum_i w_i`` varies with the covariate distribution of the sample and with the
coefficients ``b``. The two parts are added: ``V = Var_design(mean of f_i) + G' V_b G``, the
first the design variance of the mean of the fitted values taken as data (the variability of
the covariate distribution; linearisation or replicates, whichever the design has), the
second the delta method with ``G = sum_i w_i d f_i / d b / sum_i w_i`` and ``V_b`` the model's
design-based covariance. As in R, the covariance between the two parts is not added.
With ``variance="joint"`` it is: each respondent's influence value is
``w_i (f_i - m) / sum w + G' psi_i`` (``psi_i`` the coefficients' influence value), which the
design aggregates once (Graubard & Korn 1999; Stata's ``vce(unconditional)``); a replicate
design refits the model and recomputes the margin with every replicate's weights.

Margins are over the respondents the model used (every model variable valid, in the
design's domain). Intervals use Student's t on the design df of those rows.

>>> import numpy as np, pandas as pd
>>> from trustsurvey.design import SurveyDesign
>>> rng = np.random.default_rng(1)
>>> df = pd.DataFrame({"psu": np.arange(200) // 4, "g": rng.choice(["a", "b"], 200),
...                    "x": rng.normal(size=200)})
>>> df["y"] = (rng.random(200) < 0.3 + 0.3 * (df["g"] == "b")).astype(float)
>>> d = SurveyDesign(df, ids="psu", weights=pd.Series(1.0, index=df.index))
>>> m = predictive_margins(d, "y ~ g + x", "g", family="binomial")
>>> m[["term", "level"]].values.tolist()
[['g', 'a'], ['g', 'b']]
>>> bool(m["estimate"].iloc[1] > m["estimate"].iloc[0])
True
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from trustsurvey.design.base import Design
from trustsurvey.design.metadata import vcov
from trustsurvey.design.results import wald_frame
from trustsurvey.errors import AnalysisError, DesignError

__all__ = ["marginal_effects", "predictive_margins"]

#: predictions (n x K) and their Jacobian in the parameters (n x K x p) of model rows
Predictor = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass
class _Model:
    """A fitted model as margins need it."""

    params: np.ndarray
    cov: np.ndarray
    used: np.ndarray
    frame: pd.DataFrame  # the design's data, row order, RangeIndex
    matrix: Callable[[pd.DataFrame], np.ndarray]  # model matrix of (modified) rows
    # predictions and gradients of model rows (matrix, row positions, parameters)
    predict: Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
    categories: list[str]  # output columns of a prediction ("" for a glm's mean)
    degf: float
    influence: Callable[[], np.ndarray]  # the parameters' influence values (n x p)
    refit: Callable[[np.ndarray], np.ndarray]  # parameters refitted with weights of used rows


def _matrix_builder(spec: Any, keep: list[int] | None) -> Callable[[pd.DataFrame], np.ndarray]:
    def build(rows: pd.DataFrame) -> np.ndarray:
        mm = spec.get_model_matrix(rows, na_action="ignore")
        x = np.asarray(mm, dtype=float)
        return x if keep is None else x[:, keep]

    return build


def _glm_model(
    design: Design, formula: str, family: str, offset: str | None, per_exposure: bool
) -> _Model:
    from trustsurvey.design.models import (
        LINKS,
        family_name,
        fit_arrays,
        link_inverse,
        model_arrays,
        mu_eta,
        used_degf,
    )

    fam = family_name(family)
    arrays = model_arrays(design, formula, offset)
    fit = fit_arrays(design, arrays.x, arrays.y, arrays.used, fam, arrays.offset)
    link = LINKS[fam]
    off_all = None if per_exposure else arrays.offset
    assert fit.influence is not None and fit.refit is not None

    def predict(x: np.ndarray, rows: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        eta = x @ beta + (0.0 if off_all is None else off_all[rows])
        mu = link_inverse(eta, link)
        jac = (mu_eta(eta, link)[:, None] * x)[:, None, :]
        return mu[:, None], jac

    return _Model(
        params=fit.beta,
        cov=fit.cov,
        used=arrays.used,
        frame=design.data.reset_index(drop=True),
        matrix=_matrix_builder(arrays.spec, None),
        predict=predict,
        categories=[""],
        degf=float(used_degf(design, arrays.used)),
        influence=fit.influence,
        refit=fit.refit,
    )


def _olr_model(design: Design, formula: str) -> _Model:
    from trustsurvey.analysis.ordinal import _fit, _response_codes, proportional_odds
    from trustsurvey.design.models import model_arrays, used_degf

    fit = proportional_odds(design, formula)
    lhs, rhs = (s.strip() for s in formula.split("~", 1))
    codes, levels = _response_codes(design.data[lhs], lhs)
    arrays = model_arrays(design.with_columns(_olr_y=codes), f"_olr_y ~ {rhs}")
    keep = [i for i, nm in enumerate(arrays.names) if nm != "Intercept"]
    p = len(keep)
    est = fit["estimate"].to_numpy(dtype=float)
    q = len(est) - p
    used = arrays.used
    X = arrays.x[used][:, keep]
    y = arrays.y[used].astype(int)

    def influence() -> np.ndarray:
        # as proportional_odds: the weighted scores times the inverse Hessian
        _, _, H, sc, _ = _fit(X, y, design.full_weights[used], q, start=est)
        out = np.zeros((len(used), p + q))
        out[used] = sc @ np.linalg.inv(H)
        return out

    def refit(wr: np.ndarray) -> np.ndarray:
        return np.concatenate(_fit(X, y, wr, q, start=est)[:2])

    def predict(
        x: np.ndarray, rows: np.ndarray, params: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        beta, zeta = params[:p], params[p:]
        eta = x @ beta if p else np.zeros(len(x))
        cuts = np.concatenate([[-np.inf], zeta, [np.inf]])
        F = special.expit(cuts[None, :] - eta[:, None])  # n x (q + 2)
        f = F * (1 - F)
        probs = F[:, 1:] - F[:, :-1]  # n x (q + 1)
        jac = np.zeros((len(x), q + 1, p + q))
        # d P_k / d beta = -(f(z_k - eta) - f(z_{k-1} - eta)) x
        jac[:, :, :p] = -(f[:, 1:] - f[:, :-1])[:, :, None] * x[:, None, :]
        for k in range(q + 1):
            if k < q:
                jac[:, k, p + k] = f[:, k + 1]
            if k > 0:
                jac[:, k, p + k - 1] = -f[:, k]
        return probs, jac

    return _Model(
        params=est,
        cov=vcov(fit).to_numpy(dtype=float),
        used=arrays.used,
        frame=design.data.reset_index(drop=True),
        matrix=_matrix_builder(arrays.spec, keep),
        predict=predict,
        categories=[_text(v) for v in levels],
        degf=float(used_degf(design, arrays.used)),
        influence=influence,
        refit=refit,
    )


def _model(
    design: Design, formula: str, family: str, offset: str | None, per_exposure: bool = True
) -> _Model:
    if family == "olr":
        if offset is not None:
            raise AnalysisError(
                "the proportional-odds model takes no offset", item="offset", hint="drop it"
            )
        return _olr_model(design, formula)
    try:
        return _glm_model(design, formula, family, offset, per_exposure)
    except DesignError as exc:
        raise AnalysisError(str(exc), item=exc.item or "formula", hint=exc.hint) from exc


def _text(value: Any) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _check_variable(model: _Model, variable: str) -> pd.Series:
    if variable not in model.frame.columns:
        raise AnalysisError(
            f"{variable!r} is not a column of the design's data",
            item=variable,
            hint="name a covariate of the model",
        )
    return model.frame[variable]


def _values(column: pd.Series, used: np.ndarray, at: Sequence[Any] | None) -> list[Any]:
    present = column[used]
    if isinstance(column.dtype, pd.CategoricalDtype):
        seen = [c for c in column.cat.categories if (present == c).any()]
    else:
        seen = sorted(present.dropna().unique().tolist())
    if at is None:
        return seen
    numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    unseen = [v for v in at if v not in seen] if not numeric else []
    if unseen:
        raise AnalysisError(
            f"cannot predict with {column.name} = {unseen[0]!r}: the model saw no such level",
            item=str(column.name),
            hint="give levels among: " + ", ".join(map(str, seen[:20])),
        )
    return list(at)


#: one output block of an estimand: ``sum_k c_k * prediction(X_k)`` over model matrices
Block = list[tuple[float, np.ndarray]]

VARIANCES = ("svypredmeans", "joint")


def _evaluate(
    model: _Model, blocks: list[Block], rows: np.ndarray, params: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-row values (rows x columns) and their parameter gradients (rows x columns x p)."""
    fits, grads = [], []
    for block in blocks:
        f_sum: Any = 0.0
        g_sum: Any = 0.0
        for c, x in block:
            f, g = model.predict(x, rows, params)
            f_sum = f_sum + c * f
            g_sum = g_sum + c * g
        fits.append(f_sum)
        grads.append(g_sum)
    return np.concatenate(fits, axis=1), np.concatenate(grads, axis=1)


def _combine(
    design: Design, model: _Model, blocks: list[Block], rows: np.ndarray, variance: str
) -> tuple[np.ndarray, np.ndarray]:
    """Estimates and covariance of the weighted means over rows ``rows`` of the blocks'
    per-row values; see the module docstring."""
    if variance not in VARIANCES:
        raise AnalysisError(
            f"unknown variance {variance!r}", item="variance", hint="svypredmeans or joint"
        )
    fits, grads = _evaluate(model, blocks, rows, model.params)
    w = design.full_weights[rows]
    est = w @ fits / w.sum()
    G = np.einsum("i,ijk->jk", w, grads) / w.sum()  # columns x p
    if variance == "joint":

        def influence() -> np.ndarray:
            # one influence value per respondent for both sources of variability
            z = model.influence() @ G.T
            z[rows] += w[:, None] * (fits - est) / w.sum()
            return z

        def refit(wr: np.ndarray) -> np.ndarray:
            f, _ = _evaluate(model, blocks, rows, model.refit(wr))
            return wr @ f / wr.sum()

        cov = design.model_covariance(est, model.used, influence=influence, refit=refit)
        return est, np.asarray(cov, dtype=float)
    names = [f"_margin{j}" for j in range(fits.shape[1])]
    n = len(model.frame)
    cols = {}
    for j, nm in enumerate(names):
        col = np.zeros(n)
        col[rows] = fits[:, j]
        cols[nm] = col
    dom = design.with_columns(**cols).subset(model.used, name="rows of the model")
    cond = vcov(dom.mean(names, covmat=True)).to_numpy(dtype=float)
    return est, cond + G @ model.cov @ G.T


def _margins_frame(
    model: _Model,
    labels: list[str],
    columns: dict[str, list[Any]],
    est: np.ndarray,
    cov: np.ndarray,
    level: float,
    **info: Any,
) -> pd.DataFrame:
    """The result rows; for ``olr`` each label repeats per answer category, which the rows
    and their labels name."""
    if info["family"] == "olr":
        cats = model.categories
        columns["category"] = cats * (len(labels) // len(cats))
        labels = [f"{a}:{c}" for a, c in zip(labels, columns["category"], strict=True)]
    index = pd.Index(labels, name="margin")
    return wald_frame(est, cov, df=model.degf, index=index, level=level, columns=columns, **info)


def _counterfactual(
    model: _Model, variable: str, values: list[Any], rows: np.ndarray
) -> list[np.ndarray]:
    """The model matrices of rows ``rows`` with ``variable`` set to each value."""
    base = model.frame.iloc[rows]
    out = []
    for v in values:
        frame = base.copy()
        column = base[variable]
        if isinstance(column.dtype, pd.CategoricalDtype):
            frame[variable] = pd.Categorical([v] * len(base), categories=column.cat.categories)
        else:
            frame[variable] = v
        try:
            out.append(model.matrix(frame))
        except Exception as exc:  # formulaic raises many kinds
            raise AnalysisError(
                f"cannot predict with {variable} = {v!r}: {exc}",
                item=variable,
                hint="give values the model saw (at=)",
            ) from exc
    return out


def predictive_margins(
    design: Design,
    formula: str,
    variable: str,
    *,
    family: str = "gaussian",
    offset: str | None = None,
    at: Sequence[Any] | None = None,
    per_exposure: bool = True,
    variance: str = "svypredmeans",
    level: float = 0.95,
) -> pd.DataFrame:
    """Predictive margins of ``variable`` after the model ``formula`` (R's ``svypredmeans``).

    Parameters
    ----------
    design : Design
        A linearisation or replicate design.
    formula : str
        The model, formulaic syntax, containing ``variable`` (e.g. ``"q7_trust_yes ~
        C(gender) + age + pilot"``); the response of ``family="olr"`` is an ordinal item.
    variable : str
        The column whose values are set in turn.
    family : str
        ``gaussian``, ``binomial``/``quasibinomial``, ``poisson``/``quasipoisson`` (R's
        names) or ``olr`` (proportional odds).
    offset : str, optional
        Offset of a Poisson model (a column or an expression such as ``log(pop)``; or an
        ``offset(...)`` term of the formula).
    at : sequence, optional
        Values to set (default: the values among the rows used, sorted).
    per_exposure : bool
        With an offset: ``True`` (R's ``svypredmeans``, whose predictions leave the offset
        out) gives rates per unit of exposure (per person when the offset is ``log`` of the
        population); ``False`` gives mean predicted counts at each row's own exposure
        (Stata's ``margins``).
    variance : str
        ``"svypredmeans"`` (R's: the two parts added, see the module docstring) or
        ``"joint"``: one influence value per respondent for both parts, so their covariance
        counts too (Graubard & Korn 1999; Stata's ``vce(unconditional)``); on a replicate
        design the model is refitted and the margin recomputed with every replicate's
        weights.
    level : float
        Confidence level.

    Returns
    -------
    DataFrame
        One row per value (per value and answer category for ``olr``): ``term`` (the
        variable), ``level``, [``category``], ``estimate`` (the margin), ``se``,
        ``ci_low``, ``ci_high``, ``df``, ``t``, ``p``; index labels ``level`` (or
        ``level:category``) for :func:`~trustsurvey.design.contrast.contrast`. The
        covariance: :func:`trustsurvey.design.vcov`; :func:`trustsurvey.design.result_info`
        gives ``formula``, ``family``, ``statistic``, ``variance`` and ``level``.

    Notes
    -----
    See the module docstring. R: ``svypredmeans(svyglm(y ~ x, design), ~group)`` (R adds the
    group to the model; here the formula names it).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from trustsurvey.design import SurveyDesign
    >>> df = pd.DataFrame({"psu": np.arange(12) // 2, "g": list("ab") * 6,
    ...                    "y": [1.0, 2, 2, 3, 3, 5, 1, 2, 2, 4, 3, 3], "w": 1.0})
    >>> d = SurveyDesign(df, ids="psu", weights="w")
    >>> predictive_margins(d, "y ~ g", "g")["estimate"].round(4).tolist()
    [2.0, 3.1667]
    """
    model = _model(design, formula, family, offset, per_exposure)
    column = _check_variable(model, variable)
    values = _values(column, model.used, at)
    rows = np.flatnonzero(model.used)
    mats = _counterfactual(model, variable, values, rows)
    est, cov = _combine(design, model, [[(1.0, x)] for x in mats], rows, variance)
    cats = model.categories
    levels = [_text(v) for v in values for _ in cats]
    columns: dict[str, list[Any]] = {"term": [variable] * len(levels), "level": levels}
    return _margins_frame(
        model,
        levels,
        columns,
        est,
        cov,
        level,
        formula=formula,
        family=family,
        statistic="predictive margin",
        variance=variance,
    )


def _is_categorical(column: pd.Series, formula: str, variable: str) -> bool:
    """Text, categorical or boolean, or written ``C(variable)`` (``C(variable, ...)``)."""
    coded = re.search(rf"\bC\(\s*{re.escape(variable)}\s*[,)]", formula) is not None
    return not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column) or coded


def marginal_effects(
    design: Design,
    formula: str,
    variables: str | Sequence[str],
    *,
    family: str = "gaussian",
    offset: str | None = None,
    per_exposure: bool = True,
    variance: str = "svypredmeans",
    level: float = 0.95,
    step: float = 1e-5,
) -> pd.DataFrame:
    """Average marginal effects of ``variables`` after the model ``formula`` (Stata's
    ``margins, dydx()``), with the variance of :func:`predictive_margins`.

    A categorical variable (text, categorical, boolean, or written ``C(x)`` in the formula)
    gets one row per level but the first: the difference of its predictive margin from the
    first level's. A numeric one gets the mean derivative ``sum_i w_i d mu_i / d x /
    sum_i w_i``, by central differences of the model matrix (``step`` times the standard
    deviation of ``x``; exact for terms linear or quadratic in ``x``). For ``family="olr"``
    there is one effect per answer category (on its probability). ``per_exposure`` and
    ``variance`` as in :func:`predictive_margins`.

    Returns
    -------
    DataFrame
        ``term``, ``level`` (the level compared with the first; ``""`` for a numeric
        variable), [``category``], ``estimate`` (the AME), ``se``, ``ci_low``, ``ci_high``,
        ``df``, ``t``, ``p``; covariance of all rows: :func:`trustsurvey.design.vcov`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from trustsurvey.design import SurveyDesign
    >>> df = pd.DataFrame({"psu": np.arange(12) // 2, "x": np.arange(12.0),
    ...                    "y": 1.0 + 0.5 * np.arange(12.0) + np.tile([0.1, -0.1], 6),
    ...                    "w": 1.0})
    >>> d = SurveyDesign(df, ids="psu", weights="w")
    >>> marginal_effects(d, "y ~ x", "x")["estimate"].round(4).tolist()
    [0.4958]
    """
    model = _model(design, formula, family, offset, per_exposure)
    names = [variables] if isinstance(variables, str) else list(variables)
    rows = np.flatnonzero(model.used)
    cats = model.categories
    blocks: list[Block] = []
    terms: list[str] = []
    levels: list[str] = []
    for var in names:
        column = _check_variable(model, var)
        if _is_categorical(column, formula, var):
            values = _values(column, model.used, None)
            if len(values) < 2:
                raise AnalysisError(
                    f"{var!r} takes one value among the rows used",
                    item=var,
                    hint="an effect needs two levels",
                )
            mats = _counterfactual(model, var, values, rows)
            for j in range(1, len(values)):
                blocks.append([(1.0, mats[j]), (-1.0, mats[0])])
                terms += [var] * len(cats)
                levels += [_text(values[j])] * len(cats)
        else:
            x0 = pd.to_numeric(column.iloc[rows], errors="coerce").to_numpy(dtype=float)
            h = step * (float(np.std(x0)) or 1.0)
            up, down = model.frame.iloc[rows].copy(), model.frame.iloc[rows].copy()
            up[var] = x0 + h
            down[var] = x0 - h
            blocks.append([(0.5 / h, model.matrix(up)), (-0.5 / h, model.matrix(down))])
            terms += [var] * len(cats)
            levels += [""] * len(cats)
    est, cov = _combine(design, model, blocks, rows, variance)
    columns: dict[str, list[Any]] = {"term": terms, "level": levels}
    labels = [f"{t}:{lv}" if lv else t for t, lv in zip(terms, levels, strict=True)]
    return _margins_frame(
        model,
        labels,
        columns,
        est,
        cov,
        level,
        formula=formula,
        family=family,
        statistic="average marginal effect",
        variance=variance,
    )
