"""Two-period DiD estimators for repeated cross-sections, with influence functions.

The three estimators R's ``did`` uses for ``panel=FALSE`` (Sant'Anna & Zhao 2020, *Journal
of Econometrics* 219; R package ``DRDID``):

* ``"dr"`` — the locally efficient doubly robust estimator (``DRDID::drdid_rc``, eq. 3.4):
  a logit propensity score and outcome regressions in the four (group, period) cells;
* ``"reg"`` — outcome regression (``DRDID::reg_did_rc``, Heckman, Ichimura & Todd 1997);
* ``"ipw"`` — standardised inverse probability weighting (``DRDID::std_ipw_did_rc``, Abadie
  2005 with normalised weights).

Each returns the estimate and its influence function ``psi`` (one value per row, with the
weights normalised to mean 1 as ``DRDID`` does), so that ``estimate - theta ~ mean(psi)``.
``psi / n`` are the weighted influence values the design's variance routine sums per PSU.
Without covariates (an intercept only) all three equal the DiD of the four weighted cell
means.

>>> import numpy as np
>>> y = np.array([1.0, 2, 3, 4, 2, 3, 5, 7]); post = np.array([0, 0, 1, 1] * 2, float)
>>> d = np.array([0, 0, 0, 0, 1, 1, 1, 1], float); x = np.ones((8, 1)); w = np.ones(8)
>>> round(att_rc(y, post, d, x, w, "dr")[0], 6)  # (6 - 2.5) - (3.5 - 1.5)
1.5
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy import special

Method = Literal["dr", "reg", "ipw"]
METHODS: tuple[str, ...] = ("dr", "reg", "ipw")
TRIM = 0.995  # controls with a propensity score at least this are left out (DRDID)


class FitError(ValueError):
    """A nuisance model cannot be fitted (empty cell, collinear covariates)."""


def _wols(
    y: np.ndarray, x: np.ndarray, w: np.ndarray, subset: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted OLS on ``subset``: fitted values for every row and the asymptotic linear
    representation ``w e x (X'WX/n)^-1`` (zero outside the subset), as ``DRDID::wols_rc``."""
    n = len(y)
    ws = w * subset
    xtx = (x * ws[:, None]).T @ x
    if not subset.any() or np.linalg.matrix_rank(xtx) < x.shape[1]:
        raise FitError("outcome regression has an empty cell or collinear covariates")
    beta = np.linalg.solve(xtx, (x * ws[:, None]).T @ y)
    fitted = x @ beta
    alr = (ws * (y - fitted))[:, None] * x @ np.linalg.inv(xtx / n)
    return fitted, alr


def _logit(d: np.ndarray, x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted logit of ``d`` on ``x`` (IRLS as R's ``glm.fit``): fitted probabilities and
    ``score (X'WX/n)^-1`` with ``W = w p (1 - p)`` (R: ``score.ps %*% (vcov(fit) * n)``)."""
    n = len(d)
    mu = (w * d + 0.5) / (w + 1)
    eta = special.logit(mu)
    beta = np.zeros(x.shape[1])
    dev_old = np.inf
    for _ in range(50):
        mu = special.expit(eta)
        var = mu * (1 - mu)
        z = eta + (d - mu) / var
        wt = w * var
        xtx = (x * wt[:, None]).T @ x
        if np.linalg.matrix_rank(xtx) < x.shape[1]:
            raise FitError("propensity score model has collinear covariates")
        beta = np.linalg.solve(xtx, (x * wt[:, None]).T @ z)
        eta = x @ beta
        mu = special.expit(eta)
        with np.errstate(divide="ignore", invalid="ignore"):
            dev = -2 * float(np.sum(w * (d * np.log(mu) + (1 - d) * np.log1p(-mu)), where=w > 0))
        if abs(dev - dev_old) / (abs(dev) + 0.1) < 1e-10:
            break
        dev_old = dev
    ps = special.expit(x @ beta)
    info = (x * (w * ps * (1 - ps))[:, None]).T @ x / n
    alr = (w * (d - ps))[:, None] * x @ np.linalg.inv(info)
    return np.clip(ps, 1e-6, 1 - 1e-6), alr


def att_rc(
    y: np.ndarray,
    post: np.ndarray,
    d: np.ndarray,
    x: np.ndarray,
    weights: np.ndarray,
    method: str = "dr",
) -> tuple[float, np.ndarray]:
    """The ATT of a two-period repeated cross-section and its influence function.

    Parameters
    ----------
    y, post, d
        Outcome, 1 for the later period, 1 for the treated group (one value per row).
    x
        Covariate matrix with an intercept column (``n x k``).
    weights
        Sampling weights (normalised to mean 1 here).
    method
        ``"dr"``, ``"reg"`` or ``"ipw"`` (see the module docstring).
    """
    w = weights / weights.mean()
    if method == "reg":
        return _reg(y, post, d, x, w)
    if method == "ipw":
        return _ipw(y, post, d, x, w)
    return _dr(y, post, d, x, w)


def _mean_pair(w_part: np.ndarray, values: np.ndarray) -> tuple[float, np.ndarray]:
    """``sum(w v) / sum(w)`` and its influence ``w (v - m) / mean(w)``."""
    mw = float(w_part.mean())
    if mw <= 0:
        raise FitError("a (group, period) cell has no respondents")
    m = float(np.mean(w_part * values)) / mw
    return m, w_part * (values - m) / mw


def _reg(
    y: np.ndarray, post: np.ndarray, d: np.ndarray, x: np.ndarray, w: np.ndarray
) -> tuple[float, np.ndarray]:
    """Outcome regression DiD (``DRDID::reg_did_rc``)."""
    fit_pre, alr_pre = _wols(y, x, w, (d == 0) & (post == 0))
    fit_post, alr_post = _wols(y, x, w, (d == 0) & (post == 1))
    w_tpre, w_tpost, w_c = w * d * (1 - post), w * d * post, w * d
    m_tpre, inf_tpre = _mean_pair(w_tpre, y)
    m_tpost, inf_tpost = _mean_pair(w_tpost, y)
    m_c, inf_c1 = _mean_pair(w_c, fit_post - fit_pre)
    m1 = (w_c[:, None] * x).mean(axis=0) / w_c.mean()
    inf_c = inf_c1 + (alr_post - alr_pre) @ m1
    return (m_tpost - m_tpre) - m_c, (inf_tpost - inf_tpre) - inf_c


def _trimmed(d: np.ndarray, ps: np.ndarray) -> np.ndarray:
    """1, or 0 for a control whose propensity score is at least ``TRIM`` (``DRDID``)."""
    return np.where((d == 0) & (ps >= TRIM), 0.0, 1.0)


def _ipw(
    y: np.ndarray, post: np.ndarray, d: np.ndarray, x: np.ndarray, w: np.ndarray
) -> tuple[float, np.ndarray]:
    """Standardised IPW DiD (``DRDID::std_ipw_did_rc``)."""
    ps, alr_ps = _logit(d, x, w)
    odds = ps / (1 - ps)
    w = w * _trimmed(d, ps)
    w_tpre, w_tpost = w * d * (1 - post), w * d * post
    w_cpre, w_cpost = w * odds * (1 - d) * (1 - post), w * odds * (1 - d) * post
    m_tpre, inf_tpre = _mean_pair(w_tpre, y)
    m_tpost, inf_tpost = _mean_pair(w_tpost, y)
    m_cpre, inf_cpre = _mean_pair(w_cpre, y)
    m_cpost, inf_cpost = _mean_pair(w_cpost, y)
    m2_pre = (w_cpre * (y - m_cpre))[:, None] * x
    m2_post = (w_cpost * (y - m_cpost))[:, None] * x
    m2 = m2_post.mean(axis=0) / w_cpost.mean() - m2_pre.mean(axis=0) / w_cpre.mean()
    inf_c = inf_cpost - inf_cpre + alr_ps @ m2
    att = (m_tpost - m_tpre) - (m_cpost - m_cpre)
    return att, (inf_tpost - inf_tpre) - inf_c


def _dr(
    y: np.ndarray, post: np.ndarray, d: np.ndarray, x: np.ndarray, w: np.ndarray
) -> tuple[float, np.ndarray]:
    """Locally efficient doubly robust DiD (``DRDID::drdid_rc``)."""
    ps, alr_ps = _logit(d, x, w)
    odds = ps / (1 - ps)
    trim = _trimmed(d, ps)
    fc_pre, alr_c_pre = _wols(y, x, w, (d == 0) & (post == 0))
    fc_post, alr_c_post = _wols(y, x, w, (d == 0) & (post == 1))
    ft_pre, alr_t_pre = _wols(y, x, w, (d == 1) & (post == 0))
    ft_post, alr_t_post = _wols(y, x, w, (d == 1) & (post == 1))
    fc = post * fc_post + (1 - post) * fc_pre
    resid = y - fc

    wt = w * trim
    w_tpre, w_tpost = wt * d * (1 - post), wt * d * post
    w_cpre, w_cpost = wt * odds * (1 - d) * (1 - post), wt * odds * (1 - d) * post
    w_d, w_dt1, w_dt0 = wt * d, wt * d * post, wt * d * (1 - post)

    a_tpre, i_tpre = _mean_pair(w_tpre, resid)
    a_tpost, i_tpost = _mean_pair(w_tpost, resid)
    a_cpre, i_cpre = _mean_pair(w_cpre, resid)
    a_cpost, i_cpost = _mean_pair(w_cpost, resid)
    a_dpost, i_dpost = _mean_pair(w_d, ft_post - fc_post)
    a_dt1, i_dt1 = _mean_pair(w_dt1, ft_post - fc_post)
    a_dpre, i_dpre = _mean_pair(w_d, ft_pre - fc_pre)
    a_dt0, i_dt0 = _mean_pair(w_dt0, ft_pre - fc_pre)
    att = (a_tpost - a_tpre) - (a_cpost - a_cpre) + (a_dpost - a_dt1) - (a_dpre - a_dt0)

    def col_mean(v: np.ndarray) -> np.ndarray:
        return np.asarray((v[:, None] * x).mean(axis=0))

    # treated part: estimation effect of the control outcome regressions
    m1_post = -col_mean(w_tpost * post) / w_tpost.mean()
    m1_pre = -col_mean(w_tpre * (1 - post)) / w_tpre.mean()
    inf_treat = i_tpost - i_tpre + alr_c_post @ m1_post - alr_c_pre @ m1_pre
    # control part: propensity score and outcome regressions
    m2_pre = col_mean(w_cpre * (resid - a_cpre)) / w_cpre.mean()
    m2_post = col_mean(w_cpost * (resid - a_cpost)) / w_cpost.mean()
    m3_post = -col_mean(w_cpost * post) / w_cpost.mean()
    m3_pre = -col_mean(w_cpre * (1 - post)) / w_cpre.mean()
    inf_cont = (
        i_cpost - i_cpre + alr_ps @ (m2_post - m2_pre) + alr_c_post @ m3_post - alr_c_pre @ m3_pre
    )
    # the efficiency terms and their outcome-regression estimation effects
    inf_eff = (i_dpost - i_dt1) - (i_dpre - i_dt0)
    mom_post = col_mean(w_d / w_d.mean() - w_dt1 / w_dt1.mean())
    mom_pre = col_mean(w_d / w_d.mean() - w_dt0 / w_dt0.mean())
    inf_or = (alr_t_post - alr_c_post) @ mom_post - (alr_t_pre - alr_c_pre) @ mom_pre
    return att, inf_treat - inf_cont + inf_eff + inf_or
