"""Pre-trend sensitivity of an event study: HonestDiD-style bounds (Rambachan & Roth 2023).

The event-study coefficients are ``beta = tau + delta``: the effects ``tau`` (zero before
adoption) plus the difference in trends ``delta``. Parallel trends says ``delta = 0``; the
pre-adoption coefficients estimate ``delta_pre`` and say how wrong that may be. Rambachan &
Roth (2023, *Review of Economic Studies* 90) bound the post-adoption ``delta`` by what
happened before, for a target ``theta = l' tau_post`` (default the average effect over the
post-adoption event times):

* **relative magnitudes** ``Delta^RM(Mbar)``: every post-adoption change of ``delta``
  between consecutive event times is at most ``Mbar`` times the largest pre-adoption one;
* **smoothness** ``Delta^SD(M)``: the slope of ``delta`` changes by at most ``M`` between
  consecutive event times (``M = 0``: linear trends extrapolated).

Time runs as in R's ``HonestDiD``: ``numPrePeriods`` pre-adoption coefficients, the reference
period (normalised to 0) and ``numPostPeriods`` post-adoption ones; with
:func:`~trustsurvey.analysis.staggered.did_staggered` (``base_period="universal"``) the
reference is event time -1.

:func:`honest_bounds` gives, for each ``M``:

* ``id_low, id_high`` — the identified set of ``theta`` at the estimates (linear programs,
  as ``HonestDiD``'s ``.compute_IDset_DeltaRM`` / ``.compute_IDset_DeltaSD``); NaN when it
  is empty (the pre-adoption estimates themselves break the restriction, e.g. ``M = 0``
  with pre-adoption estimates not on a line; HonestDiD then reports ``l' beta_post``);
* ``ci_low, ci_high`` — for smoothness, the optimal fixed-length confidence interval (FLCI,
  Armstrong & Kolesár 2018; HonestDiD's default for ``Delta^SD``): the affine estimator
  ``v' beta_hat`` (``v_post = l``, ``v`` orthogonal to linear trends) minimising
  ``cv(b / s) s``, with ``b`` its worst-case bias over ``Delta^SD(M)`` (``M`` times the L1
  norm of ``v`` in the second-difference parametrisation), ``s = sqrt(v' Sigma v)`` and
  ``cv(t)`` the ``level`` quantile of ``|N(t, 1)|`` (computed exactly; HonestDiD simulates
  it). For relative magnitudes (``method="C-LF"``, the default) the interval is HonestDiD's
  conditional-least-favourable hybrid confidence set (Andrews, Roth & Pakes 2023 test
  inverted over a grid of ``theta``, union over the pre-adoption difference that is the
  largest and its sign; :mod:`trustsurvey.analysis.honest_rm`): its lowest and highest
  accepted grid points. ``method="projection"`` gives instead the conservative projection
  of the identified set over the joint Wald ellipsoid of ``beta`` (Scheffé-type, closed
  form) — valid, wider, and instant.

>>> import numpy as np
>>> beta = np.array([0.02, -0.01, 0.30, 0.35])  # event times -3, -2 | 0, 1 (reference -1)
>>> sigma = np.diag([0.01, 0.01, 0.012, 0.015]) ** 2 * 100
>>> res = honest_bounds(beta, sigma, num_pre=2, restriction="rm", m=[0, 1], method="projection")
>>> res[["m", "id_low", "id_high"]].round(4).values.tolist()
[[0.0, 0.325, 0.325], [1.0, 0.28, 0.37]]
>>> clf = honest_bounds(beta, sigma, num_pre=2, m=[1], grid_points=100)  # C-LF
>>> bool(clf["ci_low"].iloc[0] < 0.28 and clf["ci_high"].iloc[0] > 0.37)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from trustsurvey.analysis.honest_rm import rm_conditional_interval
from trustsurvey.errors import AnalysisError

__all__ = ["flci_sd", "honest_bounds", "honest_event_study", "identified_set"]


# --------------------------------------------------------------------------- restrictions
def _second_differences(num_pre: int, num_post: int) -> np.ndarray:
    """Rows: second differences of ``delta`` over the sequence with the 0 reference (the
    reference column dropped), as HonestDiD's ``.create_A_SD``."""
    total = num_pre + num_post
    a = np.zeros((total - 1, total + 1))
    for r in range(total - 1):
        a[r, r : r + 3] = (1.0, -2.0, 1.0)
    return np.delete(a, num_pre, axis=1)


def _first_differences(num_pre: int, num_post: int) -> np.ndarray:
    """Rows: first differences over the sequence with the 0 reference (column dropped)."""
    total = num_pre + num_post
    a = np.zeros((total, total + 1))
    for r in range(total):
        a[r, r : r + 2] = (-1.0, 1.0)
    return np.delete(a, num_pre, axis=1)


def _check(beta: np.ndarray, sigma: np.ndarray | None, num_pre: int, l_vec: Any) -> np.ndarray:
    num_post = len(beta) - num_pre
    if num_pre < 1 or num_post < 1:
        raise AnalysisError(
            f"{num_pre} pre- and {num_post} post-adoption coefficients: both must be >= 1",
            item="num_pre",
            hint="give the event-study estimates without the reference period",
        )
    if sigma is not None and sigma.shape != (len(beta), len(beta)):
        raise AnalysisError(
            f"covariance is {sigma.shape}, estimates {len(beta)}",
            item="sigma",
            hint="give the covariance of exactly these estimates",
        )
    lv = np.full(num_post, 1.0 / num_post) if l_vec is None else np.asarray(l_vec, float)
    if lv.shape != (num_post,):
        raise AnalysisError(
            f"l_vec has {lv.size} weights for {num_post} post-adoption periods",
            item="l_vec",
            hint="one weight per post-adoption event time",
        )
    return lv


def identified_set(
    beta: np.ndarray,
    num_pre: int,
    restriction: str,
    m: float,
    l_vec: Sequence[float] | np.ndarray | None = None,
) -> tuple[float, float]:
    """Bounds of ``theta = l' tau_post`` when ``delta_pre = beta_pre`` and ``delta`` obeys
    the restriction (``"rm"``: ``Delta^RM(m)``, ``"sd"``: ``Delta^SD(m)``)."""
    b = np.asarray(beta, dtype=float)
    lv = _check(b, None, num_pre, l_vec)
    num_post = len(b) - num_pre
    target = float(lv @ b[num_pre:])
    f = np.concatenate([np.zeros(num_pre), lv])
    a_eq = np.hstack([np.eye(num_pre), np.zeros((num_pre, num_post))])
    if restriction == "sd":
        a = _second_differences(num_pre, num_post)
        a_ub, b_ub = np.vstack([a, -a]), np.full(2 * len(a), float(m))
    elif restriction == "rm":
        fd = _first_differences(num_pre, num_post)
        largest = float(
            np.max(np.abs(fd[:num_pre] @ np.concatenate([b[:num_pre], np.zeros(num_post)])))
        )
        post = fd[num_pre:]
        a_ub, b_ub = np.vstack([post, -post]), np.full(2 * num_post, float(m) * largest)
    else:
        raise AnalysisError(
            f"unknown restriction {restriction!r}",
            item="restriction",
            hint="use 'rm' (relative magnitudes) or 'sd' (smoothness)",
        )
    free = [(None, None)] * len(b)
    hi = optimize.linprog(-f, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b[:num_pre], bounds=free)
    lo = optimize.linprog(f, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b[:num_pre], bounds=free)
    if hi.status == 2 or lo.status == 2:  # infeasible: the pre-trends break the restriction
        return float("nan"), float("nan")
    if not (hi.success and lo.success):
        raise AnalysisError(
            "the identified set could not be computed (linear program failed)",
            item="restriction",
            hint="check the estimates for missing values",
        )
    return target + float(hi.fun), target - float(lo.fun)


# --------------------------------------------------------------------------- FLCI (SD)
def folded_normal_quantile(p: float, mu: float) -> float:
    """The ``p`` quantile of ``|N(mu, 1)|``."""
    mu = abs(mu)

    def cdf(c: float) -> float:
        return float(stats.norm.cdf(c - mu) - stats.norm.cdf(-c - mu))

    hi = mu + 10.0
    return float(optimize.brentq(lambda c: cdf(c) - p, 0.0, hi, xtol=1e-14))


def _sd_parametrisation(num_pre: int, num_post: int) -> tuple[np.ndarray, np.ndarray]:
    """``delta = t s + P d``: event times ``t`` (reference 0) and the map ``P`` from the
    second differences ``d`` (with the slope after the reference fixed by ``s``)."""
    total = num_pre + num_post
    n = total + 1
    ref = num_pre
    rows = np.zeros((n, n))
    rows[0, ref] = 1.0  # delta_ref = 0
    rows[1, ref + 1 if ref + 1 < n else ref] = 1.0  # slope pinned by s (reference's right)
    rows[1, ref] -= 1.0
    for r in range(total - 1):
        rows[2 + r, r : r + 3] = (1.0, -2.0, 1.0)
    inv = np.linalg.inv(rows)
    keep = [j for j in range(n) if j != ref]
    t = np.array([j - ref for j in keep], dtype=float)
    return t, inv[keep][:, 2:]


def flci_sd(
    beta: np.ndarray,
    sigma: np.ndarray,
    num_pre: int,
    m: float,
    l_vec: Sequence[float] | np.ndarray | None = None,
    level: float = 0.95,
) -> dict[str, Any]:
    """Optimal fixed-length confidence interval of ``l' tau_post`` under ``Delta^SD(m)``.

    Returns ``ci_low, ci_high, half_length, estimate`` (``v' beta``), ``bias`` (worst case)
    and ``v`` (the optimal weights).
    """
    b = np.asarray(beta, dtype=float)
    s = np.asarray(sigma, dtype=float)
    lv = _check(b, s, num_pre, l_vec)
    num_post = len(b) - num_pre
    t, pmat = _sd_parametrisation(num_pre, num_post)
    t_pre, t_post = t[:num_pre], t[num_pre:]
    # v_pre = base + null @ z keeps v orthogonal to linear trends: v' t = 0
    normal = t_pre
    base = -normal * float(lv @ t_post) / float(normal @ normal)
    null = np.linalg.svd(normal[None, :])[2][1:].T  # num_pre x (num_pre - 1)

    def vec(z: np.ndarray) -> np.ndarray:
        return np.concatenate([base + null @ z, lv])

    def half(z: np.ndarray) -> float:
        v = vec(z)
        sd = float(np.sqrt(v @ s @ v))
        bias = float(m) * float(np.abs(pmat.T @ v).sum())
        return folded_normal_quantile(level, bias / sd) * sd

    z0 = np.zeros(null.shape[1])
    if null.shape[1]:
        best = optimize.minimize(
            half,
            z0,
            method="Nelder-Mead",
            options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000},
        )
        z0 = best.x
        best = optimize.minimize(half, z0, method="Powell", options={"xtol": 1e-10, "ftol": 1e-13})
        z0 = best.x
    v = vec(z0)
    h = half(z0)
    est = float(v @ b)
    return {
        "estimate": est,
        "half_length": h,
        "ci_low": est - h,
        "ci_high": est + h,
        "bias": float(m) * float(np.abs(pmat.T @ v).sum()),
        "v": v,
    }


# --------------------------------------------------------------------------- RM projection
def _rm_projection(
    beta: np.ndarray, sigma: np.ndarray, num_pre: int, m: float, lv: np.ndarray, level: float
) -> tuple[float, float]:
    """Projection of the ``Delta^RM`` identified set over the Wald ellipsoid of ``beta``.

    The bounds are ``l' beta_post -/+ m C max_s |a_s' beta|`` (``a_s`` the pre-adoption
    first differences, ``C = sum_u |sum_{t >= u} l_t|``); over the ellipsoid
    ``(beta - b)' Sigma^-1 (beta - b) <= chi2_k(level)`` each linear function ``g' beta``
    ranges over ``g' b +/- sqrt(chi2 g' Sigma g)``.
    """
    num_post = len(beta) - num_pre
    crit = float(np.sqrt(stats.chi2.ppf(level, len(beta))))
    fd = _first_differences(num_pre, num_post)[:num_pre]
    tail = np.cumsum(lv[::-1])[::-1]
    c = float(np.abs(tail).sum())
    lpost = np.concatenate([np.zeros(num_pre), lv])
    lows: list[float] = []
    highs: list[float] = []
    for a in fd:
        for sign in (1.0, -1.0):
            for side in (1.0, -1.0):
                g = lpost + side * float(m) * c * sign * a
                spread = crit * float(np.sqrt(g @ sigma @ g))
                val = float(g @ beta)
                (highs if side > 0 else lows).append(val + spread if side > 0 else val - spread)
    return min(lows), max(highs)


# --------------------------------------------------------------------------- public
def honest_bounds(
    beta: Sequence[float] | np.ndarray,
    sigma: np.ndarray,
    *,
    num_pre: int,
    restriction: str = "rm",
    m: Sequence[float] = (0.0, 0.5, 1.0, 1.5, 2.0),
    l_vec: Sequence[float] | np.ndarray | None = None,
    level: float = 0.95,
    method: str = "C-LF",
    grid_points: int = 1000,
) -> pd.DataFrame:
    """Identified sets and robust intervals of ``theta = l' tau_post`` for each ``M``.

    Parameters
    ----------
    beta, sigma
        Event-study estimates (pre-adoption first, the reference period left out) and their
        covariance.
    num_pre
        How many of ``beta`` are pre-adoption.
    restriction : {"rm", "sd"}
        Relative magnitudes (``M`` = ``Mbar``) or smoothness.
    m
        The values of ``Mbar`` or ``M``.
    l_vec
        Weights of the post-adoption effects (default: their average).
    level
        Confidence level.
    method : {"C-LF", "projection"}
        Interval under relative magnitudes: the conditional-least-favourable hybrid set
        (grid of ``grid_points`` values on ``+/- 20 sd(l' beta_post)``, as HonestDiD) or
        the conservative projection. Smoothness always uses the FLCI.
    grid_points
        Grid size of the C-LF set (its endpoints are grid points).

    Returns
    -------
    DataFrame
        ``restriction, m, estimate`` (``l' beta_post``), ``id_low, id_high, ci_low, ci_high,
        method`` ("FLCI", "C-LF" or "projection").
    """
    if method not in ("C-LF", "projection"):
        raise AnalysisError(
            f"unknown method {method!r}",
            item="method",
            hint="use 'C-LF' (conditional-least-favourable hybrid) or 'projection'",
        )
    b = np.asarray(beta, dtype=float)
    s = np.asarray(sigma, dtype=float)
    lv = _check(b, s, num_pre, l_vec)
    if not (np.isfinite(b).all() and np.isfinite(s).all()):
        raise AnalysisError(
            "estimates or covariance have missing values",
            item="beta",
            hint="leave the reference period (NaN SE) out of the event study",
        )
    rows = []
    for mv in m:
        lo, hi = identified_set(b, num_pre, restriction, float(mv), lv)
        if restriction == "sd":
            f = flci_sd(b, s, num_pre, float(mv), lv, level)
            ci, used = (f["ci_low"], f["ci_high"]), "FLCI"
        elif restriction == "rm" and method == "C-LF":
            ci = rm_conditional_interval(
                b, s, num_pre, float(mv), lv, level=level, grid_points=grid_points
            )
            used = "C-LF"
        else:
            ci, used = _rm_projection(b, s, num_pre, float(mv), lv, level), "projection"
        rows.append(
            {
                "restriction": restriction,
                "m": float(mv),
                "estimate": float(lv @ b[num_pre:]),
                "id_low": lo,
                "id_high": hi,
                "ci_low": ci[0],
                "ci_high": ci[1],
                "method": used,
            }
        )
    return pd.DataFrame(rows)


def honest_event_study(
    result: Any,
    *,
    restriction: str = "rm",
    m: Sequence[float] = (0.0, 0.5, 1.0, 1.5, 2.0),
    target: str | int = "average",
    level: float = 0.95,
    method: str = "C-LF",
    grid_points: int = 1000,
) -> pd.DataFrame:
    """:func:`honest_bounds` on the event study of a
    :func:`~trustsurvey.analysis.staggered.staggered_effects` result made with
    ``base_period="universal"`` (reference event time -1). ``target`` is "average" (the
    mean effect over the post-adoption event times) or one event time ``e >= 0``;
    ``method`` and ``grid_points`` as in :func:`honest_bounds`.
    """
    table, cov = result.event_covariance()
    times = table["event_time"].to_numpy()
    if -1 not in times or not np.isnan(table.loc[times == -1, "se"]).all():
        raise AnalysisError(
            "the event study has no reference period at event time -1",
            item="base_period",
            hint="estimate with staggered_effects(..., base_period='universal')",
        )
    keep = times != -1
    b = table.loc[keep, "estimate"].to_numpy(dtype=float)
    s = cov[np.ix_(keep, keep)]
    num_pre = int((times[keep] < 0).sum())
    post_times = times[keep][num_pre:]
    if target == "average":
        lv = np.full(len(post_times), 1.0 / len(post_times))
    else:
        if int(target) not in post_times:
            raise AnalysisError(
                f"event time {target} is not a post-adoption event time",
                item="target",
                hint=f"use 'average' or one of {post_times.astype(int).tolist()}",
            )
        lv = (post_times == int(target)).astype(float)
    out = honest_bounds(
        b,
        s,
        num_pre=num_pre,
        restriction=restriction,
        m=m,
        l_vec=lv,
        level=level,
        method=method,
        grid_points=grid_points,
    )
    out.insert(0, "target", str(target))
    return out
