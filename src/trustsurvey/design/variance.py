"""Taylor-linearisation variance: one routine for every estimator.

Every estimator reduces to *weighted influence values* (``scores``): an ``n x k`` matrix, rows
in data order, zero outside the estimate's domain. :func:`design_covariance` turns it into the
``k x k`` covariance, as R's ``svyrecvar`` (Lumley 2010, ch. 2 and appendix; Särndal, Swensson
& Wretman 1992, result 4.3.1 for the multistage formula):

1. **calibration hook** — each adjustment in ``adjustments`` (objects with
   ``adjust(scores) -> scores``) is applied in order to the row-level scores. This is where a
   calibrated design replaces the scores by calibration residuals: post-stratum mean removal,
   raking sweeps, GREG ``qr.resid`` (R: the ``postStrata`` argument of ``svyrecvar``);
2. scores are summed to the units of the finest stage used (``row_indicator @ scores``);
3. :func:`covariance_from_totals` does the stage-wise aggregation: at each stage the unit
   totals are centred on their stratum mean and weighted by the stratum coefficient
   ``prod_{t<s}(n_t/N_t) (1 - n_h/N_h) n_h/(n_h - 1)`` (lonely-PSU rules included), then summed.

Estimators that do not need the row-level scores (no calibration) compute unit totals directly
with ``np.bincount`` and call :func:`covariance_from_totals`; both paths give the same numbers.

>>> import numpy as np, pandas as pd
>>> from trustsurvey.design.structure import build_structure
>>> df = pd.DataFrame({"psu": [1, 1, 2, 2, 3, 3]})
>>> s = build_structure(df, ids=["psu"], strata=None, fpc=None, nest=False, lonely_psu="fail")
>>> z = np.array([[1.0], [1.0], [-1.0], [0.0], [0.0], [-1.0]])
>>> round(float(design_covariance(s, z)[0, 0]), 9)  # PSU totals 2, -1, -1: 3/2 * 6
9.0
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from trustsurvey.design.structure import DesignStructure


@runtime_checkable
class InfluenceAdjustment(Protocol):
    """A calibration adjustment of the weighted influence values.

    ``adjust`` receives the ``n x k`` score matrix (rows in data order, already multiplied by
    the design weights) and returns a matrix of the same shape, e.g. the residuals of the
    scores on the calibration variables. Adjustments are applied in order, before the
    stage-wise aggregation, and must treat each column on its own (the engine may pass
    blocks of columns to bound memory).
    """

    def adjust(self, scores: np.ndarray) -> np.ndarray:  # pragma: no cover - protocol
        ...


def adjusted_unit_totals(
    structure: DesignStructure, scores: np.ndarray, adjustments: Sequence[InfluenceAdjustment]
) -> np.ndarray:
    """Apply the calibration adjustments to row-level scores and sum them to units.

    Adjustments must act on each column separately (all of R's calibrations do: residuals
    of every column on the calibration model), because the engine may hand them blocks of
    columns to bound memory.
    """
    z = np.asarray(scores, dtype=float)
    for adj in adjustments:
        z = np.asarray(adj.adjust(z), dtype=float)
    return unit_totals(structure, z)


def unit_totals(structure: DesignStructure, scores: np.ndarray) -> np.ndarray:
    """Sum row-level scores (``n x k``) to the units of the finest variance stage."""
    finest = structure.finest
    if finest.unit_is_row:  # every row its own unit, in row order: nothing to sum
        return np.asarray(scores, dtype=float)
    return np.asarray(finest.row_indicator @ scores)


def domain_lonely(
    structure: DesignStructure, ok: np.ndarray, codes: np.ndarray, n_groups: int
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Per-domain lonely-PSU bookkeeping at the first stage: ``(factors, single)``.

    * ``factors`` (``n_groups``) for ``lonely_psu="average"``: R's ``onestage`` scales the
      first-stage variance by ``nstrat / nokstrat`` counted over the strata that have rows in
      the (sub)design, so each domain gets its own factor;
    * ``single`` (``n_strata x n_groups``) with ``adjust_domain_lonely=True`` (R's
      ``options(survey.adjust.domain.lonely=TRUE)``): strata with several PSUs in the design
      but a single one in the domain, which ``"adjust"`` does not centre and ``"average"``
      leaves out.

    ``ok`` marks the rows that count, ``codes`` their domain (0..n_groups-1). ``None`` when not
    needed.
    """
    st = structure.stages[0]
    lonely_psu = structure.lonely_psu
    single = None
    if structure.adjust_domain_lonely and lonely_psu in ("adjust", "average"):
        pairs = np.unique(st.unit[ok] * n_groups + codes[ok])
        unit_of, dom_of = pairs // n_groups, pairs % n_groups
        counts = np.bincount(
            st.unit_stratum[unit_of] * n_groups + dom_of, minlength=st.n_strata * n_groups
        ).reshape(st.n_strata, n_groups)
        single = (counts == 1) & (st.n_sampled > 1)[:, None] & (st.coef_by_stratum > 0)[:, None]
        if not single.any():
            single = None
    if lonely_psu != "average" or (not st.lonely.any() and single is None):
        return None, single
    h = structure.stratum_of_row[ok]
    present = np.bincount(h * n_groups + codes[ok], minlength=st.n_strata * n_groups) > 0
    present = present.reshape(st.n_strata, n_groups)
    good = present & ~st.lonely[:, None]
    if single is not None:
        good &= ~single
    n_all = present.sum(0).astype(float)
    n_ok = good.sum(0).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n_ok > 0, n_all / n_ok, 0.0), single


def covariance_from_totals(
    structure: DesignStructure,
    totals: np.ndarray,
    *,
    diag: bool = False,
    factors: np.ndarray | None = None,
    single: np.ndarray | None = None,
) -> np.ndarray:
    """Covariance (``k x k``) or variances (``k``) from finest-stage unit totals.

    ``totals`` is ``(n_units_finest, k)``. Stages are visited from the finest up: the totals of
    a stage are the sums of its children's totals. ``factors`` (``k``) scale each estimate's
    first-stage contribution (``lonely_psu="average"``, see :func:`domain_lonely`); by
    default the full design's ``nstrat / nokstrat``. ``single`` (``n_strata x k``) marks
    first-stage strata with a single PSU in an estimate's domain (``adjust_domain_lonely``).
    """
    t = np.asarray(totals, dtype=float)
    if t.ndim == 1:
        t = t[:, None]
    if structure.joint is not None:  # PPS with joint probabilities: one quadratic form
        return structure.joint.quadratic(t, diag=diag)
    k = t.shape[1]
    out = np.zeros(k) if diag else np.zeros((k, k))
    stages = structure.stages
    for s in range(len(stages) - 1, -1, -1):
        st = stages[s]
        if s < len(stages) - 1:
            t = np.asarray(st.parent_indicator @ t)
        if not np.any(st.coef_by_stratum):
            continue
        one = st.n_strata == 1
        sums = t.sum(axis=0, keepdims=True) if one else np.asarray(st.strata_indicator @ t)
        means = sums / st.n_sampled[:, None]
        if not st.centre.all():
            means[~st.centre] = 0.0
        if s == 0 and single is not None and structure.lonely_psu == "adjust":
            means = np.where(single, 0.0, means)
        c = t - means if one else t - means[st.unit_stratum]
        if s == 0 and single is not None and structure.lonely_psu == "average":
            c *= ~single[st.unit_stratum]
        scale = None
        if s == 0 and structure.lonely_psu == "average":
            if factors is None and st.lonely.any():
                factors = np.full(k, st.n_strata / (st.n_strata - st.lonely.sum()))
            scale = factors
        if diag and st.unit_coef is not None:  # PPS (Brewer): sum_u coef_u c_u^2
            contrib = np.einsum("ij,ij->j", c * st.unit_coef[:, None], c)
            out += contrib if scale is None else contrib * scale
        elif diag:  # sum_h coef_h sum_{u in h} c_u^2, without scaling every unit
            if one:
                per = np.einsum("ij,ij->j", c, c)[None, :]
            else:
                c *= c
                per = np.asarray(st.strata_indicator @ c)
            contrib = st.coef_by_stratum @ per
            out += contrib if scale is None else contrib * scale
        else:
            c *= np.sqrt(st.coef)[:, None]
            if scale is not None:
                c *= np.sqrt(scale)[None, :]
            out += c.T @ c
    return out


def design_covariance(
    structure: DesignStructure,
    scores: np.ndarray,
    adjustments: Sequence[InfluenceAdjustment] = (),
    *,
    diag: bool = False,
    factors: np.ndarray | None = None,
    single: np.ndarray | None = None,
) -> np.ndarray:
    """Covariance matrix of the estimates whose weighted influence values are ``scores``.

    Parameters
    ----------
    structure
        The design's :class:`~trustsurvey.design.structure.DesignStructure`.
    scores
        ``n x k`` weighted influence values (rows in data order, zero outside the domain).
    adjustments
        Calibration adjustments applied in order before aggregation (see module docstring).
    diag
        Return only the ``k`` variances.
    factors, single
        Per-estimate lonely-PSU bookkeeping of domains (see :func:`domain_lonely`).
    """
    z = np.asarray(scores, dtype=float)
    if z.ndim == 1:
        z = z[:, None]
    for adj in adjustments:
        z = np.asarray(adj.adjust(z), dtype=float)
    return covariance_from_totals(
        structure, unit_totals(structure, z), diag=diag, factors=factors, single=single
    )


def pair_codes(
    unit: np.ndarray, dom: np.ndarray, n_units: int, n_dom: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codes of the (unit, domain) pairs that occur: ``(code per row, pair unit, pair domain)``.

    At most ``len(unit)`` pairs exist, however many units and domains there are. A lookup
    table of ``n_units * n_dom`` entries is used when that is not larger than ``4 n`` (one
    ``np.bincount``, pairs in (unit, domain) order), a hash factorisation otherwise.
    """
    key = unit.astype(np.int64, copy=False) * n_dom + dom
    size = n_units * n_dom
    if size <= 4 * len(key) + 1024:
        seen = np.bincount(key, minlength=size) > 0
        uniq = np.flatnonzero(seen)
        lut = np.zeros(size, dtype=np.intp)
        lut[uniq] = np.arange(len(uniq))
        code = lut[key]
    else:
        code, uniq = pd.factorize(key)
        code = code.astype(np.intp, copy=False)
    return code, uniq // n_dom, uniq % n_dom


def _sum_pairs(
    code: np.ndarray, values: np.ndarray, n_pairs: int
) -> np.ndarray:  # column-wise bincount
    return np.column_stack(
        [np.bincount(code, weights=values[:, j], minlength=n_pairs) for j in range(values.shape[1])]
    )


def pair_variances(
    structure: DesignStructure,
    unit: np.ndarray,
    dom: np.ndarray,
    totals: np.ndarray,
    n_dom: int,
    *,
    factors: np.ndarray | None = None,
    single: np.ndarray | None = None,
) -> np.ndarray:
    """Variances of ``n_dom * V`` domain estimates from their occurring (unit, domain) totals.

    The sparse twin of :func:`covariance_from_totals` (``diag=True``): ``unit`` and ``dom``
    (``P``) name the finest-stage unit and the domain of each pair, ``totals`` (``P x V``) its
    influence totals for ``V`` variables; a unit absent from a domain has total 0. Estimate
    ``d * V + v`` is domain ``d``, variable ``v`` (the dense layout). In stage stratum ``h``
    with ``n_h`` units, centre ``m_hd = S_hd / n_h`` (0 where a lonely-PSU rule says so) and
    ``c_hd`` occurring pairs,

        sum_u (T_ud - m_hd)^2 = sum_{occurring pairs} (T_ud - m_hd)^2 + (n_h - c_hd) m_hd^2,

    exact and without cancellation; it is weighted by the stratum coefficient and summed over
    strata and stages (a stage's pairs are summed to the parent units' pairs). Time and memory
    are ``O(P V + strata * n_dom * V)``, never ``units * n_dom``.

    >>> import numpy as np, pandas as pd
    >>> from trustsurvey.design.structure import build_structure
    >>> df = pd.DataFrame({"psu": [1, 1, 2, 2, 3, 3]})
    >>> s = build_structure(df, ids=["psu"], strata=None, fpc=None, nest=False, lonely_psu="fail")
    >>> t = np.array([[2.0], [-1.0], [-1.0]])  # PSU totals of one domain
    >>> float(pair_variances(s, np.array([0, 1, 2]), np.array([0, 0, 0]), t, 1)[0])
    9.0
    """
    t = np.asarray(totals, dtype=float)
    if t.ndim == 1:
        t = t[:, None]
    n_var = t.shape[1]
    k = n_dom * n_var
    u = np.asarray(unit, dtype=np.intp)
    d = np.asarray(dom, dtype=np.intp)
    if structure.joint is not None:  # PPS with joint probabilities
        cols = (d[:, None] * n_var + np.arange(n_var)[None, :]).ravel()
        units = np.repeat(u, n_var)
        return structure.joint.pair_variances(units, cols, t.ravel(), k)
    out = np.zeros(k)
    stages = structure.stages
    for s in range(len(stages) - 1, -1, -1):
        st = stages[s]
        if s < len(stages) - 1:  # sum the child pairs to this stage's (unit, domain) pairs
            parent = stages[s].child_parent
            assert parent is not None  # every stage but the last has children
            code, u, d = pair_codes(parent[u], d, st.n_units, n_dom)
            t = _sum_pairs(code, t, len(u))
        coef_h = st.coef_by_stratum
        if not np.any(coef_h):
            continue
        n_strata = st.n_strata
        cell = st.unit_stratum[u] * n_dom + d  # (stratum, domain) of each pair
        size = n_strata * n_dom
        sums = _sum_pairs(cell, t, size)  # (H*D, V)
        count = np.bincount(cell, minlength=size).astype(float)
        n_h = np.repeat(st.n_sampled, n_dom)
        means = sums / n_h[:, None]
        if not st.centre.all():
            means[np.repeat(~st.centre, n_dom)] = 0.0
        means = means.reshape(n_strata, k)
        if s == 0 and single is not None and structure.lonely_psu == "adjust":
            means = np.where(single, 0.0, means)
        means = means.reshape(size, n_var)
        dev = t - means[cell]
        if st.unit_coef is not None:  # PPS (Brewer): each unit its own coefficient
            cu = st.unit_coef[u]
            c_all = np.repeat(np.bincount(st.unit_stratum, st.unit_coef, n_strata), n_dom)
            c_occ = np.bincount(cell, weights=cu, minlength=size)
            ss = (
                _sum_pairs(cell, cu[:, None] * dev * dev, size)
                + (c_all - c_occ)[:, None] * means**2
            )
            ss = ss.reshape(n_strata, k)
        else:
            ss = _sum_pairs(cell, dev * dev, size) + (n_h - count)[:, None] * means**2
            ss = ss.reshape(n_strata, k) * coef_h[:, None]
        if s == 0 and single is not None and structure.lonely_psu == "average":
            ss = np.where(single, 0.0, ss)
        contrib = ss.sum(axis=0)
        if s == 0 and structure.lonely_psu == "average":
            if factors is None and st.lonely.any():
                factors = np.full(k, n_strata / (n_strata - st.lonely.sum()))
            if factors is not None:
                contrib = contrib * factors
        out += contrib
    return out
