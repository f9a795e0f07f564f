"""PPS designs: a sample drawn by the library declared as drawn, the engine's paths agreeing,
replicate-design checks in the Design base, and clear errors for bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trustsurvey.analysis.sampling import complete_weights, draw_sample
from trustsurvey.design import SurveyDesign, hartley_rao, kaplan_meier, ppsmat
from trustsurvey.errors import DesignError


@pytest.fixture(scope="module")
def drawn() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    sizes = np.round(np.exp(rng.normal(7, 1, 60))) + 30
    frame = pd.DataFrame(
        {"region": np.repeat(["e", "w"], 30), "pop": sizes, "hh": np.maximum(sizes // 3, 10)}
    )
    s = draw_sample(frame, strata="region", size="pop", n_psu=12, take=5, households="hh", seed=3)
    sheets = s.households.assign(adults=rng.integers(1, 4, len(s.households)))
    out = complete_weights(sheets)
    code = pd.factorize(out["settlement_id"])[0]
    out["y"] = rng.normal(0, 3, code.max() + 1)[code] + rng.normal(0, 1, len(out))
    out["z"] = (out["y"] > 0).astype(int)
    out["t"] = np.round(out["y"] - out["y"].min() + 1, 1)
    return out


def _declare(sheets: pd.DataFrame, **kw) -> SurveyDesign:
    return SurveyDesign(
        sheets,
        ids=["settlement_id", "household_no"],
        strata="region",
        fpc=["pi1", "pi2"],
        pps="brewer",
        **kw,
    )


def test_drawn_sample_declared_as_drawn(drawn):
    """Draw, declare, estimate: the fpc of the draw give the sampler's household weights, the
    estimate is the Horvitz-Thompson total and the variance has both stages."""
    hh = _declare(drawn)
    np.testing.assert_allclose(hh.full_weights, drawn["weight_household"], rtol=1e-12)
    d = _declare(drawn, weights="weight")
    tot = d.total("y")
    assert tot["estimate"].iloc[0] == pytest.approx((drawn["y"] * drawn["weight"]).sum())
    assert tot["se"].iloc[0] > 0
    # a design of only its certainty settlements has stage-2 variance only (multiplier pi = 1)
    cert = drawn[drawn["pi1"] >= 1]
    if len(cert["settlement_id"].unique()) > 1:
        c = _declare(cert, weights="weight")
        assert np.isfinite(c.total("y")["se"].iloc[0])


@pytest.mark.parametrize(
    "pps", ["brewer", "overton", "hartley-rao", "joint"], ids=lambda p: f"pps={p}"
)
def test_domain_paths_agree(drawn, pps):
    """Domain variances from the sparse (unit, domain) pairs equal the dense covariance."""
    if pps == "joint":
        psu = np.sort(drawn["settlement_id"].unique())
        p = drawn.groupby("settlement_id")["pi1"].first().loc[psu].to_numpy()
        strat = drawn.groupby("settlement_id")["region"].first().loc[psu].to_numpy()
        same = strat[:, None] == strat[None, :]
        joint = np.where(same, np.outer(p, p) * 0.97, np.outer(p, p))
        np.fill_diagonal(joint, p)
        joint = np.minimum(joint, np.minimum(p[:, None], p[None, :]))
        spec = ppsmat(pd.DataFrame(joint, index=psu, columns=psu))
        d = SurveyDesign(drawn, ids="settlement_id", strata="region", fpc="pi1", pps=spec)
    elif pps == "brewer":
        d = _declare(drawn, weights="weight")
    else:
        d = SurveyDesign(drawn, ids="settlement_id", strata="region", fpc="pi1", pps=pps)
    sparse = d.mean(["y", "z"], by="household_no")
    dense = d.mean(["y", "z"], by="household_no", covmat=True)
    np.testing.assert_allclose(sparse["se"], dense["se"], rtol=1e-10)
    assert (sparse["se"] > 0).all()


def test_yates_grundy_differs_and_is_symmetric():
    df = pd.DataFrame({"y": [3.0, 5, 4, 10, 7], "pi": [0.2, 0.4, 0.3, 0.9, 0.2]})
    ht = SurveyDesign(df, fpc="pi", pps=hartley_rao(0.3))
    yg = SurveyDesign(df, fpc="pi", pps=hartley_rao(0.3), variance="YG")
    assert ht.total("y")["estimate"].iloc[0] == yg.total("y")["estimate"].iloc[0]
    assert ht.total("y")["se"].iloc[0] != yg.total("y")["se"].iloc[0]
    assert "pps='hartley-rao'" in repr(yg)


def test_replicate_design_checks_domain_df_in_the_base():
    df = pd.DataFrame({"psu": [1, 1, 2, 2, 3, 3], "y": [1.0, 2, 3, 4, 5, 6], "c": list("ababab")})
    rep = SurveyDesign(df, ids="psu", weights=np.ones(6)).replicate("JK1")
    with pytest.raises(DesignError, match="df='domain' needs a linearisation design, not a rep"):
        rep.proportion("c", df="domain")
    with pytest.raises(DesignError, match="df='domain'"):
        rep.quantile("y", df="domain")
    assert "proportion" not in type(rep).__dict__


def test_replicate_kaplan_meier_refits(drawn):
    d = _declare(drawn, weights="weight")
    flat = SurveyDesign(drawn, ids="settlement_id", strata="region", weights="weight")
    rep = flat.replicate("JKn")
    a = kaplan_meier(flat, "t", "z")
    b = kaplan_meier(rep, "t", "z")
    np.testing.assert_allclose(a["survival"], b["survival"], rtol=1e-12)
    assert b["se"].notna().all() and (b["se"] >= 0).all()
    # the replicate and linearisation SEs estimate the same thing
    ratio = b["se"].iloc[5:].to_numpy() / a["se"].iloc[5:].to_numpy()
    assert 0.5 < np.median(ratio) < 2
    by = kaplan_meier(d, "t", "z", by="region")
    events = drawn.groupby("region")["z"].sum()
    assert by.groupby("region")["n_event"].sum().to_dict() == events.to_dict()


# ---------------------------------------------------------------- bad input
def _el() -> pd.DataFrame:
    return pd.DataFrame(
        {"psu": [1, 2, 3, 4], "y": [1.0, 2, 3, 4], "pi": [0.2, 0.4, 0.5, 0.9], "s": list("aabb")}
    )


def _err(**kw) -> DesignError:
    with pytest.raises(DesignError) as info:
        SurveyDesign(**kw)
    return info.value


def test_probabilities_outside_unit_interval():
    df = _el().assign(pi=[0.2, 1.5, 0.5, 0.9])
    e = _err(data=df, ids="psu", fpc="pi", pps="overton")
    assert "'pi'" in str(e) and "inclusion probabilities in (0, 1]" in str(e)
    assert e.item == "pi" and "2" in str(e.row)
    e = _err(data=df.assign(pi=[0.2, 0.0, 0.5, 0.9]), ids="psu", fpc="pi", pps="brewer")
    assert e.item == "pi"


def test_probability_varies_within_psu():
    df = pd.concat([_el(), _el().assign(pi=[0.2, 0.4, 0.6, 0.9])], ignore_index=True)
    e = _err(data=df, ids="psu", fpc="pi", pps="brewer")
    assert "varies within a sampling unit" in str(e) and e.item == "pi"


def test_joint_matrix_errors():
    p = np.array([0.2, 0.4, 0.5, 0.9])
    good = np.outer(p, p)
    np.fill_diagonal(good, p)
    asym = good.copy()
    asym[0, 1] = 0.07
    e = _err(data=_el(), ids="psu", pps=ppsmat(asym))
    assert "not symmetric" in str(e) and "PSUs 1, 2" in str(e)
    zero = good.copy()
    zero[2, 3] = zero[3, 2] = 0.0
    e = _err(data=_el(), ids="psu", pps=ppsmat(zero))
    assert "PSUs 3 and 4" in str(e) and "not in (0, 1]" in str(e)
    e = _err(data=_el(), ids="psu", pps=ppsmat(good[:3, :3]))
    assert "3 rows for 4 PSUs" in str(e)
    big = good.copy()
    big[0, 1] = big[1, 0] = 0.3
    e = _err(data=_el(), ids="psu", pps=ppsmat(big))
    assert "exceeds an inclusion probability" in str(e)
    e = _err(data=_el(), ids="psu", fpc="pi", pps=ppsmat(good * 0.99 + np.eye(4) * 0.0))
    assert "diagonal" in str(e)
    labelled = pd.DataFrame(good, index=[1, 2, 3, 5], columns=[1, 2, 3, 5])
    e = _err(data=_el(), ids="psu", pps=ppsmat(labelled))
    assert "PSU 4" in str(e)


def test_pps_argument_errors():
    df = _el()
    assert "needs the PSU inclusion probabilities in fpc" in str(_err(data=df, pps="brewer"))
    assert "needs the PSU inclusion probabilities" in str(_err(data=df, pps="overton"))
    assert "unknown pps" in str(_err(data=df, fpc="pi", pps="sampford"))
    e = _err(data=df, fpc="pi", pps="brewer", variance="YG")
    assert "variance='YG' needs joint inclusion probabilities" in str(e)
    assert "unknown variance" in str(_err(data=df, fpc="pi", pps="overton", variance="XX"))
    e = _err(data=df.assign(h=1), ids=["psu", "h"], fpc="pi", pps="overton")
    assert "single sampling stage" in str(e)
    e = _err(data=df, ids="cluster", fpc="pi", pps="brewer")
    assert "cluster id column 'cluster' is not in the data" in str(e) and e.item == "cluster"
    e = _err(data=df, ids="psu", strata="s", fpc="pi", pps=hartley_rao(0.2))
    assert "needs an unstratified design" in str(e)
    e = _err(data=df, ids="psu", strata="s", fpc="pi", pps=hartley_rao({"a": 0.2}))
    assert "no value for stratum 'b'" in str(e)
    d = SurveyDesign(df, ids="psu", fpc="pi", pps="brewer")
    with pytest.raises(DesignError, match="not made from a PPS design"):
        d.replicate("JK1")


def test_kaplan_meier_bad_input():
    df = pd.DataFrame({"t": [1.0, 2, 3, 4], "e": [1, 2, 0, 1], "w": [1.0] * 4})
    d = SurveyDesign(df, weights="w")
    with pytest.raises(DesignError, match="must be 0 \\(censored\\) or 1") as info:
        kaplan_meier(d, "t", "e")
    assert info.value.item == "e" and "2" in str(info.value.row)
    with pytest.raises(DesignError, match="negative or infinite") as info:
        kaplan_meier(d.with_columns(e=[1, 0, 0, 1], t=[1.0, 2, -1, 4]), "t", "e")
    assert info.value.item == "t"
    with pytest.raises(DesignError, match="not in the data"):
        kaplan_meier(d, "time", "e")


# ---------------------------------------------------------------- Overton / Hartley-Rao forms
def _r_dcheck(prob, strat, kind, p2bar=None):
    """R's overton2Dcheck / HRDcheck written out literally (dense)."""
    if kind == "overton":
        fbar = np.add.outer(prob, prob) / 2
        n = np.bincount(strat)[strat].astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            d = 1 - (n[:, None] - fbar) / (n[:, None] - 1)
    else:
        fbar = np.add.outer(prob, prob)
        n = np.bincount(strat)[strat].astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            d = 1 - (n[:, None] - fbar + p2bar[:, None]) / (n[:, None] - 1)
    d[(strat[:, None] != strat[None, :]) | (fbar == 1)] = 0.0
    np.fill_diagonal(d, 1 - prob)
    return d


@pytest.mark.parametrize("variance", ["HT", "YG"])
@pytest.mark.parametrize("method", ["overton", "hartley-rao"])
def test_structured_forms_equal_the_matrix(method, variance):
    """The O(n) quadratic forms equal R's matrices, including the pairs R zeroes (two
    certainty PSUs of a stratum for Overton, pi_i + pi_j == 1 for Hartley-Rao) and a
    single-PSU stratum."""
    from trustsurvey.design.pps import hartley_rao_variance, overton_variance

    rng = np.random.default_rng(3)
    strat = np.repeat([0, 1, 2, 3], [7, 5, 6, 1])
    prob = rng.uniform(0.05, 0.8, len(strat))
    prob[[0, 2]] = 1.0  # two certainty PSUs in stratum 0
    prob[8], prob[9] = 0.25, 0.75  # a pair summing to one in stratum 1
    t = rng.normal(0, 5, (len(strat), 3))
    if method == "overton":
        form = overton_variance(prob, strat, variance)
        d = _r_dcheck(prob, strat, "overton")
    else:
        p2 = (np.bincount(strat, prob) / np.bincount(strat))[strat]
        form = hartley_rao_variance(prob, strat, p2, variance)
        d = _r_dcheck(prob, strat, "hr", p2)
    assert len(form.zero_pairs) == 1
    want = t.T @ d @ t
    if variance == "YG":
        want = want - t.T @ (d.sum(axis=0)[:, None] * t)
    np.testing.assert_allclose(form.quadratic(t), want, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(form.quadratic(t, diag=True), np.diag(want), rtol=1e-12)
    np.testing.assert_allclose(form.dcheck.toarray(), d, rtol=1e-14, atol=1e-15)
    # the sparse (unit, estimate) path of domain estimates: absent pairs are zero totals
    keep = rng.uniform(size=t.shape) < 0.6
    keep[[0, 2], 1] = True  # the zero pair meets in estimate 1
    unit, col = np.nonzero(keep)
    np.testing.assert_allclose(
        form.pair_variances(unit, col, t[unit, col], 3),
        form.quadratic(np.where(keep, t, 0.0), diag=True),
        rtol=1e-12,
    )


class _Unchanged:
    """A calibration adjustment that changes nothing: forces the row-level path."""

    def adjust(self, scores: np.ndarray) -> np.ndarray:
        return scores


@pytest.mark.parametrize("lonely", ["adjust", "average", "certainty", "remove"])
def test_brewer_lonely_psu_paths_agree(drawn, lonely):
    """A stratum with one settlement under each lonely-PSU rule: the sparse domain path, the
    dense covariance and the calibrated (row-level) path give the same variances."""
    alone = drawn["settlement_id"].iloc[int(drawn["pi1"].argmin())]  # not a certainty unit
    df = drawn.assign(region=np.where(drawn["settlement_id"] == alone, "alone", drawn["region"]))
    d = _declare(df, weights="weight", lonely_psu=lonely)
    sparse = d.mean(["y", "z"], by="household_no")
    dense = d.mean(["y", "z"], by="household_no", covmat=True)
    np.testing.assert_allclose(sparse["se"], dense["se"], rtol=1e-10)
    rows = d.replace_weights(d.full_weights, calibration=_Unchanged())
    np.testing.assert_allclose(rows.mean(["y", "z"], by="household_no")["se"], sparse["se"])
    with pytest.raises(DesignError, match="only one PSU"):
        _declare(df, weights="weight")


def test_kaplan_meier_blocks_give_the_same_curve(drawn, monkeypatch):
    """The event times are taken in blocks to bound memory; the blocks change nothing."""
    import trustsurvey.design.survival as survival

    d = _declare(drawn, weights="weight")
    whole = kaplan_meier(d, "t", "z", by="region")
    monkeypatch.setattr(survival, "BLOCK_ELEMENTS", 3 * len(drawn))
    blocks = kaplan_meier(d, "t", "z", by="region")
    pd.testing.assert_frame_equal(whole, blocks, rtol=1e-12)


def test_joint_matrix_pair_blocks(monkeypatch):
    """ppsmat's domain variances in blocks of estimates equal the one-block answer."""
    import trustsurvey.design.pps as pps

    rng = np.random.default_rng(2)
    p = rng.uniform(0.1, 0.6, 12)
    joint = np.outer(p, p) * 0.95
    np.fill_diagonal(joint, p)
    df = pd.DataFrame({"y": rng.normal(size=12), "g": np.arange(12) % 4, "pi": p})
    d = SurveyDesign(df, fpc="pi", pps=ppsmat(joint))
    whole = d.mean("y", by="g")["se"].to_numpy()
    monkeypatch.setattr(pps, "PAIR_BLOCK", 12)
    np.testing.assert_allclose(d.mean("y", by="g")["se"], whole, rtol=1e-12)
    np.testing.assert_allclose(d.mean("y", by="g", covmat=True)["se"], whole, rtol=1e-12)
