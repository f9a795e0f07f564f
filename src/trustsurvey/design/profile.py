"""Profile-likelihood interval of a proportion, as R's ``svyciprop(method="likelihood")``.

R fits ``svyglm(y ~ 1, family=quasibinomial)`` and calls ``confint(fit, method="likelihood")``
(survey's ``confint.svyglm``; Lumley 2010, 2.6): the naive profile of the weighted binomial
deviance (weights rescaled to mean 1) is used at a rescaled level so that it has the design's
variance. With ``b`` the logit of the proportion, ``se`` its design SE and ``V0`` the naive
variance ``1 / sum(W p (1 - p))``:

* ``lambda = se^2 / V0``, ``alpha = Phi(t_{(1-level)/2, df} sqrt(lambda)) / 2``;
* profile ``z(b_k) = sign * sqrt((D(b_k) - D(b)) / phi)`` on the grid
  ``b_k = b ± k (zmax/5) se``, ``k = 1..9`` while ``|z| < zmax = sqrt(F^{-1}_{1, n-1}(1 - alpha))``
  (computed as the t quantile ``t^{-1}_{n-1}(1 - alpha/2)``, finite for the tiny ``alpha`` of
  a large design effect), ``phi`` the design-weighted variance (R's ``svyvar``) of the
  Pearson residuals ``(y - p) / sqrt(p (1 - p))``, whose weights R's ``residuals.svyglm``
  divides back out;
* an FMM cubic spline through ``(b_k, z_k)`` at ``3K`` equally spaced points, inverted by
  linear interpolation at ``z = ± Phi^{-1}(2 alpha)`` (R's ``spline`` and ``approx``).

The steps copy R's ``MASSprofile_glm`` and ``confint_profile`` so that the limits agree to
rounding.

>>> import numpy as np
>>> y = np.array([1.0, 0, 1, 1, 0, 1, 1, 1]); w = np.ones(8)
>>> lo, hi = likelihood_interval(y, w, p=0.75, se=0.16, df=7, level=0.95)
>>> bool(0 < lo < 0.75 < hi < 1)
True
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats


def fmm_spline(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coefficients ``b, c, d`` of R's ``fmm`` cubic spline (Forsythe, Malcolm & Moler 1977)."""
    n = len(x)
    b = np.zeros(n)
    c = np.zeros(n)
    d = np.zeros(n)
    if n < 3:
        b[:] = (y[1] - y[0]) / (x[1] - x[0])
        return b, c, d
    d[0] = x[1] - x[0]
    c[1] = (y[1] - y[0]) / d[0]
    for i in range(1, n - 1):
        d[i] = x[i + 1] - x[i]
        b[i] = 2.0 * (d[i - 1] + d[i])
        c[i + 1] = (y[i + 1] - y[i]) / d[i]
        c[i] = c[i + 1] - c[i]
    b[0] = -d[0]
    b[n - 1] = -d[n - 2]
    c[0] = c[n - 1] = 0.0
    if n > 3:
        c[0] = c[2] / (x[3] - x[1]) - c[1] / (x[2] - x[0])
        c[n - 1] = c[n - 2] / (x[n - 1] - x[n - 3]) - c[n - 3] / (x[n - 2] - x[n - 4])
        c[0] = c[0] * d[0] * d[0] / (x[3] - x[0])
        c[n - 1] = -c[n - 1] * d[n - 2] * d[n - 2] / (x[n - 1] - x[n - 4])
    for i in range(1, n):
        t = d[i - 1] / b[i - 1]
        b[i] = b[i] - t * d[i - 1]
        c[i] = c[i] - t * c[i - 1]
    c[n - 1] = c[n - 1] / b[n - 1]
    for i in range(n - 2, -1, -1):
        c[i] = (c[i] - d[i] * c[i + 1]) / b[i]
    b[n - 1] = (y[n - 1] - y[n - 2]) / d[n - 2] + d[n - 2] * (c[n - 2] + 2.0 * c[n - 1])
    for i in range(n - 1):
        b[i] = (y[i + 1] - y[i]) / d[i] - d[i] * (c[i + 1] + 2.0 * c[i])
        d[i] = (c[i + 1] - c[i]) / d[i]
        c[i] = 3.0 * c[i]
    c[n - 1] = 3.0 * c[n - 1]
    d[n - 1] = d[n - 2]
    return b, c, d


def spline_eval(x: np.ndarray, y: np.ndarray, coefs, u: np.ndarray) -> np.ndarray:
    """Evaluate the spline at ``u`` (R's ``spline_eval``)."""
    b, c, d = coefs
    i = np.clip(np.searchsorted(x, u, side="right") - 1, 0, len(x) - 1)
    dx = u - x[i]
    return y[i] + dx * (b[i] + dx * (c[i] + dx * d[i]))


def r_spline(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R's ``spline(x, y)``: fmm spline at ``3 n`` equally spaced points over ``range(x)``."""
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    n_out = 3 * len(x)
    xout = x[0] + np.arange(n_out) * ((x[-1] - x[0]) / (n_out - 1))
    xout[-1] = x[-1]
    return xout, spline_eval(x, y, fmm_spline(x, y), xout)


def r_approx(x: np.ndarray, y: np.ndarray, xout: np.ndarray) -> np.ndarray:
    """R's ``approx(x, y, xout)`` (linear, ties averaged, NA outside the range)."""
    ux, inv = np.unique(x, return_inverse=True)
    uy = np.bincount(inv, weights=y) / np.bincount(inv)
    out = np.interp(xout, ux, uy)
    return np.where((xout < ux[0]) | (xout > ux[-1]), np.nan, out)


def _deviance(y: np.ndarray, W: np.ndarray, mu: float) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(y > 0, y * np.log(y / mu), 0.0)
        b = np.where(y < 1, (1 - y) * np.log((1 - y) / (1 - mu)), 0.0)
    return float(np.sum(2 * W * (a + b)))


def likelihood_interval(
    y: np.ndarray, w: np.ndarray, p: float, se: float, df: float, level: float = 0.95
) -> tuple[float, float]:
    """Profile-likelihood limits for the proportion ``p`` of the 0/1 values ``y`` (the domain's
    valid rows, design weights ``w``) with design SE ``se`` (see module docstring)."""
    n = len(y)
    if n < 2 or not 0 < p < 1 or not np.isfinite(se) or se <= 0:
        return np.nan, np.nan
    from trustsurvey.design.models import _irls_logit

    W = w / w.mean()
    # R's intercept comes from glm.fit's IRLS (stopped at a relative deviance change of 1e-8)
    beta, _, work = _irls_logit(np.ones((n, 1)), y, W)
    b0 = float(beta[0])
    se_b = se / (p * (1 - p))
    naive = 1.0 / float(np.sum(work))
    p = float(special.expit(b0))
    lam = se_b**2 / naive
    tq = stats.t.ppf((1 - level) / 2, df) if np.isfinite(df) else stats.norm.ppf((1 - level) / 2)
    alpha = stats.norm.cdf(tq * np.sqrt(lam)) / 2
    # the F(1, n-1) upper quantile is the square of the t(n-1) one at alpha/2; the t form
    # stays finite where f.isf underflows (tiny alpha: large design effects)
    zmax = abs(float(stats.t.isf(alpha / 2, n - 1)))
    step_size = zmax / 5
    dev0 = _deviance(y, W, p)
    # R's Pearson residuals of svyglm divide the prior weights back out (residuals.svyglm:
    # sqrt(prior weights / design weights) = 1); the dispersion is their svyvar
    r = (y - p) / np.sqrt(p * (1 - p))
    rbar = np.sum(w * r) / np.sum(w)
    disp = np.sum(w * (r - rbar) ** 2) / np.sum(w) * n / (n - 1)
    zs, bs = [0.0], [b0]
    for sgn in (-1.0, 1.0):
        z = 0.0
        step = 0
        while (step := step + 1) < 10 and abs(z) < zmax:
            bi = b0 + sgn * step * step_size * se_b
            zz = (_deviance(y, W, float(special.expit(bi))) - dev0) / disp
            z = sgn * np.sqrt(max(zz, 0.0))
            zs.append(z)
            bs.append(bi)
    zs_a, bs_a = np.array(zs), np.array(bs)
    order = np.argsort(zs_a, kind="stable")
    sx, sy = r_spline(bs_a[order], zs_a[order])
    cutoff = np.array([stats.norm.ppf(2 * alpha), stats.norm.isf(2 * alpha)])
    lo, hi = r_approx(sy, sx, cutoff)
    return float(special.expit(lo)), float(special.expit(hi))
