"""Unit nonresponse: AAPOR outcome rates and nonresponse weighting adjustments.

Outcome rates follow AAPOR, *Standard Definitions: Final Dispositions of Case Codes and
Outcome Rates for Surveys*, 10th edition (2023). Disposition groups: I complete, P partial,
R refusal and break-off, NC non-contact, O other, UH / UO unknown eligibility (household /
other), NE not eligible. ``e`` is the estimated share of eligible cases among those of unknown
eligibility; by default AAPOR's proportional allocation
``e = (I+P+R+NC+O) / (I+P+R+NC+O+NE)``.

Weighting-class adjustment (Kalton and Flores-Cervantes 2003, "Weighting methods", J. Off.
Stat. 19): within each class the respondents' weights are multiplied by
``Σ_class w / Σ_class,respondents w``; nonrespondents get weight 0. Response propensity
classes: a logistic model of response, its predicted propensities cut into quantile classes
(Little 1986, "Survey nonresponse adjustments", Int. Stat. Rev. 54).

Examples
--------
>>> import pandas as pd
>>> d = pd.DataFrame({"disposition": ["I"] * 40 + ["P"] * 10 + ["R"] * 20 + ["NC"] * 10
...                   + ["O"] * 5 + ["UH"] * 10 + ["NE"] * 5})
>>> r = aapor_rates(d).set_index("rate")["value"]
>>> round(float(r["RR1"]), 4), round(float(r["COOP1"]), 4)
(0.4211, 0.5333)
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from trustsurvey.design.metadata import annotate
from trustsurvey.errors import WeightingError

GROUPS = ("I", "P", "R", "NC", "O", "UH", "UO", "NE")
RATES = (
    "RR1", "RR2", "RR3", "RR4", "RR5", "RR6",
    "COOP1", "COOP2", "COOP3", "COOP4",
    "REF1", "REF2", "REF3",
    "CON1", "CON2", "CON3",
)  # fmt: skip

# AAPOR numeric final disposition codes (Standard Definitions, tables 1-4) by prefix
_NUMERIC = (
    ("1.1", "I"),
    ("1.2", "P"),
    ("2.1", "R"),
    ("2.2", "NC"),
    ("2.3", "O"),
    ("2.", "O"),
    ("3.1", "UH"),
    ("3.", "UO"),
    ("4.", "NE"),
)


def _group_of(code: Any) -> str | None:
    if code is None or (isinstance(code, float) and np.isnan(code)):
        return None
    text = str(code).strip().upper()
    if text in GROUPS:
        return text
    if text.replace(".", "", 1).isdigit():
        num = f"{float(text):.3f}"
        for prefix, group in _NUMERIC:
            if num.startswith(prefix):
                return group
    return None


def rates_from_counts(c: Mapping[str, float], e: float) -> dict[str, float]:
    """The sixteen AAPOR rates from disposition counts ``c`` and eligibility share ``e``."""
    i, p, r, nc, o = (float(c.get(k, 0)) for k in ("I", "P", "R", "NC", "O"))
    u = float(c.get("UH", 0)) + float(c.get("UO", 0))
    ip = i + p
    known = ip + r + nc + o

    def div(a: float, b: float) -> float:
        return a / b if b > 0 else float("nan")

    contacted = ip + r + o
    return {
        "RR1": div(i, known + u),
        "RR2": div(ip, known + u),
        "RR3": div(i, known + e * u),
        "RR4": div(ip, known + e * u),
        "RR5": div(i, known),
        "RR6": div(ip, known),
        "COOP1": div(i, ip + r + o),
        "COOP2": div(ip, ip + r + o),
        "COOP3": div(i, ip + r),
        "COOP4": div(ip, ip + r),
        "REF1": div(r, known + u),
        "REF2": div(r, known + e * u),
        "REF3": div(r, known),
        "CON1": div(contacted, contacted + nc + u),
        "CON2": div(contacted, contacted + nc + e * u),
        "CON3": div(contacted, contacted + nc),
    }


def aapor_rates(
    dispositions: pd.DataFrame | pd.Series,
    by: str | Sequence[str] | None = None,
    e: float | None = None,
    *,
    column: str = "disposition",
) -> pd.DataFrame:
    """AAPOR RR1–RR6, COOP1–4, REF1–3 and CON1–3, overall or by groups (tidy).

    ``dispositions`` has one row per sampled case with a ``column`` of disposition groups
    (``I``, ``P``, ``R``, ``NC``, ``O``, ``UH``, ``UO``, ``NE``) or AAPOR numeric codes
    (``1.1``, ``2.10``, ``3.21``, ``4.70``…), or one row per group with count columns named
    ``I``…``NE``. Returns columns ``[by...], rate, value, e`` and the counts ``I``…``NE``.
    """
    by_cols = [by] if isinstance(by, str) else list(by or [])
    if isinstance(dispositions, pd.Series):
        dispositions = dispositions.to_frame(column)
    frame = dispositions
    for col in by_cols:
        if col not in frame.columns:
            raise WeightingError("grouping column not in the dispositions", item=col)
    if e is not None and not 0 <= e <= 1:
        raise WeightingError(f"e={e!r} must be a share between 0 and 1", item="e")
    if column in frame.columns:
        groups = frame[column].map(_group_of)
        bad = groups.isna()
        if bad.any():
            bad_rows = [int(i) + 1 for i in np.flatnonzero(bad.to_numpy())]
            shown = sorted({str(v) for v in frame.loc[bad, column]})[:5]
            raise WeightingError(
                f"unknown disposition code(s) {', '.join(shown)}",
                item=column,
                row=bad_rows,
                hint=f"use AAPOR groups {', '.join(GROUPS)} or AAPOR numeric codes",
            )
        tab = pd.crosstab(
            [frame[c] for c in by_cols] if by_cols else pd.Series("all", index=frame.index),
            groups,
        )
        counts = tab.reindex(columns=list(GROUPS), fill_value=0)
    elif all(g in frame.columns for g in ("I", "R", "NC")):
        counts = frame.set_index(by_cols) if by_cols else frame.assign(_all="all").set_index("_all")
        counts = counts.reindex(columns=list(GROUPS), fill_value=0).astype(float)
    else:
        raise WeightingError(
            f"no {column!r} column and no count columns I, P, R, NC, …",
            item=column,
            hint="give one row per case with a disposition column, or counts per group",
        )
    rows: list[dict[Hashable, Any]] = []
    for key, c in counts.iterrows():
        c = c.to_dict()
        elig = sum(c[k] for k in ("I", "P", "R", "NC", "O"))
        e_used = e if e is not None else (elig / (elig + c["NE"]) if elig + c["NE"] > 0 else 1.0)
        keys = key if isinstance(key, tuple) else (key,)
        for rate, value in rates_from_counts(c, e_used).items():
            row: dict[Hashable, Any] = dict(zip(by_cols, keys, strict=False)) if by_cols else {}
            row.update({"rate": rate, "value": value, "e": e_used})
            row.update({g: c[g] for g in GROUPS})
            rows.append(row)
    return pd.DataFrame(rows)


def _resolve(frame: pd.DataFrame, value: Any, name: str) -> pd.Series:
    if isinstance(value, str):
        if value not in frame.columns:
            raise WeightingError("column is not in the frame", item=value)
        return frame[value]
    if isinstance(value, list | tuple) and value and all(isinstance(v, str) for v in value):
        missing = [v for v in value if v not in frame.columns]
        if missing:
            raise WeightingError("columns are not in the frame", item=missing)
        return frame[list(value)].astype(str).agg(" × ".join, axis=1)
    series = pd.Series(np.asarray(value), index=frame.index, name=name)
    if len(series) != len(frame):
        raise WeightingError(f"{name} has {len(series)} values for {len(frame)} rows", item=name)
    return series


def nonresponse_adjust(
    frame: pd.DataFrame,
    weights: str | np.ndarray | pd.Series,
    responded: str | np.ndarray | pd.Series,
    classes: str | Sequence[str] | np.ndarray | pd.Series,
) -> pd.Series:
    """Weighting-class nonresponse adjustment of design weights (one row per eligible case).

    Returns the adjusted weights aligned with ``frame`` (0 for nonrespondents); the total
    weight of each class is kept. A class without respondents raises
    :class:`~trustsurvey.errors.WeightingError` naming it (collapse it with a neighbour).
    """
    w = pd.to_numeric(_resolve(frame, weights, "weights"), errors="coerce").to_numpy(float)
    bad = ~np.isfinite(w) | (w <= 0)
    if bad.any():
        raise WeightingError(
            f"{int(bad.sum())} design weight(s) are zero, negative or missing",
            item="weights",
            row=[int(i) + 1 for i in np.flatnonzero(bad)],
            hint="every sampled case needs a positive design weight",
        )
    resp_raw = _resolve(frame, responded, "responded")
    if resp_raw.isna().any():
        raise WeightingError(
            "response indicator has missing values",
            item="responded",
            row=[int(i) + 1 for i in np.flatnonzero(resp_raw.isna().to_numpy())],
            hint="code every case 1 (responded) or 0",
        )
    resp = resp_raw.astype(bool).to_numpy()
    cls = _resolve(frame, classes, "classes")
    if cls.isna().any():
        raise WeightingError(
            f"{int(cls.isna().sum())} case(s) have no weighting class",
            item="classes",
            row=[int(i) + 1 for i in np.flatnonzero(cls.isna().to_numpy())],
            hint="assign every case to a class (impute, or a class of its own)",
        )
    codes, levels = pd.factorize(cls, sort=True)
    k = len(levels)
    all_w = np.bincount(codes, weights=w, minlength=k)
    resp_w = np.bincount(codes, weights=w * resp, minlength=k)
    empty = np.flatnonzero(resp_w == 0)
    if empty.size:
        names = [str(levels[i]) for i in empty]
        raise WeightingError(
            f"weighting class(es) {', '.join(names)} have no respondents",
            item="classes",
            hint="collapse them with a neighbouring class",
        )
    factor = all_w / resp_w
    out = np.where(resp, w * factor[codes], 0.0)
    return pd.Series(out, index=frame.index, name="nr_weight")


def _logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray, max_iter: int = 50) -> np.ndarray:
    """Weighted logistic regression by Newton-Raphson (IRLS)."""
    beta = np.zeros(x.shape[1])
    for _ in range(max_iter):
        eta = np.clip(x @ beta, -30, 30)
        p = 1 / (1 + np.exp(-eta))
        grad = x.T @ (w * (y - p))
        hess = (x * (w * p * (1 - p))[:, None]).T @ x
        step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


def propensity_classes(
    frame: pd.DataFrame,
    responded: str | np.ndarray | pd.Series,
    covariates: Sequence[str],
    *,
    n_classes: int = 5,
    weights: str | np.ndarray | pd.Series | None = None,
) -> pd.Series:
    """Response-propensity classes: logistic model of response on ``covariates``, cut at
    quantiles of the predicted propensity (quintiles by default).

    Text covariates are dummy-coded against their first level. Returns integer classes
    ``1..n_classes`` aligned with ``frame`` (name ``propensity_class``), with the fitted
    propensities in ``result_info(classes)["propensity"]``
    (:func:`trustsurvey.design.result_info`); use with :func:`nonresponse_adjust`.
    """
    resp = _resolve(frame, responded, "responded")
    if resp.isna().any():
        raise WeightingError("response indicator has missing values", item="responded")
    missing = [c for c in covariates if c not in frame.columns]
    if missing:
        raise WeightingError("covariates are not in the frame", item=missing)
    xdf = frame[list(covariates)]
    if xdf.isna().any().any():
        cols = [c for c in covariates if xdf[c].isna().any()]
        raise WeightingError(
            "propensity covariates have missing values",
            item=cols,
            hint="impute them or use a 'missing' category",
        )
    num = [c for c in covariates if pd.api.types.is_numeric_dtype(xdf[c])]
    cat = [c for c in covariates if c not in num]
    parts = [np.ones((len(frame), 1))]
    if num:
        parts.append(xdf[num].to_numpy(float))
    if cat:
        parts.append(pd.get_dummies(xdf[cat].astype(str), drop_first=True).to_numpy(float))
    x = np.hstack(parts)
    w = (
        np.ones(len(frame))
        if weights is None
        else pd.to_numeric(_resolve(frame, weights, "weights")).to_numpy(float)
    )
    y = resp.astype(float).to_numpy()
    beta = _logistic(x, y, w)
    prop = 1 / (1 + np.exp(-np.clip(x @ beta, -30, 30)))
    ranks = pd.Series(prop).rank(method="first").to_numpy()
    classes = np.ceil(ranks * n_classes / len(prop)).astype(int)
    out = pd.Series(classes, index=frame.index, name="propensity_class")
    annotate(out, propensity=pd.Series(prop, index=frame.index, name="propensity"))
    return out
