"""Replicate-weight designs: jackknife (JK1, JKn), bootstrap, BRR and Fay's BRR.

A replicate design estimates with the full-sample weights and computes every estimate again
with each set of replicate weights; the variance is (R's ``svrVar``)

``v = scale * sum_r rscales_r (theta_r - centre)^2``,

``centre`` the mean of the replicates (``mse=False``, R's default) or the full-sample estimate
(``mse=True``). Replicate weights are made from a linearisation design as R's
``as.svrepdesign`` (Wolter 2007; Rust & Rao 1996):

* ``"JK1"`` (unstratified): drop one PSU, others times ``n/(n-1)``;
  ``scale = (1 - n/N)(n-1)/n`` with a first-stage fpc (R's default), else ``(n-1)/n``;
* ``"JKn"`` (stratified): drop one PSU of stratum ``h``, the stratum's others times
  ``n_h/(n_h-1)``; ``rscales = (1 - n_h/N_h)(n_h-1)/n_h``, ``scale = 1``;
* ``"bootstrap"``: Canty & Davison's (1999) with-replacement resampling of ``n_h`` PSUs per
  stratum (without replacement from ``N_h`` copies with an fpc), seeded with numpy;
  ``scale = m / ((m-1)(R-1))``, ``m`` the harmonic mean of ``n_h``;
* ``"BRR"``: balanced half-samples from a Sylvester Hadamard matrix (the same as R's for up
  to 7 strata) for designs with 2 PSUs per stratum; ``fay_rho > 0`` gives Fay's variant with
  factors ``2 - rho`` and ``rho``, ``scale = 1/(R (1-rho)^2)``.

Replicate weights are kept compressed (PSU x replicate factors) when generated, so domain
estimates are ``factors.T @ (PSU-by-domain sums)``: one matrix product.

>>> import pandas as pd
>>> from trustsurvey.design import SurveyDesign
>>> df = pd.DataFrame({"psu": [1, 1, 2, 2, 3, 3], "y": [1.0, 2, 3, 4, 5, 6], "w": [1.0] * 6})
>>> jk = SurveyDesign(df, ids="psu", weights="w").replicate("JK1")
>>> jk.mean("y")["estimate"].iloc[0]
np.float64(3.5)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from trustsurvey.design import estimators
from trustsurvey.design.base import Design, Reweight
from trustsurvey.design.domains import Domains, as_list, make_domains
from trustsurvey.design.metadata import annotate
from trustsurvey.design.results import attach_covmat, group_index, result_frame
from trustsurvey.design.rows import row_ref
from trustsurvey.design.variance import InfluenceAdjustment
from trustsurvey.errors import DesignError

if TYPE_CHECKING:
    from trustsurvey.design.core import SurveyDesign

TYPES = ("JK1", "JKn", "bootstrap", "BRR", "Fay", "other")


def sylvester(order: int) -> np.ndarray:
    """Hadamard matrix of ``order`` (a power of 2) in R's 0/1 form: 1 where ``i & j`` has an
    even number of bits."""
    i = np.arange(order)
    bits = np.bitwise_and.outer(i, i)
    parity = np.zeros_like(bits)
    b = bits.copy()
    while b.any():
        parity ^= b & 1
        b >>= 1
    return 1 - parity


class ReplicateDesign(Design):
    """A design whose variances come from replicate weights.

    Build it with :meth:`SurveyDesign.replicate` or
    :meth:`SurveyDesign.from_replicate_weights`. It has the interface of
    :class:`~trustsurvey.design.base.Design` (every estimator, test and weighting verb of
    :class:`~trustsurvey.design.SurveyDesign`, with the same result frames); weighting it
    weights every replicate the same way (R's ``calibrate.svyrep.design``,
    ``postStratify.svyrep.design``, ``trimWeights.svyrep.design``).
    """

    variance_method = "replicate"

    def __init__(
        self,
        data: pd.DataFrame,
        weights: np.ndarray,
        *,
        type: str,
        scale: float,
        rscales: np.ndarray,
        mse: bool,
        factors: np.ndarray | None = None,
        unit: np.ndarray | None = None,
        repweights: np.ndarray | None = None,
        degf: int | None = None,
    ) -> None:
        self._init_state(data, np.asarray(weights, dtype=float))
        self.type = type
        self.scale = float(scale)
        self.rscales = np.asarray(rscales, dtype=float)
        self.mse = bool(mse)
        self._factors = factors
        self._unit = unit
        self._repw = repweights
        self._degf = degf if degf is not None else self._rank_degf()

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_columns(
        cls,
        data: pd.DataFrame,
        weights: str,
        replicate_weights: Sequence[str],
        *,
        type: str = "other",
        scale: float | None = None,
        rscales: Sequence[float] | float | None = None,
        mse: bool = False,
        fay_rho: float | None = None,
    ) -> ReplicateDesign:
        """Replicate weights shipped as columns (combined weights: each column is a full set
        of weights, as R's ``svrepdesign(combined.weights=TRUE)``)."""
        cols = list(replicate_weights)
        estimators.check_columns(data, [weights, *cols], "weight")
        if type not in TYPES:
            raise DesignError(
                f"unknown replicate type {type!r}", item="type", hint=f"use one of {TYPES}"
            )
        w = data[weights].to_numpy(dtype=float, na_value=np.nan)
        rw = data[cols].to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isfinite(w) | (w <= 0)
        if bad.any():
            raise DesignError(
                f"weight column {weights!r} has missing, zero, negative or infinite values",
                item=weights,
                row=row_ref(data.index, bad),
                hint="every respondent needs a positive finite weight",
            )
        badr = ~np.isfinite(rw) | (rw < 0)
        if badr.any():
            rows, cidx = np.nonzero(badr)
            raise DesignError(
                "replicate weights have missing, negative or infinite values",
                item=sorted({cols[j] for j in cidx})[:10],
                row=row_ref(data.index, np.unique(rows)),
                hint="replicate weights must be finite and >= 0",
            )
        R = rw.shape[1]
        if R < 2:
            raise DesignError(
                "at least two replicate weight columns are needed",
                item="replicate_weights",
                hint="name every replicate weight column",
            )
        if scale is None:
            scale = {
                "BRR": 1.0 / R,
                "Fay": 1.0 / (R * (1 - (fay_rho or 0.0)) ** 2),
                "bootstrap": 1.0 / (R - 1),
                "JK1": (R - 1) / R,
            }.get(type, 1.0)
            if type == "Fay" and fay_rho is None:
                raise DesignError(
                    "type='Fay' needs fay_rho", item="fay_rho", hint="e.g. fay_rho=0.5"
                )
        if rscales is None:
            if type == "JKn":
                raise DesignError(
                    "type='JKn' needs rscales ((n_h - 1)/n_h per replicate)",
                    item="rscales",
                    hint="pass the rscales shipped with the replicate weights",
                )
            rs = np.ones(R)
        else:
            rs = np.broadcast_to(np.asarray(rscales, dtype=float), (R,)).copy()
        return cls(data, w, type=type, scale=scale, rscales=rs, mse=mse, repweights=rw)

    def _rank_degf(self) -> int:
        mat = self._factors if self._factors is not None else self._repw
        assert mat is not None
        if self._factors is None and mat.shape[0] > 20000:
            mat = np.unique(mat, axis=0)
        # R: qr(weights(design, "analysis"), tol = 1e-5)$rank - 1
        s = np.linalg.svd(mat, compute_uv=False)
        return int((s > 1e-5 * s[0]).sum()) - 1

    # ------------------------------------------------------------------ properties
    @property
    def degf(self) -> int:
        """Rank of the replicate weights minus one (R's ``degf.svyrep.design``)."""
        return self._degf

    @property
    def n_replicates(self) -> int:
        return len(self.rscales)

    def replicate_weights(self) -> pd.DataFrame:
        """Analysis weights of every replicate (rows aligned with :attr:`data`)."""
        if self._repw is not None:
            m = self._repw
        else:
            assert self._factors is not None and self._unit is not None
            m = self._factors[self._unit] * self._w[:, None]
        cols = [f"rep{i + 1}" for i in range(m.shape[1])]
        return pd.DataFrame(m, index=self._data.index, columns=cols)

    def __repr__(self) -> str:
        return (
            f"ReplicateDesign(type={self.type!r}, n={len(self._data)}, "
            f"replicates={self.n_replicates}, scale={self.scale:.6g}, degf={self.degf})"
        )

    # ------------------------------------------------------------------ engine
    def _rep_sums(
        self, values: np.ndarray, ok: np.ndarray, codes: np.ndarray, D: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Full-sample and replicate weighted sums of ``values`` per domain: ``(D,), (R, D)``."""
        c = codes[ok]
        full = np.bincount(c, weights=self._w[ok] * values[ok], minlength=D)
        if self._factors is not None:
            assert self._unit is not None
            nu = self._factors.shape[0]
            key = self._unit[ok] * D + c
            t = np.bincount(key, weights=self._w[ok] * values[ok], minlength=nu * D)
            reps = self._factors.T @ t.reshape(nu, D)
        else:
            assert self._repw is not None
            idx = np.flatnonzero(ok)
            m = sp.csr_matrix((values[ok], (idx, c)), shape=(len(values), D))
            reps = np.asarray((m.T @ self._repw).T)
        return full, reps

    def replicate_variance(
        self, thetas: np.ndarray, full: np.ndarray, *, cov: bool = True
    ) -> np.ndarray:
        """R's ``svrVar``: the (co)variance of estimates ``full`` (``k``) from their replicates
        ``thetas`` (``R x k``); the diagonal only with ``cov=False``."""
        keep = self.rscales > 0
        centre = full if self.mse else thetas[keep].mean(axis=0)
        dev = (thetas - centre) * np.sqrt(self.rscales)[:, None]
        if cov:
            return self.scale * dev.T @ dev
        return self.scale * np.einsum("ij,ij->j", dev, dev)

    def replace_weights(
        self,
        new_weights: np.ndarray | pd.Series | Sequence[float],
        calibration: InfluenceAdjustment | Sequence[InfluenceAdjustment] | None = None,
        *,
        keep_calibration: bool = True,
        reweight: Reweight | None = None,
    ) -> ReplicateDesign:
        """The design with new full-sample weights and every replicate's weights reweighted
        by ``reweight`` (see :meth:`Design.replace_weights`); ``calibration`` is not needed:
        the replicates carry the calibration into the variance."""
        w = self._checked_weights(new_weights)
        old = self.replicate_weights().to_numpy()
        if reweight is None:
            rep = old * (w / self._w)[:, None]
        else:
            rep = np.column_stack([reweight(old[:, r]) for r in range(old.shape[1])])
        out = self._copy()
        out._w = w
        out._factors = None
        out._unit = None
        out._repw = rep
        return out

    def model_covariance(
        self,
        estimate: np.ndarray,
        used: np.ndarray,
        *,
        influence: Callable[[], np.ndarray],
        refit: Callable[[np.ndarray], np.ndarray],
    ) -> np.ndarray:
        """The estimator refitted with every replicate's weights of the used rows, its
        covariance R's ``svrVar`` of the replicate estimates."""
        rep_w = self.replicate_weights().to_numpy()[used]
        thetas = np.vstack([refit(rep_w[:, r]) for r in range(rep_w.shape[1])])
        return self.replicate_variance(thetas, estimate, cov=True)

    def model_degf(self, used: np.ndarray) -> int:
        """The replicate df (R's ``degf.svyrep.design``), whatever rows are used."""
        return self.degf

    def linear_stats(
        self,
        ys: np.ndarray | Sequence[np.ndarray],
        valid: np.ndarray | Sequence[np.ndarray | None] | None,
        doms: Domains,
        kind: str,
        *,
        covmat: bool = False,
        deff: str = "wor",
    ) -> dict[str, np.ndarray]:
        """Full-sample and replicate means or totals per domain; variance R's ``svrVar``."""
        D = doms.size
        V = ys.shape[1] if isinstance(ys, np.ndarray) else len(ys)
        codes = doms.codes
        est = np.empty((D, V))
        nn = np.empty((D, V))
        s2 = np.empty((D, V))
        sws = np.empty((D, V))
        thetas = np.empty((self.n_replicates, D, V))
        for v in range(V):
            y = np.asarray(estimators._column(ys, v), dtype=float)
            ok = ~np.isnan(y) & (codes >= 0)
            if valid is not None:
                ok &= np.asarray(estimators._column(valid, v), dtype=bool)
            ok = self.restrict(ok)
            y = np.where(ok, y, 0.0)
            sy, ry = self._rep_sums(y, ok, codes, D)
            sw, rw = self._rep_sums(np.ones(len(y)), ok, codes, D)
            with np.errstate(divide="ignore", invalid="ignore"):
                est[:, v] = sy / sw if kind == "mean" else sy
                thetas[:, :, v] = ry / rw if kind == "mean" else ry
                m = sy / sw
                c = codes[ok]
                n_d = np.bincount(c, minlength=D).astype(float)
                dev = y[ok] - m[c]
                s2[:, v] = (
                    np.bincount(c, weights=self._w[ok] * dev * dev, minlength=D)
                    / sw
                    * n_d
                    / (n_d - 1)
                )
            nn[:, v] = n_d
            sws[:, v] = sw
        flat = thetas.reshape(self.n_replicates, D * V)
        cov = self.replicate_variance(flat, est.ravel(), cov=covmat)
        var = (np.diag(cov) if covmat else cov).reshape(D, V)
        var = np.where(nn == 0, np.nan, var)
        out = {
            "estimate": est,
            "var": var,
            "n": nn,
            "deff": estimators._deff(kind, var, s2, sws, nn, deff),
            "sw": sws,
        }
        if covmat:
            out["cov"] = cov
        return out

    # ------------------------------------------------------------------ estimators
    def ratio(
        self,
        numerator: str,
        denominator: str,
        by: str | list[str] | None = None,
        *,
        by_missing: str = "drop",
        covmat: bool = False,
        level: float = 0.95,
        cv: bool = False,
        moe: bool = False,
    ) -> pd.DataFrame:
        """Ratio of totals with replicate variance (R's ``svyratio.svyrep.design``)."""
        data = self._data
        y = estimators.numeric_column(data, numerator)
        x = estimators.numeric_column(data, denominator)
        doms = make_domains(data, as_list(by), by_missing)
        ok = self.restrict(~np.isnan(y) & ~np.isnan(x) & (doms.codes >= 0))
        D = doms.size
        sy, ry = self._rep_sums(np.nan_to_num(y), ok, doms.codes, D)
        sx, rx = self._rep_sums(np.nan_to_num(x), ok, doms.codes, D)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = sy / sx
            cov = self.replicate_variance(ry / rx, r, cov=covmat)
        var = np.diag(cov) if covmat else cov
        n_d = np.bincount(doms.codes[ok], minlength=D)
        index = group_index(doms.keys, [f"{numerator}/{denominator}"], "variable")
        frame = result_frame(r, var, df=self.degf, n=n_d, index=index, level=level, cv=cv, moe=moe)
        if covmat:
            attach_covmat(frame, cov)
        return annotate(frame, n_missing_by=doms.n_missing_by, by=doms.names)


# ---------------------------------------------------------------------- as.svrepdesign
def as_replicate(
    design: SurveyDesign,
    type: str = "JK1",
    *,
    replicates: int | None = None,
    seed: int | None = None,
    fay_rho: float = 0.0,
    mse: bool = False,
) -> ReplicateDesign:
    """Replicate weights from a linearisation design (see module docstring)."""
    st = design.structure.stages[0]
    unit = st.unit
    strata = st.unit_stratum
    n_h = st.n_sampled
    N_h = st.popsize
    has_strata = design.structure.has_strata
    if design.calibration:
        raise DesignError(
            "replicate weights from a calibrated design are not supported",
            item="type",
            hint="make the replicate design first, then calibrate each replicate",
        )
    if type == "JK1":
        if has_strata:
            raise DesignError("JK1 is for unstratified designs", item="type", hint="use type='JKn'")
        n = st.n_units
        f = np.ones((n, n)) * n / (n - 1)
        np.fill_diagonal(f, 0.0)
        corr = (N_h[0] - n) / N_h[0] if np.isfinite(N_h[0]) else 1.0
        scale, rscales = corr * (n - 1) / n, np.ones(n)
    elif type == "JKn":
        if not has_strata:
            raise DesignError("JKn needs a stratified design", item="type", hint="use type='JK1'")
        f, rscales, scale = _jkn(design, strata, n_h, N_h)
    elif type == "bootstrap":
        f, scale = _bootstrap(strata, n_h, N_h, replicates or 50, seed)
        rscales = np.ones(f.shape[1])
    elif type in ("BRR", "Fay"):
        if type == "Fay" and fay_rho == 0:
            raise DesignError("type='Fay' needs fay_rho > 0", item="fay_rho", hint="e.g. 0.5")
        f = _brr(design, strata, n_h, fay_rho)
        R = f.shape[1]
        scale, rscales = 1.0 / (R * (1 - fay_rho) ** 2), np.ones(R)
        type = "BRR" if fay_rho == 0 else "Fay"
    else:
        raise DesignError(
            f"unknown replicate type {type!r}",
            item="type",
            hint="use 'JK1', 'JKn', 'bootstrap', 'BRR' or 'Fay'",
        )
    out = ReplicateDesign(
        design.data,
        design.full_weights.copy(),
        type=type,
        scale=scale,
        rscales=rscales,
        mse=mse,
        factors=f,
        unit=unit,
    )
    out._mask = design.domain_mask
    out._domain = design.domain_label
    out._history = design.history
    return out


def _jkn(design: SurveyDesign, strata: np.ndarray, n_h: np.ndarray, N_h: np.ndarray):
    lonely = design.structure.lonely_psu
    n_units = len(strata)
    nstrat = len(n_h)
    cols, rs = [], []
    for h in range(nstrat):
        members = np.flatnonzero(strata == h)
        nh = len(members)
        corr = (N_h[h] - nh) / N_h[h] if np.isfinite(N_h[h]) else 1.0
        if corr == 0:
            continue
        if nh == 1:
            if lonely == "fail":
                raise DesignError(
                    f"stratum {design.structure.stages[0].stratum_labels[h]} has only one PSU",
                    item="strata",
                    hint="choose lonely_psu='adjust', 'average', 'certainty' or 'remove'",
                )
            if lonely == "adjust":
                col = np.full(n_units, nstrat / (nstrat - 1))
                col[members] = 0.0
                cols.append(col)
                rs.append((nstrat - 1) / nstrat)
            continue
        for m in members:
            col = np.ones(n_units)
            col[members] = nh / (nh - 1)
            col[m] = 0.0
            cols.append(col)
            rs.append(corr * (nh - 1) / nh)
    if not cols:
        raise DesignError(
            "all strata were fully enumerated: no replicate carries variance",
            item="fpc",
            hint="check the fpc",
        )
    scale = 1.0
    if lonely == "average" and len(cols) < n_units:
        scale = n_units / len(cols)
    return np.column_stack(cols), np.array(rs), scale


def _bootstrap(strata, n_h, N_h, replicates: int, seed: int | None):
    rng = np.random.default_rng(seed)
    n_units = len(strata)
    f = np.zeros((n_units, replicates))
    for h in range(len(n_h)):
        members = np.flatnonzero(strata == h)
        nh = len(members)
        for r in range(replicates):
            if np.isfinite(N_h[h]):
                pool = np.resize(rng.permutation(members), int(N_h[h]))
                draw = rng.choice(pool, size=nh, replace=False)
            else:
                draw = rng.choice(members, size=nh, replace=True)
            np.add.at(f[:, r], draw, 1.0)
    m = 1.0 / np.mean(1.0 / n_h)
    return f, m / ((m - 1) * (replicates - 1))


def _brr(design: SurveyDesign, strata: np.ndarray, n_h: np.ndarray, rho: float) -> np.ndarray:
    if np.any(n_h != 2):
        bad = [design.structure.stages[0].stratum_labels[h] for h in np.flatnonzero(n_h != 2)]
        raise DesignError(
            f"BRR needs exactly 2 PSUs per stratum; strata {bad[:10]} differ",
            item="strata",
            hint="collapse strata into pairs, or use type='JKn' or 'bootstrap'",
        )
    labels = design.structure.stages[0].stratum_labels
    order = np.argsort([str(v) for v in labels], kind="stable")  # R sorts strata as text
    k_of = np.empty(len(n_h), dtype=int)
    k_of[order] = np.arange(len(n_h))
    upto = len(n_h)
    size = 4
    while size < upto + 1:
        size *= 2
    H = sylvester(size)
    n_units = len(strata)
    f = np.empty((n_units, size))
    # the first PSU of each pair in order of appearance in the data (R's order(strata, match))
    unit = design.structure.stages[0].unit
    first_row = np.full(n_units, len(unit))
    np.minimum.at(first_row, unit, np.arange(len(unit)))
    other = np.empty(n_units, dtype=int)
    by_stratum = np.lexsort((first_row, strata))
    pairs = by_stratum.reshape(-1, 2)
    first = np.zeros(n_units, dtype=bool)
    first[pairs[:, 0]] = True
    other[pairs[:, 0]] = pairs[:, 1]
    for i in range(size):
        h = H[1 + k_of[strata], i]
        # H = 1: the first PSU is in the half-sample; H = 0: the second
        in_half = np.where(h == 1, first, ~first)
        f[:, i] = np.where(in_half, 2 - rho, rho)
    return f
