"""Hostile YAML: alias bombs, deep nesting and repeated keys end in one clear error.

A kilobyte of nested aliases ("billion laughs") stands for billions of nodes; PyYAML
recurses once per nesting level; a repeated key silently keeps the last value. Each reader
of YAML (study.yaml, questionnaires, margins, dashboard settings) refuses all three, naming
the file and the line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from trustsurvey.errors import PublishError, QuestionnaireError, StudyError, WeightingError
from trustsurvey.questionnaire import load_questionnaire
from trustsurvey.study import load_study

REPO = Path(__file__).resolve().parents[2]

BOMB = 'lol: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + "".join(
    f"l{i}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(9)
)
DEEP = "x:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(500)) + "  " * 501 + "v: 1\n"


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_study_alias_bomb_is_refused(example: Path) -> None:
    _append(example / "study.yaml", BOMB)
    with pytest.raises(StudyError) as info:
        load_study(example)
    assert "aliases expand" in str(info.value) and "study.yaml" in str(info.value)


def test_study_deep_nesting_is_refused_not_recursion_error(example: Path) -> None:
    _append(example / "study.yaml", DEEP)
    with pytest.raises(StudyError) as info:
        load_study(example)
    assert "nested more than" in str(info.value) and "line" in str(info.value)


def test_study_repeated_key_is_an_error(example: Path) -> None:
    _append(example / "study.yaml", "publish:\n  min_cell: 3\n")
    with pytest.raises(StudyError) as info:
        load_study(example)
    text = str(info.value)
    assert "'publish' is repeated" in text and "first at line" in text


@pytest.mark.parametrize("extra", [BOMB, DEEP], ids=["alias_bomb", "deep"])
def test_questionnaire_limits(tmp_path: Path, extra: str) -> None:
    path = tmp_path / "q.yaml"
    path.write_text("name: q\nitems: []\n" + extra, encoding="utf-8")
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire(path)
    assert "q.yaml" in str(info.value) and "line" in str(info.value)


def test_margins_yaml_repeated_key(tmp_path: Path) -> None:
    from trustsurvey.weighting import load_targets

    path = tmp_path / "margins.yaml"
    path.write_text("margins:\n  sex: {1: 0.5, 2: 0.5}\n  sex: {1: 0.4, 2: 0.6}\n")
    with pytest.raises(WeightingError) as info:
        load_targets(path)
    assert "'sex' is repeated" in str(info.value)


def test_dashboard_config_alias_bomb(tmp_path: Path) -> None:
    from trustsurvey.dashboard.config import load_config

    path = tmp_path / "d.yaml"
    path.write_text(BOMB)
    with pytest.raises(PublishError) as info:
        load_config(path)
    assert "aliases expand" in str(info.value)
