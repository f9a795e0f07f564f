"""The sparse (unit, domain) pair path of the variance equals the dense computation.

:func:`~trustsurvey.design.variance.pair_variances` (used for every variance-only estimate of
an uncalibrated design) must give the same numbers as
:func:`~trustsurvey.design.variance.covariance_from_totals` on the dense ``units x domains``
table, for random small designs: one or two stages, strata or none, ``nest``, fpc at one or
both stages (including a census stage), every lonely-PSU rule with and without
``adjust_domain_lonely``, several domains, empty (unit, domain) cells, NaN in ``y``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustsurvey import SurveyDesign
from trustsurvey.design.structure import build_structure
from trustsurvey.design.variance import covariance_from_totals, pair_codes, pair_variances

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LONELY = ("adjust", "average", "certainty", "remove")


@st.composite
def designs(draw) -> tuple[pd.DataFrame, dict]:
    """Strata (1-4, some with one PSU), PSUs with SSUs, fpc per stage, y with NaN, 4 domains."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    two_stage = draw(st.booleans())
    with_fpc = draw(st.booleans())
    stratified = draw(st.booleans())
    rows = []
    psu = 0
    for h in range(draw(st.integers(1, 4)) if stratified else 1):
        n_psu = int(rng.integers(1 if h else 2, 5))  # later strata may be lonely
        extra_psu = int(rng.integers(0, 4))
        for _ in range(n_psu):
            psu += 1
            n_ssu = int(rng.integers(1, 4))
            census = rng.random() < 0.3  # every SSU of the PSU sampled: no stage-2 variance
            for s in range(n_ssu):
                for _ in range(int(rng.integers(1, 4))):
                    fpc2 = n_ssu if census else n_ssu + int(rng.integers(1, 5))
                    rows.append((h, psu, s, n_psu + extra_psu, fpc2))
    df = pd.DataFrame(rows, columns=["stratum", "psu", "ssu", "fpc1", "fpc2"])
    # stage-2 population counts must be constant within each PSU
    df["fpc2"] = df.groupby("psu")["fpc2"].transform("max")
    n = len(df)
    df["w"] = rng.uniform(0.5, 4.0, n)
    df["y"] = np.round(rng.normal(1.0, 2.0, n), 2)
    df["x"] = rng.uniform(1.0, 3.0, n)
    df.loc[rng.random(n) < 0.15, "y"] = np.nan
    df["g"] = rng.choice(["a", "b", "c", "d"], n, p=[0.5, 0.3, 0.15, 0.05])
    df["cat"] = rng.choice(["lo", "mid", "hi"], n)
    spec = {
        "ids": ["psu", "ssu"] if two_stage else (None if draw(st.booleans()) else "psu"),
        "strata": "stratum" if stratified else None,
        "fpc": (["fpc1", "fpc2"] if two_stage else "fpc1") if with_fpc else None,
        "weights": "w",
        "lonely_psu": draw(st.sampled_from(LONELY)),
        "adjust_domain_lonely": draw(st.booleans()),
    }
    if spec["ids"] is None and spec["fpc"] is not None:
        df["fpc1"] = df.groupby("stratum")["fpc1"].transform("size") + 3
    if two_stage:
        df["ssu"] = df["psu"] * 10 + df["ssu"]  # unique SSU ids
    return df, spec


def _close(a, b) -> None:
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=1e-9, atol=1e-12)


@SETTINGS
@given(designs(), st.integers(0, 2**32 - 1), st.integers(1, 5), st.integers(1, 3))
def test_pair_variances_equal_dense_aggregation(case, seed, n_dom, n_var):
    df, spec = case
    ids = spec["ids"]
    fpc = spec["fpc"]
    s = build_structure(
        df,
        ids=ids if isinstance(ids, list) else [ids],
        strata=None if spec["strata"] is None else [spec["strata"]],
        fpc=None if fpc is None else (fpc if isinstance(fpc, list) else [fpc]),
        nest=False,
        lonely_psu=spec["lonely_psu"],
        adjust_domain_lonely=spec["adjust_domain_lonely"],
    )
    rng = np.random.default_rng(seed)
    nu = s.finest.n_units
    k = n_dom * n_var
    dense = rng.normal(size=(nu, n_dom, n_var)) * 10 + 3  # offsets test the centring
    dense[rng.random((nu, n_dom)) < 0.5] = 0.0  # most units absent from most domains
    occurs = np.abs(dense).sum(axis=2) > 0
    unit, dom = np.nonzero(occurs)
    totals = dense[unit, dom]
    factors = rng.uniform(0.5, 2.0, k) if rng.random() < 0.5 else None
    single = rng.random((s.stages[0].n_strata, k)) < 0.3 if rng.random() < 0.5 else None
    expected = covariance_from_totals(
        s, dense.reshape(nu, k), diag=True, factors=factors, single=single
    )
    got = pair_variances(s, unit, dom, totals, n_dom, factors=factors, single=single)
    _close(got, expected)
    # pairs listed in any order, and zero-total pairs listed explicitly, change nothing
    perm = rng.permutation(len(unit))
    got2 = pair_variances(
        s, unit[perm], dom[perm], totals[perm], n_dom, factors=factors, single=single
    )
    _close(got2, expected)
    full_u, full_d = np.divmod(np.arange(nu * n_dom), n_dom)
    got3 = pair_variances(
        s, full_u, full_d, dense.reshape(nu * n_dom, n_var), n_dom, factors=factors, single=single
    )
    _close(got3, expected)


@SETTINGS
@given(designs())
def test_estimators_sparse_path_equals_dense_covariance(case):
    """Variance-only estimates (pair path) equal the diagonal of ``covmat=True`` (dense)."""
    df, spec = case
    d = SurveyDesign(df, **spec)
    for kind in ("mean", "total"):
        sparse = getattr(d, kind)(["y", "x"], by="g")
        dense = getattr(d, kind)(["y", "x"], by="g", covmat=True)
        _close(sparse["estimate"], dense["estimate"])
        _close(sparse["se"], dense["se"])
    sparse = d.ratio("y", "x", by="g")
    dense = d.ratio("y", "x", by="g", covmat=True)
    _close(sparse["se"], dense["se"])
    sub = d.subset(df["x"] > 1.5)
    _close(sub.mean("y", by="g")["se"], sub.mean("y", by="g", covmat=True)["se"])
    _close(d.proportion("cat", by="g")["se"], d.proportion("cat", by="g", covmat=True)["se"])


def test_pair_codes_compact_and_hashed_agree():
    rng = np.random.default_rng(5)
    unit = rng.integers(0, 30, 200)
    dom = rng.integers(0, 4, 200)
    code, pu, pd_ = pair_codes(unit, dom, 30, 4)  # lookup table
    assert np.array_equal(pu[code], unit) and np.array_equal(pd_[code], dom)
    assert len(set(zip(pu.tolist(), pd_.tolist(), strict=True))) == len(pu)
    code2, pu2, pd2 = pair_codes(unit, dom, 10**6, 4)  # hash factorisation
    assert np.array_equal(pu2[code2], unit) and np.array_equal(pd2[code2], dom)
    assert len(pu2) == len(pu)


@pytest.mark.parametrize("lonely", LONELY)
def test_respondent_level_design_needs_no_unit_indicators(lonely):
    """ids=None: rows are units; means by domain never build the row-by-unit indicator."""
    rng = np.random.default_rng(1)
    n = 300
    df = pd.DataFrame(
        {
            "h": np.r_[np.zeros(n - 1, int), 1],  # stratum 1 has a single respondent
            "w": rng.uniform(1, 2, n),
            "y": rng.normal(size=n),
            "g": rng.integers(0, 6, n),
        }
    )
    d = SurveyDesign(df, strata="h", weights="w", lonely_psu=lonely)
    assert d.structure.finest.unit_is_row
    res = d.mean("y", by="g")
    assert "row_indicator" not in d.structure.finest.__dict__
    _close(res["se"], d.mean("y", by="g", covmat=True)["se"])
    assert d.data is df  # the caller's frame, not a copy
