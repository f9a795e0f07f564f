"""The example study generator: reproducible, fast, realistic, documented."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from trustsurvey.example import DEFAULT_SEED, build_example, generate_example
from trustsurvey.example.responses import DK_RATE, EFFECT
from trustsurvey.questionnaire import instrument_path, load_questionnaire

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "data" / "example"


@pytest.fixture(scope="module")
def frames():
    return build_example(seed=11)


@pytest.fixture(scope="module")
def core():
    return load_questionnaire(instrument_path("police_trust_core"))


def test_same_seed_same_frames(frames) -> None:
    again = build_example(seed=11)
    for wave in (1, 2):
        pd.testing.assert_frame_equal(frames.waves[wave], again.waves[wave])
    pd.testing.assert_frame_equal(frames.errors, again.errors)
    pd.testing.assert_frame_equal(frames.segments, again.segments)
    pd.testing.assert_frame_equal(frames.margins, again.margins)


def test_other_seed_other_data(frames) -> None:
    other = build_example(seed=12)
    assert not frames.waves[1]["trust_police"].equals(other.waves[1]["trust_police"])


def test_generation_is_fast(tmp_path: Path) -> None:
    started = time.perf_counter()
    generate_example(tmp_path / "s", seed=3)
    assert time.perf_counter() - started < 5.0


def test_committed_example_matches_the_generator() -> None:
    """data/example is what the default seed produces (no hand edits)."""
    fresh = build_example(DEFAULT_SEED)
    for wave, name in ((1, "wave1_baseline.sav"), (2, "wave2_followup.sav")):
        df, _ = pyreadstat.read_sav(str(COMMITTED / "data" / name), user_missing=True)
        expected = fresh.waves[wave]
        assert list(df.columns) == list(expected.columns)
        for col in expected.columns:
            if col == "interview_date":
                got = pd.to_datetime(df[col]).dt.date.tolist()
                assert got == list(expected[col]), col
            elif expected[col].dtype.kind in "fiu":
                np.testing.assert_allclose(df[col].to_numpy(float), expected[col].to_numpy(float))
            else:
                assert df[col].astype(str).tolist() == expected[col].astype(str).tolist(), col
    errors = pd.read_csv(COMMITTED / "deliberate_errors.csv")
    assert errors["check"].tolist() == fresh.errors["check"].tolist()


def test_waves_of_about_2000_in_two_stage_design(frames) -> None:
    for wave, frame in frames.waves.items():
        assert 1900 <= len(frame) <= 2100
        assert set(frame["wave"]) == {wave}
        assert set(frame["stratum"]) == {wave * 100 + r for r in (1, 2, 3, 4)}
        # every PSU lies in one stratum and holds one cluster of interviews
        assert frame.groupby("psu")["stratum"].nunique().max() == 1
        assert frame.groupby("psu").size().min() >= 20
        assert frame["resp_id"].nunique() == len(frame) or wave == 1  # wave 1 has a copy


def test_design_weights_add_up_to_the_population(frames) -> None:
    margins = frames.margins
    for wave, frame in frames.waves.items():
        total = margins[(margins["wave"] == wave) & (margins["margin"] == "settlement")]
        ratio = frame["pw"].sum() / total["target"].sum()
        assert 0.9 < ratio < 1.1


def test_margins_agree_across_variables(frames) -> None:
    sums = frames.margins.groupby(["wave", "raion", "margin"])["target"].sum().unstack()
    assert (sums["sex*agegrp"] == sums["settlement"]).all()


def test_missing_code_shares_are_realistic(frames, core) -> None:
    frame = pd.concat(frames.waves.values())
    ordinary = frame["interviewer"] != 232
    for item, rate in DK_RATE.items():
        dk_code = 88 if item == "trust_police_10" else 8
        values = frame.loc[ordinary, item].dropna()
        share = (values == dk_code).mean()
        assert 0.04 <= share <= 0.13, (item, share)
        assert abs(share - rate) < 0.025
    refused = (frame.loc[ordinary, "trust_police"] == 9).mean()
    assert 0.003 <= refused <= 0.02


def test_codes_follow_the_questionnaire(frames, core) -> None:
    frame = frames.waves[2]
    for name in ("trust_police", "pj_fair", "safe_night", "will_report", "education"):
        allowed = {float(c) for c in [*core.item(name).codes, *core.item(name).missing]}
        assert set(frame[name].dropna()) <= allowed, name
    problem_cols = core.columns_for("problems")
    assert all(col in frame.columns for col in problem_cols)


def test_the_programme_effect_is_there(frames) -> None:
    """The planted +0.25 difference-in-differences shows in the weighted means."""
    frame = pd.concat(frames.waves.values())
    frame = frame[frame["trust_police"] <= 5]

    def mean(pilot: int, wave: int) -> float:
        part = frame[(frame["pilot"] == pilot) & (frame["wave"] == wave)]
        return float(np.average(part["trust_police"], weights=part["pw"]))

    did = (mean(1, 2) - mean(1, 1)) - (mean(0, 2) - mean(0, 1))
    assert abs(did - EFFECT) < 0.2


def test_sav_has_ukrainian_labels_and_user_missing(tmp_path: Path) -> None:
    folder = generate_example(tmp_path / "s", seed=5)
    _, meta = pyreadstat.read_sav(
        str(folder / "data" / "wave1_baseline.sav"), metadataonly=True, user_missing=True
    )
    assert meta.column_names_to_labels["trust_police"] == "Наскільки Ви довіряєте поліції?"
    assert meta.variable_value_labels["trust_police"][8.0] == "Важко відповісти"
    assert [r["lo"] for r in meta.missing_ranges["trust_police"]] == [8.0, 9.0]
    assert [r["lo"] for r in meta.missing_ranges["trust_police_10"]] == [77.0, 88.0]


def test_focus_groups_use_the_codebook(frames) -> None:
    protocol = load_questionnaire(instrument_path("focus_group_protocol"))
    groups, segments = frames.groups, frames.segments
    assert list(groups.columns) == ["id", "community", "arm", "date", "participants", "composition"]
    assert set(segments["theme"]) <= set(protocol.codebook.themes)
    valence = protocol.scales[protocol.codebook.valence]
    assert set(segments["valence"]) <= set(valence.codes)
    double = segments.groupby("group")["coder"].nunique()
    assert set(double[double == 2].index) == {"FG01", "FG02", "FG05", "FG06"}
    assert set(groups["arm"]) == {"pilot", "control"}


def test_existing_study_is_not_overwritten_without_force(tmp_path: Path) -> None:
    from trustsurvey.errors import StudyError

    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "study.yaml").write_text("name: mine\n", encoding="utf-8")
    with pytest.raises(StudyError, match="force"):
        generate_example(folder, seed=1)
    assert (folder / "study.yaml").read_text(encoding="utf-8") == "name: mine\n"
    generate_example(folder, seed=2, force=True)
    assert "chuhuiv_example" in (folder / "study.yaml").read_text(encoding="utf-8")
