"""Drawing the next wave's sample: allocation, systematic PPS, households, Kish grid.

Three stages, each with its inclusion probability written next to the unit:

1. settlements by systematic PPS within strata (size = population), certainty units first:
   ``pi1 = n_h x_i / X_h`` (Cochran 1977, 9A.2; Sarndal, Swensson and Wretman 1992, 3.6);
2. a fixed take of m households per settlement: ``pi2 = m / M_i``;
3. one adult per household by Kish's selection tables: ``pi3 = 1 / adults``.

The household weight ``1 / (pi1 pi2)`` is known at drawing; :func:`complete_weights` adds
``pi3`` and the overall weight once interviewers report the number of adults.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from trustsurvey.analysis._checks import require_columns
from trustsurvey.errors import AnalysisError

__all__ = [
    "KISH_TABLES",
    "SampleDraw",
    "allocate",
    "complete_weights",
    "draw_sample",
    "kish_assign",
    "kish_grid",
    "kish_select",
    "largest_remainder",
    "pps_probabilities",
    "systematic_pps",
]

#: Kish (1949) selection tables: the adult to interview for 1, 2, 3, 4, 5 and 6+ adults.
KISH_TABLES: dict[str, tuple[int, ...]] = {
    "A": (1, 1, 1, 1, 1, 1),
    "B1": (1, 1, 1, 1, 2, 2),
    "B2": (1, 1, 1, 2, 2, 2),
    "C": (1, 1, 2, 2, 3, 3),
    "D": (1, 2, 2, 3, 4, 4),
    "E1": (1, 2, 3, 3, 3, 5),
    "E2": (1, 2, 3, 4, 5, 5),
    "F": (1, 2, 3, 4, 5, 6),
}
#: One block of 12 sheets holds the tables in Kish's proportions (1/6 A, 1/12 B1, ...).
KISH_BLOCK: tuple[str, ...] = ("A", "A", "B1", "B2", "C", "C", "D", "D", "E1", "E2", "F", "F")

ALLOCATIONS = ("proportional", "equal", "neyman")


# --------------------------------------------------------------------------- allocation
def largest_remainder(
    quotas: Sequence[float] | np.ndarray,
    total: int,
    caps: Sequence[float] | np.ndarray | None = None,
) -> np.ndarray:
    """Integers summing to ``total`` from real quotas (Hamilton's largest-remainder method).

    >>> largest_remainder([2.5, 1.3, 1.2], 5).tolist()
    [3, 1, 1]
    """
    q = np.asarray(quotas, dtype="float64")
    base = np.floor(q + 1e-9).astype(int)
    cap = np.full(len(q), np.inf) if caps is None else np.asarray(caps, dtype="float64")
    short = int(total - base.sum())
    rem = q - base
    rem[base >= cap] = -np.inf  # a capped stratum cannot take another unit
    order = np.argsort(-rem, kind="stable")
    for i in order[: max(short, 0)]:
        base[i] += 1
    return base


def _stratum_sd(frame: pd.DataFrame, strata: str, sd: str | Mapping | None, keys) -> np.ndarray:
    if sd is None:
        raise AnalysisError(
            "Neyman allocation needs each stratum's standard deviation",
            item="sd",
            hint="pass sd= a column of the frame or a dict {stratum: sd}",
        )
    if isinstance(sd, str):
        require_columns(frame, [sd], what="frame")
        values = frame.groupby(strata, sort=False)[sd].first()
        out = np.array([float(values[k]) for k in keys])
    else:
        missing = [k for k in keys if k not in sd]
        if missing:
            raise AnalysisError(
                "no standard deviation given for stratum", item=list(map(str, missing))
            )
        out = np.array([float(sd[k]) for k in keys])
    if not (np.isfinite(out) & (out > 0)).all():
        raise AnalysisError("stratum standard deviations must be positive", item="sd")
    return out


def allocate(
    frame: pd.DataFrame,
    n: int,
    *,
    strata: str,
    size: str,
    method: str = "proportional",
    sd: str | Mapping | None = None,
    minimum: int = 0,
) -> pd.DataFrame:
    """Allocate ``n`` settlements (PSUs) across strata, in whole numbers.

    Parameters
    ----------
    frame : DataFrame
        The settlement frame, one row per settlement.
    n : int
        Settlements to select in all.
    strata, size : str
        Stratum column (e.g. community) and population-size column.
    method : {"proportional", "equal", "neyman"}
        Proportional to the stratum population; equal per stratum; or Neyman
        (``N_h S_h``).
    sd : str or dict, optional
        Neyman only: a frame column, or ``{stratum: sd}``, with each stratum's SD.
    minimum : int
        At least this many settlements per stratum (or all of a smaller stratum).

    Returns
    -------
    DataFrame, one row per stratum (frame order):
        stratum column, ``population`` (sum of sizes), ``units`` (settlements in the frame),
        ``n_exact`` (the real-valued allocation after minimums and caps), ``n`` (integer,
        by largest remainders, summing to ``n``).

    Notes
    -----
    ``n_h = n a_h / sum a`` with ``a_h = N_h`` (proportional), 1 (equal) or ``N_h S_h``
    (Neyman 1934; Cochran 1977, 5.5). Strata below the minimum or above their number of
    settlements are held there and the rest re-allocated in proportion, i.e.
    ``n_h = clip(lam a_h, min_h, units_h)`` with lam such that the sum is n; integers by
    the largest-remainder (Hamilton) rule.

    Examples
    --------
    >>> frame = pd.DataFrame({"hromada": ["a", "a", "b", "b", "b", "c"],
    ...                       "pop": [500, 300, 900, 600, 200, 100]})
    >>> allocate(frame, 4, strata="hromada", size="pop", minimum=1)["n"].tolist()
    [1, 2, 1]
    """
    require_columns(frame, [strata, size], what="frame")
    if method not in ALLOCATIONS:
        raise AnalysisError(
            f"unknown allocation {method!r}",
            item="allocation",
            hint=f"use {', '.join(ALLOCATIONS)}",
        )
    _check_sizes(frame, size)
    grouped = frame.groupby(strata, sort=False)
    pop = grouped[size].sum().astype(float)
    units = grouped.size().astype(int)
    keys = list(pop.index)
    n = int(n)
    if n < 1:
        raise AnalysisError("the number of settlements to select must be at least 1", item="n_psu")
    if n > units.sum():
        raise AnalysisError(
            f"{n} settlements requested but the frame has only {int(units.sum())}",
            item="n_psu",
            hint="lower --n-psu or add settlements to the frame",
        )
    if method == "proportional":
        a = pop.to_numpy()
    elif method == "equal":
        a = np.ones(len(keys))
    else:
        a = pop.to_numpy() * _stratum_sd(frame, strata, sd, keys)
    cap = units.to_numpy().astype(float)
    low = np.minimum(float(minimum), cap)
    if low.sum() > n:
        raise AnalysisError(
            f"a minimum of {minimum} per stratum needs {int(low.sum())} settlements, more than {n}",
            item="minimum",
            hint="raise --n-psu or lower the minimum",
        )
    target = _clipped_allocation(a, float(n), low, cap)
    ints = largest_remainder(target, n, caps=cap)
    return pd.DataFrame(
        {strata: keys, "population": pop.to_numpy(), "units": units.to_numpy(),
         "n_exact": target, "n": ints}
    )  # fmt: skip


def _clipped_allocation(a: np.ndarray, n: float, low: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """``clip(lam a_h, low_h, cap_h)`` with lam chosen so that the allocation sums to ``n``.

    The sum is continuous and non-decreasing in lam, from ``sum(low)`` to ``sum(cap)``, so
    bisection finds lam; strata at a bound keep it and the others share the rest in
    proportion to ``a`` (the usual "fix and re-allocate" rule, solved exactly).
    """
    lo, hi = 0.0, float((cap / a).max()) * 2 + 1.0

    def total(lam: float) -> float:
        return float(np.clip(lam * a, low, cap).sum())

    if total(lo) >= n:
        return np.clip(lo * a, low, cap)
    for _ in range(200):
        mid = (lo + hi) / 2
        if total(mid) < n:
            lo = mid
        else:
            hi = mid
    return np.clip(hi * a, low, cap)


def _check_sizes(frame: pd.DataFrame, size: str) -> None:
    values = pd.to_numeric(frame[size], errors="coerce")
    bad = np.flatnonzero(~(values > 0).fillna(False).to_numpy(dtype=bool))
    if bad.size:
        raise AnalysisError(
            "settlement sizes must be positive numbers",
            item=size,
            row=[int(i) + 1 for i in bad],
            hint="fix the population sizes, or remove settlements with no population",
        )


# --------------------------------------------------------------------------- PPS
def pps_probabilities(sizes: Sequence[float], n: int) -> np.ndarray:
    """Inclusion probabilities ``n x_i / X`` with certainty units (pi >= 1) taken out first.

    Parameters
    ----------
    sizes : array of float
        Positive measures of size.
    n : int
        Units to select.

    Returns
    -------
    ndarray of inclusion probabilities in (0, 1], summing to ``n``.

    Notes
    -----
    Units with ``n x_i / X >= 1`` are selected with certainty; the probabilities of the
    others are recomputed with ``n`` minus the certainty units until none exceeds 1
    (Sarndal, Swensson and Wretman 1992, 3.6.2). R: ``sampling::inclusionprobabilities``.

    Examples
    --------
    >>> pps_probabilities([100, 10, 10, 10, 10], 2).tolist()
    [1.0, 0.25, 0.25, 0.25, 0.25]
    """
    x = np.asarray(sizes, dtype="float64")
    if not (np.isfinite(x) & (x > 0)).all():
        raise AnalysisError("sizes must be positive", item="size")
    if n > len(x):
        raise AnalysisError(f"{n} units requested from {len(x)}", item="n_psu")
    pi = np.zeros(len(x))
    certain = np.zeros(len(x), dtype=bool)
    while True:
        m = n - certain.sum()
        rest = ~certain
        pi[rest] = m * x[rest] / x[rest].sum() if m > 0 else 0.0
        over = rest & (pi >= 1 - 1e-12)
        if not over.any():
            break
        certain |= over
        pi[certain] = 1.0
    return pi


def systematic_pps(
    sizes: Sequence[float], n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Systematic PPS selection in the given order (Madow 1949).

    Parameters
    ----------
    sizes : array of float
        Measures of size, in frame order (sort the frame first for implicit stratification).
    n : int
        Units to select.
    rng : numpy Generator
        Source of the random start.

    Returns
    -------
    (selected, pi)
        Boolean selection mask and inclusion probabilities (:func:`pps_probabilities`).

    Notes
    -----
    Certainty units are taken; along the cumulated probabilities ``c_i`` of the others, a
    random start ``u ~ U(0, 1)`` and the points ``u, u + 1, ...`` select the unit whose
    interval ``(c_{i-1}, c_i]`` holds a point, so unit i is selected with probability
    ``pi_i`` exactly (Cochran 1977, 9A.7).

    Examples
    --------
    >>> sel, pi = systematic_pps([100, 10, 10, 10, 10], 2, np.random.default_rng(1))
    >>> int(sel.sum()), bool(sel[0])
    (2, True)
    """
    pi = pps_probabilities(sizes, n)
    selected = pi >= 1.0
    rest = np.flatnonzero(~selected)
    if rest.size:
        c = np.concatenate([[0.0], np.cumsum(pi[rest])])
        c[-1] = round(c[-1])  # the probabilities sum to a whole number
        u = rng.uniform()
        hits = np.ceil(c[1:] - u) - np.ceil(c[:-1] - u)
        selected[rest[hits > 0]] = True
    return selected, pi


# --------------------------------------------------------------------------- Kish
def kish_assign(n: int, rng: np.random.Generator) -> list[str]:
    """Kish tables for ``n`` household sheets, in the standard proportions.

    Sheets get the tables in blocks of twelve (A twice, B1, B2, C twice, D twice, E1, E2,
    F twice), each block in random order, so any 12 consecutive sheets hold Kish's shares
    1/6, 1/12, 1/12, 1/6, 1/6, 1/12, 1/12, 1/6 (Kish 1949).

    >>> sorted(set(kish_assign(24, np.random.default_rng(0)))) == sorted(KISH_TABLES)
    True
    """
    out: list[str] = []
    while len(out) < n:
        out.extend(rng.permutation(KISH_BLOCK).tolist())
    return out[:n]


def kish_select(table: str, adults: int) -> int:
    """The adult (1-based position in the household listing) table ``table`` selects.

    >>> kish_select("D", 4)
    3
    """
    if table not in KISH_TABLES:
        raise AnalysisError(f"unknown Kish table {table!r}", item="kish_table")
    if adults < 1:
        raise AnalysisError("a household needs at least one eligible adult", item="adults")
    return KISH_TABLES[table][min(adults, 6) - 1]


def kish_grid() -> pd.DataFrame:
    """The eight Kish tables as a printable grid (rows: tables; columns: adults 1 to 6+).

    >>> kish_grid().loc["F"].tolist()
    [1, 2, 3, 4, 5, 6]
    """
    cols = ["adults_1", "adults_2", "adults_3", "adults_4", "adults_5", "adults_6plus"]
    grid = pd.DataFrame.from_dict(KISH_TABLES, orient="index", columns=cols)
    grid.index.name = "kish_table"
    return grid


# --------------------------------------------------------------------------- the draw
@dataclass
class SampleDraw:
    """A drawn sample: the allocation, the selected settlements and the household sheets."""

    allocation: pd.DataFrame
    settlements: pd.DataFrame
    households: pd.DataFrame


def draw_sample(
    frame: pd.DataFrame,
    *,
    strata: str,
    size: str,
    n_psu: int,
    take: int,
    allocation: str = "proportional",
    sd: str | Mapping | None = None,
    minimum: int = 0,
    households: str | None = None,
    household_size: float | None = None,
    id: str | None = None,
    seed: int = 1,
) -> SampleDraw:
    """Draw settlements by stratified systematic PPS, then household sheets with Kish tables.

    Parameters
    ----------
    frame : DataFrame
        Settlement frame: one row per settlement with stratum and population size.
    strata, size : str
        Stratum and size columns.
    n_psu : int
        Settlements to select, allocated by :func:`allocate`.
    take : int
        Households per settlement (all of them in a settlement with fewer).
    allocation, sd, minimum
        See :func:`allocate`.
    households : str, optional
        Column with the number of households per settlement (for ``pi2``); a column
        named ``households`` is used when neither this nor ``household_size`` is given.
    household_size : float, optional
        Without ``households``: households are estimated as ``size / household_size``.
    id : str, optional
        Settlement id column (default: the frame's row number, from 1).
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same sample.

    Returns
    -------
    SampleDraw
        ``allocation`` (see :func:`allocate`); ``settlements``: the selected rows with
        ``settlement_id, certainty, n_h, pi1, households, take, pi2, weight_household``;
        ``households``: one sheet per household with ``settlement_id``, stratum,
        ``household_no, kish_table``, the table's choice for 1-6+ adults, ``pi1, pi2``,
        empty ``adults, pi3, weight`` (filled by :func:`complete_weights`) and
        ``weight_household = 1 / (pi1 pi2)``.

    Notes
    -----
    ``pi1 = n_h x_i / X_h`` (certainty units 1), ``pi2 = take_i / M_i``,
    ``pi3 = 1 / adults``; the weight is ``1 / (pi1 pi2 pi3)`` (Kish 1965, ch. 7 and 11).
    R: ``sampling::UPsystematic(inclusionprobabilities(x, n))`` per stratum.

    Examples
    --------
    >>> frame = pd.DataFrame({"hromada": ["a"] * 4 + ["b"] * 4,
    ...                       "pop": [900, 400, 300, 200, 800, 500, 250, 150],
    ...                       "hh": [360, 160, 120, 80, 320, 200, 100, 60]})
    >>> s = draw_sample(frame, strata="hromada", size="pop", n_psu=4, take=5,
    ...                 households="hh", seed=3)
    >>> len(s.settlements), len(s.households)
    (4, 20)
    """
    require_columns(frame, [strata, size], what="frame")
    if take < 1:
        raise AnalysisError("the take of households must be at least 1", item="take")
    if frame[strata].isna().any():
        rows = [int(i) + 1 for i in np.flatnonzero(frame[strata].isna().to_numpy())]
        raise AnalysisError("settlements without a stratum", item=strata, row=rows)
    if id is not None:
        require_columns(frame, [id], what="frame")
        if frame[id].duplicated().any():
            dup = frame.loc[frame[id].duplicated(keep=False), id].astype(str).tolist()
            raise AnalysisError("settlement ids are not unique", item=id, row=dup)
    alloc = allocate(
        frame, n_psu, strata=strata, size=size, method=allocation, sd=sd, minimum=minimum
    )
    hh = _household_counts(frame, size, households, household_size)
    rng = np.random.default_rng(seed)
    work = frame.reset_index(drop=True).copy()
    work["settlement_id"] = work[id] if id is not None else np.arange(1, len(work) + 1)
    work["households"] = hh
    parts = []
    for key, n_h in zip(alloc[strata], alloc["n"], strict=True):
        sub = work.loc[work[strata] == key]
        if n_h == 0:
            continue
        sel, pi = systematic_pps(sub[size].to_numpy(dtype=float), int(n_h), rng)
        chosen = sub.loc[sel].copy()
        chosen["certainty"] = pi[sel] >= 1.0
        chosen["n_h"] = int(n_h)
        chosen["pi1"] = pi[sel]
        parts.append(chosen)
    settlements = pd.concat(parts, ignore_index=True)
    settlements["take"] = np.minimum(take, settlements["households"]).astype(int)
    settlements["pi2"] = settlements["take"] / settlements["households"]
    settlements["weight_household"] = 1.0 / (settlements["pi1"] * settlements["pi2"])
    return SampleDraw(alloc, settlements, _sheets(settlements, strata, rng))


def _household_counts(
    frame: pd.DataFrame, size: str, households: str | None, household_size: float | None
) -> np.ndarray:
    if households is None and household_size is None and "households" in frame.columns:
        households = "households"  # the conventional column name, used when present
    if households is not None:
        require_columns(frame, [households], what="frame")
        _check_sizes(frame, households)
        return pd.to_numeric(frame[households]).to_numpy(dtype=float)
    if household_size is None or household_size <= 0:
        raise AnalysisError(
            "the number of households per settlement is needed for pi2",
            item="households",
            hint="give a households column (--households COL) or an average household size "
            "(--household-size 2.6)",
        )
    counts = np.maximum(np.round(frame[size].to_numpy(dtype=float) / household_size), 1.0)
    return counts


def _sheets(settlements: pd.DataFrame, strata: str, rng: np.random.Generator) -> pd.DataFrame:
    takes = settlements["take"].to_numpy()
    idx = np.repeat(np.arange(len(settlements)), takes)
    sheets = pd.DataFrame(
        {
            "settlement_id": settlements["settlement_id"].to_numpy()[idx],
            strata: settlements[strata].to_numpy()[idx],
            "household_no": np.concatenate([np.arange(1, t + 1) for t in takes]),
        }
    )
    sheets["kish_table"] = kish_assign(len(sheets), rng)
    grid = kish_grid()
    for col in grid.columns:
        sheets[f"select_{col}"] = grid.loc[sheets["kish_table"], col].to_numpy()
    sheets["pi1"] = settlements["pi1"].to_numpy()[idx]
    sheets["pi2"] = settlements["pi2"].to_numpy()[idx]
    sheets["weight_household"] = 1.0 / (sheets["pi1"] * sheets["pi2"])
    sheets["adults"] = np.nan
    sheets["pi3"] = np.nan
    sheets["weight"] = np.nan
    return sheets


def complete_weights(sheets: pd.DataFrame, adults: str = "adults") -> pd.DataFrame:
    """Add ``pi3 = 1 / adults``, the overall ``pi`` and ``weight = 1 / (pi1 pi2 pi3)``.

    Parameters
    ----------
    sheets : DataFrame
        Household sheets from :func:`draw_sample` with the number of eligible adults filled.
    adults : str
        Column with the number of eligible adults (blank for a non-interview).

    Returns
    -------
    DataFrame: a copy of ``sheets`` with ``pi3``, ``pi`` and ``weight`` (NaN where adults is
    blank) and ``selected_adult`` (the Kish table's choice).

    Notes
    -----
    Kish (1965), 11.3. Kish's tables select exactly 1/adults for 1-4 and 6 adults; with 5
    adults the tables' shares are 1/6, 1/6, 1/4, 1/6, 1/4 and above 6 only the first six can
    be chosen — the usual ``1 / adults`` weight is kept, as in the ESS and most practice.

    Examples
    --------
    >>> sheet = pd.DataFrame({"kish_table": ["C"], "pi1": [0.5], "pi2": [0.1], "adults": [3]})
    >>> complete_weights(sheet)[["selected_adult", "weight"]].iloc[0].tolist()
    [2.0, 60.0]
    """
    require_columns(sheets, ["kish_table", "pi1", "pi2", adults], what="household sheets")
    out = sheets.copy()
    a = pd.to_numeric(out[adults], errors="coerce")
    bad = a.notna() & ((a < 1) | (a % 1 != 0))
    if bad.any():
        raise AnalysisError(
            "the number of eligible adults must be a whole number >= 1",
            item=adults,
            row=[int(i) + 1 for i in np.flatnonzero(bad.to_numpy())],
            hint="leave it blank for households without an interview",
        )
    out["selected_adult"] = [
        float(kish_select(t, int(n))) if pd.notna(n) else math.nan
        for t, n in zip(out["kish_table"], a, strict=True)
    ]
    out["pi3"] = 1.0 / a
    out["pi"] = out["pi1"] * out["pi2"] * out["pi3"]
    out["weight"] = 1.0 / out["pi"]
    return out
