"""The questionnaire model and the shipped instruments."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from trustsurvey.errors import QuestionnaireError
from trustsurvey.questionnaire import (
    INSTRUMENTS_DIR,
    Text,
    instrument_path,
    list_instruments,
    load_questionnaire,
    loads_questionnaire,
)

REPO = Path(__file__).resolve().parents[2]
SAV_ITEMS = [
    "resp_id", "wave", "raion", "stratum", "psu", "pilot", "settlement", "sex", "age", "agegrp",
    "trust_police", "pj_respect", "pj_fair", "pj_explain", "eff_response", "abuse_power",
    "safe_night", "victim_12m", "aware_officer", "pw",
]  # fmt: skip


@pytest.fixture(scope="module")
def core():
    return load_questionnaire(instrument_path("police_trust_core"))


@pytest.fixture(scope="module")
def sav_meta(fixtures_dir):
    _, meta = pyreadstat.read_sav(
        str(fixtures_dir / "trust" / "trust_two_waves.sav"), metadataonly=True, user_missing=True
    )
    return meta


def test_top_level_copies_are_identical_to_the_packaged_instruments():
    shipped = sorted(p.name for p in INSTRUMENTS_DIR.glob("*.yaml"))
    copies = sorted(p.name for p in (REPO / "questionnaires").glob("*.yaml"))
    assert shipped == copies
    assert {"police_trust_core.yaml", "focus_group_protocol.yaml"} <= set(shipped)
    for name in shipped:
        assert (INSTRUMENTS_DIR / name).read_bytes() == (
            REPO / "questionnaires" / name
        ).read_bytes()


def test_every_instrument_loads_and_round_trips_through_yaml(tmp_path):
    for name in list_instruments():
        q = load_questionnaire(instrument_path(name))
        out = q.to_yaml(tmp_path / f"{name}.yaml")
        back = load_questionnaire(out)
        assert back.items == q.items
        assert back.scales == q.scales
        assert back.indices == q.indices
        assert back.codebook == q.codebook
        assert back.hash() == q.hash()


def test_core_has_every_column_of_the_reference_file(core, sav_meta):
    assert set(SAV_ITEMS) <= set(core.items)
    assert set(sav_meta.column_names) <= set(core.items)
    required_extra = {
        "trust_police_10", "pj_listen", "eff_crime", "legit_obey", "legit_cooperate",
        "contact_police", "contact_satisfaction", "victim_reported", "problems", "will_report",
        "will_join_group", "community", "education", "interviewer", "duration_min", "phone",
    }  # fmt: skip
    assert required_extra <= set(core.items)


def test_core_ukrainian_texts_and_codes_match_the_sav_dictionary(core, sav_meta):
    for column, label in sav_meta.column_names_to_labels.items():
        assert core.item(column).text.uk == label, column
    for column, labels in sav_meta.variable_value_labels.items():
        item = core.item(column)
        declared = {**item.codes, **item.missing}
        for code, label in labels.items():
            assert declared[int(code)].uk == label, (column, code)
    for column, ranges in sav_meta.missing_ranges.items():
        codes = sorted(int(r["lo"]) for r in ranges)
        assert sorted(core.item(column).missing) == codes, column


def test_core_roles_scales_and_flags(core):
    assert core.items_with_role("id") == ["resp_id"]
    assert core.items_with_role("wave") == ["wave"]
    assert core.items_with_role("treatment") == ["pilot"]
    assert set(core.items_with_role("design")) == {"stratum", "psu", "pw"}
    assert {"raion", "community"} <= set(core.items_with_role("community"))
    assert core.items_with_role("interviewer") == ["interviewer"]
    assert core.items_with_role("duration") == ["duration_min"]
    assert core.pii_items == ["phone"]
    trust = core.item("trust_police")
    assert list(trust.codes) == [1, 2, 3, 4, 5]
    assert list(trust.missing) == [8, 9]
    ess = core.item("trust_police_10")
    assert list(ess.codes) == list(range(11))
    assert core.item("abuse_power").reverse
    assert core.item("safe_night").codes.keys() == {1, 2, 3, 4}
    assert core.item("contact_satisfaction").relevant == "contact_police == 1"
    assert core.item("victim_reported").relevant == "victim_12m == 1"
    problems = core.item("problems")
    assert problems.type == "multiple" and problems.exclusive == "none"
    assert {"drinking", "drugs", "theft", "road", "domestic", "lighting", "dogs"} <= set(
        problems.options
    )
    for item in core.items.values():  # every text is bilingual
        assert item.text.uk and item.text.en, item.name


def test_item_lookup_suggests_a_name(core):
    with pytest.raises(QuestionnaireError, match="did you mean 'trust_police'"):
        core.item("trust_polise")


def test_columns_for_and_missing_codes(core):
    assert core.columns_for("sex") == ["sex"]
    cols = core.columns_for("problems")
    assert cols[0] == "problems_drinking" and cols[-1] == "problems_none"
    assert len(cols) == len(core.item("problems").options)
    missing = core.missing_codes()
    assert set(missing["trust_police"]) == {8, 9}
    assert missing["trust_police_10"][77].get("en") == "refused"
    assert "sex" not in missing


def test_text_falls_back_to_the_other_language():
    assert Text(uk="Село").get("en") == "Село"
    assert Text(en="Village").get("uk") == "Village"
    assert Text().get("uk") == ""


def test_relevant_mask_is_nan_safe(core):
    frame = pd.DataFrame({"contact_police": [1.0, 0.0, np.nan, 1.0]})
    assert core.relevant_mask("contact_satisfaction", frame).tolist() == [True, False, False, True]
    assert core.relevant_mask("sex", frame).all()
    with pytest.raises(QuestionnaireError, match="no column 'victim_12m'"):
        core.relevant_mask("victim_reported", frame)


def test_selected_in_relevance_on_dummy_and_kobo_columns():
    q = loads_questionnaire(
        """
name: t
items:
  - {name: problems, type: multiple, options: {theft: Theft, dogs: Dogs, none: None}}
  - {name: theft_where, type: text, relevant: 'selected(problems, "theft")'}
"""
    )
    dummies = pd.DataFrame({"problems_theft": [1, 0, np.nan], "problems_dogs": [0, 1, 0]})
    assert q.relevant_mask("theft_where", dummies).tolist() == [True, False, False]
    kobo = pd.DataFrame({"problems": ["theft dogs", "dogs", None]})
    assert q.relevant_mask("theft_where", kobo).tolist() == [True, False, False]


MINI = """
name: mini
scales:
  agree5:
    codes: {1: a, 2: b, 3: c, 4: d, 5: e}
    missing: {8: dk, 9: refused}
items:
  - {name: a, type: likert, scale: agree5}
  - {name: b, type: likert, scale: agree5}
  - {name: c, type: likert, scale: agree5, reverse: true}
  - {name: n, type: numeric, min: 0, max: 10}
indices:
  - {name: m, items: [a, b, c], method: mean, min_valid: 2, reversed: [c]}
  - {name: s, items: [a, b], method: sum, min_valid: 2}
  - {name: top, items: [m, n], method: mean, min_valid: 2}
"""


def test_index_mean_min_valid_and_reverse_keying():
    q = loads_questionnaire(MINI)
    frame = pd.DataFrame(
        {
            "a": [5, 4, np.nan, 8, 1],
            "b": [5, np.nan, np.nan, 2, 1],
            "c": [1, 2, 3, 9, 5],
            "n": [10, 0, 5, 4, np.nan],
        }
    )
    out = q.compute_indices(frame)
    assert list(out.columns) == ["m", "s", "top"]
    # row 0: a=5, b=5, c reversed 6-1=5 → 5
    # row 1: a=4, c→4 → 4 (2 valid)
    # row 2: only c → 3 < min_valid 2 → NaN
    # row 3: a=8 is a missing code (never scored) → b=2, c=9 missing → 1 valid → NaN
    # row 4: a=1, b=1, c→1 → 1
    np.testing.assert_allclose(out["m"], [5, 4, np.nan, np.nan, 1])
    np.testing.assert_allclose(out["s"], [10, np.nan, np.nan, np.nan, 2])
    # index over an index: mean of m and n
    np.testing.assert_allclose(out["top"], [7.5, 2, np.nan, np.nan, np.nan])


def test_compute_indices_skips_indices_without_data_and_names_them(core):
    frame = pd.DataFrame({c: [3.0] for c in core.indices["pj_index"].items})
    out = core.compute_indices(frame)
    assert list(out.columns) == ["pj_index"]
    assert "trust_index" in out.attrs["skipped"]
    with pytest.raises(QuestionnaireError, match="trust_police"):
        core.compute_indices(frame, names=["trust_index"])
    with pytest.raises(QuestionnaireError, match="did you mean 'pj_index'"):
        core.compute_indices(frame, names=["pj_indx"])


def test_hash_changes_when_the_instrument_changes(core):
    text = core.dumps()
    assert loads_questionnaire(text).hash() == core.hash()
    changed = loads_questionnaire(text.replace("min_valid: 4", "min_valid: 3"))
    assert changed.hash() != core.hash()


def test_focus_group_codebook(tmp_path):
    fg = load_questionnaire(instrument_path("focus_group_protocol"))
    themes = fg.codebook.themes
    for code in ("responsiveness", "respect", "corruption", "visibility", "school_police",
                 "hotline", "trust", "safety", "cooperation"):  # fmt: skip
        assert code in themes
        assert themes[code].label.uk and themes[code].label.en
    assert themes["hotline"].parent == "responsiveness"
    valence = fg.scales[fg.codebook.valence]
    assert [t.get("en") for t in valence.codes.values()] == ["negative", "neutral", "positive"]
    assert fg.items_with_role("wave") == ["phase"]
    assert fg.pii_items == ["participant_name"]


def test_to_yaml_is_atomic_and_does_not_leave_temp_files(core, tmp_path):
    out = core.to_yaml(tmp_path / "q.yaml")
    assert out.read_text(encoding="utf-8").startswith("name: police_trust_core")
    assert [p.name for p in tmp_path.iterdir()] == ["q.yaml"]
    with pytest.raises(QuestionnaireError, match="output folder does not exist"):
        core.to_yaml(tmp_path / "nope" / "q.yaml")
