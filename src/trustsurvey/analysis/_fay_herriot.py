"""Area-level Fay-Herriot model: variance of the area effect, EBLUP and its MSE.

The model (Fay & Herriot 1979; Rao & Molina 2015, ch. 6) for ``m`` areas is

    y_i = x_i' beta + u_i + e_i,   u_i ~ N(0, A),   e_i ~ N(0, D_i)  (D_i known),

where ``y_i`` is the direct estimate of area ``i`` and ``D_i`` its design-based variance.
With ``V_i = A + D_i`` and ``gamma_i = A / V_i`` the EBLUP is
``gamma_i y_i + (1 - gamma_i) x_i' beta_hat`` (Rao & Molina 2015, §6.1).

- ``A`` by REML or ML, Fisher scoring (Rao & Molina 2015, §6.1), as R's ``sae::eblupFH``
  (which stops at a relative change of 1e-4; here 1e-10 by default).
- MSE (Rao & Molina 2015, §6.2): ``g1 + g2 + 2 g3`` for REML (Prasad & Rao 1990; Datta &
  Lahiri 2000), and for ML the Datta & Lahiri (2000) bias correction
  ``g1 + g2 + 2 g3 - b_ML(A) (D_i / V_i)^2`` with
  ``b_ML(A) = -tr[(X'V^-1 X)^-1 X'V^-2 X] / sum_i V_i^-2``; ``g3`` uses the asymptotic
  variance ``2 / sum_i V_i^-2`` of ``A_hat``. As R's ``sae::mseFH``.
- An area without a usable direct estimate gets the synthetic ``x_i' beta_hat`` with MSE
  ``A + x_i'(X'V^-1 X)^-1 x_i`` (Rao & Molina 2015, §6.2, non-sampled areas).

>>> import numpy as np
>>> y = np.array([1.0, 1.4, 0.8, 1.2, 1.9, 0.7])
>>> d = np.array([0.04, 0.09, 0.05, 0.02, 0.10, 0.06])
>>> x = np.column_stack([np.ones(6), [0.0, 1.0, 0.0, 0.0, 1.0, 0.0]])
>>> fit = fit_fay_herriot(y, d, x)
>>> out = fay_herriot_predict(fit, y, d, x)
>>> bool(np.all((out["gamma"] > 0) & (out["gamma"] < 1)))
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trustsurvey.errors import AnalysisError

#: fitting methods of the area effect's variance
METHODS = ("REML", "ML")


@dataclass(frozen=True)
class FayHerriotFit:
    """A fitted Fay-Herriot model.

    ``A`` is the variance of the area effect, ``beta`` the regression coefficients with
    covariance ``beta_cov = (X'V^-1 X)^-1``, ``A_var`` the asymptotic variance of ``A_hat``
    (``2 / sum V_i^-2``), ``iterations`` the Fisher-scoring steps taken.
    """

    method: str
    A: float
    beta: np.ndarray
    beta_cov: np.ndarray
    A_var: float
    iterations: int
    converged: bool
    D: np.ndarray
    X: np.ndarray


def _check(y: np.ndarray, D: np.ndarray, X: np.ndarray) -> None:
    m, p = X.shape
    if y.shape != (m,) or D.shape != (m,):
        raise AnalysisError(
            "Fay-Herriot: direct estimates, variances and covariates differ in length"
        )
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(D)) and np.all(np.isfinite(X))):
        raise AnalysisError(
            "Fay-Herriot: direct estimates, variances and covariates must be finite"
        )
    if np.any(D <= 0):
        raise AnalysisError("Fay-Herriot: every direct variance must be positive")
    if m <= p:
        raise AnalysisError(
            f"Fay-Herriot: {m} area(s) with a direct estimate for {p} regression coefficient(s); "
            "give fewer covariates or more areas"
        )
    if np.linalg.matrix_rank(X) < p:
        raise AnalysisError(
            "Fay-Herriot: the area covariates are collinear (or constant); drop one of them"
        )


def _gls(y: np.ndarray, D: np.ndarray, X: np.ndarray, A: float) -> tuple[np.ndarray, np.ndarray]:
    vi = 1.0 / (A + D)
    cov = np.linalg.inv((X * vi[:, None]).T @ X)
    return cov @ ((X * vi[:, None]).T @ y), cov


def _score(
    y: np.ndarray, D: np.ndarray, X: np.ndarray, A: float, method: str
) -> tuple[float, float]:
    """Score and Fisher information of the (restricted) log-likelihood at ``A``."""
    vi = 1.0 / (A + D)
    if method == "ML":
        beta, _ = _gls(y, D, X, A)
        r = y - X @ beta
        return float(-0.5 * vi.sum() + 0.5 * np.sum((vi * r) ** 2)), float(0.5 * np.sum(vi**2))
    XtVi = (X * vi[:, None]).T
    P = np.diag(vi) - XtVi.T @ np.linalg.solve(XtVi @ X, XtVi)
    Py = P @ y
    return float(-0.5 * np.trace(P) + 0.5 * Py @ Py), float(0.5 * np.sum(P * P.T))


def fit_fay_herriot(
    y: np.ndarray,
    D: np.ndarray,
    X: np.ndarray,
    *,
    method: str = "REML",
    tol: float = 1e-10,
    maxiter: int = 200,
) -> FayHerriotFit:
    """Fit the Fay-Herriot model by Fisher scoring (Rao & Molina 2015, §6.1).

    Starts at ``median(D)`` as ``sae::eblupFH``; an iterate below zero is set to zero and the
    search stops there if the score at zero points down (the estimate is truncated at 0,
    Rao & Molina 2015, §6.1).
    """
    y, D, X = np.asarray(y, float), np.asarray(D, float), np.asarray(X, float)
    method = method.upper()
    if method not in METHODS:
        raise AnalysisError(f"Fay-Herriot: method {method!r} is not one of {', '.join(METHODS)}")
    _check(y, D, X)
    A = float(np.median(D))
    converged = False
    iterations = 0
    while iterations < maxiter:
        iterations += 1
        s, info = _score(y, D, X, A, method)
        new = max(A + s / info, 0.0)
        step = abs(new - A)
        A = new
        if A == 0.0:
            s0, _ = _score(y, D, X, 0.0, method)
            if s0 <= 0:
                converged = True
                break
        elif step <= tol * max(A, 1e-300):
            converged = True
            break
    beta, cov = _gls(y, D, X, A)
    A_var = 2.0 / float(np.sum(1.0 / (A + D) ** 2))
    return FayHerriotFit(method, A, beta, cov, A_var, iterations, converged, D, X)


def fay_herriot_predict(
    fit: FayHerriotFit,
    y: np.ndarray,
    D: np.ndarray,
    X: np.ndarray,
) -> dict[str, np.ndarray]:
    """EBLUP, synthetic part, shrinkage ``gamma`` and MSE (``g1``, ``g2``, ``g3``) of the
    areas the model was fitted on (rows of ``y``, ``D``, ``X`` as in :func:`fit_fay_herriot`).
    """
    y, D, X = np.asarray(y, float), np.asarray(D, float), np.asarray(X, float)
    A = fit.A
    V = A + D
    gamma = A / V
    B = D / V
    synthetic = X @ fit.beta
    g1 = gamma * D
    g2 = B**2 * np.einsum("ij,jk,ik->i", X, fit.beta_cov, X)
    g3 = B**2 * fit.A_var / V
    mse = g1 + g2 + 2 * g3
    if fit.method == "ML":
        vi2 = 1.0 / V**2
        b_ml = -float(np.trace(fit.beta_cov @ ((X * vi2[:, None]).T @ X))) / float(vi2.sum())
        mse = mse - b_ml * B**2
    return {
        "estimate": gamma * y + (1 - gamma) * synthetic,
        "synthetic": synthetic,
        "gamma": gamma,
        "g1": g1,
        "g2": g2,
        "g3": g3,
        "mse": mse,
    }


def fay_herriot_synthetic(fit: FayHerriotFit, X: np.ndarray) -> dict[str, np.ndarray]:
    """Synthetic estimate ``x' beta_hat`` of areas without a usable direct estimate, with MSE
    ``A + x'(X'V^-1 X)^-1 x`` (Rao & Molina 2015, §6.2)."""
    X = np.asarray(X, float)
    synthetic = X @ fit.beta
    mse = fit.A + np.einsum("ij,jk,ik->i", X, fit.beta_cov, X)
    zero = np.zeros(len(X))
    return {
        "estimate": synthetic,
        "synthetic": synthetic,
        "gamma": zero,
        "g1": np.full(len(X), fit.A),
        "g2": mse - fit.A,
        "g3": zero,
        "mse": mse,
    }
