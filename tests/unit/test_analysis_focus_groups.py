"""Focus groups: reading, theme matrices, valence, agreement and the survey comparison."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.inter_rater import cohens_kappa

from trustsurvey.analysis import (
    compare_with_survey,
    intercoder_agreement,
    read_focus_groups,
    theme_frequencies,
    theme_heatmap,
    valence_balance,
)
from trustsurvey.analysis.focus_groups import resolve_codebook

CODES = {"trust": "Trust", "respect": "Respect", "corruption": "Corruption"}


@pytest.fixture
def files(tmp_path):
    groups = pd.DataFrame(
        {
            "id": ["G1", "G2", "G3"],
            "community": ["Chuhuiv", "Chuhuiv", "Zmiiv"],
            "arm": ["pilot", "pilot", "control"],
            "date": ["2020-10-06", "2020-10-08", "2020-10-20"],
            "participants": [8, 7, 9],
            "composition": ["mixed", "60+", "mixed"],
        }
    )
    segments = pd.DataFrame(
        {
            "group": ["G1", "G1", "G1", "G2", "G3", "G3"],
            "segment": [1, 1, 2, 1, 1, 2],
            "coder": ["A"] * 6,
            "theme": ["trust", "respect", "trust", "respect", "corruption", "trust"],
            "valence": ["positive", "positive", "negative", "neutral", "negative", "negative"],
        }
    )
    g, s = tmp_path / "groups.csv", tmp_path / "segments.csv"
    groups.to_csv(g, index=False)
    segments.to_csv(s, index=False)
    return g, s


def test_read_csv_and_xlsx_alike(files, tmp_path):
    g, s = files
    fg = read_focus_groups(g, s, codebook=CODES)
    assert list(fg.groups["group_id"]) == ["G1", "G2", "G3"]
    assert len(fg.segments) == 6  # nothing dropped
    assert fg.segments["valence"].tolist() == [1, 1, -1, 0, -1, -1]
    gx, sx = tmp_path / "groups.xlsx", tmp_path / "segments.xlsx"
    pd.read_csv(g).to_excel(gx, index=False)
    pd.read_csv(s).to_excel(sx, index=False)
    fx = read_focus_groups(gx, sx, codebook=CODES)
    pd.testing.assert_frame_equal(
        fx.segments.reset_index(drop=True), fg.segments.reset_index(drop=True)
    )


def test_theme_frequencies_by_arm_and_community(files):
    fg = read_focus_groups(*files, codebook=CODES)
    arm = theme_frequencies(fg, "arm").set_index(["arm", "theme"])
    # pilot: groups G1, G2; segments (G1,1), (G1,2), (G2,1)
    assert arm.loc[("pilot", "trust"), "groups_mentioning"] == 1
    assert arm.loc[("pilot", "trust"), "share_groups"] == 0.5
    assert arm.loc[("pilot", "trust"), "share_segments"] == pytest.approx(2 / 3)
    assert arm.loc[("pilot", "respect"), "share_groups"] == 1.0
    assert arm.loc[("pilot", "corruption"), "share_segments"] == 0.0  # zero, not missing
    assert arm.loc[("control", "corruption"), "share_segments"] == 0.5
    comm = theme_frequencies(fg, ["arm", "community"])
    assert set(comm["community"]) == {"Chuhuiv", "Zmiiv"}
    assert len(comm) == 2 * len(CODES)


def test_valence_balance(files):
    fg = read_focus_groups(*files, codebook=CODES)
    res = valence_balance(fg, "arm").set_index(["arm", "theme"])
    row = res.loc[("pilot", "trust")]
    assert (row["positive"], row["negative"], row["segments"]) == (1, 1, 2)
    assert row["balance"] == 0.0
    assert res.loc[("control", "trust"), "balance"] == -1.0


def _double_coded(rng, n=60, agree=0.8):
    themes = list(CODES)
    rows = []
    for seg in range(1, n + 1):
        t = themes[rng.integers(3)]
        rows.append(("G1", seg, "A", t))
        rows.append(("G1", seg, "B", t if rng.uniform() < agree else themes[rng.integers(3)]))
    segments = pd.DataFrame(rows, columns=["group", "segment", "coder", "theme"])
    groups = pd.DataFrame({"id": ["G1"], "community": ["Chuhuiv"], "arm": ["pilot"]})
    return read_focus_groups(groups, segments, CODES), segments


def test_agreement_matches_statsmodels_and_krippendorff():
    import krippendorff

    fg, seg = _double_coded(np.random.default_rng(4))
    res = intercoder_agreement(fg, n_boot=200, seed=1)
    overall = res.iloc[0]
    a = seg.loc[seg["coder"] == "A", "theme"].to_numpy()
    b = seg.loc[seg["coder"] == "B", "theme"].to_numpy()
    table = pd.crosstab(pd.Categorical(a, list(CODES)), pd.Categorical(b, list(CODES)),
                        dropna=False).to_numpy()  # fmt: skip
    assert overall["cohen_kappa"] == pytest.approx(cohens_kappa(table).kappa, rel=1e-10)
    codes = {t: i for i, t in enumerate(CODES)}
    data = np.array([[codes[x] for x in a], [codes[x] for x in b]], dtype=float)
    ka = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert overall["krippendorff_alpha"] == pytest.approx(ka, rel=1e-10)
    assert overall["percent_agreement"] == pytest.approx((a == b).mean())
    assert overall["kappa_ci_low"] < overall["cohen_kappa"] < overall["kappa_ci_high"]
    assert overall["alpha_ci_low"] < overall["krippendorff_alpha"] < overall["alpha_ci_high"]
    # per theme rows: presence / absence agreement
    assert list(res["theme"]) == ["(all)", *CODES]
    again = intercoder_agreement(fg, n_boot=200, seed=1)
    pd.testing.assert_frame_equal(res, again)  # seeded bootstrap


def test_agreement_with_several_themes_per_segment():
    segments = pd.DataFrame(
        {
            "group": "G1",
            "segment": [1, 1, 1, 2, 2, 3, 3, 3, 4, 4],
            "coder": ["A", "A", "B", "A", "B", "A", "B", "B", "A", "B"],
            "theme": ["trust", "respect", "trust", "corruption", "corruption", "respect",
                      "respect", "trust", "trust", "respect"],
        }
    )  # fmt: skip
    groups = pd.DataFrame({"id": ["G1"], "community": ["X"], "arm": ["pilot"]})
    fg = read_focus_groups(groups, segments, CODES)
    res = intercoder_agreement(fg, n_boot=50).set_index("theme")
    assert "pooled" in res.loc["(all)", "note"]
    # trust: A = (1, 0, 0, 1), B = (1, 0, 1, 0) over segments 1-4
    assert res.loc["trust", "percent_agreement"] == 0.5
    assert res.loc["(all)", "units"] == 4 * len(CODES)


def test_example_study_records_with_the_real_codebook(tmp_path):
    example = pytest.importorskip("trustsurvey.example.focus_groups")
    groups, segments = example.focus_groups(np.random.default_rng(2020))
    groups.to_csv(tmp_path / "groups.csv", index=False)
    segments.to_csv(tmp_path / "segments.csv", index=False)
    fg = read_focus_groups(tmp_path / "groups.csv", tmp_path / "segments.csv")
    assert set(fg.segments["theme"]) <= set(resolve_codebook())
    freq = theme_frequencies(fg, "arm")
    assert set(freq["arm"]) == {"pilot", "control"}
    agree = intercoder_agreement(fg, n_boot=100, per_theme=False).iloc[0]
    assert 0.4 < agree["cohen_kappa"] < 1
    fig = theme_heatmap(freq)
    assert fig.data[0].z.shape == (len(resolve_codebook()), 2)


def test_codebook_from_questionnaire_object():
    from trustsurvey.questionnaire import instrument_path, load_questionnaire

    q = load_questionnaire(instrument_path("focus_group_protocol"))
    codes = resolve_codebook(q)
    assert codes == resolve_codebook(q.codebook) == resolve_codebook(instrument_path(
        "focus_group_protocol"))  # fmt: skip
    assert codes["trust"] == "Trust in police"
    assert resolve_codebook(q, language="uk")["trust"] == "Довіра до поліції"


def test_compare_with_survey_flags_unusually_trusting_groups(files):
    fg = read_focus_groups(*files, codebook=CODES)
    rng = np.random.default_rng(3)
    part = pd.DataFrame(
        {
            "group_id": np.repeat(["G1", "G3"], 20),
            "phase": np.tile(np.repeat([1, 2], 10), 2),
            "trust_police": np.concatenate(
                [rng.choice([4, 5], 20), rng.choice([2, 3, 4], 19), [9]]
            ),
        }
    )
    survey = pd.DataFrame(
        {"community": ["Chuhuiv", "Zmiiv"], "estimate": [3.0, 3.1], "ci_low": [2.8, 2.7],
         "ci_high": [3.2, 3.5]}
    )  # fmt: skip
    res = compare_with_survey(part, survey, groups=fg.groups, item="trust_police")
    assert list(zip(res["community"], res["phase"], strict=True)) == [
        ("Chuhuiv", "pre"), ("Chuhuiv", "post"), ("Zmiiv", "pre"), ("Zmiiv", "post")
    ]  # fmt: skip
    assert (
        res.loc[res["community"] == "Chuhuiv", "reading"] == "more trusting than the survey"
    ).all()
    zmiiv_post = res.iloc[3]
    assert zmiiv_post["participants"] == 9  # code 9 "refused" is missing
    assert zmiiv_post["difference"] == pytest.approx(zmiiv_post["fg_mean"] - 3.1)
    no_estimate = compare_with_survey(part, survey.iloc[:1], groups=fg.groups, item="trust_police")
    assert no_estimate["reading"].iloc[2] == "NA: no survey estimate for this community"


def test_valence_agreement_row_and_subthemes_roll_up():
    segments = pd.DataFrame(
        {
            "group": "G1",
            "segment": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5],
            "coder": ["A", "B"] * 5,
            "theme": ["hotline", "hotline", "respect", "respect", "response_time",
                      "hotline", "trust", "trust", "respect", "respect"],
            "valence": [1, 1, -1, -1, 0, 0, 1, 0, -1, -1],
        }
    )  # fmt: skip
    groups = pd.DataFrame({"id": ["G1"], "community": ["Chuhuiv"], "arm": ["pilot"]})
    fg = read_focus_groups(groups, segments)  # the standard codebook, with parent links
    assert fg.parents["hotline"] == "responsiveness"
    res = intercoder_agreement(fg, n_boot=50).set_index("theme")
    assert res.loc["(valence)", "percent_agreement"] == pytest.approx(4 / 5)
    a, b = np.array([2, 0, 1, 2, 0]), np.array([2, 0, 1, 1, 0])
    table = pd.crosstab(a, b).reindex(index=[0, 1, 2], columns=[0, 1, 2], fill_value=0)
    assert res.loc["(valence)", "cohen_kappa"] == pytest.approx(
        cohens_kappa(table.to_numpy()).kappa
    )
    assert res.loc["fairness", "note"] == "theme not used in the double-coded segments"
    plain = theme_frequencies(fg, "arm", coder="A").set_index("theme")
    rolled = theme_frequencies(fg, "arm", coder="A", include_subthemes=True).set_index("theme")
    assert plain.loc["responsiveness", "segments_mentioning"] == 0
    assert rolled.loc["responsiveness", "segments_mentioning"] == 2  # hotline + response_time
    assert rolled.loc["hotline", "segments_mentioning"] == 1


def test_bundled_example_files_and_design_based_survey_estimates():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "data" / "example"
    if not (root / "focus_groups" / "segments.csv").is_file():
        pytest.skip("example study not generated")
    design = pytest.importorskip("trustsurvey.design")
    from trustsurvey.io import read_survey

    fg = read_focus_groups(
        root / "focus_groups" / "groups.csv", root / "focus_groups" / "segments.csv"
    )
    assert len(fg.segments) == len(pd.read_csv(root / "focus_groups" / "segments.csv"))
    wave2 = read_survey(root / "data" / "wave2_followup.sav").analysis()
    survey = design.SurveyDesign(wave2, ids="psu", strata="stratum", weights="pw").mean(
        "trust_police", by="community"
    )
    rng = np.random.default_rng(0)
    part = pd.DataFrame(
        {
            "group_id": np.repeat(fg.groups["group_id"], 12).to_numpy(),
            "phase": np.tile(np.repeat(["pre", "post"], 6), len(fg.groups)),
            "trust_police": rng.integers(1, 6, 12 * len(fg.groups)),
        }
    )
    res = compare_with_survey(part, survey, groups=fg.groups, item="trust_police")
    assert len(res) == 2 * len(fg.groups)
    assert res["survey_estimate"].notna().all()
    est = survey.loc[res["community"], "estimate"].to_numpy()
    np.testing.assert_allclose(res["difference"], res["fg_mean"] - est)
