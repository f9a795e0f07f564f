"""The bare-numpy bound: domain means and linearisation SEs from PSU-by-domain totals.

Stratified cluster sample, PSUs drawn with replacement within strata (no fpc), weights ``w``.
For domain ``d`` and variable ``y`` the ratio estimator of the mean is
``R_d = sum_i w_i y_i 1[i in d] / sum_i w_i 1[i in d]``; its linearised influence summed over
PSU ``c`` of stratum ``h`` is ``z_hc = (T_hc(wy) - R_d T_hc(w)) / W_d`` and

    Var(R_d) = sum_h n_h / (n_h - 1) * sum_c (z_hc - zbar_h)^2

(Lumley 2010, sec. 2.2 and 3.3; Wolter 2007, ch. 6; R ``svyby(~y, ~d, design, svymean)`` with
``svydesign(ids=~psu, strata=~stratum, weights=~w, nest=TRUE)``). All PSU-by-domain totals come
from one ``np.bincount`` per variable on the combined ``psu * D + domain`` code; the stratum
sums of the ``P x D`` matrices use ``np.add.reduceat`` (PSU codes are sorted by stratum). This
is the fastest plain-numpy route we know and serves as both a speed bound and a correctness
reference for ``SurveyDesign.mean(..., by=...)``.

Example
-------
>>> from benchmarks._data import make_survey, variable_names
>>> df = make_survey(2_000, seed=1)
>>> res = domain_means(df, variable_names(), by="domain", strata="stratum", psu="psu",
...                    weights="weight")
>>> list(res.columns), len(res)
(['domain', 'variable', 'estimate', 'se'], 500)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def _codes(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted levels and integer codes; O(n) lookup table for compact non-negative ints."""
    if x.dtype.kind in "iu" and len(x) and x.min() >= 0 and x.max() <= 4 * len(x) + 1024:
        present = np.bincount(x)
        levels = np.flatnonzero(present)
        lut = np.zeros(len(present), dtype=np.intp)
        lut[levels] = np.arange(len(levels))
        return levels.astype(x.dtype), lut[x]
    levels, inverse = np.unique(x, return_inverse=True)
    return levels, inverse.astype(np.intp, copy=False)


def domain_means(
    df: pd.DataFrame,
    variables: Sequence[str],
    *,
    by: str,
    strata: str,
    psu: str,
    weights: str,
) -> pd.DataFrame:
    """Domain means of ``variables`` by ``by`` with with-replacement linearisation SEs.

    Returns a long DataFrame with columns ``by, variable, estimate, se``: domains in sorted
    order, then variables in the order given. Raises ``ValueError`` if a stratum has one PSU.
    """
    s_lev, s_code = _codes(df[strata].to_numpy())
    p_raw = df[psu].to_numpy()
    _, p_in = _codes(p_raw)
    # PSUs nested in strata; codes sorted by stratum first so reduceat can sum strata
    p_key = s_code.astype(np.int64) * (int(p_in.max()) + 1) + p_in
    p_lev, p_code = _codes(p_key)
    n_psu = len(p_lev)
    psu_stratum = (p_lev // (int(p_in.max()) + 1)).astype(np.intp)
    n_h = np.bincount(psu_stratum, minlength=len(s_lev))
    if (n_h < 2).any():
        raise ValueError(f"strata with a single PSU: {s_lev[n_h < 2].tolist()}")
    starts = np.concatenate([[0], np.cumsum(n_h)[:-1]])

    d_lev, d_code = _codes(df[by].to_numpy())
    n_dom = len(d_lev)
    cell = p_code * n_dom + d_code
    size = n_psu * n_dom
    w = df[weights].to_numpy(dtype=np.float64)
    t_w = np.bincount(cell, w, minlength=size).reshape(n_psu, n_dom)
    w_d = t_w.sum(axis=0)

    k = len(variables)
    z = np.empty((n_psu, k, n_dom))
    est = np.empty((k, n_dom))
    for j, v in enumerate(variables):
        t_wy = np.bincount(cell, w * df[v].to_numpy(dtype=np.float64), minlength=size)
        t_wy = t_wy.reshape(n_psu, n_dom)
        est[j] = t_wy.sum(axis=0) / w_d
        z[:, j, :] = (t_wy - est[j] * t_w) / w_d
    z = z.reshape(n_psu, k * n_dom)
    zbar = np.add.reduceat(z, starts, axis=0) / n_h[:, None]
    dev = z - np.repeat(zbar, n_h, axis=0)
    ss = np.add.reduceat(dev * dev, starts, axis=0)
    var = ((n_h / (n_h - 1.0))[:, None] * ss).sum(axis=0).reshape(k, n_dom)

    return pd.DataFrame(
        {
            by: np.repeat(d_lev, k),
            "variable": np.tile(np.asarray(variables, dtype=object), n_dom),
            "estimate": est.T.ravel(),
            "se": np.sqrt(var).T.ravel(),
        }
    )
