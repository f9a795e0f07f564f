"""The sampling structure of a design: stages, strata, units, finite population corrections.

Everything is factorised once into integer codes so that estimators only ever do grouped sums
(``np.bincount``) and small dense algebra on unit totals.

The construction follows R's ``svydesign`` (Lumley, ``survey`` package, ``R/survey.R``):

* stage ``s`` clusters are nested in stage ``s-1`` clusters (R's ``interaction(ids[, 1:s])``);
* with ``nest=True`` stage-1 clusters are nested in strata;
* the strata of stage ``s > 1`` are ``(strata column, parent unit)`` (R: ``interaction(strata,
  ids[, s-1])``);
* ``fpc`` per stage as population counts (values > 1) or sampling fractions (values <= 1); the
  population size of a stage stratum is ``N_h`` and its sample size ``n_h`` (distinct units);
* the multistage variance (``survey.ultimate.cluster=FALSE``) is the sum over stages ``s`` of
  ``prod_{t<s}(n_t/N_t) * (1 - n_h/N_h) * n_h/(n_h-1) * sum_u (T_u - mean_h T)^2`` over the
  stage-``s`` strata ``h`` (Särndal, Swensson & Wretman 1992, result 4.3.1; R's ``multistage``).

>>> import pandas as pd
>>> df = pd.DataFrame({"psu": [1, 1, 2, 2, 3, 3], "w": [2.0] * 6})
>>> s = build_structure(df, ids=["psu"], strata=None, fpc=None, nest=False, lonely_psu="fail")
>>> s.degf, s.stages[0].n_units
(2, 3)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from trustsurvey.design.rows import row_ref
from trustsurvey.errors import DesignError

if TYPE_CHECKING:
    from trustsurvey.design.pps import JointVariance, StratumJointVariance

LONELY_OPTIONS = ("fail", "adjust", "average", "certainty", "remove")


@dataclass(frozen=True)
class Stage:
    """One sampling stage, factorised.

    Attributes
    ----------
    unit
        ``(n,)`` code of each row's unit at this stage (unique across the whole design).
    n_units
        Number of sampled units at this stage.
    unit_stratum
        ``(n_units,)`` code of the stage stratum each unit belongs to.
    n_strata
        Number of strata at this stage.
    n_sampled
        ``(n_strata,)`` number of sampled units per stratum (``n_h``).
    popsize
        ``(n_strata,)`` population number of units per stratum (``N_h``; ``inf`` if unknown).
    stratum_parent
        ``(n_strata,)`` code of the previous stage's unit that contains the stratum (or -1).
    coef_by_stratum
        ``(n_strata,)`` variance coefficient of the squared deviations of a stratum's units:
        ``multiplier_h * (1 - n_h/N_h) * n_h/(n_h - 1)``, with the lonely-PSU rule applied.
    centre
        ``(n_strata,)`` whether the totals of a stratum are centred on the stratum mean
        (``False`` only for a lonely unit with ``lonely_psu="adjust"``).
    lonely
        ``(n_strata,)`` strata with a single sampled unit that still carry variance.
    child_parent
        ``(n_units of the next stage,)`` code of this stage's unit containing each unit of the
        next stage (``None`` at the finest stage).
    unit_is_row
        Every row is its own unit and ``unit`` is ``0..n-1`` (e.g. ``ids=None``).
    unit_coef
        ``(n_units,)`` variance coefficient of each unit when it differs within a stratum
        (PPS with Brewer's approximation: ``multiplier (1 - pi_u) n_h/(n_h - 1)``, R's
        ``svydesign(pps="brewer")``); ``None`` when :attr:`coef_by_stratum` says it all.
    unit_prob
        ``(n_units,)`` inclusion probability of each unit of a PPS stage (``None`` otherwise).
    """

    unit: np.ndarray
    n_units: int
    unit_stratum: np.ndarray
    n_strata: int
    n_sampled: np.ndarray
    popsize: np.ndarray
    stratum_parent: np.ndarray
    coef_by_stratum: np.ndarray = field(repr=False)
    centre: np.ndarray = field(repr=False)
    lonely: np.ndarray = field(repr=False)
    stratum_labels: list = field(repr=False, default_factory=list)
    child_parent: np.ndarray | None = field(repr=False, default=None)
    unit_is_row: bool = False
    unit_coef: np.ndarray | None = field(repr=False, default=None)
    unit_prob: np.ndarray | None = field(repr=False, default=None)

    # the per-unit and indicator views are built on first use only: a respondent-level design
    # (ids=None) of a million rows never needs them for means, totals or raking
    @cached_property
    def coef(self) -> np.ndarray:
        """``(n_units,)`` variance coefficient of each unit (``coef_by_stratum[unit_stratum]``,
        or :attr:`unit_coef` of a PPS stage)."""
        if self.unit_coef is not None:
            return self.unit_coef
        return self.coef_by_stratum[self.unit_stratum]

    @cached_property
    def strata_indicator(self) -> sp.csr_matrix:
        """``(n_strata, n_units)`` 0/1 matrix: stratum sums of unit totals."""
        k = self.n_units
        return sp.csr_matrix(
            (np.ones(k), (self.unit_stratum, np.arange(k))), shape=(self.n_strata, k)
        )

    @cached_property
    def parent_indicator(self) -> sp.csr_matrix | None:
        """``(n_units, n_units of the next stage)``: sums of the next stage's unit totals."""
        if self.child_parent is None:
            return None
        k = len(self.child_parent)
        return sp.csr_matrix(
            (np.ones(k), (self.child_parent, np.arange(k))), shape=(self.n_units, k)
        )

    @cached_property
    def row_indicator(self) -> sp.csr_matrix:
        """``(n_units, n)`` 0/1 matrix: unit totals of row-level values."""
        n = len(self.unit)
        return sp.csr_matrix((np.ones(n), (self.unit, np.arange(n))), shape=(self.n_units, n))


@dataclass(frozen=True)
class DesignStructure:
    """All stages of a design used for the variance, plus the design degrees of freedom."""

    stages: tuple[Stage, ...]
    n: int
    has_strata: bool
    degf: int
    lonely_psu: str
    has_fpc: bool
    stratum_of_row: np.ndarray = field(repr=False)  # stage-1 stratum code per row
    sampling_weights_from_fpc: np.ndarray | None = field(repr=False, default=None)
    adjust_domain_lonely: bool = False
    #: ``None``, ``"brewer"`` or the name of a joint-probability method (``"overton"``,
    #: ``"hartley-rao"``, ``"joint"``): see :mod:`trustsurvey.design.pps`
    pps: str | None = None
    #: the Horvitz-Thompson (or Yates-Grundy) quadratic form of a PPS design given by its
    #: (approximate) joint inclusion probabilities; replaces the stage-wise formula
    joint: JointVariance | StratumJointVariance | None = field(repr=False, default=None)

    @property
    def finest(self) -> Stage:
        return self.stages[-1]


def sorted_codes(values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dense codes ``0..k-1`` in sorted order of the values, and the sorted distinct values.

    Non-negative integers in a compact range (at most ``4n + 1024``) go through a lookup table
    (one ``np.bincount``, linear time); anything else through ``pd.factorize(sort=True)``.

    >>> sorted_codes(np.array([7, 3, 7, 5]))[0].tolist()
    [2, 0, 2, 1]
    """
    arr = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    if arr.dtype.kind in "iu" and arr.ndim == 1 and len(arr):
        lo, hi = int(arr.min()), int(arr.max())
        if lo >= 0 and hi <= 4 * len(arr) + 1024:
            seen = np.bincount(arr, minlength=hi + 1) > 0
            uniq = np.flatnonzero(seen)
            lut = np.zeros(hi + 1, dtype=np.int64)
            lut[uniq] = np.arange(len(uniq))
            return lut[arr], uniq.astype(arr.dtype, copy=False)
    codes, uniques = pd.factorize(pd.Series(values), sort=True)
    return codes.astype(np.int64, copy=False), np.asarray(uniques)


def _codes(values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return sorted_codes(values)


def _combine(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, int]:
    """Codes of the pairs (a, b), dense 0..k-1."""
    if not a.any():  # a constant: b's codes are already dense 0..k-1
        return b, int(b.max(initial=-1)) + 1
    key = a * (int(b.max(initial=0)) + 1) + b
    codes, uniques = sorted_codes(key)
    return codes, len(uniques)


def _first_per_group(codes: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    out = np.empty(k, dtype=values.dtype)
    out[codes[::-1]] = values[::-1]
    return out


def build_structure(
    data: pd.DataFrame,
    *,
    ids: list[str | None],
    strata: list[str] | None,
    fpc: list[str | None] | None,
    nest: bool,
    lonely_psu: str,
    adjust_domain_lonely: bool = False,
    pps: str | None = None,
) -> DesignStructure:
    """Factorise the design columns of ``data`` into a :class:`DesignStructure`.

    ``ids`` has one entry per stage (``None`` = every row its own unit); ``strata`` one column
    per stage or a single column used for every stage; ``fpc`` one column (or ``None``) per
    stage. Raises :class:`DesignError` on missing ids/strata/fpc, PSUs not nested in strata
    without ``nest=True``, fpc smaller than the sample, or a lonely PSU with ``"fail"``.

    ``pps`` (``"brewer"`` or a joint-probability method, see :mod:`trustsurvey.design.pps`):
    the fpc are the inclusion probabilities of each unit (constant within a unit, free within
    a stratum), as R's ``svydesign(pps=)``. Brewer's approximation gives unit ``u`` of
    stratum ``h`` the coefficient ``(1 - pi_u) n_h/(n_h - 1)`` and the next stage the
    multiplier ``pi_u``; a joint-probability design has a single stage and no lonely-PSU
    rule (its variance is the quadratic form of :class:`~trustsurvey.design.pps.JointVariance`).
    """
    n = len(data)
    if n == 0:
        raise DesignError("the data have no rows", hint="pass a data frame with respondents")
    if lonely_psu not in LONELY_OPTIONS:
        raise DesignError(
            f"unknown lonely_psu={lonely_psu!r}",
            item="lonely_psu",
            hint=f"use one of {', '.join(LONELY_OPTIONS)}",
        )
    n_stages = len(ids)
    joint_pps = pps is not None and pps != "brewer"
    if joint_pps and n_stages > 1:
        raise DesignError(
            f"pps={pps!r} has a single sampling stage, but ids name {n_stages}",
            item="ids",
            hint="give the PSU column only, or use pps='brewer' for several stages",
        )
    # --- raw codes per stage -------------------------------------------------------------
    raw_ids: list[np.ndarray] = []
    for col in ids:
        if col is None:
            raw_ids.append(np.arange(n, dtype=np.int64))
        else:
            raw_ids.append(_codes(_checked_column(data, col, "cluster id"))[0])
    has_strata = strata is not None and len(strata) > 0
    strata_cols = strata or []
    raw_strata: list[np.ndarray] = []
    labels_strata: list[np.ndarray] = []
    for col in strata_cols:
        c, u = _codes(_checked_column(data, col, "stratum"))
        raw_strata.append(c)
        labels_strata.append(u)
    if not raw_strata:
        raw_strata = [np.zeros(n, dtype=np.int64)]
        labels_strata = [np.array(["(all)"], dtype=object)]

    # stage-1 units: nested in strata if asked
    s1 = raw_strata[0]
    if ids[0] is None and not (nest and has_strata):  # every row its own PSU, in row order
        unit1, n1 = raw_ids[0], n
    elif nest and has_strata:
        unit1, n1 = _combine(s1, raw_ids[0])
    else:
        unit1, n1 = _combine(np.zeros(n, dtype=np.int64), raw_ids[0])
        if has_strata:
            # every PSU must lie in one stratum (R's check.strata)
            pairs, n_pairs = _combine(unit1, s1)
            pair_unit = np.empty(n_pairs, dtype=np.int64)
            pair_unit[pairs] = unit1
            per_psu = np.bincount(pair_unit, minlength=n1)
            bad_psu = np.flatnonzero(per_psu > 1)
            if len(bad_psu):
                rows = np.isin(unit1, bad_psu)
                raise DesignError(
                    f"cluster ids of {ids[0]!r} are repeated across strata of "
                    f"{strata_cols[0]!r} ({len(bad_psu)} PSU ids in more than one stratum)",
                    item=ids[0],
                    row=row_ref(data.index, rows),
                    hint="pass nest=True if PSU ids are only unique within strata",
                )
    if n1 == 1 and not (nest and has_strata):
        raise DesignError(
            "the design has only one primary sampling unit, so no variance can be estimated",
            item=ids[0] or "ids",
            hint="check the cluster id column, or use ids=None for individuals",
        )

    units = [unit1]
    n_units = [n1]
    for s in range(1, n_stages):
        prev = units[-1]
        if nest and has_strata:
            st = raw_strata[min(s, len(raw_strata) - 1)]
            base, _ = _combine(prev, st)
        else:
            base = prev
        u, k = _combine(base, raw_ids[s])
        units.append(u)
        n_units.append(k)

    # a stage whose units are the rows themselves, coded 0..n-1 (ids=None without nesting)
    unit_is_row = [
        (u is raw and col is None) or (k == n and bool(np.array_equal(u, np.arange(n))))
        for u, k, raw, col in zip(units, n_units, raw_ids, ids, strict=True)
    ]

    # stage strata codes (per row) and their labels for messages
    stage_strata: list[np.ndarray] = [s1]
    for s in range(1, n_stages):
        st = raw_strata[min(s, len(raw_strata) - 1)]
        c, _ = _combine(st, units[s - 1])
        stage_strata.append(c)

    # fpc per stage
    fpc_cols = list(fpc) if fpc is not None else []
    has_fpc = any(c is not None for c in fpc_cols)
    if len(fpc_cols) > n_stages:
        raise DesignError(
            f"fpc names {len(fpc_cols)} stages but ids name {n_stages}",
            item="fpc",
            hint="give one fpc column per sampling stage",
        )
    fpc_values: list[np.ndarray | None] = []
    all_vals = []
    for s in range(n_stages):
        col = fpc_cols[s] if s < len(fpc_cols) else None
        if col is None:
            fpc_values.append(None)
            continue
        v = pd.to_numeric(_checked_column(data, col, "fpc"), errors="coerce").to_numpy(float)
        bad = ~np.isfinite(v) | (v <= 0)
        if bad.any():
            raise DesignError(
                f"fpc column {col!r} has missing, zero, negative or infinite values",
                item=col,
                row=row_ref(data.index, bad),
                hint="give population counts (> 1) or sampling fractions (0 < f <= 1)",
            )
        if pps is not None and (v > 1).any():
            raise DesignError(
                f"fpc column {col!r} must hold inclusion probabilities in (0, 1] with pps={pps!r}",
                item=col,
                row=row_ref(data.index, v > 1),
                hint="give each unit's probability of selection (R's svydesign(pps=) takes "
                "fpc as probabilities), not the population count",
            )
        fpc_values.append(v)
        all_vals.append(v)
    is_popsize = bool(all_vals) and any((v > 1).any() for v in all_vals)
    if is_popsize and any((v < 1).any() for v in all_vals):
        raise DesignError(
            "fpc mixes population counts (> 1) and sampling fractions (< 1)",
            item=[c for c in fpc_cols if c is not None],
            hint="give all fpc as counts or all as fractions",
        )

    stages: list[Stage] = []
    multiplier_prev: np.ndarray | None = None  # per unit of previous stage
    unit_probs: list[np.ndarray | None] = []
    weights_from_fpc = np.ones(n) if has_fpc else None
    for s in range(n_stages):
        row_stratum = stage_strata[s]
        unit = units[s]
        k = n_units[s]
        unit_stratum = row_stratum if unit_is_row[s] else _first_per_group(unit, row_stratum, k)
        if s == 0 and not has_strata:  # one stratum holding every first-stage unit
            n_strata, n_sampled = 1, np.array([float(k)])
        else:
            n_strata = int(row_stratum.max()) + 1
            n_sampled = np.bincount(unit_stratum, minlength=n_strata).astype(float)
        unit_prob: np.ndarray | None = None
        if fpc_values[s] is not None and pps is not None:
            v = fpc_values[s]
            unit_prob = _unit_probabilities(data, v, unit, k, fpc_cols[s], s)
            popsize = np.full(n_strata, np.inf)
            if weights_from_fpc is not None:
                weights_from_fpc = weights_from_fpc / v
        elif fpc_values[s] is not None:
            v = fpc_values[s]
            col = fpc_cols[s]
            vmin = np.full(n_strata, np.inf)
            vmax = np.full(n_strata, -np.inf)
            np.minimum.at(vmin, row_stratum, v)
            np.maximum.at(vmax, row_stratum, v)
            varies = ~np.isclose(vmin, vmax, rtol=1e-12, atol=0)
            if varies.any():
                raise DesignError(
                    f"fpc column {col!r} varies within a stratum at stage {s + 1}",
                    item=col,
                    row=row_ref(data.index, np.isin(row_stratum, np.flatnonzero(varies))),
                    hint="the fpc must be constant within each stratum (one N_h per stratum)",
                )
            popsize = vmin.copy() if is_popsize else n_sampled / vmin
            small = popsize < n_sampled * (1 - 1e-12)
            if small.any():
                raise DesignError(
                    f"fpc column {col!r} implies a population smaller than the sample at "
                    f"stage {s + 1} ({int(small.sum())} strata)",
                    item=col,
                    row=row_ref(data.index, np.isin(row_stratum, np.flatnonzero(small))),
                    hint="fpc must be the population number of units in the stratum "
                    "(>= the number sampled) or the sampling fraction",
                )
            if weights_from_fpc is not None:
                weights_from_fpc = weights_from_fpc * (popsize / n_sampled)[row_stratum]
        else:
            popsize = np.full(n_strata, np.inf)
        # f = 1 - n/N (R: (fpc - nPSU)/fpc), 1 if unknown
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.where(np.isfinite(popsize), (popsize - n_sampled) / popsize, 1.0)
        f = np.where(f < 1e-7, 0.0, f)
        f_unit: np.ndarray | None = None
        if unit_prob is not None:  # R's onestrat: f = (N - n)/N with N = n / pi per unit
            n_u = n_sampled[unit_stratum]
            pop_u = n_u / unit_prob
            f_raw = (pop_u - n_u) / pop_u
            f_max = np.full(n_strata, -np.inf)
            np.maximum.at(f_max, unit_stratum, f_raw)
            f_unit = np.where((f_max < 1e-7)[unit_stratum], 0.0, f_raw)  # all certainty
            f = np.where(f_max < 1e-7, 0.0, f_max)
        # multiplier of a stage stratum: product of sampling fractions of its ancestors
        if s == 0:
            stratum_parent = np.full(n_strata, -1, dtype=np.int64)
            mult = np.ones(n_strata)
        else:
            stratum_parent = _first_per_group(row_stratum, units[s - 1], n_strata)
            assert multiplier_prev is not None
            mult = multiplier_prev[stratum_parent]
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(n_sampled > 1, f * n_sampled / (n_sampled - 1), f)
        lonely = (n_sampled == 1) & (f > 0)
        centre = np.ones(n_strata, dtype=bool)
        coef_h = mult * scale
        if joint_pps:  # the quadratic form of the joint probabilities needs no lonely rule
            lonely = np.zeros(n_strata, dtype=bool)
        if lonely.any():
            label_src = labels_strata[0] if s == 0 else None
            if lonely_psu == "fail":
                names = (
                    [str(label_src[i]) for i in np.flatnonzero(lonely)]
                    if label_src is not None and has_strata
                    else [str(i) for i in np.flatnonzero(lonely)]
                )
                many = len(names) > 1
                what = (
                    ("strata" if many else "stratum")
                    if s == 0
                    else (
                        f"stage-{s + 1} strata (within PSUs)" if many else f"stage-{s + 1} stratum"
                    )
                )
                raise DesignError(
                    f"{what} {', '.join(names[:10])} {'have' if many else 'has'} only one PSU "
                    f"at stage {s + 1}, so {'their' if many else 'its'} variance cannot be "
                    "estimated",
                    item=strata_cols[0] if (s == 0 and has_strata) else ids[s] or "ids",
                    row=row_ref(data.index, np.isin(row_stratum, np.flatnonzero(lonely))),
                    hint="merge the stratum with a similar one, or choose lonely_psu="
                    "'adjust', 'average', 'certainty' or 'remove'",
                )
            if lonely_psu in ("certainty", "remove"):
                coef_h = np.where(lonely, 0.0, coef_h)
            elif lonely_psu == "adjust":
                centre = ~lonely
            elif lonely_psu == "average":
                coef_h = np.where(lonely, 0.0, coef_h)
                # scale the others by (strata in the group) / (strata not lonely) as R's
                # onestage(): the group is the whole design at stage 1, the parent unit after
                # at stage 1 this factor depends on the strata present in each estimate's
                # domain and is applied by the variance routine (domain_lonely)
                if s > 0:
                    group = stratum_parent
                    g_all = np.bincount(group, minlength=group.max() + 1).astype(float)
                    g_ok = np.bincount(group, weights=~lonely, minlength=group.max() + 1)
                    with np.errstate(divide="ignore", invalid="ignore"):
                        factor = np.where(g_ok > 0, g_all / g_ok, 0.0)
                    coef_h = coef_h * factor[group]
        unit_coef: np.ndarray | None = None
        if f_unit is not None and unit_prob is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                n_u = n_sampled[unit_stratum]
                scale_u = np.where(n_u > 1, f_unit * n_u / (n_u - 1), f_unit)
            # the stratum coefficient carries the lonely-PSU rule; the unit its own (1 - pi)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(scale > 0, coef_h / np.where(scale > 0, scale, 1.0), 0.0)
            unit_coef = ratio[unit_stratum] * scale_u
        # next stage multiplier per unit of this stage: mult_h * n_h / N_h (pi_u with PPS)
        frac = np.where(np.isfinite(popsize), n_sampled / popsize, 0.0)
        stages.append(
            Stage(
                unit=unit,
                n_units=k,
                unit_stratum=unit_stratum,
                n_strata=n_strata,
                n_sampled=n_sampled,
                popsize=popsize,
                stratum_parent=stratum_parent,
                coef_by_stratum=coef_h,
                centre=centre,
                lonely=lonely,
                stratum_labels=list(labels_strata[0]) if s == 0 else [],
                unit_is_row=unit_is_row[s],
                unit_coef=unit_coef,
                unit_prob=unit_prob,
            )
        )
        unit_probs.append(unit_prob)
        if unit_prob is not None:
            multiplier_prev = mult[unit_stratum] * unit_prob
            continue
        # later stages only matter when this stage samples a fraction of a known population
        if not has_fpc or not np.any(frac > 0):
            break
        multiplier_prev = (mult * frac)[unit_stratum]

    # each stage's link to the next: the code of its unit containing each next-stage unit
    linked = [
        replace(st, child_parent=_first_per_group(nxt.unit, st.unit, nxt.n_units))
        for st, nxt in pairwise(stages)
    ]
    linked.append(stages[-1])
    first = linked[0]
    degf = int(first.n_units - first.n_strata)
    return DesignStructure(
        stages=tuple(linked),
        n=n,
        has_strata=has_strata,
        degf=degf,
        lonely_psu=lonely_psu,
        has_fpc=has_fpc,
        stratum_of_row=stage_strata[0],
        sampling_weights_from_fpc=weights_from_fpc,
        adjust_domain_lonely=adjust_domain_lonely,
        pps=pps,
    )


def _unit_probabilities(
    data: pd.DataFrame, v: np.ndarray, unit: np.ndarray, k: int, col: str | None, s: int
) -> np.ndarray:
    """The inclusion probability of each unit of a PPS stage: the fpc, constant in a unit."""
    lo = np.full(k, np.inf)
    hi = np.full(k, -np.inf)
    np.minimum.at(lo, unit, v)
    np.maximum.at(hi, unit, v)
    varies = ~np.isclose(lo, hi, rtol=1e-12, atol=0)
    if varies.any():
        raise DesignError(
            f"fpc column {col!r} varies within a sampling unit at stage {s + 1}",
            item=col,
            row=row_ref(data.index, np.isin(unit, np.flatnonzero(varies))),
            hint="the inclusion probability belongs to the unit: give every row of a PSU "
            "the same value",
        )
    return lo


def _checked_column(data: pd.DataFrame, col: str, role: str) -> pd.Series:
    if col not in data.columns:
        raise DesignError(
            f"{role} column {col!r} is not in the data",
            item=col,
            hint=f"check the spelling; columns are: {', '.join(map(str, data.columns[:20]))}",
        )
    values = data[col]
    missing = values.isna().to_numpy()
    if missing.any():
        raise DesignError(
            f"{role} column {col!r} has {int(missing.sum())} missing values",
            item=col,
            row=row_ref(data.index, missing),
            hint=f"every respondent needs a {role}; fill or remove those rows explicitly",
        )
    return values
