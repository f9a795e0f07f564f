"""Reliability of the procedural-justice index against the R reference and pingouin.

Expected numbers: ``pj_alpha_unweighted`` and ``pj_index_n_valid`` in
tests/fixtures/trust/trust_reference.json (R 4.2, oracle.R: ``psych``-free alpha of the
five items on complete cases, and the count of respondents with >= 4 of 5 valid items).
The .sav is read with ``trustsurvey.io.read_survey(path).analysis()`` (8/9 -> NaN).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin as pg
import pytest

from trustsurvey.analysis import (
    cronbach_alpha,
    factor_loadings_by_group,
    item_analysis,
    omega_total,
    scale_reliability,
    scale_score,
)
from trustsurvey.io import read_survey

PJ = ["pj_respect", "pj_fair", "pj_explain", "eff_response", "abuse_power"]
PJ_REV = ["pj_respect", "pj_fair", "pj_explain", "eff_response", "abuse_rev"]


@pytest.fixture(scope="module")
def trust(fixtures_dir) -> pd.DataFrame:
    data = read_survey(fixtures_dir / "trust" / "trust_two_waves.sav").analysis()
    return data.assign(abuse_rev=6 - data["abuse_power"])


def test_alpha_matches_r_reference(trust, trust_reference):
    res = cronbach_alpha(trust, PJ_REV)
    assert res["alpha"].iloc[0] == pytest.approx(trust_reference["pj_alpha_unweighted"], rel=1e-6)


def test_index_valid_count_matches_r_reference(trust, trust_reference):
    score = scale_score(trust, PJ, reversed=["abuse_power"], low=1, high=5, min_valid=4)
    assert int(score.notna().sum()) == trust_reference["pj_index_n_valid"]


def test_alpha_and_feldt_ci_match_pingouin(trust):
    # pingouin.cronbach_alpha(nan_policy="listwise") = R psych::alpha(use="complete.obs")
    ref_alpha, ref_ci = pg.cronbach_alpha(data=trust[PJ_REV], nan_policy="listwise")
    res = cronbach_alpha(trust, PJ_REV, ci=0.95).iloc[0]
    assert res["alpha"] == pytest.approx(ref_alpha, rel=1e-12)
    assert res["n"] == len(trust[PJ_REV].dropna())
    # Feldt's interval: pingouin's degrees of freedom count every row, so compare on the
    # complete cases (pingouin rounds its interval to 3 decimals)
    _, ref_ci = pg.cronbach_alpha(data=trust[PJ_REV].dropna())
    assert res["ci_low"] == pytest.approx(ref_ci[0], abs=6e-4)
    assert res["ci_high"] == pytest.approx(ref_ci[1], abs=6e-4)


def test_equal_weights_reduce_to_unweighted(trust):
    data = trust.assign(w=3.7)
    weighted = cronbach_alpha(data, PJ_REV, weights="w").iloc[0]
    plain = cronbach_alpha(data, PJ_REV).iloc[0]
    assert weighted["alpha"] == pytest.approx(plain["alpha"], rel=1e-12)
    assert weighted["ci_low"] == pytest.approx(plain["ci_low"], rel=1e-9)
    assert omega_total(data, PJ_REV, weights="w")["omega_total"].iloc[0] == pytest.approx(
        omega_total(data, PJ_REV)["omega_total"].iloc[0], rel=1e-9
    )
    w_items = item_analysis(data, PJ_REV, weights="w")
    p_items = item_analysis(data, PJ_REV)
    np.testing.assert_allclose(w_items["item_rest_r"], p_items["item_rest_r"], rtol=1e-10)


def test_weighted_alpha_uses_design_weights(trust):
    weighted = cronbach_alpha(trust, PJ_REV, weights="pw").iloc[0]
    assert weighted["weighted"]
    assert weighted["n_eff"] < weighted["n"]  # unequal weights lose effective sample size
    # expanding each complete case by its (integerised) weight gives the same point estimate
    comp = trust.dropna(subset=PJ_REV)
    reps = np.round(comp["pw"]).astype(int)
    expanded = comp.loc[comp.index.repeat(reps), PJ_REV]
    c = expanded.cov().to_numpy()
    k = len(PJ_REV)
    alpha_expanded = k / (k - 1) * (1 - np.trace(c) / c.sum())
    alpha_rounded = cronbach_alpha(comp.assign(w=reps), PJ_REV, weights="w")["alpha"].iloc[0]
    assert alpha_rounded == pytest.approx(alpha_expanded, rel=1e-4)


def test_item_rest_and_alpha_if_deleted_by_definition(trust):
    comp = trust[PJ_REV].dropna()
    res = item_analysis(trust, PJ_REV).set_index("item")
    for item in PJ_REV:
        rest = comp.drop(columns=item)
        r = np.corrcoef(comp[item], rest.sum(axis=1))[0, 1]
        a, _ = pg.cronbach_alpha(data=rest)
        assert res.loc[item, "item_rest_r"] == pytest.approx(r, rel=1e-10)
        assert res.loc[item, "alpha_if_deleted"] == pytest.approx(a, rel=1e-10)


def test_omega_recovers_known_loadings():
    rng = np.random.default_rng(11)
    lam = np.array([0.8, 0.7, 0.6, 0.5])
    f = rng.normal(size=20000)
    x = f[:, None] * lam + rng.normal(size=(20000, 4)) * np.sqrt(1 - lam**2)
    df = pd.DataFrame(x, columns=list("abcd"))
    true_omega = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())
    res = omega_total(df, list("abcd"))
    assert res["omega_total"].iloc[0] == pytest.approx(true_omega, abs=0.01)
    long = factor_loadings_by_group(df.assign(g=1), list("abcd"), by="g", wide=False)
    np.testing.assert_allclose(long["loading"], lam, atol=0.03)


def test_omega_and_group_loadings_on_trust_data(trust):
    table = scale_reliability(trust, PJ_REV, by=["pilot", "wave"], weights="pw")
    assert len(table) == 4
    plain = scale_reliability(trust, PJ_REV)
    assert plain["alpha"].iloc[0] == pytest.approx(
        plain["alpha_unweighted_pingouin"].iloc[0], rel=1e-12
    )
    assert (table["alpha"] != table["alpha_unweighted_pingouin"]).all()  # weights matter
    assert table["n"].sum() == len(trust[PJ_REV].dropna())
    assert (table["omega_total"] >= table["alpha"] - 0.01).all()
    wide = factor_loadings_by_group(trust, PJ_REV, by=["pilot", "wave"])
    assert list(wide.columns) == [
        "item", "pilot=0, wave=1", "pilot=0, wave=2", "pilot=1, wave=1", "pilot=1, wave=2"
    ]  # fmt: skip
    assert wide.iloc[:, 1:].gt(0.6).all().all()


# R 4.2 base ``factanal`` (maximum likelihood), run on the same file read with
# haven::read_sav(user_na = FALSE), complete cases of the five items (abuse_power reversed):
#   l <- as.numeric(factanal(x, factors = 1)$loadings)
#   sum(l)^2 / (sum(l)^2 + sum(f$uniquenesses))                      -> omega total
R_FACTANAL_LOADINGS = [0.848902036997070, 0.844574464758629, 0.840146738308519,
                       0.849730884401840, 0.852071501029679]  # fmt: skip
R_FACTANAL_OMEGA = 0.927024639263127
#   for (p in 0:1) for (w in 1:2) factanal(x[x$pilot == p & x$wave == w, items], factors = 1)
R_FACTANAL_BY_GROUP = {
    (0, 1): [0.8471288995, 0.8428570518, 0.8581593062, 0.8362395766, 0.8558453060],
    (0, 2): [0.8324661559, 0.8458945214, 0.8355140438, 0.8490814651, 0.8512641599],
    (1, 1): [0.8606033003, 0.8080278340, 0.8327733509, 0.8551551468, 0.8422198903],
    (1, 2): [0.8526007463, 0.8680550757, 0.7930790702, 0.8617672634, 0.8353821543],
}


def test_omega_and_loadings_match_r_factanal(trust):
    # factanal and factor_analyzer stop their optimisers at different tolerances: 1e-5
    res = omega_total(trust, PJ_REV, method="ml")
    assert res["omega_total"].iloc[0] == pytest.approx(R_FACTANAL_OMEGA, rel=1e-5)
    long = factor_loadings_by_group(trust, PJ_REV, by=["pilot", "wave"], wide=False)
    for (pilot, wave), expected in R_FACTANAL_BY_GROUP.items():
        got = long.loc[(long["pilot"] == pilot) & (long["wave"] == wave), "loading"]
        np.testing.assert_allclose(got, expected, rtol=1e-5)
    overall = factor_loadings_by_group(trust.assign(all=1), PJ_REV, by="all", wide=False)
    np.testing.assert_allclose(overall["loading"], R_FACTANAL_LOADINGS, rtol=1e-5)
