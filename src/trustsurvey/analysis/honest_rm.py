"""Conditional-least-favourable hybrid confidence set under relative magnitudes.

Rambachan & Roth (2023, *Review of Economic Studies* 90) write
``Delta^RM(Mbar)`` as a finite union of polyhedra ``Delta^RM_{s,+/-}(Mbar)``: for each
pre-adoption first difference ``s`` taken as the largest (in sign ``+`` or ``-``), every
first difference ``|delta_{t+1} - delta_t|`` is at most that one (pre-adoption) or
``Mbar`` times it (post-adoption): ``A_s delta <= 0``. For each piece and each ``theta`` on
a grid, the moment inequalities ``E[A_s beta_hat - A_s,post Gamma^-1 (theta, tau~)] <= 0``
(nuisance ``tau~``) are tested with the conditional-least-favourable hybrid test of
Andrews, Roth & Pakes (2023, *Review of Economic Studies* 90, "Inference for linear
conditional moment inequalities"): reject when the studentised
statistic ``eta`` (a linear program) exceeds the least-favourable critical value at size
``kappa = alpha / 10`` (simulated, 1,000 seeded draws), otherwise compare it with the
``1 - (alpha - kappa) / (1 - kappa)`` quantile of the normal truncated to
``[v_lo, min(v_up, cv_LF)]`` (conditioning on the active moments). The confidence set is
the union over ``s`` and the sign of the accepted grid points; as HonestDiD's
``computeConditionalCS_DeltaRM`` (defaults ``hybrid_flag = "LF"``,
``postPeriodMomentsOnly = TRUE``, 1,000 grid points on ``+/- 20 sd(l' beta_post)``).

The endpoints are grid points, so they are exact only to the grid spacing
(``40 sd / (grid_points - 1)``); the grid is centred on 0, not on the estimate, so a set
beyond ``+/- 20 sd`` is cut at the grid's end (a warning) and a set between grid points
is empty (NaN). The least-favourable critical value is simulated with a fixed seed (0), so
results are reproducible. ``eta`` is the largest value of ``lambda' y`` over the vertices of
the dual feasible set (enumerated once per piece, so the 1,000 draws and the grid cost a
matrix product); the linear program (HiGHS) is solved instead when the best vertex is
not unique or there are too many bases.

>>> import numpy as np
>>> beta = np.array([0.02, -0.01, 0.30, 0.35])
>>> sigma = np.diag([0.01, 0.01, 0.012, 0.015]) ** 2 * 100
>>> lo, hi = rm_conditional_interval(beta, sigma, 2, 1.0, np.array([0.5, 0.5]), grid_points=200)
>>> bool(lo < 0.325 < hi)
True
"""

from __future__ import annotations

import warnings
from itertools import combinations
from math import comb

import numpy as np
from scipy import optimize, stats

__all__ = ["rm_conditional_interval", "rm_grid"]

_TOL_LAMBDA = 1e-6


# --------------------------------------------------------------------------- restrictions
def _rm_constraints(num_pre: int, num_post: int, mbar: float, s: int, positive: bool) -> np.ndarray:
    """``A`` of ``Delta^RM_{s,sign}(Mbar) = {delta: A delta <= 0}`` (reference column
    dropped; ``s`` in ``-(num_pre - 1) .. 0`` names the pre-adoption difference that is
    the largest)."""
    total = num_pre + num_post
    diff = np.zeros((total, total + 1))
    for r in range(total):
        diff[r, r : r + 2] = (-1.0, 1.0)
    largest = np.zeros(total + 1)
    largest[num_pre + s - 1 : num_pre + s + 1] = (-1.0, 1.0)
    if not positive:
        largest = -largest
    scale = np.concatenate([np.ones(num_pre), np.full(num_post, float(mbar))])
    bound = scale[:, None] * largest[None, :]
    a = np.vstack([diff - bound, -diff - bound])
    a = a[(a**2).sum(axis=1) > 1e-10]
    return np.delete(a, num_pre, axis=1)


def _gamma(l_vec: np.ndarray) -> np.ndarray:
    """Invertible matrix with first row ``l'``, completed by unit vectors taken in order
    (the pivots of the reduced row echelon form of ``[l, I]``)."""
    n = len(l_vec)
    rows = [l_vec]
    for j in range(n):
        e = np.eye(n)[j]
        if np.linalg.matrix_rank(np.vstack([*rows, e])) > len(rows):
            rows.append(e)
        if len(rows) == n:
            break
    return np.vstack(rows)


# --------------------------------------------------------------------------- ARP test
def _eta_lp(y: np.ndarray, x: np.ndarray, sd: np.ndarray) -> tuple[float, np.ndarray] | None:
    """``min eta`` s.t. ``y - x d <= eta sd``; the value and the constraints' multipliers."""
    k = x.shape[1]
    cost = np.zeros(1 + k)
    cost[0] = 1.0
    res = optimize.linprog(
        cost,
        A_ub=np.column_stack([-sd, -x]),
        b_ub=-y,
        bounds=[(None, None)] * (1 + k),
        method="highs",
    )
    if not res.success:
        return None
    return float(res.x[0]), -np.asarray(res.ineqlin.marginals, float)


def _dual_vertices(x: np.ndarray, sd: np.ndarray) -> np.ndarray | None:
    """Vertices of ``{lambda >= 0: sd' lambda = 1, x' lambda = 0}``, the (bounded) feasible
    set of the dual of ``min eta``, so that ``eta(y) = max_v v' y``; ``None`` when
    ``[sd, x]`` is not of full column rank or there are too many bases (then the linear
    program is solved draw by draw)."""
    w = np.column_stack([sd, x])
    m, k1 = w.shape
    if np.linalg.matrix_rank(w) < k1 or comb(m, k1) > 20000:
        return None
    rhs = np.zeros(k1)
    rhs[0] = 1.0
    found = []
    for basis in combinations(range(m), k1):
        wb = w[list(basis)]
        if abs(np.linalg.det(wb)) < 1e-12 * max(1.0, float(np.abs(wb).max()) ** k1):
            continue
        lam_b = np.linalg.solve(wb.T, rhs)
        if (lam_b >= -1e-12).all():
            lam = np.zeros(m)
            lam[list(basis)] = np.clip(lam_b, 0.0, None)
            found.append(lam)
    if not found:
        return None
    verts = np.array(found)  # a degenerate vertex comes from several bases: keep it once
    _, first = np.unique(np.round(verts, 10), axis=0, return_index=True)
    return verts[np.sort(first)]


def _least_favourable_cv(x: np.ndarray, sigma: np.ndarray, kappa: float, seed: int) -> float:
    """The ``1 - kappa`` quantile of ``eta`` when all moments bind (1,000 draws)."""
    draws = np.random.RandomState(seed).multivariate_normal(np.zeros(len(sigma)), sigma, size=1000)
    sd = np.sqrt(np.diag(sigma))
    vertices = _dual_vertices(x, sd)
    if vertices is not None:  # eta = max over the vertices of the dual: all draws at once
        etas = list((draws @ vertices.T).max(axis=1))
    else:
        etas = [sol[0] for xi in draws if (sol := _eta_lp(xi, x, sd)) is not None]
    if not etas:
        return float("inf")
    return float(np.quantile(etas, 1 - kappa))


def _truncated_quantile(p: float, lo: float, hi: float) -> float:
    if lo >= hi:
        return lo
    if np.isinf(lo) and np.isinf(hi):
        return float(stats.norm.ppf(p))
    return float(stats.truncnorm.ppf(p, a=lo, b=hi))


def _dual_max(
    s_t: np.ndarray, b_vec: np.ndarray, w_t: np.ndarray, c: float
) -> tuple[bool, float, np.ndarray]:
    f = s_t + b_vec * c
    beq = np.zeros(w_t.shape[1])
    beq[0] = 1.0
    res = optimize.linprog(-f, A_eq=w_t.T, b_eq=beq, bounds=[(0, None)] * len(f), method="highs")
    if not res.success:
        return False, float("nan"), np.zeros(len(f))
    return True, float(-res.fun), np.asarray(res.x, float)


def _dual_bounds(
    eta: float, y: np.ndarray, x: np.ndarray, gamma: np.ndarray, sigma: np.ndarray
) -> tuple[float, float]:
    """``v_lo, v_up`` of the dual linear program by bisection (ARP 2023, Appendix,
    Algorithm 1), tolerances 1e-6."""
    sd = np.sqrt(np.diag(sigma))
    w_t = np.column_stack([sd, x])
    var = float(gamma @ sigma @ gamma)
    if abs(var) < 1e-30:
        return -np.inf, np.inf
    s_t = y - (sigma @ np.outer(gamma, gamma)) @ y / var
    b_vec = sigma @ gamma / var
    tol = 1e-6

    def solves(c: float) -> tuple[bool, np.ndarray]:
        ok, opt, sol = _dual_max(s_t, b_vec, w_t, c)
        return ok and abs(c - opt) <= tol, sol

    def roundeps(v: float) -> float:
        return 0.0 if abs(v) < np.finfo(float).eps ** 0.75 else v

    if not solves(eta)[0]:
        return eta, np.inf
    sig = np.sqrt(var)
    out = []
    for up, start in ((1.0, max(100.0, eta + 20 * sig)), (-1.0, min(-100.0, eta - 20 * sig))):
        ok, sol = solves(start)
        if ok:
            out.append(up * np.inf)
            continue
        iters, dif = 1, 0.0
        den = 1.0 - float(sol @ b_vec)
        mid = roundeps(float(sol @ s_t)) / den if abs(den) > 1e-15 else start
        ok, sol = solves(mid)
        while not ok and iters < 10000:
            iters += 1
            if iters >= 10:
                dif = tol + 1
                break
            den = 1.0 - float(sol @ b_vec)
            mid = roundeps(float(sol @ s_t)) / den if abs(den) > 1e-15 else mid
            ok, sol = solves(mid)
        inner, outer = eta, mid  # "inner" solves, "outer" does not
        while dif > tol and iters < 10000:
            iters += 1
            mid = (inner + outer) / 2
            if solves(mid)[0]:
                inner = mid
            else:
                outer = mid
            dif = up * (outer - inner)
        out.append(mid)
    return out[1], out[0]


def _eta_by_vertices(y: np.ndarray, vertices: np.ndarray | None) -> tuple[float, np.ndarray] | None:
    """``eta`` and the dual solution from the dual's vertices, when the best is unique."""
    if vertices is None or len(vertices) < 2:
        return None
    values = vertices @ y
    order = np.argsort(values)
    top, second = values[order[-1]], values[order[-2]]
    if top - second <= 1e-9 * max(1.0, abs(top)):
        return None  # several dual solutions: let the linear program choose
    return float(top), vertices[order[-1]]


def _lf_test(
    y: np.ndarray,
    x: np.ndarray,
    sigma: np.ndarray,
    alpha: float,
    kappa: float,
    lf_cv: float,
    vertices: np.ndarray | None = None,
) -> bool:
    """Reject ``E[y - x tau~] <= 0`` for some ``tau~``? (conditional-LF hybrid)."""
    sd = np.sqrt(np.diag(sigma))
    sol = _eta_by_vertices(y, vertices) or _eta_lp(y, x, sd)
    if sol is None:
        warnings.warn("linear program for eta did not converge; not rejecting", stacklevel=3)
        return False
    eta, lam = sol
    if eta > lf_cv:
        return True
    size = (alpha - kappa) / (1 - kappa)
    k = x.shape[1]
    active = lam > _TOL_LAMBDA
    x_b = x[active]
    full_rank = x_b.size > 0 and np.linalg.matrix_rank(x_b) == min(x_b.shape)
    if not full_rank or active.sum() != k + 1:
        v_lo, v_up = _dual_bounds(eta, y, x, lam, sigma)
        var = float(lam @ sigma @ lam)
        if abs(var) < np.finfo(float).eps:
            return eta > 0
        sig = np.sqrt(var)
        stat, z_lo, z_up = eta / sig, v_lo / sig, min(v_up, lf_cv) / sig
    else:
        m = len(y)
        w_b = np.column_stack([sd[active], x_b])
        w_bc = np.column_stack([sd[~active], x[~active]])
        s_b = np.eye(m)[active]
        s_bc = np.eye(m)[~active]
        solve_b = np.linalg.solve(w_b, s_b)
        gam = w_bc @ solve_b - s_bc
        v_b = solve_b[0]
        var = float(v_b @ sigma @ v_b)
        sig = np.sqrt(var)
        rho = gam @ sigma @ v_b / var
        with np.errstate(divide="ignore", invalid="ignore"):
            maximand = -(gam @ y) / rho + float(v_b @ y)
        v_lo = float(maximand[rho > 0].max()) if (rho > 0).any() else -np.inf
        v_up = float(maximand[rho < 0].min()) if (rho < 0).any() else np.inf
        stat, z_lo, z_up = eta / sig, v_lo / sig, min(v_up, lf_cv) / sig
    if not (z_lo <= stat <= z_up):
        return False
    return bool(stat > max(0.0, _truncated_quantile(1 - size, z_lo, z_up)))


def _lf_test_no_nuisance(
    y: np.ndarray, sigma: np.ndarray, a: np.ndarray, alpha: float, kappa: float, lf_cv: float
) -> bool:
    """The hybrid test of ``E[A y] <= 0`` without nuisance (one post-adoption period)."""
    sd = np.sqrt(np.diag(a @ sigma @ a.T))
    at = a / sd[:, None]
    moments = at @ y
    top = int(np.argmax(moments))
    if moments[top] > lf_cv:
        return True
    gamma = at[top]
    abar = at - gamma[None, :]
    var = float(gamma @ sigma @ gamma)
    c = sigma @ gamma / var
    z = y - c * float(gamma @ y)
    ac = abar @ c
    obj = -(abar @ z) / np.where(ac == 0, 1.0, ac)
    v_lo = float(obj[ac < 0].max()) if (ac < 0).any() else -np.inf
    v_up = float(obj[ac > 0].min()) if (ac > 0).any() else np.inf
    size = (alpha - kappa) / (1 - kappa)
    sig = np.sqrt(var)
    crit = max(0.0, sig * _truncated_quantile(1 - size, v_lo / sig, v_up / sig))
    return bool(moments[top] > crit)


# --------------------------------------------------------------------------- confidence set
def rm_grid(
    beta: np.ndarray,
    sigma: np.ndarray,
    num_pre: int,
    mbar: float,
    l_vec: np.ndarray,
    *,
    alpha: float = 0.05,
    grid_points: int = 1000,
    grid_lb: float | None = None,
    grid_ub: float | None = None,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """The grid of ``theta`` and whether each point is in the C-LF confidence set."""
    b = np.asarray(beta, float)
    s = np.asarray(sigma, float)
    lv = np.asarray(l_vec, float)
    num_post = len(b) - num_pre
    post = slice(num_pre, num_pre + num_post)
    sd_theta = float(np.sqrt(lv @ s[post, post] @ lv))
    lb = -20 * sd_theta if grid_lb is None else float(grid_lb)
    ub = 20 * sd_theta if grid_ub is None else float(grid_ub)
    grid = np.linspace(lb, ub, grid_points)
    kappa = alpha / 10
    accept = np.zeros(grid_points, bool)
    for shift in range(-(num_pre - 1), 1):
        for positive in (True, False):
            a = _rm_constraints(num_pre, num_post, mbar, shift, positive)
            if num_post == 1:
                a = a[a[:, -1] != 0]
                sig_a = a @ s @ a.T
                draws = np.random.RandomState(seed).multivariate_normal(
                    np.zeros(len(a)), sig_a, size=1000
                )
                lf_cv = float(np.quantile((draws / np.sqrt(np.diag(sig_a))).max(axis=1), 1 - kappa))
                for i, th in enumerate(grid):
                    y = b.copy()
                    y[num_pre] -= th
                    accept[i] |= not _lf_test_no_nuisance(y, s, a, alpha, kappa, lf_cv)
                continue
            rows = np.flatnonzero((a[:, num_pre:] != 0).any(axis=1))
            a_gi = a[:, post] @ np.linalg.inv(_gamma(lv))
            y_all = a @ b
            sig_y = (a @ s @ a.T)[np.ix_(rows, rows)]
            x = a_gi[rows, 1:]
            lf_cv = _least_favourable_cv(x, sig_y, kappa, seed)
            vertices = _dual_vertices(x, np.sqrt(np.diag(sig_y)))
            for i, th in enumerate(grid):
                if accept[i]:
                    continue
                y = (y_all - a_gi[:, 0] * th)[rows]
                accept[i] = not _lf_test(y, x, sig_y, alpha, kappa, lf_cv, vertices)
    return grid, accept


def rm_conditional_interval(
    beta: np.ndarray,
    sigma: np.ndarray,
    num_pre: int,
    mbar: float,
    l_vec: np.ndarray,
    *,
    level: float = 0.95,
    grid_points: int = 1000,
    grid_lb: float | None = None,
    grid_ub: float | None = None,
) -> tuple[float, float]:
    """Lowest and highest accepted ``theta`` of the C-LF set (NaN if none is accepted; a
    warning if the set reaches an end of the grid)."""
    grid, accept = rm_grid(
        beta,
        sigma,
        num_pre,
        mbar,
        l_vec,
        alpha=1 - level,
        grid_points=grid_points,
        grid_lb=grid_lb,
        grid_ub=grid_ub,
    )
    if not accept.any():
        return float("nan"), float("nan")
    if accept[0] or accept[-1]:
        warnings.warn(
            "the relative-magnitudes confidence set reaches the end of the grid: widen it "
            "(grid_lb, grid_ub)",
            stacklevel=2,
        )
    return float(grid[accept].min()), float(grid[accept].max())
