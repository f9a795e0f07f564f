"""Sample size, power and minimum detectable effect for a difference-in-differences.

The evaluation compares pilot and control communities at baseline and follow-up with two
independent cross-sections, so the four cells (arm x wave) are independent samples and

    Var(DiD) = sigma^2 * deff * (1/n_pt0 + 1/n_pt1 + 1/n_ct0 + 1/n_ct1),
    deff = (1 + (m - 1) * ICC) * deff_w,

with m respondents per settlement (cluster), ICC the intra-cluster correlation and deff_w
Kish's weighting design effect 1 + CV^2 of the weights. The product of the two design
effects is exact when weights are constant within clusters (Gabler, Haeder and Lahiri 1999),
as with settlement-level design weights.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from trustsurvey.analysis._checks import require_columns
from trustsurvey.errors import AnalysisError

__all__ = [
    "CELLS",
    "design_effect",
    "did_mde",
    "did_power",
    "did_sample_size",
    "icc_anova",
    "simulate_did_power",
]

#: The four cells of the 2 x 2 evaluation design, in the order used everywhere here.
CELLS = ("pilot_baseline", "pilot_followup", "control_baseline", "control_followup")


def _check_probability(value: float, name: str) -> None:
    if not 0 < value < 1:
        raise AnalysisError(f"{name} must be between 0 and 1, got {value}", item=name)


def design_effect(icc: float, cluster_size: float, deff_weighting: float = 1.0) -> float:
    """Total design effect ``(1 + (m - 1) ICC) * deff_w``.

    Parameters
    ----------
    icc : float
        Intra-cluster correlation, 0 <= ICC < 1.
    cluster_size : float
        Respondents per cluster (settlement), m >= 1.
    deff_weighting : float
        Kish's weighting design effect ``1 + CV^2`` (>= 1).

    Returns
    -------
    float

    Notes
    -----
    Kish (1965), section 5.4 for clustering; Kish (1992) for weighting; their product is
    Gabler, Haeder and Lahiri (1999)'s model-based design effect for weights constant within
    clusters.

    Examples
    --------
    >>> design_effect(0.05, 20, 1.3)
    2.535
    """
    if not 0 <= icc < 1:
        raise AnalysisError(f"ICC must be in [0, 1), got {icc}", item="icc")
    if cluster_size < 1:
        raise AnalysisError(f"cluster size must be >= 1, got {cluster_size}", item="cluster_size")
    if deff_weighting < 1:
        raise AnalysisError(
            f"weighting design effect must be >= 1, got {deff_weighting}",
            item="deff_weighting",
            hint="Kish's deff is 1 + CV^2 of the weights, never below 1",
        )
    return float(round((1 + (cluster_size - 1) * icc) * deff_weighting, 12))


def _cell_sizes(n: float | Sequence[float] | Mapping[str, float]) -> np.ndarray:
    if isinstance(n, Mapping):
        missing = [c for c in CELLS if c not in n]
        if missing:
            raise AnalysisError("sample size missing for cell(s)", item=missing)
        sizes = np.array([float(n[c]) for c in CELLS])
    elif np.ndim(n) == 0:
        sizes = np.full(4, float(n))  # type: ignore[arg-type]
    else:
        sizes = np.asarray(n, dtype="float64")
        if sizes.shape != (4,):
            raise AnalysisError(
                "give one sample size, or four (one per arm x wave cell)",
                item="n",
                hint=f"order: {', '.join(CELLS)}",
            )
    if (sizes <= 0).any() or not np.isfinite(sizes).all():
        raise AnalysisError("sample sizes must be positive", item="n")
    return sizes


def _power(effect: float, se: float, alpha: float) -> float:
    z = stats.norm.isf(alpha / 2)
    d = abs(effect) / se
    return float(stats.norm.cdf(d - z) + stats.norm.cdf(-d - z))


def did_power(
    effect: float,
    n: float | Sequence[float] | Mapping[str, float],
    *,
    sd: float = 1.0,
    alpha: float = 0.05,
    icc: float = 0.0,
    cluster_size: float = 1.0,
    deff_weighting: float = 1.0,
) -> pd.DataFrame:
    """Power of the two-sided test of a DiD with four independent cross-sections.

    Parameters
    ----------
    effect : float
        The DiD to detect, in the outcome's units (with ``sd=1``: in standard deviations).
    n : float, 4 floats or dict
        Respondents per cell; one number for all four cells, or one per cell in the order
        of :data:`CELLS` (or a dict keyed by those names).
    sd : float
        Respondent-level standard deviation of the outcome.
    alpha : float
        Two-sided significance level.
    icc, cluster_size, deff_weighting
        See :func:`design_effect`.

    Returns
    -------
    DataFrame, one row:
        ``effect, se, power, alpha, deff, n_total``.

    Notes
    -----
    ``SE = sd * sqrt(deff * sum(1/n_cell))``; power ``Phi(|d|/SE - z) + Phi(-|d|/SE - z)``
    with ``z = Phi^-1(1 - alpha/2)`` (normal approximation; Murray 1998, ch. 9). R analogue:
    ``power.t.test`` on the design-effect-inflated variance.

    References
    ----------
    Murray, D. M. (1998). Design and Analysis of Group-Randomized Trials. Oxford UP.

    Examples
    --------
    >>> round(float(did_power(0.3, 400, icc=0.05, cluster_size=10)["power"].iloc[0]), 3)
    0.702
    """
    _check_probability(alpha, "alpha")
    if sd <= 0:
        raise AnalysisError(f"sd must be positive, got {sd}", item="sd")
    sizes = _cell_sizes(n)
    deff = design_effect(icc, cluster_size, deff_weighting)
    se = sd * math.sqrt(deff * float((1 / sizes).sum()))
    return pd.DataFrame(
        {
            "effect": [float(effect)],
            "se": [se],
            "power": [_power(effect, se, alpha)],
            "alpha": [alpha],
            "deff": [deff],
            "n_total": [float(sizes.sum())],
        }
    )


def did_sample_size(
    effect: float,
    *,
    power: float = 0.8,
    alpha: float = 0.05,
    sd: float = 1.0,
    icc: float = 0.0,
    cluster_size: float = 1.0,
    deff_weighting: float = 1.0,
    communities_per_arm: int = 1,
) -> pd.DataFrame:
    """Respondents per cell (arm x wave) needed to detect a DiD with the given power.

    Parameters
    ----------
    effect : float
        The DiD to detect, in the outcome's units.
    power, alpha : float
        Target power and two-sided significance level.
    sd, icc, cluster_size, deff_weighting
        See :func:`did_power`.
    communities_per_arm : int
        Communities in each arm; the cell size is split evenly between them.

    Returns
    -------
    DataFrame, one row:
        ``effect, power_target, alpha, deff, n_per_cell`` (respondents per arm and wave,
        rounded up), ``n_per_community`` (per community and wave), ``clusters_per_cell``
        (settlements per arm and wave, ``ceil(n / m)``), ``n_total`` (four cells),
        ``power`` (achieved with the rounded sizes), ``se``.

    Notes
    -----
    Equal cells: ``n = 4 sd^2 deff (z_{1-alpha/2} + z_{power})^2 / effect^2``, from
    ``Var(DiD) = 4 sd^2 deff / n`` (Murray 1998, eq. 9.4; Kish 1965 for deff).

    Examples
    --------
    >>> int(did_sample_size(0.3, icc=0.05, cluster_size=10)["n_per_cell"].iloc[0])
    506
    """
    _check_probability(power, "power")
    _check_probability(alpha, "alpha")
    if effect == 0:
        raise AnalysisError("the effect to detect must be non-zero", item="effect")
    if communities_per_arm < 1:
        raise AnalysisError("communities per arm must be >= 1", item="communities_per_arm")
    deff = design_effect(icc, cluster_size, deff_weighting)
    z = stats.norm.isf(alpha / 2) + stats.norm.isf(1 - power)
    n_exact = 4 * sd**2 * deff * z**2 / effect**2
    n_comm = math.ceil(n_exact / communities_per_arm - 1e-9)
    n_cell = n_comm * communities_per_arm
    achieved = did_power(
        effect, n_cell, sd=sd, alpha=alpha, icc=icc, cluster_size=cluster_size,
        deff_weighting=deff_weighting,
    )  # fmt: skip
    return pd.DataFrame(
        {
            "effect": [float(effect)],
            "power_target": [power],
            "alpha": [alpha],
            "deff": [deff],
            "n_per_cell": [n_cell],
            "n_per_community": [n_comm],
            "clusters_per_cell": [math.ceil(n_cell / cluster_size - 1e-9)],
            "n_total": [4 * n_cell],
            "power": [float(achieved["power"].iloc[0])],
            "se": [float(achieved["se"].iloc[0])],
        }
    )


def did_mde(
    n: float | Sequence[float] | Mapping[str, float],
    *,
    power: float = 0.8,
    alpha: float = 0.05,
    sd: float = 1.0,
    icc: float = 0.0,
    cluster_size: float = 1.0,
    deff_weighting: float = 1.0,
) -> pd.DataFrame:
    """Minimum detectable DiD for a given sample.

    Parameters
    ----------
    n : float, 4 floats or dict
        Respondents per cell, as :func:`did_power`.
    power, alpha, sd, icc, cluster_size, deff_weighting
        As :func:`did_sample_size`.

    Returns
    -------
    DataFrame, one row:
        ``mde`` (outcome units), ``mde_sd`` (in standard deviations), ``se, power, alpha,
        deff, n_total``.

    Notes
    -----
    ``MDE = (z_{1-alpha/2} + z_{power}) * SE(DiD)`` (Bloom 1995).

    References
    ----------
    Bloom, H. S. (1995). Minimum detectable effects. Evaluation Review 19, 547-556.

    Examples
    --------
    >>> round(float(did_mde(400, icc=0.05, cluster_size=10)["mde_sd"].iloc[0]), 3)
    0.337
    """
    _check_probability(power, "power")
    base = did_power(
        1.0, n, sd=sd, alpha=alpha, icc=icc, cluster_size=cluster_size,
        deff_weighting=deff_weighting,
    )  # fmt: skip
    se = float(base["se"].iloc[0])
    mde = (stats.norm.isf(alpha / 2) + stats.norm.isf(1 - power)) * se
    return pd.DataFrame(
        {
            "mde": [mde],
            "mde_sd": [mde / sd],
            "se": [se],
            "power": [power],
            "alpha": [alpha],
            "deff": [float(base["deff"].iloc[0])],
            "n_total": [float(base["n_total"].iloc[0])],
        }
    )


def icc_anova(
    data: pd.DataFrame,
    items: Sequence[str] | str,
    cluster: str,
) -> pd.DataFrame:
    """Intra-cluster correlation of each item by the one-way ANOVA estimator.

    Parameters
    ----------
    data : DataFrame
        An earlier wave, one row per respondent, missing answers NaN.
    items : str or list of str
        Outcome columns.
    cluster : str
        Cluster (settlement / PSU) column.

    Returns
    -------
    DataFrame, one row per item:
        ``item``; ``icc`` — the estimate (may be slightly negative by sampling error; use
        ``max(icc, 0)`` for planning); ``msb``, ``msw`` — between- and within-cluster mean
        squares; ``m0`` — the adjusted mean cluster size; ``n`` — valid answers;
        ``n_clusters`` — clusters with at least one valid answer; ``mean_cluster_size``.

    Notes
    -----
    ``ICC = (MSB - MSW) / (MSB + (m0 - 1) MSW)`` with
    ``m0 = (N - sum n_g^2 / N) / (G - 1)`` (Donner 1986; Snijders and Bosker 2012, 3.3).
    Unweighted. Differences between strata or arms enter the between-cluster variance, so
    estimate on one arm, or on residuals, if those are large. R: ``ICC::ICCest(cluster, y)``.

    References
    ----------
    Donner, A. (1986). A review of inference procedures for the intraclass correlation
    coefficient in the one-way random effects model. Int. Stat. Review 54, 67-82.

    Examples
    --------
    >>> df = pd.DataFrame({"psu": [1, 1, 1, 2, 2, 2, 3, 3, 3],
    ...                    "y": [1, 2, 1, 4, 5, 4, 2, 3, 3]})
    >>> round(float(icc_anova(df, "y", "psu")["icc"].iloc[0]), 4)
    0.8657
    """
    items = [items] if isinstance(items, str) else list(items)
    require_columns(data, [*items, cluster])
    rows = []
    for item in items:
        y = pd.to_numeric(data[item], errors="coerce")
        ok = y.notna() & data[cluster].notna()
        if ok.sum() == 0:
            raise AnalysisError(
                "outcome has no valid answers", item=item, hint="check missing codes and column"
            )
        frame = pd.DataFrame({"y": y[ok].astype(float), "g": data.loc[ok, cluster]})
        grp = frame.groupby("g")["y"]
        n_g = grp.size().to_numpy(dtype=float)
        means = grp.mean().to_numpy()
        n_total, n_clusters = float(n_g.sum()), len(n_g)
        if n_clusters < 2 or n_total <= n_clusters:
            raise AnalysisError(
                "the ICC needs at least two clusters and more answers than clusters",
                item=item,
                hint=f"{n_clusters} cluster(s) with {int(n_total)} answers in '{cluster}'",
            )
        grand = frame["y"].mean()
        msb = float((n_g * (means - grand) ** 2).sum() / (n_clusters - 1))
        within = frame["y"] - frame.groupby("g")["y"].transform("mean")
        msw = float((within**2).sum() / (n_total - n_clusters))
        m0 = float((n_total - (n_g**2).sum() / n_total) / (n_clusters - 1))
        denom = msb + (m0 - 1) * msw
        icc = (msb - msw) / denom if denom > 0 else np.nan
        rows.append(
            {
                "item": item,
                "icc": icc,
                "msb": msb,
                "msw": msw,
                "m0": m0,
                "n": int(n_total),
                "n_clusters": n_clusters,
                "mean_cluster_size": n_total / n_clusters,
            }
        )
    return pd.DataFrame(rows)


def _fixed_weights(n_clusters: int, deff_weighting: float) -> np.ndarray:
    """Settlement weights with mean 1 and population CV^2 exactly ``deff_weighting - 1``."""
    if deff_weighting == 1:
        return np.ones(n_clusters)
    target = math.sqrt(deff_weighting - 1)
    q = stats.norm.ppf((np.arange(n_clusters) + 0.5) / n_clusters)
    w = np.exp(target * q)
    w = w / w.mean()
    w = 1 + (w - 1) * target / w.std()
    if (w <= 0).any():
        raise AnalysisError(
            f"cannot make positive weights with deff {deff_weighting} from {n_clusters} clusters",
            item="deff_weighting",
            hint="use more clusters per cell or a smaller weighting design effect",
        )
    return w


def simulate_did_power(
    effect: float,
    n: int,
    *,
    sd: float = 1.0,
    alpha: float = 0.05,
    icc: float = 0.0,
    cluster_size: int = 1,
    deff_weighting: float = 1.0,
    reps: int = 2000,
    seed: int = 20240601,
    chunk: int = 250,
) -> pd.DataFrame:
    """Monte-Carlo power of the design-based DiD test, to check :func:`did_power`.

    Parameters
    ----------
    effect, sd, alpha, icc, deff_weighting
        As :func:`did_power`.
    n : int
        Respondents per cell; must be a multiple of ``cluster_size``.
    cluster_size : int
        Respondents per settlement.
    reps : int
        Replications.
    seed : int
        Seed of ``numpy.random.default_rng``.
    chunk : int
        Replications simulated at once (memory use).

    Returns
    -------
    DataFrame, one row:
        ``power_sim`` — share of replications rejecting; ``mc_se`` — its binomial standard
        error ``sqrt(p (1 - p) / reps)``; ``power_formula`` — :func:`did_power`; ``reps``;
        ``mean_estimate`` — mean DiD estimate (should be ``effect``); ``deff``.

    Notes
    -----
    Each replication draws, per cell, ``n / m`` settlements with a random effect
    ``N(0, ICC sd^2)`` and ``m`` respondents with ``N(0, (1 - ICC) sd^2)`` errors; the effect
    is added to the pilot follow-up cell. Weights are a fixed feature of the design: constant
    within a settlement, spread like lognormal quantiles and scaled so that Kish's
    ``1 + CV^2`` in each cell is exactly ``deff_w``. Each cell mean is the weighted (Hajek)
    mean, its variance the with-replacement linearisation over settlements (Lumley 2010, 2.2, as R
    ``svymean`` with ``ids = ~settlement``); the test rejects when ``|DiD / SE|`` exceeds the
    t quantile on ``4 (n/m - 1)`` degrees of freedom (PSUs minus strata, as R's ``degf``).

    Examples
    --------
    >>> res = simulate_did_power(0.3, 200, icc=0.05, cluster_size=10, reps=100, seed=1)
    >>> bool(0 <= res["power_sim"].iloc[0] <= 1)
    True
    """
    _check_probability(alpha, "alpha")
    if reps < 1:
        raise AnalysisError("reps must be >= 1", item="reps")
    if n % cluster_size:
        raise AnalysisError(
            f"n per cell ({n}) must be a multiple of the cluster size ({cluster_size})",
            item="n",
        )
    n_clusters = n // cluster_size
    if n_clusters < 2:
        raise AnalysisError("at least two clusters per cell are needed", item="n")
    deff = design_effect(icc, cluster_size, deff_weighting)
    rng = np.random.default_rng(seed)
    crit = stats.t.isf(alpha / 2, 4 * (n_clusters - 1))  # R: degf = PSUs - strata
    w_cluster = _fixed_weights(n_clusters, deff_weighting)[None, None, :, None]
    shift = np.array([0.0, effect, 0.0, 0.0])[None, :, None, None]  # pilot follow-up
    sign = np.array([-1.0, 1.0, 1.0, -1.0])  # DiD = pt1 - pt0 - ct1 + ct0
    rejected, estimates = 0, []
    done = 0
    while done < reps:
        b = min(chunk, reps - done)
        shape = (b, 4, n_clusters, cluster_size)
        u = rng.normal(0.0, sd * math.sqrt(icc), size=(b, 4, n_clusters, 1))
        e = rng.normal(0.0, sd * math.sqrt(1 - icc), size=shape)
        y = u + e + shift
        w = np.broadcast_to(w_cluster, shape)
        sw = w.sum(axis=(2, 3))
        mean = (w * y).sum(axis=(2, 3)) / sw
        zc = (w * (y - mean[:, :, None, None])).sum(axis=3) / sw[:, :, None]
        var = n_clusters / (n_clusters - 1) * ((zc - zc.mean(axis=2, keepdims=True)) ** 2).sum(2)
        did = (mean * sign).sum(axis=1)
        se = np.sqrt(var.sum(axis=1))
        rejected += int((np.abs(did / se) > crit).sum())
        estimates.append(did)
        done += b
    p = rejected / reps
    formula = did_power(
        effect, n, sd=sd, alpha=alpha, icc=icc, cluster_size=cluster_size,
        deff_weighting=deff_weighting,
    )  # fmt: skip
    return pd.DataFrame(
        {
            "power_sim": [p],
            "mc_se": [math.sqrt(p * (1 - p) / reps)],
            "power_formula": [float(formula["power"].iloc[0])],
            "reps": [reps],
            "mean_estimate": [float(np.concatenate(estimates).mean())],
            "deff": [deff],
        }
    )
