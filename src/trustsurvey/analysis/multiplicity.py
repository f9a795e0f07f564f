"""Many outcomes at once: Holm and Benjamini-Hochberg adjusted p-values in the same table.

Holm (1979) controls the family-wise error rate; Benjamini & Hochberg (1995) the false
discovery rate. Both via ``statsmodels.stats.multitest.multipletests`` (R: ``p.adjust(p,
"holm")``, ``p.adjust(p, "BH")``). Rows whose p-value is NA (e.g. a cell without answers)
keep NA adjusted values and do not count in the family.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from trustsurvey.errors import AnalysisError

__all__ = ["adjust_pvalues"]

_METHODS = {"holm": "holm", "bh": "fdr_bh"}


def adjust_pvalues(
    table: pd.DataFrame,
    p: str = "p",
    *,
    methods: Sequence[str] = ("holm", "bh"),
    family: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Add ``p_holm`` and ``p_bh`` columns (adjusted over the rows, or within ``family`` groups).

    Parameters
    ----------
    table : DataFrame
        A result table with a p-value column.
    p : str
        The p-value column.
    methods : {"holm", "bh"}
        Which adjustments to add.
    family : str or list of str, optional
        Columns defining separate families (e.g. ``"wave"``); default one family.

    Examples
    --------
    >>> t = pd.DataFrame({"outcome": list("abcd"), "p": [0.01, 0.04, 0.03, np.nan]})
    >>> adjust_pvalues(t)[["p_holm", "p_bh"]].round(4).values.tolist()
    [[0.03, 0.03], [0.06, 0.04], [0.06, 0.04], [nan, nan]]
    """
    from statsmodels.stats.multitest import multipletests

    if p not in table.columns:
        raise AnalysisError(
            "no p-value column in the table", item=p, hint="name the column with p='...'"
        )
    unknown = [m for m in methods if m not in _METHODS]
    if unknown:
        raise AnalysisError(
            f"unknown adjustment(s) {unknown}", item="methods", hint="use 'holm' and/or 'bh'"
        )
    out = table.copy()
    pv = pd.to_numeric(out[p], errors="coerce")
    groups = (
        [np.arange(len(out))]
        if family is None
        else [
            np.asarray(ix)
            for ix in out.reset_index(drop=True).groupby(family, dropna=False).indices.values()
        ]
    )
    for m in methods:
        adj = np.full(len(out), np.nan)
        for ix in groups:
            vals = pv.to_numpy()[ix]
            ok = np.isfinite(vals)
            if ok.any():
                res = multipletests(vals[ok], method=_METHODS[m])[1]
                adj[ix[ok]] = res
        out[f"p_{m}"] = adj
    return out
