"""Properties of the missing-code machinery and of round trips (hypothesis)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustsurvey.io import FileMetadata, SurveyData, read_survey, write_survey

codes = st.lists(
    st.one_of(st.sampled_from([1.0, 2.0, 3.0, 4.0, 5.0, 8.0, 9.0, 97.0, 98.0, 99.0]), st.none()),
    min_size=1,
    max_size=40,
)
missing_sets = st.lists(st.sampled_from([8.0, 9.0, 97.0]), unique=True, max_size=3)
ranges = st.one_of(st.just([]), st.just([(97.0, 99.0)]))


def _survey(values: list[float | None], missing: list[float], rng: list) -> SurveyData:
    frame = pd.DataFrame({"q": pd.array(values, dtype="float64")})
    meta = FileMetadata(
        column_names=["q"],
        missing_values={"q": missing} if missing else {},
        missing_ranges={"q": rng} if rng else {},
        value_labels={"q": {1.0: "Зовсім ні", 8.0: "Важко відповісти"}},
    )
    return SurveyData(frame, meta)


#: derandomised (the same examples every run) and no deadline: reading is I/O
STEADY = settings(deadline=None, derandomize=True, database=None)


@STEADY
@given(codes, missing_sets, ranges)
def test_analysis_only_blanks_declared_codes(values, missing, rng) -> None:
    sd = _survey(values, missing, rng)
    mask = sd.missing_mask()["q"]
    analysis = sd.analysis()["q"]
    raw = sd.data["q"]
    declared = raw.isin(missing) | (raw.between(97, 99) if rng else False)
    assert mask.tolist() == declared.fillna(False).astype(bool).tolist()
    # every cell is exactly one of: valid, declared missing, system missing
    counts = sd.missing_counts().iloc[0]
    assert counts.n_valid + counts.n_missing_code + counts.n_system_missing == len(raw)
    assert analysis.isna().sum() == counts.n_missing_code + counts.n_system_missing
    # valid values are untouched; raw data are unchanged
    pd.testing.assert_series_equal(analysis[~mask], raw[~mask])
    assert raw.equals(pd.Series(values, dtype="float64", name="q"))


@STEADY
@given(codes, missing_sets)
def test_keep_is_the_inverse_for_kept_codes(values, missing) -> None:
    sd = _survey(values, missing, [])
    kept = sd.analysis(keep={"q": missing})["q"]
    pd.testing.assert_series_equal(kept, sd.data["q"])


@settings(STEADY, max_examples=15, suppress_health_check=[HealthCheck.too_slow])
@given(codes, missing_sets, ranges, st.sampled_from([".sav", ".parquet", ".csv"]))
def test_round_trip_keeps_values_and_missing_codes(values, missing, rng, ext) -> None:
    if rng and len(missing) > 1:
        missing = missing[:1]  # SPSS: one range plus at most one discrete code
    sd = _survey(values, missing, rng)
    with tempfile.TemporaryDirectory() as tmp:
        back = read_survey(write_survey(sd, Path(tmp) / f"x{ext}"))
    pd.testing.assert_series_equal(back.data["q"], sd.data["q"])
    assert sorted(back.meta.missing_values.get("q", [])) == sorted(missing)
    assert back.meta.missing_ranges.get("q", []) == rng
    assert back.meta.value_labels["q"] == sd.meta.value_labels["q"]
    np.testing.assert_array_equal(back.missing_mask()["q"], sd.missing_mask()["q"])
