"""DiD planning: formula identities, the ICC estimator, and a 200-replication power check."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from trustsurvey.analysis import (
    design_effect,
    did_mde,
    did_power,
    did_sample_size,
    icc_anova,
    simulate_did_power,
)


def test_design_effect_is_kish_times_weighting():
    assert design_effect(0.05, 21, 1.2) == pytest.approx((1 + 20 * 0.05) * 1.2)
    assert design_effect(0.0, 50) == 1.0


def test_unequal_cells_variance_formula():
    n = [300, 250, 400, 350]
    res = did_power(0.25, n, sd=1.2, icc=0.04, cluster_size=12, deff_weighting=1.3).iloc[0]
    deff = (1 + 11 * 0.04) * 1.3
    se = 1.2 * math.sqrt(deff * sum(1 / x for x in n))
    assert res["se"] == pytest.approx(se, rel=1e-12)
    z = stats.norm.isf(0.025)
    assert res["power"] == pytest.approx(
        stats.norm.cdf(0.25 / se - z) + stats.norm.cdf(-0.25 / se - z), rel=1e-12
    )
    by_name = did_power(
        0.25,
        dict(zip(["pilot_baseline", "pilot_followup", "control_baseline", "control_followup"], n,
                 strict=True)),
        sd=1.2, icc=0.04, cluster_size=12, deff_weighting=1.3,
    )  # fmt: skip
    assert by_name["se"].iloc[0] == pytest.approx(se)


@pytest.mark.parametrize(("effect", "icc", "m", "dw"), [(0.3, 0.05, 10, 1.0), (0.2, 0.1, 20, 1.4)])
def test_sample_size_reaches_power_and_is_minimal(effect, icc, m, dw):
    res = did_sample_size(effect, power=0.8, icc=icc, cluster_size=m, deff_weighting=dw).iloc[0]
    n = int(res["n_per_cell"])
    assert res["power"] >= 0.8
    below = did_power(effect, n - 1, icc=icc, cluster_size=m, deff_weighting=dw)
    assert below["power"].iloc[0] < 0.8
    assert res["n_total"] == 4 * n
    assert res["clusters_per_cell"] == math.ceil(n / m)


def test_mde_inverts_power():
    mde = did_mde(500, power=0.9, alpha=0.01, sd=1.1, icc=0.03, cluster_size=15).iloc[0]
    back = did_power(mde["mde"], 500, alpha=0.01, sd=1.1, icc=0.03, cluster_size=15)
    assert back["power"].iloc[0] == pytest.approx(0.9, abs=1e-4)
    assert mde["mde_sd"] == pytest.approx(mde["mde"] / 1.1)


def test_communities_split_cell_size():
    one = did_sample_size(0.3, icc=0.05, cluster_size=10).iloc[0]
    three = did_sample_size(0.3, icc=0.05, cluster_size=10, communities_per_arm=3).iloc[0]
    assert three["n_per_community"] == math.ceil(one["n_per_cell"] / 3)
    assert three["n_per_cell"] == 3 * three["n_per_community"]


def test_icc_anova_matches_one_way_anova_f():
    rng = np.random.default_rng(5)
    sizes = rng.integers(5, 15, size=30)
    g = np.repeat(np.arange(30), sizes)
    y = rng.normal(size=30)[g] * 0.5 + rng.normal(size=g.size)
    df = pd.DataFrame({"psu": g, "y": y})
    res = icc_anova(df, ["y"], "psu").iloc[0]
    f = stats.f_oneway(*[y[g == k] for k in range(30)]).statistic
    assert res["msb"] / res["msw"] == pytest.approx(f, rel=1e-10)
    n = sizes.sum()
    m0 = (n - (sizes**2).sum() / n) / 29
    assert res["m0"] == pytest.approx(m0)
    assert res["icc"] == pytest.approx((f - 1) / (f + m0 - 1), rel=1e-10)


def test_icc_recovers_simulated_value():
    rng = np.random.default_rng(9)
    g = np.repeat(np.arange(400), 20)
    y = rng.normal(scale=math.sqrt(0.1), size=400)[g] + rng.normal(
        scale=math.sqrt(0.9), size=g.size
    )
    res = icc_anova(pd.DataFrame({"psu": g, "y": y}), "y", "psu")
    assert res["icc"].iloc[0] == pytest.approx(0.1, abs=0.025)


def test_icc_ignores_missing_answers(fixtures_dir):
    from trustsurvey.io import read_survey

    data = read_survey(fixtures_dir / "trust" / "trust_two_waves.sav").analysis()
    res = icc_anova(data.loc[data["wave"] == 1], ["trust_police", "safe_night"], "psu")
    assert list(res["item"]) == ["trust_police", "safe_night"]
    wave1 = data.loc[data["wave"] == 1]
    assert res["n"].iloc[0] == wave1["trust_police"].notna().sum()
    assert res["icc"].between(0, 0.5).all()


def test_simulated_power_agrees_with_formula_200_reps():
    """Smoke version of benchmarks/sim_power.py (2,000 reps, +-3 points there).

    The binomial SE of a simulated power shrinks as 1/sqrt(reps), so the benchmark's
    +-3 points at 2,000 replications (about 2.7 SEs at power 0.6) become
    3 x sqrt(2000 / 200) = 9.5 points at 200 replications: the same number of SEs.
    """
    res = simulate_did_power(
        0.25, 600, icc=0.03, cluster_size=20, deff_weighting=1.3, reps=200, seed=2024
    ).iloc[0]
    tol = 0.03 * math.sqrt(2000 / 200)
    assert abs(res["power_sim"] - res["power_formula"]) < tol
    assert res["mean_estimate"] == pytest.approx(0.25, abs=0.05)
