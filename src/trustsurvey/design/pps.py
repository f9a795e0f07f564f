"""Sampling with probability proportional to size, without replacement (R's ``svydesign(pps=)``).

A PPS design names its PSU inclusion probabilities ``pi_i`` in ``fpc`` (R's convention) and a
method for the variance of the Horvitz-Thompson estimator (Särndal, Swensson & Wretman 1992,
result 2.8.1; Berger & Tillé 2009; Lumley, ``survey`` ``R/pps.R``):

* ``"brewer"``: Brewer's approximation, the stage-wise formula with unit coefficients
  ``(1 - pi_i) n_h/(n_h - 1)`` on the stratum-centred PSU totals (any number of stages; the
  next stage is weighted by ``pi_i``);
* joint inclusion probabilities ``pi_ij``: with ``Dcheck_ij = (pi_ij - pi_i pi_j) / pi_ij`` and
  ``x_i`` the weighted PSU totals, the Horvitz-Thompson variance ``sum_ij Dcheck_ij x_i x_j``
  (``variance="HT"``) or the Yates-Grundy form ``-1/2 sum_ij Dcheck_ij (x_i - x_j)^2``
  (``variance="YG"``), from

  - :func:`ppsmat`: the joint probabilities themselves (R's ``ppsmat``; entries of ``Dcheck``
    below ``tolerance`` in absolute value are set to zero, as R does);
  - ``"overton"``: Overton's approximation, within a stratum ``Dcheck_ij = 1 - (n_h -
    (pi_i + pi_j)/2) / (n_h - 1)``;
  - ``"hartley-rao"`` or :func:`hartley_rao`: the truncated Hartley-Rao approximation
    ``Dcheck_ij = 1 - (n_h - pi_i - pi_j + p2_h) / (n_h - 1)``, ``p2_h = sum_U pi^2 / n_h``
    (given) or the sample mean of ``pi`` (R's ``HR()``).

  These two are linear in ``pi_i + pi_j`` within a stratum, so their quadratic forms are
  computed from stratum sums in ``O(n_psu)`` (:class:`StratumJointVariance`), never as a
  matrix. The diagonal is ``1 - pi_i``; PSUs of different strata have ``Dcheck_ij = 0``.

>>> import pandas as pd
>>> from trustsurvey.design import SurveyDesign
>>> df = pd.DataFrame({"y": [3.0, 5, 4, 10], "pi": [0.2, 0.4, 0.3, 0.9]})
>>> d = SurveyDesign(df, fpc="pi", pps="overton")
>>> round(float(d.total("y")["estimate"].iloc[0]), 4)
51.9444
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from trustsurvey.errors import DesignError

#: named PPS methods of ``SurveyDesign(pps=...)``
PPS_METHODS = ("brewer", "overton", "hartley-rao")
#: variance forms of a joint-probability design
PPS_VARIANCES = ("HT", "YG")
#: unit totals held at a time when a joint-probability matrix meets many domain estimates
PAIR_BLOCK = 2**22


@dataclass(frozen=True)
class JointProbabilities:
    """Joint inclusion probabilities of the PSUs (R's ``ppsmat``); see :func:`ppsmat`."""

    joint: Any
    tolerance: float = 1e-4


@dataclass(frozen=True)
class HartleyRao:
    """The truncated Hartley-Rao approximation (R's ``HR``); see :func:`hartley_rao`."""

    psum: float | Mapping[Any, float] | None = None


def ppsmat(joint: np.ndarray | pd.DataFrame, tolerance: float = 1e-4) -> JointProbabilities:
    """Joint inclusion probabilities for ``SurveyDesign(pps=ppsmat(joint))`` (R's ``ppsmat``).

    ``joint`` is square, one row and column per PSU: a DataFrame whose index and columns are
    the PSU ids, or an array in the order of the sorted PSU ids (rows in data order when
    ``ids=None``). Its diagonal holds the ``pi_i``. ``Dcheck`` entries smaller than
    ``tolerance`` in absolute value count as zero (R's default ``0.0001``).

    >>> ppsmat([[0.5, 0.2], [0.2, 0.5]]).tolerance
    0.0001
    """
    return JointProbabilities(joint=joint, tolerance=float(tolerance))


def hartley_rao(psum: float | Mapping[Any, float] | None = None) -> HartleyRao:
    """The Hartley-Rao approximation for ``SurveyDesign(pps=hartley_rao(...))`` (R's ``HR``).

    ``psum`` is ``sum_U pi_k^2 / n`` over the population (one number, or one per stratum
    label); without it the sample mean of ``pi`` in the stratum is used, as R's ``HR()`` and
    ``pps="hartley-rao"``.

    >>> hartley_rao(0.05).psum
    0.05
    """
    return HartleyRao(psum=psum)


def pps_method(pps: Any) -> str | None:
    """The name of a ``pps`` argument: ``None``, ``"brewer"``, ``"overton"``,
    ``"hartley-rao"`` or ``"joint"`` (a :func:`ppsmat`); a :class:`DesignError` otherwise."""
    if pps is None or pps is False:
        return None
    if isinstance(pps, JointProbabilities):
        return "joint"
    if isinstance(pps, HartleyRao):
        return "hartley-rao"
    if isinstance(pps, str):
        name = pps.lower().replace("_", "-")
        if name in ("hr", "hartleyrao"):
            name = "hartley-rao"
        if name in PPS_METHODS:
            return name
    raise DesignError(
        f"unknown pps={pps!r}",
        item="pps",
        hint="use 'brewer', 'overton', 'hartley-rao', hartley_rao(psum) or ppsmat(joint)",
    )


@dataclass(frozen=True)
class JointVariance:
    """The variance of a PPS design from ``Dcheck`` (``n_psu x n_psu``, PSUs in code order).

    ``kind="HT"``: ``x' Dcheck x``; ``"YG"``: ``x' (Dcheck - diag(1' Dcheck)) x`` (R's
    ``htvar.matrix`` and ``ygvar.matrix``), for PSU totals ``x`` of weighted influence values.
    """

    dcheck: sp.csr_matrix
    kind: str = "HT"

    def quadratic(self, totals: np.ndarray, *, diag: bool = False) -> np.ndarray:
        """Covariance (``k x k``) or variances (``k``) of the totals of ``totals`` columns."""
        t = np.asarray(totals, dtype=float)
        if t.ndim == 1:
            t = t[:, None]
        dt = np.asarray(self.dcheck @ t)
        if self.kind == "YG":
            dt = dt - np.asarray(self.dcheck.sum(axis=0)).ravel()[:, None] * t
        if diag:
            return np.einsum("ij,ij->j", t, dt)
        out = t.T @ dt
        return (out + out.T) / 2

    def pair_variances(
        self, unit: np.ndarray, col: np.ndarray, values: np.ndarray, k: int
    ) -> np.ndarray:
        """Variances of ``k`` estimates from their (unit, estimate) totals ``values`` (absent
        pairs are zero), building dense unit totals for blocks of estimates at a time."""
        n_units = self.dcheck.shape[0]
        out = np.zeros(k)
        step = max(1, PAIR_BLOCK // max(n_units, 1))
        order = np.argsort(col, kind="stable")
        col, unit, values = col[order], unit[order], values[order]
        for c0 in range(0, k, step):
            c1 = min(k, c0 + step)
            lo, hi = np.searchsorted(col, [c0, c1])
            dense = np.zeros((n_units, c1 - c0))
            np.add.at(dense, (unit[lo:hi], col[lo:hi] - c0), values[lo:hi])
            out[c0:c1] = self.quadratic(dense, diag=True)
        return out


@dataclass(frozen=True)
class StratumJointVariance:
    """Overton's and the Hartley-Rao ``Dcheck`` without the ``n_psu x n_psu`` matrix.

    Within stratum ``h`` (``i != j``): ``Dcheck_ij = a_h + b_h (pi_i + pi_j)``, the diagonal
    ``1 - pi_i``, zero across strata and for the pairs R zeroes (``fbar == 1``:
    ``zero_pairs``, each once with ``i < j``). The quadratic form needs the stratum sums of
    the totals and of ``pi`` times the totals only: time and memory ``O(n_psu k)``.
    """

    prob: np.ndarray
    stratum: np.ndarray
    a: np.ndarray
    b: np.ndarray
    kind: str = "HT"
    zero_pairs: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.intp))

    def _pair_coef(self) -> np.ndarray:
        i, j = self.zero_pairs[:, 0], self.zero_pairs[:, 1]
        h = self.stratum[i]
        return self.a[h] + self.b[h] * (self.prob[i] + self.prob[j])

    def _own(self) -> np.ndarray:
        """Per unit: the diagonal ``1 - pi`` minus what the stratum sums count for ``i == j``
        (and, for Yates-Grundy, minus the column sum of ``Dcheck``)."""
        h, p = self.stratum, self.prob
        own = (1 - p) - self.a[h] - 2 * self.b[h] * p
        if self.kind == "YG":
            n_h = len(self.a)
            n = np.bincount(h, minlength=n_h).astype(float)
            psum = np.bincount(h, weights=p, minlength=n_h)
            col = (1 - p) + self.a[h] * (n[h] - 1) + self.b[h] * ((psum[h] - p) + (n[h] - 1) * p)
            if len(self.zero_pairs):
                c = self._pair_coef()
                col = col - np.bincount(self.zero_pairs[:, 0], c, len(p))
                col = col - np.bincount(self.zero_pairs[:, 1], c, len(p))
            own = own - col
        return own

    def quadratic(self, totals: np.ndarray, *, diag: bool = False) -> np.ndarray:
        """Covariance (``k x k``) or variances (``k``) of the totals of ``totals`` columns."""
        t = np.asarray(totals, dtype=float)
        if t.ndim == 1:
            t = t[:, None]
        h, p = self.stratum, self.prob
        n_h = len(self.a)
        ind = sp.csr_matrix((np.ones(len(h)), (h, np.arange(len(h)))), shape=(n_h, len(h)))
        S = np.asarray(ind @ t)
        P = np.asarray(ind @ (p[:, None] * t))
        own = self._own()
        a, b = self.a[:, None], self.b[:, None]
        if diag:
            out = (a * S * S).sum(0) + 2 * (b * P * S).sum(0)
            out = out + np.einsum("ij,ij->j", own[:, None] * t, t)
        else:
            out = S.T @ (a * S) + P.T @ (b * S) + S.T @ (b * P) + t.T @ (own[:, None] * t)
        if len(self.zero_pairs):
            c = self._pair_coef()[:, None]
            ti, tj = t[self.zero_pairs[:, 0]], t[self.zero_pairs[:, 1]]
            if diag:
                out = out - 2 * (c * ti * tj).sum(0)
            else:
                cross = (c * ti).T @ tj
                out = out - cross - cross.T
        return out if diag else (out + out.T) / 2

    def pair_variances(
        self, unit: np.ndarray, col: np.ndarray, values: np.ndarray, k: int
    ) -> np.ndarray:
        """Variances of ``k`` estimates from their (unit, estimate) totals ``values`` (absent
        pairs are zero): stratum sums per estimate, never units x estimates."""
        h, p = self.stratum, self.prob
        n_h = len(self.a)
        cell = h[unit] * k + col
        S = np.bincount(cell, weights=values, minlength=n_h * k).reshape(n_h, k)
        P = np.bincount(cell, weights=p[unit] * values, minlength=n_h * k).reshape(n_h, k)
        own = self._own()
        out = (self.a[:, None] * S * S).sum(0) + 2 * (self.b[:, None] * P * S).sum(0)
        out = out + np.bincount(col, weights=own[unit] * values * values, minlength=k)
        if len(self.zero_pairs):
            c = self._pair_coef()
            frame = pd.DataFrame({"u": unit, "col": col, "v": values})
            pairs = pd.DataFrame({"u": self.zero_pairs[:, 0], "u_j": self.zero_pairs[:, 1], "c": c})
            left = frame.merge(pairs, on="u")
            both = left.merge(frame, left_on=["u_j", "col"], right_on=["u", "col"])
            prod = both["c"].to_numpy() * both["v_x"].to_numpy() * both["v_y"].to_numpy()
            out = out - 2 * np.bincount(both["col"].to_numpy(), weights=prod, minlength=k)
        return out

    @property
    def dcheck(self) -> sp.csr_matrix:
        """The matrix itself (for inspection; the variance never builds it)."""
        h, p = self.stratum, self.prob
        same = h[:, None] == h[None, :]
        d = self.a[h][:, None] + self.b[h][:, None] * (p[:, None] + p[None, :])
        d[~same] = 0.0
        i, j = self.zero_pairs[:, 0], self.zero_pairs[:, 1]
        d[i, j] = d[j, i] = 0.0
        np.fill_diagonal(d, 1 - p)
        return sp.csr_matrix(d)


def _stratum_sizes(strat: np.ndarray) -> np.ndarray:
    return np.bincount(strat).astype(float)


def _zero_pairs(prob: np.ndarray, strat: np.ndarray, fbar_is_one) -> np.ndarray:
    """Pairs ``i < j`` of a stratum whose ``fbar`` is exactly 1 (R zeroes their ``Dcheck``)."""
    frame = pd.DataFrame({"i": np.arange(len(prob)), "h": strat, "key": np.round(prob, 9)})
    want = frame.assign(key=np.round(fbar_is_one(prob), 9)).dropna(subset=["key"])
    pairs = frame.merge(want, on=["h", "key"], suffixes=("", "_j"))
    i, j = pairs["i"].to_numpy(), pairs["i_j"].to_numpy()
    keep = (i < j) & _fbar_one(prob[i], prob[j], fbar_is_one)
    return np.column_stack([i[keep], j[keep]]).astype(np.intp)


def _fbar_one(pi: np.ndarray, pj: np.ndarray, partner) -> np.ndarray:
    # the exact float test R makes: (pi + pj)/2 == 1 (Overton) or pi + pj == 1 (Hartley-Rao)
    if partner is _overton_partner:
        return (pi + pj) / 2 == 1
    return pi + pj == 1


def _overton_partner(p: np.ndarray) -> np.ndarray:
    return np.where(p == 1, 1.0, np.nan)


def _hr_partner(p: np.ndarray) -> np.ndarray:
    return 1 - p


def overton_variance(prob: np.ndarray, strat: np.ndarray, kind: str) -> StratumJointVariance:
    """Overton's approximation (R's ``overton2Dcheck``): ``1 - (n_h - (pi_i + pi_j)/2) /
    (n_h - 1)`` within a stratum."""
    n = _stratum_sizes(strat)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(n > 1, -1 / (n - 1), 0.0)
        b = np.where(n > 1, 1 / (2 * (n - 1)), 0.0)
    pairs = _zero_pairs(prob, strat, _overton_partner)
    return StratumJointVariance(prob, strat, a, b, kind, pairs)


def hartley_rao_variance(
    prob: np.ndarray, strat: np.ndarray, p2bar: np.ndarray, kind: str
) -> StratumJointVariance:
    """The truncated Hartley-Rao approximation (R's ``HRDcheck``): ``1 - (n_h - pi_i - pi_j +
    p2_h) / (n_h - 1)`` within a stratum; ``p2bar`` per PSU (constant in a stratum)."""
    n = _stratum_sizes(strat)
    p2 = np.zeros(len(n))
    p2[strat] = p2bar
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(n > 1, -(1 + p2) / (n - 1), 0.0)
        b = np.where(n > 1, 1 / (n - 1), 0.0)
    pairs = _zero_pairs(prob, strat, _hr_partner)
    return StratumJointVariance(prob, strat, a, b, kind, pairs)


def joint_dcheck(pij: np.ndarray, tolerance: float) -> sp.csr_matrix:
    """``(pi_ij - pi_i pi_j) / pi_ij`` with small entries zeroed (R's ``pi2Dcheck``)."""
    p = np.diag(pij)
    d = (pij - np.outer(p, p)) / pij
    d[np.abs(d) < tolerance] = 0.0
    return sp.csr_matrix(d)


def check_joint(joint: Any, labels: np.ndarray, item: str = "pps") -> np.ndarray:
    """The joint probability matrix in PSU code order, checked: square with one row per PSU,
    symmetric, in (0, 1], ``pi_ij <= min(pi_i, pi_j)``."""
    if isinstance(joint, pd.DataFrame):
        missing = [x for x in labels if x not in joint.index or x not in joint.columns]
        if missing:
            raise DesignError(
                f"the joint probabilities have no row or column for PSU {missing[0]}"
                + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""),
                item=item,
                hint="label rows and columns by the PSU ids of the ids column",
            )
        m = joint.loc[list(labels), list(labels)].to_numpy(dtype=float)
        names = [str(x) for x in labels]
    else:
        m = np.asarray(joint, dtype=float)
        names = [str(x) for x in labels]
        if m.ndim != 2 or m.shape[0] != m.shape[1]:
            raise DesignError(
                f"the joint probabilities must be a square matrix, not shape {m.shape}",
                item=item,
                hint="one row and one column per PSU",
            )
        if m.shape[0] != len(labels):
            raise DesignError(
                f"the joint probabilities have {m.shape[0]} rows for {len(labels)} PSUs",
                item=item,
                hint="one row and one column per PSU, in the order of the sorted PSU ids "
                "(rows in data order when every row is a PSU)",
            )
    bad = ~np.isfinite(m) | (m <= 0) | (m > 1)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise DesignError(
            f"joint probability of PSUs {names[i]} and {names[j]} is {m[i, j]!r}, not in (0, 1]"
            + (f" ({int(bad.sum())} such entries)" if bad.sum() > 1 else ""),
            item=item,
            row=names[i],
            hint="every pair of PSUs needs a positive joint inclusion probability for the "
            "Horvitz-Thompson variance; use pps='brewer' or 'overton' for a design (e.g. "
            "systematic) where some pairs cannot be drawn together",
        )
    asym = ~np.isclose(m, m.T, rtol=1e-9, atol=1e-12)
    if asym.any():
        i, j = np.argwhere(asym)[0]
        raise DesignError(
            f"the joint probabilities are not symmetric: PSUs {names[i]}, {names[j]} give "
            f"{m[i, j]!r} and {m[j, i]!r}",
            item=item,
            row=names[i],
            hint="pi_ij is the probability that PSUs i and j are both drawn: the same for (j, i)",
        )
    p = np.diag(m)
    over = m > np.minimum(p[:, None], p[None, :]) * (1 + 1e-9)
    if over.any():
        i, j = np.argwhere(over)[0]
        raise DesignError(
            f"joint probability of PSUs {names[i]} and {names[j]} ({m[i, j]!r}) exceeds an "
            "inclusion probability on the diagonal",
            item=item,
            row=names[i],
            hint="the diagonal must hold each PSU's inclusion probability pi_i, and pi_ij <= "
            "min(pi_i, pi_j)",
        )
    return m


def hartley_rao_p2bar(
    spec: HartleyRao | None, prob: np.ndarray, strat: np.ndarray, labels: list
) -> np.ndarray:
    """``p2bar`` per PSU: the given ``psum`` (of the PSU's stratum) or the stratum mean of
    the sampled ``pi`` (R's ``HR()``)."""
    psum = None if spec is None else spec.psum
    if psum is None:
        means = np.bincount(strat, prob) / np.bincount(strat)
        return means[strat]
    if isinstance(psum, Mapping):
        missing = [lab for lab in labels if lab not in psum]
        if missing:
            raise DesignError(
                f"hartley_rao(psum) has no value for stratum {missing[0]!r}",
                item="pps",
                hint="give sum(pi^2)/n of every stratum, keyed by the stratum label",
            )
        values = np.array([float(psum[lab]) for lab in labels])
        return values[strat]
    if len(labels) > 1:
        raise DesignError(
            "hartley_rao(psum) with one number needs an unstratified design",
            item="pps",
            hint="give a mapping stratum -> sum(pi^2)/n, or hartley_rao() to estimate it",
        )
    return np.full(len(prob), float(psum))
