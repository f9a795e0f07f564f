"""Population variances and covariances of variables with design-based SEs (R's ``svyvar``).

For variables ``x_1..x_p`` with weighted means ``xbar`` over the ``n`` complete rows of the
domain, the estimate of ``Cov(x_i, x_j)`` is Kish's

    s_ij = n / (n - 1) * sum_k w_k (x_ki - xbar_i)(x_kj - xbar_j) / sum_k w_k,

the weighted mean of the centred products (Lumley 2010, 2.4; R's ``svyvar.survey.design``).
Its covariance comes from the design's variance engine (:meth:`Design.model_covariance`):

* linearisation: the influence values of a mean of the products ``n/(n-1) d_ki d_kj`` with
  ``xbar`` held fixed, as R computes ``svymean(a*b*n/(n-1), design)`` (any design, PPS
  included);
* replicates: ``s_ij`` recomputed with every replicate's weights, ``xbar`` included (R's
  ``svyvar.svyrep.design``).

Rows are ``(variable, variable2)`` pairs in R's column-major order of the ``p x p`` matrix;
:func:`trustsurvey.design.vcov` gives their covariance.

>>> import pandas as pd
>>> from trustsurvey.design import SurveyDesign
>>> df = pd.DataFrame({"psu": [1, 1, 2, 2, 3, 3], "y": [1.0, 2, 3, 4, 5, 6], "w": [1.0] * 6})
>>> res = SurveyDesign(df, ids="psu", weights="w").var("y")
>>> round(float(res["estimate"].iloc[0]), 4)  # the sample variance with equal weights
3.5
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from trustsurvey.design.domains import as_list, make_domains
from trustsurvey.design.estimators import numeric_column
from trustsurvey.design.metadata import annotate
from trustsurvey.design.results import attach_covmat, result_frame
from trustsurvey.errors import DesignError

if TYPE_CHECKING:
    from trustsurvey.design.base import Design


def _kish(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``n/(n-1)`` times the weighted mean of centred products, column-major ``p*p``."""
    n = x.shape[0]
    sw = w.sum()
    dev = x - (w @ x) / sw
    s = (dev * w[:, None]).T @ dev / sw
    with np.errstate(divide="ignore", invalid="ignore"):
        return (s * n / (n - 1)).ravel(order="F")


def svyvar(
    design: Design,
    variables: str | list[str],
    *,
    by: str | list[str] | None = None,
    by_missing: str = "drop",
    level: float = 0.95,
) -> pd.DataFrame:
    """Variances and covariances of ``variables`` (rows with a missing value in any of them
    are left out, R's ``na.rm=TRUE``), per group of ``by`` (R's ``svyby(..., svyvar)``)."""
    names = as_list(variables)
    if not names:
        raise DesignError("no variable given", hint="name one column or a list of columns")
    data = design.data
    x = np.column_stack([numeric_column(data, c) for c in names])
    p = len(names)
    complete = ~np.isnan(x).any(axis=1)
    doms = make_domains(data, as_list(by), by_missing)
    pairs = [(names[i], names[j]) for j in range(p) for i in range(p)]
    frames = []
    covs = []
    w_all = design.full_weights
    for d in range(doms.size):
        used = design.restrict(complete & (doms.codes == d))
        n = int(used.sum())
        if n < 2:
            est = np.full(p * p, np.nan)
            cov = np.full((p * p, p * p), np.nan)
        else:
            xu, wu = x[used], w_all[used]
            est = _kish(xu, wu)

            def influence(xu=xu, wu=wu, est=est, used=used, n=n) -> np.ndarray:
                dev = xu - (wu @ xu) / wu.sum()
                prod = np.stack([dev[:, i] * dev[:, j] for j in range(p) for i in range(p)], 1)
                z = np.zeros((len(used), p * p))
                z[used] = wu[:, None] * (prod * n / (n - 1) - est[None, :]) / wu.sum()
                return z

            def refit(w, xu=xu) -> np.ndarray:
                return _kish(xu, np.asarray(w, dtype=float))

            cov = design.model_covariance(est, used, influence=influence, refit=refit)
        index = pd.MultiIndex.from_tuples(pairs, names=["variable", "variable2"])
        frame = result_frame(
            est, np.diag(cov), df=design.degf, n=np.full(p * p, n), index=index, level=level
        )
        if doms.keys is not None:
            key = doms.keys[d] if isinstance(doms.keys[d], tuple) else (doms.keys[d],)
            frame.index = pd.MultiIndex.from_tuples(
                [(*key, *t) for t in pairs], names=[*doms.names, "variable", "variable2"]
            )
        frames.append(frame)
        covs.append(cov)
    out = frames[0] if len(frames) == 1 else pd.concat(frames)
    if len(frames) == 1:
        attach_covmat(out, covs[0])
    annotate(out, level=level, statistic="variance", by=doms.names)
    return out
