"""Means, totals, proportions and ratios with domain (``by=``) estimates.

Each estimate is linearised (Lumley 2010, ch. 2; Woodruff 1971): for a domain ``d`` and
variable ``y`` the weighted influence value of row ``i`` is

* total: ``z_i = 1[i in d] w_i y_i``;
* mean: ``z_i = 1[i in d] w_i (y_i - ybar_d) / W_d``  (R: ``svymean.survey.design2``);
* ratio ``R = Y/X``: ``z_i = 1[i in d] w_i (y_i - R x_i) / X_d``  (R: ``svyratio``),

zero outside the domain and for rows where a variable is missing (R's ``na.rm=TRUE``), so the
full design is kept (R's ``subset.survey.design``). All domains and variables are done in one
pass of grouped sums: unit-by-domain totals ``np.bincount(unit * D + domain)``.

The design effect is R's ``deff=TRUE``: the variance over that of simple random sampling
without replacement of the same size from a population of size ``W_d`` (the domain's weight
total): ``v_srs = s^2_w (W_d - n_d) / (W_d n_d)`` for a mean (times ``W_d^2`` for a total),
``s^2_w`` the weighted variance with divisor ``n_d - 1`` (R's ``svyvar``). With
``deff="replace"`` the SRS is with replacement: ``v_srs = s^2_w / n_d``.

>>> import pandas as pd
>>> from trustsurvey.design import SurveyDesign
>>> df = pd.DataFrame({"psu": [1, 1, 2, 2, 3, 3], "y": [1.0, 2, 3, 4, 5, 6], "w": [1.0] * 6})
>>> d = SurveyDesign(df, ids="psu", weights="w")
>>> round(float(d.mean("y")["estimate"].iloc[0]), 3)
3.5
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from trustsurvey.design.domains import Domains, as_list, check_columns, make_domains
from trustsurvey.design.metadata import annotate
from trustsurvey.design.results import attach_covmat, group_index, result_frame
from trustsurvey.design.variance import (
    adjusted_unit_totals,
    covariance_from_totals,
    domain_lonely,
    pair_codes,
    pair_variances,
)
from trustsurvey.errors import DesignError

if TYPE_CHECKING:
    from trustsurvey.design.base import Design
    from trustsurvey.design.core import SurveyDesign
    from trustsurvey.design.structure import DesignStructure

# with calibration adjustments, row-level scores are built in blocks of at most this many values
BLOCK_ELEMENTS = 2**22


def numeric_column(data: pd.DataFrame, col: str) -> np.ndarray:
    """The column as float with NaN for missing; a clear error if it is not numeric."""
    check_columns(data, [col], "variable")
    s = data[col]
    if s.dtype == bool or pd.api.types.is_bool_dtype(s.dtype):
        return s.astype(float).to_numpy()
    if not pd.api.types.is_numeric_dtype(s.dtype):
        raise DesignError(
            f"variable {col!r} is not numeric (dtype {s.dtype})",
            item=col,
            hint="use design.proportion() for categories, or convert the column to numbers",
        )
    if s.dtype == np.float64:  # a read-only view (copy-on-write), NaN already missing
        return s.to_numpy()
    return s.to_numpy(dtype=float, na_value=np.nan)


def _deff(
    kind: str, var: np.ndarray, s2: np.ndarray, sw: np.ndarray, n: np.ndarray, mode: str
) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        wor = np.where(sw < n, np.nan, s2 * (sw - n) / (sw * n))
        vsrs = s2 / n if mode == "replace" else wor
        if kind == "total":
            vsrs = vsrs * sw**2
        return var / vsrs


def _column(ys: np.ndarray | Sequence[np.ndarray | None], v: int) -> np.ndarray | None:
    return ys[:, v] if isinstance(ys, np.ndarray) else ys[v]


def linear_stats(
    design: SurveyDesign,
    ys: np.ndarray | Sequence[np.ndarray],
    valid: np.ndarray | Sequence[np.ndarray | None] | None,
    doms: Domains,
    kind: str,
    *,
    covmat: bool = False,
    deff: str = "wor",
) -> dict[str, np.ndarray]:
    """Means or totals of the columns of ``ys`` (``n x V`` or a list of columns) per domain.

    ``valid`` (``n x V``, a list, or ``None``) marks rows that count for each column; NaN in
    ``ys`` is always invalid. Returns arrays shaped ``(D, V)`` (``estimate, var, n, deff``)
    and, with ``covmat``, ``cov`` of the ``D*V`` estimates in group-major order.

    The influence total of unit ``u`` in domain ``d`` is ``(T_wy - ybar_d T_w) / W_d``. Variances
    alone (the default) come from the (unit, domain) pairs that occur, one variable at a time
    (:func:`~trustsurvey.design.variance.pair_variances`: memory ``O(n)``, never units x
    domains). ``covmat=True`` needs every estimate's unit totals together and builds the dense
    ``units x D x V`` table. With calibration adjustments row-level scores are built in blocks
    of domains, calibrated and summed to units.
    """
    struct = design.structure
    w = design.full_weights
    D = doms.size
    V = ys.shape[1] if isinstance(ys, np.ndarray) else len(ys)
    codes = doms.codes
    in_dom = design.restrict(codes >= 0)
    all_in = bool(in_dom.all())
    codes0 = codes if all_in else np.where(in_dom, codes, 0)
    w_base = w if all_in else w * in_dom
    finest = struct.finest
    nu = finest.n_units
    adjust = bool(design.calibration)
    est = np.empty((D, V))
    nn = np.empty((D, V))
    s2 = np.empty((D, V))
    sws = np.empty((D, V))
    var = np.empty((D, V))
    totals = np.empty((nu, D, V)) if covmat else None
    block = max(1, int(BLOCK_ELEMENTS // max(struct.n, 1)))
    factors = None
    single = None
    pairs = _PairCache(struct, codes0, D)
    shared: dict[str, np.ndarray] = {}
    for v in range(V):
        y = np.asarray(_column(ys, v), dtype=float)
        given = None if valid is None else _column(valid, v)
        ok_v: np.ndarray | None = None
        if given is not None:
            ok_given = np.asarray(given, dtype=bool) & ~np.isnan(y)
            ok_v = None if ok_given.all() else ok_given
        elif np.isnan(y.sum()):  # one cheap pass; NaN propagates through the sum
            ok_v = ~np.isnan(y)
        if ok_v is None:
            ok, wv, y0 = in_dom, w_base, y
        else:
            ok, wv, y0 = in_dom & ok_v, w_base * ok_v, np.where(ok_v, y, 0.0)
        wy = wv * y0
        if ok_v is not None or "sw" not in shared:  # the same for all complete variables
            shared_now = {
                "sw": np.bincount(codes0, weights=wv, minlength=D),
                "n": np.bincount(codes0, weights=ok, minlength=D),
            }
            if ok_v is None:
                shared.update(shared_now)
        else:
            shared_now = shared
        sw, n_d = shared_now["sw"], shared_now["n"]
        sparse = not adjust and totals is None
        if sparse:  # unit-by-domain totals only where (unit, domain) pairs occur
            code, unit, dom = pairs.get(ok)
            if ok_v is not None or "tw" not in shared_now:
                shared_now["tw"] = pairs.sum(code, len(unit), wv)
            tw, twy = shared_now["tw"], pairs.sum(code, len(unit), wy)
            swy = np.bincount(dom, weights=twy, minlength=D)
        else:
            swy = np.bincount(codes0, weights=wy, minlength=D)
        with np.errstate(divide="ignore", invalid="ignore"):
            m = swy / sw
        est[:, v] = m if kind == "mean" else swy
        nn[:, v] = n_d
        sws[:, v] = sw
        # weighted variance for the design effect: sum w y^2 / W - ybar^2, times n/(n-1)
        ss = np.bincount(codes0, weights=wy * y0, minlength=D)
        with np.errstate(divide="ignore", invalid="ignore"):
            s2[:, v] = np.clip(ss / sw - m * m, 0, None) * n_d / (n_d - 1)
        fv, sv = domain_lonely(struct, ok, codes0, D)
        if fv is not None:
            if factors is None:
                factors = np.ones((D, V))
            factors[:, v] = fv
        if sv is not None:
            if single is None:
                single = np.zeros((struct.stages[0].n_strata, D, V), dtype=bool)
            single[:, :, v] = sv
        if adjust:
            # row-level scores, calibrated, summed to units: in blocks of domains so that at
            # most BLOCK_ELEMENTS scores exist at a time (adjustments act column by column)
            rows = np.flatnonzero(ok)
            c = codes0[rows]
            with np.errstate(divide="ignore", invalid="ignore"):
                row_score = wv[rows] * (y0[rows] - m[c]) / sw[c] if kind == "mean" else wy[rows]
            row_score = np.where(np.isfinite(row_score), row_score, 0.0)
            for d0 in range(0, D, block):
                d1 = min(D, d0 + block)
                sel = (c >= d0) & (c < d1)
                z = np.zeros((struct.n, d1 - d0))
                z[rows[sel], c[sel] - d0] = row_score[sel]
                t = adjusted_unit_totals(struct, z, design.calibration)
                del z
                if totals is not None:
                    totals[:, d0:d1, v] = t
                    continue
                if not np.isfinite(t).all():
                    t = np.where(np.isfinite(t), t, 0.0)
                var[d0:d1, v] = covariance_from_totals(
                    struct,
                    t,
                    diag=True,
                    factors=None if fv is None else fv[d0:d1],
                    single=None if sv is None else sv[:, d0:d1],
                )
        elif totals is not None:
            key = finest.unit * D + codes0
            tw = np.bincount(key, weights=wv, minlength=nu * D).reshape(nu, D)
            twy = np.bincount(key, weights=wy, minlength=nu * D).reshape(nu, D)
            with np.errstate(divide="ignore", invalid="ignore"):
                totals[:, :, v] = (twy - m * tw) / sw if kind == "mean" else twy
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                z = (twy - m[dom] * tw) / sw[dom] if kind == "mean" else twy
            if not np.isfinite(z).all():
                z = np.where(np.isfinite(z), z, 0.0)
            var[:, v] = pair_variances(struct, unit, dom, z, D, factors=fv, single=sv)
    cov = None
    if totals is not None:
        fac = None if factors is None else factors.ravel()
        sng = None if single is None else single.reshape(single.shape[0], D * V)
        t = totals.reshape(nu, D * V)
        if (nn == 0).any():
            t = np.where(np.isfinite(t), t, 0.0)
        cov = covariance_from_totals(struct, t, diag=False, factors=fac, single=sng)
        var = np.diag(cov).reshape(D, V)
    var = np.where(nn == 0, np.nan, var)
    out = {
        "estimate": est,
        "var": var,
        "n": nn,
        "deff": _deff(kind, var, s2, sws, nn, deff),
        "sw": sws,
    }
    if cov is not None:
        out["cov"] = cov
    return out


class _PairCache:
    """The (finest unit, domain) pairs of the rows that count, reused across variables.

    With every row its own unit (``ids=None``) the pairs are the rows themselves and nothing
    is factorised; otherwise :func:`~trustsurvey.design.variance.pair_codes` codes them once
    per distinct set of counted rows.
    """

    def __init__(self, struct: DesignStructure, codes0: np.ndarray, n_dom: int) -> None:
        self.finest = struct.finest
        self.codes0 = codes0
        self.n_dom = n_dom
        self._ok: np.ndarray | None = None
        self._rows: np.ndarray | None = None
        self._value: tuple[np.ndarray | None, np.ndarray, np.ndarray] | None = None

    def _rows_of(self, ok: np.ndarray) -> np.ndarray | None:
        return None if ok.all() else np.flatnonzero(ok)

    def get(self, ok: np.ndarray) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
        """``(pair code per counted row or None if rows are pairs, pair unit, pair domain)``."""
        if self._value is not None and (
            ok is self._ok or (self._ok is not None and np.array_equal(ok, self._ok))
        ):
            return self._value
        rows = self._rows_of(ok)
        unit = self.finest.unit if rows is None else self.finest.unit[rows]
        dom = self.codes0 if rows is None else self.codes0[rows]
        if self.finest.unit_is_row:
            value: tuple[np.ndarray | None, np.ndarray, np.ndarray] = (None, unit, dom)
        else:
            value = pair_codes(unit, dom, self.finest.n_units, self.n_dom)
        self._ok, self._rows, self._value = ok, rows, value
        return value

    def sum(self, code: np.ndarray | None, n_pairs: int, x: np.ndarray) -> np.ndarray:
        """Pair totals of the row values ``x`` over the rows counted by the last ``get``."""
        xs = x if self._rows is None else x[self._rows]
        if code is None:
            return xs
        return np.bincount(code, weights=xs, minlength=n_pairs)


def _frame_from_stats(
    design: Design,
    stats_: dict[str, np.ndarray],
    doms: Domains,
    labels: list,
    label_name: str,
    *,
    covmat: bool,
    level: float,
    cv: bool,
    moe: bool,
) -> pd.DataFrame:
    index = group_index(doms.keys, labels, label_name)
    frame = result_frame(
        stats_["estimate"].ravel(),
        stats_["var"].ravel(),
        df=design.degf,
        n=stats_["n"].ravel(),
        deff=stats_["deff"].ravel(),
        index=index,
        level=level,
        cv=cv,
        moe=moe,
    )
    if covmat:
        attach_covmat(frame, stats_["cov"])
    annotate(frame, n_missing_by=doms.n_missing_by, by=doms.names)
    if doms.empty:
        annotate(frame, empty_groups=doms.empty)
    return frame


def mean_or_total(
    design: Design,
    variables: str | list[str],
    kind: str,
    *,
    by=None,
    by_missing: str = "drop",
    covmat: bool = False,
    level: float = 0.95,
    cv: bool = False,
    moe: bool = False,
    deff: str = "wor",
) -> pd.DataFrame:
    """Design-based means or totals (see module docstring)."""
    names = as_list(variables)
    if not names:
        raise DesignError("no variable given", hint="name one column or a list of columns")
    data = design.data
    ys = [numeric_column(data, c) for c in names]
    doms = make_domains(data, as_list(by), by_missing)
    st = design.linear_stats(ys, None, doms, kind, covmat=covmat, deff=deff)
    return _frame_from_stats(
        design, st, doms, names, "variable", covmat=covmat, level=level, cv=cv, moe=moe
    )


def categories(series: pd.Series) -> list:
    """Categories of an item in sorted order (a Categorical keeps its own order)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return list(series.cat.categories)
    return sorted(series.dropna().unique().tolist())


def proportion_stats(
    design: Design,
    y: str,
    *,
    by=None,
    by_missing: str = "drop",
    covmat: bool = False,
    deff: str = "wor",
) -> tuple[dict[str, np.ndarray], Domains, list]:
    data = design.data
    check_columns(data, [y], "variable")
    s = data[y]
    cats = categories(s)
    if not cats:
        raise DesignError(
            f"variable {y!r} has no non-missing values", item=y, hint="check the column"
        )
    present = s.notna().to_numpy()
    values = s.to_numpy()
    ys = np.column_stack([(values == c) & present for c in cats]).astype(float)
    valid = np.repeat(design.restrict(present)[:, None], len(cats), axis=1)
    doms = make_domains(data, as_list(by), by_missing)
    st = design.linear_stats(ys, valid, doms, "mean", covmat=covmat, deff=deff)
    return st, doms, cats


def ratio(
    design: SurveyDesign,
    numerator: str,
    denominator: str,
    *,
    by=None,
    by_missing: str = "drop",
    covmat: bool = False,
    level: float = 0.95,
    cv: bool = False,
    moe: bool = False,
) -> pd.DataFrame:
    """Ratio of totals ``Y/X`` per domain, as R's ``svyratio`` (Cochran 1977, 6.11)."""
    data = design.data
    y = numeric_column(data, numerator)
    x = numeric_column(data, denominator)
    doms = make_domains(data, as_list(by), by_missing)
    ok = design.restrict(~np.isnan(y) & ~np.isnan(x) & (doms.codes >= 0))
    D = doms.size
    c = doms.codes[ok]
    w = design.full_weights[ok]
    sy = np.bincount(c, weights=w * y[ok], minlength=D)
    sx = np.bincount(c, weights=w * x[ok], minlength=D)
    sw = np.bincount(c, weights=w, minlength=D)
    n_d = np.bincount(c, minlength=D).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = sy / sx
        resid = (y[ok] - r[c] * x[ok]) / sx[c]
    struct = design.structure
    score = w * resid
    fac, sng = domain_lonely(struct, ok, doms.codes, D)
    if design.calibration:
        z = np.zeros((struct.n, D))
        z[np.flatnonzero(ok), c] = score
        cov = design.influence_covariance(
            np.nan_to_num(z), diag=not covmat, factors=fac, single=sng
        )
    elif covmat:
        nu = struct.finest.n_units
        key = struct.finest.unit[ok] * D + c
        t = np.bincount(key, weights=score, minlength=nu * D).reshape(nu, D)
        cov = covariance_from_totals(struct, np.nan_to_num(t), diag=False, factors=fac, single=sng)
    else:  # variances only: from the (unit, domain) pairs that occur
        finest = struct.finest
        if finest.unit_is_row:
            unit, dom, t = np.flatnonzero(ok), c, score
        else:
            code, unit, dom = pair_codes(finest.unit[ok], c, finest.n_units, D)
            t = np.bincount(code, weights=score, minlength=len(unit))
        cov = pair_variances(struct, unit, dom, np.nan_to_num(t), D, factors=fac, single=sng)
    var = np.diag(cov) if covmat else cov
    # deff as R: deff(svytotal(r, design)) with r the residual
    with np.errstate(divide="ignore", invalid="ignore"):
        rbar = np.bincount(c, weights=w * resid, minlength=D) / sw
        dev = resid - rbar[c]
        s2 = np.bincount(c, weights=w * dev * dev, minlength=D) / sw * n_d / (n_d - 1)
    deff = _deff("total", var, s2, sw, n_d, "wor")
    label = f"{numerator}/{denominator}"
    index = group_index(doms.keys, [label], "variable")
    frame = result_frame(
        r, var, df=design.degf, n=n_d, deff=deff, index=index, level=level, cv=cv, moe=moe
    )
    if covmat:
        attach_covmat(frame, cov)
    return annotate(frame, n_missing_by=doms.n_missing_by, by=doms.names)
