"""Sampling: PPS probabilities, systematic selection, allocation and Kish tables."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustsurvey.analysis.sampling import (
    KISH_TABLES,
    allocate,
    complete_weights,
    draw_sample,
    kish_assign,
    kish_select,
    pps_probabilities,
    systematic_pps,
)

sizes_st = st.lists(st.integers(1, 100_000), min_size=2, max_size=40)


@given(sizes=sizes_st, data=st.data())
@settings(max_examples=80, deadline=None)
def test_pps_probabilities_sum_to_n_and_are_proportional(sizes, data):
    n = data.draw(st.integers(1, len(sizes)))
    pi = pps_probabilities(sizes, n)
    assert pi.sum() == pytest.approx(n, rel=1e-9)
    assert ((pi > 0) & (pi <= 1 + 1e-12)).all()
    rest = pi < 1
    if rest.sum() >= 2:  # non-certainty units proportional to size
        ratio = pi[rest] / np.asarray(sizes, float)[rest]
        np.testing.assert_allclose(ratio, ratio[0], rtol=1e-9)


@given(sizes=sizes_st, data=st.data(), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=80, deadline=None)
def test_systematic_pps_selects_exactly_n(sizes, data, seed):
    n = data.draw(st.integers(1, len(sizes)))
    sel, pi = systematic_pps(sizes, n, np.random.default_rng(seed))
    assert sel.sum() == n
    assert sel[pi >= 1].all()


def test_systematic_pps_frequencies_match_probabilities():
    rng = np.random.default_rng(77)
    sizes = np.array([9000, 120, 450, 800, 60, 2000, 300, 1500, 90, 700, 1100, 40, 260])
    n, reps = 5, 4000
    pi = pps_probabilities(sizes, n)
    assert pi[0] == 1.0  # the large settlement is a certainty unit
    hits = np.zeros(len(sizes))
    for _ in range(reps):
        sel, _ = systematic_pps(sizes, n, rng)
        hits += sel
    freq = hits / reps
    se = np.sqrt(pi * (1 - pi) / reps)
    # 4 binomial SEs per unit (13 units: family-wise false alarm < 0.1%)
    assert (np.abs(freq - pi) <= 4 * se + 1e-12).all()


@given(
    pops=st.lists(st.integers(1, 1_000_000), min_size=6, max_size=30),
    n_strata=st.integers(1, 4),
    method=st.sampled_from(["proportional", "equal"]),
    minimum=st.integers(0, 3),
    data=st.data(),
)
@settings(max_examples=60, deadline=None)
def test_allocation_sums_and_respects_bounds(pops, n_strata, method, minimum, data):
    frame = pd.DataFrame({"s": [f"h{i % n_strata}" for i in range(len(pops))], "pop": pops})
    units = frame.groupby("s").size()
    low_total = int(np.minimum(minimum, units).sum())
    n = data.draw(st.integers(max(1, low_total), len(pops)))
    res = allocate(frame, n, strata="s", size="pop", method=method, minimum=minimum)
    assert res["n"].sum() == n
    assert (res["n"] <= res["units"]).all()
    assert (res["n"] >= np.minimum(minimum, res["units"])).all()
    assert (res["n"] - res["n_exact"]).abs().max() < 1


def test_proportional_and_neyman_allocation_by_hand():
    frame = pd.DataFrame({"s": list("aaabbbbccc"), "pop": [100] * 3 + [50] * 4 + [300] * 3})
    prop = allocate(frame, 6, strata="s", size="pop").set_index("s")
    # N = 300, 200, 900 of 1400 -> 1.29, 0.86, 3.86; c has only 3 settlements, so c = 3
    # and the other 3 go 300:200 -> 1.8, 1.2 -> largest remainders 2, 1
    assert prop["n"].to_dict() == {"a": 2, "b": 1, "c": 3}
    assert prop["n_exact"].to_dict() == pytest.approx({"a": 1.8, "b": 1.2, "c": 3.0})
    uncapped = allocate(frame, 5, strata="s", size="pop").set_index("s")
    # 5 x (300, 200, 900) / 1400 = 1.07, 0.71, 3.21 -> floors 1, 0, 3, remainder to b
    assert uncapped["n"].to_dict() == {"a": 1, "b": 1, "c": 3}
    ney = allocate(frame, 6, strata="s", size="pop", method="neyman", sd={"a": 3, "b": 6, "c": 1})
    # N S = 900, 1200, 900 -> 1.8, 2.4, 1.8
    assert ney.set_index("s")["n_exact"].to_dict() == pytest.approx({"a": 1.8, "b": 2.4, "c": 1.8})
    assert ney["n"].sum() == 6


def test_kish_tables_give_equal_probabilities_for_1_to_4_and_6_adults():
    block = kish_assign(12, np.random.default_rng(0))
    share = {t: Fraction(block.count(t), 12) for t in KISH_TABLES}
    assert share == {"A": Fraction(1, 6), "B1": Fraction(1, 12), "B2": Fraction(1, 12),
                     "C": Fraction(1, 6), "D": Fraction(1, 6), "E1": Fraction(1, 12),
                     "E2": Fraction(1, 12), "F": Fraction(1, 6)}  # fmt: skip
    for adults in (1, 2, 3, 4, 6):
        prob = {}
        for table, s in share.items():
            person = kish_select(table, adults)
            prob[person] = prob.get(person, 0) + s
        assert prob == {p: Fraction(1, adults) for p in range(1, adults + 1)}


def _frame(n_settlements: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    pop = rng.integers(200, 8000, n_settlements)
    return pd.DataFrame(
        {
            "code": [f"S{i:03d}" for i in range(n_settlements)],
            "hromada": rng.choice(["Chuhuiv", "Malyn", "Zmiiv"], n_settlements),
            "population": pop,
            "households": (pop / 2.5).round().astype(int),
        }
    )


def test_draw_sample_probabilities_and_weights():
    frame = _frame()
    before = frame.copy()
    draw = draw_sample(frame, strata="hromada", size="population", n_psu=9, take=10,
                       households="households", id="code", seed=11)  # fmt: skip
    pd.testing.assert_frame_equal(frame, before)  # the frame is not modified
    s = draw.settlements
    assert len(s) == 9 and s["code"].is_unique
    for h, sub in frame.groupby("hromada"):
        n_h = int(draw.allocation.set_index("hromada").loc[h, "n"])
        expected = pps_probabilities(sub["population"].to_numpy(), n_h)
        chosen = s.loc[s["hromada"] == h].set_index("code")["pi1"]
        lookup = dict(zip(sub["code"], expected, strict=True))
        assert chosen.to_dict() == pytest.approx({c: lookup[c] for c in chosen.index})
    np.testing.assert_allclose(s["pi2"], 10 / s["households"])
    sheets = draw.households
    assert len(sheets) == 90
    assert sheets.groupby("settlement_id").size().eq(10).all()
    sheets = sheets.assign(adults=np.resize([1, 2, 3, 4, 5, 7], len(sheets)))
    done = complete_weights(sheets)
    np.testing.assert_allclose(done["weight"], done["adults"] / (done["pi1"] * done["pi2"]))
    assert done["selected_adult"].le(np.minimum(done["adults"], 6)).all()
    again = draw_sample(frame, strata="hromada", size="population", n_psu=9, take=10,
                        households="households", id="code", seed=11)  # fmt: skip
    pd.testing.assert_frame_equal(draw.households, again.households)


def test_expected_household_weight_total_is_unbiased_for_households():
    """Horvitz-Thompson: sum over selected settlements of households / pi1 estimates M."""
    frame = _frame(20)
    rng = np.random.default_rng(1)
    x = frame["population"].to_numpy(float)
    m = frame["households"].to_numpy(float)
    est = []
    for _ in range(3000):
        sel, pi = systematic_pps(x, 6, rng)
        est.append((m[sel] / pi[sel]).sum())
    se = np.std(est) / math.sqrt(len(est))
    assert abs(np.mean(est) - m.sum()) < 4 * se


def test_minimum_and_cap_together_never_over_allocate():
    # A would take almost everything but has 4 settlements; B and C need their minimum of 2
    frame = pd.DataFrame({"s": ["A"] * 4 + ["B"] * 5 + ["C"] * 5, "pop": [10_000] * 4 + [10] * 10})
    six = allocate(frame, 6, strata="s", size="pop", minimum=2).set_index("s")
    assert six["n"].to_dict() == {"A": 2, "B": 2, "C": 2}
    nine = allocate(frame, 9, strata="s", size="pop", minimum=2).set_index("s")
    assert nine.loc["A", "n"] == 4  # capped at its settlements
    assert nine["n_exact"].to_dict() == pytest.approx({"A": 4, "B": 2.5, "C": 2.5})
    assert nine["n"].sum() == 9


def test_households_column_found_by_name():
    frame = _frame(12)
    auto = draw_sample(frame, strata="hromada", size="population", n_psu=4, take=5, seed=2)
    explicit = draw_sample(frame, strata="hromada", size="population", n_psu=4, take=5,
                           households="households", seed=2)  # fmt: skip
    pd.testing.assert_frame_equal(auto.settlements, explicit.settlements)
    by_size = draw_sample(frame, strata="hromada", size="population", n_psu=4, take=5,
                          household_size=2.5, seed=2)  # fmt: skip
    np.testing.assert_allclose(
        by_size.settlements["households"], np.round(by_size.settlements["population"] / 2.5)
    )
