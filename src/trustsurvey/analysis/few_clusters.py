"""Inference with few treated communities: wild cluster bootstrap and randomisation inference.

Design-based (and cluster-robust) standard errors rest on many clusters; with one pilot raion
and a few controls their t tests over-reject badly (MacKinnon & Webb 2017, *Journal of
Applied Econometrics* 32). Two remedies:

* :func:`wild_bootstrap_did` and :func:`wild_bootstrap_staggered` — the restricted wild
  cluster bootstrap (WCR, "WCR11"; Cameron, Gelbach & Miller 2008; MacKinnon & Webb 2017;
  Roodman, MacKinnon, Nielsen & Webb 2019 for ``boottest``, and R's ``fwildclusterboot``):
  the null ``effect = theta0`` is imposed, the restricted residuals of each cluster are
  multiplied by one Rademacher or Webb (six-point) weight, and the cluster-robust t
  statistic is recomputed; ``p`` is the share of bootstrap ``|t*|`` at least ``|t|``
  (symmetric). With Rademacher weights and ``2^G <= reps`` every sign vector is enumerated
  (as ``boottest``), so the p-value is exact and needs no seed. The confidence interval
  inverts the test (the ``theta0`` where ``p = 1 - level``, found by bisection on the same
  draws).
* :func:`randomisation_inference` — re-assigns treatment over communities (the treated set
  of the 2x2, or the cohorts of the staggered roll-out, permuted over communities) and
  compares the t statistic (or the estimate) with its permutation distribution (Fisher's
  exact test of the sharp null of no effect anywhere; MacKinnon & Webb 2020, *Journal of
  Econometrics* 218, for the t statistic with few treated clusters).

The 2x2 model is :func:`trustsurvey.analysis.did.did`'s ``y ~ treated * post (+ covariates)``
by weighted least squares with the design weights. The staggered overall effect is
:func:`~trustsurvey.analysis.staggered.did_staggered`'s "overall" (no covariates): a linear
combination ``a' mu`` of the weighted cohort-by-wave means ``mu``, i.e. of the coefficients
of a saturated weighted regression, with the cohort shares in ``a`` held at their sample
values; the null is imposed on that regression as for the 2x2.

The t statistic's variance is the cluster-robust one, ``G/(G-1) sum_g (a' A^-1 X_g' W_g
u_g)^2`` — the design-based variance of a design with the clusters as PSUs and no strata;
``fwildclusterboot``'s default small-sample factor ``(n-1)/(n-k)`` multiplies ``t`` and every
``t*`` alike and changes neither ``p`` nor the interval.

>>> import numpy as np, pandas as pd
>>> from trustsurvey.design import SurveyDesign
>>> rng = np.random.default_rng(5)
>>> com = np.repeat(np.arange(8), 40); treated = (com < 3).astype(float)
>>> post = np.tile([0.0, 1.0], 160); u = rng.normal(0, 0.3, 8)[com]
>>> y = u + 0.3 * post + 0.5 * treated * post + rng.normal(size=320)
>>> df = pd.DataFrame({"com": com, "pilot": treated, "wave": post + 1, "y": y, "w": 1.0})
>>> res = wild_bootstrap_did(SurveyDesign(df, ids="com", weights="w"), "y", cluster="com")
>>> r = res.iloc[0]
>>> int(r["clusters"]), int(r["treated_clusters"]), int(r["reps"]), bool(r["enumerated"])
(8, 3, 256, True)
>>> round(float(r["p"]), 4)
0.4766
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from trustsurvey.analysis.did import period_codes, treated_indicator
from trustsurvey.analysis.staggered import covariate_matrix, fit_staggered
from trustsurvey.errors import AnalysisError

__all__ = [
    "randomisation_inference",
    "wild_bootstrap_did",
    "wild_bootstrap_staggered",
    "wild_cluster_test",
]

WEIGHT_TYPES = ("rademacher", "webb")
_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


# --------------------------------------------------------------------------- engine
def bootstrap_weights(n_clusters: int, reps: int, kind: str, seed: int) -> tuple[np.ndarray, bool]:
    """``(reps x G)`` cluster weights and whether they enumerate all sign vectors.

    Rademacher weights are enumerated (all ``2^G`` sign vectors, the first all ones) when
    ``2^G <= reps``; otherwise drawn with ``numpy.random.default_rng(seed)``.
    """
    if kind not in WEIGHT_TYPES:
        raise AnalysisError(
            f"unknown bootstrap weights {kind!r}",
            item="weights",
            hint="use 'rademacher' or 'webb' (six-point, for fewer than about 12 clusters)",
        )
    if kind == "rademacher" and n_clusters <= 30 and 2**n_clusters <= reps:
        grid = np.array(list(itertools.product([1.0, -1.0], repeat=n_clusters)))
        return grid, True
    rng = np.random.default_rng(seed)
    if kind == "rademacher":
        return rng.choice([-1.0, 1.0], size=(reps, n_clusters)), False
    return rng.choice(_WEBB, size=(reps, n_clusters)), False


@dataclass(frozen=True)
class _Wls:
    """Weighted least squares pieces for a restriction ``a' beta``."""

    x: np.ndarray
    y: np.ndarray
    w: np.ndarray
    codes: np.ndarray
    n_clusters: int
    a: np.ndarray
    ainv: np.ndarray
    beta: np.ndarray

    @classmethod
    def fit(
        cls, x: np.ndarray, y: np.ndarray, w: np.ndarray, codes: np.ndarray, a: np.ndarray
    ) -> _Wls:
        xw = x * w[:, None]
        xtx = xw.T @ x
        if np.linalg.matrix_rank(xtx) < x.shape[1]:
            raise AnalysisError(
                "the DiD regression is not of full rank (an empty cell or collinear covariates)",
                item="covariates",
                hint="check that every arm has respondents in both periods",
            )
        ainv = np.linalg.inv(xtx)
        beta = ainv @ (xw.T @ y)
        return cls(x, y, w, codes, int(codes.max()) + 1, a, ainv, beta)

    @property
    def estimate(self) -> float:
        return float(self.a @ self.beta)

    def _cluster_sum(self, values: np.ndarray) -> np.ndarray:
        """Sum rows of ``values`` (``n x k``) per cluster: ``G x k``."""
        out = np.zeros((self.n_clusters, values.shape[1]))
        np.add.at(out, self.codes, values)
        return out

    def se(self) -> float:
        """Cluster-robust SE of ``a' beta`` (factor ``G/(G-1)``)."""
        q = self.ainv @ self.a
        resid = self.y - self.x @ self.beta
        e = self._cluster_sum(self.x * (self.w * resid)[:, None]) @ q
        g = self.n_clusters
        return float(np.sqrt(g / (g - 1) * np.sum(e**2)))

    def boot_t(self, theta0: float, v: np.ndarray) -> tuple[float, np.ndarray]:
        """Observed t and the WCR bootstrap t's (one per row of ``v``) under ``theta0``."""
        q = self.ainv @ self.a
        aqa = float(self.a @ q)
        beta_r = self.beta - q * (self.estimate - theta0) / aqa
        u_r = self.y - self.x @ beta_r
        s = self._cluster_sum(self.x * (self.w * u_r)[:, None])  # G x k
        c = s @ q  # G
        xw = self.x * self.w[:, None]
        # d_g = H_g q with H_g = X_g' W_g X_g; D[g, h] = d_g' A^-1 s_h
        d = self._cluster_sum(xw * (self.x @ q)[:, None])  # G x k
        dmat = d @ self.ainv @ s.T  # G x G
        num = v @ c  # theta* - theta0
        e = v * c[None, :] - v @ dmat.T  # B x G
        g = self.n_clusters
        se_b = np.sqrt(g / (g - 1) * np.sum(e**2, axis=1))
        with np.errstate(divide="ignore", invalid="ignore"):
            t_b = num / se_b
        t_obs = (self.estimate - theta0) / self.se()
        return t_obs, t_b


def _pvalue(t_obs: float, t_b: np.ndarray) -> float:
    ok = np.isfinite(t_b)
    return float(np.mean(np.abs(t_b[ok]) >= abs(t_obs) * (1 - 1e-9)))  # ties count


def wild_cluster_test(
    fit: _Wls, v: np.ndarray, *, theta0: float = 0.0, level: float = 0.95
) -> dict[str, float]:
    """p-value of ``a' beta = theta0`` and the inverted interval, on the draws ``v``."""
    t_obs, t_b = fit.boot_t(theta0, v)
    p = _pvalue(t_obs, t_b)
    est, se = fit.estimate, fit.se()
    alpha = 1 - level

    def p_at(value: float) -> float:
        return _pvalue(*fit.boot_t(value, v))

    def bound(direction: float) -> float:
        inner, step = est, max(se, 1e-12)
        outer = est + direction * step
        for _ in range(60):  # widen until the test rejects
            if p_at(outer) < alpha:
                break
            inner, outer = outer, est + direction * (abs(outer - est) * 2)
        else:
            return float("inf") * direction
        for _ in range(60):  # bisection
            mid = 0.5 * (inner + outer)
            if p_at(mid) < alpha:
                outer = mid
            else:
                inner = mid
            if abs(outer - inner) <= 1e-7 * max(se, 1e-12):
                break
        return 0.5 * (inner + outer)

    return {
        "estimate": est,
        "se": se,
        "t": t_obs,
        "p": p,
        "ci_low": bound(-1.0),
        "ci_high": bound(1.0),
    }


# --------------------------------------------------------------------------- helpers
def _clusters(design: Any, data: pd.DataFrame, cluster: str | None) -> np.ndarray:
    """Cluster code per row: the ``cluster`` column or the design's first-stage PSU."""
    if cluster is None:
        structure = getattr(design, "structure", None)
        if structure is None:
            raise AnalysisError(
                "a replicate design does not say its clusters",
                item="cluster",
                hint="name the community column: cluster='community'",
            )
        return np.asarray(structure.stages[0].unit)
    if cluster not in data.columns:
        raise AnalysisError(
            f"cluster column {cluster!r} is not in the design's data",
            item=cluster,
            hint="name the column identifying communities",
        )
    codes, _ = pd.factorize(data[cluster], use_na_sentinel=True)
    if (codes < 0).any():
        raise AnalysisError(
            f"cluster column {cluster!r} has missing values",
            item=cluster,
            row=list(data.index[codes < 0][:10]),
            hint="every respondent needs a community",
        )
    return np.asarray(codes)


def _recode(codes: np.ndarray, used: np.ndarray) -> np.ndarray:
    out = np.full(len(codes), -1)
    out[used] = pd.factorize(codes[used])[0]
    return out


def _too_few(g: int) -> None:
    if g < 2:
        raise AnalysisError(
            f"{g} cluster(s): the wild cluster bootstrap needs at least 2",
            item="cluster",
            hint="name the community column that varies between communities",
        )


def _did_pieces(
    design: Any,
    outcome: str,
    treated: str,
    period: str,
    covariates: Sequence[str] | None,
    baseline: Any,
    followup: Any,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Model matrix, outcome, weights, used rows and treatment of the 2x2 regression."""
    data = design.data
    for col in (outcome, treated, period):
        if col not in data.columns:
            raise AnalysisError(
                f"column {col!r} is not in the design's data", item=col, hint="check the name"
            )
    y = pd.to_numeric(data[outcome], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    tr = treated_indicator(data, treated).to_numpy(dtype=float, na_value=np.nan)
    w = np.asarray(design.weights, dtype=float)
    inside = w > 0
    waves = period_codes(data, period, pd.Series(inside, index=data.index))
    if len(waves) < 2:
        raise AnalysisError(
            f"period {period!r} has fewer than two values", item=period, hint="stack the waves"
        )
    base = waves[0] if baseline is None else baseline
    follow = waves[-1] if followup is None else followup
    per = data[period].to_numpy()
    post = np.where(per == follow, 1.0, np.where(per == base, 0.0, np.nan))
    cov = covariate_matrix(data, covariates).to_numpy(dtype=float, na_value=np.nan)
    used = inside & np.isfinite(y) & np.isfinite(tr) & np.isfinite(post)
    used &= np.isfinite(cov).all(axis=1)
    x = np.column_stack([cov[:, :1], tr, post, tr * post, cov[:, 1:]])
    return x[used], y[used], w[used], used, tr


# --------------------------------------------------------------------------- public
def wild_bootstrap_did(
    design: Any,
    outcome: str,
    treated: str = "pilot",
    period: str = "wave",
    covariates: Sequence[str] | None = None,
    *,
    cluster: str | None = None,
    weights: str = "rademacher",
    reps: int = 9999,
    seed: int = 20260101,
    level: float = 0.95,
    theta0: float = 0.0,
    baseline: Any = None,
    followup: Any = None,
) -> pd.DataFrame:
    """Restricted wild cluster bootstrap (WCR) p-value and interval of the 2x2 DiD.

    Parameters
    ----------
    design, outcome, treated, period, covariates, baseline, followup
        As :func:`trustsurvey.analysis.did.did` (covariates: numeric linearly, ``C(x)`` or
        text as dummies).
    cluster : str, optional
        Column of the clusters (communities); default the design's PSUs.
    weights : {"rademacher", "webb"}
        Bootstrap weights; Webb's six-point weights for fewer than about 12 clusters.
    reps, seed
        Draws (all ``2^G`` sign vectors are enumerated when that is not more) and seed.
    level, theta0
        Interval level and the null value of the p-value.

    Returns
    -------
    DataFrame
        One row: ``term`` ("did"), ``estimate``, ``se`` (cluster-robust), ``t``, ``p``,
        ``ci_low``, ``ci_high``, ``clusters``, ``treated_clusters``, ``reps``,
        ``enumerated``, ``weights``, ``method`` ("WCR").
    """
    x, y, w, used, tr = _did_pieces(
        design, outcome, treated, period, covariates, baseline, followup
    )
    codes = _recode(_clusters(design, design.data, cluster), used)[used]
    g = int(codes.max()) + 1
    _too_few(g)
    a = np.zeros(x.shape[1])
    a[3] = 1.0
    fit = _Wls.fit(x, y, w / w.mean(), codes, a)
    v, enumerated = bootstrap_weights(g, reps, weights, seed)
    res = wild_cluster_test(fit, v, theta0=theta0, level=level)
    treated_clusters = len(np.unique(codes[tr[used] == 1]))
    return pd.DataFrame(
        [
            {"term": "did", **res}
            | {
                "clusters": g,
                "treated_clusters": treated_clusters,
                "reps": len(v),
                "enumerated": enumerated,
                "weights": weights,
                "method": "WCR",
            }
        ]
    )


def _cohort_cells(
    design: Any, outcome: str, cohort: str, wave: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[tuple[float, Any]]]:
    """Cell (cohort x wave) dummies of the rows used by the staggered overall effect."""
    fit = fit_staggered(design, outcome, cohort=cohort, wave=wave, scores=False)
    data = design.data
    y = pd.to_numeric(data[outcome], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    g = pd.to_numeric(data[cohort], errors="coerce").fillna(0.0).to_numpy()
    waves = sorted(pd.unique(data.loc[fit.used, wave]).tolist())
    g = np.where(g > float(waves[-1]), 0.0, g)
    keys = list(zip(g[fit.used], data[wave].to_numpy()[fit.used], strict=True))
    cells = sorted(set(keys), key=lambda k: (k[0], waves.index(k[1])))
    index = {k: i for i, k in enumerate(cells)}
    code = np.array([index[k] for k in keys])
    x = np.zeros((len(code), len(cells)))
    x[np.arange(len(code)), code] = 1.0
    return x, y[fit.used], np.asarray(design.weights, float)[fit.used], fit.used, cells


def _overall_contrast(
    cells: list[tuple[float, Any]], waves: list[Any], share: dict[float, float]
) -> np.ndarray:
    """``a`` with ``a' mu`` = did_staggered's overall effect (never-treated controls)."""
    pos = {wv: i for i, wv in enumerate(waves)}
    idx = {k: i for i, k in enumerate(cells)}
    cohorts = sorted({c for c, _ in cells if c != 0})
    terms: list[tuple[float, int, int]] = []
    for c in cohorts:
        gp = pos[c] if c in pos else pos[type(waves[0])(c)]
        for tp in range(gp, len(waves)):
            terms.append((c, tp, gp - 1))
    total = sum(share[c] for c, _, _ in terms)
    a = np.zeros(len(cells))
    for c, tp, bp in terms:
        wgt = share[c] / total
        for grp, sign in ((c, 1.0), (0.0, -1.0)):
            a[idx[(grp, waves[tp])]] += sign * wgt
            a[idx[(grp, waves[bp])]] -= sign * wgt
    return a


def wild_bootstrap_staggered(
    design: Any,
    outcome: str,
    *,
    cohort: str,
    wave: str,
    cluster: str | None = None,
    weights: str = "rademacher",
    reps: int = 9999,
    seed: int = 20260101,
    level: float = 0.95,
    theta0: float = 0.0,
) -> pd.DataFrame:
    """WCR p-value and interval of :func:`did_staggered`'s overall effect.

    Never-treated controls, no covariates: the overall effect is ``a' mu`` over the
    weighted cohort-by-wave means (the cohort shares in ``a`` at their sample values).
    Arguments and result as :func:`wild_bootstrap_did` (``term`` = "overall").
    """
    x, y, w, used, cells = _cohort_cells(design, outcome, cohort, wave)
    data = design.data
    waves = sorted(pd.unique(data.loc[used, wave]).tolist())
    waves_f = [float(wv) for wv in waves]
    cells_f = [(c, float(wv)) for c, wv in cells]
    wu = w
    gcol = np.array([c for c, _ in cells])[x.argmax(axis=1)]
    share = {c: float(wu[gcol == c].sum() / wu.sum()) for c in set(gcol.tolist())}
    a = _overall_contrast(cells_f, waves_f, share)
    codes = _recode(_clusters(design, data, cluster), used)[used]
    g = int(codes.max()) + 1
    _too_few(g)
    fit = _Wls.fit(x, y, w / w.mean(), codes, a)
    v, enumerated = bootstrap_weights(g, reps, weights, seed)
    res = wild_cluster_test(fit, v, theta0=theta0, level=level)
    treated_clusters = len(np.unique(codes[gcol != 0]))
    return pd.DataFrame(
        [
            {"term": "overall", **res}
            | {
                "clusters": g,
                "treated_clusters": treated_clusters,
                "reps": len(v),
                "enumerated": enumerated,
                "weights": weights,
                "method": "WCR",
            }
        ]
    )


def _assignments(labels: np.ndarray, reps: int, seed: int) -> tuple[list[np.ndarray], bool]:
    """Re-assignments of the community labels: all distinct ones if there are at most
    ``reps`` (the observed first), else ``reps`` random permutations plus the observed."""
    values, counts = np.unique(labels, return_counts=True)
    total = math.factorial(len(labels))
    for c in counts:
        total //= math.factorial(int(c))
    if total <= reps:
        out = []
        order = {tuple(labels.tolist())}
        out.append(labels.copy())
        for perm in _multiset_permutations(values, counts):
            if tuple(perm.tolist()) not in order:
                out.append(perm)
        return out, True
    rng = np.random.default_rng(seed)
    return [labels.copy()] + [rng.permutation(labels) for _ in range(reps)], False


def _multiset_permutations(values: np.ndarray, counts: np.ndarray) -> list[np.ndarray]:
    n = int(counts.sum())
    out: list[np.ndarray] = []

    def rec(prefix: list[Any], left: list[int]) -> None:
        if len(prefix) == n:
            out.append(np.array(prefix))
            return
        for i, v in enumerate(values):
            if left[i]:
                left[i] -= 1
                rec([*prefix, v], left)
                left[i] += 1

    rec([], [int(c) for c in counts])
    return out


def randomisation_inference(
    design: Any,
    outcome: str,
    *,
    community: str,
    treated: str | None = None,
    period: str = "wave",
    cohort: str | None = None,
    wave: str | None = None,
    covariates: Sequence[str] | None = None,
    statistic: str = "t",
    reps: int = 999,
    seed: int = 20260101,
) -> pd.DataFrame:
    """Randomisation inference over which communities were treated.

    Give ``treated`` (and ``period``) for the 2x2 DiD, or ``cohort`` and ``wave`` for the
    staggered overall effect. The community-level treatment (the 0/1 ``treated``, or the
    cohort) is re-assigned over the communities — every distinct assignment when there are
    at most ``reps``, else ``reps`` random permutations (seeded) — and the statistic is
    recomputed: ``"t"`` (estimate over its cluster-robust SE, recommended with unequal
    community sizes) or ``"estimate"``. ``p`` = share of assignments (the observed one
    included) whose ``|statistic|`` is at least the observed one.

    Returns
    -------
    DataFrame
        One row: ``term``, ``estimate``, ``statistic``, ``value`` (observed statistic),
        ``p``, ``assignments``, ``exact``, ``communities``, ``treated_communities``.
    """
    if statistic not in ("t", "estimate"):
        raise AnalysisError(
            f"unknown statistic {statistic!r}", item="statistic", hint="use 't' or 'estimate'"
        )
    if (treated is None) == (cohort is None):
        raise AnalysisError(
            "give either treated= (2x2 DiD) or cohort= and wave= (staggered)",
            item=["treated", "cohort"],
            hint="randomisation_inference(design, y, community='com', treated='pilot')",
        )
    data = design.data
    if community not in data.columns:
        raise AnalysisError(
            f"community column {community!r} is not in the design's data",
            item=community,
            hint="name the column identifying communities",
        )
    com_codes, com_values = pd.factorize(data[community])
    label_col = treated if treated is not None else str(cohort)
    raw = pd.to_numeric(data[label_col], errors="coerce")
    if cohort is not None:
        raw = raw.fillna(0.0)
    per_com = raw.groupby(com_codes).agg(["min", "max"])
    varies = per_com["min"] != per_com["max"]
    if varies.any():
        bad = com_values[varies[varies].index[0]]
        raise AnalysisError(
            f"{label_col!r} differs within community {bad!r}",
            item=[label_col, community],
            hint="treatment is assigned to whole communities",
        )
    labels = per_com["min"].to_numpy()
    stat: Callable[[np.ndarray], tuple[float, float]]
    if treated is not None:

        def stat(lab: np.ndarray) -> tuple[float, float]:
            d = design.with_columns(**{treated: lab[com_codes]})
            x, y, w, used, _ = _did_pieces(d, outcome, treated, period, covariates, None, None)
            a = np.zeros(x.shape[1])
            a[3] = 1.0
            fit = _Wls.fit(x, y, w / w.mean(), _recode(com_codes, used)[used], a)
            return fit.estimate, fit.estimate / fit.se()

        term = "did"
    else:
        assert wave is not None

        def stat(lab: np.ndarray) -> tuple[float, float]:
            d = design.with_columns(**{str(cohort): lab[com_codes]})
            f = fit_staggered(
                d, outcome, cohort=str(cohort), wave=wave, covariates=covariates, scores=True
            )
            k = int(np.flatnonzero(f.labels["type"].to_numpy() == "overall")[0])
            assert f.scores is not None
            s = np.zeros(len(com_values))
            np.add.at(s, com_codes, f.scores[:, k])
            gg = len(com_values)
            return float(f.estimates[k]), float(
                f.estimates[k] / np.sqrt(gg / (gg - 1) * (s**2).sum())
            )

        term = "overall"
    assignments, exact = _assignments(labels, reps, seed)
    values = []
    for lab in assignments:
        try:
            est, t = stat(lab)
        except AnalysisError:
            est, t = np.nan, np.nan  # an assignment leaving a cell empty cannot be estimated
        values.append(t if statistic == "t" else est)
    est0, t0 = stat(labels)
    obs = t0 if statistic == "t" else est0
    arr = np.asarray(values)
    ok = np.isfinite(arr)
    p = float(np.mean(np.abs(arr[ok]) >= abs(obs) * (1 - 1e-9)))
    return pd.DataFrame(
        [
            {
                "term": term,
                "estimate": est0,
                "statistic": statistic,
                "value": obs,
                "p": p,
                "assignments": int(ok.sum()),
                "exact": exact,
                "communities": len(labels),
                "treated_communities": int((labels != 0).sum()),
            }
        ]
    )
