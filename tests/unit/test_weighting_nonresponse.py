"""AAPOR outcome rates (worked example by hand) and nonresponse adjustments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trustsurvey.design.metadata import result_info
from trustsurvey.errors import WeightingError
from trustsurvey.weighting import aapor_rates, nonresponse_adjust, propensity_classes

# Worked example, computed by hand from AAPOR Standard Definitions (2023), section "Outcome
# rates": I = 400, P = 100, R = 200, NC = 150, O = 50, UH = 60, UO = 40, NE = 100, e = 0.8.
# Eligible known (I+P)+(R+NC+O) = 900; unknown U = 100; e·U = 80; contacted (I+P)+R+O = 750.
COUNTS = {"I": 400, "P": 100, "R": 200, "NC": 150, "O": 50, "UH": 60, "UO": 40, "NE": 100}
BY_HAND = {
    "RR1": 400 / 1000,
    "RR2": 500 / 1000,
    "RR3": 400 / 980,
    "RR4": 500 / 980,
    "RR5": 400 / 900,
    "RR6": 500 / 900,
    "COOP1": 400 / 750,
    "COOP2": 500 / 750,
    "COOP3": 400 / 700,
    "COOP4": 500 / 700,
    "REF1": 200 / 1000,
    "REF2": 200 / 980,
    "REF3": 200 / 900,
    "CON1": 750 / 1000,
    "CON2": 750 / 980,
    "CON3": 750 / 900,
}


def _cases(counts: dict, **extra) -> pd.DataFrame:
    codes = [code for code, k in counts.items() for _ in range(k)]
    return pd.DataFrame({"disposition": codes, **extra})


def test_worked_example_every_rate():
    rates = aapor_rates(_cases(COUNTS), e=0.8).set_index("rate")["value"]
    assert set(rates.index) == set(BY_HAND)
    for rate, value in BY_HAND.items():
        assert rates[rate] == pytest.approx(value, rel=1e-12), rate


def test_default_e_is_proportional_allocation():
    out = aapor_rates(_cases(COUNTS))
    assert out["e"].iloc[0] == pytest.approx(900 / 1000)
    rr3 = out.set_index("rate").loc["RR3", "value"]
    assert rr3 == pytest.approx(400 / (900 + 0.9 * 100))


def test_numeric_aapor_codes_and_groups():
    codes = ["1.1"] * 4 + ["1.2"] + ["2.11"] * 2 + ["2.20"] * 2 + ["3.21"] + ["4.70"]
    frame = pd.DataFrame({"disposition": codes, "wave": [1] * 6 + [2] * 5})
    out = aapor_rates(frame, by="wave", e=1.0)
    assert list(out.columns[:3]) == ["wave", "rate", "value"]
    w1 = out[(out["wave"] == 1) & (out["rate"] == "RR1")]["value"].iloc[0]
    # wave 1: I = 4, P = 1, R = 1 -> RR1 = 4 / 6
    assert w1 == pytest.approx(4 / 6)
    w2 = out[out["wave"] == 2].set_index("rate")
    # wave 2: R = 1, NC = 2, UO = 1, NE = 1 -> RR1 = 0, CON1 = 1 / (1 + 2 + 1)
    assert w2.loc["RR1", "value"] == 0
    assert w2.loc["CON1", "value"] == pytest.approx(1 / 4)


def test_counts_table_input():
    table = pd.DataFrame([{"community": "A", **COUNTS}])
    out = aapor_rates(table, by="community", e=0.8).set_index("rate")
    assert out.loc["COOP3", "value"] == pytest.approx(400 / 700)


def test_unknown_disposition_code():
    with pytest.raises(WeightingError, match="unknown disposition code"):
        aapor_rates(pd.DataFrame({"disposition": ["I", "maybe"]}))


def test_weighting_class_adjustment_keeps_class_totals():
    frame = pd.DataFrame(
        {
            "cls": ["a", "a", "a", "b", "b"],
            "w": [10.0, 20.0, 30.0, 5.0, 5.0],
            "resp": [1, 0, 1, 1, 0],
        }
    )
    out = nonresponse_adjust(frame, "w", "resp", "cls")
    assert out.tolist() == [pytest.approx(15.0), 0.0, pytest.approx(45.0), 10.0, 0.0]
    assert out.groupby(frame["cls"]).sum().tolist() == [60.0, 10.0]


def test_class_without_respondents():
    frame = pd.DataFrame({"cls": ["a", "b"], "w": [1.0, 1.0], "resp": [1, 0]})
    with pytest.raises(WeightingError, match=r"class.*b have no respondents"):
        nonresponse_adjust(frame, "w", "resp", "cls")


def test_propensity_quintiles_then_adjust():
    rng = np.random.default_rng(5)
    n = 2000
    age = rng.uniform(18, 80, n)
    urban = rng.choice(["city", "village"], n)
    p = 1 / (1 + np.exp(-(-2 + 0.04 * age + 0.5 * (urban == "village"))))
    frame = pd.DataFrame({"age": age, "urban": urban, "resp": rng.random(n) < p, "w": 1.0})
    classes = propensity_classes(frame, "resp", ["age", "urban"])
    assert sorted(classes.unique()) == [1, 2, 3, 4, 5]
    assert classes.value_counts().min() == n // 5
    prop = result_info(classes)["propensity"]
    # the fitted propensity rises with age, as the response model does
    assert np.corrcoef(prop, age)[0, 1] > 0.8
    adj = nonresponse_adjust(frame, "w", "resp", classes)
    assert adj.sum() == pytest.approx(n)
    assert (adj[~frame["resp"]] == 0).all()
