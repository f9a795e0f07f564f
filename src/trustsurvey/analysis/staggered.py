"""Staggered roll-out: group-time ATTs for repeated cross-sections with design-based SEs.

``did_staggered`` estimates the average effect on the treated of every cohort ``g`` (the
first wave in which its communities were treated) in every wave ``t``, ``ATT(g, t)``, as
R's ``did::att_gt(panel = FALSE)`` (Callaway & Sant'Anna 2021, *Journal of Econometrics*
225): each is a two-period DiD of the cohort against the never-treated (``control="never"``)
or the not-yet-treated (``control="notyet"``) communities, between ``t`` and the last wave
before ``g`` (post-treatment cells) or the previous wave (pre-treatment cells, R's
``base_period = "varying"``), estimated by the doubly robust estimator for repeated
cross-sections of Sant'Anna & Zhao (2020) or its regression or IPW forms
(:mod:`trustsurvey.analysis._drdid`). They are aggregated as ``did::aggte``: the overall
effect (``type="simple"``: post-treatment cells weighted by cohort size), by cohort
(``type="group"``) and by time since adoption (``type="dynamic"``, the event study).

Standard errors are design-based: every estimate's influence function, one value per
respondent (including the estimation of the cohort shares used as aggregation weights, R's
``wif``), goes through the design's variance engine — summed per PSU within strata with
the fpc and calibration adjustments (linearisation, as every estimator of
:mod:`trustsurvey.design`) — or the whole estimation is repeated with every set of replicate
weights of a :class:`~trustsurvey.design.replicate.ReplicateDesign`. Intervals use Student's
t with the design df (PSUs minus strata among the respondents used).

Simultaneous bands for the event study are sup-t bands (Montiel Olea & Plagborg-Møller
2019): the critical value is the ``level`` quantile of ``max_e |draw_e| / se_e`` over draws
of a multiplier bootstrap of the stratum-centred PSU totals of the influence functions
(Rademacher multipliers per PSU, scaled by the first-stage variance coefficient, so the
draws have the design's first-stage covariance; R's ``did`` draws the same multipliers per
cluster), or, for a replicate design, Gaussian draws with the replicate covariance. ``seed``
fixes the draws.

Waves are positions: event time ``e = position(t) - position(g)`` among the sorted wave
codes, so waves 2019, 2021, 2023 are one step apart. A cohort coded after the last wave is
treated as never treated in the waves observed (as R's ``did``).

>>> import numpy as np, pandas as pd
>>> from trustsurvey.design import SurveyDesign
>>> rng = np.random.default_rng(3)
>>> com = np.repeat(np.arange(30), 24); wave = np.tile(np.repeat([1, 2, 3], 8), 30)
>>> first = np.array([0] * 10 + [2] * 10 + [3] * 10)[com]
>>> y = rng.normal(size=com.size) + 0.5 * ((first > 0) & (wave >= first))
>>> df = pd.DataFrame({"com": com, "wave": wave, "first": first, "y": y, "w": 1.0})
>>> res = did_staggered(SurveyDesign(df, ids="com", weights="w"), "y",
...                     cohort="first", wave="wave", community="com")
>>> res[res.type == "overall"][["estimate", "se"]].round(3).values.tolist()
[[0.442, 0.127]]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from trustsurvey.analysis._drdid import METHODS, FitError, att_rc
from trustsurvey.design.base import Design
from trustsurvey.design.core import SurveyDesign
from trustsurvey.design.replicate import ReplicateDesign
from trustsurvey.errors import AnalysisError

__all__ = [
    "COLUMNS",
    "StaggeredFit",
    "StaggeredResult",
    "did_staggered",
    "fit_staggered",
    "staggered_effects",
]

COLUMNS = [
    "type",
    "cohort",
    "wave",
    "event_time",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "band_low",
    "band_high",
    "df",
    "n",
]
MIN_DF = 2  # a design-based variance needs at least this many PSUs beyond the strata


# --------------------------------------------------------------------------- set-up
@dataclass(frozen=True)
class Cell:
    """One group-time cell: cohort ``g`` in wave ``t`` against base wave ``base``."""

    g: float
    t: Any
    base: Any
    event: int
    rows: np.ndarray  # row positions in the 2x2 subset
    post: np.ndarray  # 1 for wave t among rows
    treated: np.ndarray  # 1 for cohort g among rows


@dataclass
class StaggeredFit:
    """Estimates and influence values of one ``did_staggered`` fit.

    ``estimates`` (``k``) and ``scores`` (``n x k``, weighted influence values in data order,
    zero for rows not used) hold the group-time cells first, then the aggregates described
    by ``labels`` (a frame with ``type, cohort, wave, event_time, n``).
    """

    estimates: np.ndarray
    scores: np.ndarray | None
    labels: pd.DataFrame
    used: np.ndarray


@dataclass(frozen=True)
class StaggeredResult:
    """What :func:`staggered_effects` returns.

    Attributes
    ----------
    table
        The tidy frame of :func:`did_staggered`.
    cov
        Design covariance of all the estimates (rows and columns in the order of ``table``).
    band_crit
        Critical value of the event study's sup-t band.
    """

    table: pd.DataFrame
    cov: np.ndarray
    band_crit: float

    def event_covariance(self) -> tuple[pd.DataFrame, np.ndarray]:
        """The event-study rows and their covariance matrix (for pre-trend sensitivity)."""
        ev = (self.table["type"] == "event").to_numpy()
        return self.table[ev].reset_index(drop=True), self.cov[np.ix_(ev, ev)]


@dataclass(frozen=True)
class Problem:
    """The data of a staggered DiD, checked and coded."""

    y: np.ndarray
    group: np.ndarray  # cohort code per row (0 = never treated in the waves observed)
    period: np.ndarray  # wave position per row
    x: np.ndarray
    used: np.ndarray
    waves: list[Any]
    cohorts: list[float]
    cells: list[Cell]
    method: str


def _fail(message: str, item: str | list[str], hint: str, rows: Any = None) -> AnalysisError:
    return AnalysisError(message, item=item, hint=hint, row=rows)


def _numeric(data: pd.DataFrame, column: str, role: str) -> pd.Series:
    if column not in data.columns:
        raise _fail(
            f"{role} column {column!r} is not in the design's data",
            column,
            f"available columns: {', '.join(map(str, list(data.columns)[:30]))}",
        )
    s = data[column]
    if pd.api.types.is_bool_dtype(s):
        return s.astype("float64")
    if not pd.api.types.is_numeric_dtype(s):
        raise _fail(
            f"{role} {column!r} is not numeric",
            column,
            "recode it to numbers (missing codes as NaN)",
        )
    return s.astype("float64")


def covariate_matrix(data: pd.DataFrame, covariates: Sequence[str] | None) -> pd.DataFrame:
    """Intercept plus covariates: numeric columns linearly, ``C(x)`` or text as dummies."""
    parts = [pd.DataFrame({"Intercept": 1.0}, index=data.index)]
    for cov in covariates or ():
        name = cov[2:-1] if cov.startswith("C(") and cov.endswith(")") else cov
        if name not in data.columns:
            raise _fail(
                f"covariate {name!r} is not in the design's data",
                name,
                "name columns of the design's data",
            )
        col = data[name]
        if cov != name or not pd.api.types.is_numeric_dtype(col):
            dummies = pd.get_dummies(col, prefix=name, drop_first=True, dtype=float)
            dummies[col.isna()] = np.nan
            parts.append(dummies)
        else:
            parts.append(col.astype("float64").to_frame(name))
    return pd.concat(parts, axis=1)


def _problem(
    design: Design,
    outcome: str,
    cohort: str,
    wave: str,
    community: str | None,
    control: str,
    covariates: Sequence[str] | None,
    method: str,
    base_period: str = "varying",
) -> Problem:
    data = getattr(design, "data", None)
    if not isinstance(data, pd.DataFrame):
        raise _fail(
            f"expected a survey design, got {type(design).__name__}",
            "design",
            "build one with trustsurvey.design.SurveyDesign(df, ids=..., weights=...)",
        )
    if control not in ("never", "notyet"):
        raise _fail(
            f"unknown control group {control!r}",
            "control",
            "use 'never' (never-treated communities) or 'notyet' (not yet treated)",
        )
    if base_period not in ("varying", "universal"):
        raise _fail(
            f"unknown base period {base_period!r}",
            "base_period",
            "use 'varying' (R did's default) or 'universal' (the wave before adoption)",
        )
    if method not in METHODS:
        raise _fail(
            f"unknown method {method!r}",
            "method",
            "use 'dr' (doubly robust), 'reg' (outcome regression) or 'ipw'",
        )
    y = _numeric(data, outcome, "outcome")
    g = _numeric(data, cohort, "cohort").fillna(0.0)
    if wave not in data.columns:
        raise _fail(f"wave column {wave!r} is not in the design's data", wave, "name the wave")
    per = data[wave]
    if not pd.api.types.is_numeric_dtype(per) or pd.api.types.is_bool_dtype(per):
        raise _fail(
            f"wave {wave!r} is not numeric",
            wave,
            "code waves as numbers (1, 2, 3 or years) and the cohort with the same codes",
        )
    x = covariate_matrix(data, covariates)
    inside = np.asarray(design.weights, dtype=float) > 0  # zero outside a subset's domain
    used = inside & y.notna().to_numpy() & per.notna().to_numpy() & x.notna().all(axis=1).to_numpy()
    if not used.any():
        raise _fail(
            f"no respondent has an answer to {outcome!r} and a wave",
            outcome,
            "check the outcome and the wave columns",
        )
    waves = sorted(pd.unique(per[used]).tolist())
    if len(waves) < 2:
        raise _fail(
            f"wave {wave!r} has {len(waves)} distinct value(s); a DiD needs at least two",
            wave,
            "stack the waves in one design",
        )
    neg = used & (g.to_numpy() < 0)
    if neg.any():
        raise _fail(
            f"cohort {cohort!r} has negative codes",
            cohort,
            "code the first treated wave, or 0 / empty for never-treated communities",
            list(data.index[neg][:10]),
        )
    if community is not None:
        if community not in data.columns:
            raise _fail(
                f"community column {community!r} is not in the design's data",
                community,
                "name the column identifying communities",
            )
        per_com = pd.Series(g.to_numpy()[used]).groupby(data[community].to_numpy()[used])
        varies = per_com.nunique() > 1
        if varies.any():
            bad = varies[varies].index.tolist()
            rows = data.index[used & data[community].isin(bad).to_numpy()]
            raise _fail(
                f"cohort {cohort!r} differs within community {bad[0]!r}",
                [cohort, community],
                "a community is treated from one wave on: give it one first-treated wave",
                list(rows[:10]),
            )
    gv = g.to_numpy().copy()
    gv[gv > float(np.max(np.asarray(waves, dtype=float)))] = 0.0  # treated after the last wave
    cohorts = sorted({float(v) for v in gv[used] if v != 0})
    first = waves[0]
    early = [c for c in cohorts if c <= first]
    if early:
        rows = data.index[used & (gv <= float(first)) & (gv > 0)]
        raise _fail(
            f"cohort {early[0]:g} is treated in the first wave ({first}): it has no "
            "pre-treatment wave to compare with",
            cohort,
            "leave these communities out of the design's domain (design.subset) or survey "
            "them before the programme starts",
            list(rows[:10]),
        )
    not_wave = [c for c in cohorts if c not in [float(w) for w in waves]]
    if not_wave:
        raise _fail(
            f"cohort {not_wave[0]:g} is not a wave of {wave!r} ({waves})",
            cohort,
            "code a cohort as the first wave surveyed after its communities were treated",
        )
    if not cohorts:
        raise _fail(
            f"no community is ever treated in the waves observed (cohort {cohort!r})",
            cohort,
            "code the first treated wave of the pilot communities",
        )
    pos = {float(w): i for i, w in enumerate(waves)}
    period = np.array([pos.get(float(v), -1) if u else -1 for v, u in zip(per, used, strict=True)])
    group = np.array([pos.get(v, 0) for v in gv])  # position of first treated wave
    group[gv == 0] = 0  # position 0 cannot be a cohort (checked above)
    if not (used & (group == 0)).any():
        if control == "never":
            raise _fail(
                "there is no never-treated community: control='never' has no comparison group",
                cohort,
                "use control='notyet' (communities not yet treated serve as controls)",
            )
        last = int(group[used].max())  # R's did: the last cohort becomes the control group
        used = used & (period < last)
        group = np.where(group == last, 0, group)
        waves = waves[:last]
        cohorts = [c for c in cohorts if pos[c] < last]
    cells = _cells(group, period, used, cohorts, pos, len(waves), control, base_period)
    return Problem(
        y=np.where(used, y.to_numpy(), 0.0),
        group=group,
        period=period,
        x=np.where(used[:, None], x.to_numpy(dtype=float), 0.0),
        used=used,
        waves=waves,
        cohorts=cohorts,
        cells=cells,
        method=method,
    )


def _cells(
    group: np.ndarray,
    period: np.ndarray,
    used: np.ndarray,
    cohorts: list[float],
    pos: dict[float, int],
    n_waves: int,
    control: str,
    base_period: str = "varying",
) -> list[Cell]:
    cells = []
    for c in cohorts:
        gp = pos[c]
        for tp in range(0 if base_period == "universal" else 1, n_waves):
            base = tp - 1 if tp < gp and base_period == "varying" else gp - 1
            ctrl = group == 0
            if control == "notyet":
                ctrl = ctrl | ((group > tp) & (group != gp))
            in_cell = used & ((group == gp) | ctrl) & ((period == tp) | (period == base))
            rows = np.flatnonzero(in_cell)
            cells.append(
                Cell(
                    g=c,
                    t=tp,
                    base=base,
                    event=tp - gp,
                    rows=rows,
                    post=(period[rows] == tp).astype(float),
                    treated=(group[rows] == gp).astype(float),
                )
            )
    return cells


# --------------------------------------------------------------------------- estimation
def _gt(p: Problem, w: np.ndarray, scores: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """ATT(g, t) of every cell with weights ``w``; weighted influence values if asked."""
    n = len(w)
    att = np.empty(len(p.cells))
    z = np.zeros((n, len(p.cells))) if scores else None
    for k, c in enumerate(p.cells):
        if c.base == c.t:  # universal base: the reference wave itself, 0 by definition
            att[k] = 0.0
            continue
        wc = w[c.rows]
        keep = wc > 0
        rows = c.rows[keep]
        try:
            est, psi = att_rc(
                p.y[rows], c.post[keep], c.treated[keep], p.x[rows], wc[keep], p.method
            )
        except FitError as exc:
            raise _fail(
                f"ATT of cohort {c.g:g} in wave position {c.t} cannot be estimated: {exc}",
                "cohort",
                "check that the cohort and its controls have respondents in both waves, "
                "or drop covariates that are constant there",
            ) from exc
        att[k] = est
        if z is not None:
            z[rows, k] = psi / len(rows)
    return att, z


def _aggregates(
    p: Problem, w: np.ndarray, att: np.ndarray, z: np.ndarray | None
) -> tuple[list[dict[str, Any]], np.ndarray, np.ndarray | None]:
    """``did::aggte`` simple, group and dynamic aggregations with their influence values."""
    wu = np.where(p.used, w, 0.0)
    total = wu.sum()
    gpos = np.array([c.t - c.event for c in p.cells])  # cohort position per cell
    cpos = sorted(set(gpos.tolist()))
    share = {g: float(wu[p.group == g].sum() / total) for g in cpos}
    zshare = {g: wu * ((p.group == g) - share[g]) / total for g in cpos} if z is not None else {}
    pg = np.array([share[g] for g in gpos])
    events = np.array([c.event for c in p.cells])

    def weighted(keep: np.ndarray) -> tuple[float, np.ndarray | None]:
        idx = np.flatnonzero(keep)
        s = pg[idx].sum()
        a = pg[idx] / s
        est = float(a @ att[idx])
        if z is None:
            return est, None
        zz = z[:, idx] @ a
        zs = sum(zshare[gpos[i]] for i in idx)
        for i in idx:  # derivative of the weights pg_k / sum(pg)
            zz = zz + att[i] * (zshare[gpos[i]] / s - pg[i] / s**2 * zs)
        return est, zz

    labels: list[dict[str, Any]] = []
    est: list[float] = []
    cols: list[np.ndarray] = []
    post = events >= 0
    e_, z_ = weighted(post)
    labels.append({"type": "overall"})
    est.append(e_)
    if z_ is not None:
        cols.append(z_)
    for g in cpos:  # by cohort: plain mean of its post-treatment cells
        idx = np.flatnonzero(post & (gpos == g))
        e_g = float(att[idx].mean())
        z_g = z[:, idx].mean(axis=1) if z is not None else None
        labels.append({"type": "cohort", "cohort": p.cohorts[cpos.index(g)]})
        est.append(e_g)
        if z_g is not None:
            cols.append(z_g)
    for e in sorted(set(events.tolist())):
        e_, z_ = weighted(events == e)
        labels.append({"type": "event", "event_time": int(e)})
        est.append(e_)
        if z_ is not None:
            cols.append(z_)
    return labels, np.array(est), (np.column_stack(cols) if z is not None else None)


def fit_staggered(
    design: Design,
    outcome: str,
    *,
    cohort: str,
    wave: str,
    community: str | None = None,
    control: str = "never",
    covariates: Sequence[str] | None = None,
    method: str = "dr",
    base_period: str = "varying",
    weights: np.ndarray | None = None,
    scores: bool = True,
) -> StaggeredFit:
    """Point estimates (and weighted influence values) of :func:`did_staggered`.

    ``weights`` replaces the design's weights (used for replicate weights and by the wild
    bootstrap); without it the design's weights (zero outside a subset's domain) are used.
    """
    p = _problem(design, outcome, cohort, wave, community, control, covariates, method, base_period)
    return _fit(p, _weights(design) if weights is None else np.asarray(weights, float), scores)


def _weights(design: Design) -> np.ndarray:
    return np.asarray(design.weights, dtype=float)


def _fit(p: Problem, w: np.ndarray, scores: bool) -> StaggeredFit:
    w = np.where(p.used, w, 0.0)
    att, z = _gt(p, w, scores)
    agg_labels, agg, zagg = _aggregates(p, w, att, z)
    gt_labels = [
        {
            "type": "group_time",
            "cohort": c.g,
            "wave": c.t,
            "event_time": c.event,
            "base_wave": c.base,
            "n": int((w[c.rows] > 0).sum()),
            "reference": c.base == c.t,
        }
        for c in p.cells
    ]
    labels = pd.DataFrame(gt_labels + agg_labels)
    ref_events = {c.event for c in p.cells if c.base == c.t}
    is_event = labels["type"] == "event"
    labels["reference"] = labels["reference"].fillna(False).astype(bool)
    labels.loc[is_event & labels["event_time"].isin(ref_events), "reference"] = True
    for col in ("wave", "base_wave"):  # wave positions; -1 where not applicable
        labels[col] = labels[col].fillna(-1).astype(int)
    n_agg = _aggregate_n(p, w, agg_labels)
    labels.loc[len(gt_labels) :, "n"] = n_agg
    estimates = np.concatenate([att, agg])
    allz = None if z is None or zagg is None else np.column_stack([z, zagg])
    return StaggeredFit(estimates=estimates, scores=allz, labels=labels, used=p.used)


def _aggregate_n(p: Problem, w: np.ndarray, labels: list[dict[str, Any]]) -> list[int]:
    """Respondents in the union of the cells each aggregate uses."""
    out = []
    for lab in labels:
        cells = [
            c
            for c in p.cells
            if (lab["type"] == "overall" and c.event >= 0)
            or (lab["type"] == "cohort" and c.g == lab["cohort"] and c.event >= 0)
            or (lab["type"] == "event" and c.event == lab["event_time"])
        ]
        rows = np.unique(np.concatenate([c.rows for c in cells]))
        out.append(int((w[rows] > 0).sum()))
    return out


# --------------------------------------------------------------------------- variance
def _is_replicate(design: Design) -> bool:
    return isinstance(design, ReplicateDesign)


def _linear(design: Design) -> SurveyDesign:
    """``design`` as a linearisation design (the only other kind is a replicate design)."""
    if not isinstance(design, SurveyDesign):
        raise TypeError(f"a SurveyDesign or ReplicateDesign is needed, not {type(design)}")
    return design


def _replicate(design: Design) -> ReplicateDesign:
    if not isinstance(design, ReplicateDesign):
        raise TypeError(f"a ReplicateDesign is needed, not {type(design)}")
    return design


def _used_df(design: Design, used: np.ndarray) -> float:
    if _is_replicate(design):
        return float(design.degf)
    design = _linear(design)
    st = design.structure.stages[0]
    n_psu = len(np.unique(st.unit[used]))
    n_strata = len(np.unique(design.structure.stratum_of_row[used]))
    return float(n_psu - n_strata)


def _unit_totals(design: Design, z: np.ndarray) -> np.ndarray:
    """The influence values ``z`` after the design's calibration adjustments, summed to the
    units of the finest stage: the one pass over the respondents that both the covariance
    (:func:`_linearised`) and the band's multiplier bootstrap (:func:`_band_crit`) use."""
    from trustsurvey.design.variance import adjusted_unit_totals

    lin = _linear(design)
    return np.asarray(adjusted_unit_totals(lin.structure, z, lin.calibration))


def _linearised(design: Design, totals: np.ndarray) -> np.ndarray:
    """R's ``svyrecvar`` from :func:`_unit_totals` (as ``Design.influence_covariance``)."""
    from trustsurvey.design.variance import covariance_from_totals

    return np.asarray(covariance_from_totals(_linear(design).structure, totals))


def _psu_totals(design: Design, totals: np.ndarray) -> np.ndarray:
    """:func:`_unit_totals` summed up to the first-stage units (PSUs)."""
    stages = _linear(design).structure.stages
    for st in stages[-2::-1]:  # from the finest stage up, as the covariance does
        totals = np.asarray(st.parent_indicator @ totals)
    return totals


def _replicated(design: Design, p: Problem, full: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Covariance from re-estimating with every replicate weight set; and the replicates."""
    reps = _replicate(design).replicate_weights().to_numpy(dtype=float)
    reps = reps * (np.asarray(design.weights, dtype=float) > 0)[:, None]
    thetas = np.vstack([_fit(p, reps[:, r], scores=False).estimates for r in range(reps.shape[1])])
    return replicate_covariance(design, thetas, full), thetas


def replicate_covariance(design: Design, thetas: np.ndarray, full: np.ndarray) -> np.ndarray:
    """R's ``svrVar``: ``scale * sum_r rscales_r (theta_r - centre)(theta_r - centre)'``,
    centred on the replicates' mean, or on the full-sample estimate with ``mse=True``."""
    rep = _replicate(design)
    rscales: np.ndarray = np.asarray(rep.rscales, dtype=np.float64)
    centre = full if rep.mse else thetas[rscales > 0].mean(axis=0)
    dev = (thetas - centre) * np.sqrt(rscales)[:, None]
    return np.asarray(float(rep.scale) * dev.T @ dev)


def _band_crit(
    design: Design,
    totals: np.ndarray | None,
    cov: np.ndarray,
    se: np.ndarray,
    level: float,
    draws: int,
    seed: int,
) -> float:
    """Sup-t critical value over the columns (see the module docstring)."""
    ok = np.isfinite(se) & (se > 0)
    if not ok.any():
        return float("nan")
    rng = np.random.default_rng(seed)
    if totals is None:  # replicate design: Gaussian draws with the replicate covariance
        c = cov[np.ix_(ok, ok)]
        vals, vecs = np.linalg.eigh(c)
        root = vecs * np.sqrt(np.clip(vals, 0, None))
        sims = rng.standard_normal((draws, root.shape[0])) @ root.T
    else:
        st = _linear(design).structure.stages[0]
        psu = _psu_totals(design, totals[:, ok])
        sums = np.asarray(st.strata_indicator @ psu)
        centred = psu - sums[st.unit_stratum] / st.n_sampled[st.unit_stratum, None]
        if not st.centre.all():
            keep = st.centre[st.unit_stratum]
            centred = np.where(keep[:, None], centred, psu)
        centred *= np.sqrt(st.coef)[:, None]
        v = rng.choice([-1.0, 1.0], size=(draws, st.n_units))
        sims = v @ centred
    return float(np.quantile(np.max(np.abs(sims) / se[ok], axis=1), level))


# --------------------------------------------------------------------------- public
def did_staggered(
    design: Design,
    outcome: str,
    *,
    cohort: str,
    wave: str,
    community: str | None = None,
    control: str = "never",
    covariates: Sequence[str] | None = None,
    method: str = "dr",
    level: float = 0.95,
    band_draws: int = 999,
    seed: int = 20260101,
    base_period: str = "varying",
) -> pd.DataFrame:
    """Group-time, overall, cohort and event-study effects of a staggered roll-out.

    Parameters
    ----------
    design : SurveyDesign or ReplicateDesign
        The full design of all waves stacked (a subset design restricts the domain).
    outcome : str
        Numeric outcome (an item, an index, a 0/1 indicator).
    cohort : str
        First treated wave of the respondent's community (a wave code); 0 or missing for
        never-treated communities; a code after the last wave counts as never treated.
    wave : str
        Wave column (sortable codes).
    community : str, optional
        Community column: checked to have one cohort per community.
    control : {"never", "notyet"}
        Comparison group: never-treated communities, or those not yet treated by the later
        of the two waves compared (R's ``control_group = "notyettreated"``).
    covariates : list of str, optional
        Respondent covariates (numeric linearly; ``C(x)`` or text as dummies) for the
        propensity score and outcome regressions.
    method : {"dr", "reg", "ipw"}
        Doubly robust (R's ``est_method = "dr"``), outcome regression, or IPW.
    level : float
        Confidence level of the intervals and of the event-study band.
    band_draws, seed
        Multiplier draws and seed of the sup-t band.
    base_period : {"varying", "universal"}
        Pre-treatment cells compare a wave with the previous one (R's default) or with the
        wave before adoption (``"universal"``: event time -1 is the reference, estimate 0
        with NaN SE; use it for pre-trend sensitivity, :mod:`~trustsurvey.analysis.honest`).

    Returns
    -------
    DataFrame
        One row per estimate, columns ``type`` ("group_time", "overall", "cohort",
        "event"), ``cohort``, ``wave``, ``event_time``, ``estimate``, ``se``, ``ci_low``,
        ``ci_high``, ``band_low``, ``band_high`` (event rows only), ``df``, ``n``
        (respondents used), then ``p`` (two-sided t test of zero) and ``base_wave`` (the
        wave each group-time cell is compared with). NaN where not applicable.

    Raises
    ------
    AnalysisError
        No never-treated community with ``control="never"``; a cohort treated in the first
        wave; fewer than 2 PSUs beyond the strata; a cohort that is not a wave; a cohort
        that varies within a community; a cell whose models cannot be fitted.

    Notes
    -----
    Rows with a missing outcome, wave or covariate get zero influence (the design stays
    whole, as R's ``svyglm`` with ``na.omit``). Equivalent R (point estimates):
    ``att_gt(yname, tname, idname = NULL, gname, data, panel = FALSE, weightsname,
    control_group, est_method)`` then ``aggte(type = "simple" | "group" | "dynamic")``.
    See the module docstring for the variance and the band.
    """
    return staggered_effects(
        design,
        outcome,
        cohort=cohort,
        wave=wave,
        community=community,
        control=control,
        covariates=covariates,
        method=method,
        level=level,
        band_draws=band_draws,
        seed=seed,
        base_period=base_period,
    ).table


def staggered_effects(
    design: Design,
    outcome: str,
    *,
    cohort: str,
    wave: str,
    community: str | None = None,
    control: str = "never",
    covariates: Sequence[str] | None = None,
    method: str = "dr",
    level: float = 0.95,
    band_draws: int = 999,
    seed: int = 20260101,
    base_period: str = "varying",
) -> StaggeredResult:
    """:func:`did_staggered`'s table with the covariance of its estimates and the band's
    critical value (arguments as :func:`did_staggered`)."""
    p = _problem(design, outcome, cohort, wave, community, control, covariates, method, base_period)
    fit = _fit(p, _weights(design), scores=not _is_replicate(design))
    df = _used_df(design, p.used)
    if df < MIN_DF:
        raise _fail(
            f"too few PSUs for a design-based variance: {df:g} degrees of freedom "
            f"(PSUs minus strata among the respondents used), at least {MIN_DF} needed",
            [cohort, wave],
            "survey more communities, or use wild_bootstrap_did / randomisation_inference, "
            "which are made for few treated communities",
        )
    totals = None if fit.scores is None else _unit_totals(design, fit.scores)
    if totals is not None:
        cov = _linearised(design, totals)
    else:
        cov, _ = _replicated(design, p, fit.estimates)
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    se[fit.labels["reference"].to_numpy(dtype=bool)] = np.nan
    est = fit.estimates
    q = float(stats.t.ppf(1 - (1 - level) / 2, df))
    out = fit.labels.copy()
    out["estimate"] = est
    out["se"] = se
    out["ci_low"] = est - q * se
    out["ci_high"] = est + q * se
    with np.errstate(divide="ignore", invalid="ignore"):
        out["p"] = 2 * stats.t.sf(np.abs(est / se), df)
    out["df"] = df
    ev = (out["type"] == "event").to_numpy()
    crit = _band_crit(
        design,
        None if totals is None else totals[:, ev],
        cov[np.ix_(ev, ev)],
        se[ev],
        level,
        band_draws,
        seed,
    )
    out["band_low"] = np.where(ev, est - crit * se, np.nan)
    out["band_high"] = np.where(ev, est + crit * se, np.nan)
    for col in ("wave", "base_wave"):
        codes = [p.waves[int(i)] if i >= 0 else np.nan for i in fit.labels[col]]
        out[col] = pd.Series(codes, index=out.index, dtype=object)
    for col in ("cohort", "event_time", "n"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    extra = [c for c in ("p", "base_wave") if c in out.columns]
    out = out.reindex(columns=[*COLUMNS, *extra])
    return StaggeredResult(table=out, cov=cov, band_crit=crit)
