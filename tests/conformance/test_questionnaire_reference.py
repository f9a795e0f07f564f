"""pj_index on the reference file reproduces R's count of scored respondents."""

from __future__ import annotations

import pyreadstat

from trustsurvey.questionnaire import instrument_path, load_questionnaire


def test_pj_index_valid_count_matches_r(fixtures_dir, trust_reference):
    q = load_questionnaire(instrument_path("police_trust_core"))
    frame, _ = pyreadstat.read_sav(
        str(fixtures_dir / "trust" / "trust_two_waves.sav"), user_missing=False
    )
    scores = q.compute_indices(frame)["pj_index"]
    assert int(scores.notna().sum()) == trust_reference["pj_index_n_valid"]
    assert scores.dropna().between(1, 5).all()


def test_pj_index_is_the_same_with_missing_codes_left_in(fixtures_dir):
    """Reading with user_missing=True keeps 8/9 as values; they must never enter a score."""
    q = load_questionnaire(instrument_path("police_trust_core"))
    path = str(fixtures_dir / "trust" / "trust_two_waves.sav")
    raw, _ = pyreadstat.read_sav(path, user_missing=True)
    clean, _ = pyreadstat.read_sav(path, user_missing=False)
    assert raw["pj_respect"].isin([8, 9]).any()
    a = q.compute_indices(raw)["pj_index"]
    b = q.compute_indices(clean)["pj_index"]
    assert a.equals(b)


def test_pj_index_with_the_io_reader(fixtures_dir, trust_reference):
    from trustsurvey.io import read_survey

    q = load_questionnaire(instrument_path("police_trust_core"))
    sd = read_survey(fixtures_dir / "trust" / "trust_two_waves.sav")
    scores = q.compute_indices(sd.analysis())["pj_index"]
    assert int(scores.notna().sum()) == trust_reference["pj_index_n_valid"]
