"""Properties of programme validation and the Kaplan-Meier summaries."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from trustsurvey.programme import km_quantiles, validate_records
from trustsurvey.programme.model import ProgrammeData

COUNT = st.one_of(st.integers(-5, 40).map(str), st.sampled_from(["", "x", "2.5"]))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(COUNT, COUNT, COUNT), min_size=1, max_size=15))
def test_no_activity_row_is_dropped_silently(rows):
    frame = pd.DataFrame(
        {
            "activity_id": [f"A{i}" for i in range(len(rows))],
            "date": "2019-06-01",
            "community": "x",
            "type": "round_table",
            "participants": [r[0] for r in rows],
            "female": [r[1] for r in rows],
            "male": [r[2] for r in rows],
            "_row": range(1, len(rows) + 1),
        }
    ).replace("", pd.NA)
    res = validate_records(ProgrammeData(activities=frame, files={"activities": "a.csv"}))
    clean, excluded = res.clean["activities"], res.exclusions
    assert len(clean) + len(excluded) == len(frame)
    assert set(clean["_row"]).isdisjoint(set(excluded["row"]))
    # every excluded row has at least one error in the report naming its row
    errors = res.report.errors
    assert set(excluded["row"]) == set(errors["row"].dropna().astype(int))
    # the clean rows are consistent: non-negative counts that add up when all are given
    ok = clean.dropna(subset=["participants", "female", "male"])
    assert (ok["participants"] >= 0).all()
    assert (ok["female"] + ok["male"] == ok["participants"]).all()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 60), min_size=1, max_size=40))
def test_km_without_censoring_is_the_empirical_quantile(times):
    t = pd.Series(times, dtype=float)
    got = km_quantiles(t, pd.Series(1, index=t.index))
    ordered = np.sort(t.to_numpy())
    n = len(ordered)
    # the smallest t with F(t) >= q (type-1 empirical quantile)
    assert got["median_days"] == ordered[int(np.ceil(0.5 * n)) - 1]
    assert got["p90_days"] == ordered[int(np.ceil(0.9 * n - 1e-9)) - 1]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 50), st.booleans()), min_size=2, max_size=40))
def test_censoring_never_shortens_the_median(data):
    t = pd.Series([d[0] for d in data], dtype=float)
    e = pd.Series([int(d[1]) for d in data])
    all_events = km_quantiles(t, pd.Series(1, index=t.index))["median_days"]
    censored = km_quantiles(t, e)["median_days"]
    assert np.isnan(censored) or censored >= all_events
