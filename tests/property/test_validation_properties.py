"""Properties of validation on random data: every bad cell found, nothing else, no row lost."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustsurvey.questionnaire import instrument_path, load_questionnaire
from trustsurvey.validation import validate_data
from trustsurvey.validation.quality import straightlining_issues

Q = load_questionnaire(instrument_path("police_trust_core"))
GRID = [name for name, item in Q.items.items() if item.grid == "police_views"]
ALLOWED = {1.0, 2.0, 3.0, 4.0, 5.0, 8.0, 9.0}

codes = st.one_of(st.none(), st.integers(0, 10).map(float))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(codes, min_size=1, max_size=60))
def test_invalid_codes_found_exactly(values: list[float | None]) -> None:
    frame = pd.DataFrame(
        {"resp_id": range(1, len(values) + 1), "trust_police": pd.array(values, dtype="Float64")}
    ).astype({"trust_police": float})
    before = frame.copy()
    table = validate_data(frame, Q, only_present=True)
    pd.testing.assert_frame_equal(frame, before)  # validation never changes or drops rows
    bad = table[table["check"] == "invalid_code"]
    expected = {i + 1 for i, v in enumerate(values) if v is not None and v not in ALLOWED}
    assert set(bad["row"].astype(int)) == expected
    missing = table[table["check"] == "required_missing"]
    assert set(missing["row"].astype(int)) == {i + 1 for i, v in enumerate(values) if v is None}
    assert table["row"].dropna().between(1, len(values)).all()


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from([1.0, 2.0, 3.0, 4.0, 5.0, 8.0, 9.0]), min_size=7, max_size=7),
        min_size=1,
        max_size=30,
    ),
    st.integers(2, 7),
)
def test_straightlining_flags_exactly_the_uniform_rows(rows: list[list[float]], k: int) -> None:
    frame = pd.DataFrame(rows, columns=GRID)
    frame.insert(0, "resp_id", range(1, len(rows) + 1))
    table = straightlining_issues(frame, Q, min_items=k)
    expected = set()
    for i, row in enumerate(rows):
        valid = [v for v in row if v <= 5]
        if len(valid) >= k and len(set(valid)) == 1:
            expected.add(i + 1)
    assert set(table["row"].astype(int)) == expected


@pytest.mark.parametrize("seed", [1, 2])
def test_report_rows_point_at_real_cells(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 200
    frame = pd.DataFrame({"resp_id": np.arange(1, n + 1)})
    for name in GRID:
        frame[name] = rng.choice([1, 2, 3, 4, 5, 6, 8, 9], size=n).astype(float)
    table = validate_data(frame, Q, only_present=True)
    for r in table[table["row"].notna()].itertuples():
        if r.item in frame.columns:
            cell = frame.loc[int(r.row) - 1, r.item]
            assert f"{cell:g}" == r.value
        assert str(frame.loc[int(r.row) - 1, "resp_id"]) == r.resp_id
