"""load_study on the example study: waves, design, arms, margins, focus groups, settings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from trustsurvey.study import Study, load_study
from trustsurvey.study.instruments import bundled_names, resolve_questionnaire

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def study(example: Path) -> Study:
    return load_study(example)


def test_waves(study: Study, example: Path) -> None:
    assert [w.code for w in study.waves] == [1, 2]
    assert [w.period for w in study.waves] == ["baseline", "follow-up"]
    assert study.waves[0].file == example / "data" / "wave1_baseline.sav"
    assert study.waves[0].label == {"uk": "Базова хвиля", "en": "Baseline"}
    assert study.waves[1].fieldwork_start == dt.date(2020, 9, 7)
    assert study.wave(2).period == "follow-up"


def test_design_arms_and_publish(study: Study) -> None:
    assert study.design.kwargs() == {
        "ids": "psu",
        "strata": "stratum",
        "weights": "pw",
        "fpc": None,
        "nest": True,
    }
    assert study.arms.treatment == "pilot"
    assert set(study.arms.communities["arm"]) == {"pilot", "control"}
    frame = pd.DataFrame({"pilot": [1.0, 0.0, None]})
    assert study.arms.arm_of(frame).tolist()[:2] == ["pilot", "control"]
    assert study.publish.min_cell == 30 and study.publish.languages == ("uk", "en")
    assert study.validation.exclude == ("duplicate", "hard_error")
    assert study.questionnaire.name == "police_trust_core"


def test_arm_from_the_community_table(example: Path) -> None:
    text = (example / "study.yaml").read_text(encoding="utf-8")
    (example / "study.yaml").write_text(
        text.replace("  treatment: pilot\n  pilot_code: 1\n", ""), encoding="utf-8"
    )
    study = load_study(example)
    frame = pd.DataFrame({"community": ["chuhuivska", "iziumska", "unknown"]})
    arms = study.arms.arm_of(frame).tolist()
    assert arms[:2] == ["pilot", "control"] and pd.isna(arms[2])


def test_margins_in_the_weighting_format(study: Study) -> None:
    margins = study.margins
    assert margins.kind == "counts" and margins.by == ("wave", "raion")
    one = margins.margins_for(wave=1, raion=1)
    assert set(one) == {("sex", "agegrp"), "settlement"}
    assert sum(one[("sex", "agegrp")].values()) == sum(one["settlement"].values())
    assert (1, 3) in one[("sex", "agegrp")]
    assert margins.variables() == ["sex", "agegrp", "settlement"]


def test_inline_margins(example: Path) -> None:
    text = (example / "study.yaml").read_text(encoding="utf-8")
    start = text.index("margins:")
    end = text.index("focus_groups:")
    inline = (
        "margins:\n  kind: shares\n  rows:\n"
        "    - {margin: sex, sex: 1, target: 0.46}\n"
        "    - {margin: sex, sex: 2, target: 0.54}\n"
    )
    (example / "study.yaml").write_text(text[:start] + inline + text[end:], encoding="utf-8")
    study = load_study(example)
    assert study.margins.kind == "shares"
    assert study.margins.margins_for() == {"sex": {1: 0.46, 2: 0.54}}


def test_focus_groups_and_raw_files(study: Study) -> None:
    groups, segments = study.focus_groups.read()
    assert len(groups) == 8 and {"group", "coder", "theme", "valence"} <= set(segments.columns)
    names = {p.name for p in study.raw_files()}
    assert {"wave1_baseline.sav", "margins.csv", "communities.csv", "segments.csv"} <= names


def test_study_yaml_path_is_accepted(example: Path) -> None:
    assert load_study(example / "study.yaml").name == "chuhuiv_example"


def test_questionnaire_by_name_or_path(tmp_path: Path) -> None:
    assert "police_trust_core" in bundled_names()
    by_name = resolve_questionnaire("police_trust_core", tmp_path)
    assert by_name.name == "police_trust_core.yaml"
    local = tmp_path / "q.yaml"
    local.write_text("name: x\n", encoding="utf-8")
    assert resolve_questionnaire("q.yaml", tmp_path) == local


def test_publish_settings_reach_the_disclosure_policy(example: Path) -> None:
    from trustsurvey.errors import StudyError
    from trustsurvey.publish.policy import DisclosurePolicy

    path = example / "study.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            "  min_cell: 30\n  min_records: 10\n",
            "  min_cell: 40\n  min_records: 5\n  protection_interval: 8\n  protection_share: 0.1\n",
        ),
        encoding="utf-8",
    )
    policy = DisclosurePolicy.from_settings(load_study(example).publish)
    assert (policy.min_cell, policy.min_records) == (40, 5)
    assert (policy.protection_interval, policy.protection_share) == (8, 0.1)
    assert policy.threshold("appeals") == 5 and policy.threshold("likert") == 40
    path.write_text(text.replace("  min_records: 10\n", "  min_records: 0\n"), encoding="utf-8")
    with pytest.raises(StudyError, match="min_records") as err:
        load_study(example)
    assert "study.yaml" in str(err.value) and "e.g. 10" in str(err.value)


def test_previous_bundle_must_be_a_bundle_folder(example: Path, tmp_path: Path) -> None:
    from trustsurvey.errors import StudyError

    path = example / "study.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("publish:\n", "publish:\n  previous_bundle: released/bundle\n"),
        encoding="utf-8",
    )
    with pytest.raises(StudyError, match=r"publish\.previous_bundle") as err:
        load_study(example)
    assert "manifest.json" in str(err.value) and "study.yaml" in str(err.value)
    released = example / "released" / "bundle"
    released.mkdir(parents=True)
    (released / "manifest.json").write_text("{}", encoding="utf-8")
    assert load_study(example).publish.previous_bundle == released


def test_publish_and_validation_settings_are_declared_once() -> None:
    """The study.yaml keys of publish: and validation: are the fields of the policy and the
    validation settings, with their defaults; a value breaking a field's rule is refused by
    both the loader (StudyError with the line) and the policy itself (PublishError)."""
    from dataclasses import fields

    from trustsurvey.errors import PublishError
    from trustsurvey.publish.policy import NAMES, DisclosurePolicy, PublishSettings
    from trustsurvey.study.model import PublishSpec, ValidationSettings
    from trustsurvey.study.spec import STUDY_SPEC

    assert PublishSpec is PublishSettings and issubclass(PublishSettings, DisclosurePolicy)
    publish_keys = STUDY_SPEC["publish"].children
    assert list(publish_keys) == [f.name for f in fields(PublishSettings)]
    assert set(NAMES) < set(publish_keys)
    validation_keys = STUDY_SPEC["validation"].children
    assert list(validation_keys) == [f.name for f in fields(ValidationSettings)]
    assert "(default 30)" in publish_keys["min_cell"].doc
    with pytest.raises(PublishError, match="max_cv"):
        DisclosurePolicy(max_cv=0)


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("max_cv: 0.3", "max_cv: 0", "publish.max_cv"),
        ("speeder_fraction: 0.333", "speeder_fraction: 1.5", "validation.speeder_fraction"),
    ],
)
def test_a_setting_breaking_its_rule_names_key_and_line(
    example: Path, old: str, new: str, key: str
) -> None:
    from trustsurvey.errors import StudyError

    path = example / "study.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    line = 1 + text[: text.index(old)].count("\n")
    with pytest.raises(StudyError) as err:
        load_study(example)
    assert err.value.item == key and f"(line {line})" in str(err.value)
