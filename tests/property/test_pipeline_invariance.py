"""Pipeline invariances on the bundled example study (hypothesis).

* Rescaling the design weights by any positive constant leaves every estimate and standard
  error of ``estimate_by_arm_wave`` unchanged (a ratio estimator: Lumley 2010, §2.2), and
  raking to population counts gives the same final weights whatever the scale of the input.
* Permuting the respondents (rows) leaves the estimates unchanged and the validation report
  the same set of findings, each still pointing at the row that holds its respondent.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustsurvey.run.frame import analysis_frame
from trustsurvey.run.steps_estimates import estimate_by_arm_wave
from trustsurvey.study import load_study
from trustsurvey.validation.validate import read_wave, validate_data

REPO = Path(__file__).resolve().parents[2]
FEW = settings(
    max_examples=4, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


@pytest.fixture(scope="module")
def example() -> dict:
    study = load_study(REPO / "data" / "example")
    data = {w.code: read_wave(study, w) for w in study.waves}
    frame = analysis_frame(study, data)
    return {
        "study": study,
        "data": data,
        "frame": frame,
        "base": estimate_by_arm_wave(study, frame),
    }


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    keys = ["variable", "arm", "wave"]
    a, b = a.sort_values(keys).reset_index(drop=True), b.sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(a[keys], b[keys])
    assert (a["n"].to_numpy() == b["n"].to_numpy()).all()
    for col in ("estimate", "se", "ci_low", "ci_high"):
        np.testing.assert_allclose(a[col], b[col], rtol=1e-9, atol=1e-12, err_msg=col)


@FEW
@given(factor=st.floats(1e-3, 1e3, allow_nan=False).filter(lambda f: abs(f - 1) > 1e-6))
def test_weights_rescaled_same_estimates(example: dict, factor: float) -> None:
    study, frame = example["study"], example["frame"]
    weights = study.design.weights
    scaled = frame.assign(**{weights: frame[weights] * factor})
    _same(estimate_by_arm_wave(study, scaled), example["base"])


@FEW
@given(seed=st.integers(0, 2**32 - 1))
def test_rows_permuted_same_estimates(example: dict, seed: int) -> None:
    frame = example["frame"]
    order = np.random.default_rng(seed).permutation(len(frame))
    shuffled = frame.iloc[order].reset_index(drop=True)
    _same(estimate_by_arm_wave(example["study"], shuffled), example["base"])


def _id(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _findings(table: pd.DataFrame) -> set[tuple]:
    """Findings without row numbers; a duplicate pair counts once whichever comes first.

    (The later member of a pair of identical interviews is the one flagged, so which one is
    reported depends on the row order; the pair itself must not.)
    """
    out = set()
    for r in table.itertuples(index=False):
        who = str(r.resp_id)
        if r.check in ("duplicate", "duplicate_id"):
            who = "|".join(sorted([str(r.resp_id), str(r.value)]))
        out.add((who, str(r.item), r.check, r.severity))
    return out


@settings(FEW, max_examples=2)
@given(seed=st.integers(0, 2**32 - 1))
def test_rows_permuted_same_validation_report(example: dict, seed: int) -> None:
    study = example["study"]
    wave = study.waves[0]
    sd = example["data"][wave.code]
    kwargs = {"meta": sd.meta, "file": "w.sav", "settings": study.validation}
    base = validate_data(sd.data, study.questionnaire, **kwargs)
    order = np.random.default_rng(seed).permutation(len(sd.data))
    shuffled = sd.data.iloc[order].reset_index(drop=True)
    found = validate_data(shuffled, study.questionnaire, **kwargs)
    assert len(base) > 0 and _findings(found) == _findings(base)
    assert len(found) == len(base)
    located = found[found["row"].notna() & found["resp_id"].notna()]
    for row, resp in zip(located["row"], located["resp_id"], strict=True):
        assert _id(shuffled["resp_id"].iloc[int(row) - 1]) == _id(resp)


@settings(FEW, max_examples=3)
@given(factor=st.floats(1e-2, 1e2, allow_nan=False))
def test_raking_ignores_the_scale_of_input_weights(example: dict, factor: float) -> None:
    from trustsurvey.design import SurveyDesign
    from trustsurvey.weighting import rake

    frame = example["frame"]
    frame = frame[(frame["wave"] == 1) & (frame["raion"] == 2)].reset_index(drop=True)
    targets = {"sex": {1: 46_000, 2: 54_000}, "settlement": {1: 60_000, 2: 40_000}}

    def final(weights: pd.Series) -> np.ndarray:
        design = SurveyDesign(frame.assign(pw=weights), ids="psu", strata="stratum", weights="pw")
        return np.asarray(rake(design, targets).weights)

    np.testing.assert_allclose(final(frame["pw"] * factor), final(frame["pw"]), rtol=1e-6)
